"""prepgraph.settings never starts with a known or empty secret key, and DEBUG is opt-in.

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

SETTINGS = Path(__file__).resolve().parent.parent / "prepgraph" / "settings.py"
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
