"""Rendered knowledge-base reads, kept per process for the current graph revision.

The KB changes rarely and is read often; a concept page, a team or a learning
path is the same bytes for everyone until the next KB write. So the read
endpoints render their answer once per revision (kb.revision's token, which
every KB write changes, whichever process makes it) and later requests get the
stored bytes after one query for the token. Nothing user-specific may come
through here: only endpoints whose answer depends on the URL, the host (the
pagination links are absolute) and the negotiated media type alone.

The same key gives a strong ETag, and the revision's time a Last-Modified, so
a client that already has the answer gets a 304 without anything being built.

API_READ_CACHE (a setting, else the environment variable of that name; on by
default) switches all of it off, back to building every answer; the benchmark
uses it to measure the uncached path. API_READ_CACHE_MAX_BYTES bounds the
stored bodies per process (least recently used go first): query strings are
the client's to choose, so the number of keys is not bounded otherwise.
"""

import dataclasses
import functools
import hashlib
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.http.response import HttpResponseBase
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_etags, parse_http_date_safe
from rest_framework.settings import api_settings

from kb import revision

DEFAULT_MAX_BYTES = 32 * 1024 * 1024
# Clients may keep a copy but must ask before using it: a KB write shows at once.
CACHE_CONTROL = "public, max-age=0, must-revalidate"
# Last-Modified has whole seconds, so two revisions made in the same second would share
# one; it is only sent once the revision is this old (RFC 9110 8.8.2.2 asks for one
# second before the Date; one more covers a write transaction still committing).
SETTLED_SECONDS = 2
# What a stored entry costs beyond its body and key (headers, bookkeeping), roughly.
ENTRY_OVERHEAD = 512

Key = tuple[object, ...]


@dataclass(frozen=True, slots=True)
class Payload:
    body: bytes
    content_type: str
    etag: str
    # Set once DRF has answered an anonymous client with these bytes (reads_before_drf): the
    # headers the whole stack sent with them besides the validators and the body's own (the
    # view's Allow, the middleware's Vary and security headers). None: DRF alone serves them.
    headers: tuple[tuple[str, str], ...] | None = None


@dataclass(frozen=True, slots=True)
class Validators:
    etag: str
    last_modified: int | None  # epoch seconds; None while the revision is too new to say


def enabled() -> bool:
    configured = getattr(settings, "API_READ_CACHE", None)
    if configured is not None:
        return bool(configured)
    return os.environ.get("API_READ_CACHE", "").strip().lower() not in {"0", "false", "no", "off"}


def max_bytes() -> int:
    return int(getattr(settings, "API_READ_CACHE_MAX_BYTES", DEFAULT_MAX_BYTES))


class PayloadCache:
    """Bodies of one revision, least recently used first; a new revision empties it.

    Entries of an older revision can never be served again (the token is part of
    every lookup), so they are dropped as soon as another token is seen.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._token: str | None = None
        self._entries: OrderedDict[Key, tuple[Payload, int]] = OrderedDict()
        self._bytes = 0

    def get(self, token: str, key: Key) -> Payload | None:
        with self._lock:
            if token != self._token:
                return None
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, token: str, key: Key, payload: Payload, *, limit: int) -> None:
        """Store `payload`; one larger than `limit` on its own is not kept at all."""
        size = len(payload.body) + len(repr(key)) + ENTRY_OVERHEAD
        if size > limit:
            return
        with self._lock:
            if token != self._token:
                self._clear()
                self._token = token
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._entries[key] = (payload, size)
            self._bytes += size
            while self._bytes > limit:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped

    def open_entry(self, key: Key) -> bool:
        """Is there an entry at `key` open to anonymous clients, in whatever revision the
        store holds? (Without reading the revision: most requests have none.)"""
        with self._lock:
            entry = self._entries.get(key)
            return entry is not None and entry[0].headers is not None

    def open_to_anonymous(self, token: str, key: Key, headers: tuple[tuple[str, str], ...]) -> None:
        """Let reads_before_drf serve the entry at `key` (DRF has just answered an anonymous
        client with it), with the other headers that answer had."""
        with self._lock:
            entry = self._entries.get(key) if token == self._token else None
            if entry is not None and entry[0].headers != headers:
                self._entries[key] = (dataclasses.replace(entry[0], headers=headers), entry[1])

    def clear(self) -> None:
        with self._lock:
            self._clear()
            self._token = None

    def _clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


payloads = PayloadCache()


def request_key(request: HttpRequest, *, media_type: str) -> Key:
    """Everything an answer of a public read depends on besides the revision.

    The path names the endpoint. The query string is normalised (sorted, decoded): the
    answer, its pagination links included, depends on the parameters and not on their
    order or spelling. Scheme and host are in it because pagination links are absolute
    URLs; the negotiated media type because `Accept: application/json; indent=2` changes
    the bytes.
    """
    params = tuple(sorted((name, tuple(values)) for name, values in request.GET.lists()))
    return (request.scheme, request.get_host(), request.path, params, media_type)


def etag_for(token: str, key: Key) -> str:
    return '"' + hashlib.blake2b(repr((token, key)).encode(), digest_size=16).hexdigest() + '"'


def last_modified(stamp: revision.Stamp, *, now: float | None = None) -> int | None:
    """The revision's time in whole seconds, once it is SETTLED_SECONDS old; else None."""
    changed = stamp.changed_at.timestamp()
    if (time.time() if now is None else now) - changed < SETTLED_SECONDS:
        return None
    return int(changed)


