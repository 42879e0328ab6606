"""One outgoing webhook POST, safe to aim at a URL a customer chose.

The URL is checked when an endpoint is saved (`validate_url`) and again, with its host
resolved, at every delivery: a name may resolve elsewhere since. Delivery refuses the host if
ANY of its addresses is internal (loopback, private, link-local, metadata, ...), then connects
to a vetted address itself rather than letting http.client resolve the name a second time, which
a DNS-rebinding host could answer with an internal address. The Host header, SNI and the
certificate check still use the host name. Redirects are never followed (a 3xx is returned as a
status: following one would be a request to a URL nobody vetted), and every wait and read is
bounded so that a slow or chatty receiver cannot hold a delivery invocation.

Failures raise `DeliveryError` with a kind: `invalid_url`, `too_large`, `dns`,
`refused_address`, `connect` and `tls` (nothing was sent), then `timeout`, `dropped` and
`protocol` (the receiver may have seen the request). Details name no path, query or header.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

# Connecting, the TLS handshake included, across all of the host's addresses.
CONNECT_TIMEOUT_SECONDS = 3.0
# From the request's first byte to the response's last: one total, not per read, so a
# receiver trickling bytes cannot stretch it.
READ_TIMEOUT_SECONDS = 5.0
MAX_REQUEST_BYTES = 256 * 1024
# Enough for the status and an excerpt; the rest of a response is never read.
MAX_RESPONSE_BYTES = 4 * 1024
MAX_EXCERPT_CHARS = 256
MAX_URL_LENGTH = 2048
USER_AGENT = "tenx-email-webhooks/1"

# Covered by link-local and fc00::/7 already; named so that no change to those rules lets
# the instance metadata service through.
_METADATA = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
_CARRIER_GRADE_NAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_Address = tuple[socket.AddressFamily, tuple[Any, ...]]


class DeliveryError(Exception):
    """The POST did not get a status. `detail` is safe to store and show to the customer."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


