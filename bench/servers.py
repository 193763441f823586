"""Servers and the load tool for the benchmarks: throwaway PostgreSQL, gunicorn, wrk.

Everything binds to 127.0.0.1 on a port the kernel picks, keeps its files in a
temporary directory, and is stopped by the PID this module started (never by
name). Load runs are bounded by wrk's duration.

PostgreSQL: PREPGRAPH_BENCH_POSTGRES, if set, is the URL of a server the bench
may create (and drops) databases on, e.g. scripts/test's; otherwise a
throwaway cluster is made with the newest initdb under /usr/lib/postgresql (as
the postgres user when run as root), fsync off, and removed afterwards.
"""

from __future__ import annotations

import glob
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


class Unavailable(RuntimeError):
    """A tool or server the benchmark needs cannot be had on this machine."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise Unavailable(f"{what} not ready within {seconds:.0f} s")


def _stop(proc: subprocess.Popen, seconds: float = 20) -> None:
    """TERM the process we started (by its PID), KILL it if it lingers."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


# --- PostgreSQL ---------------------------------------------------------------------------


def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the postgres user."""
    if os.geteuid() != 0:
        return cmd
    if shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--", *cmd]
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(map(_quote, cmd))]


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)


def _version(initdb: str) -> int:
    name = Path(initdb).parent.parent.name  # /usr/lib/postgresql/15/bin/initdb
    return int(name) if name.isdigit() else 0


@contextmanager
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server (its `postgres` database) to make databases on."""
    given = os.environ.get("PREPGRAPH_BENCH_POSTGRES", "").strip()
    if given:
        yield given
        return
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if not found:
        raise Unavailable(
            "no PostgreSQL: no initdb under /usr/lib/postgresql (apt-get install postgresql)"
        )
    bindir = Path(found[-1]).parent
    # Under /tmp: the postgres user must reach it, and the socket path must stay short.
    root = Path(tempfile.mkdtemp(prefix="prepgraph-bench-pg.", dir="/tmp"))
    root.chmod(0o755)
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    started = False
    try:
        subprocess.run(
            _as_postgres(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ]
            ),
            cwd=root,
            check=True,
            capture_output=True,
            text=True,
        )
        port = free_port()
        options = (
            f"-F -p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off -c synchronous_commit=off -c max_connections=100"
        )
        subprocess.run(
            _as_postgres(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(root / "log"),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    options,
                    "start",
                ]
            ),
            cwd=root,
            check=True,
            capture_output=True,
            text=True,
        )
        started = True
        yield f"postgres://postgres@127.0.0.1:{port}/postgres"
    except subprocess.CalledProcessError as exc:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        raise Unavailable(f"PostgreSQL did not start: {exc.stderr or ''}{log}".strip()) from exc
    finally:
        if started:
            stopped = subprocess.run(
                _as_postgres(
                    [
                        str(bindir / "pg_ctl"),
                        "-D",
                        str(data),
                        "stop",
                        "-m",
                        "fast",
                        "-w",
                        "-t",
                        "20",
                    ]
                ),
                cwd=root,
                capture_output=True,
                check=False,
            )
            pidfile = data / "postmaster.pid"
            if stopped.returncode != 0 and pidfile.exists():
                pid = int(pidfile.read_text().split()[0])
                os.kill(pid, signal.SIGTERM)
                time.sleep(2)
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def postgres_database(server_url: str, name: str) -> Iterator[str]:
    """A new, empty database on `server_url`, dropped afterwards; yields its URL."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(server_url)
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the app ------------------------------------------------------------------------------


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment for manage.py and gunicorn on `database_url`.

    Plain http on the loopback (no https redirect); throttles high enough not to
    answer 429 to a load test (they still run: their cache lookups are part of
    every request); a per-process cache whatever REDIS_URL the caller has, so the
    figures do not depend on a Redis being around; WARNING logs only.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CACHE_URL")}
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="prepgraph.settings",
        DJANGO_DEBUG="false",
        SECURE_SSL_REDIRECT="false",
        SECRET_KEY=secrets.token_urlsafe(48),
        API_THROTTLE_USER="1000000/minute",
        API_THROTTLE_ANON="1000000/minute",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 300, source: Path = ROOT) -> str:
    """Run manage.py with `env`; its stdout (RuntimeError with its output if it fails).
    `source`: the tree to run it in (another version of the code), the checkout by default."""
    return python(env, "manage.py", *args, timeout=timeout, source=source)


def python(env: dict[str, str], *args: str, timeout: float = 300, source: Path = ROOT) -> str:
    """Run this Python with `args` in `source` (the checkout) with `env`; its stdout, or
    RuntimeError."""
    done = subprocess.run(
        [sys.executable, *args],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@contextmanager
def gunicorn(
    env: dict[str, str], workdir: Path, *, workers: int = 2, source: Path = ROOT
) -> Iterator[str]:
    """prepgraph under gunicorn on 127.0.0.1, as the Procfile's web process runs it (sync
    workers, 2 by default); yields its base URL. `source`: the tree to serve (another
    version of the code), the checkout by default."""
    port = free_port()
    log = open(workdir / "gunicorn.log", "w")  # noqa: SIM115 (closed in finally)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "prepgraph.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--pid",
            str(workdir / "gunicorn.pid"),
            "--log-level",
            "warning",
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
            # As the Procfile: gunicorn 27's control socket is one path per user
            # ($HOME/.gunicorn), which two gunicorns at once would fight over.
            "--no-control-socket",
        ],
        cwd=source,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if proc.poll() is not None:
            log_tail = _tail(workdir / "gunicorn.log")
            raise Unavailable(f"gunicorn exited ({proc.returncode}): {log_tail}")
        try:
            with urllib.request.urlopen(f"{base}/api/v1/", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    try:
        _wait(answers, 60, "gunicorn")
        yield base
    finally:
        _stop(proc)
        log.close()


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text().splitlines()[-lines:])
    except OSError:
        return ""


# --- wrk ----------------------------------------------------------------------------------

WRK_LUA = r"""
-- Generated by bench/servers.py: rotates tokens and bodies, reports JSON when done.
local method = %(method)s
local path = %(path)s
local tokens = %(tokens)s
local bodies = %(bodies)s
local n = 0
local next_offset = 0

