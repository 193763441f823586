"""Finding concepts by the names people use, and suggesting slugs for mistyped ones.

A candidate knows a concept as "transformers", "RAG" or "tokenizer"; the knowledge base
files it under `transformer-architecture`, `retrieval-augmented-generation` and
`tokenization`. Plain substring search misses most of these and a mistyped slug used to
end in "unknown concept" with no way forward, so this module matches words by their
stem, ranks the hits, and proposes the closest slugs for a slug that names nothing.

Pure: no Django, no database. kb.dag raises UnknownConcept with suggestions and
planner.core must stay importable without Django. Callers hand in the concepts: the
cached graph's nodes (slug, title, aliases; `graph_entries`) or rows from one query
(Concept objects, which also carry the summary).

Ranking, best first (`Tier`): the query is a slug, title or alias (case and punctuation
aside); a name that has exactly the query's word stems; every query word in the slug
or title; in the aliases; in the summary. A word matches on its stem (`stem`), or, one
step weaker, as the start of a word ("transf" finds "Transformer").
"""

import difflib
import re
import threading
import weakref
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache
from itertools import product
from math import prod
from typing import Any, NamedTuple, Protocol, TypeVar

import networkx as nx

from kb.errors import did_you_mean


class ConceptText(Protocol):
    """What search reads of a concept: kb.models.Concept, or an Entry made from the graph.

    A `summary` attribute, when present, is searched too.
    """

    slug: str
    title: str
    aliases: Sequence[str]


class Entry(NamedTuple):
    slug: str
    title: str = ""
    aliases: Sequence[str] = ()
    summary: str = ""
    difficulty: int = 2


T = TypeVar("T", bound=ConceptText)


class Tier(IntEnum):
    """How a concept matched a query; lower is better."""

    EXACT = 0  # the query is the slug, the title or an alias
    NAME = 1  # a slug, title or alias with exactly the query's word stems
    TITLE = 2  # every query word in the slug or title
    TITLE_PREFIX = 3
    ALIAS = 4  # ... in the slug, title or aliases
    ALIAS_PREFIX = 5
    SUMMARY = 6  # ... anywhere, the summary included
    SUMMARY_PREFIX = 7

    @property
    def label(self) -> str:
        """What matched, for people: "title", "alias (word start)", ..."""
        if self <= Tier.NAME:
            return self.name.lower()
        field = ("title", "alias", "summary")[(self - Tier.TITLE) // 2]
        return field if self % 2 == 0 else f"{field} (word start)"


# Words a query can leave out: "attention is all you need" is about attention and needing.
STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "how", "in", "into", "is",
    "it", "of", "on", "or", "the", "to", "vs", "via", "what", "when", "which", "why", "with",
    "you", "your",
})  # fmt: skip
# Plural-looking words that are not plurals.
_NOT_PLURAL = frozenset({
    "alias", "atlas", "bias", "canvas", "gas", "lens", "news", "series", "species", "always",
    "perhaps", "whereas",
})  # fmt: skip
# Longest first; each is cut only when what remains has a vowel and is long enough
# (4 letters for these, 3 for the inflections below), so `stem` returns a prefix of the
# word: a SQL substring test on the stem can then narrow candidates without losing any.
_DERIVATIONAL = (
    "izations", "isations", "ization", "isation", "ations", "ation", "atives", "ative",
    "izers", "isers", "izer", "iser", "izing", "ising", "ized", "ised", "izes", "ize",
    "ities", "ity", "ments", "ment", "ness", "ives", "ive", "als", "al",
)  # fmt: skip
_INFLECTIONAL = ("ings", "ing", "ies", "ed", "s", "e", "y")
_VOWEL = re.compile(r"[aeiouy]")
_WORD = re.compile(r"[^\W_]+")
_JOINABLE = re.compile(r"[- /]+")  # separators that "pre-training", "A/B" and "fine tuning" use
# `query_roots` hold once SQL removes these characters, as `_compact` does, before testing.
JOINABLE_CHARACTERS = ("-", " ", "/")
MIN_PREFIX = 3  # shorter query words match whole words only ("ml", "rl", "cv")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A crude English stem that is always a prefix of `word`.

    `transformers` -> `transformer`, `embeddings`/`embedded` -> `emb`, `tokenizer` and
    `tokenization` -> `token`, `retrieval`/`retrieve` -> `retriev`. Words with digits
    (`gpt2`, `bm25`) and words of three letters or fewer (`rag`, `gan`) are kept whole.
    """
    if len(word) < 4 or not word.isalpha() or word in _NOT_PLURAL:
        return word
    while True:
        cut = _cut_once(word)
        if cut == word:
            return word
        word = cut


def _cut_once(word: str) -> str:
    for suffix in _DERIVATIONAL:
        if word.endswith(suffix) and _keeps_a_stem(word[: -len(suffix)], 4):
            return word[: -len(suffix)]
    for suffix in _INFLECTIONAL:
        if not word.endswith(suffix) or not _keeps_a_stem(word[: -len(suffix)], 3):
            continue
        if suffix == "s" and (word.endswith("ss") or (len(word) > 4 and word[-2:] in ("us", "is"))):
            continue
        rest = word[: -len(suffix)]
        if suffix in ("ing", "ings", "ed") and len(rest) > 3 and rest[-1] == rest[-2] != "s":
            rest = rest[:-1]  # embedd(ing) -> embed, bagg(ing) -> bag
        return rest
    return word


def _keeps_a_stem(rest: str, shortest: int) -> bool:
    return len(rest) >= shortest and _VOWEL.search(rest) is not None


def words(text: str) -> list[str]:
    """Lowercase runs of letters and digits: "Multi-head attention (MHA)" -> 4 words."""
    return _WORD.findall(text.lower())


def _compact(text: str) -> str:
    """ "Pre-training", "pretraining" and "pre training" read the same."""
    return _JOINABLE.sub("", text.lower())


# --- one concept, read once ------------------------------------------------------------------


def _item(candidate: "str | ConceptText") -> ConceptText:
    return Entry(candidate) if isinstance(candidate, str) else candidate


def _aliases(item: ConceptText) -> list[str]:
    return [alias for alias in (item.aliases or ()) if isinstance(alias, str)]


def _haystack(item: ConceptText) -> str:
    """Everything searched, compacted: each of a match's `query_roots` is a substring."""
    summary = getattr(item, "summary", "") or ""
    return _compact("\n".join([item.slug, item.title or "", *_aliases(item), summary]))


