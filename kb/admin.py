"""Admin for the knowledge base. Edge edits go through kb.integrity like every other path."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from kb import graph as kb_graph
from kb import integrity
from kb.errors import ApplicationError
from kb.models import (
    Concept,
    InterviewStage,
    LoopStage,
    Prerequisite,
    Question,
    Resource,
    TeamProfile,
    TeamTrack,
    Track,
    TrackConcept,
)


def _edge_specs(formset) -> list[integrity.EdgeSpec]:
    """The concept's complete wanted list of incoming edges, from a valid inline formset."""
    specs = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None)
        if not data or data.get("DELETE") or not data.get("prerequisite"):
            continue
        specs.append(
            integrity.EdgeSpec(
                prerequisite=data["prerequisite"].slug,
                concept=formset.instance.slug,
                kind=data["kind"],
                reason=data.get("reason", ""),
            )
        )
    return specs


class PrerequisiteInlineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors) or not self.instance.slug:
            return
        try:
            integrity.check_prerequisites_of(
                kb_graph.load_graph(), self.instance.slug, _edge_specs(self)
            )
        except ApplicationError as exc:
            raise ValidationError(exc.message, code=exc.code) from exc


class PrerequisiteInline(admin.TabularInline):
    model = Prerequisite
    fk_name = "concept"
    formset = PrerequisiteInlineFormSet
    autocomplete_fields = ["prerequisite"]
    fields = ["prerequisite", "kind", "reason"]
    extra = 0
    verbose_name = "prerequisite"
    verbose_name_plural = "prerequisites (learn these first)"


class DependentInline(admin.TabularInline):
    model = Prerequisite
    fk_name = "prerequisite"
    fields = ["concept", "kind", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "dependent"
    verbose_name_plural = "dependents (edit them on the dependent concept)"

    def has_add_permission(self, request, obj=None):
        return False


class ResourceInline(admin.TabularInline):
    model = Resource.concepts.through
    autocomplete_fields = ["resource"]
    extra = 0
    verbose_name_plural = "resources"


@admin.register(Concept)
class ConceptAdmin(admin.ModelAdmin):
    list_display = ["slug", "title", "area", "hours", "difficulty"]
    list_filter = ["area", "difficulty", "stages", "tracks"]
    search_fields = ["slug", "title", "summary", "aliases"]
    filter_horizontal = ["stages"]
    inlines = [PrerequisiteInline, DependentInline, ResourceInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is not Prerequisite or formset.fk.name != "concept":
            return super().save_formset(request, form, formset, change)
        try:
            integrity.prerequisites_replace(concept=form.instance.slug, edges=_edge_specs(formset))
        except ApplicationError as exc:  # a concurrent edit closed the cycle first
            raise ValidationError(exc.message) from exc
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


class PrerequisiteForm(forms.ModelForm):
    class Meta:
        model = Prerequisite
        fields = ["prerequisite", "concept", "kind", "reason"]

    def clean(self):
        data = super().clean()
        if self.instance.pk or self.errors:
            return data  # endpoints are read-only on change; kind and reason cannot close a cycle
        try:
            integrity.check_new_edge(
                kb_graph.load_graph(), data["prerequisite"].slug, data["concept"].slug
            )
        except ApplicationError as exc:
            raise ValidationError(exc.message, code=exc.code) from exc
        return data


@admin.register(Prerequisite)
class PrerequisiteAdmin(admin.ModelAdmin):
    form = PrerequisiteForm
    list_display = ["prerequisite", "concept", "kind", "reason"]
    list_filter = ["kind", "concept__area"]
    search_fields = ["prerequisite__slug", "concept__slug", "reason"]
    autocomplete_fields = ["prerequisite", "concept"]
    list_select_related = ["prerequisite", "concept"]

    def get_readonly_fields(self, request, obj=None):
        return ["prerequisite", "concept"] if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            integrity.prerequisite_update(edge=obj, kind=obj.kind, reason=obj.reason)
            return
        try:
            saved = integrity.prerequisite_add(
                prerequisite=obj.prerequisite.slug,
                concept=obj.concept.slug,
                kind=obj.kind,
                reason=obj.reason,
            )
        except ApplicationError as exc:
            raise ValidationError(exc.message) from exc
        obj.pk = saved.pk


@admin.register(InterviewStage)
class InterviewStageAdmin(admin.ModelAdmin):
    list_display = ["slug", "title", "typical_minutes", "research_only", "order"]
    search_fields = ["slug", "title", "description"]
    list_filter = ["research_only"]


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "minutes", "url"]
    list_filter = ["kind"]
    search_fields = ["title", "url", "concepts__slug"]
    autocomplete_fields = ["concepts"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["slug", "stage", "short_text"]
    list_filter = ["stage"]
    search_fields = ["slug", "text", "concepts__slug"]
    autocomplete_fields = ["concepts"]
    list_select_related = ["stage"]

    @admin.display(description="text")
    def short_text(self, obj: Question) -> str:
        return obj.text[:100]


class TrackConceptInline(admin.TabularInline):
    model = TrackConcept
    autocomplete_fields = ["concept"]
    extra = 0


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ["slug", "title"]
    search_fields = ["slug", "title", "description"]
    inlines = [TrackConceptInline]


class TeamTrackInline(admin.TabularInline):
    model = TeamTrack
    extra = 0


class LoopStageInline(admin.TabularInline):
    model = LoopStage
    extra = 0


@admin.register(TeamProfile)
class TeamProfileAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "role"]
    list_filter = ["role", "tracks"]
    search_fields = ["slug", "name", "description"]
    inlines = [TeamTrackInline, LoopStageInline]
