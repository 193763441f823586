"""Import and export of the knowledge base.

Import is all or nothing: the file is parsed, checked against itself and the
database, and only a file without a single problem is written, in one
transaction under the edge lock (kb.integrity), with bulk writes. Records are
matched by slug (resources by URL), so importing the same file twice changes
nothing the second time. Links a record lists (a resource's concepts, a
track's weights, a team's loop, a background's concepts) are replaced by the
file's list; records the file does not mention are left alone.

Export writes the whole KB in the interchange format, or a graph (the whole
one or a neighbourhood) as GraphML, DOT or Mermaid for other tools.
"""

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import networkx as nx
from django.db import DataError, IntegrityError
from pydantic import ValidationError

from kb import integrity, revision
from kb.errors import ImportFailed
from kb.interchange import FORMAT, Interchange, JSONTooDeep, hours_decimal, load_json
from kb.models import (
    Area,
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

SECTIONS = (
    "stages",
    "concepts",
    "edges",
    "resources",
    "questions",
    "tracks",
    "teams",
    "backgrounds",
)


@dataclass
class ImportReport:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)
    links_changed: bool = False
    dry_run: bool = False
    # Rows counted unchanged so far, by section: a change to their links (a team's
    # tracks, a track's weights) makes them updated after all.
    unchanged_ids: dict[str, set[int]] = field(default_factory=dict)

    def relinked(self, section: str, owner_ids: set[int]) -> None:
        """Count as updated the `section` rows whose links changed though their fields did not."""
        moved = owner_ids & self.unchanged_ids.get(section, set())
        self.unchanged[section] -= len(moved)
        self.updated[section] += len(moved)
        self.unchanged_ids[section] = self.unchanged_ids.get(section, set()) - moved

    @property
    def changed(self) -> bool:
        return self.links_changed or any(self.created.values()) or any(self.updated.values())

    def lines(self) -> list[str]:
        return [
            f"{section}: {self.created[section]} created, {self.updated[section]} updated, "
            f"{self.unchanged[section]} unchanged"
            for section in SECTIONS
            if self.created[section] or self.updated[section] or self.unchanged[section]
        ]


# --- parsing and checking ---------------------------------------------------------------


def _place(raw: Any, loc: Sequence[str | int]) -> str:
    """`('concepts', 3, 'hours')` -> `concepts[3] (slug 'attention').hours`."""
    text = ""
    node = raw
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("slug"), str):
                text += f" (slug {node['slug']!r})"
            elif isinstance(node, dict) and isinstance(node.get("url"), str):
                text += f" (url {node['url']!r})"
        else:
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text or "file"


