import pytest

from kb import graph as kb_graph


@pytest.fixture(autouse=True)
def _fresh_graph_cache():
    """Each test starts with an empty process cache, as a new worker process would."""
    kb_graph.clear_cache()
    yield
    kb_graph.clear_cache()
