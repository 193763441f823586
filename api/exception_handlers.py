"""One error shape for the whole API: `{"error": {"code", "message", "details"}}`.

Domain errors (kb.errors.ApplicationError and its subclasses, planner's
PlanInputError, PlanChanged, PlanItemNotFound and PlanNotFound) carry a stable `code`; they
map to a status here and nowhere else. DRF's own exceptions, Django's
ValidationError, Http404 and PermissionDenied, and an oversized body are
reshaped into the same envelope.
Anything else is a bug: it propagates and stays a 500 (with the envelope, via
`server_error`, for /api/ paths).
"""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from kb.errors import (
    ApplicationError,
    ConceptHasDependents,
    DuplicatePrerequisite,
    NoPath,
    UnknownConcept,
)
from planner.memory_services import PlanNotFound
from planner.services import PlanChanged, PlanItemNotFound

# First match wins, so subclasses come before their bases.
STATUS_BY_ERROR: tuple[tuple[type[ApplicationError], int], ...] = (
    (NoPath, status.HTTP_404_NOT_FOUND),
    (DuplicatePrerequisite, status.HTTP_409_CONFLICT),
    (ConceptHasDependents, status.HTTP_409_CONFLICT),
    (PlanChanged, status.HTTP_409_CONFLICT),
    (PlanItemNotFound, status.HTTP_404_NOT_FOUND),
    (PlanNotFound, status.HTTP_404_NOT_FOUND),
    (ApplicationError, status.HTTP_400_BAD_REQUEST),
)


class NotFound(exceptions.NotFound):
    """A 404 whose envelope carries `details`: the slugs a mistyped one probably meant."""

    def __init__(self, message: str, *, details: dict[str, Any]) -> None:
        super().__init__(message)
        self.details = details


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def envelope(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def status_for(exc: ApplicationError) -> int:
    return next(code for cls, code in STATUS_BY_ERROR if isinstance(exc, cls))


def _flatten(detail: Any, path: str = "") -> list[tuple[str, str]]:
    """DRF's nested error detail as (field path, message) pairs: `hours_per_weekday[0]`."""
    if isinstance(detail, dict):
        pairs = []
        for key, value in detail.items():
            if isinstance(key, int):
                child = f"{path}[{key}]"
            elif key == "non_field_errors" and not path:
                child = ""
            else:
                child = f"{path}.{key}" if path else str(key)
            pairs += _flatten(value, child)
        return pairs
    if isinstance(detail, list):
        return [pair for item in detail for pair in _flatten(item, path)]
    return [(path, str(detail))]


def _validation_error(exc: exceptions.ValidationError) -> tuple[str, dict[str, Any]]:
    detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
    pairs = _flatten(detail)
    message = "; ".join(f"{field}: {text}" if field else text for field, text in pairs[:5])
    if len(pairs) > 5:
        message += f"; and {len(pairs) - 5} more"
    first = next(iter(detail))
    return message or "Invalid input.", {"field": first, "fields": detail}


def _domain_error(exc: ApplicationError) -> Response:
    details = dict(exc.details)
    if isinstance(exc, UnknownConcept) and "field" not in details:
        details = {"field": next(iter(exc.details), "concept"), **details}
    set_rollback()
    return Response(envelope(exc.code, exc.message, details), status=status_for(exc))


def _as_drf(exc: Exception) -> Exception:
    """Django's exceptions as their DRF equivalents, keeping their messages."""
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(detail=as_serializer_error(exc))
    if isinstance(exc, Http404):
        return exceptions.NotFound(str(exc) or None)
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge()
    return exc


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return _domain_error(exc)
    exc = _as_drf(exc)
    response = drf_exception_handler(exc, context)  # sets the rollback and the headers
    if response is None:
        return None  # not an API error: a bug, left to be a 500
    assert isinstance(exc, exceptions.APIException)
    if isinstance(exc, exceptions.ValidationError):
        code = "invalid"
        message, details = _validation_error(exc)
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        message, details = str(exc.detail), dict(getattr(exc, "details", {}))
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            details = {"wait": round(exc.wait)}
    response.data = envelope(code, message, details)
    return response


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception):
    """handler404: the envelope for /api/ URLs that match no route, the HTML page elsewhere."""
    if _is_api(request):
        return JsonResponse(envelope("not_found", f"no API endpoint at {request.path}"), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """handler500: still the envelope for /api/ paths (nothing about the bug leaks)."""
    if _is_api(request):
        return JsonResponse(envelope("server_error", "Internal server error."), status=500)
    return defaults.server_error(request)