@functools.lru_cache(maxsize=16)
def _http_date(seconds: int) -> str:
    return http_date(seconds)


def not_modified(request: HttpRequest, current: Validators, *, exists: bool) -> bool:
    """RFC 9110 13.2.2 for a GET: If-None-Match (weak comparison) decides when present,
    else If-Modified-Since, against a Last-Modified this revision has (see SETTLED_SECONDS).

    Preconditions only count for an answer that would be a 200 (`exists`). An ETag
    of ours names one: it is only ever sent with a 200 for the same key and revision.
    `*` and a date do not, so without a stored answer they wait for the built one.
    """
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        tags = parse_etags(if_none_match)
        if tags == ["*"]:
            return exists
        return current.etag in (tag.removeprefix("W/") for tag in tags)
    if_modified_since = request.META.get("HTTP_IF_MODIFIED_SINCE")
    if if_modified_since is None or current.last_modified is None or not exists:
        return False
    since = parse_http_date_safe(if_modified_since)
    return since is not None and current.last_modified <= since


def with_validators(response: HttpResponseBase, current: Validators) -> HttpResponseBase:
    _set_validators(response, current)
    response["Cache-Control"] = CACHE_CONTROL
    if response.has_header("Vary"):
        patch_vary_headers(response, ("Accept",))
    else:
        response["Vary"] = "Accept"
    return response


def serve(
    request: HttpRequest,
    *,
    media_type: str,
    build: Callable[[], HttpResponseBase],
) -> HttpResponseBase:
    """The answer to a public KB read: a 304, the stored bytes, or `build()`'s, stored.

    `build` returns a rendered response; only a 200 is kept (errors are built every
    time, so a 404's suggestions and a 400's message stay as they are today). One
    query reads the revision; a 304 or a stored answer needs nothing else.
    """
    if not enabled():
        return build()
    stamp = revision.stamp()
    key = request_key(request, media_type=media_type)
    payload = payloads.get(stamp.token, key)
    current = Validators(
        etag=payload.etag if payload is not None else etag_for(stamp.token, key),
        last_modified=last_modified(stamp),
    )
    if payload is not None:
        return with_validators(_stored_answer(request, payload, current), current)
    if not_modified(request, current, exists=False):
        return with_validators(HttpResponseNotModified(), current)
    response = build()
    if response.status_code != 200 or response.streaming:
        return response
    payload = Payload(bytes(response.content), response["Content-Type"], current.etag)
    payloads.put(stamp.token, key, payload, limit=max_bytes())
    if not_modified(request, current, exists=True):
        return with_validators(HttpResponseNotModified(), current)
    return with_validators(response, current)


def _stored_answer(request: HttpRequest, payload: Payload, current: Validators) -> HttpResponseBase:
    """A 304 if the client's preconditions hold, else the stored bytes; validators apart."""
    if not_modified(request, current, exists=True):
        return HttpResponseNotModified()
    return HttpResponse(payload.body, content_type=payload.content_type)


# --- before DRF ---------------------------------------------------------------------------------

# What an anonymous client's Accept may be for the answer to be DRF's JSON: absent, */* or
# exactly application/json (an indent, another type or a ?format= is DRF's to negotiate;
# an empty Accept is a 406 there).
PLAIN_ACCEPT = frozenset({None, "*/*", "application/json"})
JSON = "application/json"
API_PREFIX = "/api/"  # the KB reads are API endpoints: nothing else is looked up


def reads_before_drf(get_response: Callable[[HttpRequest], HttpResponseBase]):
    """Middleware, the first of all: an anonymous GET of a read DRF has already answered,
    in this revision, to an anonymous client asking the same way gets the stored bytes (or
    a 304) before the rest of the stack, with the API's throttles applied here.

    A stored read behind the whole stack cost a DRF view most of what a minimal DRF view
    costs (wrapping the request, negotiation, authentication, permissions, throttles) and
    the ten middleware as much again. The learning path was one query when the
    performance issue was filed, so at 5x what it was no answer DRF gives could serve it.

    Only what the stack itself answered is served here, and only as it answered it: the
    entry is opened (PayloadCache.open_to_anonymous) when DRF answers an anonymous client
    with plain Accept, with every header that answer left the stack with (_replayed);
    anything else (a token, a session or CSRF cookie, another Accept, a miss, a throttled
    client, a HEAD, a request the middleware would redirect or refuse, an answer varying
    on another header) goes down the stack, which answers, and refuses, as ever. A
    middleware added below this one is named by a system check (api.checks). Throttles
    counted here are counted once: a client they refuse goes on to DRF, whose throttles
    refuse it again without counting.
    """

    def middleware(request: HttpRequest) -> HttpResponseBase:
        if not _anonymous_plain_get(request) or not enabled() or _stack_would_intervene(request):
            return get_response(request)
        with revision.pinned():  # one read of the token, here and down the stack
            try:
                key = request_key(request, media_type=JSON)
                stored = _stored_response(request, key)
            except Exception:  # a host not served, 1,001 fields, a failing store:
                # the stack answers it as ever, its 400 or 500 with its headers.
                return get_response(request)
            if stored is not None:
                return stored
            response = get_response(request)
            _open_if_answered(key, response)
            return response

    return middleware


