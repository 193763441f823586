"""Run the benchmarks and collect their figures: a table on stdout, JSON on request.

    python -m bench --quick --json bench.json     smallest sizes, < 3 minutes (CI)
    python -m bench --json bench.json             every size (BENCHMARKS.md)
    python -m bench --only plan_load dispatch_scale

Each module (bench/NAME.py, with `figures(quick) -> list[dict]`) runs in a
process of its own: Django is set up once per process, on one database, and a
module that crashes, hangs past its time limit or dies cannot take the others
with it. Its output goes to stderr as it runs; the table of figures comes last,
on stdout. A module that is not there yet, or has no figures(), is skipped with
a note.

Exit status: 1 if a module crashed or a figure could not be measured (its
"error"); 0 otherwise, even when targets are missed. A missed target on a
shared 2-core machine is a finding to report (the JSON and table say met: NO),
not a broken build; CI runs `--quick` so the benchmarks cannot rot, and a
benchmark that no longer runs is what must fail it. --strict also fails on a
missed target.

The children run without REDIS_URL and CACHE_URL: no benchmark needs a Redis,
and per-process caches keep the figures independent of one being around.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench.figures import failed, machine, table

ROOT = Path(__file__).resolve().parent.parent
# In this order: the fast, pure ones first.
MODULES = ["plan_quality", "planner_scale", "api_reads", "dispatch_scale", "plan_load"]
TIME_LIMIT = {True: 300, False: 3600}  # seconds per module, quick / full
QUICK_BUDGET = 180  # seconds for the whole --quick run (CI); over it, a warning


def child(name: str, quick: bool, out: Path) -> int:
    """In the child process: one module's figures, written to `out` as JSON."""
    sys.path.insert(0, str(ROOT))
    try:
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "figures"):
            result = {"skipped": f"bench/{name}.py has no figures(quick) yet"}
        else:
            result = {"figures": module.figures(quick)}
    except BaseException as exc:  # reported, not raised: the parent decides the exit status
        traceback.print_exc()
        result = {"error": f"{type(exc).__name__}: {exc}"}
    out.write_text(json.dumps(result, default=str))
    return 0


def run_module(name: str, quick: bool) -> dict:
    """One module in a child process: {"figures": [...]} / {"skipped": why} / {"error": why}."""
    if not (ROOT / "bench" / f"{name}.py").exists():
        return {"skipped": f"bench/{name}.py is not there"}
    handle, path = tempfile.mkstemp(prefix=f"prepgraph-bench-{name}.", suffix=".json")
    os.close(handle)
    out = Path(path)
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CACHE_URL")}
    env["PYTHONUNBUFFERED"] = "1"
    cmd = [sys.executable, "-m", "bench", "--child", name, "--out", str(out)]
    if quick:
        cmd.append("--quick")
    try:
        done = subprocess.run(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=sys.stderr,  # progress to stderr; the table alone on stdout
            timeout=TIME_LIMIT[quick],
            check=False,
        )
        text = out.read_text()
        if done.returncode != 0 or not text:
            return {"error": f"the module's process exited {done.returncode} without figures"}
        return json.loads(text)
    except subprocess.TimeoutExpired:
        return {"error": f"still running after {TIME_LIMIT[quick]} s; stopped"}
    finally:
        out.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="smallest sizes (CI)")
    parser.add_argument("--json", metavar="FILE", help="write the figures here as JSON")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=MODULES, help="these only")
    parser.add_argument("--strict", action="store_true", help="a missed target fails too")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.quick, Path(args.out))

    started = time.monotonic()
    figures: list[dict] = []
    modules: list[dict] = []
    for name in args.only or MODULES:
        print(f"\n== bench: {name} ({'quick' if args.quick else 'full'}) ==", file=sys.stderr)
        module_started = time.monotonic()
        result = run_module(name, args.quick)
        seconds = round(time.monotonic() - module_started, 1)
        if "skipped" in result:
            status = "skipped"
            print(f"bench: {name} skipped: {result['skipped']}", file=sys.stderr)
        elif "error" in result:
            status = "crashed"
            figures.append(failed(name, result["error"]))
        else:
            status = "ok"
            figures += result["figures"]
        modules.append({"name": name, "status": status, "seconds": seconds, **(
            {"reason": result["skipped"]} if status == "skipped" else {})})  # fmt: skip

    total = round(time.monotonic() - started, 1)
    crashed = [f["name"] for f in figures if f.get("error")]
    missed = [f["name"] for f in figures if f.get("met") is False and not f.get("error")]
    report = {
        "figures": figures,
        "modules": modules,
        "quick": args.quick,
        "command": "python -m bench " + shlex.join(sys.argv[1:]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": total,
        "machine": machine(),
    }
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")

    print()
    print(table(figures))
    print()
    for module in modules:
        extra = f": {module['reason']}" if module["status"] == "skipped" else ""
        print(f"{module['name']}: {module['status']} in {module['seconds']} s{extra}")
    print(
        f"bench: {len(figures)} figures in {total} s; {len(missed)} target(s) missed"
        + (f" ({', '.join(missed)})" if missed else "")
        + (f"; {len(crashed)} could not be measured ({', '.join(crashed)})" if crashed else "")
    )
    if args.quick and total > QUICK_BUDGET:
        print(f"bench: WARNING: --quick took {total} s, over its {QUICK_BUDGET} s budget")
    if crashed:
        return 1
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
