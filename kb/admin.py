"""Admin for the knowledge base. Edge edits go through kb.integrity like every other path.

Bad input is refused in the forms' clean(), with kb.integrity's read-only checks, so
the page comes back with the error on the field and nothing saved. The writes then
go through kb.integrity again, under the edge lock: if another request changed the
graph in between and the write is refused after all, the admin's transaction rolls
everything back and the page shows the reason as an error message (RefusedWritesAsMessages)
instead of a 500.
"""

import logging

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, router, transaction
from django.db.models import ProtectedError, RestrictedError
from django.http import HttpResponseRedirect
from django.urls import reverse

from kb import graph as kb_graph
from kb import integrity, revision
from kb.errors import ApplicationError, ConceptHasDependents
from kb.models import (
    Area,
    Background,
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

logger = logging.getLogger(__name__)

# What a write can still raise after its form was valid: a concurrent change won the race.
REFUSED_WRITES = (ApplicationError, IntegrityError, ProtectedError, RestrictedError)


def refusal_message(exc: Exception) -> str:
    """What the admin user is told when a write is refused after its form was valid."""
    if isinstance(exc, ConceptHasDependents):
        # The domain message suggests `reconnect`, which only the API offers.
        slug = exc.details["concept"]
        return (
            f"cannot delete {slug!r}: it is a prerequisite of {', '.join(exc.dependents)}. "
            "Remove those edges on the dependent concepts first, or delete it with "
            f"DELETE /api/v1/concepts/{slug}/?reconnect=true"
        )
    if isinstance(exc, ApplicationError):
        return exc.message
    if isinstance(exc, ProtectedError | RestrictedError):
        return str(exc.args[0])
    return f"the database refused the change ({exc})"


class RefusedWritesAsMessages(admin.ModelAdmin):
    """A write refused after validation becomes an error message, with nothing changed.

    Django runs the add, change and delete views in one transaction, which the
    exception rolls back on its way out; the changelist (bulk actions) gets one here.
    """

    def _refused(self, request, exc: Exception, redirect_to: str) -> HttpResponseRedirect:
        logger.info("admin write refused: %s", exc)
        self.message_user(request, f"Nothing was saved: {refusal_message(exc)}", messages.ERROR)
        return HttpResponseRedirect(redirect_to)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except REFUSED_WRITES as exc:
            return self._refused(request, exc, request.get_full_path())

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except REFUSED_WRITES as exc:
            opts = self.opts
            change_page = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change",
                args=[object_id],
                current_app=self.admin_site.name,
            )
            return self._refused(request, exc, change_page)

    def changelist_view(self, request, extra_context=None):
        if request.method != "POST":
            return super().changelist_view(request, extra_context)
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return super().changelist_view(request, extra_context)
        except REFUSED_WRITES as exc:
            return self._refused(request, exc, request.get_full_path())


def _wanted_edges(formset) -> list[tuple[forms.Form, integrity.EdgeSpec]]:
    """The concept's complete wanted list of incoming edges, each with its inline form."""
    wanted = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None)
        if not data or data.get("DELETE") or not data.get("prerequisite"):
            continue
        spec = integrity.EdgeSpec(
            prerequisite=data["prerequisite"].slug,
            concept=formset.instance.slug,
            kind=data["kind"],
            reason=data.get("reason", ""),
        )
        wanted.append((form, spec))
    return wanted


def _edge_specs(formset) -> list[integrity.EdgeSpec]:
    return [spec for _form, spec in _wanted_edges(formset)]


class PrerequisiteInlineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors) or not self.instance.slug:
            return
        graph = kb_graph.load_graph()
        wanted = _wanted_edges(self)
        # Checked row by row, so the error lands on the row that causes it.
        for count, (form, _spec) in enumerate(wanted, start=1):
            specs = [spec for _form, spec in wanted[:count]]
            try:
                integrity.check_prerequisites_of(graph, self.instance.slug, specs)
            except ApplicationError as exc:
                form.add_error("prerequisite", ValidationError(exc.message, code=exc.code))
                return


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
class ConceptAdmin(RefusedWritesAsMessages):
    list_display = ["slug", "title", "area", "hours", "difficulty"]
    list_filter = ["area", "difficulty", "stages", "tracks"]
    search_fields = ["slug", "title", "summary", "aliases"]
    filter_horizontal = ["stages"]
    inlines = [PrerequisiteInline, DependentInline, ResourceInline]

    def save_formset(self, request, form, formset, change):
        if formset.model is not Prerequisite or formset.fk.name != "concept":
            return super().save_formset(request, form, formset, change)
        # Refused (a concurrent edit closed the cycle first): RefusedWritesAsMessages.
        integrity.prerequisites_replace(concept=form.instance.slug, edges=_edge_specs(formset))
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def get_deleted_objects(self, objs, request):
        """Django lists the protected edges; the message says what to do about them."""
        result = super().get_deleted_objects(objs, request)
        for concept in objs:
            try:
                integrity.check_concept_delete(concept.slug)
            except ConceptHasDependents as exc:
                self.message_user(request, refusal_message(exc), messages.ERROR)
        return result

    def delete_model(self, request, obj):
        integrity.concept_delete(slug=obj.slug)

    def delete_queryset(self, request, queryset):
        with revision.batched():
            for slug in queryset.values_list("slug", flat=True):
                integrity.concept_delete(slug=slug)


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
            # On the field, which also keeps the model's own unique and not-self constraint
            # checks from repeating the same complaint.
            self.add_error("prerequisite", ValidationError(exc.message, code=exc.code))
        return data


@admin.register(Prerequisite)
class PrerequisiteAdmin(RefusedWritesAsMessages):
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
        # Refused (a concurrent edit got there first): RefusedWritesAsMessages.
        saved = integrity.prerequisite_add(
            prerequisite=obj.prerequisite.slug,
            concept=obj.concept.slug,
            kind=obj.kind,
            reason=obj.reason,
        )
        obj.pk = saved.pk


@admin.register(InterviewStage)
class InterviewStageAdmin(RefusedWritesAsMessages):
    list_display = ["slug", "title", "typical_minutes", "research_only", "order"]
    search_fields = ["slug", "title", "description"]
    list_filter = ["research_only"]
    filter_horizontal = ["essentials"]


@admin.register(Resource)
class ResourceAdmin(RefusedWritesAsMessages):
    list_display = ["title", "kind", "minutes", "url"]
    list_filter = ["kind"]
    search_fields = ["title", "url", "concepts__slug"]
    autocomplete_fields = ["concepts"]


@admin.register(Question)
class QuestionAdmin(RefusedWritesAsMessages):
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
class TrackAdmin(RefusedWritesAsMessages):
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
class TeamProfileAdmin(RefusedWritesAsMessages):
    list_display = ["slug", "name", "role"]
    list_filter = ["role", "tracks"]
    search_fields = ["slug", "name", "description"]
    filter_horizontal = ["must_have"]
    inlines = [TeamTrackInline, LoopStageInline]


class BackgroundForm(forms.ModelForm):
    """Areas as checkboxes, and nothing both known and shaky (the planner would take it as
    shaky, but in a preset it is a slip)."""

    known_areas = forms.MultipleChoiceField(
        choices=Area.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    shaky_areas = forms.MultipleChoiceField(
        choices=Area.choices, required=False, widget=forms.CheckboxSelectMultiple
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

    def clean(self):
        data = super().clean()
        both = set(data.get("known_concepts") or ()) & set(data.get("shaky_concepts") or ())
        if both:
            names = ", ".join(sorted(c.slug for c in both))
            self.add_error("shaky_concepts", f"Also known: {names}. Pick one.")
        areas = set(data.get("known_areas") or ()) & set(data.get("shaky_areas") or ())
        if areas:
            self.add_error("shaky_areas", f"Also known: {', '.join(sorted(areas))}. Pick one.")
        return data


@admin.register(Background)
class BackgroundAdmin(RefusedWritesAsMessages):
    form = BackgroundForm
    list_display = ["slug", "title", "known_count", "shaky_count"]
    search_fields = ["slug", "title", "description"]
    autocomplete_fields = ["known_concepts", "shaky_concepts"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("known_concepts", "shaky_concepts")

    @admin.display(description="known concepts")
    def known_count(self, obj: Background) -> int:
        return len(obj.known_concepts.all())

    @admin.display(description="shaky concepts")
    def shaky_count(self, obj: Background) -> int:
        return len(obj.shaky_concepts.all())
