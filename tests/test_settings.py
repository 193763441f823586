"""prepgraph.settings never starts with a known or empty secret key, DEBUG is opt-in, and
the production defaults (mail, database connections, beat's state, HSTS) are safe ones.

Each case imports the settings module in a fresh process with exactly the given
environment, from a copy of it in a temporary directory: the copy's BASE_DIR is
that directory, so the default key file (.secret_key) is created there and the
checkout's own file is never touched.
"""

import json
import os
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SETTINGS = REPO / "prepgraph" / "settings.py"
PLACEHOLDER = "change-me-to-a-long-random-string"  # .env.example's
GOOD_KEY = "Zq8-vT2mLx0pW7nRk4sYb6cHj1dF9gAe3uVo5iN_yE0wQ2rT"

REPORT = """
import json
from prepgraph import settings as s
print(json.dumps({"key": s.SECRET_KEY, "debug": s.DEBUG, "hosts": s.ALLOWED_HOSTS}))
"""


@dataclass
class Start:
    returncode: int
    stderr: str
    key: str | None = None
    debug: bool | None = None
    hosts: list[str] | None = None

    @property
    def refused(self) -> bool:
        return self.returncode != 0


@pytest.fixture
def project(tmp_path) -> Path:
    """A directory holding only prepgraph/settings.py, as the BASE_DIR of the copy."""
    package = tmp_path / "project" / "prepgraph"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    shutil.copy(SETTINGS, package / "settings.py")
    return package.parent


def start(project: Path, cwd: Path | None = None, **env: str | None) -> Start:
    """Import the settings in a new process with only PATH and `env` (None: unset)."""
    environ = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(project),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    environ |= {name: value for name, value in env.items() if value is not None}
    result = subprocess.run(
        [sys.executable, "-c", REPORT],
        cwd=cwd or project,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode:
        return Start(result.returncode, result.stderr)
    return Start(result.returncode, result.stderr, **json.loads(result.stdout))


def refusal(result: Start) -> str:
    """The ImproperlyConfigured message a refused start ends with."""
    assert result.refused
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("django.core.exceptions.ImproperlyConfigured: "), result.stderr
    return last.removeprefix("django.core.exceptions.ImproperlyConfigured: ")


DEBUG_VALUES = {None: False, "": False, "false": False, "0": False, "true": True, "ON": True}
SECRET_KEYS = {
    "unset": None,
    "empty": "",
    "blank": "   ",
    "short": "s3cr3t-but-only-31-characters!!",
    "insecure": "django-insecure-" + GOOD_KEY,
    "placeholder": PLACEHOLDER,
    "old default": "django-insecure-dev-only-prepgraph",
    "monotonous": "ab" * 30,
    "good": GOOD_KEY,
}
REFUSED = {
    "short": "SECRET_KEY is 31 characters long, shorter than 32",
    "insecure": "SECRET_KEY is a 'django-insecure-' development key",
    "placeholder": "SECRET_KEY is a published placeholder",
    "old default": "SECRET_KEY is a published placeholder",
    "monotonous": "SECRET_KEY has fewer than 5 different characters",
}


@pytest.mark.parametrize("debug", list(DEBUG_VALUES), ids=repr)
@pytest.mark.parametrize("secret", list(SECRET_KEYS))
def test_no_environment_starts_with_a_known_or_empty_key(project, debug, secret):
    result = start(project, DJANGO_DEBUG=debug, SECRET_KEY=SECRET_KEYS[secret])
    key_file = project / ".secret_key"
    if secret in REFUSED:
        assert REFUSED[secret] in refusal(result)
        assert "token_urlsafe" in refusal(result)  # it says how to make a good one
        return
    assert result.returncode == 0, result.stderr
    assert result.debug is DEBUG_VALUES[debug]
    assert result.hosts == ["localhost", "127.0.0.1", "[::1]"]
    if secret == "good":
        assert result.key == GOOD_KEY
        assert not key_file.exists()
    else:  # unset, empty or blank: this checkout's own random key
        assert len(result.key) >= 50
        assert key_file.read_text().strip() == result.key


def test_the_generated_key_is_kept_private_and_reused_by_the_next_start(project):
    first = start(project)
    key_file = project / ".secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert start(project).key == first.key
    assert start(project, DJANGO_DEBUG="true").key == first.key


def test_two_fresh_key_files_get_different_keys(project, tmp_path):
    first = start(project, SECRET_KEY_FILE=str(tmp_path / "one"))
    second = start(project, SECRET_KEY_FILE=str(tmp_path / "two"))
    assert first.key != second.key
    assert (tmp_path / "one").read_text().strip() == first.key
    assert (tmp_path / "two").read_text().strip() == second.key
    assert not (project / ".secret_key").exists()


def test_a_relative_key_file_is_under_the_project_wherever_it_starts(project, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "var").mkdir(parents=True)
    (project / "var").mkdir()
    result = start(project, cwd=elsewhere, SECRET_KEY_FILE="var/secret_key")
    assert (project / "var" / "secret_key").read_text().strip() == result.key
    assert not (elsewhere / "var" / "secret_key").exists()


def test_a_set_secret_key_wins_over_the_key_file(project, tmp_path):
    result = start(project, SECRET_KEY=GOOD_KEY, SECRET_KEY_FILE=str(tmp_path / "unused"))
    assert result.key == GOOD_KEY
    assert not (tmp_path / "unused").exists()


def test_processes_starting_at_once_agree_on_one_key(project, tmp_path):
    environ = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SECRET_KEY_FILE": str(tmp_path / "shared"),
    }
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", REPORT],
            cwd=project,
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    keys = set()
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        keys.add(json.loads(out)["key"])
    assert keys == {(tmp_path / "shared").read_text().strip()}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty; delete it to generate a new key"),
        ("short\n", "the key in {path} is 5 characters long"),
        (PLACEHOLDER + "\n", "the key in {path} is a published placeholder"),
    ],
    ids=["empty", "short", "placeholder"],
)
def test_a_key_file_with_a_bad_key_is_refused(project, tmp_path, content, message):
    path = tmp_path / "key"
    path.write_text(content)
    result = start(project, SECRET_KEY_FILE=str(path))
    assert message.format(path=path) in refusal(result)


