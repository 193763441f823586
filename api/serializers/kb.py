"""Knowledge-base rows out (read for everyone), concepts and edges in (staff only)."""

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.common import (
    ExistingSlugField,
    StrictCharField,
    StrictChoiceField,
    StrictDecimalField,
    slug_field,
    with_field_first,
)
from kb.io import SECTIONS, ImportReport
from kb.models import (
    Area,
    Background,
    Concept,
    Difficulty,
    InterviewStage,
    Prerequisite,
    PrerequisiteKind,
    Question,
    Resource,
    TeamProfile,
    Track,
)


def _slugs(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True, **kwargs)


def _hours_field(*, strict: bool = False, **kwargs) -> serializers.DecimalField:
    return (StrictDecimalField if strict else serializers.DecimalField)(
        max_digits=5,
        decimal_places=2,
        coerce_to_string=False,
        allow_null=True,
        help_text="Estimated study hours for interview prep; null when unknown.",
        **kwargs,
    )


# --- concepts ---------------------------------------------------------------------------------


class ConceptSerializer(serializers.ModelSerializer):
    hours = _hours_field(read_only=True)
    stages = _slugs(help_text="Interview stages that test this concept.")

    class Meta:
        model = Concept
        fields = ["slug", "title", "aliases", "summary", "area", "hours", "difficulty", "stages"]
        read_only_fields = fields


class EdgeEndSerializer(serializers.Serializer):
    """One direct neighbour of a concept, with the edge that links them."""

    edge = serializers.IntegerField(help_text="Id of the edge (see /edges/).")
    slug = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=PrerequisiteKind.choices)
    reason = serializers.CharField(allow_blank=True)


class ConceptResourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Resource
        fields = ["id", "title", "url", "kind", "minutes"]
        read_only_fields = fields


class ConceptQuestionSerializer(serializers.ModelSerializer):
    stage = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Question
        fields = ["slug", "text", "stage"]
        read_only_fields = fields


class TrackWeightSerializer(serializers.Serializer):
    track = serializers.CharField(source="track.slug", read_only=True)
    weight = serializers.FloatField(read_only=True)


