"""Editorial rules for `validate_graph --strict`: what a well-formed graph can still get wrong.

kb.integrity keeps the graph sound (no cycles, every concept estimated and
resourced); these rules keep the content honest for a candidate. Each rule is a
plain function over the knowledge base in the interchange format (a dict such as
`kb.io.export_data()` returns, or a hand-built one in a test) and returns its
problems as sentences that name the record:

- `loop_stages_without_practice`: a team whose loop has a stage that nothing it
  weighs prepares for (see the function for the three conditions).
- `harder_required_prerequisites`: difficulty must not drop along a required edge.
- `deep_foundational_concepts`: difficulty 1 (foundational) only near the roots.
- `weighted_concepts_without_questions`: what a track weighs highly can be practised.
- `resources_without_minutes`: a plan cannot budget a resource without minutes.

`check_database()` and `check_file()` apply them to the stored knowledge base and to
it as it would be after importing a file.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import networkx as nx
from django.db import transaction

from kb import integrity, io
from kb.dag import is_practice

REQUIRED = "required"
# Difficulty 1 means foundational: a concept with a longer chain of required
# prerequisites than this under it is not foundational, whatever it feels like.
MAX_FOUNDATIONAL_DEPTH = 6
# A concept a track weighs at least this much is asked often enough to need a question.
HIGH_WEIGHT = 0.7

Content = Mapping[str, Any]


def _concepts(content: Content) -> dict[str, Mapping[str, Any]]:
    return {c["slug"]: c for c in content.get("concepts", [])}


def _required_graph(content: Content) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(_concepts(content))
    graph.add_edges_from(
        (e["from"], e["to"])
        for e in content.get("edges", [])
        if e.get("kind", REQUIRED) == REQUIRED
    )
    return graph


def team_relevance(content: Content, team: Mapping[str, Any]) -> dict[str, float]:
    """Concept -> the best (team's track weight x the track's weight), as kb.selectors does."""
    team_weights = {t["track"]: t["weight"] for t in team.get("tracks", [])}
    relevance: dict[str, float] = {}
    for track in content.get("tracks", []):
        if track["slug"] not in team_weights:
            continue
        for row in track.get("concepts", []):
            value = round(team_weights[track["slug"]] * row["weight"], 4)
            if value > relevance.get(row["concept"], 0.0):
                relevance[row["concept"]] = value
    return relevance


def practice_concepts(content: Content) -> dict[str, list[str]]:
    """Stage -> the concepts that exist to rehearse that one stage.

    A practice concept is an `interviewing` concept asked in exactly one stage
    (ml-coding-interview-practice, research-talk-preparation); interviewing
    concepts useful in several stages (the career story) are general preparation.
    """
    practice: dict[str, list[str]] = defaultdict(list)
    for concept in content.get("concepts", []):
        stages = concept.get("stages", [])
        if is_practice(concept.get("area"), stages):
            practice[stages[0]].append(concept["slug"])
    return {stage: sorted(slugs) for stage, slugs in practice.items()}


def loop_stages_without_practice(content: Content) -> list[str]:
    """Teams with a loop stage that nothing the team weighs prepares for.

    For every stage S in a team's loop, the concepts the team's tracks weigh
    (relevance > 0) must include (1) a concept whose `stages` list S, (2) a
    concept that a question of stage S tests, and (3) when the graph has practice
    concepts for S (`practice_concepts`), at least one of them. Each missing
    condition is its own problem.
    """
    concepts = _concepts(content)
    practice = practice_concepts(content)
    tested_in: dict[str, set[str]] = defaultdict(set)
    for question in content.get("questions", []):
        tested_in[question["stage"]].update(question.get("concepts", []))
    problems = []
    for team in content.get("teams", []):
        weighed = set(team_relevance(content, team))
        place = f"team {team['slug']!r}, loop stage"
        for stage in dict.fromkeys(step["stage"] for step in team.get("loop", [])):
            asked = {s for s in weighed if stage in concepts.get(s, {}).get("stages", [])}
            if not asked:
                problems.append(
                    f"{place} {stage!r}: none of the concepts its tracks weigh is asked in "
                    "this stage (lists it in `stages`)"
                )
            if not weighed & tested_in[stage]:
                problems.append(
                    f"{place} {stage!r}: no question of this stage tests a concept its tracks weigh"
                )
            if practice.get(stage) and not weighed & set(practice[stage]):
                problems.append(
                    f"{place} {stage!r}: its tracks weigh none of the stage's practice "
                    f"concepts ({', '.join(practice[stage])})"
                )
    return problems


def harder_required_prerequisites(content: Content) -> list[str]:
    """Required edges whose prerequisite has a higher difficulty than its target.

    A required prerequisite is part of understanding its target, so the target
    cannot be easier: either the edge is really `recommended` (usual teaching
    order, not needed) or the target's difficulty is understated.
    """
    concepts = _concepts(content)
    problems = []
    for edge in content.get("edges", []):
        if edge.get("kind", REQUIRED) != REQUIRED:
            continue
        source, target = concepts.get(edge["from"]), concepts.get(edge["to"])
        if source is None or target is None:
            continue
        before, after = source.get("difficulty", 2), target.get("difficulty", 2)
        if before > after:
            problems.append(
                f"edge {edge['from']} -> {edge['to']}: the required prerequisite is harder "
                f"than its target (difficulty {before} > {after}); make the edge "
                f"recommended or raise {edge['to']}'s difficulty"
            )
    return problems


def required_depths(content: Content) -> dict[str, int]:
    """Concept -> the number of edges in the longest chain of required prerequisites ending at it.

    Empty when the required edges have a cycle (kb.integrity reports the cycle).
    """
    graph = _required_graph(content)
    if not nx.is_directed_acyclic_graph(graph):
        return {}
    depth: dict[str, int] = {}
    for slug in nx.topological_sort(graph):
        depth[slug] = max((depth[p] + 1 for p in graph.predecessors(slug)), default=0)
    return depth


def deep_foundational_concepts(
    content: Content, max_depth: int = MAX_FOUNDATIONAL_DEPTH
) -> list[str]:
    """Concepts of difficulty 1 with more than `max_depth` required edges under them."""
    depths = required_depths(content)
    return [
        f"concept {slug!r}: difficulty 1 (foundational) but {depths[slug]} required "
        f"prerequisites deep (at most {max_depth}); raise its difficulty or make the edges "
        "that bury it recommended"
        for slug, concept in sorted(_concepts(content).items())
        if concept.get("difficulty", 2) == 1 and depths.get(slug, 0) > max_depth
    ]


def weighted_concepts_without_questions(
    content: Content, threshold: float = HIGH_WEIGHT
) -> list[str]:
    """Concepts some track weighs at `threshold` or more that no question tests."""
    tested = {s for q in content.get("questions", []) for s in q.get("concepts", [])}
    best: dict[str, tuple[float, str]] = {}
    for track in content.get("tracks", []):
        for row in track.get("concepts", []):
            if row["weight"] > best.get(row["concept"], (0.0, ""))[0]:
                best[row["concept"]] = (row["weight"], track["slug"])
    return [
        f"concept {slug!r}: weighed {weight:g} in track {track!r} but no question tests it"
        for slug, (weight, track) in sorted(best.items())
        if weight >= threshold and slug not in tested
    ]


def resources_without_minutes(content: Content) -> list[str]:
    """Resources whose reading or watching time is missing or zero."""
    return [
        f"resource {resource['url']!r}: no minutes (reading or watching time)"
        for resource in content.get("resources", [])
        if not resource.get("minutes")
    ]


RULES: tuple[Callable[[Content], list[str]], ...] = (
    loop_stages_without_practice,
    harder_required_prerequisites,
    deep_foundational_concepts,
    weighted_concepts_without_questions,
    resources_without_minutes,
)


def problems(
    content: Content, rules: Iterable[Callable[[Content], list[str]]] = RULES
) -> list[str]:
    """Every problem of every rule, rule by rule."""
    return [problem for rule in rules for problem in rule(content)]


def check_database() -> list[str]:
    """The strict problems of the stored knowledge base."""
    return problems(io.export_data())


def check_file(text: str | bytes) -> list[str]:
    """Integrity and strict problems of the knowledge base as it would be with `text` imported.

    The import runs for real inside a transaction that is always rolled back, so
    the rules see exactly what `validate_graph --strict` would see afterwards;
    nothing is kept. A file the import refuses raises ImportFailed, as a dry run does.
    """
    with transaction.atomic():
        io.import_text(text)
        found = integrity.audit().problems + problems(io.export_data())
        transaction.set_rollback(True)
    return found