setup = function(thread)
  thread:set("offset", next_offset)
  next_offset = next_offset + 7
end

request = function()
  n = n + 1
  local i = n + (offset or 0)
  local headers = {
    ["Authorization"] = "Token " .. tokens[(i %% #tokens) + 1],
    ["Accept"] = "application/json",
  }
  local body = nil
  if #bodies > 0 then
    headers["Content-Type"] = "application/json"
    body = bodies[(i %% #bodies) + 1]
  end
  return wrk.format(method, path, headers, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %%d, "duration_us": %%d, "connect": %%d, "read": %%d, ' ..
    '"write": %%d, "status": %%d, "timeout": %%d, "p50_us": %%d, "p90_us": %%d, ' ..
    '"p99_us": %%d, "max_us": %%d, "mean_us": %%.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal here


def _lua_list(items: list[str]) -> str:
    return "{" + ", ".join(_lua_string(item) for item in items) + "}"


def ensure_wrk() -> str:
    """The wrk binary; as root, apt-get installs Debian's wrk when it is missing."""
    path = shutil.which("wrk")
    if path:
        return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"],
        ):
            subprocess.run(
                cmd,
                env=env,
                capture_output=True,
                check=False,
                timeout=600,
                stdin=subprocess.DEVNULL,
            )
        path = shutil.which("wrk")
        if path:
            return path
    raise Unavailable("wrk is not installed and could not be installed (apt-get install wrk)")


def settle(base: str, probes: int = 4) -> None:
    """Wait until the requests queued when wrk stopped are served: a sync worker answers the
    listen queue in order, so once a few probes in a row are answered, the next run starts on
    idle workers, not behind the last run's leftovers."""
    for _ in range(probes):
        try:
            with urllib.request.urlopen(f"{base.rstrip('/')}/api/v1/", timeout=60) as response:
                response.read()
        except (urllib.error.URLError, OSError):
            return


def wrk(
    url: str,
    *,
    tokens: list[str],
    method: str = "GET",
    bodies: list[str] | None = None,
    connections: int = 8,
    threads: int = 2,
    seconds: float = 10,
    workdir: Path,
) -> dict:
    """One wrk run (closed loop: `connections` clients, each sends its next request when
    the last is answered); latencies in ms, errors counted (any non-2xx/3xx is one)."""
    binary = ensure_wrk()
    parts = urlsplit(url)
    script = workdir / f"wrk-{secrets.token_hex(4)}.lua"
    script.write_text(
        WRK_LUA
        % {
            "method": _lua_string(method),
            "path": _lua_string(parts.path + (f"?{parts.query}" if parts.query else "")),
            "tokens": _lua_list(tokens),
            "bodies": _lua_list(bodies or []),
        }
    )
    base = urlunsplit(parts._replace(path="/", query=""))
    done = subprocess.run(
        [
            binary,
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{max(1, round(seconds))}s",  # wrk takes whole seconds only
            "--timeout",
            "30s",
            "-s",
            str(script),
            base,
        ],
        capture_output=True,
        text=True,
        timeout=round(seconds) + 60,
        check=False,
    )
    settle(base)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    seconds_run = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "seconds": seconds_run,
        "rate": raw["requests"] / seconds_run if seconds_run else 0.0,
        "errors": sum(raw[k] for k in ("connect", "read", "write", "status", "timeout")),
        "error_detail": {k: raw[k] for k in ("connect", "read", "write", "status", "timeout")},
        "p50": raw["p50_us"] / 1000,
        "p90": raw["p90_us"] / 1000,
        "p99": raw["p99_us"] / 1000,
        "max": raw["max_us"] / 1000,
        "mean": raw["mean_us"] / 1000,
    }