@dataclass(frozen=True)
class _Name:
    phrase: str  # words joined by one space
    compact: str
    stems: frozenset[str]  # of the words that are not stop words
    words: tuple[str, ...]  # not stop words, for coverage


@dataclass(frozen=True)
class _Field:
    """The words of a field as stems (for stem matches) and sorted (for prefix matches)."""

    stems: frozenset[str]
    sorted_words: tuple[str, ...]

    def match(self, query_stem: str) -> int:
        """2 for a stem match, 1 for a word that starts with the query's stem, 0 for none."""
        if query_stem in self.stems:
            return 2
        return 1 if _has_prefix(self.sorted_words, query_stem) else 0


def _has_prefix(sorted_words: Sequence[str], prefix: str) -> bool:
    if len(prefix) < MIN_PREFIX:
        return False
    at = bisect_left(sorted_words, prefix)
    return at < len(sorted_words) and sorted_words[at].startswith(prefix)


def _field(terms: set[str]) -> _Field:
    return _Field(frozenset(map(stem, terms)), tuple(sorted(terms)))


def _terms(text: str) -> Iterator[str]:
    """The words of `text`, and each pair joined across a hyphen, slash or space."""
    text = text.lower()
    previous: re.Match[str] | None = None
    for match in _WORD.finditer(text):
        yield match.group()
        if previous is not None and _JOINABLE.fullmatch(text[previous.end() : match.start()]):
            yield previous.group() + match.group()
        previous = match


def _name(text: str) -> _Name:
    found = words(text)
    kept = tuple(w for w in found if w not in STOP_WORDS) or tuple(found)
    return _Name(" ".join(found), _compact(text), frozenset(map(stem, kept)), kept)


