"""What every API view shares: strict query strings, and 404s that say what is missing."""

from collections.abc import Iterable
from typing import Any

from django.http import Http404
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

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
