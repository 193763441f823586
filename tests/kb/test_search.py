"""kb.search: finding concepts by the names people use, and suggesting slugs for typos."""

import json
from pathlib import Path

import networkx as nx
import pytest

from kb import graph as kb_graph
from kb import io, search
from kb.errors import UnknownConcept
from kb.search import Entry, Tier
from tests.graphs import dag

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "ml-interview-graph.json"
SHIPPED = json.loads(FIXTURE.read_text())
# The shipped concepts as the API and list_concepts search them (with summaries) ...
ROWS = [
    Entry(c["slug"], c["title"], c.get("aliases") or [], c.get("summary") or "", c["difficulty"])
    for c in SHIPPED["concepts"]
]
# ... and as the graph gives them to suggestions (no summaries).
NAMES = [
    Entry(c["slug"], c["title"], c.get("aliases") or [], difficulty=c["difficulty"])
    for c in SHIPPED["concepts"]
]


def first(query: str, concepts=ROWS) -> str:
    found = search.search_concepts(query, concepts, limit=1)
    return found[0].slug if found else ""


# --- stems -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variants",
    [
        ["transformer", "transformers"],
        ["embed", "embedding", "embeddings", "embedded"],
        ["tokenizer", "tokenizers", "tokenization", "tokenize", "token", "tokens"],
        ["retrieval", "retrieve", "retrieved"],
        ["normalization", "normalize", "normalized", "normal"],
        ["library", "libraries"],
        ["loss", "losses"],
        ["probability", "probabilities"],
        ["cluster", "clusters", "clustering"],
        ["model", "models", "modeling", "modelling"],
    ],
)
def test_inflections_and_derivations_of_a_word_share_its_stem(variants):
    assert {search.stem(word) for word in variants} == {search.stem(variants[0])}


@pytest.mark.parametrize("word", ["rag", "gan", "bias", "gpt2", "bm25", "attention", "class"])
def test_short_words_words_with_digits_and_non_plurals_keep_their_ending(word):
    assert search.stem(word) == word


def test_every_stem_is_a_prefix_of_its_word_so_sql_can_narrow_by_substring():
    texts = [c.title for c in ROWS] + [a for c in ROWS for a in c.aliases]
    texts += [c.summary for c in ROWS]
    every_word = {word for text in texts for word in search.words(text)}
    assert len(every_word) > 1000
    assert [w for w in every_word if not w.startswith(search.stem(w))] == []


# --- searching the shipped graph -------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("transformers", "transformer-architecture"),  # its alias "Transformer"
        ("Transformer", "transformer-architecture"),
        ("embedding", "embeddings"),
        ("tokenizer", "tokenization"),  # an alias
        ("tokenizers", "tokenization"),  # by stem
        ("rag", "retrieval-augmented-generation"),  # an alias
        ("RAG", "retrieval-augmented-generation"),
        ("multi-head attention", "multi-head-attention"),
        ("multi-head-attention", "multi-head-attention"),  # a slug
        ("attention is all you need", "transformer-architecture"),
        ("batch norm", "batch-normalization"),
        ("pretraining", "pretraining-and-fine-tuning"),  # "Pre-training" without the hyphen
        ("kmeans", "k-means"),
        ("gradient descent", "gradient-descent"),
        ("lstm", "lstm-and-gru"),
        ("gans", "generative-adversarial-networks"),
        ("transf", "transformer-architecture"),  # the start of a word
    ],
)
def test_the_shipped_graph_answers_what_candidates_type(query, expected):
    assert first(query) == expected


def test_attention_finds_the_attention_concepts_first():
    top = [c.slug for c in search.search_concepts("attention", ROWS, limit=8)]
    assert top[:2] == ["self-attention", "attention-mechanism"]
    # named for attention before merely mentioning it; foundations before variants
    assert top.index("flash-attention") < top.index("graph-attention-networks")


