"""Chunked request bodies, which Django on its own reads as empty.

Django reads CONTENT_LENGTH bytes of `wsgi.input`, and a chunked request
(`Transfer-Encoding: chunked`) has no Content-Length, so under gunicorn a
chunked POST arrived as an empty body and the API saw `{}`. PEP 3333 knows only
Content-Length bodies; a server that de-chunks the input and ends it where the
body ends says so with `wsgi.input_terminated` (gunicorn does). For those the
body is read here, up to the limit the view itself applies, and passed on with
a Content-Length. A server that does not (runserver, wsgiref) gets 411 Length
Required: refusing is safer than a client believing an empty body was its data.

The whole body is held in memory, like every body Django reads with
DATA_UPLOAD_MAX_MEMORY_SIZE; prepgraph takes no file uploads.
"""

import io
import json
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.urls import Resolver404, resolve

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

READ_SIZE = 64 * 1024


def is_chunked(environ: dict[str, Any]) -> bool:
    codings = environ.get("HTTP_TRANSFER_ENCODING", "")
    return "chunked" in (coding.strip().lower() for coding in codings.split(","))


def has_credentials(environ: dict[str, Any]) -> bool:
    """Does the request carry a token or a session cookie (checked later, by the view)?"""
    cookie = environ.get("HTTP_COOKIE", "")
    return bool(environ.get("HTTP_AUTHORIZATION")) or f"{settings.SESSION_COOKIE_NAME}=" in cookie


def body_limit(path_info: str, *, with_credentials: bool = True) -> int | None:
    """The most bytes the view at `path_info` reads: DATA_UPLOAD_MAX_MEMORY_SIZE, unless its
    parsers read more themselves (the KB import's InterchangeParser: API_IMPORT_MAX_BYTES).

    The larger limit is only for requests with credentials: the body is read before the
    view can refuse an anonymous caller, who must not make every process buffer 16 MiB.
    None means no limit (DATA_UPLOAD_MAX_MEMORY_SIZE = None, as in Django).
    """
    if not with_credentials:
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        view = resolve(path_info).func
    except Resolver404:
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    parsers = getattr(getattr(view, "cls", None), "parser_classes", None) or ()
    own = [parser.max_bytes() for parser in parsers if hasattr(parser, "max_bytes")]
    return max(own, default=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def read_body(stream: Any, limit: int | None) -> bytes | None:
    """All of `stream` (it must end: wsgi.input_terminated), or None if it is over `limit`."""
    chunks, size = [], 0
    while True:
        chunk = stream.read(READ_SIZE)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if limit is not None and size > limit:
            return None


def error_response(
    start_response: StartResponse, status: str, code: str, message: str
) -> list[bytes]:
    """The API's error envelope, answered without Django (the request never reaches it)."""
    from api.exception_handlers import envelope  # api needs the app registry; this module not

    body = json.dumps(envelope(code, message)).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


class ChunkedBodyMiddleware:
    """WSGI middleware: a chunked body becomes a Content-Length body Django can read."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not is_chunked(environ):
            return self.app(environ, start_response)
        if not environ.get("wsgi.input_terminated"):
            return error_response(
                start_response,
                "411 Length Required",
                "length_required",
                "This server cannot read a chunked request body; send it with a Content-Length.",
            )
        limit = body_limit(environ.get("PATH_INFO", "/"), with_credentials=has_credentials(environ))
        try:
            body = read_body(environ["wsgi.input"], limit)
        except OSError:  # the client went away mid-body, or sent a malformed chunk
            return error_response(
                start_response, "400 Bad Request", "parse_error", "The request body is incomplete."
            )
        if body is None:
            return error_response(
                start_response,
                "413 Request Entity Too Large",
                "request_too_large",
                f"The request body is larger than {limit} bytes.",
            )
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        del environ["HTTP_TRANSFER_ENCODING"]  # the body is now an ordinary, measured one
        return self.app(environ, start_response)
