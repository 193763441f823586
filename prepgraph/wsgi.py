"""The WSGI application: Django, behind ChunkedBodyMiddleware (prepgraph.wsgi_body) so
a chunked request body is read rather than silently taken as empty."""

import os

from django.core.wsgi import get_wsgi_application

from prepgraph.wsgi_body import ChunkedBodyMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prepgraph.settings")
application = ChunkedBodyMiddleware(get_wsgi_application())
