"""GET /api/v1/: where a client (or a person with curl) starts."""

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from api.permissions import Anyone

# (name in the answer, URL name, what it is): the order a newcomer reads them in.
ENTRY_POINTS = (
    ("concepts", "api:concept-list", "ML concepts: search, filter by area or track"),
    ("edges", "api:edge-list", "prerequisite edges with their reasons"),
    ("tracks", "api:track-list", "subfield tracks and the concepts they weigh"),
    ("teams", "api:team-list", "team profiles: tracks, loop stages, role"),
    ("stages", "api:stage-list", "interview loop stages"),
    ("backgrounds", "api:background-list", "background presets a plan can assume"),
    ("questions", "api:question-list", "interview questions"),
    ("resources", "api:resource-list", "reading and watching material"),
    ("plans", "api:plan-list", "your study plans (sign in or send a token)"),
    ("reminder_preferences", "api:reminder-preferences", "how and when reminders reach you"),
)


class ApiIndexView(APIView):
    permission_classes = [Anyone]

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        entries = {
            name: {"url": reverse(url_name, request=request), "about": about}
            for name, url_name, about in ENTRY_POINTS
        }
        docs = {
            "openapi": reverse("schema", request=request),
            "swagger_ui": reverse("docs", request=request),
            "redoc": reverse("redoc", request=request),
        }
        return Response({"entry_points": entries, "docs": docs})
