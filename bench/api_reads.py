"""Throughput of the knowledge-base read endpoints, against a minimal DRF view.

Run:  .venv/bin/python bench/api_reads.py [--quick]
Or:   from bench.api_reads import figures; figures(quick=True)

On a throwaway SQLite database holding the shipped graph
(fixtures/ml-interview-graph.json), three gunicorns (2 sync workers each, on
127.0.0.1) serve the project at once, with settings bench.api_bench_settings
(the product's, and bench.api_bench_urls: the product's URLs plus a minimal
view), and a fourth the code of the day the issue was filed:

1. uncached: API_READ_CACHE=0, every answer built as before the read cache; its
   answers are the bytes the minimal view sends;
2. cached: the read cache on (api.read_cache), and the minimal DRF view (the
   project's authentication, permission and throttle classes, no query)
   returning the same bytes from memory;
3. unthrottled: as 2 without throttle classes, for the first endpoint only;
4. the issue-time code: ISSUE_COMMIT, the code whose throughput the performance
   issue measured, from `git archive` with its own settings and its shipped graph
   in a SQLite file of its own (not measured, with the reason, without git history).

Runs alternate between the servers endpoint by endpoint (the first endpoint also with
a user's token, and answering 304s to If-None-Match), so what else the machine
does falls on every side alike.

Load: wrk (1 thread, 8 connections, anonymous unless said) when it is
installed or apt-get can install it, else a threaded Python client
(http.client); the figures' units say which. Each side runs several times
(quick: once, 2 s) and keeps its best run. Throttles run at a rate no run
reaches, in the per-process cache (bench.servers.app_env clears REDIS_URL and
CACHE_URL).

Figures per endpoint, each as req/s and as the servers' CPU time per request
(`.cpu`: the gunicorn processes' utime + stime over the requests served, which
other work on a shared machine hardly moves, unlike req/s):

- vs_minimal_view: how many times the minimal view's rate (or the endpoint's
  CPU over the minimal view's), target <= 1.5;
- vs_issue_code: the endpoint over the issue-time code, target >= 5 ("at least
  5x today's throughput", today being the day the issue was filed);
- cache_speedup: the endpoint over this code's uncached path, for reference: the
  read cache's own share, the uncached path having got faster since the issue too;

then whether every answer was byte-identical on both paths, and for reference
the first endpoint signed in and unthrottled, what the throttle costs, and 304s.
Importing this module starts nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python bench/api_reads.py` too

from bench import servers  # noqa: E402
from bench.figures import figure, table  # noqa: E402

WORKERS = 2
CONNECTIONS = 8
# A rate no run reaches. The throttles (api.throttling) cost the same whatever the rate:
# a counter per client and window, read and incremented in the cache.
THROTTLE_RATE = "1000000/minute"
# Every request names this host: the pagination links in a list are absolute URLs, and
# the two servers listen on different ports.
HOST = "127.0.0.1"
# (name, path): the six read endpoints on the shipped graph (teams and tracks as a list
# and as one row).
ENDPOINTS = [
    ("concept-detail", "/api/v1/concepts/self-attention/"),
    ("concept-list", "/api/v1/concepts/"),
    ("team-list", "/api/v1/teams/"),
    ("team-detail", "/api/v1/teams/llm-research/"),
    ("track-detail", "/api/v1/tracks/nlp/"),
    (
        "learning-path",
        "/api/v1/graph/learning-path/?targets=transformer-architecture"
        "&known=python-for-ml,linear-algebra",
    ),
    ("subgraph", "/api/v1/graph/subgraph/?root=transformer-architecture&depth=2"),
]
RATIO_TARGET = 1.5
SPEEDUP_TARGET = 5
# The code as it was when the performance issue was filed (the last commit before any of
# its work): "at least 5x today's throughput" is over this code, served in the same run
# from `git archive` of the commit, with the shipped graph of that day.
ISSUE_COMMIT = "04ecb8e4ead2dd53199ae154040fa191aa05fcaa"


def _environment(database: Path, **extra: str) -> dict[str, str]:
    return servers.app_env(
        f"sqlite:///{database}",
        DJANGO_SETTINGS_MODULE="bench.api_bench_settings",
        API_THROTTLE_ANON=THROTTLE_RATE,
        API_THROTTLE_USER=THROTTLE_RATE,
        **extra,
    )


MAKE_TOKEN = """
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
user = get_user_model().objects.create_user("bench-reader")
print(Token.objects.create(user=user).key)
"""


def _prepare_database(workdir: Path) -> tuple[Path, str]:
    """The shipped graph in a new SQLite file, and a normal user's API token."""
    database = workdir / "bench.sqlite3"
    env = _environment(database)
    servers.manage(env, "migrate", "--no-input", "-v", "0")
    servers.manage(env, "import_graph", str(ROOT / "fixtures" / "ml-interview-graph.json"))
    token = servers.manage(env, "shell", "-c", MAKE_TOKEN).strip().splitlines()[-1]
    return database, token


