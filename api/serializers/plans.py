"""Plans in (the planner's inputs), plans out (planner.formats' JSON contract), reminders."""

import re
from datetime import date

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.common import (
    MAX_SLUGS,
    SLUG_PATTERN,
    HourMinuteField,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictDateField,
    StrictFloatField,
    StrictIntegerField,
    StrictURLField,
    slug_field,
)
from kb.models import Area, Role
from planner import services as planner_services
from planner.core import PlanInputError
from planner.models import ItemKind, ItemStatus, Plan, PlanItem, ReminderPreference
from planner.selection import PREREQUISITE_CUTS_LISTED

# How far ahead an interview may be: the planner's own bound, checked here too so the
# API can name start and blackout problems in its field-by-field form.
MAX_PLAN_DAYS = planner_services.MAX_PLAN_DAYS
MAX_TRACKS = 50


def _hours_per_weekday(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=StrictFloatField(min_value=0, max_value=24),
        min_length=7,
        max_length=7,
        help_text="Seven numbers of study hours, Monday first.",
        **kwargs,
    )


def _hours_text(**kwargs) -> StrictCharField:
    return StrictCharField(
        max_length=200,
        help_text='Instead of hours_per_weekday: "weekdays=2,weekends=4", "mon=1,sat=3", '
        "seven numbers or one number for every day.",
        **kwargs,
    )


def _blackout(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=StrictDateField(),
        max_length=MAX_PLAN_DAYS,
        help_text="Days without study.",
        **kwargs,
    )


def _slug_list(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=slug_field(), max_length=MAX_SLUGS, required=False, help_text=help_text
    )


def _area_list(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=StrictChoiceField(
            choices=Area.choices,
            error_messages={
                "invalid_choice": f'"{{input}}" is not an area; one of: {", ".join(Area.values)}.'
            },
        ),
        max_length=len(Area.choices),
        required=False,
        help_text=help_text,
    )


def _local_today(timezone_name: str) -> date:
    try:
        return planner_services.local_today(timezone_name)
    except PlanInputError as exc:
        raise serializers.ValidationError({"timezone": [exc.message]}) from None


def _check_dates(attrs: dict, today: date) -> None:
    problems = planner_services.date_problems(
        today, attrs.get("interview"), attrs.get("start"), attrs.get("blackout") or ()
    )
    if problems:
        raise serializers.ValidationError({field: [msg] for field, msg in problems.items()})


def _resolve_hours(attrs: dict) -> None:
    """`hours` (text) and `hours_per_weekday` (numbers) are two ways to say one thing."""
    text = attrs.pop("hours", None)
    if text is None:
        return
    if "hours_per_weekday" in attrs:
        raise serializers.ValidationError(
            {"hours": ["Give either hours or hours_per_weekday, not both."]}
        )
    try:
        attrs["hours_per_weekday"] = planner_services.parse_hours(text)
    except PlanInputError as exc:
        raise serializers.ValidationError({"hours": [exc.message]}) from None


class PlanCreateSerializer(serializers.Serializer):
    """The planner's inputs (planner.services.PlanInputs); only `interview` is required,
    plus a team, tracks or targets to plan for."""

    team = slug_field(required=False, allow_null=True, help_text="Team profile slug.")
    tracks = serializers.DictField(
        child=StrictFloatField(min_value=0, max_value=1),
        required=False,
        help_text='Track weights in (0, 1], e.g. {"nlp": 1, "ml-evaluation": 0.5}.',
    )
    targets = _slug_list("Explicit target concepts.")
    interview = StrictDateField(help_text="Interview date (YYYY-MM-DD), local.")
    interview_time = HourMinuteField(required=False, help_text="Local interview time, HH:MM.")
    timezone = StrictCharField(
        max_length=64, default="UTC", help_text="IANA time zone, e.g. Europe/Berlin."
    )
    start = StrictDateField(
        required=False, allow_null=True, help_text="First study day; today when left out."
    )
    hours_per_weekday = _hours_per_weekday(required=False)
    hours = _hours_text(required=False)
    blackout = _blackout(required=False)
    known = _slug_list("Concepts already known (and so their required prerequisites).")
    shaky = _slug_list("Concepts to review, not learn.")
    background = slug_field(
        max_length=60,
        required=False,
        allow_null=True,
        help_text="A background preset (GET /backgrounds/), e.g. ml-engineer: its known and shaky "
        "concepts and areas are assumed, and known/shaky and the areas add to them. The plan's "
        "summary.assumed says what was assumed.",
    )
    known_areas = _area_list("Areas known: every concept in them (and its prerequisites).")
    shaky_areas = _area_list("Areas to review, not learn (within what the plan needs).")
    role = StrictChoiceField(
        choices=Role.choices, required=False, allow_null=True, help_text="Default: the team's."
    )
    include_recommended = StrictBooleanField(required=False)
    min_session_minutes = StrictIntegerField(min_value=5, max_value=240, required=False)
    study_time = HourMinuteField(
        required=False, help_text="When you study, HH:MM (calendar events)."
    )

    def validate_tracks(self, value: dict) -> dict:
        if len(value) > MAX_TRACKS:
            raise serializers.ValidationError(f"At most {MAX_TRACKS} tracks.")
        bad = [slug for slug in value if not re.fullmatch(SLUG_PATTERN, slug)]
        if bad:
            raise serializers.ValidationError(f"{bad[0]!r} is not a track slug.")
        return value

    def validate(self, attrs: dict) -> dict:
        _resolve_hours(attrs)
        _check_dates(attrs, _local_today(attrs["timezone"]))
        return attrs

    def to_inputs(self) -> planner_services.PlanInputs:
        """validated_data as the planner's inputs (lists become tuples, nulls defaults)."""
        values = {k: v for k, v in self.validated_data.items() if v is not None}
        for key in (
            "targets",
            "known",
            "shaky",
            "known_areas",
            "shaky_areas",
            "blackout",
            "hours_per_weekday",
        ):
            if key in values:
                values[key] = tuple(values[key])
        return planner_services.PlanInputs(**values)


