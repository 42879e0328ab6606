"""The outgoing webhook POST against a local HTTP server: what arrives, what comes back, the
bounds, and the addresses it refuses (the DNS answers are faked: there is no DNS here)."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tenx_email.adapters import webhook_http
from tenx_email.adapters.webhook_http import DeliveryError, InvalidUrl, post, validate_url

HOST = "hooks.example.com"


@dataclass
class Answer:
    status: int = 200
    body: bytes = b'{"ok":true}'
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # Stream the body, with no length, until the client hangs up: 64 KiB at a time without
    # pause, or one byte every `drip` seconds
    endless: bool = False
    drip: float | None = None


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.answer = Answer()
        self.received: list[Received] = []
        self.hung_up = threading.Event()
        self.server_names: list[str | None] = []  # SNI, as TLS handshakes saw it
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                body = self.rfile.read(length)
                receiver.received.append(Received(self.path, dict(self.headers), body))
                answer = receiver.answer
                time.sleep(answer.delay)
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    if answer.endless:
                        self.send_header("Connection", "close")
                        self.end_headers()
                        while True:
                            self.wfile.write(b"x" if answer.drip else b"x" * 65536)
                            time.sleep(answer.drip or 0)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except OSError:  # the client hung up, as it should on a slow or long answer
                    receiver.hung_up.set()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        if tls is not None:
            tls.sni_callback = lambda _sock, name, _context: self.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)

    def serve(self) -> Iterator[Receiver]:
        thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        yield self
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from Receiver().serve()


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for HOST, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def tls_receiver(certificate: tuple[Path, Path]) -> Iterator[Receiver]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    yield from Receiver(context).serve()


@pytest.fixture
def trusting(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The client trusts the test certificate (and nothing else), checking names as ever."""
    context = ssl.create_default_context(cafile=certificate[0])
    monkeypatch.setattr(webhook_http, "_tls_context", lambda: context)


