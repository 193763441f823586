"""The KB read endpoints answer from bytes rendered once per graph revision (api.read_cache).

What matters: the bytes are exactly those the uncached path renders, for every
endpoint, format and query; a KB write, whichever way it is made, changes the
answer and its ETag at once; a client with the current ETag (or date) gets a
304 that builds nothing; errors are never kept; and a warm read costs the one
query that reads the revision.
"""

import sqlite3
from contextlib import closing
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date

from api import read_cache
from kb import integrity, revision
from kb import services as kb_services
from kb.models import Concept, GraphRevision, TeamProfile
from tests.api.conftest import error_of, throttle_rates
from tests.api.test_queries import big_kb  # noqa: F401  (the fixture, for the pinned counts)

pytestmark = pytest.mark.django_db

# Every cached endpoint of the small KB, with the queries and formats that change the bytes.
READS = [
    "/api/v1/concepts/",
    "/api/v1/concepts?page_size=2&page=2",
    "/api/v1/concepts/?area=nlp&q=attention",
    "/api/v1/concepts/transformer/",
    "/api/v1/concepts/transformer",
    "/api/v1/teams/",
    "/api/v1/teams/llm-research/",
    "/api/v1/tracks/",
    "/api/v1/tracks/nlp/",
    "/api/v1/graph/learning-path/?targets=bert",
    "/api/v1/graph/learning-path/?targets=bert&known=softmax&recommended=true",
    "/api/v1/graph/subgraph/?root=transformer&depth=1",
    "/api/v1/graph/subgraph/?root=transformer&depth=2&format=dot",
    "/api/v1/graph/subgraph/?root=transformer&format=graphml",
    "/api/v1/graph/subgraph/?root=transformer&format=mermaid",
]
DETAIL = "/api/v1/concepts/transformer/"


@pytest.fixture(autouse=True)
def _empty_read_cache():
    """Each test starts with no stored answer, as a new worker process would."""
    read_cache.payloads.clear()
    yield
    read_cache.payloads.clear()


def settle_revision(seconds: int = 60) -> None:
    """Date the current revision in the past (no KB write), so it has a Last-Modified."""
    revision.stamp()
    GraphRevision.objects.filter(pk=1).update(
        changed_at=timezone.now() - timedelta(seconds=seconds)
    )


# --- the same bytes --------------------------------------------------------------------------


@pytest.mark.parametrize("url", READS)
def test_answers_are_byte_identical_with_and_without_the_cache(small_kb, anon, settings, url):
    settings.API_READ_CACHE = False
    uncached = anon.get(url)
    assert uncached.status_code == 200
    assert "ETag" not in uncached and "Cache-Control" not in uncached  # as before the cache

    settings.API_READ_CACHE = True
    cold, warm = anon.get(url), anon.get(url)
    for response in (cold, warm):
        assert response.status_code == 200
        assert response.content == uncached.content
        assert response["Content-Type"] == uncached["Content-Type"]
    assert dict(cold.items()) == dict(warm.items())  # headers too, ETag included
    added = set(dict(cold.items())) - set(dict(uncached.items()))
    assert added == {"ETag", "Cache-Control"}
    assert cold["Vary"] == f"Accept, {uncached['Vary']}"
    assert len(read_cache.payloads) == 1


def test_indented_json_is_its_own_answer(small_kb, anon, settings):
    settings.API_READ_CACHE = False
    uncached = anon.get(DETAIL, HTTP_ACCEPT="application/json; indent=2")
    settings.API_READ_CACHE = True
    plain = anon.get(DETAIL)
    indented = anon.get(DETAIL, HTTP_ACCEPT="application/json; indent=2")
    assert indented.content == uncached.content != plain.content
    assert indented["ETag"] != plain["ETag"]
    assert anon.get(DETAIL, HTTP_ACCEPT="application/json; indent=2").content == uncached.content


def test_the_order_and_spelling_of_parameters_share_one_answer(small_kb, anon):
    first = anon.get("/api/v1/concepts/?page_size=2&area=nlp")
    second = anon.get("/api/v1/concepts/?area=nlp&page_size=%32")
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]
    assert len(read_cache.payloads) == 1


