"""A peer system built with Haystack, for an honest comparison with our search.

Same passages (taken from the snapshot being measured), same embedding model (the
provisioned sentence-transformers directory, loaded offline by Haystack's own
``SentenceTransformersDocumentEmbedder`` / ``TextEmbedder`` with the e5 prefixes
``"passage: "`` / ``"query: "``), Haystack's ``InMemoryDocumentStore`` with its default
BM25 (BM25L, regex tokenizer, no German analysis), ``InMemoryBM25Retriever`` +
``InMemoryEmbeddingRetriever`` joined by ``DocumentJoiner(join_mode="reciprocal_rank_fusion")``.
Each retriever returns ``candidate_depth`` documents (as our arms do); the joiner keeps k.

Systems:

* ``haystack``: the hybrid pipeline over the passage text (``p.text``).
* ``haystack-bm25`` / ``haystack-dense``: its two retrievers alone.
* ``haystack-ctx``: the hybrid pipeline whose embedder also sees document title and
  section (``meta_fields_to_embed``), i.e. exactly the text our dense arm embeds
  (``p.embedding_text()``). Because text, prefix and model are identical, this variant
  reuses the snapshot's passage vectors after a spot check: a sample of passages is
  embedded with Haystack's embedder and must match the snapshot vectors (cosine >= 0.999),
  otherwise every passage is embedded by Haystack.

Haystack-embedded passage vectors are cached under ``<data_dir>/eval-cache/`` keyed by
model fingerprint and texts, so a rerun does not embed again. Install with
``pip install -e '.[peer]'`` (haystack-ai and sentence-transformers-haystack).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import ConfigError

SYSTEMS = ("haystack", "haystack-bm25", "haystack-dense", "haystack-ctx")
SPOT_CHECK = 8
MIN_COSINE = 0.999
INSTALL_HINT = "the Haystack peer needs haystack-ai and sentence-transformers-haystack: pip install -e '.[peer]'"


def _haystack():
    os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        # lazy: the Haystack baseline is only for eval --system haystack
        import haystack
        from haystack_integrations.components.embedders import sentence_transformers as st
    except ImportError as exc:
        raise ConfigError(INSTALL_HINT) from exc
    return haystack, st


def haystack_systems(searcher, settings, names: list[str] | tuple[str, ...] = SYSTEMS) -> dict[str, Any]:
    """Build the requested Haystack systems over ``searcher``'s snapshot: name -> search(query, k).

    ``names`` from ``SYSTEMS`` (module docstring). Raises ``ConfigError`` for an unknown
    name or when haystack-ai / sentence-transformers-haystack are not installed.
    """
    unknown = [n for n in names if n not in SYSTEMS]
    if unknown:
        raise ConfigError(f"unknown Haystack system(s): {', '.join(unknown)}; valid: {', '.join(SYSTEMS)}")
    _haystack()
    peer = _Peer(searcher, settings)
    out = {}
    for name in names:
        ctx = name == "haystack-ctx"
        arm = {"haystack-bm25": "bm25", "haystack-dense": "dense"}.get(name, "hybrid")
        out[name] = peer.system(arm, ctx)
    return out


class _Peer:
    def __init__(self, searcher, settings):
        self.searcher = searcher
        self.settings = settings
        self.model = str(settings.model.dir)
        self.fingerprint = searcher.snapshot.manifest.get("model", {}).get("fingerprint", "")
        self.stores: dict[bool, Any] = {}
        self.notes: dict[bool, str] = {}

    def system(self, arm: str, ctx: bool):
        haystack, st = _haystack()
        # lazy: the Haystack baseline is only for eval --system haystack
        from haystack.components.joiners import DocumentJoiner
        from haystack.components.retrievers.in_memory import InMemoryBM25Retriever, InMemoryEmbeddingRetriever

        store = self.store(ctx)
        depth = self.settings.search.candidate_depth
        text_embedder = st.SentenceTransformersTextEmbedder(
            model=self.model, prefix="query: ", local_files_only=True, normalize_embeddings=True, progress_bar=False
        )
        bm25 = InMemoryBM25Retriever(document_store=store, top_k=depth)
        dense = InMemoryEmbeddingRetriever(document_store=store, top_k=depth)
        if arm == "hybrid":
            pipe = haystack.Pipeline()
            pipe.add_component("text_embedder", text_embedder)
            pipe.add_component("bm25_retriever", bm25)
            pipe.add_component("embedding_retriever", dense)
            pipe.add_component("joiner", DocumentJoiner(join_mode="reciprocal_rank_fusion"))
            pipe.connect("text_embedder.embedding", "embedding_retriever.query_embedding")
            pipe.connect("bm25_retriever", "joiner")
            pipe.connect("embedding_retriever", "joiner")
            pipe.warm_up()

            def run(query: str, k: int) -> list:
                out = pipe.run({"text_embedder": {"text": query}, "bm25_retriever": {"query": query},
                                "joiner": {"top_k": k}})
                return self.passages(out["joiner"]["documents"][:k])
        elif arm == "bm25":
            def run(query: str, k: int) -> list:
                return self.passages(bm25.run(query=query, top_k=k)["documents"])
        else:
            text_embedder.warm_up()

            def run(query: str, k: int) -> list:
                vec = text_embedder.run(text=query)["embedding"]
                return self.passages(dense.run(query_embedding=vec, top_k=k)["documents"])

        run.description = (f"Haystack {haystack.__version__} {arm}"
                           + (" (retrievers top_k=%d, RRF joiner)" % depth if arm == "hybrid" else "")
                           + "; " + self.notes[ctx])
        return run

    def passages(self, documents) -> list:
        return [self.searcher.passages[self.searcher.passage_index(d.id)] for d in documents]

    def store(self, ctx: bool):
        if ctx in self.stores:
            return self.stores[ctx]
        # lazy: the Haystack baseline is only for eval --system haystack
        from haystack import Document
        from haystack.document_stores.in_memory import InMemoryDocumentStore

        docs = []
        for p in self.searcher.passages:
            meta = {"doc_id": p.doc_id}
            if ctx:
                meta["context"] = f"{p.doc_title} — {p.section}" if p.section_path else p.doc_title
            docs.append(Document(id=p.id, content=p.text, meta=meta))
        vectors, self.notes[ctx] = self._vectors(docs, ctx)
        docs = [dataclasses.replace(doc, embedding=vec.tolist()) for doc, vec in zip(docs, vectors)]
        store = InMemoryDocumentStore()
        store.write_documents(docs)
        self.stores[ctx] = store
        return store

    def _embedder(self, ctx: bool):
        _, st = _haystack()
        embedder = st.SentenceTransformersDocumentEmbedder(
            model=self.model, prefix="passage: ", local_files_only=True, normalize_embeddings=True,
            batch_size=self.settings.model.embed_batch_size, progress_bar=True,
            meta_fields_to_embed=["context"] if ctx else None, embedding_separator="\n",
        )
        embedder.warm_up()
        return embedder

    def _vectors(self, docs, ctx: bool) -> tuple[np.ndarray, str]:
        embedder = self._embedder(ctx)
        if ctx:
            sample = np.linspace(0, len(docs) - 1, num=min(SPOT_CHECK, len(docs)), dtype=int)
            fresh = _embed(embedder, [docs[i] for i in sample])
            snap = np.asarray(self.searcher.snapshot.vectors, dtype=np.float32)
            same_shape = snap.shape[1] == fresh.shape[1]
            cosine = float(np.min(np.sum(fresh * snap[sample], axis=1))) if same_shape else -1.0
            if cosine >= MIN_COSINE:
                return snap, (f"passage vectors reused from the snapshot (same text, prefix and model; "
                              f"spot check of {len(sample)} Haystack embeddings: min cosine {cosine:.5f})")
        cache = self._cache_path(docs, ctx)
        if cache.exists():
            return np.load(cache), "passages embedded by Haystack's SentenceTransformersDocumentEmbedder (cached)"
        vectors = _embed(embedder, docs)
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.save(cache, vectors)
        return vectors, "passages embedded by Haystack's SentenceTransformersDocumentEmbedder"

    def _cache_path(self, docs, ctx: bool) -> Path:
        payload = json.dumps([self.fingerprint, ctx, [(d.id, d.content, d.meta.get("context")) for d in docs]])
        key = hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]
        return Path(self.settings.storage.data_dir) / "eval-cache" / f"haystack-{key}.npy"


def _embed(embedder, docs) -> np.ndarray:
    # lazy: the Haystack baseline is only for eval --system haystack
    from haystack import Document

    copies = [Document(id=d.id, content=d.content, meta=dict(d.meta)) for d in docs]
    out = embedder.run(documents=copies)["documents"]
    return np.asarray([d.embedding for d in out], dtype=np.float32)
