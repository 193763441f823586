"""Admin for stored plans: read mostly; plans are made and replanned through planner.services."""

from django.contrib import admin

from planner import services
from planner.models import Plan, PlanItem


class PlanItemInline(admin.TabularInline):
    model = PlanItem
    fields = [
        "date",
        "order",
        "kind",
        "concept_slug",
        "stage",
        "minutes",
        "part",
        "parts",
        "status",
    ]
    readonly_fields = ["date", "order", "kind", "concept_slug", "stage", "minutes", "part", "parts"]
    extra = 0
    readonly_fields = [*readonly_fields, "status"]
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["title", "owner", "team", "interview_at", "revision", "created_at"]
    list_filter = ["team", "timezone"]
    search_fields = ["title", "owner__username", "team__slug"]
    readonly_fields = ["uid", "inputs", "summary", "revision", "created_at", "updated_at"]
    exclude = ["feed_token"]
    list_select_related = ["owner", "team"]
    inlines = [PlanItemInline]


@admin.register(PlanItem)
class PlanItemAdmin(admin.ModelAdmin):
    list_display = ["plan", "date", "order", "kind", "concept_slug", "minutes", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["concept_slug", "plan__title"]
    list_select_related = ["plan"]
    readonly_fields = ["plan", "date", "order", "kind", "concept", "concept_slug", "stage",
                       "minutes", "part", "parts", "note", "completed_at"]  # fmt: skip

    def save_model(self, request, obj, form, change):
        services.mark_item(item=obj, status=obj.status)