def test_a_key_file_that_cannot_be_created_is_refused_with_a_hint(project, tmp_path):
    path = tmp_path / "missing-dir" / "key"
    message = refusal(start(project, SECRET_KEY_FILE=str(path)))
    assert message.startswith(f"SECRET_KEY is not set and {path} cannot be created")
    assert "set SECRET_KEY, or SECRET_KEY_FILE to a writable path" in message


def test_a_debug_value_that_is_not_a_boolean_is_refused(project):
    assert "DJANGO_DEBUG must be true or false, got 'maybe'" in refusal(
        start(project, DJANGO_DEBUG="maybe")
    )


# --- what the other settings default to, and the environment changes ---------------------------

SETTINGS_REPORT = """
import json, sys
from prepgraph import settings as s
print(json.dumps({name: getattr(s, name, None) for name in sys.argv[1:]}, default=str))
"""


def read_settings(project: Path, *names: str, **env: str) -> dict:
    """The settings `names` of a fresh start in `project` with only PATH, a key and `env`."""
    environ = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(project),
        "PYTHONDONTWRITEBYTECODE": "1",
        "SECRET_KEY": GOOD_KEY,
        **env,
    }
    result = subprocess.run(
        [sys.executable, "-c", SETTINGS_REPORT, *names],
        cwd=project,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


SMTP = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE = "django.core.mail.backends.console.EmailBackend"
UNDELIVERED = "prepgraph.mail.UndeliveredEmailBackend"


@pytest.mark.parametrize(
    ("env", "backend"),
    [
        ({}, UNDELIVERED),  # production without a mail server: never whole mails in the log
        ({"EMAIL_HOST": ""}, UNDELIVERED),  # compose passes the unset variable as ""
        ({"DJANGO_DEBUG": "true"}, CONSOLE),  # development: read the mails in the terminal
        ({"EMAIL_HOST": "smtp.example.com"}, SMTP),
        ({"DJANGO_DEBUG": "true", "EMAIL_HOST": "smtp.example.com"}, SMTP),
        ({"EMAIL_BACKEND": CONSOLE}, CONSOLE),  # an explicit choice wins
    ],
    ids=["production", "empty host", "debug", "smtp", "debug smtp", "explicit"],
)
def test_without_a_mail_server_production_logs_no_message_bodies(project, env, backend):
    assert read_settings(project, "EMAIL_BACKEND", **env)["EMAIL_BACKEND"] == backend


def test_kept_database_connections_are_health_checked(project):
    def database(**env: str) -> dict:
        return read_settings(project, "DATABASES", **env)["DATABASES"]["default"]

    postgres = "postgres://prepgraph@db.internal:5432/prepgraph"
    kept = database(DATABASE_URL=postgres)
    assert kept["CONN_MAX_AGE"] == 60 and kept["CONN_HEALTH_CHECKS"] is True
    assert database(DATABASE_URL=postgres, DB_CONN_MAX_AGE="300")["CONN_HEALTH_CHECKS"] is True
    closed = database(DATABASE_URL=postgres, DB_CONN_MAX_AGE="0")
    assert closed["CONN_MAX_AGE"] == 0 and closed["CONN_HEALTH_CHECKS"] is False
    sqlite = database()
    assert sqlite["CONN_MAX_AGE"] == 60  # SQLite's connections are kept as well


@pytest.mark.django_db
def test_sqlite_databases_are_written_through_a_write_ahead_log():
    """Readers never wait for a writer and a commit needs no fsync of the database file:
    two web processes writing plans do not queue behind each other's syncs."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert cursor.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL


def test_beats_state_file_is_private_to_the_checkout_not_in_the_temp_dir(project, tmp_path):
    import tempfile

    found = read_settings(project, "CELERY_BEAT_SCHEDULE_FILENAME", "CELERY_BEAT_SCHEDULER")
    path = Path(found["CELERY_BEAT_SCHEDULE_FILENAME"])
    assert path == project / "var" / "beat" / "celerybeat-schedule"
    assert found["CELERY_BEAT_SCHEDULER"] == "prepgraph.beat.PrivateDirScheduler"
    assert "var/" in (REPO / ".gitignore").read_text().splitlines()
    assert "var" in (REPO / ".dockerignore").read_text().splitlines()
    # The real checkout's default, whatever the temp dir is.
    real = read_settings(REPO, "CELERY_BEAT_SCHEDULE_FILENAME")["CELERY_BEAT_SCHEDULE_FILENAME"]
    assert Path(real) == REPO / "var" / "beat" / "celerybeat-schedule"
    assert Path(real).parent != Path(tempfile.gettempdir())
    assert not real.startswith("/tmp/")
    chosen = str(tmp_path / "beat" / "schedule")
    assert read_settings(
        project, "CELERY_BEAT_SCHEDULE_FILENAME", CELERY_BEAT_SCHEDULE_FILENAME=chosen
    ) == {"CELERY_BEAT_SCHEDULE_FILENAME": chosen}


def test_beat_creates_its_state_directory_private(tmp_path):
    from prepgraph.beat import PrivateDirScheduler
    from prepgraph.celery import app

    path = tmp_path / "state" / "beat" / "celerybeat-schedule"
    scheduler = PrivateDirScheduler(app=app, schedule_filename=str(path), lazy=True)
    store = scheduler._open_schedule()
    try:
        store["probe"] = 1
    finally:
        store.close()
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert list(path.parent.iterdir())  # the shelve's file(s)


def test_hsts_is_a_year_with_subdomains_and_preload_is_opt_in(project):
    names = ("SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD")
    assert read_settings(project, *names) == {
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": False,
    }
    chosen = read_settings(
        project,
        *names,
        SECURE_HSTS_SECONDS="3600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="false",
        SECURE_HSTS_PRELOAD="true",
    )
    assert chosen == {
        "SECURE_HSTS_SECONDS": 3600,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": True,
    }


def test_the_read_cache_size_comes_from_the_environment(project):
    name = "API_READ_CACHE_MAX_BYTES"
    assert read_settings(project, name) == {name: 32 * 1024 * 1024}
    assert read_settings(project, name, API_READ_CACHE_MAX_BYTES="1048576") == {name: 1048576}


@pytest.mark.parametrize("value", ["soon", "0", "-1"])
def test_a_cache_retry_interval_that_is_not_a_positive_number_is_refused(project, value):
    message = refusal(start(project, REDIS_URL="redis://h:6379/0", CACHE_RETRY_SECONDS=value))
    assert message.startswith("CACHE_RETRY_SECONDS must be")
