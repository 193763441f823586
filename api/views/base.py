"""What every API view shares: strict query strings, and 404s that say what is missing."""

from django.http import Http404
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

# Row ids in URLs: at most 18 digits, so every one fits a 64-bit integer column (a longer
# number matches no route and is a 404 rather than an integer overflow in the database).
ID_REGEX = r"[0-9]{1,18}"


class StrictQueryMixin:
    """A query parameter given twice is a 400: `?page=2&page=3` has no single meaning,
    and silently taking the last value hides a client's bug. Lists are comma-separated.

    A lookup that finds nothing names the thing: "no concept 'ghost'" (for a plan of
    someone else's too, which looks exactly like a plan that does not exist).
    """

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            lookup = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
            name = (
                getattr(self, "not_found_name", None)
                or self.get_queryset().model._meta.verbose_name
            )
            raise Http404(f"no {name} {str(lookup)!r}") from None

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
