"""The WSGI application: Django, behind ChunkedBodyMiddleware (prepgraph.wsgi_body) so
a chunked request body is read rather than silently taken as empty.

What is loaded here lives as long as the process: Django, the apps, the URLconf with
every view and what the views import, HiGHS with numpy. That is some 150,000 objects,
and the garbage collector's full passes walked them all, one every hundred plans or so
(70 ms here): 1.1 ms of a plan request's 22 went to collecting. Frozen once loaded
(gc.freeze), they are never walked again, and a plan costs 0.45 ms of collecting.
"""

import contextlib
import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from prepgraph.wsgi_body import ChunkedBodyMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prepgraph.settings")
application = ChunkedBodyMiddleware(get_wsgi_application())


def _load_and_freeze() -> None:
    """Import now what the first requests would (the views, the solver), then freeze."""
    get_resolver().url_patterns  # noqa: B018 (imports the URLconf and every view)
    with contextlib.suppress(ImportError):  # the planner's first exact selection would
        import highspy  # noqa: F401
    gc.collect()
    gc.freeze()


_load_and_freeze()
