"""The knowledge-base revision token that keys kb.graph's cache.

Every write to a KB table, whichever path it takes (service, import, admin,
shell), must change the token, or some process would keep planning on a stale
graph. Signals are the one hook every ORM write passes through, so they are
used here for cache invalidation only; bulk writes (which send no signals) call
`bump()` themselves, and `batched()` folds the many saves of an import into one
bump.
"""

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

_state = threading.local()


def _new_token() -> str:
    return uuid.uuid4().hex


def current() -> str:
    """The token as stored now (one query); creates the row on first use."""
    from kb.models import GraphRevision

    token = GraphRevision.objects.filter(pk=1).values_list("token", flat=True).first()
    if token is None:
        token = GraphRevision.objects.get_or_create(pk=1, defaults={"token": _new_token()})[0].token
    return token


def bump() -> None:
    """Give the KB a new revision token (in the caller's transaction)."""
    if getattr(_state, "depth", 0):
        _state.dirty = True
        return
    from kb.models import GraphRevision

    token = _new_token()
    if not GraphRevision.objects.filter(pk=1).update(token=token):
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
    ]
    for model in watched:
        uid = f"kb-revision-{model.__name__}"
        post_save.connect(_on_write, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(_on_write, sender=model, dispatch_uid=uid + "-delete")
    for through in (
        models.Concept.stages.through,
        models.Resource.concepts.through,
        models.Question.concepts.through,
    ):
        m2m_changed.connect(
            _on_write, sender=through, dispatch_uid=f"kb-revision-{through.__name__}"
        )
