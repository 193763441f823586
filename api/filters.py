"""Query-string filters of the list endpoints (django-filter); a bad value is a 400 naming it."""

import re

import django_filters as filters
from django import forms
from django_filters.fields import ChoiceField, ModelChoiceField

from api import selectors
from kb import graph as kb_graph
from kb import search as kb_search
from kb.models import (
    Area,
    Concept,
    Difficulty,
    InterviewStage,
    PrerequisiteKind,
    ResourceKind,
    Track,
)
from kb.vocabulary import SLUG_PATTERN

SLUG = re.compile(SLUG_PATTERN)


class _NotBlank:
    """`?area=` is refused rather than read as "any": the schema allows only the choices."""

    def clean(self, value):
        if value == "":
            raise forms.ValidationError(
                "Must not be empty; leave the parameter out to not filter by it.", code="blank"
            )
        return super().clean(value)


class _ChoiceField(_NotBlank, ChoiceField):
    pass


class _TypedChoiceField(_NotBlank, forms.TypedChoiceField):
    pass


class ChoiceFilter(filters.ChoiceFilter):
    field_class = _ChoiceField


class TypedChoiceFilter(filters.TypedChoiceFilter):
    field_class = _TypedChoiceField


class _SlugModelChoiceField(ModelChoiceField):
    """Checks the slug's format before looking it up: a NUL byte never reaches PostgreSQL.

    A slug that names nothing is refused with the slugs it probably meant (kb.search).
    """

    def to_python(self, value):
        if value not in self.empty_values and not SLUG.fullmatch(str(value)):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        try:
            return super().to_python(value)
        except forms.ValidationError as error:
            if error.code != "invalid_choice":
                raise
            raise forms.ValidationError(self._unknown(str(value)), code="invalid_choice") from None

    def _unknown(self, value: str) -> str:
        model = self.queryset.model
        candidates = (
            kb_graph.current_graph()  # titles and aliases too: `?concept=rag`
            if model is Concept
            else self.queryset.values_list(self.to_field_name, flat=True)
        )
        return kb_search.unknown_message(model._meta.verbose_name, [value], candidates)


class SlugChoiceFilter(filters.ModelChoiceFilter):
    field_class = _SlugModelChoiceField


def _by_slug(queryset, field_name: str, help_text: str) -> filters.ModelChoiceFilter:
    """A filter on a related row given by slug; an unknown slug is a 400, not an empty page."""
    return SlugChoiceFilter(
        queryset=queryset, to_field_name="slug", field_name=field_name, help_text=help_text
    )


class ConceptFilter(filters.FilterSet):
    q = filters.CharFilter(
        method="search",
        max_length=200,
        help_text="Words to find in the slug, title, aliases or summary, by stem "
        "(`transformers` finds Transformer, `tokenizer` tokenization); every word must "
        "match. Results come best first: exact names, then title, alias and summary hits.",
    )
    area = ChoiceFilter(choices=Area.choices)
    difficulty = TypedChoiceFilter(choices=Difficulty.choices, coerce=int)
    track = _by_slug(Track.objects.all(), "tracks", "Concepts weighted by this track.")
    stage = _by_slug(
        InterviewStage.objects.all(), "stages", "Concepts tested at this interview stage."
    )

    class Meta:
        model = Concept
        fields = ["q", "area", "difficulty", "track", "stage"]

    def search(self, queryset, name, value):
        """Ranking needs the other filters applied first: `filter_queryset` searches last."""
        return queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        text = self.form.cleaned_data.get("q")
        return selectors.concept_search(queryset, text) if text else queryset


class EdgeFilter(filters.FilterSet):
    to = _by_slug(Concept.objects.all(), "concept", "Edges into this concept.")
    kind = ChoiceFilter(choices=PrerequisiteKind.choices)


# `from` is a Python keyword, so it cannot be declared in the class body.
EdgeFilter.base_filters = {
    "from": _by_slug(Concept.objects.all(), "prerequisite", "Edges out of this concept."),
    **EdgeFilter.base_filters,
}


class QuestionFilter(filters.FilterSet):
    stage = _by_slug(InterviewStage.objects.all(), "stage", "Questions asked at this stage.")
    concept = _by_slug(Concept.objects.all(), "concepts", "Questions that test this concept.")


class ResourceFilter(filters.FilterSet):
    kind = ChoiceFilter(choices=ResourceKind.choices)
    concept = _by_slug(Concept.objects.all(), "concepts", "Resources that teach this concept.")