class ConceptDetailSerializer(ConceptSerializer):
    prerequisites = serializers.SerializerMethodField()
    dependents = serializers.SerializerMethodField()
    resources = ConceptResourceSerializer(many=True, read_only=True)
    questions = ConceptQuestionSerializer(many=True, read_only=True)
    tracks = TrackWeightSerializer(source="track_weights", many=True, read_only=True)

    class Meta(ConceptSerializer.Meta):
        fields = [
            *ConceptSerializer.Meta.fields,
            "prerequisites",
            "dependents",
            "resources",
            "questions",
            "tracks",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @staticmethod
    def _end(edge: Prerequisite, other: Concept) -> dict:
        return {
            "edge": edge.pk,
            "slug": other.slug,
            "title": other.title,
            "kind": edge.kind,
            "reason": edge.reason,
        }

    @extend_schema_field(EdgeEndSerializer(many=True))
    def get_prerequisites(self, concept: Concept) -> list[dict]:
        """Direct prerequisites (learn these first)."""
        return [self._end(e, e.prerequisite) for e in concept.prerequisite_edges.all()]

    @extend_schema_field(EdgeEndSerializer(many=True))
    def get_dependents(self, concept: Concept) -> list[dict]:
        """Concepts that list this one as a direct prerequisite."""
        return [self._end(e, e.concept) for e in concept.dependent_edges.all()]


class ConceptWriteSerializer(serializers.Serializer):
    """A concept as staff create (POST) or change it (PUT, PATCH); the slug never changes."""

    slug = slug_field()
    title = StrictCharField(max_length=200)
    aliases = serializers.ListField(
        child=StrictCharField(max_length=200), max_length=50, required=False
    )
    summary = StrictCharField(allow_blank=True, required=False, max_length=10_000)
    area = StrictChoiceField(choices=Area.choices)
    hours = _hours_field(
        strict=True, required=False, min_value=Decimal("0.25"), max_value=Decimal("200")
    )
    difficulty = StrictChoiceField(choices=Difficulty.choices, required=False)
    stages = serializers.ListField(
        child=slug_field(),
        max_length=50,
        required=False,
        help_text="Slugs of the interview stages that test this concept.",
    )

    def validate_stages(self, slugs: list[str]) -> list[InterviewStage]:
        stages = {stage.slug: stage for stage in InterviewStage.objects.filter(slug__in=slugs)}
        unknown = [slug for slug in slugs if slug not in stages]
        if unknown:
            raise serializers.ValidationError(f"Unknown stage {unknown[0]!r}.")
        return [stages[slug] for slug in dict.fromkeys(slugs)]

    def validate_slug(self, value: str) -> str:
        if self.instance is not None and value != self.instance.slug:
            raise serializers.ValidationError(
                "A concept's slug cannot change; create a new concept instead."
            )
        return value


class ConceptDeleteQuerySerializer(serializers.Serializer):
    reconnect = serializers.BooleanField(
        default=False,
        help_text="Link each prerequisite of the concept to each of its dependents first; "
        "without it, deleting a concept others depend on is a 409.",
    )


# --- edges ------------------------------------------------------------------------------------


class EdgeSerializer(serializers.ModelSerializer):
    """An edge `from -> to`: learn `from` before `to`."""

    to = serializers.SlugRelatedField(source="concept", slug_field="slug", read_only=True)

    class Meta:
        model = Prerequisite
        fields = ["id", "to", "kind", "reason"]
        read_only_fields = fields

    def get_fields(self):
        fields = super().get_fields()
        return with_field_first(
            fields,
            "from",
            serializers.SlugRelatedField(
                source="prerequisite",
                slug_field="slug",
                read_only=True,
                help_text="The prerequisite.",
            ),
        )


class EdgeCreateSerializer(serializers.Serializer):
    to = ExistingSlugField(
        queryset=Concept.objects.all(), noun="concept", help_text="The dependent concept."
    )
    kind = StrictChoiceField(choices=PrerequisiteKind.choices, default=PrerequisiteKind.REQUIRED)
    reason = StrictCharField(max_length=300, allow_blank=True, default="")

    def get_fields(self):
        return with_field_first(
            super().get_fields(),
            "from",
            ExistingSlugField(
                queryset=Concept.objects.all(), noun="concept", help_text="The prerequisite."
            ),
        )


class EdgeUpdateSerializer(serializers.Serializer):
    """What an edge says can change; its ends cannot (delete it and create another)."""

    kind = StrictChoiceField(choices=PrerequisiteKind.choices, required=False)
    reason = StrictCharField(max_length=300, allow_blank=True, required=False)

    def validate(self, attrs):
        moved = [name for name in ("from", "to") if name in self.initial_data]
        if moved:
            raise serializers.ValidationError(
                {moved[0]: ["The ends of an edge cannot change; delete it and create another."]}
            )
        return attrs


# --- stages, tracks, teams, questions, resources -----------------------------------------------


class StageSerializer(serializers.ModelSerializer):
    essentials = serializers.SlugRelatedField(
        slug_field="slug",
        many=True,
        read_only=True,
        help_text="The round's groundwork, what a candidate facing it cannot skip: a team's "
        "plan learns it after the team's must-haves, while it takes at most a quarter of the "
        "plan.",
    )

    class Meta:
        model = InterviewStage
        fields = [
            "slug",
            "title",
            "description",
            "typical_minutes",
            "research_only",
            "order",
            "essentials",
        ]
        read_only_fields = fields


class TrackConceptSerializer(serializers.Serializer):
    concept = serializers.CharField(source="concept.slug", read_only=True)
    weight = serializers.FloatField(read_only=True)


class TrackSerializer(serializers.ModelSerializer):
    concepts = TrackConceptSerializer(source="weighted_concepts", many=True, read_only=True)

    class Meta:
        model = Track
        fields = ["slug", "title", "description", "concepts"]
        read_only_fields = fields


class LoopStepSerializer(serializers.Serializer):
    stage = serializers.CharField(source="stage.slug", read_only=True)
    order = serializers.IntegerField(read_only=True)
    minutes = serializers.IntegerField(read_only=True)


class TeamSerializer(serializers.ModelSerializer):
    tracks = TrackWeightSerializer(source="track_weights", many=True, read_only=True)
    loop = LoopStepSerializer(many=True, read_only=True)
    must_have = serializers.SlugRelatedField(
        slug_field="slug",
        many=True,
        read_only=True,
        help_text="Topics every loop of the team asks about: a plan learns them first.",
    )

    class Meta:
        model = TeamProfile
        fields = ["slug", "name", "description", "role", "tracks", "loop", "must_have"]
        read_only_fields = fields


class QuestionSerializer(serializers.ModelSerializer):
    stage = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    concepts = _slugs()

    class Meta:
        model = Question
        fields = ["slug", "text", "stage", "concepts", "source", "answer_outline"]
        read_only_fields = fields


class ResourceSerializer(serializers.ModelSerializer):
    concepts = _slugs()

    class Meta:
        model = Resource
        fields = ["id", "title", "url", "kind", "minutes", "concepts"]
        read_only_fields = fields


class BackgroundSerializer(serializers.ModelSerializer):
    """A background preset for `POST /plans/` (`background`): what a plan may assume."""

    known_concepts = _slugs(help_text="Known, and so are their required prerequisites.")
    shaky_concepts = _slugs(help_text="Seen before but rusty: reviewed, not learned.")
    known_areas = serializers.ListField(
        child=serializers.ChoiceField(choices=Area.choices),
        read_only=True,
        help_text="Every concept in these areas is known.",
    )
    shaky_areas = serializers.ListField(
        child=serializers.ChoiceField(choices=Area.choices),
        read_only=True,
        help_text="Every concept in these areas is reviewed, within what a plan needs.",
    )

    class Meta:
        model = Background
        fields = [
            "slug",
            "title",
            "description",
            "known_concepts",
            "shaky_concepts",
            "known_areas",
            "shaky_areas",
        ]
        read_only_fields = fields


# --- import -----------------------------------------------------------------------------------


class ImportQuerySerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(
        default=False, help_text="Check and apply the file, then roll everything back."
    )


class CountsSerializer(serializers.Serializer):
    stages = serializers.IntegerField()
    concepts = serializers.IntegerField()
    edges = serializers.IntegerField()
    resources = serializers.IntegerField()
    questions = serializers.IntegerField()
    tracks = serializers.IntegerField()
    teams = serializers.IntegerField()
    backgrounds = serializers.IntegerField()


class ImportReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    changed = serializers.BooleanField(
        help_text="Whether the import changed (or, in a dry run, would change) anything."
    )
    lines = serializers.ListField(child=serializers.CharField())
    created = CountsSerializer()
    updated = CountsSerializer()
    unchanged = CountsSerializer()

    def to_representation(self, report: ImportReport) -> dict:
        return {
            "dry_run": report.dry_run,
            "changed": report.changed,
            "lines": report.lines(),
            "created": {section: report.created[section] for section in SECTIONS},
            "updated": {section: report.updated[section] for section in SECTIONS},
            "unchanged": {section: report.unchanged[section] for section in SECTIONS},
        }
