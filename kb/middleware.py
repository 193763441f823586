"""Request middleware of the knowledge base."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from kb import revision


def pin_revision(get_response: Callable[[HttpRequest], HttpResponse]):
    """Each request reads the KB revision token once (kb.revision.pinned): a plan asks
    for it with the graph and with each thing cached beside it, a query each time."""

    def middleware(request: HttpRequest) -> HttpResponse:
        with revision.pinned():
            return get_response(request)

    return middleware
