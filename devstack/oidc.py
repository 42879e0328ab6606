"""The local identity provider's OpenID Connect face, for the web console's sign-in: discovery,
an authorize page where the developer picks a demo user, and a token endpoint for the
authorization code flow with PKCE (S256 only). One public client is registered, the console
served by this stack; its codes are single-use and live 60 seconds.

Anything odd is refused with a 400 in words (a page for the authorize endpoint, OAuth's
`{"error", "error_description"}` for the token endpoint), never a 500. Neither codes nor
tokens are logged."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlencode, urlsplit

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from devstack import seed
from devstack.gateway import LocalHandler
from devstack.idp import TOKEN_LIFETIME_SECONDS, LocalIdentityProvider
from devstack.mail_page import html_page

CLIENT_ID = "tenx-console-local"
CONSOLE_PATH = "/console/"
CODE_LIFETIME_SECONDS = 60
# RFC 7636: a verifier is 43-128 unreserved characters; an S256 challenge is 43 of base64url.
_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")
# state and nonce are opaque to us: printable ASCII, bounded.
_OPAQUE = re.compile(r"[\x21-\x7e]{1,512}")
PAGE_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# Who each demo user is, for the sign-in page.
_WHO = {
    "OWNER": f"owner of {seed.HANDLE}",
    "OPERATOR": f"operator of {seed.HANDLE}",
    "CREATOR": f"creator on {seed.HANDLE}",
    "OUTSIDER": f"operator of {seed.OUTSIDE_HANDLE}, no access to {seed.HANDLE}",
}


class Refused(Exception):
    """A request the endpoint will not serve: its OAuth error code and why, in words."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class AuthorizationRequest:
    redirect_uri: str
    state: str
    code_challenge: str
    nonce: str | None


@dataclass(frozen=True)
class Grant:
    sub: str
    request: AuthorizationRequest
    expires_at: float


def _optional(params: MultiDict[str, str], name: str) -> str | None:
    values = params.getlist(name)
    if len(values) > 1:  # RFC 6749 3.1: no parameter may be sent more than once
        raise Refused("invalid_request", f"{name} was sent more than once")
    return values[0] if values and values[0] else None


def _required(params: MultiDict[str, str], name: str) -> str:
    value = _optional(params, name)
    if value is None:
        raise Refused("invalid_request", f"{name} is missing")
    return value