def _serve_issue_code(
    stack: ExitStack, workdir: Path
) -> tuple[tuple[str, Path] | None, str | None]:
    """The issue-time code (ISSUE_COMMIT) under gunicorn, on a SQLite file with the
    shipped graph of that day: ((base URL, pid file), None); or (None, why not).

    Old code under today's virtualenv can stop working with a later upgrade, and a clone
    may lack that history: either way these figures say "not measured" and the others
    stand, rather than the run crashing.
    """
    try:
        tree = workdir / "issue-code"
        tree.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "--format=tar", ISSUE_COMMIT],
            capture_output=True,
            timeout=60,
            check=False,
        )
        if archive.returncode != 0:
            why = archive.stderr.decode(errors="replace").strip()
            return None, f"git archive {ISSUE_COMMIT[:7]}: {why}"
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
        env = _issue_environment(workdir / "issue-code.sqlite3")
        servers.manage(env, "migrate", "--no-input", "-v", "0", source=tree)
        fixture = tree / "fixtures" / "ml-interview-graph.json"
        servers.manage(env, "import_graph", str(fixture), source=tree)
        (workdir / "issue").mkdir()
        server = servers.gunicorn(env, workdir / "issue", workers=WORKERS, source=tree)
        base = stack.enter_context(server)
        for _, path in ENDPOINTS:
            status = _get(base + path)[0]
            if status != 200:
                return None, f"the code of {ISSUE_COMMIT[:7]} answered {path} with {status}"
    except Exception as exc:  # any failure: not measured, and said why
        return None, f"{type(exc).__name__}: {str(exc)[:300]}"
    return (base, workdir / "issue" / "gunicorn.pid"), None


def _issue_environment(database: Path) -> dict[str, str]:
    """The issue-time code's own settings (it has no benchmark settings), throttles as high."""
    return servers.app_env(
        f"sqlite:///{database}",
        API_THROTTLE_ANON=THROTTLE_RATE,
        API_THROTTLE_USER=THROTTLE_RATE,
    )


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers={"Host": HOST, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


# --- load tools -------------------------------------------------------------------------------


def load_tool() -> str:
    """wrk if it is installed or can be (servers.ensure_wrk), else the Python client."""
    try:
        servers.ensure_wrk()
    except servers.Unavailable:
        return "python http.client"
    return "wrk"


def _wrk(url: str, seconds: float, headers: dict[str, str]) -> tuple[float, int]:
    """Anonymous GETs (servers.wrk always sends a token), any extra headers included."""
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s"]
    for name, value in {"Host": HOST, **headers}.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 60, check=True
    )
    if "Non-2xx or 3xx responses" in done.stdout or "Socket errors" in done.stdout:
        raise RuntimeError(f"wrk saw errors from {url}:\n{done.stdout}")
    rate = re.search(r"Requests/sec:\s+([0-9.]+)", done.stdout)
    count = re.search(r"([0-9]+) requests in", done.stdout)
    if rate is None or count is None:
        raise RuntimeError(f"no Requests/sec in wrk's output:\n{done.stdout}")
    return float(rate.group(1)), int(count.group(1))