@dataclass(frozen=True)
class _Prepared:
    item: Any
    slug: str
    title_length: int
    difficulty: int
    names: tuple[_Name, ...]
    fields: tuple[_Field, _Field, _Field]  # slug and title; + aliases; + summary

    @classmethod
    def of(cls, item: ConceptText) -> "_Prepared":
        aliases = _aliases(item)
        title_terms = {*_terms(item.slug), *_terms(item.title or "")}
        alias_terms = title_terms.union(*map(_terms, aliases))
        summary = getattr(item, "summary", "") or ""
        title, with_aliases = _field(title_terms), _field(alias_terms)
        everything = _field(alias_terms.union(_terms(summary))) if summary else with_aliases
        return cls(
            item=item,
            slug=item.slug,
            # the name before any parenthesised aside: "Self-attention (scaled dot-product ...)"
            title_length=len((item.title or item.slug).split(" (")[0]),
            difficulty=getattr(item, "difficulty", None) or 2,
            names=tuple(
                _name(text)
                for text in [item.slug, (item.title or "").split(" (")[0], item.title, *aliases]
                if text
            ),
            fields=(title, with_aliases, everything),
        )


@dataclass(frozen=True)
class _Query:
    phrase: str
    compact: str
    stems: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> "_Query":
        found = words(text)
        kept = [w for w in found if w not in STOP_WORDS] or found
        return cls(" ".join(found), _compact(text), tuple(dict.fromkeys(map(stem, kept))))


def _tier(query: _Query, concept: _Prepared) -> Tier | None:
    if any(query.phrase == n.phrase or query.compact == n.compact for n in concept.names):
        return Tier.EXACT
    wanted = frozenset(query.stems)
    if any(n.stems == wanted for n in concept.names):
        return Tier.NAME
    worst = Tier.EXACT
    for query_stem in query.stems:
        for tier, field in zip((Tier.TITLE, Tier.ALIAS, Tier.SUMMARY), concept.fields, strict=True):
            strength = field.match(query_stem)
            if strength:
                worst = max(worst, tier if strength == 2 else Tier(tier + 1))
                break
        else:
            return None
    return worst


def _coverage(query: _Query, concept: _Prepared, names: int | None = None) -> float:
    """The largest share of one name's words that the query matches: "Attention mechanism"
    is more about attention than "Multi-head attention". `names` limits it to the first
    few names (the slug and the title's head: what the concept is called, not its aliases)."""
    best = 0.0
    for name in concept.names[:names]:
        if not name.words:
            continue
        hits = sum(
            1
            for word in name.words
            if stem(word) in query.stems
            or any(len(s) >= MIN_PREFIX and word.startswith(s) for s in query.stems)
        )
        best = max(best, hits / len(name.words))
    return best


class _Candidates:
    """Concepts with their haystacks: a substring test per query root skips, cheaply, the
    many concepts a query cannot match before the few that can are read word by word."""

    def __init__(self, concepts: Iterable["str | ConceptText"]) -> None:
        self.items = [_item(c) for c in concepts]
        self.haystacks = [_haystack(item) for item in self.items]

    def search(self, query: _Query) -> list[tuple[Tier, _Prepared]]:
        if not query.stems:
            return []
        scored = []
        for item, haystack in zip(self.items, self.haystacks, strict=True):
            if not all(root in haystack for root in query.stems):
                continue
            concept = _Prepared.of(item)
            tier = _tier(query, concept)
            if tier is not None:
                # Within a tier: the concept whose own name is most about the query, then
                # counting its aliases, then the foundations (self-attention before
                # sliding-window attention), then the shorter name.
                key = (
                    tier,
                    -_coverage(query, concept, names=2),
                    -_coverage(query, concept),
                    concept.difficulty,
                    concept.title_length,
                )
                scored.append((key, concept))
        scored.sort(key=lambda row: (row[0], row[1].slug))
        return [(row[0][0], row[1]) for row in scored]


# --- searching -------------------------------------------------------------------------------


