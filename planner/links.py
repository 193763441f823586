"""The mark-done and replan links in reminders: signed, bound to a plan revision, revocable.

A link carries the plan revision it was issued for, so it works once: a
replan bumps the revision, and marking an item that is already done changes
nothing. It also carries the person's `link_key`; changing the key
(planner.preferences.preference_revoke_links) revokes every link sent so far.
GET pages show what a link will do; only POST acts (mail scanners fetch URLs).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse

from kb.errors import ApplicationError
from planner import services
from planner.models import ItemStatus, Plan, PlanItem, ReminderPreference

MARK_DONE_SALT = "prepgraph.mark-done"
REPLAN_SALT = "prepgraph.replan"
MAX_AGE = timedelta(days=14)
REPLANNED = (
    "Your plan has changed since this link was sent (it was replanned), "
    "so the link no longer applies. Open your plan to continue."
)


class LinkInvalid(ApplicationError):
    """A link that is forged, expired, revoked, used, or for a plan that has changed."""

    code = "link_invalid"


@dataclass(frozen=True)
class LinkTarget:
    plan: Plan
    item: PlanItem | None = None


def mark_done_link(item: PlanItem, plan: Plan, preference: ReminderPreference) -> str:
    return _url("planner:mark-done", {"i": item.pk, **_binding(plan, preference)}, MARK_DONE_SALT)


def replan_link(plan: Plan, preference: ReminderPreference) -> str:
    return _url("planner:replan", {"p": plan.pk, **_binding(plan, preference)}, REPLAN_SALT)


def plan_url(plan: Plan) -> str:
    """Where a person reads the plan (sign-in required, owner only)."""
    return settings.SITE_URL + reverse("planner:plan", args=[plan.pk])


def _binding(plan: Plan, preference: ReminderPreference) -> dict[str, Any]:
    return {"u": plan.owner_id, "r": plan.revision, "k": preference.link_key}


def _url(name: str, value: dict[str, Any], salt: str) -> str:
    return settings.SITE_URL + reverse(name, args=[signing.dumps(value, salt=salt)])


def _read(token: str, salt: str) -> dict[str, Any]:
    try:
        data = signing.loads(token, salt=salt, max_age=MAX_AGE.total_seconds())
    except signing.SignatureExpired:
        raise LinkInvalid("This link has expired. Open your plan to continue.") from None
    except signing.BadSignature:
        raise LinkInvalid("This link is not valid.") from None
    if not isinstance(data, dict) or not {"u", "r", "k"} <= data.keys():
        raise LinkInvalid("This link is not valid.")
    return data


def _check_binding(data: dict[str, Any], plan: Plan) -> None:
    key = (
        ReminderPreference.objects.filter(user_id=data["u"])
        .values_list("link_key", flat=True)
        .first()
    )
    if key is None or key != data["k"]:
        raise LinkInvalid("This link was revoked. Open your plan to continue.")
    if plan.revision != data["r"]:
        raise LinkInvalid(REPLANNED)


def mark_done_target(token: str) -> LinkTarget:
    """The item a mark-done link points at, checked; raises LinkInvalid saying why not."""
    data = _read(token, MARK_DONE_SALT)
    item = (
        PlanItem.objects.select_related("plan", "concept")
        .filter(pk=data.get("i"), plan__owner_id=data["u"])
        .first()
    )
    if item is None:
        raise LinkInvalid("This item is no longer in your plan. Open your plan to continue.")
    if item.plan.archived_at is not None:
        raise LinkInvalid("This plan is archived.")
    _check_binding(data, item.plan)
    return LinkTarget(plan=item.plan, item=item)


def replan_target(token: str, *, lock: bool = False) -> LinkTarget:
    """The plan a replan link points at, checked; raises LinkInvalid saying why not."""
    data = _read(token, REPLAN_SALT)
    plans = Plan.objects.select_for_update() if lock else Plan.objects
    plan = plans.filter(pk=data.get("p"), owner_id=data["u"]).first()
    if plan is None:
        raise LinkInvalid("This plan no longer exists.")
    if plan.archived_at is not None:
        raise LinkInvalid("This plan is archived.")
    _check_binding(data, plan)
    return LinkTarget(plan=plan)


def mark_done_from_link(token: str) -> LinkTarget:
    """Mark the link's item done; a second use finds it done and changes nothing."""
    with transaction.atomic():
        target = mark_done_target(token)
        if target.item.status != ItemStatus.DONE:
            # The link's revision (checked above) goes to mark_item, which checks it again
            # under the plan's lock: a replan committing in between makes it a refusal.
            revision = target.plan.revision
            try:
                services.mark_item(item=target.item, status=ItemStatus.DONE, revision=revision)
            except services.PlanChanged:
                raise LinkInvalid(REPLANNED) from None
    return target


def replan_from_link(token: str) -> LinkTarget:
    """Replan the link's plan; the revision it bumps makes this link (and its copies) used."""
    with transaction.atomic():  # the plan row stays locked from the check to the new revision
        target = replan_target(token, lock=True)
        return LinkTarget(plan=services.replan(plan=target.plan))