def test_pagination_links_follow_the_host_asked(small_kb, anon):
    """The links are absolute URLs: an answer kept for one host is not sent for another."""
    ours = anon.get("/api/v1/concepts/?page_size=2").json()["next"]
    theirs = anon.get("/api/v1/concepts/?page_size=2", HTTP_HOST="localhost").json()["next"]
    assert ours.startswith("http://testserver/") and theirs.startswith("http://localhost/")


def test_who_asks_does_not_change_the_answer(small_kb, anon, client_alice, client_staff):
    """These reads are public: a user's token or staff status changes nothing in them."""
    answers = [client.get(DETAIL) for client in (anon, client_alice, client_staff)]
    assert {a.content for a in answers} == {answers[0].content}
    assert {a["ETag"] for a in answers} == {answers[0]["ETag"]}


# --- KB writes -------------------------------------------------------------------------------


def _concept_title(title: str) -> None:
    kb_services.concept_update(concept=Concept.objects.get(slug="transformer"), title=title)


def _edge() -> None:
    integrity.prerequisite_add(prerequisite="tokenization", concept="transformer")


def _team_saved_as_the_admin_does() -> None:
    team = TeamProfile.objects.get(slug="llm-research")
    team.description = "Now also agents."
    team.save()


@pytest.mark.parametrize(
    ("write", "url", "seen"),
    [
        (lambda: _concept_title("The Transformer"), DETAIL, b"The Transformer"),
        (_edge, DETAIL, b'"slug":"tokenization","title":"Tokenization","kind":"required"'),
        (_edge, "/api/v1/graph/learning-path/?targets=transformer", b'"slug":"tokenization"'),
        (_team_saved_as_the_admin_does, "/api/v1/teams/llm-research/", b"Now also agents."),
    ],
    ids=["service", "integrity", "graph", "model-save"],
)
def test_a_kb_write_changes_the_answer_and_its_etag(small_kb, anon, write, url, seen):
    before = anon.get(url)
    assert seen not in before.content
    write()
    after = anon.get(url)
    assert seen in after.content
    assert after["ETag"] != before["ETag"]
    stale = anon.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert stale.status_code == 200
    assert stale.content == after.content


def test_a_write_through_the_api_shows_at_once(small_kb, anon, client_staff):
    etag = anon.get(DETAIL)["ETag"]
    patch = client_staff.patch(DETAIL, {"title": "Transformer (2017)"}, format="json")
    assert patch.status_code == 200
    assert anon.get(DETAIL, HTTP_IF_NONE_MATCH=etag).json()["title"] == "Transformer (2017)"


# --- conditional requests --------------------------------------------------------------------