class ReplanSerializer(serializers.Serializer):
    """What may change when a plan is rebuilt from today; everything else is kept."""

    interview = StrictDateField(required=False, help_text="A new interview date.")
    hours_per_weekday = _hours_per_weekday(required=False)
    hours = _hours_text(required=False)
    blackout = _blackout(required=False, allow_empty=True)

    def validate(self, attrs: dict) -> dict:
        _resolve_hours(attrs)
        _check_dates(attrs, _local_today(self.context["plan"].timezone))
        if "hours_per_weekday" in attrs:
            attrs["hours_per_weekday"] = tuple(attrs["hours_per_weekday"])
        if "blackout" in attrs:
            attrs["blackout"] = tuple(attrs["blackout"])
        return attrs


class ItemStatusSerializer(serializers.Serializer):
    """A new status for one item; a replan since the client read the plan is a 409."""

    status = StrictChoiceField(choices=ItemStatus.choices)
    revision = StrictIntegerField(
        min_value=1,
        required=False,
        help_text="The plan revision the client shows. If given and the plan has been "
        "replanned since, the mark is refused with 409 `plan_changed` (reload the plan). "
        "Without it, a mark lands on whatever revision the plan is at, unless a replan "
        "deleted the item: that is a 409 `plan_changed` too.",
    )


class PlanItemSerializer(serializers.ModelSerializer):
    concept = serializers.SerializerMethodField()
    revision = serializers.IntegerField(
        source="plan.revision", read_only=True, help_text="The plan's revision after the mark."
    )

    class Meta:
        model = PlanItem
        fields = ["id", "date", "kind", "concept", "minutes", "status", "completed_at", "revision"]
        read_only_fields = fields

    def get_concept(self, item: PlanItem) -> str | None:
        return item.concept_slug or None


class PlanListSerializer(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    interview = serializers.SerializerMethodField()
    start = serializers.DateField(source="start_date", read_only=True)
    coverage = serializers.SerializerMethodField()

    class Meta:
        model = Plan
        fields = [
            "id",
            "title",
            "team",
            "interview",
            "interview_at",
            "timezone",
            "start",
            "revision",
            "archived_at",
            "coverage",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DateField())
    def get_interview(self, plan: Plan) -> str:
        return planner_services.plan_inputs(plan).interview.isoformat()

    def get_coverage(self, plan: Plan) -> float:
        return plan.summary.get("coverage", 0.0)


# --- the plan JSON contract (planner.formats.plan_payload), for the schema -------------------


class PayloadResourceSerializer(serializers.Serializer):
    title = serializers.CharField()
    url = serializers.CharField()
    kind = serializers.CharField()
    minutes = serializers.IntegerField()


class PayloadQuestionSerializer(serializers.Serializer):
    slug = serializers.CharField()
    text = serializers.CharField()
    stage = serializers.CharField()


class PayloadItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    kind = serializers.ChoiceField(choices=ItemKind.choices)
    concept = serializers.CharField(allow_null=True)
    title = serializers.CharField()
    minutes = serializers.IntegerField()
    stage = serializers.CharField(allow_null=True)
    part = serializers.IntegerField(allow_null=True)
    parts = serializers.IntegerField(allow_null=True)
    note = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=ItemStatus.choices)
    resources = PayloadResourceSerializer(many=True, required=False, help_text="Learn items.")
    questions = PayloadQuestionSerializer(many=True, required=False, help_text="Practice items.")


class PayloadDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    available_minutes = serializers.IntegerField()
    blackout = serializers.BooleanField()
    interview_day = serializers.BooleanField()
    items = PayloadItemSerializer(many=True)


class PayloadCutSerializer(serializers.Serializer):
    concept = serializers.CharField()
    title = serializers.CharField(allow_blank=True)
    reason = serializers.CharField()
    value = serializers.FloatField()
    minutes = serializers.IntegerField(
        help_text="A cut topic: what it would still need with its missing prerequisites."
    )
    tier = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="core, important or useful; null for a "
        "prerequisite cut because every topic needing it was cut.",
    )
    left_minutes = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="Learning time left after the topics of this tier and the ones above.",
    )
    targets = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="The cut topics it was for (up to 10, the most valuable first).",
    )
    more_than = serializers.BooleanField(
        required=False, help_text="`minutes` is a lower bound: the topic needs more."
    )


