"""Operators' command: accounts, handles, memberships, campaigns and domains.

    .venv/bin/tenx-admin --local create-handle --handle acme --account-id acc_demo
    .venv/bin/tenx-admin --table tenx-email-prod --stage prod grant --handle acme \\
        --sub <user-sub> --role OPERATOR

`--local` targets the running local stack (reads .local/stack.json, or stack.json in
$LOCAL_STATE_DIR as the local stack does); `--table` targets a deployed table with the
caller's AWS credentials. Every change goes through the service layer,
with the same checks as the API, never as raw table writes.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from tenx_email import resources
from tenx_email.adapters import token_keys
from tenx_email.dal import table
from tenx_email.errors import DomainError
from tenx_email.models import HandleStatus
from tenx_email.observability import logger
from tenx_email.roles import Role
from tenx_email.services import domains, quotas, recovery, sending_pause, ses_tenants, tenancy

# Where the local stack writes its state (devstack/state.py reads the same variable).
LOCAL_STATE_DIR = "LOCAL_STATE_DIR"
DEFAULT_LOCAL_STATE_DIR = ".local"


def _local_state_dir() -> Path:
    return Path(os.environ.get(LOCAL_STATE_DIR) or DEFAULT_LOCAL_STATE_DIR)


@contextmanager
def _local_ses_tenants(arguments: argparse.Namespace) -> Iterator[None]:
    """--local: moto has no SES tenants; the local stack keeps its stand-in's in its state
    directory, and this process stands in for them from the same file."""
    if not arguments.local:
        yield
        return
    from devstack.local_ses import register, unregister
    from devstack.ses_tenants import STATE_FILE, LocalTenants

    hooks = LocalTenants(_local_state_dir() / STATE_FILE).hooks
    register(hooks)
    try:
        yield
    finally:
        unregister(hooks)


def _target_environment(arguments: argparse.Namespace) -> dict[str, str]:
    """The environment variables that point the data layer at the chosen table."""
    if arguments.local:
        state = json.loads((_local_state_dir() / "stack.json").read_text())["aws"]
        return {
            "AWS_ENDPOINT_URL": state["endpointUrl"],
            "AWS_DEFAULT_REGION": state["region"],
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "TABLE_NAME": state["tableName"],
            "STAGE": state["stage"],
            "TOKEN_KEYS_SECRET": resources.token_keys_secret_name(state["stage"]),
        }
    if arguments.table:
        return {
            "TABLE_NAME": arguments.table,
            "STAGE": arguments.stage,
            "TOKEN_KEYS_SECRET": resources.token_keys_secret_name(arguments.stage),
        }
    return {}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tenx-admin", description=__doc__)
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--local", action="store_true", help="the running local stack")
    target.add_argument("--table", help="a deployed table's name (uses your AWS credentials)")
    parser.add_argument("--stage", default="prod", help="the deployed stage (with --table)")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help_text: str, *options: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        for option in options:
            sub.add_argument(f"--{option}", required=True)
        return sub

    command("create-account", "create an account", "account-id", "name")
    command(
        "create-handle",
        "create an ACTIVE handle in an account, in the sandbox, with its SES tenant",
        "handle",
        "account-id",
    )
    command(
        "create-ses-tenant",
        "give a handle made before SES tenants its tenant, or re-associate its resources",
        "handle",
    )
    command("activate-handle", "let a handle use the API again", "handle")
    mode = command(
        "set-sandbox", "put a handle in the sandbox (--on) or lift it out (--off)", "handle"
    ).add_mutually_exclusive_group(required=True)
    mode.add_argument("--on", dest="sandbox", action="store_true")
    mode.add_argument("--off", dest="sandbox", action="store_false")
    command(
        "set-message-shards",
        "spread a handle's new messages over more partitions (for one handle's high volume)",
        "handle",
    ).add_argument("--count", required=True, type=int)
    command(
        "pause-sending", "stop a handle's sending: new sends refused, queued mail held", "handle"
    ).add_argument("--reason", required=True)
    command(
        "resume-sending",
        "after review: let a paused handle send again, and queue its held mail",
        "handle",
    )
    command("deactivate-handle", "refuse every request on a handle", "handle")
    command("grant", "grant or change a user's role on a handle", "handle", "sub").add_argument(
        "--role", required=True, choices=[role.value for role in Role]
    )
    command("revoke", "remove a user's access to a handle", "handle", "sub")
    command("register-campaign", "register a campaign on a handle", "handle", "campaign-id", "name")
    command("attach-domain", "attach a sending domain to an account", "account-id", "domain")
    command("set-quota", "set a handle's daily recipient limit", "handle").add_argument(
        "--daily-limit", required=True, type=int
    )
    command(
        "rotate-token-keys",
        "make a new key for the tokens clients hold; tokens of the one before keep working",
    )
    command(
        "replay-projection-dlq",
        "project again the stream batches the event projection gave up on (within 24 hours)",
    )
    command(
        "recount-usage", "recount a handle's usage of a UTC day from its stored messages", "handle"
    ).add_argument("--day", required=True, help="YYYY-MM-DD")
    for name in ("attach-domain", "create-handle", "create-ses-tenant"):
        commands.choices[name].add_argument("--region", default="us-east-1")
    return parser


def _create_handle(arguments: argparse.Namespace) -> Any:
    """The handle, then its SES tenant (a failure there is repaired by create-ses-tenant)."""
    tenancy.create_handle(arguments.handle, arguments.account_id)
    return ses_tenants.create_for_handle(arguments.handle, arguments.region)


def _run(arguments: argparse.Namespace) -> Any:
    actions: dict[str, Callable[[], Any]] = {
        "create-account": lambda: tenancy.create_account(arguments.account_id, arguments.name),
        "create-handle": lambda: _create_handle(arguments),
        "create-ses-tenant": lambda: ses_tenants.create_for_handle(
            arguments.handle, arguments.region
        ),
        "activate-handle": lambda: tenancy.set_handle_status(arguments.handle, HandleStatus.ACTIVE),
        "set-sandbox": lambda: tenancy.set_sandbox(arguments.handle, arguments.sandbox),
        "pause-sending": lambda: sending_pause.pause(arguments.handle, arguments.reason),
        "resume-sending": lambda: asdict(sending_pause.resume(arguments.handle)),
        "set-message-shards": lambda: tenancy.set_message_shards(arguments.handle, arguments.count),
        "deactivate-handle": lambda: tenancy.set_handle_status(
            arguments.handle, HandleStatus.INACTIVE
        ),
        "grant": lambda: tenancy.grant_membership(
            arguments.handle, arguments.sub, Role(arguments.role)
        ),
        "revoke": lambda: {"revoked": tenancy.revoke_membership(arguments.handle, arguments.sub)},
        "register-campaign": lambda: tenancy.register_campaign(
            arguments.handle, arguments.campaign_id, arguments.name
        ),
        "attach-domain": lambda: domains.attach_domain(
            arguments.account_id, arguments.domain, arguments.region
        ),
        "set-quota": lambda: {
            "handle": arguments.handle,
            "dailyLimit": quotas.set_daily_limit(arguments.handle, arguments.daily_limit),
        },
        # Says only that it happened: key material is never printed.
        "rotate-token-keys": lambda: {"rotated": bool(token_keys.rotate())},
        "replay-projection-dlq": lambda: asdict(
            recovery.replay_projection_dead_letters(os.environ["STAGE"])
        ),
        "recount-usage": lambda: {
            "handle": arguments.handle,
            "day": arguments.day,
            "used": recovery.recount_usage(arguments.handle, arguments.day),
        },
    }
    return actions[arguments.command]()


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    # The services' log lines go to stderr while it runs, so stdout holds only the result.
    handler = logger.registered_handler
    if not isinstance(handler, logging.StreamHandler):
        return _main(arguments)
    logs_went_to = handler.setStream(sys.stderr)
    try:
        return _main(arguments)
    finally:
        handler.setStream(logs_went_to or sys.stdout)


def _main(arguments: argparse.Namespace) -> int:
    os.environ.update(_target_environment(arguments))
    table.reset()
    token_keys.reset()
    try:
        with _local_ses_tenants(arguments):
            result = _run(arguments)
    except DomainError as error:
        print(json.dumps({"error": error.code, "message": error.message}), file=sys.stderr)
        return 2
    shown = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
    print(json.dumps(shown, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
