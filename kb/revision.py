"""The knowledge-base revision token that keys kb.graph's cache.

Every write to a KB table, whichever path it takes (service, import, admin,
shell), must change the token, or some process would keep planning on a stale
graph. Signals are the one hook every ORM write passes through, so they are
used here for cache invalidation only; bulk writes (which send no signals) call
`bump()` themselves, and `batched()` folds the many saves of an import into one
bump.

The token is read on every graph query and every cached API read, so it is
read with one fixed statement rather than through the ORM (whose query
compilation costs more than the query), and on SQLite outside a transaction
over a connection each thread keeps open: Django opens a new SQLite
connection per request, and a new connection reads the whole schema before
its first query. The token's time (`changed_at`) is set with it, for HTTP's
Last-Modified.
"""

import functools
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone

_state = threading.local()


def _new_token() -> str:
    return uuid.uuid4().hex


class Stamp(NamedTuple):
    """A revision and when it was made: what HTTP readers need for ETag and Last-Modified."""

    token: str
    changed_at: datetime


# The last row read and its Stamp: the row rarely changes, parsing its time each time would.
_last: tuple[tuple, Stamp] | None = None


def current(*, fresh: bool = False) -> str:
    """The token as stored now (one query); creates the row on first use (see stamp)."""
    return stamp(fresh=fresh).token


# Within pinned(): the stamp first read in this context, kept for the rest of it; _WRITTEN
# once the block wrote to the KB: from then on every read asks (the write's transaction may
# yet be rolled back, and a token read inside it must not outlive it).
_WRITTEN = object()
_pinned: ContextVar[list[Any] | None] = ContextVar("kb_revision_pinned", default=None)


@contextmanager
def pinned() -> Iterator[None]:
    """Read the token once for the whole block (a request): the first read is kept.

    A plan reads the graph and several things cached with it, each asking for the
    token: one query each, on PostgreSQL a round trip each. Pinned, the block asks the
    database once. After a write to the KB inside the block (bump) every read asks
    again, so the block sees its own writes and never keeps a token a rollback undoes;
    a cache holding another token than the kept one reads it again (stamp(fresh=True)):
    another process may have written since.
    """
    if _pinned.get() is not None:  # nested: the outer block's pin holds
        yield
        return
    held = _pinned.set([None])
    try:
        yield
    finally:
        _pinned.reset(held)


def stamp(*, fresh: bool = False) -> Stamp:
    """The token and the time it was set (one query, none again within pinned());
    creates the row on first use.

    `fresh` reads it again and keeps what it reads.
    """
    kept = _pinned.get()
    if kept is None or kept == [_WRITTEN]:
        return _stamp()
    if kept[0] is None or fresh:
        kept[0] = _stamp()
    return kept[0]


def _stamp() -> Stamp:
    row = _read_row()
    if row is None:
        from kb.models import GraphRevision

        made = GraphRevision.objects.get_or_create(pk=1, defaults={"token": _new_token()})[0]
        return Stamp(made.token, made.changed_at)
    global _last
    last = _last
    if last is not None and last[0] == row:
        return last[1]
    token, changed_at = row
    if isinstance(changed_at, str):  # SQLite's text: naive UTC
        changed_at = datetime.fromisoformat(changed_at)
    if timezone.is_naive(changed_at):
        changed_at = changed_at.replace(tzinfo=UTC)
    _last = (row, Stamp(token, changed_at))
    return _last[1]


@functools.cache
def _select_sql() -> str:
    """The one statement that reads the revision row, named from the model."""
    from kb.models import GraphRevision

    meta = GraphRevision._meta
    token, changed_at = (meta.get_field(name).column for name in ("token", "changed_at"))
    return f"SELECT {token}, {changed_at} FROM {meta.db_table} WHERE {meta.pk.column} = 1"


