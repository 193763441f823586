"""The small services written for the API: kb.services and planner.feeds."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from kb import graph as kb_graph
from kb import revision, services
from kb.models import Concept, InterviewStage
from planner import feeds
from planner import services as planner_services

pytestmark = pytest.mark.django_db


def test_concept_create_validates_every_field_and_writes_nothing_when_bad(db):
    with pytest.raises(ValidationError) as error:
        services.concept_create(slug="Bad Slug", title="", area="astrology")
    assert set(error.value.message_dict) == {"slug", "title", "area"}
    assert not Concept.objects.exists()


def test_concept_create_links_stages_and_changes_the_graph(small_kb):
    before = revision.current()
    stage = InterviewStage.objects.get(slug="ml-coding")
    concept = services.concept_create(
        slug="dropout", title="Dropout", area="deep-learning", hours=1, stages=[stage]
    )
    assert list(concept.stages.all()) == [stage]
    assert revision.current() != before
    assert "dropout" in kb_graph.current_graph()


def test_concept_update_changes_only_editable_fields(small_kb):
    concept = Concept.objects.get(slug="bert")
    services.concept_update(concept=concept, title="BERT", aliases=("bert-base",))
    concept.refresh_from_db()
    assert (concept.title, concept.aliases) == ("BERT", ["bert-base"])
    with pytest.raises(TypeError, match="not editable: slug"):
        services.concept_update(concept=concept, slug="roberta")
    with pytest.raises(ValidationError):
        services.concept_update(concept=concept, hours=500)


def test_rotating_a_feed_token_revokes_the_old_one(small_kb):
    plan = planner_services.create_plan(
        inputs=planner_services.PlanInputs(
            team="llm-research",
            interview=planner_services.local_today("UTC") + timedelta(days=10),
        )
    )
    old = plan.feed_token
    feeds.plan_feed_rotate(plan=plan)
    assert plan.feed_token != old and len(plan.feed_token) >= 32
    assert feeds.plan_by_feed_token(old) is None
    assert feeds.plan_by_feed_token(plan.feed_token).pk == plan.pk
    assert feeds.plan_by_feed_token("") is None
