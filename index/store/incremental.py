"""Incremental writes: add, replace or delete single documents in the PostgreSQL store.

The embedded store answers ``praxisfinder ingest PATH``, an upload or a delete with a new
snapshot of the whole corpus (unchanged passages reuse their vectors, but BM25, the
catalogue and the vector indexes are rebuilt: the cost grows with the corpus). The
PostgreSQL store writes only the document: read and chunk it (``ingest.loop``), embed
its passages, windows and token vectors (``index.build._embed_document``), then one
transaction per document (``index.store.pg_write.write_document``); it is searchable
when that commits.

Not refreshed incrementally: the municipality catalogue (entity linking over the whole
corpus) and the English-German translation table; a full ``praxisfinder ingest``
rebuilds them into a new generation.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

from core.schema import Document, Passage
from core.settings import Settings
from ingest.loop import Source, claim_ids, hash_and_deduplicate, ingest_sources, row
from ingest.pipeline import discover


def write_incremental(settings: Settings, embedder, store, embed_document: Callable, outcome: Callable,
                      paths: list[Path] = (), remove: tuple[str, ...] = (),
                      prepared: list[tuple[Document, list[Passage]]] = (), origin: str = "cli",
                      staged: bool = False):
    """Add or replace the documents under ``paths`` and the parsed ``prepared`` ones, and
    delete ``remove``, each document in its own transaction; the caller holds the store's
    writer lock. ``embed_document(passages, embedder, settings)`` returns (vectors, token
    vectors, windows) as ``index.build._embed_document`` does; ``outcome`` builds the
    result (``index.build.BuildOutcome``; both passed in, so this module does not import
    ``index.build``, which imports the store). Report rows as a full build writes them.

    ``staged``: each document in two transactions. The first, right after reading, writes
    its passages without vectors: BM25 finds them at once, the dense arm and MaxSim not
    yet, and the document carries ``meta["indexing"] = "partial"`` (the API's
    ``indexing`` field, "teilweise indexiert" on the web). Then its passages are embedded
    and the second (``fill_vectors``) adds the vectors and removes the mark. The final
    state, and so the ranking, equals an unstaged write's; ``timings`` gain
    ``bm25_searchable_s`` (from the start to the first commit) and ``searchable_s``."""
    t0 = time.perf_counter()
    report: list[dict[str, Any]] = []
    manifest = store.current_manifest() or {}
    # a document left "partial" (a staged write stopped before its vectors) counts as not indexed
    indexed = {d: e.get("sha256", "") for d, e in (manifest.get("registry") or {}).get("documents", {}).items()
               if e.get("indexing") != "partial"}
    sources: dict[str, Source] = {}
    for doc_id, f in claim_ids(discover([Path(p) for p in paths]), report):
        sources[doc_id] = Source(f.resolve() if f.exists() else f, origin)
    for doc, doc_passages in prepared:
        sources[doc.id] = Source(Path(doc.path), "upload", (doc, doc_passages))
    hash_and_deduplicate(sources, indexed, report)
    changed = {i: s for i, s in sources.items() if not s.sha256 or indexed.get(i) != s.sha256}
    for doc_id in sorted(set(sources) - set(changed)):
        report.append(row(doc_id, sources[doc_id].path, "ok", "unchanged", "already indexed with this content"))
    read = ingest_sources(changed, settings, None, False)
    report.extend(read.report)
    by_doc: dict[str, list[Passage]] = {}
    for p in read.passages:
        by_doc.setdefault(p.doc_id, []).append(p)
    written = 0
    t_embed = 0.0
    stages: dict[str, float] = {}
    for doc in read.documents:
        passages = by_doc.get(doc.id, [])
        if staged:
            store.write_document(doc, passages, None, None, None, origin=changed[doc.id].origin)
            stages.setdefault("bm25_searchable_s", round(time.perf_counter() - t0, 2))
        t1 = time.perf_counter()
        vectors, tokens, wins = embed_document(passages, embedder, settings)
        t_embed += time.perf_counter() - t1
        if staged:
            store.fill_vectors(doc, vectors, tokens, wins)
        else:
            store.write_document(doc, passages, vectors, tokens, wins, origin=changed[doc.id].origin)
        written += 1
    if written:
        stages["searchable_s"] = round(time.perf_counter() - t0, 2)
    for doc_id in remove:
        if store.delete_document(doc_id) is None:
            report.append(row(doc_id, "", "skipped", "skipped", "not in the index"))
        else:
            report.append(row(doc_id, "", "removed", "removed", "removed on request"))
            written += 1
    timings = {"embed_s": round(t_embed, 2), **(stages if staged else {}), "total_s": round(time.perf_counter() - t0, 2)}
    name = store.current_name()
    return outcome(written > 0, Path(name) if name else None, "written" if written else "up to date",
                        report, timings, {"documents_written": written})
