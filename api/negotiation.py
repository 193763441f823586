"""Content negotiation for views that answer in a fixed non-JSON type (.ics, DOT, ...).

Such views return their own HttpResponse on success; errors still need a
renderer, and a calendar app's `Accept: text/calendar` must not turn into a
406. So the client's Accept header is ignored and errors render as JSON.
"""

from rest_framework.negotiation import BaseContentNegotiation


class IgnoreClientContentNegotiation(BaseContentNegotiation):
    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
