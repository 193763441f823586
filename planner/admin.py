"""Admin for stored plans: read mostly; plans are made and replanned through planner.services."""

from django.contrib import admin

from planner import preferences, services
from planner.models import Plan, PlanItem, ReminderDelivery, ReminderPreference


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


@admin.register(ReminderPreference)
class ReminderPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "enabled", "email", "webhook_url", "local_time", "timezone"]
    list_filter = ["enabled", "email", "timezone"]
    search_fields = ["user__username", "user__email", "webhook_url"]
    list_select_related = ["user"]

    def save_model(self, request, obj, form, change):
        preferences.preference_update(
            user=obj.user, **{name: getattr(obj, name) for name in preferences.EDITABLE}
        )


@admin.register(ReminderDelivery)
class ReminderDeliveryAdmin(admin.ModelAdmin):
    list_display = ["local_date", "user", "plan", "kind", "status", "attempts", "sent_at"]
    list_filter = ["status", "kind", "local_date"]
    search_fields = ["user__username", "plan__title", "last_error"]
    list_select_related = ["user", "plan"]
    readonly_fields = [f.name for f in ReminderDelivery._meta.fields]

    def has_add_permission(self, request):
        return False
