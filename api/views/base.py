"""What every API view shares: strict query strings, 404s that say what is missing, and
the hook that serves public KB reads from api.read_cache."""

import functools
from collections.abc import Callable, Iterable
from typing import Any

from django.http import Http404
from django.http.response import HttpResponseBase
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from api import read_cache
from api.exception_handlers import NotFound
from kb import search as kb_search
from kb.errors import did_you_mean

# Row ids in URLs: at most 18 digits, so every one fits a 64-bit integer column (a longer
# number matches no route and is a 404 rather than an integer overflow in the database).
ID_REGEX = r"[0-9]{1,18}"


class StrictQueryMixin:
    """A query parameter given twice is a 400: `?page=2&page=3` has no single meaning,
    and silently taking the last value hides a client's bug. Lists are comma-separated.

    A lookup that finds nothing names the thing: "no concept 'ghost'" (for a plan of
    someone else's too, which looks exactly like a plan that does not exist), and a
    mistyped slug gets suggestions: "no track 'nlpp' (did you mean: 'nlp'?)".
    """

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            lookup = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
            raise self.not_found(str(lookup)) from None

    def not_found(self, lookup: str) -> Exception:
        """The 404 for a lookup that finds nothing. A slug gets the slugs it probably meant
        (kb.search), in the message and in `details.suggestions`; ids get none, since
        "did you mean plan 13" would show other people's plans."""
        name = getattr(self, "not_found_name", None) or self.get_queryset().model._meta.verbose_name
        message = f"no {name} {lookup!r}"
        if self.lookup_field != "slug":
            return Http404(message)
        suggestions = kb_search.suggest([lookup], self.slug_candidates())
        if not suggestions:
            return Http404(message)
        return NotFound(
            message + did_you_mean(suggestions[lookup]), details={"suggestions": suggestions}
        )

    def slug_candidates(self) -> Iterable[Any]:
        """What a mistyped slug is compared with: this endpoint's slugs, in one query."""
        return self.get_queryset().prefetch_related(None).values_list("slug", flat=True)

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        repeated = sorted(key for key, values in request.query_params.lists() if len(values) > 1)
        if repeated:
            raise ValidationError(
                {repeated[0]: ["Given more than once; give it once (lists are comma-separated)."]}
            )


def query(serializer_class, request: Request, **kwargs) -> dict:
    """Validated query parameters (a 400 naming the parameter otherwise)."""
    serializer = serializer_class(data=request.query_params.dict(), **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def cached_read(handler: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Serve a public KB read through api.read_cache: once per graph revision it is built
    and rendered, after that it is the stored bytes (or a 304). Only for answers that
    depend on nothing but the URL and the Accept header: never on the user."""

    @functools.wraps(handler)
    def serve_cached(view, request: Request, *args, **kwargs) -> HttpResponseBase:
        def build() -> HttpResponseBase:
            response = handler(view, request, *args, **kwargs)
            if isinstance(response, Response):  # rendered now, so its bytes can be kept
                response = view.finalize_response(request, response, *args, **kwargs)
                response.render()
            return response

        response = read_cache.serve(
            request._request, media_type=request.accepted_media_type, build=build
        )
        defaults = api_settings.DEFAULT_THROTTLE_CLASSES
        if list(view.throttle_classes) == list(defaults):  # applied before DRF too
            setattr(response, read_cache.OPENS_TO_ANONYMOUS, True)
        return response

    return serve_cached


class CachedReadMixin:
    """list and retrieve through `cached_read`, for KB rows whose every field changes
    the graph revision when it changes (kb.revision watches their tables)."""

    @cached_read
    def list(self, request: Request, *args, **kwargs) -> HttpResponseBase:
        return super().list(request, *args, **kwargs)

    @cached_read
    def retrieve(self, request: Request, *args, **kwargs) -> HttpResponseBase:
        return super().retrieve(request, *args, **kwargs)
