"""OpenAPI generation (drf-spectacular): every operation documents the error envelope.

Errors any endpoint can answer (bad parameters, bad or missing credentials,
not found, rate limited, body too large) are added to each operation here, so
views only declare what is particular to them (409 on conflicts, ...). Reads
of the knowledge base need no authentication, which the security
requirements say with an empty `{}` alternative.
"""

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions

from api.serializers.common import ErrorSerializer

COMMON_ERRORS = {
    "400": "Bad input: `details.field` names the parameter or field at fault.",
    "401": "Missing or invalid credentials (`Authorization: Token <key>`).",
    "403": "Signed in, but not allowed (staff only, or a failed CSRF check for sessions).",
    "404": "Nothing at this URL (unknown slug or id, another user's plan, or a page past "
    "the last).",
    "429": "Rate limited: `details.wait` (and `Retry-After`) give the seconds to wait.",
}
BODY_ERRORS = {
    "413": "The request body is larger than the limit.",
    "415": "The body must be application/json.",
}


class AutoSchema(openapi.AutoSchema):
    def get_auth(self):
        auths = super().get_auth()
        anonymous_ok = any(
            isinstance(permission, permissions.AllowAny)
            or (
                getattr(permission, "anonymous_read", False)
                and self.method in permissions.SAFE_METHODS
            )
            for permission in self.view.get_permissions()
        )
        if anonymous_ok and {} not in auths:
            auths.append({})
        return auths

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        errors = dict(COMMON_ERRORS)
        if self.method in ("POST", "PUT", "PATCH"):
            errors |= BODY_ERRORS
        for code, description in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=description),
                    code,
                    media_types=["application/json"],
                    direction=direction,
                )
        return dict(sorted(responses.items()))
