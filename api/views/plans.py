"""Study plans (private to their owner), their calendar feeds, and reminder preferences."""

from datetime import date, timedelta

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from api import selectors
from api.negotiation import IgnoreClientContentNegotiation
from api.permissions import Anyone
from api.serializers.common import ErrorSerializer
from api.serializers.memory import RatingResultSerializer, RatingSerializer
from api.serializers.plans import (
    FeedSerializer,
    ItemStatusSerializer,
    PlanCreateSerializer,
    PlanItemSerializer,
    PlanListSerializer,
    PlanPayloadSerializer,
    ReminderPreferenceSerializer,
    ReminderPreferenceUpdateSerializer,
    ReplanSerializer,
)
from api.views.base import ID_REGEX, StrictQueryMixin
from planner import calendar, feeds, formats, memory_services, preferences
from planner import services as planner_services
from planner.models import Plan

# Request examples for the docs (the fuzz test sends them too). The interview date is four
# weeks after the process started, so the example stays valid for a running server's docs.
PLAN_EXAMPLE = OpenApiExample(
    "A team, an interview date and weekly hours",
    value={
        "team": "llm-research",
        "interview": (date.today() + timedelta(days=28)).isoformat(),
        "hours_per_weekday": [2, 2, 2, 2, 2, 4, 4],
        "timezone": "Europe/Berlin",
        "known": ["softmax"],
    },
    request_only=True,
)
REPLAN_EXAMPLE = OpenApiExample(
    "Less time on weekdays", value={"hours": "weekdays=1,weekends=4"}, request_only=True
)
PREFERENCES_EXAMPLE = OpenApiExample(
    "Mornings, no weekends",
    value={
        "enabled": True,
        "email": False,
        "webhook_url": "https://example.org/prepgraph-hook",
        "local_time": "07:30",
        "timezone": "Europe/Berlin",
        "days_off": [5, 6],
    },
    request_only=True,
)
PLAN_400 = OpenApiResponse(
    ErrorSerializer,
    description="Bad input: `details.field` names it (malformed date, interview in the past, "
    "unknown team, track or concept, ...).",
)
RATING_400 = OpenApiResponse(
    ErrorSerializer,
    description="Bad input: an unknown rating, or an item that is not a learn or review "
    "session of a concept (`details.field` says which).",
)
RATING_EXAMPLE = OpenApiExample("The self-test went well", value={"rating": "good"})
PLAN_CHANGED_409 = OpenApiResponse(
    ErrorSerializer,
    description="`plan_changed`: the plan was replanned since the client read it (the item "
    "is gone, or `revision` is not the plan's); reload the plan and mark again.",
)
ICS = "text/calendar"


