"""Graph exploration: query parameters in, and the documented shape of the answers."""

from rest_framework import serializers

from api.serializers.common import (
    ExistingSlugField,
    SlugListField,
    slug_field,
    with_field_first,
)
from kb.models import Area, PrerequisiteKind, TeamProfile, Track

MAX_DEPTH = 50
MAX_SUBGRAPH_DEPTH = 10
SUBGRAPH_FORMATS = ("json", "graphml", "dot", "mermaid")
SUBGRAPH_MEDIA_TYPES = {
    "graphml": "application/graphml+xml",
    "dot": "text/vnd.graphviz",
    "mermaid": "text/plain",
}


# --- query parameters -------------------------------------------------------------------------


class NeighboursQuerySerializer(serializers.Serializer):
    depth = serializers.IntegerField(
        min_value=1,
        max_value=MAX_DEPTH,
        required=False,
        help_text="Hops to follow: 1 for direct neighbours; all when left out.",
    )
    recommended = serializers.BooleanField(
        default=True, help_text="Follow recommended edges too, not only required ones."
    )


class LearningPathQuerySerializer(serializers.Serializer):
    targets = SlugListField(help_text="Concepts to reach, comma-separated.")
    known = SlugListField(
        required=False,
        default=list,
        help_text="Concepts already known, comma-separated; their required prerequisites "
        "count as known too.",
    )
    recommended = serializers.BooleanField(
        default=False, help_text="Include recommended prerequisites."
    )

    def validate_targets(self, value: list[str]) -> list[str]:
        if not value:
            raise serializers.ValidationError("Give at least one target concept.")
        return value


class PathQuerySerializer(serializers.Serializer):
    to = slug_field(help_text="The concept the chain ends at.")
    recommended = serializers.BooleanField(
        default=True, help_text="Use recommended edges too, not only required ones."
    )

    def get_fields(self):
        return with_field_first(
            super().get_fields(), "from", slug_field(help_text="The concept the chain starts at.")
        )


class SubgraphQuerySerializer(serializers.Serializer):
    root = slug_field(help_text="The concept at the centre.")
    depth = serializers.IntegerField(
        min_value=0,
        max_value=MAX_SUBGRAPH_DEPTH,
        default=2,
        help_text="Hops around the root, either direction.",
    )
    format = serializers.ChoiceField(
        choices=SUBGRAPH_FORMATS,
        default="json",
        help_text="json, or graphml (yEd, Gephi), dot (Graphviz) or mermaid as text.",
    )


class NextQuerySerializer(serializers.Serializer):
    known = SlugListField(
        required=False,
        default=list,
        help_text="Concepts already known, comma-separated. A signed-in user's latest plan "
        "(its known concepts and what they have finished learning) counts too.",
    )
    track = ExistingSlugField(
        queryset=Track.objects.all(),
        noun="track",
        required=False,
        help_text="Rank by value for this track.",
    )
    team = ExistingSlugField(
        queryset=TeamProfile.objects.all(),
        noun="team",
        required=False,
        help_text="Rank by value for this team's tracks.",
    )
    limit = serializers.IntegerField(min_value=1, max_value=200, default=20)


# --- answers ------------------------------------------------------------------------------------


class NodeSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    area = serializers.ChoiceField(choices=Area.choices)
    hours = serializers.FloatField(allow_null=True)
    difficulty = serializers.IntegerField()


class NeighbourSerializer(NodeSerializer):
    distance = serializers.IntegerField(help_text="Hops from the concept.")


class NeighboursSerializer(serializers.Serializer):
    concept = serializers.CharField()
    depth = serializers.IntegerField(allow_null=True)
    count = serializers.IntegerField()
    hours = serializers.FloatField(help_text="Total estimated hours of the results.")
    results = NeighbourSerializer(many=True, help_text="In learning order.")


class LearningStepSerializer(NodeSerializer):
    step = serializers.IntegerField()
    cumulative_hours = serializers.FloatField()


class LearningPathSerializer(serializers.Serializer):
    targets = serializers.ListField(child=serializers.CharField())
    known = serializers.ListField(child=serializers.CharField())
    count = serializers.IntegerField()
    hours = serializers.FloatField()
    results = LearningStepSerializer(many=True, help_text="What to study, in order.")


class GraphEdgeSerializer(serializers.Serializer):
    to = serializers.CharField()
    kind = serializers.ChoiceField(choices=PrerequisiteKind.choices)

    def get_fields(self):
        return with_field_first(super().get_fields(), "from", serializers.CharField())


class PathSerializer(serializers.Serializer):
    to = serializers.CharField()
    length = serializers.IntegerField(help_text="Number of edges in the chain.")
    hours = serializers.FloatField()
    results = NodeSerializer(many=True, help_text="The chain, from first to last.")
    edges = GraphEdgeSerializer(many=True)

    def get_fields(self):
        return with_field_first(super().get_fields(), "from", serializers.CharField())


class SubgraphSerializer(serializers.Serializer):
    root = serializers.CharField()
    depth = serializers.IntegerField()
    nodes = NodeSerializer(many=True)
    edges = GraphEdgeSerializer(many=True)


class NextStepSerializer(NodeSerializer):
    value = serializers.FloatField(help_text="Relevance plus a damped share of what it unlocks.")
    relevance = serializers.FloatField(help_text="Weight for the track or team (1 without one).")
    unlocks = serializers.IntegerField(help_text="Unknown concepts that require it directly.")


class NextSerializer(serializers.Serializer):
    plan = serializers.IntegerField(
        allow_null=True, help_text="The signed-in user's plan whose progress counted as known."
    )
    known = serializers.ListField(child=serializers.CharField())
    track = serializers.CharField(allow_null=True)
    team = serializers.CharField(allow_null=True)
    count = serializers.IntegerField(help_text="How many concepts can be learned next in all.")
    results = NextStepSerializer(many=True, help_text="Most valuable first, at most `limit`.")