def search_concepts(query: str, concepts: Iterable[T], limit: int | None = None) -> list[T]:
    """The concepts `query` finds, best first (see Tier); every query word must match.

    `concepts` are Concept rows (title, aliases and summary are searched) or
    `graph_entries(graph)` (no summary). Stop words in the query are ignored unless it
    has nothing else.
    """
    found = [concept for concept, _ in rank_concepts(query, concepts)]
    return found if limit is None else found[:limit]


def rank_concepts(query: str, concepts: Iterable[T]) -> list[tuple[T, Tier]]:
    """`search_concepts` with how each concept matched."""
    return [(c.item, tier) for tier, c in _Candidates(concepts).search(_Query.of(query))]


def query_roots(query: str) -> list[str]:
    """Strings every match of `query` contains, for narrowing candidates in SQL first.

    A concept that `search_concepts` finds has each of these as a substring of its slug,
    title, aliases or summary once those are lowercased and rid of JOINABLE_CHARACTERS
    (stems are prefixes of the words they come from; joined words lose only those
    characters). Empty when the query has no words: it then finds nothing.
    """
    return list(_Query.of(query).stems)


def graph_entries(graph: nx.DiGraph) -> list[Entry]:
    """The graph's concepts as search input (slug, title and aliases; no summary)."""
    return [
        Entry(
            slug,
            attrs.get("title") or "",
            tuple(attrs.get("aliases") or ()),
            difficulty=attrs.get("difficulty") or 2,
        )
        for slug, attrs in graph.nodes(data=True)
    ]


# --- suggestions -----------------------------------------------------------------------------

SUGGESTIONS = 3
MAX_SUGGESTED_SLUGS = 5  # per error: fifty typos in one request do not get fifty searches
# Respellings multiply (two per unknown word), so only a slug's first words are respelled
# and only its first characters compared: a 150-character typo in a URL must not hold a
# worker for minutes. Real slugs are at most 80 characters and a few words.
MAX_RESPELLED_WORDS = 6
MAX_COMPARED_CHARS = 100
CUTOFF = 0.75  # difflib ratio, and the least score a suggestion needs
_DROPPED_WORD = 0.8  # "transformer-xl" read as "transformer", if "xl" is like no word
_VARIANTS = 4
# A stem hit in a name counts like a near-identical spelling; summaries are not names.
_STEM_SCORE = {
    Tier.EXACT: 1.2,
    Tier.NAME: 1.1,
    Tier.TITLE: 0.95,
    Tier.TITLE_PREFIX: 0.9,
    Tier.ALIAS: 0.85,
    Tier.ALIAS_PREFIX: 0.8,
}


class _Corpus:
    """What suggestions search: the candidates, their slugs, and the words of their names."""

    def __init__(self, candidates: Iterable["str | ConceptText"]) -> None:
        self.candidates = _Candidates(candidates)
        self.slugs = [item.slug for item in self.candidates.items]
        found: set[str] = set()
        for item in self.candidates.items:
            for text in [item.slug, item.title or "", *_aliases(item)]:
                found.update(words(text))
        self.vocabulary = tuple(sorted(found))
        self.stems = frozenset(map(stem, found))

    def knows(self, word: str) -> bool:
        root = stem(word)
        return root in self.stems or _has_prefix(self.vocabulary, root)


_corpus_lock = threading.Lock()
_corpora: "weakref.WeakKeyDictionary[nx.DiGraph, _Corpus]" = weakref.WeakKeyDictionary()


def _corpus(candidates: "nx.DiGraph | Iterable[str | ConceptText]") -> _Corpus:
    """Reading every name is the slow part: kb.graph's frozen graph keeps its corpus."""
    if not isinstance(candidates, nx.DiGraph):
        return _Corpus(candidates)
    if not nx.is_frozen(candidates):
        return _Corpus(graph_entries(candidates))
    with _corpus_lock:
        corpus = _corpora.get(candidates)
    if corpus is None:
        corpus = _Corpus(graph_entries(candidates))
        with _corpus_lock:
            _corpora[candidates] = corpus
    return corpus