class PayloadTierSerializer(serializers.Serializer):
    name = serializers.CharField()
    threshold = serializers.FloatField(help_text="Lowest relevance in the tier.")
    targets = serializers.IntegerField()
    learned = serializers.IntegerField()
    needed_minutes = serializers.IntegerField()
    value = serializers.FloatField()
    learned_value = serializers.FloatField()


class PayloadUnlistedCutsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Prerequisite cuts beyond those `cut` names.")
    minutes = serializers.IntegerField(help_text="Their learning minutes.")


class PayloadSummarySerializer(serializers.Serializer):
    needed_minutes = serializers.IntegerField()
    available_minutes = serializers.IntegerField()
    scheduled_minutes = serializers.IntegerField()
    coverage = serializers.FloatField()
    learned = serializers.ListField(child=serializers.CharField())
    cut = PayloadCutSerializer(many=True)
    unlisted_cuts = PayloadUnlistedCutsSerializer(
        required=False,
        help_text="Prerequisite cuts counted but not named: `cut` names at most "
        f"{PREREQUISITE_CUTS_LISTED}, those nearest the cut topics (only a plan over a very "
        "large graph has more).",
    )
    longest_chain = serializers.ListField(child=serializers.CharField())
    warnings = serializers.ListField(child=serializers.CharField())
    tiers = PayloadTierSerializer(many=True, required=False)
    toward = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        help_text="Prerequisite learned with the time left -> the cut topic it leads toward.",
    )
    exact = serializers.BooleanField(
        required=False, help_text="Whether the selection was proven optimal."
    )
    learning_budget_minutes = serializers.IntegerField(
        required=False, help_text="Learning minutes the selection had, after mocks and reviews."
    )
    assumed = serializers.CharField(
        required=False, allow_null=True, help_text="What the background assumed known."
    )
    practice = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Topic -> the interview questions (slugs) its study completes: each "
        "question belongs to one topic, the last of its concepts the plan studies; the "
        "topic's practice block asks up to two of them.",
    )


class PlanPayloadSerializer(serializers.Serializer):
    """The plan JSON contract (README, "The plan JSON contract"): fields are only ever added."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    team = serializers.CharField(allow_null=True)
    role = serializers.CharField(allow_null=True)
    timezone = serializers.CharField()
    interview = serializers.DateField()
    interview_at = serializers.DateTimeField()
    study_time = serializers.CharField(help_text="HH:MM")
    start = serializers.DateField()
    revision = serializers.IntegerField()
    archived_at = serializers.DateTimeField(
        allow_null=True, help_text="When the plan was archived; archived plans send no reminders."
    )
    days = PayloadDaySerializer(many=True)
    summary = PayloadSummarySerializer()


class FeedSerializer(serializers.Serializer):
    url = serializers.URLField(
        help_text="Secret calendar-feed URL (no sign-in needed); rotate it to revoke."
    )


# --- reminder preferences ----------------------------------------------------------------------


class ReminderPreferenceSerializer(serializers.ModelSerializer):
    """The stored preferences, or the defaults (reminders off) before the first save."""

    webhook_url = serializers.SerializerMethodField()
    webhook_secret = serializers.SerializerMethodField(
        help_text="Key of the X-Prepgraph-Signature HMAC-SHA256 header on webhook calls; "
        "null until the preferences are first saved."
    )
    updated_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Null until the preferences are first saved."
    )
    local_time = HourMinuteField(read_only=True)
    days_off = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        read_only=True,
        help_text="Weekdays without reminders, 0 = Monday ... 6 = Sunday.",
    )

    class Meta:
        model = ReminderPreference
        fields = [
            "enabled",
            "email",
            "webhook_url",
            "webhook_secret",
            "local_time",
            "timezone",
            "days_off",
            "updated_at",
        ]
        read_only_fields = fields

    def get_webhook_url(self, preference: ReminderPreference) -> str | None:
        return preference.webhook_url or None

    def get_webhook_secret(self, preference: ReminderPreference) -> str | None:
        return preference.webhook_secret if preference.pk else None


class ReminderPreferenceUpdateSerializer(serializers.Serializer):
    """Fields to change; the ones left out keep their value."""

    enabled = StrictBooleanField(required=False)
    email = StrictBooleanField(required=False, help_text="Send reminders by email.")
    webhook_url = StrictURLField(max_length=500, required=False, allow_null=True, allow_blank=True)
    local_time = HourMinuteField(required=False, help_text="When to be reminded, HH:MM.")
    timezone = StrictCharField(max_length=64, required=False)
    days_off = serializers.ListField(
        child=StrictIntegerField(min_value=0, max_value=6),
        max_length=7,
        required=False,
        help_text="Weekdays without reminders, 0 = Monday ... 6 = Sunday.",
    )
