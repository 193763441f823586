"""Page-number pagination with a hard upper bound: asking for too much is a 400, not a clamp."""

from rest_framework import pagination
from rest_framework.exceptions import ValidationError

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def _whole_number(request, name: str, *, default: int, maximum: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: [f"{raw!r} is not a whole number."]}) from None
    if value < 1:
        raise ValidationError({name: ["Must be at least 1."]})
    if maximum is not None and value > maximum:
        raise ValidationError({name: [f"At most {maximum} per page, got {value}."]})
    return value


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request) -> int:
        return _whole_number(
            request, self.page_size_query_param, default=self.page_size, maximum=self.max_page_size
        )

    def get_page_number(self, request, paginator) -> int:
        if request.query_params.get(self.page_query_param) in self.last_page_strings:
            return paginator.num_pages
        return _whole_number(request, self.page_query_param, default=1)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
                parameter["description"] = (
                    f"Results per page, default {self.page_size}, at most {self.max_page_size} "
                    "(more is a 400)."
                )
        return parameters
