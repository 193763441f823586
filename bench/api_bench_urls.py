"""Benchmark-only URLs: the product's, plus a minimal DRF view that answers stored bytes.

The minimal view is the yardstick of bench/api_reads.py: an APIView with the
project's default authentication, permission and throttle classes whose GET
returns bytes it already holds. BENCH_API_PAYLOADS names a directory of
`NAME.body` files (with `NAME.type` holding the content type), written by the
benchmark from the real endpoints' answers, so both sides send the same bytes.
"""

import os
from pathlib import Path

from django.http import Http404, HttpResponse
from django.urls import path
from rest_framework.request import Request
from rest_framework.views import APIView

from prepgraph.urls import handler404, handler500  # noqa: F401
from prepgraph.urls import urlpatterns as product_urlpatterns


def _load(directory: str) -> dict[str, tuple[bytes, str]]:
    if not directory:
        return {}
    return {
        body.stem: (body.read_bytes(), body.with_suffix(".type").read_text().strip())
        for body in Path(directory).glob("*.body")
    }


PAYLOADS = _load(os.environ.get("BENCH_API_PAYLOADS", ""))


class MinimalView(APIView):
    """Stored bytes behind DRF's request handling and nothing else."""

    def get(self, request: Request, name: str) -> HttpResponse:
        try:
            body, content_type = PAYLOADS[name]
        except KeyError:
            raise Http404(name) from None
        return HttpResponse(body, content_type=content_type)


urlpatterns = [
    path("bench/minimal/<str:name>", MinimalView.as_view()),
    *product_urlpatterns,
]
