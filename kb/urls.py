"""The knowledge-base pages, mounted at the site root (namespace `kb`)."""

from django.urls import path

from kb import views

app_name = "kb"

urlpatterns = [
    path("concepts/", views.concept_list, name="concept-list"),
    path("concepts/<slug:slug>/", views.concept_detail, name="concept"),
    path("tracks/<slug:slug>/", views.track_detail, name="track"),
    path("tracks/<slug:slug>/graph/", views.track_graph, name="track-graph"),
    path("teams/<slug:slug>/", views.team_detail, name="team"),
]
