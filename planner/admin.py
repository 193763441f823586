"""Admin for stored plans: read mostly; plans are made and replanned through planner.services.

Every write goes through the same services as the API, and a bad value is
reported on the form's field (a ModelForm clean), never raised from
`save_model`, which the admin does not catch.
"""

import calendar

from django import forms
from django.contrib import admin

from kb.admin import RefusedWritesAsMessages
from kb.errors import ApplicationError
from planner import preferences, services
from planner.models import (
    FsrsParameters,
    MemoryCard,
    Plan,
    PlanItem,
    ReminderDelivery,
    ReminderPreference,
    ReviewRating,
)


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
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Plan)
class PlanAdmin(RefusedWritesAsMessages):
    """Plans come from the planner: dates, zone and owner change only by a replan, never here."""

    list_display = ["title", "owner", "team", "interview_at", "revision", "archived_at"]
    list_filter = ["team", "timezone", ("archived_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "owner__username", "team__slug"]
    fields = ["title", "owner", "team", "interview_at", "timezone", "start_date", "revision",
              "archived_at", "uid", "inputs", "summary", "created_at", "updated_at"]  # fmt: skip
    readonly_fields = [name for name in fields if name != "title"]
    list_select_related = ["owner", "team"]
    inlines = [PlanItemInline]
    actions = ["archive", "unarchive"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Archive (no more reminders)")
    def archive(self, request, queryset):
        for plan in queryset:
            services.plan_archive(plan=plan, archived=True)
        self.message_user(request, f"Archived {queryset.count()} plan(s).")

    @admin.action(description="Bring back from the archive")
    def unarchive(self, request, queryset):
        for plan in queryset:
            services.plan_archive(plan=plan, archived=False)
        self.message_user(request, f"Brought back {queryset.count()} plan(s).")


@admin.register(PlanItem)
class PlanItemAdmin(RefusedWritesAsMessages):
    """Only an item's status can change here; items come from the planner, never from a form."""

    list_display = ["plan", "date", "order", "kind", "concept_slug", "minutes", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["concept_slug", "plan__title"]
    list_select_related = ["plan"]
    readonly_fields = ["plan", "date", "order", "kind", "concept", "concept_slug", "stage",
                       "minutes", "part", "parts", "note", "completed_at"]  # fmt: skip

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        services.mark_item(item=obj, status=obj.status)


class ReminderPreferenceForm(forms.ModelForm):
    """Checks the values with planner.preferences, so the admin takes what the API takes."""

    webhook_url = forms.URLField(required=False, max_length=500, assume_scheme="https")
    days_off = forms.TypedMultipleChoiceField(
        choices=list(enumerate(calendar.day_name)),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Days without reminders.",
    )

    class Meta:
        model = ReminderPreference
        fields = [
            "user",
            "enabled",
            "email",
            "webhook_url",
            "local_time",
            "timezone",
            "days_off",
        ]

    def clean(self):
        cleaned = super().clean()
        changes = {name: cleaned[name] for name in preferences.EDITABLE if name in cleaned}
        try:
            self.instance_changes = preferences.preference_check(changes)
            if self.instance_changes.keys() >= preferences.DELIVERY:  # the whole set
                preferences.check_delivery(self.instance_changes)
        except ApplicationError as exc:
            field = getattr(exc, "field", None)
            self.add_error(field if field in self.fields else None, exc.message)
        return cleaned


@admin.register(ReminderPreference)
class ReminderPreferenceAdmin(RefusedWritesAsMessages):
    form = ReminderPreferenceForm
    list_display = ["user", "enabled", "email", "webhook_url", "local_time", "timezone"]
    list_filter = ["enabled", "email", "timezone"]
    search_fields = ["user__username", "user__email", "webhook_url"]
    list_select_related = ["user"]
    actions = ["rotate_webhook_secret", "revoke_links"]

    def get_readonly_fields(self, request, obj=None):
        return ["user"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        stored = preferences.preference_update(user=obj.user, **form.instance_changes)
        obj.pk = stored.pk

    @admin.action(description="Rotate the webhook secret")
    def rotate_webhook_secret(self, request, queryset):
        for preference in queryset.select_related("user"):
            preferences.preference_rotate_webhook_secret(user=preference.user)
        self.message_user(request, f"Rotated {queryset.count()} webhook secret(s).")

    @admin.action(description="Revoke the links in reminders already sent")
    def revoke_links(self, request, queryset):
        for preference in queryset.select_related("user"):
            preferences.preference_revoke_links(user=preference.user)
        self.message_user(request, f"Revoked the reminder links of {queryset.count()} user(s).")


@admin.register(ReminderDelivery)
class ReminderDeliveryAdmin(admin.ModelAdmin):
    list_display = ["local_date", "user", "status", "attempts", "channels_sent", "sent_at"]
    list_filter = ["status", "local_date"]
    search_fields = ["user__username", "last_error", "uid"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in ReminderDelivery._meta.fields]

    def has_add_permission(self, request):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by planner.memory_services: shown, never added or edited here
    (a hand-edited card state would no longer be what fsrs computed from the log)."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MemoryCard)
class MemoryCardAdmin(ReadOnlyAdmin):
    list_display = ["user", "concept_slug", "due", "last_review", "reps", "lapses"]
    search_fields = ["user__username", "concept_slug"]
    list_select_related = ["user"]


@admin.register(ReviewRating)
class ReviewRatingAdmin(ReadOnlyAdmin):
    list_display = ["reviewed_at", "user", "concept_slug", "rating", "due", "plan"]
    list_filter = ["rating"]
    search_fields = ["user__username", "concept_slug"]
    list_select_related = ["user", "plan"]


@admin.register(FsrsParameters)
class FsrsParametersAdmin(ReadOnlyAdmin):
    """Deleting a row is allowed: the person goes back to fsrs's default parameters."""

    list_display = ["user", "fitted_at", "reviews_used"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
