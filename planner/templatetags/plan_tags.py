"""Small wording filters for the plan pages: durations, countdowns, item kinds and notes."""

from __future__ import annotations

import re
from collections.abc import Mapping

from django import template
from django.urls import reverse

from kb.models import Role

register = template.Library()

KIND_LABELS = {
    "learn": "Learn",
    "review": "Review",
    "practice": "Practice",
    "mock": "Mock interview",
    "buffer": "Buffer",
}
# Notes that only repeat what the kind or title already says.
QUIET_NOTES = {"interview questions", "catch-up or rest"}
NOTE_WORDING = {
    "shaky: refresh": "a refresher: you may be rusty on it",
    "final review": "final review before the interview",
    "light": "light review",
}


@register.filter
def duration(minutes: int | None) -> str:
    """90 -> '1 h 30', 120 -> '2 h', 45 -> '45 min'."""
    minutes = int(minutes or 0)
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours:,} h {rest:02d}" if rest else f"{hours:,} h"


@register.filter
def percent(share: float | None) -> str:
    """0.934 -> '93%'."""
    return "" if share is None else f"{share:.0%}"


@register.filter
def countdown(days: int) -> str:
    """Days until the interview, in words."""
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days > 1:
        return f"in {days} days"
    return "yesterday" if days == -1 else f"{-days} days ago"


@register.filter
def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


@register.filter
def role_label(role: str | None) -> str:
    return dict(Role.choices).get(role or "", role or "")


@register.filter
def item_note(item: dict) -> str:
    """The item's note worth showing ("toward Transformers", "refresher: ..."), else ''."""
    note = (item.get("note") or "").strip()
    if item.get("kind") in ("mock", "buffer") or note in QUIET_NOTES:
        return ""
    return NOTE_WORDING.get(note, note)


@register.filter
def concept_url(slug: str) -> str:
    """The concept's page in the knowledge base."""
    return reverse("kb:concept", args=[slug])


@register.filter
def cut_targets(cuts: list[dict]) -> list[dict]:
    """Cut topics the plan was asked for (they have a tier), most valuable first."""
    return [cut for cut in cuts or () if cut.get("tier")]


@register.filter
def cut_prerequisites(cuts: list[dict]) -> list[dict]:
    """Prerequisites cut only because every topic needing them was cut."""
    return [cut for cut in cuts or () if not cut.get("tier")]


@register.filter
def unlisted_cut_count(summary: dict) -> int:
    """Prerequisite cuts the plan counts but does not name (only over a very large graph)."""
    return (summary.get("unlisted_cuts") or {}).get("count", 0)


TIER_ORDER = ("core", "important", "useful")


@register.filter
def tier_counts(summary: dict) -> str:
    """'core 6/8, important 4/11, useful 0/30': topics that fit of those asked, per tier."""
    tiers = [t for t in summary.get("tiers", ()) if t["targets"]]
    return ", ".join(f"{t['name']} {t['learned']}/{t['targets']}" for t in tiers)


@register.filter
def cuts_by_tier(cuts: list[dict]) -> list[dict]:
    """Cut topics grouped by tier, core first, each group with the learning time left for it.

    The planner's reason repeats "13 min left after ..." on every line of a tier;
    said once per group, the list reads as what each topic would still need.
    """
    groups: dict[str, dict] = {}
    for cut in cut_targets(cuts):
        group = groups.setdefault(
            cut["tier"], {"tier": cut["tier"], "left_minutes": cut.get("left_minutes"), "cuts": []}
        )
        group["cuts"].append(cut)
    order = {name: index for index, name in enumerate(TIER_ORDER)}
    return sorted(groups.values(), key=lambda g: order.get(g["tier"], len(order)))


@register.filter
def reason_detail(reason: str, title: str) -> str:
    """A cut's reason without the leading "Title: ", which the page shows as a link."""
    prefix = f"{title}: "
    text = reason[len(prefix) :] if title and reason.startswith(prefix) else reason
    return text[:1].upper() + text[1:]


# "plan with --known python-for-ml instead": the CLI's words in content the wizard shows too.
SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
CLI_CONCEPT_FLAG = re.compile(rf"(plan with )?--(known|shaky)[ =]({SLUG}(?:,{SLUG})*)")


@register.filter
def without_cli_flags(text: str, titles: Mapping[str, str] | None = None) -> str:
    """`text` with the CLI's --known/--shaky flags said as the wizard does it.

    "plan with --known python-for-ml instead" -> "choose “None” above and mark Python
    for ML as known below instead"; a bare "--known x" -> "mark X as known below".
    `titles` maps slugs to concept titles (a slug without one is shown as it is).
    """
    titles = titles or {}

    def said(match: re.Match) -> str:
        names = [titles.get(slug, slug) for slug in match.group(3).split(",")]
        listed = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
        mark = f"mark {listed} as {match.group(2)} below"
        return f"choose “None” above and {mark}" if match.group(1) else mark

    return CLI_CONCEPT_FLAG.sub(said, text or "")
