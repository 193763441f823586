import json

import pytest

from kb import graph as kb_graph
from kb import io
from tests.small_kb import SMALL_KB


@pytest.fixture(autouse=True)
def _fresh_graph_cache():
    """Each test starts with an empty process cache, as a new worker process would."""
    kb_graph.clear_cache()
    yield
    kb_graph.clear_cache()


@pytest.fixture
def small_kb(db):
    """SMALL_KB imported through kb.io, as a user would import a file."""
    io.import_text(json.dumps(SMALL_KB))
    return SMALL_KB
