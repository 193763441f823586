"""Mark items of a saved plan done, skipped or pending, from the command line.

    manage.py mark --plan 12 --user alice --item 301,302 --status done

Each item goes through planner.services.mark_plan_item, as the API's PATCH and
the plan page's buttons do, so progress and replans count it the same way. All
or nothing: with an unknown id among several, or a --revision the plan is no
longer at, nothing is marked.
"""

from datetime import date

from django.core.management.base import CommandError
from django.db import transaction

from kb.management.commands._base import KnowledgeBaseCommand, split_slugs
from planner import formats, selectors, services
from planner.management.commands.show_plan import owned_plan, owner
from planner.models import ItemKind, ItemStatus, Plan
from planner.selection import hours_text

STATUSES = (ItemStatus.DONE, ItemStatus.SKIPPED, ItemStatus.PENDING)


def _item_ids(raw: str) -> list[int]:
    ids: list[int] = []
    for part in split_slugs(raw):
        number = part.removeprefix("#")
        if not number.isdigit() or len(number) > 18:
            raise CommandError(f"--item: {part!r} is not an item id (show_plan prints them)")
        if int(number) not in ids:
            ids.append(int(number))
    if not ids:
        raise CommandError("--item: give the ids of the items to mark, e.g. --item 301,302")
    return ids


def _status(raw: str) -> str:
    status = raw.strip().lower()
    if status not in STATUSES:
        raise CommandError(f"--status: {raw!r} is not one of {', '.join(STATUSES)}")
    return status


def _revision(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.strip().isdigit() or len(raw.strip()) > 9:
        raise CommandError(f"--revision: {raw!r} is not a revision number")
    return int(raw)


class Command(KnowledgeBaseCommand):
    help = (
        "Mark items of a saved plan done, skipped or pending (the ids show_plan prints). "
        "All or nothing: if any id is wrong, nothing is marked."
    )

    def add_arguments(self, parser):
        parser.add_argument("--plan", required=True, help="The plan's id.")
        parser.add_argument("--user", required=True, help="The plan's owner (username).")
        parser.add_argument(
            "--item", required=True, help="Item ids from show_plan, one or several: 301,302."
        )
        parser.add_argument(
            "--status",
            required=True,
            metavar="{done,skipped,pending}",
            help="done, skipped (taken off the plan) or pending (back on your to-do list).",
        )
        parser.add_argument(
            "--revision",
            help="The plan revision you looked at (show_plan prints it): if the plan was "
            "replanned since, nothing is marked.",
        )

    def handle(self, *args, **o):
        plan = owned_plan(o["plan"], owner(o["user"]))
        ids = _item_ids(o["item"])
        status = _status(o["status"])
        revision = _revision(o["revision"])
        with transaction.atomic():  # every mark, or none
            before = dict(plan.items.filter(pk__in=ids).values_list("pk", "status"))
            missing, changed = [], None
            for item_id in ids:
                try:
                    services.mark_plan_item(
                        plan=plan, item_id=item_id, status=status, revision=revision
                    )
                except services.PlanItemNotFound:
                    missing.append(item_id)
                except services.PlanChanged as exc:
                    changed = changed or exc
            if changed is not None:
                flag = "--revision" if revision is not None else "--item"
                raise CommandError(
                    f"{flag}: {changed.message.replace('reload it', 'run show_plan')}; "
                    "nothing was marked"
                )
            if missing:
                listed = ", ".join(str(item_id) for item_id in missing)
                raise CommandError(
                    f"--item: plan {plan.pk} has no item {listed}; nothing was marked"
                )
        plan.refresh_from_db()
        self._report(plan, ids, before, status)

    def _report(self, plan: Plan, ids: list[int], before: dict[int, str], status: str) -> None:
        """Each item as show_plan lists it, with its status before; then the progress."""
        payload = formats.plan_payload(plan)
        found = {
            item["id"]: (day["date"], item) for day in payload["days"] for item in day["items"]
        }
        width = formats.id_column(payload["days"])
        self.stdout.write(f"Marked {len(ids)} item{'s' if len(ids) != 1 else ''} {status}:")
        to_rate = []
        for item_id in ids:
            when, item = found[item_id]
            row = formats.table_item_lines(item, id_width=width)[0]
            was = f"was {before[item_id]}" if before[item_id] != status else f"already {status}"
            self.stdout.write(f"  {date.fromisoformat(when):%a %d %b}{row}  ({was})")
            studied = item["kind"] in (ItemKind.LEARN, ItemKind.REVIEW) and item["concept"]
            if status == ItemStatus.DONE and studied and item["concept"] not in to_rate:
                to_rate.append(item["concept"])
        measured = selectors.plan_progress(plan)
        line = f"Plan {plan.pk}, revision {plan.revision}: {measured.text}"
        if measured.today_planned:
            done = hours_text(measured.today_done) if measured.today_done else "0"
            line += f"; today {done} of {hours_text(measured.today_planned)} done"
        self.stdout.write(line)
        if to_rate:
            which = to_rate[0] if len(to_rate) == 1 else "SLUG"
            of = "" if len(to_rate) == 1 else f" of {', '.join(to_rate)}"
            self.stdout.write(
                f"Rate your self-test{of}: manage.py rate --user {plan.owner.get_username()} "
                f"--plan {plan.pk} --concept {which} --rating again|hard|good|easy"
            )
