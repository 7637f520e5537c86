"""The store contract: where the index lives, behind one seam.

Search, catalogue and service read one *generation* of the index (a
``index.snapshot.Snapshot``: passages, documents, dense and window vectors, token vectors
for MaxSim, BM25 statistics and scorer, the catalogue, translations) and never ask where
it lives. A ``Store`` knows: it opens the generation that serves, publishes a new one,
drops old ones, deletes a document and closes. Two implementations:

- ``index.store.embedded.EmbeddedStore``: immutable snapshot directories and a
  ``CURRENT`` file (``index.snapshot``), one machine, the default;
- ``index.store.postgres.PostgresStore``: everything in PostgreSQL tables with pgvector,
  several serving processes on one primary, reads from replicas, incremental writes.

After txtai (``ann/base.py``: one small contract per concern, one file per backend) and
Haystack 2's ``DocumentStore`` protocol (``write_documents``, ``delete_documents``,
``filter_documents``, ``count_documents``), with the retrieval itself kept out of the store
so that retrievers, fusion and reranker stay one implementation for every store.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator, Protocol

from index.snapshot import Snapshot


class Store(Protocol):
    """Where index generations live, with their lifecycle.

    A generation is published whole and then serves until the next is published; the
    PostgreSQL store can also change the serving one in place, one document per
    transaction (``write_document``/``delete_document``). ``name`` of a generation changes
    with every change that readers must see, so a serving process reloads when
    ``current_name()`` differs from its loaded ``Snapshot.path.name``.
    """

    kind: str  # "embedded" or "postgres"

    def open_current(self, expected_model: str | None = None, dense_params: dict | None = None) -> Snapshot:
        """The serving generation, ready to search (``SnapshotError`` if none, or built with
        another model than ``expected_model``; the embedded store falls back to the newest
        intact snapshot, ``index.snapshot_fallback``)."""
        ...

    def load_previous(self, fingerprint: str) -> Snapshot | None:
        """The generation a build reuses vectors from (None: none, or another model). Call
        under :meth:`writer_lock`."""
        ...

    def current_name(self) -> str | None:
        """The name of the serving generation (None when none serves)."""
        ...

    def current_manifest(self) -> dict[str, Any] | None:
        """The serving generation's manifest (None when none serves or it is unreadable)."""
        ...

    def publish(self, snapshot: Snapshot, keep: int = 3) -> Any:
        """Store ``snapshot`` as a new generation, make it serve atomically, then drop all
        but the newest ``keep``; on failure the previous generation keeps serving. Returns
        where it went (a path for the embedded store, the generation name otherwise)."""
        ...

    def drop_old(self, keep: int) -> list[str]:
        """Remove all but the newest ``keep`` generations (never the serving one) and what
        failed writers left; returns what was removed."""
        ...

    def writer_lock(self) -> contextlib.AbstractContextManager[None]:
        """One writer at a time; raises ``Busy`` at once when another holds it."""
        ...

    def close(self) -> None:
        """Release connections and open files."""
        ...


@contextlib.contextmanager
def no_lock() -> Iterator[None]:
    """A writer lock that locks nothing (a store whose engine serialises writers itself)."""
    yield
