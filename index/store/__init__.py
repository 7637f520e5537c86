"""Where the index lives: one seam (``base.Store``), two stores.

``open_store(settings)`` returns the ``EmbeddedStore`` (snapshot files, the default) or,
with ``PRAXISFINDER_STORE=postgres``, the ``PostgresStore`` at ``database_url`` (reads
from ``database_read_url`` when set). See README "Scaling" for what each is for.
"""

from __future__ import annotations

from core.errors import ConfigError
from core.settings import Settings
from index.store.base import Store
from index.store.embedded import EmbeddedStore

STORES = ("embedded", "postgres")

__all__ = ["STORES", "Store", "copy_snapshot", "open_store"]


def open_store(settings: Settings) -> Store:
    """The store ``settings.storage.store`` names. ``ConfigError`` for ``postgres`` without
    ``database_url`` (the PostgreSQL driver is imported only then)."""
    if settings.storage.store == "postgres":
        if not settings.storage.database_url:
            raise ConfigError("store=postgres needs PRAXISFINDER_DATABASE_URL (postgresql://user@host:port/db)")
        # lazy: the PostgreSQL store's modules load only with store=postgres; embedded deployments never import them
        from index.store.postgres import PostgresStore

        return PostgresStore(settings.storage.database_url, settings.storage.database_read_url or None,
                             backend=settings.ann.vector_backend)
    if settings.storage.store != "embedded":
        raise ConfigError(f"store={settings.storage.store!r} is not valid; choose one of: {', '.join(STORES)}")

    return EmbeddedStore(settings.storage.snapshots_dir)


def copy_snapshot(settings: Settings, keep: int = 3):
    """Publish the embedded store's serving snapshot (``settings.storage.snapshots_dir``) as a new
    generation of the PostgreSQL store at ``settings.storage.database_url``, without re-embedding;
    returns the generation's name. ``SnapshotError`` when there is no snapshot,
    ``ConfigError`` without a database URL; ``Busy`` when another writer holds the lock."""

    snapshot = EmbeddedStore(settings.storage.snapshots_dir).open_current()
    target = open_store(settings.with_(store="postgres"))
    try:
        with target.writer_lock():
            return target.publish(snapshot, keep)
    finally:
        target.close()
