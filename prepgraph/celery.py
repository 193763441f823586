"""The Celery app: Redis broker (REDIS_URL), config from Django settings (CELERY_*).

Reminders live as rows in the database and beat runs one dispatcher a minute;
nothing is held in Redis as a long ETA message (the Redis transport would
redeliver it every visibility timeout). Beat also starts the daily FSRS refit
(planner.tasks.refit_fsrs_parameters); the schedule is CELERY_BEAT_SCHEDULE.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prepgraph.settings")

app = Celery("prepgraph")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
