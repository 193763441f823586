"""A site without the planner's pages, to see what links fall back to."""

from django.urls import include, path

urlpatterns = [
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("web.urls")),
]