def _stored_response(request: HttpRequest, key: Key) -> HttpResponseBase | None:
    """The stored answer at `key` if it is open to anonymous clients and the throttles let
    this one through; else None."""
    if not payloads.open_entry(key):  # no query then: a web page, a miss
        return None
    stamp = revision.stamp()
    payload = payloads.get(stamp.token, key)
    if payload is None or payload.headers is None:
        return None
    request.user = AnonymousUser()  # for the throttles; the stack sets its own
    if not _throttles_allow(request):
        return None
    current = Validators(payload.etag, last_modified(stamp))
    response = _stored_answer(request, payload, current)
    for name, value in payload.headers:  # Vary and Cache-Control as with_validators left them
        response[name] = value
    response["Content-Length"] = str(len(response.content))  # as CommonMiddleware
    _set_validators(response, current)
    return response


def _set_validators(response: HttpResponseBase, current: Validators) -> None:
    response["ETag"] = current.etag
    if current.last_modified is not None:
        response["Last-Modified"] = _http_date(current.last_modified)


def _open_if_answered(key: Key, response: HttpResponseBase) -> None:
    """Open the entry at `key` to anonymous clients if DRF has just answered with it, in a
    way the store can repeat: no cookie set, the body as stored (no Content-Encoding), and
    no Vary but Accept (in the key) and Cookie (none that matters here)."""
    etag = response.get("ETag")
    if not getattr(response, OPENS_TO_ANONYMOUS, False) or response.status_code not in (200, 304):
        return
    if not etag or response.cookies or response.has_header("Content-Encoding"):
        return
    if not _vary(response) <= REPEATABLE_VARY:
        return
    stamp = revision.stamp()  # read already, by the read cache
    payload = payloads.get(stamp.token, key)
    if payload is not None and payload.etag == etag:
        payloads.open_to_anonymous(stamp.token, key, _replayed(response))


# What an answer served from the store may vary on: the negotiated type is in the key, and
# only requests without a session or CSRF cookie are served from it.
REPEATABLE_VARY = frozenset({"accept", "cookie"})


def _vary(response: HttpResponseBase) -> set[str]:
    return {name.strip().lower() for name in response.get("Vary", "").split(",") if name.strip()}


def _anonymous_plain_get(request: HttpRequest) -> bool:
    return (
        request.method == "GET"
        and request.path.startswith(API_PREFIX)
        and "HTTP_AUTHORIZATION" not in request.META
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and settings.CSRF_COOKIE_NAME not in request.COOKIES  # the stack may renew it
        and request.META.get("HTTP_ACCEPT") in PLAIN_ACCEPT
    )


def _stack_would_intervene(request: HttpRequest) -> bool:
    """Would a middleware below answer this request itself (SecurityMiddleware's redirect
    to https, CommonMiddleware's refused user agents and www redirect)?"""
    if settings.SECURE_SSL_REDIRECT and not request.is_secure():
        return True
    return bool(settings.DISALLOWED_USER_AGENTS) or settings.PREPEND_WWW


# Headers an answer from the store sets itself: the body's, and the validators (with_validators).
# (Vary and Cache-Control went through with_validators on DRF's answer: repeated as they were.)
OWN_HEADERS = frozenset({"content-type", "content-length", "etag", "last-modified"})


def _replayed(response: HttpResponseBase) -> tuple[tuple[str, str], ...]:
    """The headers of DRF's answer, as it left the stack, that a stored answer repeats."""
    return tuple(
        (name, value) for name, value in response.items() if name.lower() not in OWN_HEADERS
    )


# Set on a read-cache answer whose view throttles as the API's defaults do, the only ones
# applied before DRF (api.views.base.cached_read): another view's answers stay DRF's.
OPENS_TO_ANONYMOUS = "prepgraph_opens_to_anonymous"


def _throttles_allow(request: HttpRequest) -> bool:
    """The API's default throttle classes, as DRF applies them to an anonymous client."""
    return all(
        throttle().allow_request(request, None)
        for throttle in api_settings.DEFAULT_THROTTLE_CLASSES
    )