def s256(verifier: str) -> str:
    """RFC 7636's S256 code challenge of a verifier."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class LocalOidc:
    def __init__(
        self, idp: LocalIdentityProvider, api_base: str, now: Callable[[], float] = time.time
    ) -> None:
        self._idp, self._api_base, self._now = idp, api_base, now
        self._grants: dict[str, Grant] = {}
        self._lock = threading.Lock()  # the gateway serves requests on many threads
        issuer_path = urlsplit(idp.issuer).path
        self.discovery_path = f"{issuer_path}/.well-known/openid-configuration"
        self.authorize_path = f"{issuer_path}/authorize"
        self.token_path = f"{issuer_path}/token"

    def endpoints(self) -> dict[tuple[str, str], LocalHandler]:
        return {
            ("GET", self.discovery_path): self.discovery,
            ("GET", self.authorize_path): self.authorize_page,
            ("POST", self.authorize_path): self.authorize,
            ("POST", self.token_path): self.token,
        }

    def discovery(self, _: Request, __: Mapping[str, str]) -> Response:
        document = {
            "issuer": self._idp.issuer,
            "authorization_endpoint": self._api_base + self.authorize_path,
            "token_endpoint": self._api_base + self.token_path,
            "jwks_uri": f"{self._api_base}/.well-known/jwks.json",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid"],
            "token_endpoint_auth_methods_supported": ["none"],
            "code_challenge_methods_supported": ["S256"],
        }
        return Response(json.dumps(document), content_type="application/json")

    def _check_redirect_uri(self, redirect_uri: str) -> None:
        """Only this stack's console: same scheme, host and port, a path under /console/ with
        no dot segments (a browser would resolve them elsewhere), no fragment."""
        ours, theirs = urlsplit(self._api_base), urlsplit(redirect_uri)
        segments = theirs.path.split("/")
        if (
            (theirs.scheme, theirs.netloc) != (ours.scheme, ours.netloc)
            or not theirs.path.startswith(CONSOLE_PATH)
            or "." in segments
            or ".." in segments
            or "\\" in redirect_uri
            or theirs.fragment
        ):
            raise Refused(
                "invalid_request",
                f"redirect_uri must be under {self._api_base}{CONSOLE_PATH}, not {redirect_uri!r}",
            )

    def _authorization_request(self, params: MultiDict[str, str]) -> AuthorizationRequest:
        if _required(params, "client_id") != CLIENT_ID:
            raise Refused("unauthorized_client", f"the only client registered is {CLIENT_ID}")
        redirect_uri = _required(params, "redirect_uri")
        self._check_redirect_uri(redirect_uri)
        if _required(params, "response_type") != "code":
            raise Refused("unsupported_response_type", "response_type must be code")
        if "openid" not in _required(params, "scope").split():
            raise Refused("invalid_scope", "scope must include openid")
        if _required(params, "code_challenge_method") != "S256":
            raise Refused("invalid_request", "PKCE is required: code_challenge_method=S256")
        challenge = _required(params, "code_challenge")
        if not _CHALLENGE.fullmatch(challenge):
            raise Refused("invalid_request", "code_challenge must be 43 base64url characters")
        state = _required(params, "state")
        nonce = _optional(params, "nonce")
        for name, value in (("state", state), ("nonce", nonce)):
            if value is not None and not _OPAQUE.fullmatch(value):
                raise Refused("invalid_request", f"{name} must be 1-512 printable characters")
        return AuthorizationRequest(redirect_uri, state, challenge, nonce)

    def authorize_page(self, request: Request, _: Mapping[str, str]) -> Response:
        try:
            wanted = self._authorization_request(request.args)
        except Refused as refused:
            return _refusal_page(refused)
        return _page(_sign_in_page(self.authorize_path, request.args, wanted))

    def authorize(self, request: Request, _: Mapping[str, str]) -> Response:
        """The chosen user: a code for them, sent back to the console."""
        try:
            wanted = self._authorization_request(request.form)
            role = _required(request.form, "user")
            if role not in seed.USERS:
                raise Refused("invalid_request", f"user must be one of {', '.join(seed.USERS)}")
        except Refused as refused:
            return _refusal_page(refused)
        code = secrets.token_urlsafe(32)
        with self._lock:
            now = self._now()
            self._grants = {c: g for c, g in self._grants.items() if g.expires_at > now}
            self._grants[code] = Grant(seed.USERS[role], wanted, now + CODE_LIFETIME_SECONDS)
        query = urlencode({"code": code, "state": wanted.state})
        separator = "&" if "?" in wanted.redirect_uri else "?"
        # 303: the browser follows with a GET, as a redirect after a form post should.
        return Response(status=303, headers={"Location": wanted.redirect_uri + separator + query})

    def token(self, request: Request, _: Mapping[str, str]) -> Response:
        try:
            document = self._exchange(request)
        except Refused as refused:
            error = {"error": refused.error, "error_description": refused.description}
            return _token_response(error, 400)
        return _token_response(document, 200)

    def _exchange(self, request: Request) -> dict[str, Any]:
        if request.mimetype != "application/x-www-form-urlencoded":
            raise Refused("invalid_request", "send the form as application/x-www-form-urlencoded")
        form = request.form
        if _required(form, "grant_type") != "authorization_code":
            raise Refused("unsupported_grant_type", "grant_type must be authorization_code")
        client_id = _required(form, "client_id")
        if client_id != CLIENT_ID:
            raise Refused("invalid_client", f"the only client registered is {CLIENT_ID}")
        code = _required(form, "code")
        redirect_uri = _required(form, "redirect_uri")
        self._check_redirect_uri(redirect_uri)
        verifier = _required(form, "code_verifier")
        if not _VERIFIER.fullmatch(verifier):
            raise Refused("invalid_request", "code_verifier must be 43-128 unreserved characters")
        with self._lock:
            # Taken whatever follows: a code is presented once, so a wrong verifier cannot be
            # retried against it.
            grant = self._grants.pop(code, None)
        if grant is None:
            raise Refused("invalid_grant", "the code is unknown or was already used")
        if self._now() >= grant.expires_at:
            raise Refused("invalid_grant", f"the code expired ({CODE_LIFETIME_SECONDS} s)")
        if redirect_uri != grant.request.redirect_uri:
            raise Refused("invalid_grant", "redirect_uri differs from the authorization request's")
        if not hmac.compare_digest(s256(verifier), grant.request.code_challenge):
            raise Refused("invalid_grant", "code_verifier does not match the code_challenge")
        return {
            "access_token": self._idp.mint(grant.sub),
            "id_token": self._idp.id_token(grant.sub, CLIENT_ID, grant.request.nonce),
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECONDS,
            "scope": "openid",
        }


def _token_response(document: dict[str, Any], status: int) -> Response:
    response = Response(json.dumps(document), status=status, content_type="application/json")
    response.headers["Cache-Control"] = "no-store"  # RFC 6749 5.1: tokens are not cached
    return response


def _page(page: str, status: int = 200) -> Response:
    response = Response(page, status=status, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = PAGE_SECURITY_POLICY
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _refusal_page(refused: Refused) -> Response:
    title = "Sign-in refused"
    body = (
        f'<main><h1>{title}</h1><p role="alert">The local identity provider refused this '
        f"sign-in request ({escape(refused.error)}): {escape(refused.description)}.</p></main>"
    )
    return _page(html_page(title, body), 400)


def _sign_in_page(action: str, params: MultiDict[str, str], wanted: AuthorizationRequest) -> str:
    carried = {
        "client_id": CLIENT_ID,
        "redirect_uri": wanted.redirect_uri,
        "response_type": "code",
        "scope": str(params.get("scope")),
        "code_challenge": wanted.code_challenge,
        "code_challenge_method": "S256",
        "state": wanted.state,
        **({"nonce": wanted.nonce} if wanted.nonce else {}),
    }
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{escape(value)}">'
        for name, value in carried.items()
    )
    choices = "".join(
        f'<li><button type="submit" name="user" value="{role}" aria-describedby="who-{role}">'
        f'Sign in as {role}</button> <span id="who-{role}">{escape(sub)}: '
        f"{escape(_WHO[role])}</span></li>"
        for role, sub in seed.USERS.items()
    )
    return html_page(
        "Sign in (local identity provider)",
        "<main><h1>Sign in to the tenx-email console</h1>"
        "<p>This is the local stack's identity provider: pick a demo user. There is no "
        "password; it runs only on this machine.</p>"
        f'<form method="post" action="{escape(action)}">{hidden}<ul>{choices}</ul></form></main>',
    )
