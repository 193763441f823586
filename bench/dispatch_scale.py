"""How the reminder dispatcher scales with users: dispatch() over 10k people.

Run:  .venv/bin/python bench/dispatch_scale.py [--users 10000] [--sizes 2000 6000 10000]
                                               [--items-per-plan 20] [--json FILE]

Uses a throwaway SQLite file (or DATABASE_URL if set to a scratch database),
and fills it in bulk, size after size, with people whose reminder is due now
(enabled, an email address, local time 00:00, so every one of them is owed a
digest: the worst case), one plan each with items around today and memory
cards, a third of them due for review. At each size it times, on the same
rows:

- baseline: reading every plan item once with values_list (a plain SELECT);
- due(now): what is owed (dry run), and its queries;
- dispatch(now): what beat runs every minute: recover, due, claim (one
  ReminderDelivery row per person), ready, and the nudges (a no-op sender),
  and its queries. The rows it claims are deleted afterwards (not timed), so
  every size dispatches everybody.

Prints a line per size, then the figures. Targets: 10k users in under 5 s;
dispatch()'s queries grow by a constant number per batch of
planner.reminders.BATCH_SIZE users (within one: bulk INSERTs are also cut at
the database's variable limit, which on SQLite is 66 rows, so their count per
batch rounds), and due() runs the same number of queries at every size.
"""

from __future__ import annotations

import argparse
import atexit
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.figures import failed, figure, table

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("UTC"))
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney"]
SECONDS_TARGET = "< 5 s"
SIZES = (2000, 6000, 10_000)


