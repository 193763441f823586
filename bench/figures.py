"""The figure every benchmark reports, and the table `python -m bench` prints.

A figure is a plain dict, the same in the JSON file and the table:

    {"name": "plan_load.sqlite.p50", "value": 84.2, "unit": "ms",
     "baseline": 6.1, "ratio": 13.8, "target": "< 100 ms", "met": true}

`baseline` is something measured in the same run on the same machine (its
meaning is in `note` and in BENCHMARKS.md), so `ratio` = value / baseline
compares across machines where the raw value does not. `target` is the
issue's goal as text; `met` is true or false, or None for a figure without a
target (recorded for reference only). A figure may carry `note` (what the
baseline is, sizes, caveats) and `error` (why the measurement failed: then
`met` is false and `value` is None).
"""

from __future__ import annotations

import math
import operator
import os
import platform
import re
import subprocess
from typing import Any

_COMPARE = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}
_TARGET = re.compile(r"^\s*(<=|>=|==|<|>)\s*([-+0-9.eE]+)")


def meets(value: float | None, target: str | None) -> bool | None:
    """Whether `value` satisfies a target such as "< 100 ms" or ">= 0.99" (None: no target)."""
    if target is None:
        return None
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    match = _TARGET.match(target)
    if not match:
        raise ValueError(f"unreadable target {target!r}: use '< 100 ms', '>= 0.99', ...")
    return _COMPARE[match.group(1)](value, float(match.group(2)))


def figure(
    name: str,
    value: float | None,
    unit: str,
    *,
    baseline: float | None = None,
    target: str | None = None,
    met: bool | None = None,
    note: str = "",
) -> dict[str, Any]:
    """One figure; `met` is worked out from `target` unless given (e.g. "constant")."""
    ratio = None
    if value is not None and baseline:
        ratio = round(value / baseline, 3)
    result: dict[str, Any] = {
        "name": name,
        "value": _rounded(value),
        "unit": unit,
        "baseline": _rounded(baseline),
        "ratio": ratio,
        "target": target,
        "met": meets(value, target) if met is None else met,
    }
    if note:
        result["note"] = note
    return result


def _rounded(value: float | None) -> float | int | None:
    """Counts stay whole numbers; measurements keep 4 decimals."""
    if value is None or isinstance(value, int):
        return value
    return round(float(value), 4)


def failed(name: str, error: str, *, target: str | None = None) -> dict[str, Any]:
    """The figure of a measurement that could not be made: met is false, the error says why."""
    return {
        "name": name,
        "value": None,
        "unit": "",
        "baseline": None,
        "ratio": None,
        "target": target,
        "met": False,
        "error": error,
    }


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value}"
    if abs(value) >= 100:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def table(figures: list[dict[str, Any]]) -> str:
    """The figures as a fixed-width table; notes and errors follow it, numbered."""
    header = ("figure", "value", "unit", "baseline", "ratio", "target", "met")
    rows = []
    notes = []
    for fig in figures:
        mark = ""
        for key, label in (("error", "ERROR"), ("note", "")):
            if fig.get(key):
                prefix = f"{label}: " if label else ""
                notes.append(f"[{len(notes) + 1}] {fig['name']}: {prefix}{fig[key]}")
                mark += f" [{len(notes)}]"
        met = {True: "yes", False: "NO", None: "-"}[fig.get("met")]
        rows.append(
            (
                fig["name"] + mark,
                _number(fig.get("value")),
                fig.get("unit") or "",
                _number(fig.get("baseline")),
                "-" if fig.get("ratio") is None else f"{fig['ratio']:.2f}x",
                fig.get("target") or "-",
                met,
            )
        )
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    right = {1, 3, 4}

    def line(row) -> str:
        cells = [
            str(cell).rjust(widths[i]) if i in right else str(cell).ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    out = [line(header), line(tuple("-" * w for w in widths))]
    out += [line(row) for row in rows]
    if notes:
        out += ["", *notes]
    return "\n".join(out)


def machine() -> dict[str, Any]:
    """What the figures were measured on (for the JSON file and BENCHMARKS.md)."""
    cpu = ""
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")),
                "",
            )
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as info:
            kib = int(next(line for line in info if line.startswith("MemTotal")).split()[1])
            memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    system = platform.platform()
    try:
        with open("/etc/os-release") as release:
            for line in release:
                if line.startswith("PRETTY_NAME="):
                    system = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu or platform.processor(),
        "memory": memory,
        "os": system,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_average": load,
        "git": _git_head(),
    }


def _git_head() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
