"""Home search on the graph we ship: what candidates type finds what they mean."""

import pytest
from django.utils.html import escape

from web.selectors import SEARCH_LIMIT

pytestmark = pytest.mark.django_db


def page(client, **params) -> str:
    response = client.get("/", params)
    assert response.status_code == 200
    return response.content.decode()


def result_slugs(response) -> list[str]:
    return [concept.slug for concept in response.context["results"].concepts]


def test_transformers_finds_the_transformer_architecture_first(client, shipped):
    response = client.get("/", {"q": "transformers"})
    assert result_slugs(response)[:2] == ["transformer-architecture", "vision-transformer"]
    html = response.content.decode()
    assert (
        '<a class="result-title" href="/concepts/transformer-architecture/">'
        "Transformer architecture</a>"
    ) in html
    assert "Stacks of multi-head attention" in html  # the summary's start
    assert "Advanced" in html or "Intermediate" in html


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("rag", "retrieval-augmented-generation"),
        ("tokenizer", "tokenization"),
        ("embedding", "embeddings"),
    ],
)
def test_names_candidates_use_find_the_concept(client, shipped, query, first):
    assert result_slugs(client.get("/", {"q": query}))[0] == first


def test_a_misspelling_is_answered_with_suggestions(client, shipped):
    response = client.get("/", {"q": "transfomer"})
    results = response.context["results"]
    assert results.total == 0
    assert results.suggestions[0].slug == "transformer-architecture"
    assert "No concept matches “transfomer”" in response.content.decode()


def test_summaries_are_cut_short(client, shipped):
    response = client.get("/", {"q": "transformers"})
    for concept in response.context["results"].concepts:
        if len(concept.summary.split()) > 30:
            excerpt = " ".join(concept.summary.split()[:30]) + " …"
            assert escape(excerpt) in response.content.decode()
            assert escape(concept.summary) not in response.content.decode()
            break
    else:
        pytest.fail("no long summary among the results")


def test_every_shipped_team_and_track_is_listed(client, shipped):
    from kb.models import TeamProfile, Track

    html = page(client)
    for team in TeamProfile.objects.all():
        assert f'href="/teams/{team.slug}/"' in html
    for track in Track.objects.all():
        assert f'href="/tracks/{track.slug}/"' in html


def test_more_matches_than_shown_link_to_the_full_concept_list(client, shipped):
    response = client.get("/", {"q": "learning"})
    results = response.context["results"]
    assert results.total > len(results.concepts) == SEARCH_LIMIT
    html = response.content.decode()
    assert f'<a href="/concepts/?q=learning">See all {results.total} matches</a>' in html
    assert f"{results.total} concepts match “learning”, the best {SEARCH_LIMIT} shown" in html


def test_fewer_matches_than_the_limit_need_no_link(client, shipped):
    html = page(client, q="byte pair encoding")
    assert "See all" not in html