class _SqliteReader(threading.local):
    """A read-only connection to the SQLite file, one per thread (and process: a forked
    worker opens its own), opened again when the database's name changes (tests) or, as
    seen at most once a second, the file is another one (deleted and made again while
    the server runs: the open connection keeps the old inode, so the new file's differs)."""

    key: tuple[int, str, int, int] | None = None
    conn: sqlite3.Connection | None = None
    checked = 0.0  # time.monotonic() of the last look at the file

    def row(self, name: str) -> tuple | None:
        """The revision row; OSError or sqlite3.Error make the caller ask Django's."""
        key = self.key
        now = time.monotonic()
        if key is None or key[:2] != (os.getpid(), name) or now - self.checked > 1:
            file = Path(name).stat()
            key = (os.getpid(), name, file.st_dev, file.st_ino)
            self.checked = now
        if self.conn is None or self.key != key:
            self.close()
            uri = Path(name).resolve().as_uri() + "?mode=ro"
            self.conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=20)
            self.key = key
        return self.conn.execute(_select_sql()).fetchone()

    def close(self) -> None:
        if self.conn is not None and self.key is not None and self.key[0] == os.getpid():
            self.conn.close()
        self.conn = self.key = None


_sqlite_reader = _SqliteReader()


def _read_row() -> tuple | None:
    """(token, changed_at) as the database stores them, or None before the first write.

    Inside a transaction Django's own connection reads it, so a write made earlier in
    the same transaction is seen; outside one, every connection sees the same thing.
    """
    db = connections[DEFAULT_DB_ALIAS]
    name = str(db.settings_dict["NAME"])
    if db.vendor == "sqlite" and not db.in_atomic_block and "memory" not in name:
        try:
            return _sqlite_reader.row(name)
        except (OSError, sqlite3.Error):
            _sqlite_reader.close()  # a missing file or table: Django's connection says why
    with db.cursor() as cursor:
        cursor.execute(_select_sql())
        return cursor.fetchone()


def bump() -> None:
    """Give the KB a new revision token (in the caller's transaction)."""
    kept = _pinned.get()
    if kept is not None:
        kept[0] = _WRITTEN  # the block reads its own writes, and asks every time from now
    if getattr(_state, "depth", 0):
        _state.dirty = True
        return
    from kb.models import GraphRevision

    token = _new_token()
    # update() skips auto_now: the time is set here, in the same statement as the token.
    if not GraphRevision.objects.filter(pk=1).update(token=token, changed_at=timezone.now()):
        GraphRevision.objects.update_or_create(pk=1, defaults={"token": token})


@contextmanager
def batched() -> Iterator[None]:
    """Run the block in one transaction and fold its bumps into one at the end."""
    if getattr(_state, "depth", 0):  # nested: the outermost block bumps
        _state.depth += 1
        try:
            yield
        finally:
            _state.depth -= 1
        return
    _state.depth, _state.dirty = 1, False
    try:
        with transaction.atomic():
            yield
            _state.depth = 0
            if _state.dirty:
                bump()
    finally:
        _state.depth, _state.dirty = 0, False


def _on_write(sender, **kwargs) -> None:
    if kwargs.get("raw"):  # loaddata: the fixture's rows, no revision bookkeeping needed
        return
    if kwargs.get("action", "post_").startswith("pre_"):
        return
    bump()


def connect_signals() -> None:
    from kb import models

    watched = [
        models.InterviewStage,
        models.Concept,
        models.Prerequisite,
        models.Resource,
        models.Question,
        models.Track,
        models.TrackConcept,
        models.TeamProfile,
        models.TeamTrack,
        models.LoopStage,
        models.Background,  # planner presets are kept per revision (kb.graph.per_revision)
    ]
    for model in watched:
        uid = f"kb-revision-{model.__name__}"
        post_save.connect(_on_write, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(_on_write, sender=model, dispatch_uid=uid + "-delete")
    for through in (
        models.Concept.stages.through,
        models.Resource.concepts.through,
        models.Question.concepts.through,
        models.TeamProfile.must_have.through,
        models.InterviewStage.essentials.through,
        models.Background.known_concepts.through,
        models.Background.shaky_concepts.through,
    ):
        m2m_changed.connect(
            _on_write, sender=through, dispatch_uid=f"kb-revision-{through.__name__}"
        )