def _close(word: str, options: Iterable[str]) -> list[tuple[float, str]]:
    """(ratio, option) for the options spelled like `word` (difflib, at least CUTOFF)."""
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(word)
    found = []
    for option in options:
        matcher.set_seq1(option)
        if (
            matcher.real_quick_ratio() >= CUTOFF
            and matcher.quick_ratio() >= CUTOFF
            and (ratio := matcher.ratio()) >= CUTOFF
        ):
            found.append((ratio, option))
    return sorted(found, key=lambda pair: (-pair[0], pair[1]))


def _variants(query_words: list[str], corpus: _Corpus) -> list[tuple[str, float]]:
    """The query with each word no name uses respelled as a close word, or left out."""
    kept = ([w for w in query_words if w not in STOP_WORDS] or query_words)[:MAX_RESPELLED_WORDS]
    choices = []
    for word in kept:
        if corpus.knows(word):
            choices.append([(word, 1.0)])
        else:
            respelled = [(w, r) for r, w in _close(word, corpus.vocabulary)[:2]]
            choices.append(respelled or [("", _DROPPED_WORD)])
    variants = {}
    for combination in product(*choices):
        text = " ".join(w for w, _ in combination if w)
        if text:
            variants[text] = prod(r for _, r in combination)
    if len(kept) > 1:  # "bert-base": a concept named by one of the words is a fair guess
        for word, ratio in {pair for options in choices for pair in options if pair[0]}:
            variants.setdefault(word, ratio * _DROPPED_WORD ** (len(kept) - 1))
    return sorted(variants.items(), key=lambda pair: (-pair[1], pair[0]))[:_VARIANTS]


def _closest(slug: str, corpus: _Corpus, n: int) -> list[str]:
    slug = slug[:MAX_COMPARED_CHARS]
    query_words = words(slug)
    if len("".join(query_words)) < 2 or n < 1:
        return []
    score: dict[str, float] = {}  # in the order found: search order breaks ties

    def credit(other: str, value: float) -> None:
        if value >= CUTOFF:
            score[other] = max(score.get(other, 0.0), value)

    for variant, weight in _variants(query_words, corpus):
        for tier, concept in corpus.candidates.search(_Query.of(variant)):
            if tier in _STEM_SCORE:
                credit(concept.slug, _STEM_SCORE[tier] * weight)
    for ratio, other in _close(slug.lower(), corpus.slugs):
        credit(other, ratio)
    score.pop(slug, None)
    return sorted(score, key=lambda other: -score[other])[:n]


def closest(
    slug: str,
    candidates: "nx.DiGraph | Iterable[str | ConceptText]",
    n: int = SUGGESTIONS,
) -> list[str]:
    """Up to `n` slugs of `candidates` that `slug` probably meant, best first.

    Three ways in: the slug's words found by stem in a name (`transformers` ->
    `transformer-architecture` through its alias "Transformer", `rag` ->
    `retrieval-augmented-generation`); the same after respelling words that no name uses
    as the closest words that one does (`transfomer` -> "transformer"), or leaving them
    out (`bert-base` -> "bert"); and slugs spelled alike (difflib: `selfattention`).
    `candidates` are slugs, concepts, or a concept graph.
    """
    return _closest(slug, _corpus(candidates), n)


def suggest(
    slugs: Iterable[str], candidates: "nx.DiGraph | Iterable[str | ConceptText]"
) -> dict[str, list[str]]:
    """Slug -> its closest candidates, for the unknown slugs that have any."""
    slugs = list(dict.fromkeys(slugs))[:MAX_SUGGESTED_SLUGS]
    if not slugs:
        return {}
    corpus = _corpus(candidates)
    found = {slug: _closest(slug, corpus, SUGGESTIONS) for slug in slugs}
    return {slug: hits for slug, hits in found.items() if hits}


def unknown_message(
    noun: str, slugs: Sequence[str], candidates: "nx.DiGraph | Iterable[str | ConceptText]"
) -> str:
    """ "unknown team 'llm-reserch' (did you mean: 'llm-research'?)", for errors that name
    unknown records of any kind (teams, tracks, stages)."""
    suggestions = suggest(slugs, candidates)
    listed = ", ".join(f"{slug!r}{did_you_mean(suggestions.get(slug, ()))}" for slug in slugs)
    return f"unknown {noun}{'s' if len(slugs) != 1 else ''} {listed}"
