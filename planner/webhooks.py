"""Reminder webhooks that cannot reach inside our network: checked when saved, pinned when sent.

A webhook URL is typed in by a user, and the worker that posts to it sits
inside our network, so an unchecked URL is a server-side request forgery:
`http://169.254.169.254/latest/meta-data/` reads cloud credentials and
`http://127.0.0.1:6379/` talks to Redis. Hence two entry points:

- `check_url` (save time) takes only an https URL whose host resolves to
  public unicast addresses alone (plain http only for allowlisted receivers,
  and refused before any DNS query when nothing could allow it), so people
  hear about a bad URL when they type it.
- `post` (send time) checks again, since DNS answers change, and then connects
  to the very addresses it vetted instead of letting http.client resolve the
  name a second time (DNS rebinding). Redirects are never followed: a 3xx
  could point anywhere, including inside.

Every resolved address must pass, because the connection could use any of
them. Odd IPv4 spellings (`2130706433`, `0x7f.1`, `127.1`) need no parser of
their own: getaddrinfo turns them into the address that is checked. IPv6
forms that carry an IPv4 address (`::ffff:127.0.0.1`, 6to4, NAT64) are judged
by the IPv4 address inside.

People who run their own receiver inside the network list it in
`settings.REMINDER_WEBHOOK_ALLOWED_HOSTS`: host names (exact, any case), IP
addresses or CIDR networks (`10.0.0.0/8`). A listed name is trusted whatever
it resolves to; otherwise each resolved address must be public or inside a
listed network.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from planner.core import PlanInputError

FIELD = "webhook_url"
MAX_URL_LENGTH = 500
PUBLIC_ONLY = "reminders are only sent to public hosts"
HTTPS_ONLY = "must use https (reminders carry links that act on your plan)"
PUBLIC_PORT_FLOOR = 1024  # public receivers listen on 443 or an unprivileged port
SHARED_ADDRESS_SPACE = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT, RFC 6598
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class WebhookRefused(PlanInputError):
    """A webhook URL we will not post to; `reason` is the message without the field name."""

    def __init__(self, reason: str) -> None:
        super().__init__(FIELD, reason)
        self.reason = reason


class WebhookFailed(Exception):
    """A reminder not delivered (refused at send time, unreachable, non-2xx): the task retries."""


# --- what a URL points at -------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """The parts of a webhook URL a request needs; `host` is lower case, without brackets."""

    scheme: str
    host: str
    port: int
    path: str  # path and query: what goes on the request line


class _Address(NamedTuple):
    """One getaddrinfo answer: exactly what a socket connects to, so nothing is resolved again."""

    family: int
    sockaddr: tuple[Any, ...]

    @property
    def ip(self) -> IPAddress:
        return ipaddress.ip_address(self.sockaddr[0])


def _parse(url: str) -> _Target:
    """`url` split for sending, or WebhookRefused naming the first thing wrong with it."""
    if len(url) > MAX_URL_LENGTH:
        raise WebhookRefused(f"is longer than {MAX_URL_LENGTH} characters")
    if any(char.isspace() or not char.isprintable() for char in url):
        raise WebhookRefused("must not contain whitespace or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookRefused(f"is not a valid URL ({exc})") from None
    if parts.scheme not in _CONNECTIONS:  # plain http is for allowlisted receivers alone
        raise WebhookRefused("must be an https:// URL")
    if parts.username is not None or parts.password is not None:
        raise WebhookRefused("must not contain a user name or password")
    if not parts.hostname:
        raise WebhookRefused("has no host")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default_port = _CONNECTIONS[parts.scheme].default_port
    return _Target(parts.scheme, parts.hostname, default_port if port is None else port, path)


def _resolve(target: _Target) -> list[_Address]:
    """Every IPv4 and IPv6 address of the target's host, in getaddrinfo's order."""
    try:
        answers = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):  # gaierror, or a name the IDNA codec refuses
        answers = []
    addresses = [
        _Address(family, sockaddr)
        for family, _, _, _, sockaddr in answers
        if family in (socket.AF_INET, socket.AF_INET6)
    ]
    if not addresses:
        raise WebhookRefused(f"cannot resolve host {target.host!r}")
    return list(dict.fromkeys(addresses))


# --- which addresses are fit ----------------------------------------------------------------

# First match names the problem. The last line catches any special range the ones above miss
# (their coverage shifts between Python versions); on 3.11 it adds nothing to them.
_PROBLEMS: tuple[tuple[str, Callable[[IPAddress], bool]], ...] = (
    ("an unspecified address", lambda ip: ip.is_unspecified),
    ("a loopback address", lambda ip: ip.is_loopback),
    ("a link-local address (where cloud metadata lives)", lambda ip: ip.is_link_local),
    ("a multicast address", lambda ip: ip.is_multicast),
    ("in the shared address space (carrier-grade NAT)", lambda ip: ip in SHARED_ADDRESS_SPACE),
    ("a reserved address", lambda ip: ip.is_reserved),
    ("a private address", lambda ip: ip.is_private),
    ("a site-local address", lambda ip: getattr(ip, "is_site_local", False)),
    ("not a public address", lambda ip: not ip.is_global),
)


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address reaches (mapped, compatible, 6to4, NAT64), if any."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped or ip.sixtofour:
        return ip.ipv4_mapped or ip.sixtofour
    if ip in NAT64 or (ip in IPV4_COMPATIBLE and int(ip) > 1):  # :: and ::1 are IPv6's own
        return ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)
    return None


def _problem(ip: IPAddress) -> str | None:
    """Why `ip` is no place to send a webhook ("a loopback address"); None if public unicast."""
    inner = _embedded_ipv4(ip)
    if inner is not None:
        found = _problem(inner)
        return found and f"{found} (the IPv6 form of {inner})"
    return next((name for name, applies in _PROBLEMS if applies(ip)), None)


@dataclass(frozen=True)
class _Allowlist:
    """settings.REMINDER_WEBHOOK_ALLOWED_HOSTS: internal receivers people run themselves."""

    names: frozenset[str]
    networks: tuple[IPNetwork, ...]

    @classmethod
    def from_settings(cls) -> _Allowlist:
        """Read at call time, so a changed setting applies to the next check."""
        names, networks = set(), []
        for entry in getattr(settings, "REMINDER_WEBHOOK_ALLOWED_HOSTS", []):
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                if "/" in entry:  # a host name has no slash: this is a mistyped network
                    raise ImproperlyConfigured(
                        f"REMINDER_WEBHOOK_ALLOWED_HOSTS: {entry!r} is not a network"
                    ) from None
                names.add(_normal_host(entry))
        return cls(frozenset(names), tuple(networks))

    def has_name(self, host: str) -> bool:
        return _normal_host(host) in self.names

    def has_address(self, ip: IPAddress) -> bool:
        forms = [form for form in (ip, _embedded_ipv4(ip)) if form is not None]
        return any(form in network for form in forms for network in self.networks)


def _normal_host(host: str) -> str:
    return host.strip().lower().rstrip(".")


def _vet(target: _Target, addresses: Sequence[_Address], allowed: _Allowlist) -> None:
    """Raise WebhookRefused for the first address that is neither public nor allowed, then
    for a public receiver without TLS or on a well-known service's port.

    The body carries links that act on the plan, so it travels over https; and a
    webhook must not be a way to POST to someone's mail or database port.
    """
    for address in addresses:
        ip = address.ip
        found = _problem(ip)
        if found is not None and not allowed.has_address(ip):
            raise WebhookRefused(f"{_describe(target.host, ip)} {found}; {PUBLIC_ONLY}")
    if all(allowed.has_address(address.ip) for address in addresses):
        return  # an internal receiver someone runs on purpose: its own scheme and port
    if target.scheme != "https":
        raise WebhookRefused(HTTPS_ONLY)
    if target.port != 443 and target.port < PUBLIC_PORT_FLOOR:
        raise WebhookRefused(
            f"port {target.port} is a well-known service's; use 443 or {PUBLIC_PORT_FLOOR} and up"
        )


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _refuse_plain_http_early(target: _Target, allowed: _Allowlist) -> None:
    """Refuse an http:// URL before resolving its host, when no answer could let it in.

    Plain http goes to allowlisted receivers alone, so for a host name with no
    network listed, "must use https" is the verdict whatever the name resolves to
    (or whether it resolves at all): say that, without a DNS query. An IP literal
    needs no query, so _vet judges it as it is (a loopback address is said as such),
    and a name may resolve into a listed network, so with networks listed it is
    resolved first.
    """
    if target.scheme == "https" or _ip_literal(target.host) is not None or allowed.networks:
        return
    raise WebhookRefused(HTTPS_ONLY)


def _describe(host: str, ip: IPAddress) -> str:
    """`127.0.0.1 is` for an IP literal, `'x.example' resolves to 10.0.0.5,` for a name."""
    if _ip_literal(host) is None:
        return f"{host!r} resolves to {ip},"
    return f"{host} is"


def check_url(url: str) -> None:
    """Save-time check. Raises WebhookRefused naming what is wrong.

    An allowlisted host name is not resolved here: the web servers may not see
    the internal DNS the workers use.
    """
    target = _parse(url)
    allowed = _Allowlist.from_settings()
    if not allowed.has_name(target.host):
        _refuse_plain_http_early(target, allowed)
        _vet(target, _resolve(target), allowed)


# --- sending --------------------------------------------------------------------------------


def _open_socket(addresses: Sequence[_Address], timeout: float) -> socket.socket:
    """A socket connected to the first vetted address that answers; never a fresh lookup."""
    error = OSError("no address to connect to")
    for address in addresses:
        sock = socket.socket(address.family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(address.sockaddr)
        except OSError as exc:
            sock.close()
            error = exc
        else:
            return sock
    raise error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP whose socket goes to vetted addresses while the Host header names the URL's host."""

    def __init__(self, target: _Target, addresses: Sequence[_Address], timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.addresses = addresses

    def connect(self) -> None:
        self.sock = _open_socket(self.addresses, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS pinned likewise; SNI and certificate checks use the URL's host, never the IP."""

    def __init__(self, target: _Target, addresses: Sequence[_Address], timeout: float) -> None:
        self.tls = ssl.create_default_context()  # verifies the chain and the host name
        super().__init__(target.host, target.port, timeout=timeout, context=self.tls)
        self.addresses = addresses

    def connect(self) -> None:
        sock = _open_socket(self.addresses, self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


_CONNECTIONS: dict[str, type[_PinnedHTTPConnection | _PinnedHTTPSConnection]] = {
    "http": _PinnedHTTPConnection,
    "https": _PinnedHTTPSConnection,
}


def _destination(url: str) -> tuple[_Target, list[_Address]]:
    """Send-time check: what check_url does, plus the addresses the connection is pinned to."""
    try:
        target = _parse(url)
        allowed = _Allowlist.from_settings()
        listed = allowed.has_name(target.host)
        if not listed:
            _refuse_plain_http_early(target, allowed)
        addresses = _resolve(target)
        if not listed:
            _vet(target, addresses, allowed)
    except WebhookRefused as exc:
        raise WebhookFailed(f"webhook not sent: {exc.reason}") from exc
    return target, addresses


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> int:
    """Send-time: re-validate, resolve, connect to a vetted address, POST, return the 2xx status.

    Raises WebhookFailed otherwise. `timeout` bounds the whole request, not
    each read: a receiver that drips a header line every few seconds would
    otherwise hold a worker until the task's time limit. At the deadline the
    socket is shut down, which ends any read in progress. The response body
    is not read: the status is all a reminder needs.
    """
    target, addresses = _destination(url)
    connection = _CONNECTIONS[target.scheme](target, addresses, timeout)
    expired = threading.Event()

    def cut_off() -> None:
        expired.set()
        sock = connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    deadline = threading.Timer(timeout, cut_off)
    deadline.daemon = True
    deadline.start()
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        status = connection.getresponse().status
    except (OSError, http.client.HTTPException) as exc:  # timeouts and TLS errors are OSErrors
        if expired.is_set():
            raise WebhookFailed(f"webhook did not answer within {timeout:g} s") from exc
        raise WebhookFailed(f"webhook unreachable: {str(exc) or type(exc).__name__}") from exc
    finally:
        deadline.cancel()
        connection.close()
    if expired.is_set():  # cut off mid-headers: http.client took the shutdown for their end
        raise WebhookFailed(f"webhook did not answer within {timeout:g} s")
    if 300 <= status < 400:
        raise WebhookFailed(f"webhook answered {status}; redirects are not followed")
    if not 200 <= status < 300:
        raise WebhookFailed(f"webhook answered {status}")
    return status
