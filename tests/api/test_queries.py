"""No N+1: every list and detail endpoint runs a fixed number of SQL queries, whatever the rows.

The data set has 200+ rows of everything, a concept with 100+ prerequisites and
dependents and 200+ resources and questions, and a plan with 200+ items. Each
endpoint is held to the count it needs (the token lookup is one of them; graph
queries add one to check the cached graph's revision); one query per row would
exceed it by two hundred.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kb import revision
from kb.models import (
    Background,
    Concept,
    InterviewStage,
    LoopStage,
    Prerequisite,
    Question,
    Resource,
    TeamProfile,
    TeamTrack,
    Track,
    TrackConcept,
)
from planner import services
from planner.models import Plan, PlanItem

pytestmark = pytest.mark.django_db

N = 220


@pytest.fixture
def big_kb(small_kb, alice):
    stages = list(InterviewStage.objects.all())
    concepts = Concept.objects.bulk_create(
        Concept(slug=f"c-{i:03d}", title=f"C {i}", area="nlp", hours=1, aliases=[f"alias {i}"])
        for i in range(N)
    )
    hub = Concept.objects.create(slug="hub", title="Hub", area="nlp", hours=2)
    Concept.stages.through.objects.bulk_create(
        Concept.stages.through(concept_id=c.pk, interviewstage_id=s.pk)
        for c in concepts
        for s in stages[:2]
    )
    half = N // 2
    Prerequisite.objects.bulk_create(
        [Prerequisite(prerequisite=c, concept=hub) for c in concepts[:half]]
        + [Prerequisite(prerequisite=hub, concept=c) for c in concepts[half:]]
    )
    resources = Resource.objects.bulk_create(
        Resource(title=f"R {i}", url=f"https://example.org/r/{i}", kind="paper", minutes=10)
        for i in range(N)
    )
    Resource.concepts.through.objects.bulk_create(
        Resource.concepts.through(resource_id=r.pk, concept_id=c.pk)
        for r, c in zip(resources, concepts, strict=True)
    )
    Resource.concepts.through.objects.bulk_create(
        Resource.concepts.through(resource_id=r.pk, concept_id=hub.pk) for r in resources
    )
    questions = Question.objects.bulk_create(
        Question(slug=f"q-{i:03d}", text=f"Question {i}?", stage=stages[1]) for i in range(N)
    )
    Question.concepts.through.objects.bulk_create(
        Question.concepts.through(question_id=q.pk, concept_id=cid)
        for q in questions
        for cid in (hub.pk, concepts[0].pk)
    )
    tracks = Track.objects.bulk_create(Track(slug=f"t-{i:03d}", title=f"T {i}") for i in range(N))
    TrackConcept.objects.bulk_create(
        TrackConcept(track=t, concept=c, weight=0.5)
        for t in tracks
        for c in (concepts[0], hub, concepts[-1])
    )
    teams = TeamProfile.objects.bulk_create(
        TeamProfile(slug=f"team-{i:03d}", name=f"Team {i}", role="ml-engineer") for i in range(N)
    )
    TeamTrack.objects.bulk_create(
        TeamTrack(team=team, track=tracks[0], weight=1.0) for team in teams
    )
    LoopStage.objects.bulk_create(
        LoopStage(team=team, stage=stage, order=order, minutes=45)
        for team in teams
        for order, stage in enumerate(stages[:3], start=1)
    )
    backgrounds = Background.objects.bulk_create(
        Background(slug=f"b-{i:03d}", title=f"B {i}", known_areas=["math"]) for i in range(N)
    )
    for field_name, picked in (("known_concepts", concepts[:2]), ("shaky_concepts", [hub])):
        through = getattr(Background, field_name).through
        through.objects.bulk_create(
            through(background_id=b.pk, concept_id=c.pk) for b in backgrounds for c in picked
        )
    revision.bump()  # bulk writes send no signals
    if connection.vendor == "postgresql":
        # Statistics as a live database keeps them: left from earlier tests' data (the
        # browser tests' whole graph), they once led PostgreSQL to a plan that ran for
        # minutes on these few hundred rows.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    today = services.local_today("UTC")
    plan = services.create_plan(
        owner=alice,
        inputs=services.PlanInputs(team="llm-research", interview=today + timedelta(days=30)),
    )
    Plan.objects.bulk_create(
        Plan(
            owner=alice,
            team=plan.team,
            title=f"Plan {i}",
            inputs=plan.inputs,
            summary={"coverage": 0.5},
            interview_at=plan.interview_at,
            timezone="UTC",
            start_date=today,
        )
        for i in range(N)
    )
    PlanItem.objects.bulk_create(
        PlanItem(
            plan=plan,
            date=today + timedelta(days=i % 30),
            order=100 + i,
            kind="learn",
            concept=concepts[i],
            concept_slug=concepts[i].slug,
            minutes=30,
        )
        for i in range(N)
    )
    return plan


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured)


# Concepts, tracks, teams, learning paths and subgraphs come from api.read_cache once
# warm: the token, then the revision. Their first request per revision is pinned in
# test_read_cache.
READS = [
    ("/api/v1/concepts/?page_size=200", 2),
    ("/api/v1/concepts/?page_size=200&q=alias&track=t-000&stage=ml-coding", 2),
    ("/api/v1/concepts/hub/", 2),
    ("/api/v1/concepts/hub/prerequisites", 2),
    ("/api/v1/concepts/hub/dependents", 2),
    ("/api/v1/edges/?page_size=200", 3),
    ("/api/v1/stages/", 4),
    ("/api/v1/tracks/?page_size=200", 2),
    ("/api/v1/tracks/t-000/", 2),
    ("/api/v1/teams/?page_size=200", 2),
    ("/api/v1/teams/team-000/", 2),
    ("/api/v1/backgrounds/?page_size=200", 5),
    ("/api/v1/backgrounds/b-000/", 4),
    ("/api/v1/questions/?page_size=200", 4),
    ("/api/v1/questions/q-000/", 3),
    ("/api/v1/resources/?page_size=200", 4),
    ("/api/v1/graph/learning-path/?targets=c-219", 2),
    ("/api/v1/graph/subgraph/?root=hub&depth=1", 2),
]
OWN = [
    ("/api/v1/plans/?page_size=200", 3),
    # 7, plus the team's track weights, what they weigh and its loop stages, which order
    # each practice item's questions.
    ("/api/v1/plans/{plan}/", 10),
    ("/api/v1/plans/{plan}/calendar.ics", 10),
    ("/api/v1/graph/next/", 4),
]


@pytest.mark.parametrize(("url", "most"), READS)
def test_knowledge_base_reads_run_a_fixed_number_of_queries(
    big_kb, client_alice, django_assert_max_num_queries, url, most
):
    queries(client_alice, url)  # warm the graph cache, as a running process has it
    with django_assert_max_num_queries(most):
        response = client_alice.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize(("url", "most"), OWN)
def test_plan_reads_run_a_fixed_number_of_queries(
    big_kb, client_alice, django_assert_max_num_queries, url, most
):
    url = url.format(plan=big_kb.pk)
    queries(client_alice, url)
    with django_assert_max_num_queries(most):
        response = client_alice.get(url)
    assert response.status_code == 200


def test_the_big_lists_really_are_big(big_kb, client_alice):
    assert client_alice.get("/api/v1/concepts/?page_size=200").json()["count"] > 200
    detail = client_alice.get("/api/v1/concepts/hub/").json()
    assert len(detail["prerequisites"]) == len(detail["dependents"]) == N // 2
    assert len(detail["resources"]) == len(detail["questions"]) == N
    assert client_alice.get("/api/v1/plans/?page_size=200").json()["count"] > 200
    backgrounds = client_alice.get("/api/v1/backgrounds/?page_size=200").json()
    assert backgrounds["count"] > 200
    assert backgrounds["results"][0]["known_concepts"] == ["c-000", "c-001"]
    payload = client_alice.get(f"/api/v1/plans/{big_kb.pk}/").json()
    assert sum(len(day["items"]) for day in payload["days"]) > 200