def _python_load(url: str, seconds: float, headers: dict[str, str]) -> tuple[float, int]:
    """CONNECTIONS threads sending GETs, each over one connection that it opens again
    when the server closes it (gunicorn's sync workers close after every answer)."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {"Host": HOST, **headers}
    counts = [0] * CONNECTIONS
    failures: list[str] = []
    stop_at = time.monotonic() + seconds

    def worker(slot: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        while time.monotonic() < stop_at and not failures:
            try:
                connection.request("GET", target, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                connection.close()
                continue
            if response.status >= 400:
                failures.append(f"{response.status}")
            counts[slot] += 1
            if response.will_close:
                connection.close()
        connection.close()

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(CONNECTIONS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"{url} answered {failures[0]}")
    return sum(counts) / (time.monotonic() - started), sum(counts)


def _cpu_seconds(pid_file: Path) -> float:
    """CPU time used so far by a gunicorn master and its workers (from /proc)."""
    master = int(pid_file.read_text().split()[0])
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(stat.parent.name) == master or int(fields[1]) == master:  # pid, or parent
            total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


# --- the benchmark ------------------------------------------------------------------------------


def measure(quick: bool, tool: str) -> tuple[dict[str, dict[str, float]], str | None]:
    """Per endpoint and side (uncached, cached, minimal, the issue-time code; for the first
    endpoint also 304s, a signed-in client, and both sides without throttles): req/s, and
    the servers' CPU time per request (`cpu.SIDE`, in microseconds), each the best of the
    rounds; and why the issue-time code was not measured, if it was not.

    The servers run at once and the runs alternate between them, endpoint by
    endpoint, so a change in what else the machine does falls on all sides alike. CPU
    time per request hardly depends on it at all: the steadier measure of the two.
    """
    # Other work on the machine slows some runs down: several short runs per side, each
    # side's best kept, measure the servers rather than the neighbours.
    seconds = 2.0 if quick else 5.0
    rounds = 1 if quick else 4
    load = _wrk if tool == "wrk" else _python_load
    workdir = Path(tempfile.mkdtemp(prefix="prepgraph-api-bench-"))
    try:
        database, token = _prepare_database(workdir)
        payload_dir = workdir / "payloads"
        payload_dir.mkdir()
        results: dict[str, dict[str, float]] = {name: {} for name, _ in ENDPOINTS}
        with ExitStack() as stack:

            def start(label: str, **extra: str) -> tuple[str, Path]:
                (workdir / label).mkdir()
                env = _environment(database, BENCH_API_PAYLOADS=str(payload_dir), **extra)
                server = servers.gunicorn(env, workdir / label, workers=WORKERS)
                return stack.enter_context(server), workdir / label / "gunicorn.pid"

            uncached = start("uncached", API_READ_CACHE="0")
            for name, path in ENDPOINTS:
                status, body, headers = _get(uncached[0] + path)
                if status != 200:
                    raise RuntimeError(f"{path} answered {status}: {body[:300]!r}")
                (payload_dir / f"{name}.body").write_bytes(body)
                (payload_dir / f"{name}.type").write_text(headers["Content-Type"])
            cached = start("cached")
            unthrottled = start("unthrottled", BENCH_NO_THROTTLE="1")
            issue_code, issue_missing = _serve_issue_code(stack, workdir)
            if issue_missing:
                print(f"api_reads: issue-time code not measured: {issue_missing}", file=sys.stderr)

            for index, (name, path) in enumerate(ENDPOINTS):
                minimal = f"/bench/minimal/{name}"
                stored = (payload_dir / f"{name}.body").read_bytes()
                results[name]["identical"] = 1.0
                for base, _pid_file in (cached, unthrottled):
                    if _get(base + minimal)[1] != stored:
                        raise RuntimeError(f"the minimal view does not send {name}'s bytes")
                    for _ in range(2 * WORKERS):  # built in every worker before timing
                        status, body, _headers = _get(base + path)
                    if status != 200 or body != stored:
                        results[name]["identical"] = 0.0
                runs = {
                    "uncached": (uncached, path, {}),
                    "minimal": (cached, minimal, {}),
                    "cached": (cached, path, {}),
                }
                if issue_code is not None:
                    runs["issue_code"] = (issue_code, path, {})
                if index == 0:
                    etag = _get(cached[0] + path)[2]["ETag"]
                    signed_in = {"Authorization": f"Token {token}"}
                    runs |= {
                        "not_modified": (cached, path, {"If-None-Match": etag}),
                        "minimal_signed_in": (cached, minimal, signed_in),
                        "cached_signed_in": (cached, path, signed_in),
                        "minimal_unthrottled": (unthrottled, minimal, {}),
                        "cached_unthrottled": (unthrottled, path, {}),
                    }
                got = results[name]
                for _ in range(rounds):
                    for side, ((base, pid_file), url, headers) in runs.items():
                        cpu_before = _cpu_seconds(pid_file)
                        rate, count = load(base + url, seconds, headers)
                        cpu = (_cpu_seconds(pid_file) - cpu_before) / count * 1e6
                        got[side] = max(got.get(side, 0.0), rate)
                        got[f"cpu.{side}"] = min(got.get(f"cpu.{side}", float("inf")), cpu)
        return results, issue_missing
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _compared(
    name: str,
    value: float,
    baseline: float,
    ratio: float,
    target: str | None,
    unit: str,
    note: str,
) -> dict:
    """A figure whose ratio is given (the issue's way round), not value / baseline; with
    no target it is recorded for reference (met None)."""
    met = None
    if target is not None:
        bound = float(target.split()[-1])
        met = ratio <= bound if target.startswith("<=") else ratio >= bound
    result = figure(name, value, unit, baseline=baseline, met=met, note=note)
    result.update(ratio=round(ratio, 3), target=target)
    return result


def _speedup(faster: float, slower: float, side: str) -> float:
    """How many times `faster` is: req/s over req/s, or CPU per request (side "cpu.") the
    other way round."""
    return slower / faster if side else faster / slower


def figures(quick: bool) -> list[dict]:
    tool = load_tool()
    results, issue_missing = measure(quick, tool)
    rate_unit = f"req/s ({tool}, {CONNECTIONS} connections)"
    cpu_unit = "us server CPU/request"
    setup = f"gunicorn {WORKERS} sync workers, SQLite, anonymous"
    ratio_target, speedup_target = f"<= {RATIO_TARGET}", f">= {SPEEDUP_TARGET}"
    out = []

    def versus_minimal(
        name: str, got: dict[str, float], side: str, what: str, target: str | None
    ) -> None:
        """The req/s and CPU figures against the minimal view; `what` notes them ("" for
        none: the first endpoint's notes say it for the others)."""
        label = f"api_reads.{name}.vs_minimal_view" + (f".{side[1:]}" if side else "")
        cached, minimal = got[f"cached{side}"], got[f"minimal{side}"]
        out.append(
            _compared(
                label,
                cached,
                minimal,
                minimal / cached,
                target,
                rate_unit,
                what and f"ratio = minimal DRF view req/s / endpoint req/s, same bytes; {what}",
            )
        )
        cached, minimal = got[f"cpu.cached{side}"], got[f"cpu.minimal{side}"]
        out.append(
            _compared(
                f"{label}.cpu",
                cached,
                minimal,
                cached / minimal,
                target,
                cpu_unit,
                what and f"ratio = endpoint / minimal view, server CPU per request; {what}",
            )
        )

    first = ENDPOINTS[0][0]
    for name, _ in ENDPOINTS:
        got = results[name]
        noted = name == first
        versus_minimal(name, got, "", setup if noted else "", ratio_target)
        for unit, suffix, how in (
            (rate_unit, "", "req/s"),
            (cpu_unit, ".cpu", "server CPU per request"),
        ):
            side = "" if unit == rate_unit else "cpu."
            faster = got[f"{side}cached"]
            # The target: over the code of the day the issue was filed, in this run.
            if issue_missing is None:
                slower = got[f"{side}issue_code"]
                out.append(
                    _compared(
                        f"api_reads.{name}.vs_issue_code{suffix}",
                        faster,
                        slower,
                        _speedup(faster, slower, side),
                        speedup_target,
                        unit,
                        f"ratio: this code over the code the issue measured ({ISSUE_COMMIT[:7]}, "
                        f"git archive, its own shipped graph), {how}; {setup}"
                        if noted
                        else "",
                    )
                )
            else:
                missing = figure(
                    f"api_reads.{name}.vs_issue_code{suffix}",
                    None,
                    unit,
                    note=f"not measured ({speedup_target} asked): {issue_missing}",
                )
                out.append(missing | {"target": speedup_target})  # met stays None: unknown
            # For reference: what the read cache alone gives over this code without it.
            slower = got[f"{side}uncached"]
            out.append(
                _compared(
                    f"api_reads.{name}.cache_speedup{suffix}",
                    faster,
                    slower,
                    _speedup(faster, slower, side),
                    None,
                    unit,
                    f"ratio: cached over uncached (API_READ_CACHE=0) in this code, {how}: the "
                    "read cache's own share of the speedup, the rest of it being the "
                    f"uncached path's own gains since the issue; {setup}"
                    if noted
                    else "",
                )
            )
        # What a cache as fast as the minimal view would give: the speedup's ceiling.
        ceiling = got["cpu.uncached"] / got["cpu.minimal"]
        out.append(
            _compared(
                f"api_reads.{name}.speedup.ceiling.cpu",
                got["cpu.minimal"],
                got["cpu.uncached"],
                ceiling,
                None,
                cpu_unit,
                "ratio: uncached over the minimal DRF view, server CPU per request: the most "
                "a cache inside DRF could speed the endpoint up; stored answers served "
                "before the middleware stack (api.read_cache.reads_before_drf) go past it, "
                "and vs_minimal_view says by how much"
                if noted
                else "",
            )
        )
    identical = sum(results[name]["identical"] for name, _ in ENDPOINTS)
    out.append(
        figure(
            "api_reads.byte_identical",
            identical,
            "endpoints",
            baseline=len(ENDPOINTS),
            met=identical == len(ENDPOINTS),
            target=f">= {len(ENDPOINTS)}",
            note="answers with the read cache byte for byte those without it",
        )
    )
    got = results[first]
    # For reference: what authentication and throttling add to both sides.
    versus_minimal(first, got, "_signed_in", "a normal user's token (a query each side)", None)
    versus_minimal(first, got, "_unthrottled", "throttle classes off on both sides", None)
    out.append(
        figure(
            "api_reads.minimal_view.throttle.cpu",
            got["cpu.minimal"],
            cpu_unit,
            baseline=got["cpu.minimal_unthrottled"],
            note="ratio = the minimal view's server CPU per request with the anon/user "
            "throttles over without: what the throttles (api.throttling: two window "
            "counters read, one incremented, in the cache) cost",
        )
    )
    out.append(
        _compared(
            f"api_reads.{first}.not_modified",
            got["not_modified"],
            got["uncached"],
            got["not_modified"] / got["uncached"],
            speedup_target,
            rate_unit,
            f"304s to a matching If-None-Match; baseline: uncached 200s; {setup}",
        )
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 s a run, one round")
    args = parser.parse_args()
    print(table(figures(quick=args.quick)))


if __name__ == "__main__":
    main()
