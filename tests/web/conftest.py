import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from kb import io
from tests.small_kb import SMALL_KB

SHIPPED = Path(__file__).resolve().parents[2] / "fixtures" / "ml-interview-graph.json"
PASSWORD = "plum-tree-lantern-42"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    """Sign-up and sign-in hash passwords; the real hasher costs ~0.2 s a hash."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def ada(db):
    """A member who signs in with PASSWORD."""
    return get_user_model().objects.create_user("ada", email="ada@example.org", password=PASSWORD)


@pytest.fixture
def small(db):
    io.import_text(json.dumps(SMALL_KB))
    return SMALL_KB


@pytest.fixture(scope="module")
def shipped(django_db_setup, django_db_blocker):
    """The shipped graph, imported once for the module and rolled back afterwards."""
    with django_db_blocker.unblock():
        from django.db import transaction

        with transaction.atomic():
            report = io.import_text(SHIPPED.read_bytes())
            yield report
            transaction.set_rollback(True)
