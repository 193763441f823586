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
    url = "/api/v1/graph/learning-path/?targets=softmax"
    client.get(url)  # the graph cache warm
    with CaptureQueriesContext(connection) as warm:
        assert client.get(url).status_code == 200
    assert revision_reads(warm) == 1  # not once per reader of the revision
    GraphRevision.objects.filter(pk=1).update(token="moved on")  # a write elsewhere
    with CaptureQueriesContext(connection) as moved:
        assert client.get(url).status_code == 200
    # The cached graph is of another revision: asked once more (the cache could be the
    # newer one), then built again from what the write left.
    assert revision_reads(moved) == 2
    assert any('FROM "kb_prerequisite"' in query["sql"] for query in moved.captured_queries)


@pytest.mark.django_db
def test_a_nested_block_keeps_the_outer_pin_and_its_writes_reach_the_outer_block(small_kb):
    with revision.pinned():
        before = revision.current()
        with revision.pinned():
            revision.bump()
            inner = revision.current()
        assert inner != before
        assert revision.current() == inner  # not the outer block's stale token


@pytest.mark.django_db(transaction=True)
def test_a_token_read_inside_a_rolled_back_transaction_is_not_kept(small_kb):
    from django.db import transaction

    with revision.pinned():
        before = revision.current()
        with pytest.raises(RuntimeError), transaction.atomic():
            revision.bump()
            assert revision.current() != before  # its own write, seen inside
            raise RuntimeError("rolled back")
        assert revision.current() == before  # the write never happened


@pytest.mark.django_db
def test_a_cache_newer_than_the_pin_is_used_not_rebuilt_over(small_kb):
    """Another process wrote and rebuilt the graph after this request pinned its token:
    the request asks again and uses that graph rather than building the old one."""
    with revision.pinned():
        revision.current()  # pinned to the token before the write elsewhere
        GraphRevision.objects.filter(pk=1).update(token="newer")
        newer = graph.build_graph()
        graph._cache = ("newer", newer)
        with CaptureQueriesContext(connection) as queries:
            assert graph.current_graph() is newer
        assert revision_reads(queries) == 1
        assert not any("kb_prerequisite" in q["sql"] for q in queries.captured_queries)