def test_a_matching_if_none_match_is_a_304_that_builds_nothing(small_kb, anon):
    etag = anon.get(DETAIL)["ETag"]
    read_cache.payloads.clear()  # another worker process: nothing stored there
    with CaptureQueriesContext(connection) as captured:
        response = anon.get(DETAIL, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert response["Cache-Control"] == read_cache.CACHE_CONTROL
    assert "Accept" in response["Vary"]
    assert len(captured) == 1  # the revision
    assert len(read_cache.payloads) == 0


@pytest.mark.parametrize("header", ["W/{etag}", '"other", {etag}', "*"])
def test_weak_listed_and_star_etags_match_too(small_kb, anon, header):
    etag = anon.get(DETAIL)["ETag"]
    response = anon.get(DETAIL, HTTP_IF_NONE_MATCH=header.format(etag=etag))
    assert response.status_code == 304


def test_an_etag_of_another_endpoint_or_format_is_no_match(small_kb, anon):
    other = anon.get("/api/v1/concepts/bert/")["ETag"]
    dot = anon.get("/api/v1/graph/subgraph/?root=transformer&format=dot")["ETag"]
    assert anon.get(DETAIL, HTTP_IF_NONE_MATCH=other).status_code == 200
    json_url = "/api/v1/graph/subgraph/?root=transformer"
    assert anon.get(json_url, HTTP_IF_NONE_MATCH=dot).status_code == 200


def test_last_modified_is_the_revisions_time_and_answers_if_modified_since(small_kb, anon):
    settle_revision()
    changed_at = revision.stamp().changed_at
    response = anon.get(DETAIL)
    assert response["Last-Modified"] == http_date(int(changed_at.timestamp()))

    same = anon.get(DETAIL, HTTP_IF_MODIFIED_SINCE=response["Last-Modified"])
    assert same.status_code == 304 and same["Last-Modified"] == response["Last-Modified"]
    earlier = http_date(int(changed_at.timestamp()) - 1)
    assert anon.get(DETAIL, HTTP_IF_MODIFIED_SINCE=earlier).status_code == 200
    assert anon.get(DETAIL, HTTP_IF_MODIFIED_SINCE="not a date").status_code == 200
    # If-None-Match decides when both are sent (RFC 9110 13.2.2).
    both = anon.get(DETAIL, HTTP_IF_NONE_MATCH='"stale"', HTTP_IF_MODIFIED_SINCE=earlier)
    assert both.status_code == 200


def test_a_write_moves_last_modified_and_a_date_before_it_gets_the_new_answer(small_kb, anon):
    settle_revision(seconds=600)
    before = anon.get(DETAIL)
    _concept_title("The Transformer")
    settle_revision(seconds=5)
    after = anon.get(DETAIL, HTTP_IF_MODIFIED_SINCE=before["Last-Modified"])
    assert after.status_code == 200
    assert b"The Transformer" in after.content
    assert after["Last-Modified"] != before["Last-Modified"]


def test_a_revision_made_this_second_has_no_last_modified_yet(small_kb, anon):
    """Whole seconds could not tell it from a revision made earlier in the same second,
    so an If-Modified-Since might answer 304 for an answer the client never saw."""
    _concept_title("The Transformer")
    response = anon.get(DETAIL)
    assert "Last-Modified" not in response and response["ETag"]
    now = http_date()
    assert anon.get(DETAIL, HTTP_IF_MODIFIED_SINCE=now).status_code == 200


def test_bump_sets_the_revisions_time(small_kb):
    GraphRevision.objects.filter(pk=1).update(changed_at=timezone.now() - timedelta(days=1))
    revision.bump()
    assert timezone.now() - revision.stamp().changed_at < timedelta(minutes=1)


# --- errors ----------------------------------------------------------------------------------


def test_a_404_with_suggestions_is_built_each_time_and_never_kept(small_kb, anon, settings):
    settings.API_READ_CACHE = False
    uncached = anon.get("/api/v1/concepts/transformers/")
    settings.API_READ_CACHE = True
    for _ in range(2):
        response = anon.get("/api/v1/concepts/transformers/")
        assert response.status_code == 404
        assert response.content == uncached.content
        assert error_of(response)["details"]["suggestions"] == {"transformers": ["transformer"]}
        assert "ETag" not in response and "Cache-Control" not in response
    assert len(read_cache.payloads) == 0
    kb_services.concept_create(slug="transformers", title="Transformers", area="nlp")
    assert anon.get("/api/v1/concepts/transformers/").status_code == 200


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/concepts/?page_size=500", "page_size"),
        ("/api/v1/concepts/?area=astrology", "area"),
        ("/api/v1/concepts/?page=1&page=2", "page"),
        ("/api/v1/graph/learning-path/?targets=berts", "targets"),
        ("/api/v1/graph/subgraph/?root=transformer&format=png", "format"),
    ],
)
def test_a_400_is_built_each_time_and_never_kept(small_kb, anon, url, field):
    for _ in range(2):
        response = anon.get(url)
        assert response.status_code == 400
        assert error_of(response)["details"]["field"] == field
        assert "ETag" not in response
    assert len(read_cache.payloads) == 0


def test_a_page_past_the_end_is_a_404_not_kept(small_kb, anon):
    assert anon.get("/api/v1/concepts/?page=99").status_code == 404
    assert len(read_cache.payloads) == 0


@pytest.mark.parametrize("stored", [True, False], ids=["stored", "other-process"])
def test_no_precondition_turns_an_error_into_a_304(small_kb, anon, stored):
    """Preconditions only apply to what would be a 200 (RFC 9110 13.2.1)."""
    settle_revision()
    response = anon.get(DETAIL)
    etag, date = response["ETag"], response["Last-Modified"]
    if not stored:
        read_cache.payloads.clear()
    for headers in (
        {"HTTP_IF_NONE_MATCH": etag},
        {"HTTP_IF_NONE_MATCH": "*"},
        {"HTTP_IF_MODIFIED_SINCE": date},
    ):
        assert anon.get("/api/v1/concepts/transformers/", **headers).status_code == 404
        assert anon.get("/api/v1/concepts/?page=99", **headers).status_code == 404
        assert anon.get(DETAIL, **headers).status_code == 304