class InvalidUrl(DeliveryError):
    """The URL may not be called; `reason` says why in plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__("invalid_url", reason)
        self.reason = reason


@dataclass(frozen=True)
class Response:
    status: int
    latency_ms: int
    body_excerpt: str  # at most MAX_EXCERPT_CHARS, undecodable bytes replaced


@dataclass(frozen=True)
class _Target:
    tls: bool
    host: str  # ASCII (IDNA); an IPv6 literal without brackets
    port: int
    path: str  # path and query; the fragment is never sent


def _refusal(address: IPAddress) -> str | None:
    """Why an address may not be called, in plain words (None: it may)."""
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv4 address inside an IPv6 one reaches that IPv4 address.
        embedded = address.ipv4_mapped or address.sixtofour
        if address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and (reason := _refusal(embedded)):
            return reason
    if address in _METADATA:
        return "the instance metadata service"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if isinstance(address, ipaddress.IPv4Address) and address in _CARRIER_GRADE_NAT:
        return "a carrier-grade NAT address"
    if address.is_private:
        return "a private address"
    if address.is_reserved:
        return "a reserved address"
    return None


def _target(url: str, allow_private: bool) -> _Target:
    if len(url) > MAX_URL_LENGTH:
        raise InvalidUrl(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if not url.isprintable() or any(char.isspace() for char in url):
        raise InvalidUrl("the URL contains spaces or control characters")
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise InvalidUrl("the URL must start with https://")
    if "@" in parts.netloc:
        raise InvalidUrl("the URL may not hold a user name or password")
    if not parts.hostname:
        raise InvalidUrl("the URL has no host")
    try:
        port = parts.port
        host = parts.hostname.encode("idna").decode("ascii")
    except ValueError:  # UnicodeError is one
        raise InvalidUrl("the URL's host or port is not valid") from None
    if port == 0:
        raise InvalidUrl("the URL's host or port is not valid")
    if not allow_private:
        try:
            literal = ipaddress.ip_address(host)
        except ValueError:  # a name: its addresses are checked each time it is resolved
            literal = None
        if literal is not None and (reason := _refusal(literal)):
            raise InvalidUrl(f"the host is {reason}")
    path = parts.path or "/"
    tls = parts.scheme == "https"
    port = port or (443 if tls else 80)
    return _Target(tls, host, port, f"{path}?{parts.query}" if parts.query else path)


def validate_url(url: str, *, allow_private: bool) -> str:
    """The URL unchanged if an endpoint may use it (static checks: its host is resolved only
    when delivering); raises InvalidUrl."""
    _target(url, allow_private)
    return url


def _resolve(target: _Target, allow_private: bool) -> list[_Address]:
    try:
        found = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except OSError:  # socket.gaierror is one
        raise DeliveryError("dns", f"{target.host} did not resolve") from None
    addresses: list[_Address] = [(family, sockaddr) for family, _, _, _, sockaddr in found]
    if not addresses:
        raise DeliveryError("dns", f"{target.host} has no address")
    if not allow_private:
        for _, sockaddr in addresses:
            if reason := _refusal(ipaddress.ip_address(sockaddr[0])):
                raise DeliveryError(
                    "refused_address", f"{target.host} resolves to {sockaddr[0]}, {reason}"
                )
    return addresses


def _connect(addresses: Sequence[_Address]) -> socket.socket:
    """A TCP connection to the first vetted address that answers, within the connect budget."""
    deadline = time.monotonic() + CONNECT_TIMEOUT_SECONDS
    failure = "no address was tried"
    for family, sockaddr in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            failure = f"no connection within {CONNECT_TIMEOUT_SECONDS:g} s"
            break
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(remaining)
        try:
            sock.connect(sockaddr)
        except OSError as error:
            sock.close()
            failure = f"{sockaddr[0]}: {error.strerror or type(error).__name__}"
            continue
        return sock
    raise DeliveryError("connect", failure)


@cache
def _tls_context() -> ssl.SSLContext:
    # Verifies the chain against the system's roots and the certificate against the host name.
    return ssl.create_default_context()


def _tls_failure(error: OSError) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"certificate not accepted: {error.verify_message}"
    if isinstance(error, ssl.SSLError):
        return f"handshake failed: {error.reason or type(error).__name__}"
    return f"handshake failed: {error.strerror or type(error).__name__}"


class _PinnedConnection(http.client.HTTPConnection):
    """http.client for the request and response, but connect() is ours: it dials the vetted
    addresses and never resolves the name again, and for https wraps the socket with the host
    name as SNI and as the name the certificate must hold. One class for both schemes: only
    the wrapping and the default port (which the Host header omits) differ."""

    def __init__(self, target: _Target, addresses: Sequence[_Address]) -> None:
        super().__init__(target.host, target.port)
        self.default_port = 443 if target.tls else 80
        self._tls = target.tls
        self._addresses = addresses

    def connect(self) -> None:
        sock = _connect(self._addresses)
        if self._tls:
            try:
                sock = _tls_context().wrap_socket(sock, server_hostname=self.host)
            except OSError as error:  # ssl.SSLError is one
                sock.close()
                raise DeliveryError("tls", _tls_failure(error)) from None
        self.sock = sock


def _exchange(
    connection: _PinnedConnection, path: str, data: bytes, headers: Mapping[str, str]
) -> tuple[int, bytes]:
    sock = connection.sock
    sock.settimeout(READ_TIMEOUT_SECONDS)  # a backstop: each wait alone is bounded too
    # Socket timeouts bound each read, not their sum; the total is enforced by shutting the
    # socket down from a timer, which ends whatever read or write is blocked.
    expired = threading.Event()

    def hang_up() -> None:
        expired.set()
        with suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)

    timer = threading.Timer(READ_TIMEOUT_SECONDS, hang_up)
    timer.start()
    try:
        sent = {**headers, "Content-Type": "application/json", "User-Agent": USER_AGENT}
        connection.request("POST", path, body=data, headers=sent)
        response = connection.getresponse()
        content = response.read(MAX_RESPONSE_BYTES)
    except (OSError, http.client.HTTPException) as error:
        if expired.is_set() or isinstance(error, TimeoutError):
            raise DeliveryError("timeout", _late()) from None
        if isinstance(error, OSError):  # http.client's RemoteDisconnected is one too
            raise DeliveryError(
                "dropped", f"the connection ended: {type(error).__name__}"
            ) from None
        raise DeliveryError("protocol", f"not an HTTP response: {type(error).__name__}") from None
    finally:
        timer.cancel()
    if expired.is_set():  # a body without a length ends at the cut without an error
        raise DeliveryError("timeout", _late())
    return response.status, content


def _late() -> str:
    return f"no complete response within {READ_TIMEOUT_SECONDS:g} s"


def post(
    url: str, body: str, headers: Mapping[str, str], *, allow_private: bool = False
) -> Response:
    """POST `body` (UTF-8 JSON) with `headers` to `url`; any status is a Response, never
    followed or raised. `allow_private` (the local stage only) permits http and internal
    addresses."""
    data = body.encode()
    if len(data) > MAX_REQUEST_BYTES:
        raise DeliveryError(
            "too_large", f"the body is {len(data)} bytes, more than {MAX_REQUEST_BYTES}"
        )
    target = _target(url, allow_private)
    connection = _PinnedConnection(target, _resolve(target, allow_private))
    started = time.monotonic()
    try:
        connection.connect()
        status, content = _exchange(connection, target.path, data, headers)
    finally:
        connection.close()
    return Response(
        status=status,
        latency_ms=round((time.monotonic() - started) * 1000),
        body_excerpt=content.decode("utf-8", errors="replace")[:MAX_EXCERPT_CHARS],
    )
