from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.decorators.cache import cache_page
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)

from web.limits import limited

urlpatterns = [
    path("admin/", admin.site.urls),
    # Sign-in and password reset with their rate limits; the other auth pages as Django has them.
    path("accounts/login/", limited("sign-in")(auth_views.LoginView.as_view()), name="login"),
    path(
        "accounts/password_reset/",
        limited("password reset")(auth_views.PasswordResetView.as_view()),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include("api.urls")),
    # The schema changes only with a deploy; generating it costs ~0.5 s, so each process
    # keeps it (the "schema" cache is per process: a restart with new code drops it).
    path(
        "api/schema/",
        cache_page(60 * 60, cache="schema")(SpectacularAPIView.as_view()),
        name="schema",
    ),
    path("api/schema/swagger-ui/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/schema/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("", include("planner.urls")),
    path("", include("web.urls")),
    path("", include("kb.urls")),
]

# JSON error envelopes for /api/ paths that match no route (or crash); HTML elsewhere.
handler404 = "api.exception_handlers.not_found"
handler500 = "api.exception_handlers.server_error"