def ics_response(plan: Plan) -> HttpResponse:
    body = calendar.to_ics(formats.plan_payload(plan), key=str(plan.uid), stamp=plan.updated_at)
    response = HttpResponse(body, content_type=f"{ICS}; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="prepgraph-plan-{plan.pk}.ics"'
    # Private either way: a cached copy of a feed would outlive a rotated token.
    response["Cache-Control"] = "private, no-store"
    return response


class PlanViewSet(
    StrictQueryMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The signed-in user's study plans. Another user's plan is a 404."""

    permission_classes = [IsAuthenticated]
    serializer_class = PlanListSerializer
    lookup_value_regex = ID_REGEX

    def get_queryset(self) -> QuerySet[Plan]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Plan.objects.none()
        return selectors.plan_list(user=self.request.user)

    @extend_schema(
        request=PlanCreateSerializer,
        responses={201: PlanPayloadSerializer, 400: PLAN_400},
        examples=[PLAN_EXAMPLE],
        summary="Plan the study days until an interview",
    )
    def create(self, request: Request) -> Response:
        serializer = PlanCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        new = planner_services.store_new_plan(owner=request.user, inputs=serializer.to_inputs())
        return Response(formats.new_plan_payload(new), status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: PlanPayloadSerializer})
    def retrieve(self, request: Request, *args, **kwargs) -> Response:
        return Response(formats.plan_payload(self.get_object()))

    @extend_schema(
        request=ReplanSerializer,
        responses={200: PlanPayloadSerializer, 400: PLAN_400},
        examples=[REPLAN_EXAMPLE],
        summary="Keep what is done, plan the rest again from today",
    )
    @action(detail=True, methods=["post"])
    def replan(self, request: Request, pk: str) -> Response:
        plan = self.get_object()
        serializer = ReplanSerializer(data=request.data, context={"plan": plan})
        serializer.is_valid(raise_exception=True)
        plan = planner_services.replan(plan=plan, **serializer.validated_data)
        return Response(formats.plan_payload(plan))

    @extend_schema(
        request=ItemStatusSerializer,
        responses={200: PlanItemSerializer, 409: PLAN_CHANGED_409},
        parameters=[OpenApiParameter("item_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        summary="Mark a plan item done, skipped or pending",
    )
    @action(detail=True, methods=["patch"], url_path=rf"items/(?P<item_id>{ID_REGEX})")
    def item(self, request: Request, pk: str, item_id: str) -> Response:
        plan = self.get_object()
        serializer = ItemStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = planner_services.mark_plan_item(
            plan=plan, item_id=int(item_id), **serializer.validated_data
        )
        return Response(PlanItemSerializer(item).data)

    @extend_schema(
        request=RatingSerializer,
        responses={200: RatingResultSerializer, 400: RATING_400},
        examples=[RATING_EXAMPLE],
        parameters=[OpenApiParameter("item_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        summary="Rate the self-test after a learn or review session (again, hard, good, easy)",
        description="Updates the memory model of the item's concept (FSRS) and logs the "
        "rating. The answer is when the concept is next due (never after the interview), "
        "the days the plan's reviews of it moved to, and the prompts for its next self-test.",
    )
    @action(detail=True, methods=["post"], url_path=rf"items/(?P<item_id>{ID_REGEX})/rating")
    def rating(self, request: Request, pk: str, item_id: str) -> Response:
        plan = self.get_object()
        serializer = RatingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rating = serializer.validated_data["rating"]
        card, moved = memory_services.plan_item_rating(
            user=request.user, plan=plan, item_id=int(item_id), rating=rating
        )
        plan.refresh_from_db(fields=["revision"])
        data = {
            "review_days": sorted(set(moved.days)) if moved else [],
            "revision": plan.revision,
            "concept": card.concept_slug,
            "rating": rating,
            "due": card.due,
            "last_review": card.last_review,
            "reps": card.reps,
            "lapses": card.lapses,
            "prompts": memory_services.self_test_prompts(card.concept_slug),
        }
        return Response(RatingResultSerializer(data).data)

    @extend_schema(
        request=None,
        responses={200: PlanPayloadSerializer},
        summary="Archive the plan (POST) or bring it back (DELETE); archived plans send no "
        "reminders",
    )
    @action(detail=True, methods=["post", "delete"])
    def archive(self, request: Request, pk: str) -> Response:
        plan = planner_services.plan_archive(
            plan=self.get_object(), archived=request.method == "POST"
        )
        return Response(formats.plan_payload(plan))

    @extend_schema(request=None, responses={200: FeedSerializer}, summary="The plan's feed URL")
    @action(detail=True, methods=["get"])
    def feed(self, request: Request, pk: str) -> Response:
        return Response(self._feed_url(request, self.get_object()))

    @extend_schema(
        request=None,
        responses={200: FeedSerializer},
        summary="Issue a new feed URL; the old one stops working",
    )
    @action(detail=True, methods=["post"], url_path="feed/rotate")
    def feed_rotate(self, request: Request, pk: str) -> Response:
        plan = feeds.plan_feed_rotate(plan=self.get_object())
        return Response(self._feed_url(request, plan))

    @staticmethod
    def _feed_url(request: Request, plan: Plan) -> dict:
        path = reverse("api:feed", kwargs={"token": plan.feed_token})
        return {"url": request.build_absolute_uri(path)}


class PlanCalendarViewSet(StrictQueryMixin, viewsets.GenericViewSet):
    """A plan as an iCalendar file, for the signed-in owner."""

    permission_classes = [IsAuthenticated]
    content_negotiation_class = IgnoreClientContentNegotiation

    def get_queryset(self) -> QuerySet[Plan]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Plan.objects.none()
        return selectors.plan_list(user=self.request.user)

    @extend_schema(
        responses={(200, ICS): OpenApiTypes.BINARY},
        summary="The plan as an .ics file",
        operation_id="plans_calendar_retrieve",
    )
    def retrieve(self, request: Request, pk: str) -> HttpResponse:
        return ics_response(self.get_object())


class FeedViewSet(StrictQueryMixin, viewsets.GenericViewSet):
    """The secret per-plan calendar feed: no sign-in, the token in the URL is the key."""

    permission_classes = [Anyone]
    authentication_classes: list = []
    content_negotiation_class = IgnoreClientContentNegotiation

    @extend_schema(
        responses={(200, ICS): OpenApiTypes.BINARY},
        summary="Subscribe to a plan from a calendar app",
        parameters=[OpenApiParameter("token", OpenApiTypes.STR, OpenApiParameter.PATH)],
        operation_id="feeds_retrieve",
    )
    def retrieve(self, request: Request, token: str) -> HttpResponse:
        plan = feeds.plan_by_feed_token(token)
        if plan is None:
            raise Http404("no calendar feed at this URL (it may have been rotated)")
        return ics_response(plan)


class ReminderPreferenceViewSet(StrictQueryMixin, viewsets.GenericViewSet):
    """How and when the signed-in user is reminded of their study days."""

    permission_classes = [IsAuthenticated]
    serializer_class = ReminderPreferenceSerializer

    def get_object(self):
        self.check_permissions(self.request)  # no object without a signed-in user
        return preferences.preference_get(user=self.request.user)

    @extend_schema(operation_id="reminder_preferences_retrieve")
    def retrieve(self, request: Request) -> Response:
        return Response(ReminderPreferenceSerializer(self.get_object()).data)

    @extend_schema(
        request=ReminderPreferenceUpdateSerializer,
        responses={200: ReminderPreferenceSerializer, 400: PLAN_400},
        examples=[PREFERENCES_EXAMPLE],
        operation_id="reminder_preferences_update",
        description="Fields left out keep their value; `webhook_url: null` removes the webhook.",
    )
    def update(self, request: Request) -> Response:
        serializer = ReminderPreferenceUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        preference = preferences.preference_update(user=request.user, **serializer.validated_data)
        return Response(ReminderPreferenceSerializer(preference).data)

    @extend_schema(
        request=ReminderPreferenceUpdateSerializer,
        responses={200: ReminderPreferenceSerializer, 400: PLAN_400},
        examples=[PREFERENCES_EXAMPLE],
        operation_id="reminder_preferences_partial_update",
    )
    def partial_update(self, request: Request) -> Response:
        return self.update(request)

    @extend_schema(
        request=None,
        responses={200: ReminderPreferenceSerializer},
        operation_id="reminder_preferences_rotate_webhook_secret",
        summary="Issue a new webhook signing secret; the old one stops verifying",
    )
    def rotate_webhook_secret(self, request: Request) -> Response:
        self.check_permissions(request)
        preference = preferences.preference_rotate_webhook_secret(user=request.user)
        return Response(ReminderPreferenceSerializer(preference).data)

    @extend_schema(
        request=None,
        responses={200: ReminderPreferenceSerializer},
        operation_id="reminder_preferences_revoke_links",
        summary="Revoke every mark-done and replan link in reminders sent so far",
    )
    def revoke_links(self, request: Request) -> Response:
        self.check_permissions(request)
        preference = preferences.preference_revoke_links(user=request.user)
        return Response(ReminderPreferenceSerializer(preference).data)
