"""Rate limits for anonymous (per IP) and signed-in (per user) clients.

Rates come from settings (API_THROTTLE_ANON / API_THROTTLE_USER). DRF's own
classes copy the rates once at import; these read them per request, so a
test can lower a rate with `settings` and see a 429. Counts live in Django's
default cache: per process unless CACHES points at a shared cache.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class _SettingsRate:
    scope: str

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonThrottle(_SettingsRate, AnonRateThrottle):
    pass


class UserThrottle(_SettingsRate, UserRateThrottle):
    pass
