"""What the running stack tells its users: `stack.json` for programs, a banner for people."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

STATE_FILE_NAME = "stack.json"
_DEFAULT_DIR = Path(__file__).resolve().parents[1] / ".local"
FIRST_CALL = (
    'curl -sS "$TENX_API_BASE/v2/handles/$TENX_HANDLE/email/senders"'
    ' -H "Authorization: Bearer $TENX_JWT"'
)


def state_file(environ: Mapping[str, str] = os.environ) -> Path:
    return Path(environ.get("LOCAL_STATE_DIR") or _DEFAULT_DIR) / STATE_FILE_NAME


def write(path: Path, document: dict[str, Any]) -> None:
    """Write the whole file or nothing, so a reader polling for it never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(json.dumps(document, indent=2) + "\n")
    partial.chmod(0o600)  # it holds a signing key and tokens
    partial.replace(path)


def read(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def banner(document: dict[str, Any], path: Path) -> str:
    api, aws = document["apiBase"], document["aws"]["endpointUrl"]
    return f"""
tenx-email local stack is running (stage local, no AWS account needed)
  API:          {api}
  AWS (moto):   {aws}
  Details:      {path} (tokens for every role, the dev signing key)

Call it as the OPERATOR of handle {document["handle"]} (tokens are valid for 24 hours):
  export TENX_API_BASE={api}
  export TENX_JWT={document["tokens"]["OPERATOR"]}
  export TENX_HANDLE={document["handle"]}
  export TENX_DOMAIN={document["domain"]}
  {FIRST_CALL}

Console:        {api}/console/  (sign in as any demo user; make console builds it)
Sent mail:      {api}/_local/mail  (or: make mail)
Webhooks:       {api}/_local/webhooks  (acme's endpoint points here; signatures verified)
Advance clock:  curl -sS -X POST "$TENX_API_BASE/_local/clock/advance" \\
                  -H 'Content-Type: application/json' -d '{{"minutes": 60}}'
                (fires the delayed schedules that come due)
Publish DNS:    curl -sS -X POST "$TENX_API_BASE/_local/dns/<domain>/publish"
                (a newly attached domain stays PENDING until then; then reconcile it)
Stop:           Ctrl-C
"""
