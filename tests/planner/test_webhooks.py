"""The SSRF-safe webhook client: what check_url refuses and why, and how post connects.

No DNS server and no internet: `dns` answers for the names below, IP
literals (in every spelling getaddrinfo takes) and localhost resolve as
usual, anything else fails. Every connection goes to a local server.
"""

from __future__ import annotations

import functools
import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from planner import webhooks
from planner.core import PlanInputError
from planner.webhooks import WebhookFailed, WebhookRefused, check_url, post

PUBLIC = "93.184.215.14"
REAL_GETADDRINFO = socket.getaddrinfo
BODY = b'{"kind": "daily_agenda"}'
HEADERS = {"Content-Type": "application/json", "X-Prepgraph-Signature": "sha256=abc"}


class FakeDNS:
    """getaddrinfo for tests; `lookups` lists every name asked for."""

    def __init__(self) -> None:
        self.names: dict[str, list[str]] = {
            "public.example.test": [PUBLIC],
            "internal.example.test": ["10.0.0.5"],
            "mixed.example.test": [PUBLIC, "10.0.0.5"],
        }
        self.lookups: list[str] = []

    def getaddrinfo(self, host: str, port: Any, *args: Any, **kwargs: Any) -> list[tuple]:
        self.lookups.append(host)
        if host in self.names:
            return [answer(address, port) for address in self.names[host]]
        if host == "localhost":  # from /etc/hosts
            return REAL_GETADDRINFO(host, port, type=socket.SOCK_STREAM)
        return REAL_GETADDRINFO(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)


def answer(address: str, port: int) -> tuple:
    if ipaddress.ip_address(address).version == 4:
        return (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))
    return (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port, 0, 0))


@pytest.fixture(autouse=True)
def dns(monkeypatch) -> FakeDNS:
    fake = FakeDNS()
    monkeypatch.setattr(webhooks.socket, "getaddrinfo", fake.getaddrinfo)
    return fake


@pytest.fixture
def allow(settings):
    def set_allowed(*entries: str) -> None:
        settings.REMINDER_WEBHOOK_ALLOWED_HOSTS = list(entries)

    return set_allowed


def refusal(url: str) -> str:
    with pytest.raises(WebhookRefused) as caught:
        check_url(url)
    return str(caught.value)


# --- save time: refused ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://127.0.0.1:6379/", "127.0.0.1 is a loopback address"),
        ("https://localhost/hook", "'localhost' resolves to 127.0.0.1, a loopback address"),
        ("http://[::1]/", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/", "a loopback address (the IPv6 form of 127.0.0.1)"),
        ("http://[::ffff:169.254.169.254]/", "a link-local address"),
        ("http://[::127.0.0.1]/", "a loopback address (the IPv6 form of 127.0.0.1)"),
        ("http://[2002:7f00:1::]/", "a loopback address (the IPv6 form of 127.0.0.1)"),
        ("http://[64:ff9b::a00:1]/", "a private address (the IPv6 form of 10.0.0.1)"),
        ("http://0.0.0.0:8000/", "0.0.0.0 is an unspecified address"),
        ("http://[::]/", ":: is an unspecified address"),
        ("http://10.1.2.3/", "10.1.2.3 is a private address"),
        ("http://172.16.0.1/", "172.16.0.1 is a private address"),
        ("http://192.168.1.1/", "192.168.1.1 is a private address"),
        ("http://100.64.0.1/", "100.64.0.1 is in the shared address space"),
        ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
        ("http://240.0.0.1/", "240.0.0.1 is a reserved address"),
        ("http://[fe80::1]/", "fe80::1 is a link-local address"),
        ("http://[fd00::1]/", "fd00::1 is a private address"),
        ("http://[fec0::1]/", "fec0::1 is a site-local address"),
        ("http://[2001:db8::1]/", "2001:db8::1 is a private address"),
        ("https://2130706433/", "'2130706433' resolves to 127.0.0.1, a loopback address"),
        ("https://0x7f.1/", "'0x7f.1' resolves to 127.0.0.1, a loopback address"),
        ("https://127.1/", "'127.1' resolves to 127.0.0.1, a loopback address"),
        ("https://0177.0.0.1/", "'0177.0.0.1' resolves to 127.0.0.1, a loopback address"),
        ("https://internal.example.test/", "resolves to 10.0.0.5, a private address"),
        ("https://mixed.example.test/", "'mixed.example.test' resolves to 10.0.0.5, a private"),
        ("https://nowhere.example.test/", "cannot resolve host 'nowhere.example.test'"),
        ("http://nowhere.example.test/", "must use https"),
        ("http://internal.example.test/", "must use https"),
        ("ftp://public.example.test/", "must be an https:// URL"),
        ("file:///etc/passwd", "must be an https:// URL"),
        ("gopher://127.0.0.1:6379/_INFO", "must be an https:// URL"),
        ("javascript:alert(1)", "must be an https:// URL"),
        ("public.example.test/hook", "must be an https:// URL"),
        ("http:///hook", "has no host"),
        ("https://:443/hook", "has no host"),
        ("http://user:pass@public.example.test/", "must not contain a user name or password"),
        ("http://token@public.example.test/", "must not contain a user name or password"),
        ("http://public.example .test/", "whitespace or control characters"),
        (" http://public.example.test/", "whitespace or control characters"),
        ("http://public.example.test/\r\nX-Injected: 1", "whitespace or control characters"),
        ("http://public.example.test/\x00", "whitespace or control characters"),
        ("http://[::1/", "is not a valid URL"),
        ("http://public.example.test:99999/", "is not a valid URL"),
        ("http://public.example.test/" + "a" * 500, "is longer than 500 characters"),
    ],
)
def test_check_url_refuses_and_says_why(url, reason):
    message = refusal(url)
    assert message.startswith("webhook_url: ")
    assert reason in message