@dataclass
class FakeDns:
    answers: dict[str, list[str]] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDns:
    """A resolver for the names in `answers`, recording each lookup; others resolve as ever."""
    fake = FakeDns()
    real = socket.getaddrinfo

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in fake.answers:
            return real(host, port, *args, **kwargs)
        fake.lookups.append(host)
        return [
            (
                socket.AF_INET6 if ":" in ip else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (ip, port, 0, 0) if ":" in ip else (ip, port),
            )
            for ip in fake.answers[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return fake


@pytest.fixture
def no_connect(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Records any attempt to open a connection (there must be none)."""
    attempts: list[object] = []
    monkeypatch.setattr(webhook_http, "_connect", attempts.append)
    return attempts


def test_the_post_arrives_with_the_body_and_headers(receiver: Receiver) -> None:
    body = '{"type":"email.sent","to":"zoë@example.com"}'
    response = post(receiver.url("/hook?k=1"), body, {"webhook-id": "msg_1"}, allow_private=True)
    assert response.status == 200
    assert response.body_excerpt == '{"ok":true}'
    assert response.latency_ms >= 0
    [received] = receiver.received
    assert received.path == "/hook?k=1"
    assert received.body == body.encode()
    assert received.headers["webhook-id"] == "msg_1"
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["User-Agent"] == "tenx-email-webhooks/1"
    assert received.headers["Host"] == f"127.0.0.1:{receiver.port}"


def test_an_error_status_is_returned_not_raised(receiver: Receiver) -> None:
    receiver.answer = Answer(status=500, body=b"boom")
    response = post(receiver.url(), "{}", {}, allow_private=True)
    assert (response.status, response.body_excerpt) == (500, "boom")


def test_a_redirect_is_not_followed(receiver: Receiver) -> None:
    receiver.answer = Answer(status=302, body=b"", headers={"Location": receiver.url("/other")})
    response = post(receiver.url(), "{}", {}, allow_private=True)
    assert response.status == 302
    assert [r.path for r in receiver.received] == ["/hook"]


def test_a_slow_receiver_times_out(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook_http, "READ_TIMEOUT_SECONDS", 0.3)
    receiver.answer = Answer(delay=3.0)
    started = time.monotonic()
    with pytest.raises(DeliveryError) as raised:
        post(receiver.url(), "{}", {}, allow_private=True)
    assert raised.value.kind == "timeout"
    assert time.monotonic() - started < 2.5


def test_a_trickling_body_is_cut_at_the_total_read_time(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a receiver that answers at once, then sends its body a byte every 50 ms: each
    # read is quick, the 4 KiB would take minutes
    monkeypatch.setattr(webhook_http, "READ_TIMEOUT_SECONDS", 0.3)
    receiver.answer = Answer(endless=True, drip=0.05)
    started = time.monotonic()
    with pytest.raises(DeliveryError) as raised:
        post(receiver.url(), "{}", {}, allow_private=True)
    assert raised.value.kind == "timeout"
    assert time.monotonic() - started < 2.5


def test_a_large_response_is_read_only_up_to_the_limit(receiver: Receiver) -> None:
    # An endless body: reading it all would run into the read timeout instead of returning
    receiver.answer = Answer(endless=True)
    response = post(receiver.url(), "{}", {}, allow_private=True)
    assert response.status == 200
    assert response.body_excerpt == "x" * 256
    assert receiver.hung_up.wait(timeout=5)


def test_a_body_over_256_kb_is_refused_before_anything_is_sent(receiver: Receiver) -> None:
    with pytest.raises(DeliveryError) as raised:
        post(receiver.url(), '"' + "a" * 256 * 1024 + '"', {}, allow_private=True)
    assert raised.value.kind == "too_large"
    assert receiver.received == []


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "::1", "10.0.0.1", "169.254.169.254", "100.64.0.1", "::ffff:10.0.0.1"]
)
def test_a_host_resolving_to_an_internal_address_is_refused_without_connecting(
    address: str, dns: FakeDns, no_connect: list[object]
) -> None:
    dns.answers[HOST] = [address]
    with pytest.raises(DeliveryError) as raised:
        post(f"https://{HOST}/x", "{}", {})
    assert raised.value.kind == "refused_address"
    assert address in raised.value.detail
    assert no_connect == []


def test_one_internal_address_among_public_ones_refuses_the_host(
    dns: FakeDns, no_connect: list[object]
) -> None:
    dns.answers[HOST] = ["93.184.215.14", "192.168.1.20"]
    with pytest.raises(DeliveryError) as raised:
        post(f"https://{HOST}/x", "{}", {})
    assert raised.value.kind == "refused_address"
    assert "192.168.1.20, a private address" in raised.value.detail
    assert no_connect == []


def test_the_vetted_address_is_dialled_and_the_name_kept_in_host(
    receiver: Receiver, dns: FakeDns
) -> None:
    # Given a name resolving to the local receiver (the local stage allows that)
    dns.answers[HOST] = ["127.0.0.1"]
    response = post(f"http://{HOST}:{receiver.port}/x", "{}", {}, allow_private=True)
    # Then it was looked up once, the connection went to that address, and Host names the host
    assert response.status == 200
    assert dns.lookups == [HOST]
    assert receiver.received[0].headers["Host"] == f"{HOST}:{receiver.port}"


def test_a_name_that_does_not_resolve_is_a_dns_failure(dns: FakeDns) -> None:
    dns.answers["nowhere.invalid"] = []
    with pytest.raises(DeliveryError) as raised:
        post("https://nowhere.invalid/x", "{}", {})
    assert raised.value.kind == "dns"


def test_nothing_listening_is_a_connect_failure() -> None:
    with socket.socket() as probe:  # a port just free, so nothing listens on it
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DeliveryError) as raised:
        post(f"http://127.0.0.1:{port}/x", "{}", {}, allow_private=True)
    assert raised.value.kind == "connect"


@pytest.mark.usefixtures("trusting")
def test_https_pins_the_address_but_names_the_host_in_sni_and_host(
    tls_receiver: Receiver, dns: FakeDns
) -> None:
    dns.answers[HOST] = ["127.0.0.1"]
    response = post(f"https://{HOST}:{tls_receiver.port}/x", "{}", {}, allow_private=True)
    assert response.status == 200
    assert tls_receiver.server_names == [HOST]
    assert tls_receiver.received[0].headers["Host"] == f"{HOST}:{tls_receiver.port}"


def test_an_untrusted_certificate_fails_as_tls(tls_receiver: Receiver, dns: FakeDns) -> None:
    dns.answers[HOST] = ["127.0.0.1"]
    with pytest.raises(DeliveryError, match="certificate not accepted") as raised:
        post(f"https://{HOST}:{tls_receiver.port}/x", "{}", {}, allow_private=True)
    assert raised.value.kind == "tls"
    assert tls_receiver.received == []


@pytest.mark.usefixtures("trusting")
def test_a_certificate_for_another_name_fails_as_tls(tls_receiver: Receiver, dns: FakeDns) -> None:
    # Given a trusted certificate for HOST, served for a name it does not cover
    dns.answers["other.example.com"] = ["127.0.0.1"]
    with pytest.raises(DeliveryError, match="certificate not accepted") as raised:
        post(f"https://other.example.com:{tls_receiver.port}/x", "{}", {}, allow_private=True)
    assert raised.value.kind == "tls"
    assert "other.example.com" in raised.value.detail
    assert tls_receiver.received == []


def test_https_to_a_plain_http_server_fails_as_tls(receiver: Receiver) -> None:
    with pytest.raises(DeliveryError) as raised:
        post(f"https://127.0.0.1:{receiver.port}/x", "{}", {}, allow_private=True)
    assert raised.value.kind == "tls"
    assert receiver.received == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hooks.example.com/x", "https://"),
        ("ftp://hooks.example.com/x", "https://"),
        ("https://user:pw@hooks.example.com/x", "user name or password"),
        ("https:///x", "no host"),
        ("https://10.0.0.1/x", "private address"),
        ("https://127.0.0.1:8443/x", "loopback address"),
        ("https://169.254.169.254/latest/meta-data", "instance metadata"),
        ("https://[::ffff:10.0.0.1]/x", "private address"),
        ("https://[fd00:ec2::254]/x", "instance metadata"),
        ("https://100.64.0.1/x", "carrier-grade NAT"),
        ("https://hooks.example.com/" + "a" * 2048, "longer than 2048"),
        ("https://hooks.example.com/a b", "spaces or control characters"),
        ("https://hooks.example.com:99999/x", "not valid"),
        ("https://hooks.example.com:0/x", "not valid"),
        ("https://bad..example.com/x", "not valid"),
    ],
)
def test_validate_url_refuses(url: str, reason: str) -> None:
    with pytest.raises(InvalidUrl, match=reason) as raised:
        validate_url(url, allow_private=False)
    assert raised.value.kind == "invalid_url"


def test_validate_url_accepts_a_public_https_url() -> None:
    url = "https://hooks.example.com/x?y=1"
    assert validate_url(url, allow_private=False) == url
    assert validate_url("https://hooks.example.com:8443/x", allow_private=False)


def test_the_local_stage_may_use_http_to_loopback() -> None:
    url = "http://127.0.0.1:4000/hook"
    assert validate_url(url, allow_private=True) == url
    with pytest.raises(InvalidUrl, match="user name"):
        validate_url("http://a:b@127.0.0.1/x", allow_private=True)
