# prepgraph's one image. compose.yaml runs it as web (gunicorn), worker and beat (Celery) and
# as the one-shot migrate step; any other host can run the same image with the Procfile's
# commands (web with WEB_BIND=0.0.0.0, as in a container nothing else can reach it).
# Runtime requirements only. The code belongs to root and is read-only to the unprivileged
# user every process runs as.
#
# The base image is pinned to an exact Python patch release and Debian release (pyproject:
# Python 3.11); change it deliberately and rebuild. requirements-optimizer.txt (torch) is
# not installed unless INSTALL_OPTIMIZER=true (below; README "Deployment").
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, so this layer is rebuilt only when the requirements change.
COPY requirements.txt requirements-optimizer.txt ./
RUN pip install --no-input -r requirements.txt
# Opt-in (`--build-arg INSTALL_OPTIMIZER=true`, for the worker image only): the FSRS
# optimizer, torch included, several GB. Without it the daily refit does nothing.
ARG INSTALL_OPTIMIZER=false
RUN if [ "$INSTALL_OPTIMIZER" = "true" ]; then \
        pip install --no-input -r requirements-optimizer.txt; \
    fi

# Beat's state file lives in the user's home (a volume in compose.yaml).
RUN useradd --system --user-group --uid 10001 --create-home --home-dir /var/lib/prepgraph \
    prepgraph

COPY . .

# The static files go into the image, so every web container serves the same ones (whitenoise,
# from STATIC_ROOT=/app/staticfiles). The settings refuse to start without a secret key: this
# step gets a random one of its own, used for nothing and kept nowhere.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    python manage.py collectstatic --no-input --verbosity 0

USER prepgraph
# No SECRET_KEY_FILE: without SECRET_KEY a container cannot write a key into /app and stops
# with a message, rather than each container signing links with a key of its own.
ENV CELERY_BEAT_SCHEDULE_FILENAME=/var/lib/prepgraph/celerybeat-schedule
EXPOSE 8000
CMD ["gunicorn", "prepgraph.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--no-control-socket"]
