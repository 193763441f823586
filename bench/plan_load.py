"""Plan creation through the API under load: POST /api/v1/plans/ at 8 concurrent clients.

Run:  .venv/bin/python bench/plan_load.py [--quick] [--databases sqlite postgres]
                                          [--seconds 30] [--clients 8] [--json FILE]

For each database (a fresh SQLite file; a throwaway PostgreSQL, see
bench/servers.py), it migrates, imports the shipped graph
(fixtures/ml-interview-graph.json) with manage.py import_graph, makes 8 users
with API tokens, and starts gunicorn on 127.0.0.1 (2 sync workers, as for 2
cores). Then wrk, headless, keeps 8 connections busy (closed loop: each client
sends its next request when the last is answered) for a fixed time, twice
(after a discarded warm-up), then once more each with a single client:

1. baseline: GET /api/v1/reminder-preferences/, the cheapest authenticated
   request of the API: the same gunicorn, token authentication, throttles, one
   row read and a JSON answer. It measures what the stack itself costs here.
2. POST /api/v1/plans/ with a team and a background, rotating over every
   shipped team x background preset (11 x 5), four weeks to the interview, 2 h
   on weekdays and 4 h at weekends; the tokens rotate too.

Reports p50 and p99 latency of plan creation (targets: < 100 ms and < 300 ms
at 8 concurrent clients), its throughput and its p50 with one client (what a
plan costs with nobody queued ahead), each with the baseline's figure
measured in the same run, so the ratio says how many trivial requests one plan
costs on whatever machine runs it. With 8 clients on 2 workers a request waits
for the ones ahead of it: by Little's law p50 ~ 8 / throughput, so the latency
target needs about 80 plans a second, i.e. a plan in about 25 ms of a worker.
Any non-2xx answer, timeout or socket error fails the figure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import servers
from bench.figures import failed, figure, table

FIXTURE = servers.ROOT / "fixtures" / "ml-interview-graph.json"
PLANS = "/api/v1/plans/"
TRIVIAL = "/api/v1/reminder-preferences/"
P50_TARGET = "< 100 ms"
P99_TARGET = "< 300 ms"


def plan_bodies() -> list[str]:
    """One request body per shipped team x background preset."""
    graph = json.loads(FIXTURE.read_text())
    interview = (datetime.now(UTC).date() + timedelta(days=28)).isoformat()
    return [
        json.dumps(
            {
                "team": team["slug"],
                "background": background["slug"],
                "interview": interview,
                "hours_per_weekday": [2, 2, 2, 2, 2, 4, 4],
                "timezone": "Europe/Berlin",
            }
        )
        for team in graph["teams"]
        for background in graph["backgrounds"]
    ]


def prepare(users: int) -> None:
    """(In the app's environment) make `users` users with tokens; print the tokens as JSON."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    user_model = get_user_model()
    tokens = []
    for i in range(users):
        user, _ = user_model.objects.get_or_create(
            username=f"bench{i}", defaults={"email": f"bench{i}@example.org"}
        )
        tokens.append(Token.objects.get_or_create(user=user)[0].key)
    print(json.dumps(tokens))


def _one_plan(base: str, token: str, body: str) -> None:
    """One POST before the load, so a wrong body fails with the API's own words."""
    request = urllib.request.Request(
        base + PLANS,
        data=body.encode(),
        method="POST",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            if response.status != 201:
                raise RuntimeError(f"POST {PLANS} answered {response.status}")
    except urllib.error.HTTPError as exc:
        raise RuntimeError(f"POST {PLANS} answered {exc.code}: {exc.read()[:500]!r}") from exc


def measure(
    label: str, database_url: str, workdir: Path, *, seconds: float, clients: int
) -> list[dict]:
    """Set up the database, serve it with gunicorn, load it with wrk; the figures."""
    env = servers.app_env(database_url)
    servers.manage(env, "migrate", "--no-input")
    servers.manage(env, "import_graph", str(FIXTURE))
    made = servers.python(env, __file__, "--prepare", str(clients), timeout=120)
    tokens = json.loads(made.strip().splitlines()[-1])
    bodies = plan_bodies()
    crowd = {"tokens": tokens, "connections": clients, "threads": min(2, clients)}
    alone = {"tokens": tokens, "connections": 1, "threads": 1}  # nobody queued ahead
    post = {"method": "POST", "bodies": bodies}
    short = max(3.0, seconds / 3)
    with servers.gunicorn(env, workdir, workers=2) as base:
        _one_plan(base, tokens[0], bodies[0])

        def load(path: str, seconds: float, **options) -> dict:
            return servers.wrk(base + path, seconds=seconds, workdir=workdir, **options)

        # Warm-up (discarded): every worker has loaded the graph and its code paths.
        load(TRIVIAL, 2, **crowd)
        load(PLANS, max(2.0, seconds / 5), **crowd, **post)
        trivial = load(TRIVIAL, short, **crowd)
        plans = load(PLANS, seconds, **crowd, **post)
        trivial_alone = load(TRIVIAL, 3, **alone)
        plan_alone = load(PLANS, max(5.0, short), **alone, **post)
    name = f"plan_load.{label}"
    for run, what in (
        (trivial, f"GET {TRIVIAL}"),
        (plans, f"POST {PLANS}"),
        (trivial_alone, f"GET {TRIVIAL} (1 client)"),
        (plan_alone, f"POST {PLANS} (1 client)"),
    ):
        if run["errors"] or not run["requests"]:
            error = (
                f"{what}: {run['errors']} errors in {run['requests']} requests "
                f"{run['error_detail']} in {run['seconds']:.0f} s"
            )
            return [
                failed(f"{name}.p50", error, target=P50_TARGET),
                failed(f"{name}.p99", error, target=P99_TARGET),
            ]
    about = (
        f"{plans['requests']} plans in {plans['seconds']:.0f} s, {clients} clients (wrk), "
        f"gunicorn 2 sync workers; baseline: GET {TRIVIAL} at the same concurrency "
        f"({trivial['requests']} requests)"
    )
    worker_ms = 2 * 1000 / plans["rate"] if plans["rate"] else None
    return [
        figure(
            f"{name}.p50",
            plans["p50"],
            "ms",
            baseline=trivial["p50"],
            target=P50_TARGET,
            note=about,
        ),
        figure(f"{name}.p99", plans["p99"], "ms", baseline=trivial["p99"], target=P99_TARGET),
        figure(
            f"{name}.throughput",
            plans["rate"],
            "req/s",
            baseline=trivial["rate"],
            note=f"about {worker_ms:.0f} ms of a worker per plan (2 workers / throughput)"
            if worker_ms
            else "",
        ),
        figure(
            f"{name}.one_client_p50",
            plan_alone["p50"],
            "ms",
            baseline=trivial_alone["p50"],
            note=f"plan creation with 1 client, nobody queued ahead ({plan_alone['requests']} "
            "plans; baseline: the same GET with 1 client); at 8 clients on 2 workers "
            "p50 is about 4x this",
        ),
    ]


def run(databases: list[str], *, seconds: float, clients: int) -> list[dict]:
    results: list[dict] = []
    for label in databases:
        workdir = Path(tempfile.mkdtemp(prefix=f"prepgraph-bench-load-{label}."))
        try:
            if label == "sqlite":
                url = f"sqlite:///{workdir / 'bench.sqlite3'}"
                results += measure(label, url, workdir, seconds=seconds, clients=clients)
            else:
                with (
                    servers.postgres_server() as server,
                    servers.postgres_database(server, f"prepgraph_bench_{os.getpid()}") as url,
                ):
                    results += measure(label, url, workdir, seconds=seconds, clients=clients)
        except Exception as exc:  # one database failing must not hide the other's figures
            error = f"{type(exc).__name__}: {exc}"
            results += [
                failed(f"plan_load.{label}.p50", error, target=P50_TARGET),
                failed(f"plan_load.{label}.p99", error, target=P99_TARGET),
            ]
        finally:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
    return results


def figures(quick: bool) -> list[dict]:
    """Quick (CI): SQLite only, 10 s of load. Full: SQLite and PostgreSQL, 30 s each."""
    if quick:
        return run(["sqlite"], seconds=10, clients=8)
    return run(["sqlite", "postgres"], seconds=30, clients=8)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="SQLite only, 10 s of load")
    parser.add_argument("--databases", nargs="+", choices=["sqlite", "postgres"])
    parser.add_argument("--seconds", type=float, help="length of the measured load run")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--json", metavar="FILE", help="also write the figures here")
    parser.add_argument("--prepare", type=int, metavar="USERS", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare is not None:
        prepare(args.prepare)
        return
    databases = args.databases or (["sqlite"] if args.quick else ["sqlite", "postgres"])
    seconds = args.seconds or (10 if args.quick else 30)
    results = run(databases, seconds=seconds, clients=args.clients)
    print(table(results))
    if args.json:
        Path(args.json).write_text(json.dumps({"figures": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
