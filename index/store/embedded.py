"""The embedded store: immutable snapshot directories on one machine (``index.snapshot``).

Unchanged behaviour behind the ``index.store.base.Store`` seam: a generation is a
snapshot directory, ``CURRENT`` names the serving one, publishing writes a temporary
directory, fsyncs and renames it, dropping old generations removes their directories
(``SnapshotStore.prune``). Deleting a document means building a new snapshot without it
(``index.build.build_index(remove=...)``); there are no in-place writes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.errors import SnapshotError
from index.snapshot import Snapshot, SnapshotStore, load_snapshot
from index.snapshot_fallback import open_intact


class EmbeddedStore:
    """Snapshots under ``root`` (``settings.storage.snapshots_dir``); see the module docstring."""

    kind = "embedded"

    def __init__(self, root: Path):
        self.files = SnapshotStore(root)
        self.root = Path(root)

    def open_current(self, expected_model: str | None = None, dense_params: dict | None = None) -> Snapshot:
        """The snapshot CURRENT names, or the newest intact one when it is damaged
        (``index.snapshot_fallback.open_intact``, which records why in ``Snapshot.fallback``)."""

        return open_intact(self.files, lambda path: load_snapshot(path, expected_model=expected_model,
                                                                    dense_params=dense_params))

    def load_previous(self, fingerprint: str) -> Snapshot | None:
        """CURRENT's snapshot or the newest intact one (a damaged one is set aside and CURRENT
        repointed; the caller holds the writer lock). None when there is none, or another model."""

        if not self.files.snapshot_dirs():
            return None
        try:
            return open_intact(self.files, lambda path: load_snapshot(path, expected_model=fingerprint), lock=False)
        except SnapshotError:
            return None  # another model, or nothing intact: rebuild from sources

    def current_name(self) -> str | None:
        """The name CURRENT holds (the directory of the serving snapshot)."""
        return self.files.current_name()

    def current_path(self) -> Path | None:
        """The directory CURRENT names (None if missing or dangling)."""
        return self.files.current_path()

    def current_manifest(self) -> dict[str, Any] | None:
        """The manifest of CURRENT's snapshot (None if there is none or it is unreadable)."""
        return self.files.current_manifest()

    def publish(self, snapshot: Snapshot, keep: int = 3) -> Path:
        """``SnapshotStore.publish``: temporary directory, fsync, rename, switch CURRENT, prune."""
        return self.files.publish(snapshot, keep)

    def drop_old(self, keep: int = 3) -> list[str]:
        """Remove leftovers of failed writers and snapshots beyond the newest ``keep``
        (``SnapshotStore.cleanup``); call under :meth:`writer_lock`."""
        return self.files.cleanup(keep)

    def writer_lock(self):
        """``flock`` on ``<root>/.lock`` (``SnapshotStore.writer_lock``)."""
        return self.files.writer_lock()

    def close(self) -> None:
        """Nothing to release: loaded snapshots own their memory maps."""