def test_refusal_is_a_plan_input_error_on_the_webhook_url_field():
    with pytest.raises(PlanInputError) as caught:
        check_url("http://127.0.0.1:6379/")
    assert caught.value.field == "webhook_url"
    assert str(caught.value) == (
        "webhook_url: 127.0.0.1 is a loopback address; reminders are only sent to public hosts"
    )


# --- save time: accepted --------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"https://{PUBLIC}/hook",
        "https://public.example.test/hook?team=ml",
        "HTTPS://Public.Example.Test:8443/hook",
        "https://[2606:4700:4700::1111]/hook",
        "https://[::ffff:93.184.215.14]/hook",
    ],
)
def test_check_url_accepts_public_hosts(url):
    assert check_url(url) is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (f"http://{PUBLIC}/hook", "must use https"),
        ("http://public.example.test:8443/hook", "must use https"),
        (f"https://{PUBLIC}:25/", "port 25 is a well-known service's; use 443 or 1024 and up"),
        ("https://public.example.test:587/", "port 587"),
    ],
)
def test_a_public_receiver_needs_https_on_443_or_an_unprivileged_port(url, message):
    """The body carries links that act on the plan; and no POSTs to mail or database ports."""
    with pytest.raises(WebhookRefused, match=message):
        check_url(url)


def test_plain_http_to_a_name_is_refused_before_any_dns_query(dns):
    """Whatever the name resolves to, or whether it does, http:// is the thing to fix."""
    for host in ("example.com", "public.example.test", "nowhere.example.test"):
        assert "must use https" in refusal(f"http://{host}/hook")
    assert dns.lookups == []


def test_an_ip_literal_on_plain_http_is_still_judged_by_its_address(dns):
    assert "127.0.0.1 is a loopback address" in refusal("http://127.0.0.1:6379/")
    assert "must use https" in refusal(f"http://{PUBLIC}/hook")


def test_with_networks_allowlisted_a_name_on_http_is_resolved_first(allow, dns):
    """It may resolve into a listed network, where plain http is fine."""
    allow("10.0.0.0/8")
    check_url("http://internal.example.test/hook")
    assert "must use https" in refusal("http://public.example.test/hook")
    assert dns.lookups == ["internal.example.test", "public.example.test"]


def test_an_allowlisted_internal_receiver_keeps_its_scheme_and_port(allow):
    allow("10.0.0.0/8")
    assert check_url("http://10.1.2.3:25/hook") is None


# --- the allowlist --------------------------------------------------------------------------


@pytest.mark.parametrize("entry", ["internal.example.test", "Internal.Example.Test", "10.0.0.5"])
def test_an_allowlist_entry_lets_an_internal_receiver_in(allow, entry):
    allow(entry)
    check_url("http://internal.example.test/hook")


def test_a_cidr_entry_allows_every_address_inside_it(allow):
    allow("10.0.0.0/8", "fd00::/8")
    check_url("http://internal.example.test/hook")
    check_url("http://10.200.0.1/hook")
    check_url("http://[fd00::1]/hook")
    check_url("http://[::ffff:10.0.0.9]/hook")