# --- queries -----------------------------------------------------------------------------------

# (url, queries the first request per revision makes, anonymous): today's count plus the
# revision read, once a request (kb.middleware.pin_revision) however many readers ask; a
# graph endpoint builds the graph (three queries) on the first request of its process.
COLD = [
    ("/api/v1/concepts/?page_size=200", 4),
    ("/api/v1/concepts/?page_size=200&q=alias&track=t-000&stage=ml-coding", 5),
    ("/api/v1/concepts/hub/", 8),
    ("/api/v1/tracks/?page_size=200", 4),
    ("/api/v1/tracks/t-000/", 3),
    ("/api/v1/teams/?page_size=200", 6),  # + the must-have topics' prefetch
    ("/api/v1/teams/team-000/", 5),
    ("/api/v1/graph/learning-path/?targets=c-219", 1),
    ("/api/v1/graph/subgraph/?root=hub&depth=1", 1),
]


@pytest.mark.parametrize(("url", "cold"), COLD)
def test_a_warm_read_is_the_revision_query_alone(big_kb, anon, url, cold):  # noqa: F811
    anon.get(url)  # the graph cache warm, as a running process has it
    read_cache.payloads.clear()
    with CaptureQueriesContext(connection) as first:
        assert anon.get(url).status_code == 200
    with CaptureQueriesContext(connection) as warm:
        assert anon.get(url).status_code == 200
    with CaptureQueriesContext(connection) as not_modified:
        etag = anon.get(url)["ETag"]
        assert anon.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert len(first) == cold
    assert len(warm) == 1
    assert len(not_modified) == 2
    assert "kb_graphrevision" in warm[0]["sql"]


# --- anonymous reads before DRF (read_cache.reads_before_drf) --------------------------------


@pytest.fixture
def drf_calls(monkeypatch) -> list[str]:
    """The paths DRF's request handling saw: a read served before DRF is not among them."""
    from rest_framework.views import APIView

    seen: list[str] = []
    dispatch = APIView.dispatch

    def counted(self, request, *args, **kwargs):
        seen.append(request.path)
        return dispatch(self, request, *args, **kwargs)

    monkeypatch.setattr(APIView, "dispatch", counted)
    return seen


def _headers(response) -> dict[str, str]:
    return dict(response.headers)


JSON_READS = [url for url in READS if "format=" not in url]


@pytest.mark.parametrize("url", JSON_READS)
def test_a_read_drf_answered_is_answered_again_before_drf_the_same_way(
    small_kb, anon, drf_calls, url
):
    settle_revision()
    by_drf = anon.get(url)
    assert by_drf.status_code == 200 and len(drf_calls) == 1
    before = anon.get(url)
    assert len(drf_calls) == 1  # not DRF
    assert (before.status_code, before.content) == (200, by_drf.content)
    assert _headers(before) == _headers(by_drf)  # Allow, Vary, ETag, Last-Modified, ...
    by_drf_304 = anon.get(url, HTTP_IF_NONE_MATCH=by_drf["ETag"], HTTP_ACCEPT="application/json")
    assert by_drf_304.status_code == 304 and len(drf_calls) == 1


def test_a_304_before_drf_is_the_304_drf_gives(small_kb, anon, client_alice, drf_calls):
    etag = client_alice.get(DETAIL)["ETag"]  # built for a token: DRF's alone so far
    by_drf = anon.get(DETAIL, HTTP_IF_NONE_MATCH=etag)
    before = anon.get(DETAIL, HTTP_IF_NONE_MATCH=etag)
    assert by_drf.status_code == before.status_code == 304
    assert drf_calls == [DETAIL, DETAIL]
    assert _headers(before) == _headers(by_drf)


@pytest.mark.parametrize(
    "ask",
    [
        {"HTTP_ACCEPT": "application/json; indent=2"},
        {"HTTP_ACCEPT": "text/html"},
        {"HTTP_ACCEPT": ""},  # DRF's 406
        {"HTTP_AUTHORIZATION": "Token not-a-token"},
    ],
    ids=["indent", "another type", "empty", "a token"],
)
def test_anything_but_a_plain_anonymous_get_goes_to_drf(small_kb, anon, drf_calls, ask):
    anon.get(DETAIL)
    anon.get(DETAIL, **ask)
    anon.head(DETAIL)
    assert drf_calls == [DETAIL] * 3


