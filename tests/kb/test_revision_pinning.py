"""kb.revision.pinned: one token read per request, and the request still sees its own writes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kb import graph, revision
from kb.models import Concept, GraphRevision

REVISION_READ = "kb_graphrevision"


def revision_reads(queries: CaptureQueriesContext) -> int:
    return sum(
        REVISION_READ in query["sql"] and query["sql"].startswith("SELECT")
        for query in queries.captured_queries
    )


@pytest.mark.django_db
def test_pinned_reads_the_token_once_however_often_it_is_asked(small_kb):
    graph.current_graph()  # the row exists and the graph is built
    with CaptureQueriesContext(connection) as unpinned:
        tokens = {revision.current() for _ in range(3)}
        graph.current_graph()
    with CaptureQueriesContext(connection) as pinned, revision.pinned():
        tokens |= {revision.current() for _ in range(3)}
        graph.current_graph()
        revision.stamp()
    assert revision_reads(unpinned) == 4
    assert revision_reads(pinned) == 1
    assert len(tokens) == 1


@pytest.mark.django_db
def test_a_write_inside_the_block_is_seen_by_the_next_read(small_kb):
    with revision.pinned():
        before = revision.current()
        Concept.objects.filter(slug="softmax").update(title="Softmax!")  # no signal
        assert revision.current() == before  # an update() sends no signal: pinned
        revision.bump()
        after = revision.current()
        assert after != before
        assert after == GraphRevision.objects.get(pk=1).token
        assert graph.current_graph().nodes["softmax"]["title"] == "Softmax!"


@pytest.mark.django_db
def test_a_write_by_someone_else_waits_for_the_next_block(small_kb):
    """Within a block the revision holds still (one consistent view); the next block
    reads it again."""
    with revision.pinned():
        first = revision.current()
        # Another process's write: the row changes under us, without our bump().
        GraphRevision.objects.filter(pk=1).update(token="elsewhere")
        assert revision.current() == first
    with revision.pinned():
        assert revision.current() == "elsewhere"
    assert revision.current() == "elsewhere"  # unpinned: every read asks


@pytest.mark.django_db
def test_each_request_reads_the_revision_once(small_kb, client):
    client.get("/api/v1/graph/learning-path/?targets=softmax")  # the graph cache warm
    GraphRevision.objects.filter(pk=1).update(token="moved on")  # a write elsewhere
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/v1/graph/learning-path/?targets=softmax").status_code == 200
    # Read once, not once per reader, and seeing the write: the graph is built again.
    assert revision_reads(queries) == 1
    assert any('FROM "kb_prerequisite"' in query["sql"] for query in queries.captured_queries)
