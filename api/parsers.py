"""The import endpoint's parser: the raw interchange file, read with its own size limit.

kb.io parses the file itself, so a JSON syntax error is reported with its line
and column like the command's. The shipped graph alone is ~0.4 MB, more than
a plan request ever needs, so instead of raising DATA_UPLOAD_MAX_MEMORY_SIZE
for every endpoint this one reads up to API_IMPORT_MAX_BYTES, and no more.
"""

import json
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from api.exception_handlers import RequestTooLarge


class InterchangeParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        limit = settings.API_IMPORT_MAX_BYTES
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

    Only files that spell one (`\\u0000`) are parsed here; kb.io reports syntax errors.
    """
    try:
        data = json.loads(body)
    except ValueError:
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
