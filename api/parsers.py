"""The API's JSON parsers: a depth limit for every endpoint, and the import endpoint's own.

JSONParser (the default, REST_FRAMEWORK DEFAULT_PARSER_CLASSES) is DRF's, but
text nested deeper than kb.interchange.MAX_JSON_DEPTH is a 400 before it is
parsed: Python's json raises RecursionError near 1000 levels, which DRF does not
catch, so a small request nested ~950 deep was a 500 on every JSON endpoint.

InterchangeParser reads the raw interchange file with its own size limit. kb.io
parses the file itself, so a JSON syntax error (or a too-deep file) is reported
with its place like the command's. The shipped graph alone is ~0.4 MB, more
than a plan request ever needs, so instead of raising DATA_UPLOAD_MAX_MEMORY_SIZE
for every endpoint this one reads up to API_IMPORT_MAX_BYTES, and no more.
"""

import codecs
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json as drf_json

from api.exception_handlers import RequestTooLarge
from kb.interchange import JSONTooDeep, load_json


class JSONParser(parsers.JSONParser):
    """DRF's JSONParser with kb.interchange's depth limit (a 400 `parse_error`, not a 500).

    It stays a subclass so DRF still reads the body through `request.body`, which
    enforces DATA_UPLOAD_MAX_MEMORY_SIZE.
    """

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        encoding = parsers.get_encoding(parser_context or {})
        parse_constant = drf_json.strict_constant if self.strict else None
        try:
            text = codecs.getreader(encoding)(stream).read()
            return load_json(text, parse_constant=parse_constant)
        except JSONTooDeep as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


class InterchangeParser(parsers.BaseParser):
    media_type = "application/json"

    @staticmethod
    def max_bytes() -> int:
        """The largest body this parser reads (prepgraph.wsgi_body buffers chunked bodies to it)."""
        return settings.API_IMPORT_MAX_BYTES

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        limit = self.max_bytes()
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise RequestTooLarge(f"The file is larger than {limit} bytes.")
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise RequestTooLarge(f"The file is larger than {limit} bytes.")
        if b"\\u0000" in body and _has_nul(body):
            raise ParseError("file: text cannot contain NUL characters (\\u0000)")
        return body


def _has_nul(body: bytes) -> bool:
    """Whether the JSON file holds a string with a NUL character, which PostgreSQL cannot store.

    Only files that spell one (`\\u0000`) are parsed here; kb.io reports syntax errors
    and too-deep files, so the walk below never recurses more than MAX_JSON_DEPTH.
    """
    try:
        data = load_json(body)
    except ValueError:  # JSONTooDeep and UnicodeDecodeError are ValueErrors too
        return False

    def walk(node: Any) -> bool:
        if isinstance(node, str):
            return "\x00" in node
        if isinstance(node, dict):
            return any(walk(key) or walk(value) for key, value in node.items())
        if isinstance(node, list):
            return any(walk(item) for item in node)
        return False

    return walk(data)
