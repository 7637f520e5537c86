"""The dense arm of a search: query encoding, passage and window vectors, MaxSim rerank."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from index.search.fusion import Ranking
from index.snapshot import Snapshot
from index.search.translate import german_query

QUERY_CACHE_SIZE = 512
WINDOW_FANOUT = 3  # windows fetched per wanted passage


class DenseArm:
    def __init__(self, snapshot: Snapshot, embedder, late_interaction: bool):
        self.snapshot = snapshot
        self.embedder = embedder
        self.late_interaction = late_interaction and snapshot.tokens is not None
        if self.late_interaction:
            # float16 on disk; float32 in memory, because converting per query costs more than the MaxSim
            snapshot.tokens.matrix = np.asarray(snapshot.tokens.matrix, dtype=np.float32)
        self._cache: OrderedDict[str, tuple[np.ndarray, np.ndarray | None]] = OrderedDict()
        self._lock = threading.Lock()

    def encode(self, text: str, lang: str = "de") -> tuple[np.ndarray, np.ndarray | None]:
        """Query vector (and content token vectors when reranking), cached per query text.

        An English query is embedded together with its German pseudo-query
        (``index.search.translate.german_query``); the two vectors are averaged and their
        tokens pooled, which lifts English nDCG@10 markedly (see eval/REPORT.md).
        """
        key = f"{lang}\x00{text}"
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        texts = [text]
        if lang == "en":
            german = german_query(text, self.snapshot.translations, self.snapshot.surface_forms)
            if german:
                texts.append(german)
        if self.late_interaction:
            vecs, toks = self.embedder.encode_with_tokens(texts, "query")
            head, tail = getattr(self.embedder, "query_token_trim", (0, 0))
            tokens = np.concatenate([t[head : len(t) - tail] if len(t) > head + tail else t for t in toks])
        else:
            vecs, tokens = self.embedder.encode_queries(texts), None
        vec = vecs.mean(axis=0)
        value = (vec / (np.linalg.norm(vec) + 1e-12), tokens)
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > QUERY_CACHE_SIZE:
                self._cache.popitem(last=False)
        return value

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    def rank(self, q: np.ndarray, depth: int, mask: np.ndarray | None) -> Ranking:
        """Passages by max(passage score, best window score), best first. A mask (bool per
        passage) is searched inside the vector backends (``allowed`` ids, ``index.ann.subset``)."""
        snap = self.snapshot
        allowed = None if mask is None else np.flatnonzero(mask)
        if allowed is not None and allowed.size == 0:
            return []
        scores, ids = snap.dense.search(q.reshape(1, -1), depth, allowed=allowed)
        found = {int(i): float(s) for s, i in zip(scores[0], ids[0]) if i >= 0}
        if snap.windows is not None and len(snap.windows.keys):
            w_allowed = None if allowed is None else snap.windows.rows_of(allowed)
            wscores, wids = snap.windows.index.search(q.reshape(1, -1), depth * WINDOW_FANOUT, allowed=w_allowed)
            keep = wids[0] >= 0
            owners = snap.windows.owner[wids[0][keep]]
            for owner, s in zip(owners, wscores[0][keep]):
                owner = int(owner)
                if owner not in found:
                    found[owner] = float(np.dot(snap.vectors[owner], q))
                found[owner] = max(found[owner], float(s))
        ranking = sorted(found.items(), key=lambda item: (-item[1], item[0]))
        return ranking[:depth]

    def rerank(self, query_tokens: np.ndarray | None, candidates: Ranking) -> Ranking:
        """MaxSim scores of the candidates (empty when late interaction is off)."""
        if not self.late_interaction or query_tokens is None or not candidates:
            return []
        return self.snapshot.tokens.maxsim(query_tokens, [i for i, _ in candidates])
