"""How the reminder dispatcher scales with users: due() over 10k people.

Run:  .venv/bin/python bench/dispatch_scale.py [--users 10000]

Uses a throwaway SQLite file (or DATABASE_URL if set to a scratch database),
fills it with users, preferences, plans and items in bulk, then times
planner.reminders.due(). Prints the number of queries it ran and its time as
a ratio to a baseline measured in the same run: reading every plan item once
with values_list.
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--items-per-plan", type=int, default=20)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp()) / "bench.sqlite3"
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prepgraph.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from planner import reminders
    from planner.models import Plan, PlanItem, ReminderPreference

    call_command("migrate", verbosity=0)
    now = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("UTC"))
    zones = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]
    started = time.perf_counter()
    User = get_user_model()
    User.objects.bulk_create(User(username=f"user{i}") for i in range(args.users))
    users = list(User.objects.order_by("id"))
    ReminderPreference.objects.bulk_create(
        ReminderPreference(user=u, timezone=zones[i % len(zones)]) for i, u in enumerate(users)
    )
    Plan.objects.bulk_create(
        Plan(
            owner=u,
            title="bench",
            inputs={},
            summary={},
            interview_at=now + timedelta(days=10 + i % 20),
            timezone=zones[i % len(zones)],
            start_date=now.date(),
        )
        for i, u in enumerate(users)
    )
    plans = list(Plan.objects.order_by("id"))
    PlanItem.objects.bulk_create(
        (
            PlanItem(
                plan=plan,
                date=now.date() + timedelta(days=k % 5 - 1),
                order=k,
                kind="learn",
                minutes=30,
            )
            for plan in plans
            for k in range(args.items_per_plan)
        ),
        batch_size=5000,
    )
    print(
        f"setup: {args.users} users, {len(plans) * args.items_per_plan} items "
        f"in {time.perf_counter() - started:.1f} s"
    )

    started = time.perf_counter()
    rows = len(list(PlanItem.objects.values_list("plan_id", "date", "status").iterator()))
    baseline = time.perf_counter() - started
    print(f"baseline: read {rows} plan items once      {baseline * 1000:8.1f} ms")

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        found = reminders.due(now)
        elapsed = time.perf_counter() - started
    print(
        f"due(): {len(found)} reminders, {len(queries)} queries  {elapsed * 1000:8.1f} ms"
        f"  ({elapsed / baseline:5.2f}x baseline)"
    )


if __name__ == "__main__":
    main()
