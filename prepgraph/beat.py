"""Celery beat's scheduler: Celery's own, with its state file in a private directory.

The state file is a pickle shelve (pickles run code when loaded), so it must live
where nobody else can write: by default the checkout's git-ignored var/beat/, never
the world-writable temp dir. Beat creates that directory (mode 0700) when it opens the
file, so a fresh checkout needs no setup step and web processes create nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery.beat import PersistentScheduler


class PrivateDirScheduler(PersistentScheduler):
    """PersistentScheduler that creates its state file's directory, mode 0700, if missing."""

    def _open_schedule(self) -> Any:
        Path(self.schedule_filename).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        return super()._open_schedule()