def test_a_view_with_throttles_of_its_own_is_drfs_alone(small_kb, anon, drf_calls, monkeypatch):
    """Only the API's default throttles are applied before DRF: a view that sets others
    keeps every request."""
    from api.views.kb import TeamViewSet

    monkeypatch.setattr(TeamViewSet, "throttle_classes", [])
    url = "/api/v1/teams/llm-research/"
    assert [anon.get(url).status_code for _ in range(3)] == [200] * 3
    assert drf_calls == [url] * 3


def test_a_session_goes_to_drf(small_kb, anon, alice, drf_calls):
    anon.get(DETAIL)
    anon.force_login(alice)
    assert anon.get(DETAIL).status_code == 200
    assert drf_calls == [DETAIL] * 2


def test_an_answer_built_for_a_signed_in_user_waits_for_drf_to_give_it_to_anyone(
    small_kb, anon, client_staff, drf_calls
):
    client_staff.get(DETAIL)
    anon.get(DETAIL)  # DRF, from the store: now it has answered an anonymous client
    anon.get(DETAIL)
    assert drf_calls == [DETAIL, DETAIL]


def test_a_kb_write_sends_the_next_read_to_drf(small_kb, anon, drf_calls):
    anon.get(DETAIL)
    anon.get(DETAIL)
    _concept_title("The Transformer")
    after = anon.get(DETAIL)
    assert b"The Transformer" in after.content
    assert drf_calls == [DETAIL, DETAIL]


def test_the_throttles_hold_before_drf_and_drf_refuses_with_its_envelope(
    small_kb, anon, settings, drf_calls
):
    throttle_rates(settings, anon="3/minute", user="1000/minute")
    assert [anon.get(DETAIL).status_code for _ in range(4)] == [200, 200, 200, 429]
    assert drf_calls == [DETAIL, DETAIL]  # built, then refused; two answered before DRF
    assert error_of(anon.get(DETAIL))["code"] == "throttled"


def test_a_read_the_stack_would_redirect_to_https_goes_down_it(small_kb, anon, settings, drf_calls):
    settings.SECURE_SSL_REDIRECT = True
    assert [anon.get(DETAIL, secure=True).status_code for _ in range(2)] == [200, 200]
    assert drf_calls == [DETAIL]  # the second, before DRF
    redirected = anon.get(DETAIL)
    assert redirected.status_code == 301
    assert redirected["Location"] == f"https://testserver{DETAIL}"


def test_a_host_the_site_does_not_serve_is_refused_as_before(small_kb, anon, settings, drf_calls):
    anon.get(DETAIL)
    anon.get(DETAIL)
    settings.ALLOWED_HOSTS = ["prepgraph.example"]
    assert anon.get(DETAIL).status_code == 400  # DisallowedHost, by the stack
    assert anon.get(DETAIL, HTTP_HOST="prepgraph.example").status_code == 200
    assert drf_calls == [DETAIL, DETAIL]  # a new key: built by DRF


def test_refused_user_agents_are_refused_before_the_store_too(small_kb, anon, settings):
    import re

    anon.get(DETAIL)
    anon.get(DETAIL)
    settings.DISALLOWED_USER_AGENTS = [re.compile("badbot")]
    assert anon.get(DETAIL, HTTP_USER_AGENT="badbot/1.0").status_code == 403
    assert anon.get(DETAIL, HTTP_USER_AGENT="curl/8").status_code == 200


def test_a_request_django_refuses_is_refused_by_the_stack_with_its_headers(small_kb, anon):
    anon.get(DETAIL)
    anon.get(DETAIL)
    flood = "&".join(f"f{i}=1" for i in range(1001))  # over DATA_UPLOAD_MAX_NUMBER_FIELDS
    refused = anon.get(f"{DETAIL}?{flood}")
    assert refused.status_code == 400
    assert refused["X-Frame-Options"] == "DENY" and refused["X-Content-Type-Options"] == "nosniff"