def test_transformers_lists_the_transformer_concepts_before_passing_mentions():
    ranked = search.rank_concepts("transformers", ROWS)
    assert [c.slug for c, _ in ranked[:2]] == ["transformer-architecture", "vision-transformer"]
    top = [c.slug for c, _ in ranked[:6]]
    assert {"huggingface-transformers-library", "encoder-vs-decoder-transformers"} <= set(top)
    tiers = [tier for _, tier in ranked]
    assert tiers == sorted(tiers)
    assert tiers[0] == Tier.NAME and tiers[-1] == Tier.SUMMARY


def test_every_word_of_the_query_must_match():
    assert first("transformer architecture") == "transformer-architecture"
    assert search.search_concepts("transformer zebra", ROWS) == []
    assert search.search_concepts("no such thing", ROWS) == []


# --- ranking on small data -------------------------------------------------------------------

SMALL = [
    Entry("summary-only", "Something else", summary="Mentions transformers in passing."),
    Entry("alias-only", "Other", aliases=["transformer stack"]),
    Entry("vision-transformer", "Vision transformers"),
    Entry("transformer", "Transformer"),
    Entry("prefix-only", "Transformational grammar"),
]


def test_exact_names_beat_stem_matches_in_title_then_alias_then_summary():
    assert search.rank_concepts("transformer", SMALL) == [
        (SMALL[3], Tier.EXACT),
        (SMALL[2], Tier.TITLE),
        (SMALL[1], Tier.ALIAS),
        (SMALL[0], Tier.SUMMARY),
    ]


def test_a_name_with_exactly_the_query_stems_ranks_right_after_exact_names():
    assert search.rank_concepts("transformers", SMALL)[0] == (SMALL[3], Tier.NAME)


def test_the_start_of_a_word_matches_one_step_below_its_stem():
    ranked = dict((c.slug, tier) for c, tier in search.rank_concepts("transf", SMALL))
    assert ranked["transformer"] == ranked["prefix-only"] == Tier.TITLE_PREFIX
    assert ranked["summary-only"] == Tier.SUMMARY_PREFIX


def test_the_slug_counts_as_a_title_and_limit_cuts_the_list():
    assert search.search_concepts("only", SMALL, limit=1)[0].slug == "alias-only"
    assert len(search.search_concepts("only", SMALL)) == 3


def test_a_query_of_punctuation_finds_nothing_and_has_no_roots():
    assert search.search_concepts("?!", SMALL) == []
    assert search.query_roots("?!") == []


def test_query_roots_are_the_query_stems_without_stop_words():
    assert search.query_roots("Transformers for the tokenizer") == ["transformer", "token"]


# --- suggestions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("transfomer", "transformer-architecture"),
        ("transformers", "transformer-architecture"),
        ("transformer-xl", "transformer-architecture"),
        ("atention", "self-attention"),
        ("selfattention", "self-attention"),
        ("self-atention", "self-attention"),
        ("multi-head-attn", "multi-head-attention"),
        ("gradient-desent", "gradient-descent"),
        ("embeding", "embeddings"),
        ("tokenizer", "tokenization"),
        ("rag", "retrieval-augmented-generation"),
        ("lora", "parameter-efficient-fine-tuning"),
        ("bert-base", "bert"),
    ],
)
def test_a_mistyped_or_guessed_slug_suggests_the_concept_first(typed, meant):
    suggestions = search.closest(typed, NAMES)
    assert suggestions[0] == meant
    assert 1 <= len(suggestions) <= 3


@pytest.mark.parametrize("typed", ["ghost", "zzz", "a", ""])
def test_nothing_is_suggested_for_a_slug_like_no_name(typed):
    assert search.closest(typed, NAMES) == []


def test_plain_slugs_get_suggestions_too():
    teams = ["llm-research", "ads-ranking", "search-relevance"]
    assert search.closest("llm-reserch", teams) == ["llm-research"]
    assert search.closest("ranking", teams) == ["ads-ranking"]
    assert search.closest("nlpp", ["nlp", "ml-fundamentals"]) == ["nlp"]


