"""Where the index lives: one seam (``base.Store``), two stores.

``open_store(settings)`` returns the ``EmbeddedStore`` (snapshot files, the default) or,
with ``PRAXISFINDER_STORE=postgres``, the ``PostgresStore`` at ``database_url`` (reads
from ``database_read_url`` when set). See README "Scaling" for what each is for.
"""

from __future__ import annotations

from core.errors import ConfigError
from core.settings import Settings
from index.store.base import Store

STORES = ("embedded", "postgres")

__all__ = ["STORES", "Store", "open_store"]


def open_store(settings: Settings) -> Store:
    """The store ``settings.store`` names. ``ConfigError`` for ``postgres`` without
    ``database_url`` (the PostgreSQL driver is imported only then)."""
    if settings.store == "postgres":
        if not settings.database_url:
            raise ConfigError("store=postgres needs PRAXISFINDER_DATABASE_URL (postgresql://user@host:port/db)")
        from index.store.postgres import PostgresStore

        return PostgresStore(settings.database_url, settings.database_read_url or None,
                             backend=settings.vector_backend)
    if settings.store != "embedded":
        raise ConfigError(f"store={settings.store!r} is not valid; choose one of: {', '.join(STORES)}")
    from index.store.embedded import EmbeddedStore

    return EmbeddedStore(settings.snapshots_dir)
