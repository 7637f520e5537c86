"""Serve the newest intact snapshot when the current one is damaged.

``CURRENT`` names the snapshot that should serve. If it fails its checks
(``core.errors.SnapshotDamaged``: manifest missing or corrupt, a file missing, truncated or
altered, parts that disagree), or ``CURRENT`` itself is missing, empty or names no
directory, :func:`open_intact`

1. logs a warning naming the snapshot and the reason,
2. sets the damaged directory aside as ``.damaged-<name>`` (kept for inspection, never
   served or pruned) and tries the next older snapshot, and so on,
3. serves the newest one that loads, and points ``CURRENT`` at it, so other replicas and
   the next writer (which builds on it, keeping its document registry) agree.

Steps 2 and 3 need the writer lock and a writable data directory; without them (another
writer is running, a read-only replica) the damaged snapshot stays where it is and only
this process serves the fallback. A snapshot built with another model or schema is not
damaged: as before, it is refused (``SnapshotError``), with no fallback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.errors import Busy, SnapshotDamaged, SnapshotError
from index.snapshot import Snapshot, SnapshotStore

log = logging.getLogger("praxisfinder.snapshots")


def open_intact(store: SnapshotStore, load: Callable[[Path], Snapshot], lock: bool = True) -> Snapshot:
    """The snapshot ``CURRENT`` names, loaded by ``load(path)``, or the newest intact one.

    When another than ``CURRENT``'s serves, its ``fallback`` says why: ``{"current"``
    (what ``CURRENT`` named, or None), ``"reason"``, ``"set_aside"`` (directories renamed
    to ``.damaged-*``), ``"current_repointed"`` (bool)}``. ``lock=False`` when the caller
    already holds the writer lock (a build). Raises ``SnapshotError`` when no snapshot is
    usable (none at all, all damaged, or the current one built with another model)."""
    named = store.current_name()
    current = store.root / named if named else None
    candidates = store.snapshot_dirs()
    if current is not None and current.is_dir():
        try:
            return load(current)
        except SnapshotDamaged as exc:
            reason, damaged = exc.message, [current]
        candidates = [p for p in candidates if p != current]
    elif not candidates:
        raise SnapshotError(f"no index snapshot under {store.root}; run `praxisfinder ingest` first")
    else:
        reason = f"CURRENT names {named!r}, which does not exist" if named else "CURRENT is missing or empty"
        damaged = []
    log.warning("snapshot %s cannot serve: %s", named or "(none)", reason)
    snapshot = None
    for path in candidates:
        try:
            snapshot = load(path)
            break
        except SnapshotDamaged as exc:
            log.warning("snapshot %s cannot serve either: %s", path.name, exc.message)
            damaged.append(path)
        except SnapshotError as exc:  # another model or schema: not damaged, just not usable here
            log.warning("snapshot %s is skipped: %s", path.name, exc.message)
    if snapshot is None:
        raise SnapshotError(f"no intact snapshot: {reason}; rebuild with `praxisfinder ingest`",
                            {"current": named, "reason": reason})
    set_aside, repointed = _repair(store, damaged, snapshot, lock)
    snapshot.fallback = {"current": named, "reason": reason, "set_aside": set_aside, "current_repointed": repointed}
    log.warning("snapshot %s serves instead of %s (%s)%s", snapshot.id, named or "(none)", reason,
                f"; set aside: {', '.join(set_aside)}" if set_aside else "")
    return snapshot


def _repair(store: SnapshotStore, damaged: list[Path], serving: Snapshot, lock: bool) -> tuple[list[str], bool]:
    """Set the damaged directories aside and point CURRENT at ``serving``, when the writer
    lock and the file system allow; returns (new names of those set aside, CURRENT repointed)."""
    def work() -> tuple[list[str], bool]:
        moved = [store.set_aside(p).name for p in damaged if p.is_dir()]
        if store.current_name() != serving.id:
            store.point_current(serving.id)
        return moved, True

    try:
        if not lock:
            return work()
        with store.writer_lock():
            return work()
    except Busy:
        log.info("a writer is running: the damaged snapshot stays in place until it publishes")
    except OSError as exc:
        log.info("the snapshot directory is not writable (%s): nothing set aside", exc.strerror or exc)
    return [], False


def describe(fallback: dict[str, Any] | None) -> str | None:
    """One English sentence for ``/readyz`` and logs: which snapshot was passed over and why."""
    if not fallback:
        return None
    named = fallback.get("current") or "(none)"
    aside = f"; set aside as {', '.join(fallback['set_aside'])}" if fallback.get("set_aside") else ""
    return f"the current snapshot {named} failed its checks ({fallback['reason']}){aside}"