def _django() -> None:
    if "DATABASE_URL" not in os.environ:
        scratch = tempfile.mkdtemp(prefix="prepgraph-bench-dispatch.")
        atexit.register(shutil.rmtree, scratch, ignore_errors=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prepgraph.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def populate(start: int, stop: int, items_per_plan: int) -> None:
    """People start..stop-1, each with a due reminder, a plan, its items and memory cards."""
    from django.contrib.auth import get_user_model

    from planner.models import MemoryCard, Plan, PlanItem, ReminderPreference

    user_model = get_user_model()
    user_model.objects.bulk_create(
        (user_model(username=f"user{i}", email=f"user{i}@example.org") for i in range(start, stop)),
        batch_size=2000,
    )
    users = list(user_model.objects.filter(username__startswith="user").order_by("id")[start:stop])
    ReminderPreference.objects.bulk_create(
        (
            ReminderPreference(
                user=u, enabled=True, timezone=ZONES[i % len(ZONES)], local_time=clock_time(0)
            )
            for i, u in enumerate(users, start)
        ),
        batch_size=2000,
    )
    Plan.objects.bulk_create(
        (
            Plan(
                owner=u,
                title="bench",
                inputs={},
                summary={},
                interview_at=NOW + timedelta(days=3 + i % 20),
                timezone=ZONES[i % len(ZONES)],
                start_date=NOW.date() - timedelta(days=5),
            )
            for i, u in enumerate(users, start)
        ),
        batch_size=2000,
    )
    plans = list(Plan.objects.filter(owner__in=users).order_by("id"))
    PlanItem.objects.bulk_create(
        (
            PlanItem(
                plan=plan,
                date=NOW.date() + timedelta(days=k % 5 - 2),
                order=k,
                kind="learn",
                concept_slug=f"concept-{k}",
                minutes=30,
            )
            for plan in plans
            for k in range(items_per_plan)
        ),
        batch_size=5000,
    )
    MemoryCard.objects.bulk_create(
        (
            MemoryCard(
                user=u,
                concept_slug=f"concept-{k}",
                due=NOW + timedelta(days=(i + k) % 3 - 1),  # a third due before now
            )
            for i, u in enumerate(users, start)
            for k in range(3)
        ),
        batch_size=5000,
    )


def measure(users: int) -> dict:
    """Baseline, due() and dispatch() at the current size; claimed rows removed after."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from planner import reminders
    from planner.models import PlanItem, ReminderDelivery

    started = time.perf_counter()
    rows = len(list(PlanItem.objects.values_list("plan_id", "date", "status").iterator()))
    baseline = time.perf_counter() - started

    with CaptureQueriesContext(connection) as due_queries:
        started = time.perf_counter()
        owed = reminders.dispatch(NOW, lambda _id: None, dry_run=True).due
        due_seconds = time.perf_counter() - started
    sent: list[int] = []
    with CaptureQueriesContext(connection) as dispatch_queries:
        started = time.perf_counter()
        report = reminders.dispatch(NOW, sent.append)
        dispatch_seconds = time.perf_counter() - started
    if len(report.claimed) != users or len(sent) != users:
        raise RuntimeError(
            f"dispatch at {users} users claimed {len(report.claimed)} and sent {len(sent)} "
            "digests; every bench user is due one"
        )
    ReminderDelivery.objects.all().delete()
    return {
        "users": users,
        "items": rows,
        "baseline_s": baseline,
        "due": len(owed),
        "due_s": due_seconds,
        "due_queries": len(due_queries),
        "dispatch_s": dispatch_seconds,
        "dispatch_queries": len(dispatch_queries),
        "batches": math.ceil(users / reminders.BATCH_SIZE),
    }


def run(sizes: list[int], items_per_plan: int) -> tuple[str, list[dict]]:
    """Measure at each size (filling the database up to it); the vendor and the rows."""
    _django()
    from django.db import connection

    done = 0
    rows = []
    for size in sorted(sizes):
        started = time.perf_counter()
        populate(done, size, items_per_plan)
        done = size
        setup = time.perf_counter() - started
        row = measure(size)
        rows.append(row)
        print(
            f"{size:>6} users, {row['items']:>7} items (setup {setup:5.1f} s): "
            f"baseline {row['baseline_s'] * 1000:7.1f} ms | due() {row['due']} owed, "
            f"{row['due_queries']} queries, {row['due_s'] * 1000:7.1f} ms | dispatch() "
            f"{row['dispatch_queries']} queries, {row['dispatch_s'] * 1000:7.1f} ms "
            f"({row['dispatch_s'] / row['baseline_s']:5.2f}x baseline)",
            flush=True,
        )
    return connection.vendor, rows


def figures_from(vendor: str, rows: list[dict]) -> list[dict]:
    from planner.reminders import BATCH_SIZE

    label = {"postgresql": "postgres"}.get(vendor, vendor)
    name = f"dispatch.{label}"
    largest = rows[-1]
    result = [
        figure(
            f"{name}.{largest['users'] // 1000}k_users",
            largest["dispatch_s"],
            "s",
            baseline=largest["baseline_s"],
            target=SECONDS_TARGET if largest["users"] >= 10_000 else None,
            note=f"dispatch() for {largest['users']} users, all due, {largest['items']} plan "
            "items; baseline: one SELECT of every plan item (values_list)",
        ),
        figure(
            f"{name}.due_queries",
            largest["due_queries"],
            "queries",
            baseline=rows[0]["due_queries"],
            target="constant",
            met=largest["due_queries"] == rows[0]["due_queries"],
            note=f"due() at {largest['users']} users; baseline: at {rows[0]['users']}",
        ),
    ]
    if len(rows) >= 3:
        first, middle, last = rows[0], rows[len(rows) // 2], rows[-1]

        def per_batch(a: dict, b: dict) -> float:
            batches = b["batches"] - a["batches"]
            return (b["dispatch_queries"] - a["dispatch_queries"]) / batches if batches else 0.0

        low, high = per_batch(first, middle), per_batch(middle, last)
        result.append(
            figure(
                f"{name}.queries_per_batch",
                high,
                "queries",
                baseline=low,
                target="constant (+-1)",
                met=abs(high - low) <= 1,
                note=f"dispatch() queries per extra {BATCH_SIZE} users, {middle['users']} to "
                f"{last['users']} users; baseline: the same from {first['users']} to "
                f"{middle['users']} (totals: {', '.join(str(r['dispatch_queries']) for r in rows)})"
                "; +-1: INSERTs are cut at the database's variable limit (SQLite: 999, so "
                "~30 INSERTs per batch), not at batch boundaries",
            )
        )
    return result


def figures(quick: bool) -> list[dict]:
    """SQLite at 2k, 6k and 10k users; the full run adds a throwaway PostgreSQL."""
    from bench import servers

    result = _in_child({}, "sqlite")
    if not quick:
        try:
            with (
                servers.postgres_server() as server,
                servers.postgres_database(server, f"prepgraph_dispatch_{os.getpid()}") as url,
            ):
                result += _in_child({"DATABASE_URL": url}, "postgres")
        except Exception as exc:
            result.append(failed("dispatch.postgres.10k_users", f"{type(exc).__name__}: {exc}"))
    return result


def _in_child(extra_env: dict[str, str], label: str) -> list[dict]:
    """Run this script in a new process (Django is set up once per process, per database)."""
    out = Path(tempfile.mkstemp(prefix="prepgraph-dispatch.", suffix=".json")[1])
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(extra_env)
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--json", str(out)],
            env=env,
            timeout=900,
            check=False,
        )
        if done.returncode != 0:
            return [failed(f"dispatch.{label}.10k_users", f"exited {done.returncode}")]
        return json.loads(out.read_text())["figures"]
    finally:
        out.unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, help="one size only (default: --sizes)")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--items-per-plan", type=int, default=20)
    parser.add_argument("--json", metavar="FILE", help="also write the figures here")
    args = parser.parse_args()
    vendor, rows = run([args.users] if args.users else args.sizes, args.items_per_plan)
    results = figures_from(vendor, rows)
    print(table(results))
    if args.json:
        Path(args.json).write_text(json.dumps({"figures": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
