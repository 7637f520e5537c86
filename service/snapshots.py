"""The snapshot holder: loads the current snapshot, reloads it when ``CURRENT`` changes,
and swaps it in without stopping requests.

Requests read ``searcher`` once and keep that snapshot for their whole duration; a
reload builds the new ``Searcher`` in a background thread and swaps one reference.
A snapshot that fails to load leaves the old one serving (and is retried only when
``CURRENT`` changes again). At start-up and at reload a damaged current snapshot is set
aside and the newest intact one serves (``index.snapshot_fallback``); ``readiness`` says
which and why.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from core.errors import PraxisError, SnapshotError
from core.settings import Settings
from index.runtime import load_embedder, open_searcher, refresh_searcher
from index.search import Searcher
from index.snapshot_fallback import describe
from index.store import open_store
from service.catalogue_port import CatalogueAdapter, CatalogueLike

log = logging.getLogger("praxisfinder.service")


class SnapshotHolder:
    """The serving snapshot of one process.

    :param settings: where snapshots live, how often to check ``CURRENT``
        (``reload_check_seconds``; 0 = never).
    :param embedder: the query encoder; loaded on first use when None.
    :param searcher: a fixed ``Searcher`` (tests, eval); an injected one is never swapped.
    :param catalogue: a ``CatalogueLike`` replacing the snapshot's own for the service
        features (case examples, municipality pages); the Searcher's municipality
        filters always use the snapshot's.
    """

    def __init__(self, settings: Settings, embedder=None, searcher: Searcher | None = None,
                 catalogue: CatalogueLike | None = None):
        self.settings = settings
        self._embedder = embedder
        self._searcher = searcher
        self._catalogue = catalogue
        self._lock = threading.Lock()
        self._auto_reload = searcher is None  # an injected Searcher is never swapped behind the caller's back
        self._next_check = 0.0
        self._reloading: threading.Thread | None = None
        self.failed_reload: str | None = None
        self._load_error: str | None = None
        self._adapter: tuple[Searcher, CatalogueAdapter | None] | None = None

    @property
    def embedder(self):
        """The query encoder (``index.runtime.load_embedder`` on first use)."""
        if self._embedder is None:
            self._embedder = load_embedder(self.settings)
        return self._embedder

    @property
    def searcher(self) -> Searcher:
        """The serving ``Searcher``; loads the snapshot on first use (``SnapshotError`` if
        there is none) and at most every ``reload_check_seconds`` looks for a newer one."""
        if self._searcher is None:
            with self._lock:
                if self._searcher is None:
                    try:
                        self._searcher = open_searcher(self.settings, self.embedder)
                        self._load_error = None
                    except SnapshotError as exc:
                        self._load_error = exc.message
                        raise
        elif self._auto_reload and self.settings.storage.reload_check_seconds > 0:
            self._check_current()
        return self._searcher

    def _check_current(self) -> None:
        """At most once per ``reload_check_seconds``: if CURRENT names another snapshot (a CLI
        ingest or another replica published one), load it in a background thread; requests
        keep using the old snapshot until the new one is ready."""
        now = time.monotonic()
        if now < self._next_check:
            return
        self._next_check = now + self.settings.storage.reload_check_seconds
        name = self._current_name()
        loaded = self._searcher.snapshot.path
        if not name or loaded is None or name == Path(loaded).name or name == self.failed_reload:
            return
        with self._lock:
            if self._reloading is not None and self._reloading.is_alive():
                return
            self._reloading = threading.Thread(target=self._background_reload, args=(name,),
                                               name="praxisfinder-reload", daemon=True)
            self._reloading.start()

    def _current_name(self) -> str | None:
        """The serving generation's name in the configured store (``index.store``): what
        ``CURRENT`` holds, or PostgreSQL's generation and version; None when unreadable."""

        try:
            store = open_store(self.settings)
            try:
                return store.current_name()
            finally:
                store.close()
        except (OSError, PraxisError):
            return None

    def _background_reload(self, name: str) -> None:
        try:
            serving = self.reload()
        except Exception as exc:  # keep serving the old snapshot; retry when CURRENT changes again
            self.failed_reload = name
            log.warning("could not load snapshot %s, the previous one keeps serving: %s", name,
                        getattr(exc, "message", type(exc).__name__))
            return
        if serving != name:  # CURRENT's was damaged: an older intact one serves
            self.failed_reload = name
            log.warning("snapshot %s failed its checks; %s keeps serving", name, serving)
        else:
            self.failed_reload = None
            log.info("snapshot %s is now serving", serving)

    @property
    def catalogue(self) -> CatalogueLike | None:
        """The injected catalogue, else an adapter over the current snapshot's (None if it has none)."""
        return self.catalogue_for(self.searcher)

    def catalogue_for(self, s: Searcher) -> CatalogueLike | None:
        """The catalogue that goes with ``s`` (cached per Searcher); None without one."""
        if self._catalogue is not None:
            return self._catalogue
        cached = self._adapter
        if cached is None or cached[0] is not s:
            adapter = None
            if s.catalogue is not None:
                adapter = CatalogueAdapter(s.catalogue, s)
            cached = self._adapter = (s, adapter)
        return cached[1]

    def reload(self) -> str:
        """Swap in the snapshot CURRENT names now (or, when it is damaged, the newest intact
        one); the old one serves until the swap. Returns the name of the one serving (the
        snapshot id; for the PostgreSQL store also its version, as ``current_name`` says it).
        On the PostgreSQL store a write to the serving generation is read as a delta
        (``index.runtime.refresh_searcher``), not the whole generation again.

        Requests that already hold the old Searcher finish on it (each request reads
        ``self.searcher`` once); the next ones see the new one. When the fallback is the
        snapshot already serving, the old Searcher stays (nothing to swap).
        """
        old = self._searcher
        new = None
        if old is not None:  # the PostgreSQL store: read only what writes changed (refresh_searcher)
            try:
                new = refresh_searcher(old, self.settings, self.embedder)
            except Exception as exc:  # any failure of the delta: the whole generation, as before
                log.warning("incremental reload failed, loading the whole generation: %s",
                            getattr(exc, "message", type(exc).__name__))
        if new is old and old is not None:
            return _serving_name(old)
        if new is None:
            new = open_searcher(self.settings, self.embedder)
        if old is not None and old.snapshot.id == new.snapshot.id and new.snapshot.fallback:
            old.snapshot.fallback = new.snapshot.fallback
            return _serving_name(old)
        self._searcher = new
        return _serving_name(new)

    def readiness(self) -> dict[str, Any]:
        """``{"status": "ready", "snapshot_id", "passages", "documents", "model", "fallback"}``;
        ``SnapshotError`` ("not ready: …") while no snapshot can be loaded.

        ``fallback`` is None when the snapshot ``CURRENT`` named serves, else ``{"current"``
        (what CURRENT named), ``"reason"`` (why it cannot serve), ``"set_aside"``,
        ``"current_repointed"``, ``"message"`` (one sentence)``}``."""
        try:
            s = self.searcher
        except SnapshotError as exc:
            raise SnapshotError(f"not ready: {exc.message}", exc.detail) from exc
        fallback = s.snapshot.fallback
        if fallback:
            fallback = {**fallback, "message": f"{describe(fallback)}; snapshot {s.snapshot.id} serves, "
                                               "the newest intact one"}
        return {"status": "ready", "snapshot_id": s.snapshot.id, "passages": len(s.passages),
                "documents": len(s.snapshot.documents), "model": s.snapshot.manifest["model"]["name"],
                "fallback": fallback or None}


def _serving_name(s: Searcher) -> str:
    """The store's name of the generation ``s`` searches: its directory name (= snapshot id)
    or, for a PostgreSQL generation, id and version (``index.store.postgres``)."""
    name = Path(s.snapshot.path).name if s.snapshot.path is not None else ""
    return name or s.snapshot.id
