"""The web console on the local stack: its build (console/dist, `make console`) at /console/,
and /console/config.json, which points it at this stack's API and identity provider.

Only the build's own files are served (names checked against an allowlist of types, never a
path from the request), each with the console's security headers."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from werkzeug.wrappers import Request, Response

from devstack import seed
from devstack.gateway import LocalHandler
from devstack.mail_page import html_page
from devstack.oidc import CLIENT_ID, CONSOLE_PATH

DIST = Path(__file__).resolve().parents[1] / "console" / "dist"
# As deployed (infra/constructs/console.py): inline styles are allowed so that an email's own
# styling shows in the template preview's frame; the page itself uses none.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'; object-src 'none'"
)
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# The missing-build page is the mail viewer's shell, whose style is inline.
_NOT_BUILT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def config(api_base: str, issuer: str) -> dict[str, Any]:
    """What the console reads at start: same-origin API, the demo handle and its campaign,
    the local IdP."""
    return {
        "apiBase": "",
        "handle": seed.HANDLE,
        "campaignId": seed.CAMPAIGN_ID,
        "oidc": {
            "authority": issuer,
            "clientId": CLIENT_ID,
            "redirectUri": api_base + CONSOLE_PATH,
            "scope": "openid",
        },
    }


def _secured(response: Response, policy: str = CONTENT_SECURITY_POLICY) -> Response:
    response.headers["Content-Security-Policy"] = policy
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _not_found() -> Response:
    return _secured(Response("not found\n", status=404, content_type="text/plain"))


def _file(directory: Path, name: str, cache: str) -> Response:
    kind = _TYPES.get(Path(name).suffix)
    path = directory / name
    if kind is None or not _FILE_NAME.fullmatch(name) or not path.is_file():
        return _not_found()
    response = Response(path.read_bytes(), content_type=kind)
    response.headers["Cache-Control"] = cache
    return _secured(response)


def _not_built() -> Response:
    page = html_page(
        "Console not built",
        "<main><h1>The console is not built</h1><p>Run <code>make console</code> (or "
        "<code>make dev</code>, which builds it), then reload this page.</p></main>",
    )
    response = Response(page, status=503, content_type="text/html; charset=utf-8")
    return _secured(response, _NOT_BUILT_POLICY)


def endpoints(settings: dict[str, Any], dist: Path = DIST) -> dict[tuple[str, str], LocalHandler]:
    # Read per request, so a rebuild while the stack runs is served at once.
    def index(_: Request, __: Mapping[str, str]) -> Response:
        if not (dist / "index.html").is_file():
            return _not_built()
        return _file(dist, "index.html", "no-cache")

    def without_slash(_: Request, __: Mapping[str, str]) -> Response:
        return _secured(Response(status=308, headers={"Location": CONSOLE_PATH}))

    def config_json(_: Request, __: Mapping[str, str]) -> Response:
        response = Response(json.dumps(settings), content_type="application/json")
        response.headers["Cache-Control"] = "no-cache"
        return _secured(response)

    def top_level(_: Request, path: Mapping[str, str]) -> Response:
        return _file(dist, path["name"], "no-cache")

    def asset(_: Request, path: Mapping[str, str]) -> Response:
        # Vite names each asset by its content's hash: a name never changes what it holds.
        return _file(dist / "assets", path["name"], "public, max-age=31536000, immutable")

    # In this order: the gateway takes the first pattern that matches.
    return {
        ("GET", CONSOLE_PATH.rstrip("/")): without_slash,
        ("GET", CONSOLE_PATH): index,
        ("GET", f"{CONSOLE_PATH}config.json"): config_json,
        ("GET", f"{CONSOLE_PATH}assets/{{name}}"): asset,
        ("GET", f"{CONSOLE_PATH}{{name}}"): top_level,
    }
