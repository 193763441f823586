"""Self-test ratings in, the memory card and the next self-test out (planner.memory_services)."""

from rest_framework import serializers

from api.serializers.common import StrictChoiceField
from planner.models import MemoryRating


class RatingSerializer(serializers.Serializer):
    rating = StrictChoiceField(
        choices=MemoryRating.choices,
        error_messages={
            "invalid_choice": f'"{{input}}" is not a rating; one of: '
            f"{', '.join(MemoryRating.values)}."
        },
        help_text="How the self-test went: again (forgot), hard, good or easy.",
    )


class SelfTestSerializer(serializers.Serializer):
    concept = serializers.CharField(help_text="Concept slug.")
    prompts = serializers.ListField(
        child=serializers.CharField(),
        help_text="3 to 5 prompts: the concept's interview questions first, then what its "
        "summary says one should be able to explain.",
    )


class RatingResultSerializer(SelfTestSerializer):
    """The card after the rating; `prompts` are for the next self-test of the concept."""

    rating = serializers.ChoiceField(choices=MemoryRating.choices)
    due = serializers.DateTimeField(
        help_text="When the concept's next review is due; never after the plan's interview."
    )
    last_review = serializers.DateTimeField()
    reps = serializers.IntegerField(help_text="Ratings of this concept so far.")
    lapses = serializers.IntegerField(help_text="Ratings of Again so far.")
    review_days = serializers.ListField(
        child=serializers.DateField(),
        help_text="The days the plan's pending reviews of the concept are on now: the rating "
        "moved them to where the concept is due (learning never moves). The plan's revision "
        "goes up.",
    )
    revision = serializers.IntegerField(help_text="The plan's revision after the move.")
