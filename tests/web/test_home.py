"""The home page: what prepgraph is, the way to a plan, search, and browsing."""

import re

import pytest

from web.forms import MAX_QUERY_LENGTH
from web.selectors import MAX_SUGGESTION_WORDS

pytestmark = pytest.mark.django_db


def page(client, **params) -> str:
    response = client.get("/", params)
    assert response.status_code == 200
    return response.content.decode()


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


def test_the_home_page_says_what_prepgraph_is(client, small):
    html = page(client)
    assert "<h1" in html
    assert "plans your study day by day, prerequisites first" in html


def test_anonymous_visitors_are_asked_to_sign_up_on_the_way_to_the_wizard(client, small):
    html = page(client)
    cta = '<a class="button primary" href="/signup/?next=%2Fplans%2Fnew%2F">Make a plan</a>'
    assert cta in html


def test_members_go_straight_to_the_wizard(client, small, ada):
    client.force_login(ada)
    html = page(client)
    assert '<a class="button primary" href="/plans/new/">Make a plan</a>' in html


def test_the_sign_up_link_of_the_call_to_action_leads_to_the_wizard(client, small):
    signup = client.get("/signup/", {"next": "/plans/new/"}).content.decode()
    assert '<input type="hidden" name="next" value="/plans/new/">' in signup


def test_browse_lists_the_tracks_with_their_concepts_and_hours(client, small):
    html = page(client)
    assert '<a href="/tracks/nlp/">NLP</a>' in html
    assert "3 concepts · 7.5 h" in html  # bert 2 + transformer 4 + tokenization 1.5
    assert '<a href="/tracks/ml-fundamentals/">Fundamentals</a>' in html
    assert "2 concepts · 2.5 h" in html


def test_browse_lists_the_areas_that_have_concepts_with_their_counts(client, small):
    html = page(client)
    assert '<a href="/concepts/?area=math">Math</a> <span class="muted">(1 concept)</span>' in html
    assert '<a href="/concepts/?area=nlp">NLP</a> <span class="muted">(4 concepts)</span>' in html
    assert (
        '<a href="/concepts/?area=fundamentals">ML fundamentals</a> '
        '<span class="muted">(2 concepts)</span>'
    ) in html
    assert "area=cv" not in html  # no concept in it


def test_browse_lists_the_teams_with_role_and_tracks(client, small):
    html = page(client)
    assert '<a href="/teams/llm-research/">LLM research</a>' in html
    assert '<span class="tag">Research scientist</span>' in html
    assert "Tracks: NLP, Fundamentals" in html  # heaviest first
    assert '<a href="/teams/ads-ranking/">Ads ranking</a>' in html
    assert '<span class="tag">ML engineer</span>' in html


def test_an_empty_knowledge_base_still_renders(client, db):
    html = page(client)
    assert "No tracks yet." in html
    assert "No team profiles yet." in html


def test_the_search_form_is_labelled_and_keeps_the_query(client, small):
    html = page(client, q="self attention")
    assert '<form method="get" action="/" role="search"' in html
    assert '<label for="id_q">Search concepts</label>' in html
    assert 'value="self attention"' in html
    assert 'aria-describedby="id_q_helptext"' in html


def test_search_finds_concepts_by_word_stems(client, small):
    html = page(client, q="transformers")
    assert "1 concept matches “transformers”" in html
    assert '<a class="result-title" href="/concepts/transformer/">Transformer</a>' in html
    assert "NLP · 4 h · Intermediate" in html


def test_a_search_without_a_match_says_so_and_suggests_close_names(client, small):
    html = page(client, q="transfomer")
    assert "No concept matches “transfomer”" in html
    assert "Did you mean:" in html
    assert '<a class="result-title" href="/concepts/transformer/">Transformer</a>' in html


def test_a_search_without_a_match_or_a_suggestion_points_to_browsing(client, small):
    html = page(client, q="qzxv")
    assert "No concept matches “qzxv”" in html
    assert "Did you mean:" not in html
    assert '<a href="#browse">browse by track or area</a>' in html


def test_a_blank_query_is_no_search(client, small):
    html = page(client, q="   ")
    assert 'id="results"' not in html


def test_an_overlong_query_is_refused_on_the_field(client, small):
    html = page(client, q="attention " * 20)
    assert f"Ensure this value has at most {MAX_QUERY_LENGTH} characters" in html
    assert 'id="results"' not in html


def test_a_long_query_that_matches_nothing_gets_no_suggestions_instead_of_a_long_wait(
    client, small
):
    """kb.search's suggestions double their work with each unknown word: past
    MAX_SUGGESTION_WORDS words the page says "no match" without asking for them."""
    few = " ".join(["transformer"] * (MAX_SUGGESTION_WORDS - 1) + ["transfomr"])
    assert "Did you mean:" in page(client, q=few)
    many = " ".join(["transformer"] * MAX_SUGGESTION_WORDS + ["transfomr"])
    html = page(client, q=many)
    assert "No concept matches" in html
    assert "Did you mean:" not in html


def test_the_query_is_escaped(client, small):
    html = page(client, q="<script>alert(1)</script>")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_home_answers_only_reads(client, small):
    assert client.post("/").status_code == 405


def test_every_link_on_the_home_page_leads_somewhere(client, small):
    """The browse and result links point at the kb pages by URL name; each must answer."""
    html = page(client, q="transformers")
    links = {href for href in hrefs(html) if href.startswith("/") and not href.startswith("/#")}
    assert {"/concepts/transformer/", "/tracks/nlp/", "/teams/llm-research/"} <= links
    assert "/concepts/?area=nlp" in links
    for href in sorted(links):
        response = client.get(href.replace("&amp;", "&"))
        assert response.status_code == 200, href
