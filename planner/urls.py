from django.urls import path

from planner import views

app_name = "planner"

urlpatterns = [
    # Reminder emails link to these three: keep their names and paths.
    path("r/done/<str:token>/", views.mark_done, name="mark-done"),
    path("r/replan/<str:token>/", views.replan, name="replan"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("plans/", views.plan_list, name="plan-list"),
    path("plans/new/", views.plan_new, name="plan-new"),
    path("plans/concept-status.json", views.concept_status, name="concept-status"),
    path("plans/<int:pk>/items/<int:item_id>/", views.plan_item_mark, name="plan-item"),
    path(
        "plans/<int:pk>/items/<int:item_id>/rating/",
        views.plan_item_rating,
        name="plan-item-rating",
    ),
    path("plans/<int:pk>/replan/", views.plan_replan, name="plan-replan"),
    path("plans/<int:pk>/calendar.ics", views.plan_calendar, name="plan-calendar"),
    path("plans/<int:pk>/feed/rotate/", views.plan_feed_rotate, name="plan-feed-rotate"),
    path("plans/<int:pk>/archive/", views.plan_archive, name="plan-archive"),
    path("reminders/", views.reminder_preferences, name="reminder-preferences"),
    path(
        "reminders/rotate-webhook-secret/",
        views.reminder_rotate_webhook_secret,
        name="reminder-rotate-webhook-secret",
    ),
    path("reminders/revoke-links/", views.reminder_revoke_links, name="reminder-revoke-links"),
]
