"""/api/v1/: one router for the resources, explicit paths for the .ics files and the
single-resource reminder preferences. Trailing slashes are optional."""

from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from api.views import graph, kb, plans
from api.views.index import ApiIndexView

app_name = "api"


class OptionalSlashRouter(SimpleRouter):
    """`/plans` and `/plans/` both work: no redirect, which a POST could not follow."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("concepts", kb.ConceptViewSet, basename="concept")
router.register("edges", kb.EdgeViewSet, basename="edge")
router.register("stages", kb.StageViewSet, basename="stage")
router.register("tracks", kb.TrackViewSet, basename="track")
router.register("teams", kb.TeamViewSet, basename="team")
router.register("backgrounds", kb.BackgroundViewSet, basename="background")
router.register("questions", kb.QuestionViewSet, basename="question")
router.register("resources", kb.ResourceViewSet, basename="resource")
router.register("graph", graph.GraphViewSet, basename="graph")
router.register("import", kb.ImportViewSet, basename="import")
router.register("plans", plans.PlanViewSet, basename="plan")

reminder_preferences = plans.ReminderPreferenceViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update"}
)

urlpatterns = [
    path("", ApiIndexView.as_view(), name="index"),
    path(
        "plans/<int:pk>/calendar.ics",
        plans.PlanCalendarViewSet.as_view({"get": "retrieve"}),
        name="plan-calendar",
    ),
    re_path(
        r"^feeds/(?P<token>[-A-Za-z0-9_]{1,64})\.ics$",
        plans.FeedViewSet.as_view({"get": "retrieve"}),
        name="feed",
    ),
    re_path(r"^reminder-preferences/?$", reminder_preferences, name="reminder-preferences"),
    re_path(
        r"^reminder-preferences/rotate-webhook-secret/?$",
        plans.ReminderPreferenceViewSet.as_view({"post": "rotate_webhook_secret"}),
        name="reminder-preferences-rotate-webhook-secret",
    ),
    re_path(
        r"^reminder-preferences/revoke-links/?$",
        plans.ReminderPreferenceViewSet.as_view({"post": "revoke_links"}),
        name="reminder-preferences-revoke-links",
    ),
    *router.urls,
]
