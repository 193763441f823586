"""The home page costs the same few queries however large the knowledge base is."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kb.models import Concept, Role, TeamProfile, TeamTrack, Track, TrackConcept

pytestmark = pytest.mark.django_db

# tracks, areas, teams + their tracks (prefetch); a search reads the concepts once more.
BROWSE = 4
SEARCH = 1
MEMBER = 2  # the session and the user


def queries(client, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/", params).status_code == 200
    return len(captured)


def grow_the_knowledge_base(n: int = 5) -> None:
    concepts = [
        Concept.objects.create(slug=f"extra-{i}", title=f"Extra {i}", area="cv", hours=1)
        for i in range(n)
    ]
    for i in range(n):
        track = Track.objects.create(slug=f"track-{i}", title=f"Track {i}")
        for concept in concepts:
            TrackConcept.objects.create(track=track, concept=concept, weight=0.5)
        team = TeamProfile.objects.create(slug=f"team-{i}", name=f"Team {i}", role=Role.ML_ENGINEER)
        TeamTrack.objects.create(team=team, track=track, weight=1.0)


def test_browsing_is_a_fixed_number_of_queries(client, small, django_assert_max_num_queries):
    with django_assert_max_num_queries(BROWSE):
        client.get("/")


@pytest.mark.parametrize("query", ["transformers", "transfomer", "qzxv"])
def test_a_search_adds_one_query_hit_or_miss(client, small, django_assert_max_num_queries, query):
    with django_assert_max_num_queries(BROWSE + SEARCH):
        client.get("/", {"q": query})


def test_a_member_costs_the_session_and_the_user(client, small, ada, django_assert_max_num_queries):
    client.force_login(ada)
    with django_assert_max_num_queries(BROWSE + SEARCH + MEMBER):
        client.get("/", {"q": "attention"})


def test_more_tracks_teams_and_concepts_cost_no_more_queries(client, small):
    before = (queries(client), queries(client, q="transformers"))
    grow_the_knowledge_base()
    after = (queries(client), queries(client, q="transformers"))
    assert after == before
    assert "Team 4" in client.get("/").content.decode()
