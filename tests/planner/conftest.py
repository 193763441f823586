"""Fixtures of the plan-page tests: a member, a plan of theirs, a signed-in client.

Modules that need another `ada` or `plan` define their own, which take precedence.
"""

import pytest
from django.test import Client

from planner.models import Plan
from tests.planner.page_kit import make_plan, make_user


@pytest.fixture
def ada(db):
    return make_user("ada")


@pytest.fixture
def eve(db):
    return make_user("eve")


@pytest.fixture
def plan(small_kb, ada) -> Plan:
    return make_plan(ada)


@pytest.fixture
def signed_in(client, ada) -> Client:
    client.force_login(ada)
    return client