def test_entries_that_do_not_cover_the_target_leave_it_refused(allow):
    allow("other.example.test", "10.0.0.6", "192.168.0.0/16")
    assert "10.0.0.5, a private address" in refusal("http://internal.example.test/")


def test_every_resolved_address_must_be_public_or_allowed(allow, dns):
    dns.names["internal.example.test"] = ["10.0.0.5", "172.16.0.9"]
    allow("10.0.0.0/8")
    assert "172.16.0.9, a private address" in refusal("http://internal.example.test/")


def test_an_allowed_name_is_not_resolved_at_save_time(allow, dns):
    allow("receiver.internal")
    check_url("http://receiver.internal:8080/hook")
    assert dns.lookups == []


def test_a_mistyped_network_in_the_allowlist_is_a_configuration_error(allow):
    allow("10.0.0.0/33")
    with pytest.raises(ImproperlyConfigured, match=r"10\.0\.0\.0/33"):
        check_url(f"http://{PUBLIC}/")


# --- send time ------------------------------------------------------------------------------


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: bytes


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self.server.seen.append(Seen(self.path, dict(self.headers), self.rfile.read(length)))
        if self.server.stall:
            self.server.release.wait(10)
        if self.server.drip:  # a status line, then a header line now and then, never the end
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            for number in range(40):
                if self.server.release.wait(0.2):
                    return
                try:
                    self.wfile.write(f"X-Drip-{number}: 1\r\n".encode())
                    self.wfile.flush()
                except OSError:
                    return
            return
        self.send_response(self.server.status)
        if self.server.location:
            self.send_header("Location", self.server.location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


class Receiver(ThreadingHTTPServer):
    """A local webhook receiver that answers `status` and records what it was sent."""

    daemon_threads = True

    def __init__(
        self, status: int = 200, location: str = "", stall: bool = False, drip: bool = False
    ) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.status, self.location, self.stall, self.drip = status, location, stall, drip
        self.seen: list[Seen] = []
        self.release = threading.Event()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def url(self, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}/hook?id=7"


@pytest.fixture
def receiver():
    started: list[Receiver] = []

    def start(**options: Any) -> Receiver:
        server = Receiver(**options)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.release.set()
        server.shutdown()
        server.server_close()


def failure(url: str, timeout: float = 2) -> str:
    with pytest.raises(WebhookFailed) as caught:
        post(url, BODY, HEADERS, timeout=timeout)
    return str(caught.value)


def test_post_delivers_body_and_headers_and_returns_the_status(allow, receiver):
    allow("127.0.0.1")
    server = receiver(status=202)
    assert post(server.url(), BODY, HEADERS, timeout=2) == 202
    [seen] = server.seen
    assert (seen.path, seen.body) == ("/hook?id=7", BODY)
    assert seen.headers["Host"] == f"127.0.0.1:{server.port}"
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["X-Prepgraph-Signature"] == "sha256=abc"


def test_a_server_error_is_a_failure(allow, receiver):
    allow("127.0.0.1")
    server = receiver(status=500)
    assert failure(server.url()) == "webhook answered 500"


def test_redirects_are_not_followed(allow, receiver):
    allow("127.0.0.1")
    target = receiver()
    server = receiver(status=302, location=target.url())
    assert failure(server.url()) == "webhook answered 302; redirects are not followed"
    assert len(server.seen) == 1
    assert target.seen == []


def test_a_receiver_slower_than_the_timeout_fails_quickly(allow, receiver):
    allow("127.0.0.1")
    server = receiver(stall=True)
    started = time.monotonic()
    assert failure(server.url(), timeout=0.3) == "webhook did not answer within 0.3 s"
    assert time.monotonic() - started < 2


def test_a_receiver_that_drips_its_headers_is_cut_off_at_the_deadline(allow, receiver):
    """Each header line arrives within the timeout; the request as a whole does not."""
    allow("127.0.0.1")
    server = receiver(drip=True)
    started = time.monotonic()
    assert failure(server.url(), timeout=1) == "webhook did not answer within 1 s"
    assert time.monotonic() - started < 2


def test_a_closed_port_is_unreachable(allow):
    allow("127.0.0.1")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert failure(f"http://127.0.0.1:{port}/").startswith("webhook unreachable: ")


def test_post_refuses_what_check_url_refuses(receiver):
    server = receiver()
    assert failure(server.url()) == (
        "webhook not sent: 127.0.0.1 is a loopback address; reminders are only sent to public hosts"
    )
    assert failure("https://nowhere.example.test/") == (
        "webhook not sent: cannot resolve host 'nowhere.example.test'"
    )
    assert failure("http://nowhere.example.test/") == (
        "webhook not sent: must use https (reminders carry links that act on your plan)"
    )
    assert server.seen == []


def test_a_name_that_rebinds_to_loopback_after_saving_is_not_posted_to(dns, receiver):
    server = receiver()
    dns.names["hooks.example.test"] = [PUBLIC]
    check_url(server.url("hooks.example.test").replace("http://", "https://", 1))
    dns.names["hooks.example.test"] = ["127.0.0.1"]  # the attacker's DNS answers anew
    assert "'hooks.example.test' resolves to 127.0.0.1, a loopback address" in failure(
        server.url("hooks.example.test", scheme="https")
    )
    assert server.seen == []


def test_the_connection_goes_to_the_vetted_address_with_the_url_host_in_host(allow, dns, receiver):
    allow("127.0.0.1")
    dns.names["hooks.example.test"] = ["127.0.0.1"]
    server = receiver()
    assert post(server.url("hooks.example.test"), BODY, HEADERS, timeout=2) == 200
    assert server.seen[0].headers["Host"] == f"hooks.example.test:{server.port}"
    assert dns.lookups == ["hooks.example.test"]  # resolved once: the socket used that answer


def test_the_next_vetted_address_is_tried_when_one_refuses(allow, dns, receiver):
    allow("127.0.0.0/8")
    dns.names["hooks.example.test"] = ["127.0.0.2", "127.0.0.1"]  # nothing listens on .2
    server = receiver()
    assert post(server.url("hooks.example.test"), BODY, HEADERS, timeout=2) == 200
    assert len(server.seen) == 1


# --- HTTPS ----------------------------------------------------------------------------------


def test_https_sends_the_url_host_as_sni_to_the_pinned_address(allow, dns):
    """A plain TCP listener: the TLS handshake fails, but its ClientHello names the URL host."""
    allow("127.0.0.1")
    dns.names["hooks.example.test"] = ["127.0.0.1"]
    hello: list[bytes] = []
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(5)

        def take_hello() -> None:
            connection, _ = listener.accept()
            with connection:
                hello.append(connection.recv(4096))

        thread = threading.Thread(target=take_hello)
        thread.start()
        port = listener.getsockname()[1]
        assert failure(f"https://hooks.example.test:{port}/").startswith("webhook unreachable: ")
        thread.join()
    assert b"hooks.example.test" in hello[0]


@pytest.fixture
def certificate(tmp_path) -> Path:
    """A self-signed certificate (and key, in the same file) for hooks.example.test only."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command")
    pem = tmp_path / "hooks.pem"
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"]
    name = ["-subj", "/CN=hooks.example.test", "-addext", "subjectAltName=DNS:hooks.example.test"]
    command = [openssl, "req", "-x509", *key, *name, "-keyout", pem, "-out", pem]
    subprocess.run(command, check=True, capture_output=True)
    return pem


@pytest.fixture
def tls_receiver(receiver, certificate, allow, dns) -> Receiver:
    allow("127.0.0.1")
    dns.names["hooks.example.test"] = ["127.0.0.1"]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate)
    server = receiver()
    server.socket = context.wrap_socket(server.socket, server_side=True)
    return server


def test_https_refuses_a_certificate_it_does_not_trust(tls_receiver):
    message = failure(tls_receiver.url("hooks.example.test", scheme="https"))
    assert "CERTIFICATE_VERIFY_FAILED" in message
    assert tls_receiver.seen == []


def test_https_checks_the_certificate_against_the_url_host(tls_receiver, certificate, monkeypatch):
    """Trusted, the certificate names hooks.example.test only: any other name would fail."""
    trusting = functools.partial(ssl.create_default_context, cafile=str(certificate))
    monkeypatch.setattr(webhooks.ssl, "create_default_context", trusting)
    url = tls_receiver.url("hooks.example.test", scheme="https")
    assert post(url, BODY, HEADERS, timeout=2) == 200
    assert tls_receiver.seen[0].headers["Host"] == f"hooks.example.test:{tls_receiver.port}"