def test_unknown_message_names_each_slug_with_its_suggestions():
    assert search.unknown_message("team", ["llm-reserch"], ["llm-research"]) == (
        "unknown team 'llm-reserch' (did you mean: 'llm-research'?)"
    )
    assert search.unknown_message("track", ["nlpp", "ghost"], ["nlp"]) == (
        "unknown tracks 'nlpp' (did you mean: 'nlp'?), 'ghost'"
    )


def test_suggest_leaves_out_slugs_without_any_and_looks_at_five_at_most():
    typos = ["transfomr", "ghost", *(f"transfomer{i}" for i in range(10))]
    found = search.suggest(typos, NAMES)
    assert "ghost" not in found
    assert found["transfomr"][0] == "transformer-architecture"
    assert len(found) <= search.MAX_SUGGESTED_SLUGS


def test_a_frozen_graph_keeps_its_corpus_and_a_mutable_one_does_not():
    frozen = nx.freeze(dag("softmax>attention"))
    assert search.closest("softmx", frozen) == ["softmax"]
    assert search._corpus(frozen) is search._corpus(frozen)
    mutable = dag("softmax>attention")
    assert search._corpus(mutable) is not search._corpus(mutable)
    mutable.add_node("softmix", title="Softmix", aliases=())
    assert search.closest("softmx", mutable) == ["softmax", "softmix"]


# --- suggestions reach UnknownConcept --------------------------------------------------------


@pytest.fixture
def shipped(db):
    io.import_text(FIXTURE.read_bytes())
    return kb_graph.current_graph()


def test_an_unknown_target_suggests_the_concept_it_probably_meant(shipped):
    with pytest.raises(UnknownConcept) as error:
        kb_graph.learning_order(shipped, ["transfomer", "softmax"])
    assert error.value.message.startswith(
        "targets: unknown concept 'transfomer' (did you mean: 'transformer-architecture'"
    )
    assert error.value.details["targets"] == ["transfomer"]
    assert error.value.details["suggestions"]["transfomer"][0] == "transformer-architecture"


def test_each_unknown_slug_carries_its_own_suggestions(shipped):
    with pytest.raises(UnknownConcept) as error:
        kb_graph.known_closure(shipped, ["rag", "ghost", "softmax"])
    assert error.value.message == (
        "known: unknown concepts 'rag' (did you mean: 'retrieval-augmented-generation', "
        "'agentic-retrieval', 'llm-application-evaluation'?), 'ghost'"
    )
    assert error.value.details == {
        "known": ["rag", "ghost"],
        "suggestions": {
            "rag": [
                "retrieval-augmented-generation",
                "agentic-retrieval",
                "llm-application-evaluation",
            ]
        },
    }


def test_an_unknown_slug_with_nothing_close_keeps_the_plain_message(shipped):
    with pytest.raises(UnknownConcept) as error:
        kb_graph.neighbourhood(shipped, "ghost")
    assert error.value.message == "root: unknown concept 'ghost'"
    assert error.value.details == {"root": ["ghost"]}


def test_a_long_misspelled_slug_is_respelled_a_bounded_number_of_ways(monkeypatch):
    """Two respellings per unknown word multiply: a 12-word typo in a URL must not ask for
    2**12 variants (at 40 words an anonymous request could hold a worker for hours)."""
    combinations = 0
    real_product = search.product

    def counting_product(*choices):
        nonlocal combinations
        for combination in real_product(*choices):
            combinations += 1
            yield combination

    monkeypatch.setattr(search, "product", counting_product)
    slugs = ["gating-network", "gaming-network"]  # "gaxing": two close words, twice the ways
    typo = "-".join(["gaxing"] * 12)
    search.suggest([typo], slugs)
    assert 0 < combinations <= 2**search.MAX_RESPELLED_WORDS