def test_a_client_with_a_csrf_cookie_goes_to_the_stack_which_may_renew_it(
    small_kb, anon, drf_calls
):
    anon.get(DETAIL)
    anon.get(DETAIL)
    anon.cookies["csrftoken"] = "malformed"
    renewed = anon.get(DETAIL)
    assert renewed.status_code == 200 and drf_calls == [DETAIL, DETAIL]
    assert renewed.cookies["csrftoken"].value != "malformed"


def vary_on_origin(get_response):
    """A middleware whose header depends on the request (as a CORS one's does)."""

    def middleware(request):
        response = get_response(request)
        response["Access-Control-Allow-Origin"] = request.headers.get("Origin", "*")
        patch_vary_headers(response, ["Origin"])
        return response

    return middleware


def test_an_answer_varying_on_another_header_is_never_repeated(small_kb, anon, settings, drf_calls):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.vary_on_origin"]
    first = anon.get(DETAIL, HTTP_ORIGIN="https://a.example")
    second = anon.get(DETAIL, HTTP_ORIGIN="https://b.example")
    assert first["Access-Control-Allow-Origin"] == "https://a.example"
    assert second["Access-Control-Allow-Origin"] == "https://b.example"
    assert drf_calls == [DETAIL, DETAIL]


def test_the_system_check_names_a_middleware_the_stored_reads_would_skip(settings):
    from api.checks import middleware_skipped_by_stored_reads

    assert middleware_skipped_by_stored_reads() == []
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "django.middleware.gzip.GZipMiddleware"]
    (warning,) = middleware_skipped_by_stored_reads()
    assert warning.id == "api.W001" and warning.obj == "django.middleware.gzip.GZipMiddleware"
    settings.MIDDLEWARE = ["django.middleware.gzip.GZipMiddleware", *settings.MIDDLEWARE[:-1]]
    assert middleware_skipped_by_stored_reads() == []  # before it: it runs


# --- the store itself --------------------------------------------------------------------------


def _payload(size: int) -> read_cache.Payload:
    return read_cache.Payload(b"x" * size, "application/json", '"e"')


def test_the_store_drops_the_least_recently_used_past_its_limit():
    store = read_cache.PayloadCache()
    limit = 3 * (1000 + len(repr(("a",))) + read_cache.ENTRY_OVERHEAD)
    for key in ("a", "b", "c"):
        store.put("t1", (key,), _payload(1000), limit=limit)
    assert store.get("t1", ("a",)) is not None  # "b" is now the least recently used
    store.put("t1", ("d",), _payload(1000), limit=limit)
    assert store.get("t1", ("b",)) is None
    assert all(store.get("t1", (key,)) for key in ("a", "c", "d"))
    store.put("t1", ("huge",), _payload(limit), limit=limit)  # larger than the whole store
    assert store.get("t1", ("huge",)) is None and len(store) == 3


def test_a_new_revision_empties_the_store():
    store = read_cache.PayloadCache()
    store.put("t1", ("a",), _payload(10), limit=10_000)
    assert store.get("t2", ("a",)) is None
    store.put("t2", ("b",), _payload(10), limit=10_000)
    assert len(store) == 1 and store.get("t1", ("a",)) is None


# --- the revision read on SQLite ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_revision_read_outside_a_transaction_sees_every_commit(small_kb):
    """On SQLite it goes over a connection of its own (api.read_cache's hot path); it must
    see each committed write, as the ORM does."""

    def stored() -> str:
        return GraphRevision.objects.values_list("token", flat=True).get(pk=1)

    assert not connection.in_atomic_block
    assert revision.current() == stored()
    revision.bump()
    assert revision.current() == stored()
    _concept_title("The Transformer")
    assert revision.stamp().token == stored()


def _revision_file(path, token: str) -> None:
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE kb_graphrevision (id integer, token text, changed_at text)")
        db.execute("INSERT INTO kb_graphrevision VALUES (1, ?, '2026-01-01 00:00:00')", [token])


def test_the_sqlite_reader_follows_a_database_file_made_anew(tmp_path):
    """A long-lived worker must not keep reading a deleted file's revision."""
    path = str(tmp_path / "kb.sqlite3")
    _revision_file(path, "first")
    reader = revision._SqliteReader()
    assert reader.row(path)[0] == "first"
    (tmp_path / "kb.sqlite3").unlink()
    _revision_file(path, "second")
    reader.checked = 0.0  # a second later
    assert reader.row(path)[0] == "second"
    reader.close()