def parse(text: str | bytes) -> Interchange:
    """Parse and type-check a file; ImportFailed lists every problem with its place."""
    try:
        raw = load_json(text)
    except UnicodeDecodeError as exc:
        raise ImportFailed([f"file: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from None
    except JSONTooDeep as exc:
        raise ImportFailed([f"file: {exc}"]) from None
    except json.JSONDecodeError as exc:
        raise ImportFailed(
            [f"file: malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"]
        ) from None
    if not isinstance(raw, dict):
        raise ImportFailed([f"file: expected a JSON object, got {type(raw).__name__}"])
    try:
        return Interchange.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = [
                p for p in error["loc"] if not (isinstance(p, str) and p.startswith("function-"))
            ]
            problems.append(f"{_place(raw, loc)}: {error['msg']}")
        raise ImportFailed(problems) from None


def _duplicates(section: str, keys: Iterable[str], what: str = "slug") -> list[str]:
    seen: dict[str, int] = {}
    problems = []
    for index, key in enumerate(keys):
        if key in seen:
            problems.append(
                f"{section}[{index}]: duplicate {what} {key!r} (first at [{seen[key]}])"
            )
        else:
            seen[key] = index
    return problems


def check(data: Interchange) -> list[str]:
    """Every cross-record problem of `data` against itself and the database."""
    problems: list[str] = []
    problems += _duplicates("stages", (s.slug for s in data.stages))
    problems += _duplicates("concepts", (c.slug for c in data.concepts))
    problems += _duplicates("resources", (r.url for r in data.resources), "url")
    problems += _duplicates("questions", (q.slug for q in data.questions))
    problems += _duplicates("tracks", (t.slug for t in data.tracks))
    problems += _duplicates("teams", (t.slug for t in data.teams))
    problems += _duplicates("backgrounds", (b.slug for b in data.backgrounds))
    problems += _duplicates(
        "edges", (f"{e.prerequisite} -> {e.concept}" for e in data.edges), "edge"
    )

    def known(model, records) -> set[str]:
        mentioned = {r.slug for r in records}
        return mentioned | set(model.objects.values_list("slug", flat=True))

    concepts = known(Concept, data.concepts)
    stages = known(InterviewStage, data.stages)
    tracks = known(Track, data.tracks)

    def refs(place: str, slugs: Iterable[str], valid: set[str], noun: str) -> None:
        slugs = list(slugs)
        for slug in slugs:
            if slug not in valid:
                problems.append(f"{place}: unknown {noun} {slug!r}")
        for slug, count in Counter(slugs).items():
            if count > 1:
                problems.append(f"{place}: {noun} {slug!r} listed {count} times")

    for i, s in enumerate(data.stages):
        refs(f"stages[{i}] (slug {s.slug!r}).essentials", s.essentials, concepts, "concept")
    for i, c in enumerate(data.concepts):
        refs(f"concepts[{i}] (slug {c.slug!r}).stages", c.stages, stages, "stage")
    for i, e in enumerate(data.edges):
        place = f"edges[{i}] ({e.prerequisite} -> {e.concept})"
        refs(f"{place}.from", [e.prerequisite], concepts, "concept")
        refs(f"{place}.to", [e.concept], concepts, "concept")
        if e.prerequisite == e.concept:
            problems.append(f"{place}: a concept cannot be its own prerequisite")
    for i, r in enumerate(data.resources):
        refs(f"resources[{i}] (url {r.url!r}).concepts", r.concepts, concepts, "concept")
    for i, q in enumerate(data.questions):
        refs(f"questions[{i}] (slug {q.slug!r}).stage", [q.stage], stages, "stage")
        refs(f"questions[{i}] (slug {q.slug!r}).concepts", q.concepts, concepts, "concept")
    for i, t in enumerate(data.tracks):
        refs(
            f"tracks[{i}] (slug {t.slug!r}).concepts",
            (w.concept for w in t.concepts),
            concepts,
            "concept",
        )
    weighed_by = _track_concepts(data)
    for i, t in enumerate(data.teams):
        refs(f"teams[{i}] (slug {t.slug!r}).tracks", (w.track for w in t.tracks), tracks, "track")
        refs(f"teams[{i}] (slug {t.slug!r}).loop", (s.stage for s in t.loop), stages, "stage")
        refs(f"teams[{i}] (slug {t.slug!r}).must_have", t.must_have, concepts, "concept")
        problems += _must_have_problems(
            f"teams[{i}] (slug {t.slug!r}).must_have", t, weighed_by, concepts
        )
    for i, b in enumerate(data.backgrounds):
        problems += _background_problems(f"backgrounds[{i}] (slug {b.slug!r})", b, concepts, refs)

    if not problems:
        stored = Prerequisite.objects.values_list("prerequisite__slug", "concept__slug")
        merged = set(stored) | {(e.prerequisite, e.concept) for e in data.edges}
        problems += [f"edges: {p}" for p in integrity.check_edge_set(merged)]
    return problems


def _track_concepts(data: Interchange) -> dict[str, set[str]]:
    """Track -> the concepts it weighs, for the tracks of teams with must-have topics: as
    the file has them, and as stored for the others (one query)."""
    weighed = {t.slug: {w.concept for w in t.concepts} for t in data.tracks}
    stored = {w.track for t in data.teams if t.must_have for w in t.tracks} - weighed.keys()
    if stored:
        rows = TrackConcept.objects.filter(track__slug__in=stored)
        for track, concept in rows.values_list("track__slug", "concept__slug"):
            weighed.setdefault(track, set()).add(concept)
    return weighed


def _must_have_problems(
    place: str, team: Any, weighed_by: dict[str, set[str]], concepts: set[str]
) -> list[str]:
    """A must-have topic must be one the team's tracks weigh: a plan for the team asks
    about nothing else."""
    if not team.must_have:
        return []
    weighed = set().union(*(weighed_by.get(w.track, ()) for w in team.tracks))
    return [
        f"{place}: {slug!r} is in none of the team's tracks; add it to one of them first"
        for slug in dict.fromkeys(team.must_have)
        if slug not in weighed and slug in concepts  # an unknown one is named as such
    ]


def _background_problems(place: str, record: Any, concepts: set[str], refs: Callable) -> list[str]:
    """Unknown or repeated concepts and areas, and anything both known and shaky.

    Both at once is refused rather than resolved: the planner would take it as
    shaky, but in a file it is almost always a slip the author wants to hear of.
    """
    refs(f"{place}.known_concepts", record.known_concepts, concepts, "concept")
    refs(f"{place}.shaky_concepts", record.shaky_concepts, concepts, "concept")
    refs(f"{place}.known_areas", record.known_areas, set(Area.values), "area")
    refs(f"{place}.shaky_areas", record.shaky_areas, set(Area.values), "area")
    problems = []
    for kind, known, shaky in (
        ("concept", record.known_concepts, record.shaky_concepts),
        ("area", record.known_areas, record.shaky_areas),
    ):
        for name in dict.fromkeys(known):
            if name in shaky:
                problems.append(f"{place}: {kind} {name!r} is both known and shaky; pick one")
    return problems


# --- writing ----------------------------------------------------------------------------


def _upsert(
    model,
    records: Sequence[Any],
    key: str,
    values: Callable[[Any], dict[str, Any]],
    report: ImportReport,
    section: str,
) -> dict[str, Any]:
    """Create or update rows matched on `key`; return every row by key."""
    existing = {
        getattr(o, key): o
        for o in model.objects.filter(**{f"{key}__in": [getattr(r, key) for r in records]})
    }
    to_create, to_update, fields = [], [], set()
    for record in records:
        wanted = values(record)
        row = existing.get(getattr(record, key))
        if row is None:
            to_create.append(model(**{key: getattr(record, key)}, **wanted))
            continue
        changed = {name for name, value in wanted.items() if getattr(row, name) != value}
        if changed:
            for name in changed:
                setattr(row, name, wanted[name])
            fields |= changed
            to_update.append(row)
        else:
            report.unchanged[section] += 1
            report.unchanged_ids.setdefault(section, set()).add(row.pk)
    model.objects.bulk_create(to_create)
    if to_update:
        model.objects.bulk_update(to_update, sorted(fields))
    report.created[section] += len(to_create)
    report.updated[section] += len(to_update)
    return {
        getattr(o, key): o
        for o in model.objects.filter(**{f"{key}__in": [getattr(r, key) for r in records]})
    }


def _replace_links(
    through,
    owner_field: str,
    owners: Iterable[Any],
    rows: list[Any],
    report: ImportReport,
    section: str,
) -> None:
    """Replace the link rows of `owners` with `rows`; owners whose links changed count as
    updated in `section` (their own fields may be as they were)."""
    owner_ids = [o.pk for o in owners]
    columns = [f.attname for f in through._meta.concrete_fields if not f.primary_key]

    def signatures(items) -> dict[int, set[tuple]]:
        found: dict[int, set[tuple]] = {}
        for item in items:
            found.setdefault(getattr(item, owner_field), set()).add(
                tuple(getattr(item, c) for c in columns)
            )
        return found

    current = signatures(through.objects.filter(**{f"{owner_field}__in": owner_ids}))
    wanted = signatures(rows)
    changed = {owner for owner in owner_ids if current.get(owner) != wanted.get(owner)}
    if not changed:
        return
    through.objects.filter(**{f"{owner_field}__in": owner_ids}).delete()
    through.objects.bulk_create(rows)
    report.links_changed = True
    report.relinked(section, changed)


def _hours(value: float | None) -> Decimal | None:
    return None if value is None else hours_decimal(value)


class _DryRunRollback(Exception):
    """Raised inside the import transaction to undo a dry run's writes."""


def import_data(data: Interchange, *, dry_run: bool = False) -> ImportReport:
    """Check `data` and, if it has no problem, write it atomically.

    A dry run performs the whole import, so it finds every problem a real one
    would, and then rolls it back.
    """
    report = ImportReport(dry_run=dry_run)
    try:
        with revision.batched():
            integrity.lock_edges()
            problems = check(data)
            if problems:
                raise ImportFailed(problems)
            _write(data, report)
            if report.changed:
                revision.bump()
            if dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        pass
    except (IntegrityError, DataError) as exc:
        # The checks above mirror every constraint, so this is a concurrent write (another
        # process created the same slug between the check and the write); the
        # transaction is already rolled back.
        raise ImportFailed([f"database: refused the import, nothing was written: {exc}"]) from exc
    return report


def _write(data: Interchange, report: ImportReport) -> None:
    stages = _upsert(
        InterviewStage,
        data.stages,
        "slug",
        lambda s: {
            "title": s.title,
            "description": s.description,
            "typical_minutes": s.typical_minutes,
            "research_only": s.research_only,
            "order": s.order,
        },
        report,
        "stages",
    )
    stages |= {s.slug: s for s in InterviewStage.objects.exclude(slug__in=stages)}
    concepts = _upsert(
        Concept,
        data.concepts,
        "slug",
        lambda c: {
            "title": c.title,
            "aliases": list(c.aliases),
            "summary": c.summary,
            "area": c.area,
            "hours": _hours(c.hours),
            "difficulty": c.difficulty,
        },
        report,
        "concepts",
    )
    through = Concept.stages.through
    stage_rows = [
        through(concept_id=concepts[c.slug].pk, interviewstage_id=stages[s].pk)
        for c in data.concepts
        for s in c.stages
    ]
    _replace_links(through, "concept_id", concepts.values(), stage_rows, report, "concepts")
    all_concepts = {
        c.slug: c
        for c in Concept.objects.filter(
            slug__in={e.prerequisite for e in data.edges}
            | {e.concept for e in data.edges}
            | {s for r in data.resources for s in r.concepts}
            | {s for q in data.questions for s in q.concepts}
            | {w.concept for t in data.tracks for w in t.concepts}
            | {s for b in data.backgrounds for s in (*b.known_concepts, *b.shaky_concepts)}
            | {s for t in data.teams for s in t.must_have}
            | {s for stage in data.stages for s in stage.essentials}
        )
    }
    _write_essentials(data, all_concepts, stages, report)
    _write_edges(data, all_concepts, report)
    _write_resources(data, all_concepts, report)
    _write_questions(data, all_concepts, stages, report)
    _write_tracks_and_teams(data, all_concepts, stages, report)
    _write_backgrounds(data, all_concepts, report)


def _write_essentials(
    data: Interchange,
    concepts: dict[str, Concept],
    stages: dict[str, InterviewStage],
    report: ImportReport,
) -> None:
    """A stage in the file gets the essentials it lists there (none when it lists none)."""
    through = InterviewStage.essentials.through
    rows = [
        through(interviewstage_id=stages[stage.slug].pk, concept_id=concepts[slug].pk)
        for stage in data.stages
        for slug in stage.essentials
    ]
    owners = [stages[stage.slug] for stage in data.stages]
    _replace_links(through, "interviewstage_id", owners, rows, report, "stages")


def _write_edges(data: Interchange, concepts: dict[str, Concept], report: ImportReport) -> None:
    existing = {
        (e.prerequisite_id, e.concept_id): e
        for e in Prerequisite.objects.filter(concept__in=[concepts[e.concept] for e in data.edges])
    }
    to_create, to_update = [], []
    for record in data.edges:
        source, target = concepts[record.prerequisite], concepts[record.concept]
        edge = existing.get((source.pk, target.pk))
        if edge is None:
            to_create.append(
                Prerequisite(
                    prerequisite=source, concept=target, kind=record.kind, reason=record.reason
                )
            )
        elif (edge.kind, edge.reason) != (record.kind, record.reason):
            edge.kind, edge.reason = record.kind, record.reason
            to_update.append(edge)
        else:
            report.unchanged["edges"] += 1
    Prerequisite.objects.bulk_create(to_create)
    Prerequisite.objects.bulk_update(to_update, ["kind", "reason"])
    report.created["edges"] += len(to_create)
    report.updated["edges"] += len(to_update)


def _write_resources(data: Interchange, concepts: dict[str, Concept], report: ImportReport) -> None:
    resources = _upsert(
        Resource,
        data.resources,
        "url",
        lambda r: {"title": r.title, "kind": r.kind, "minutes": r.minutes},
        report,
        "resources",
    )
    through = Resource.concepts.through
    rows = [
        through(resource_id=resources[r.url].pk, concept_id=concepts[slug].pk)
        for r in data.resources
        for slug in r.concepts
    ]
    _replace_links(through, "resource_id", resources.values(), rows, report, "resources")


def _write_questions(
    data: Interchange,
    concepts: dict[str, Concept],
    stages: dict[str, InterviewStage],
    report: ImportReport,
) -> None:
    questions = _upsert(
        Question,
        data.questions,
        "slug",
        lambda q: {
            "text": q.text,
            "stage_id": stages[q.stage].pk,
            "source": q.source,
            "answer_outline": q.answer_outline,
        },
        report,
        "questions",
    )
    through = Question.concepts.through
    rows = [
        through(question_id=questions[q.slug].pk, concept_id=concepts[slug].pk)
        for q in data.questions
        for slug in q.concepts
    ]
    _replace_links(through, "question_id", questions.values(), rows, report, "questions")


def _write_tracks_and_teams(
    data: Interchange,
    concepts: dict[str, Concept],
    stages: dict[str, InterviewStage],
    report: ImportReport,
) -> None:
    tracks = _upsert(
        Track,
        data.tracks,
        "slug",
        lambda t: {"title": t.title, "description": t.description},
        report,
        "tracks",
    )
    rows = [
        TrackConcept(track=tracks[t.slug], concept=concepts[w.concept], weight=w.weight)
        for t in data.tracks
        for w in t.concepts
    ]
    _replace_links(TrackConcept, "track_id", tracks.values(), rows, report, "tracks")
    teams = _upsert(
        TeamProfile,
        data.teams,
        "slug",
        lambda t: {"name": t.name, "description": t.description, "role": t.role},
        report,
        "teams",
    )
    all_tracks = {t.slug: t for t in Track.objects.all()}
    track_rows = [
        TeamTrack(team=teams[t.slug], track=all_tracks[w.track], weight=w.weight)
        for t in data.teams
        for w in t.tracks
    ]
    _replace_links(TeamTrack, "team_id", teams.values(), track_rows, report, "teams")
    loop_rows = [
        LoopStage(team=teams[t.slug], stage=stages[step.stage], order=order, minutes=step.minutes)
        for t in data.teams
        for order, step in enumerate(t.loop, start=1)
    ]
    _replace_links(LoopStage, "team_id", teams.values(), loop_rows, report, "teams")
    through = TeamProfile.must_have.through
    must_rows = [
        through(teamprofile_id=teams[t.slug].pk, concept_id=concepts[slug].pk)
        for t in data.teams
        for slug in t.must_have
    ]
    _replace_links(through, "teamprofile_id", teams.values(), must_rows, report, "teams")


def _write_backgrounds(
    data: Interchange, concepts: dict[str, Concept], report: ImportReport
) -> None:
    backgrounds = _upsert(
        Background,
        data.backgrounds,
        "slug",
        lambda b: {
            "title": b.title,
            "description": b.description,
            "known_areas": list(b.known_areas),
            "shaky_areas": list(b.shaky_areas),
        },
        report,
        "backgrounds",
    )
    for field_name in ("known_concepts", "shaky_concepts"):
        through = getattr(Background, field_name).through
        rows = [
            through(background_id=backgrounds[b.slug].pk, concept_id=concepts[slug].pk)
            for b in data.backgrounds
            for slug in getattr(b, field_name)
        ]
        _replace_links(through, "background_id", backgrounds.values(), rows, report, "backgrounds")


def import_text(text: str | bytes, *, dry_run: bool = False) -> ImportReport:
    return import_data(parse(text), dry_run=dry_run)


# --- export -----------------------------------------------------------------------------


def _number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    as_float = float(value)
    return int(as_float) if as_float.is_integer() else as_float


def export_data() -> dict[str, Any]:
    """The whole KB in the interchange format, in a stable order (diffable)."""
    stage_slugs = dict(InterviewStage.objects.values_list("pk", "slug"))
    concept_slugs = dict(Concept.objects.values_list("pk", "slug"))
    track_slugs = dict(Track.objects.values_list("pk", "slug"))

    def linked(through, owner: str, target: str, names: dict[int, str]) -> dict[int, list[str]]:
        links: dict[int, list[str]] = {}
        for owner_id, target_id in through.objects.order_by("pk").values_list(owner, target):
            links.setdefault(owner_id, []).append(names[target_id])
        return links

    concept_stages = linked(Concept.stages.through, "concept_id", "interviewstage_id", stage_slugs)
    resource_concepts = linked(
        Resource.concepts.through, "resource_id", "concept_id", concept_slugs
    )
    question_concepts = linked(
        Question.concepts.through, "question_id", "concept_id", concept_slugs
    )
    track_weights: dict[int, list[dict]] = {}
    for track_id, concept_id, weight in TrackConcept.objects.order_by(
        "track_id", "-weight", "concept__slug"
    ).values_list("track_id", "concept_id", "weight"):
        track_weights.setdefault(track_id, []).append(
            {"concept": concept_slugs[concept_id], "weight": weight}
        )
    team_tracks: dict[int, list[dict]] = {}
    for team_id, track_id, weight in TeamTrack.objects.order_by(
        "team_id", "-weight", "track__slug"
    ).values_list("team_id", "track_id", "weight"):
        team_tracks.setdefault(team_id, []).append(
            {"track": track_slugs[track_id], "weight": weight}
        )
    team_must = linked(TeamProfile.must_have.through, "teamprofile_id", "concept_id", concept_slugs)
    stage_essentials = linked(
        InterviewStage.essentials.through, "interviewstage_id", "concept_id", concept_slugs
    )
    background_known = linked(
        Background.known_concepts.through, "background_id", "concept_id", concept_slugs
    )
    background_shaky = linked(
        Background.shaky_concepts.through, "background_id", "concept_id", concept_slugs
    )
    team_loops: dict[int, list[dict]] = {}
    for team_id, stage_id, minutes in LoopStage.objects.order_by("team_id", "order").values_list(
        "team_id", "stage_id", "minutes"
    ):
        team_loops.setdefault(team_id, []).append(
            {"stage": stage_slugs[stage_id], "minutes": minutes}
        )

    return {
        "format": FORMAT,
        "stages": [
            {
                "slug": s.slug,
                "title": s.title,
                "description": s.description,
                "typical_minutes": s.typical_minutes,
                "research_only": s.research_only,
                "order": s.order,
                "essentials": stage_essentials.get(s.pk, []),
            }
            for s in InterviewStage.objects.order_by("order", "slug")
        ],
        "concepts": [
            {
                "slug": c.slug,
                "title": c.title,
                "aliases": c.aliases,
                "summary": c.summary,
                "area": c.area,
                "hours": _number(c.hours),
                "difficulty": c.difficulty,
                "stages": concept_stages.get(c.pk, []),
            }
            for c in Concept.objects.order_by("slug")
        ],
        "edges": [
            {"from": source, "to": target, "kind": kind, "reason": reason}
            for source, target, kind, reason in Prerequisite.objects.order_by(
                "concept__slug", "prerequisite__slug"
            ).values_list("prerequisite__slug", "concept__slug", "kind", "reason")
        ],
        "resources": [
            {
                "title": r.title,
                "url": r.url,
                "kind": r.kind,
                "minutes": r.minutes,
                "concepts": resource_concepts.get(r.pk, []),
            }
            for r in Resource.objects.order_by("url")
        ],
        "questions": [
            {
                "slug": q.slug,
                "text": q.text,
                "stage": stage_slugs[q.stage_id],
                "concepts": question_concepts.get(q.pk, []),
                "source": q.source,
                "answer_outline": q.answer_outline,
            }
            for q in Question.objects.order_by("slug")
        ],
        "tracks": [
            {
                "slug": t.slug,
                "title": t.title,
                "description": t.description,
                "concepts": track_weights.get(t.pk, []),
            }
            for t in Track.objects.order_by("slug")
        ],
        "teams": [
            {
                "slug": t.slug,
                "name": t.name,
                "description": t.description,
                "role": t.role,
                "tracks": team_tracks.get(t.pk, []),
                "loop": team_loops.get(t.pk, []),
                "must_have": team_must.get(t.pk, []),
            }
            for t in TeamProfile.objects.order_by("slug")
        ],
        "backgrounds": [
            {
                "slug": b.slug,
                "title": b.title,
                "description": b.description,
                "known_concepts": background_known.get(b.pk, []),
                "shaky_concepts": background_shaky.get(b.pk, []),
                "known_areas": list(b.known_areas),
                "shaky_areas": list(b.shaky_areas),
            }
            for b in Background.objects.order_by("slug")
        ],
    }


def export_json() -> str:
    return json.dumps(export_data(), indent=2, ensure_ascii=False) + "\n"


def to_graphml(graph: nx.DiGraph) -> str:
    """GraphML with title, area, hours, aliases (one '; '-joined string) and edge kind.

    Only scalar attributes survive GraphML, and a node without an hours
    estimate simply has no `hours` value.
    """
    out = nx.DiGraph()
    for slug, attrs in graph.nodes(data=True):
        values = {
            "title": attrs["title"],
            "area": attrs["area"],
            "aliases": "; ".join(attrs["aliases"]),
        }
        if attrs.get("hours") is not None:
            values["hours"] = float(attrs["hours"])
        out.add_node(slug, **values)
    for source, target, kind in graph.edges(data="kind"):
        out.add_edge(source, target, kind=kind)
    return "\n".join(nx.generate_graphml(out, prettyprint=True)) + "\n"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: nx.DiGraph) -> str:
    """Graphviz DOT: required edges solid, recommended dashed."""
    lines = ["digraph prepgraph {", "  rankdir=LR;", "  node [shape=box, style=rounded];"]
    for slug, attrs in sorted(graph.nodes(data=True)):
        lines.append(f"  {_dot_quote(slug)} [label={_dot_quote(attrs['title'])}];")
    for source, target, kind in sorted(graph.edges(data="kind")):
        style = " [style=dashed]" if kind != "required" else ""
        lines.append(f"  {_dot_quote(source)} -> {_dot_quote(target)}{style};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid_id(slug: str) -> str:
    # Slugs never contain '_', so this is one-to-one; '-' would read as an arrow.
    return "c_" + slug.replace("-", "_")


def to_mermaid(graph: nx.DiGraph) -> str:
    """A Mermaid flowchart: required edges `-->`, recommended `-.->`."""
    lines = ["flowchart LR"]
    for slug, attrs in sorted(graph.nodes(data=True)):
        label = attrs["title"].replace('"', "#quot;")
        lines.append(f'  {_mermaid_id(slug)}["{label}"]')
    for source, target, kind in sorted(graph.edges(data="kind")):
        arrow = "-->" if kind == "required" else "-.->"
        lines.append(f"  {_mermaid_id(source)} {arrow} {_mermaid_id(target)}")
    return "\n".join(lines) + "\n"


GRAPH_FORMATS: dict[str, Callable[[nx.DiGraph], str]] = {
    "graphml": to_graphml,
    "dot": to_dot,
    "mermaid": to_mermaid,
}
