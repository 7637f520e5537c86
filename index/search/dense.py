"""The dense retriever: e5 query encoding, then passage and sentence-window vectors.

A passage's dense score is the max of its own cosine and its windows' cosines
(``index.multivector``: a 150-word passage dilutes a single fact; windows of three
sentences recover it). The vector search runs in the snapshot's backend
(``index.ann``); with a filter, only the allowed passages are scored.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

import numpy as np

from index.search.fusion import Ranking
from index.search.query import Encoding, Query
from index.search.translate import german_query
from index.snapshot import Snapshot

QUERY_CACHE_SIZE = 512
WINDOW_FANOUT = 3  # windows fetched per wanted passage
PSEUDO_WEIGHT = 0.5  # English queries: share of the German pseudo-query in the query vector
STRIP_QUESTION = False  # English queries: embed them without their leading question words
PSEUDO_CONTEXT = False  # pseudo-query words chosen by co-occurrence (as BM25 weighs them), not dictionary order
MAXSIM_TEXTS = "both"  # English queries: whose tokens MaxSim reads: "both" texts, "german" (pseudo-query) or "english"
_QUESTION_LEAD = re.compile(
    r"^(?:(?:how|what|which|who|whom|whose|where|when|why|do|does|did|is|are|was|were|can|could|should|would|"
    r"has|have|will)\b[\s,]*)+(?:(?:the|a|an|there|they|it|you|we)\b\s*)?", re.IGNORECASE)


class DenseRetriever:
    """Dense retrieval over the snapshot's passage and window vectors.

    :param snapshot: the loaded snapshot (vectors, windows, translations).
    :param embedder: an ``index.model.embedder.Embedder``.
    :param late_interaction: also return the query's token vectors (for ``MaxSimReranker``);
        only when the snapshot stores passage token vectors.

    Query encodings are cached (LRU, ``QUERY_CACHE_SIZE`` queries), thread-safe. Scores are
    cosines (dot products of L2-normalised e5 vectors), in [-1, 1].
    """

    name = "dense"

    def __init__(self, snapshot: Snapshot, embedder, late_interaction: bool):
        self.snapshot = snapshot
        self.embedder = embedder
        self.late_interaction = late_interaction and snapshot.tokens is not None
        self._cache: OrderedDict[str, Encoding] = OrderedDict()
        self._lock = threading.Lock()
        # English queries: weight of the German pseudo-query's vector beside the English one
        # (0.5: their mean), and whether leading question words are left out of the English text
        # the encoder embeds ("how do rural municipalities ..." -> "rural municipalities ...").
        self.pseudo_weight = PSEUDO_WEIGHT
        self.strip_question = STRIP_QUESTION
        self.pseudo_context = PSEUDO_CONTEXT  # translations of the pseudo-query chosen by co-occurrence

    def retrieve(self, query: Query) -> Ranking:
        """The ``query.depth`` best passages inside ``query.mask`` by dense score, best
        first (``rank``); encodes the query on first use."""
        return self.rank(query.vector, query.depth, query.mask)

    def encode(self, text: str, lang: str = "de") -> Encoding:
        """Query vector float32 (dim,), L2-normalised, and content token vectors float32
        (t, dim) when late interaction is on (else None), cached per language and text.

        Uses the e5 "query: " prompt (``Embedder.encode_queries`` / ``encode_with_tokens``);
        token vectors leave out the embedder's ``query_token_trim`` (prompt and special
        tokens) and, for English, are the tokens of both texts concatenated.

        An English query is embedded together with its German pseudo-query
        (``index.search.translate.german_query``); the two vectors are averaged (the
        pseudo-query weighing ``pseudo_weight``) and their tokens pooled, which lifts English
        nDCG@10 markedly (see eval/REPORT.md).
        """
        key = f"{lang}\x00{self.pseudo_weight}\x00{self.strip_question}\x00{self.pseudo_context}\x00{text}"
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        texts = [text]
        weights = [1.0]
        if lang == "en":
            if self.strip_question:
                texts[0] = _QUESTION_LEAD.sub("", text).strip() or text
            german = german_query(text, self.snapshot.translations, self.snapshot.surface_forms,
                                  self.snapshot.bm25.postings if self.pseudo_context else None)
            if german:
                texts.append(german)
                weights = [1.0 - self.pseudo_weight, self.pseudo_weight]
        if self.late_interaction:
            vecs, toks = self.embedder.encode_with_tokens(texts, "query")
            head, tail = getattr(self.embedder, "query_token_trim", (0, 0))
            if len(toks) == 2 and MAXSIM_TEXTS != "both":
                toks = [toks[1] if MAXSIM_TEXTS == "german" else toks[0]]
            tokens = np.concatenate([t[head : len(t) - tail] if len(t) > head + tail else t for t in toks])
        else:
            vecs, tokens = self.embedder.encode_queries(texts), None
        vec = np.average(vecs, axis=0, weights=weights)
        value = (vec / (np.linalg.norm(vec) + 1e-12), tokens)
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > QUERY_CACHE_SIZE:
                self._cache.popitem(last=False)
        return value

    def clear_cache(self) -> None:
        """Forget cached query encodings (for latency measurements)."""
        with self._lock:
            self._cache.clear()

    def rank(self, q: np.ndarray, depth: int, mask: np.ndarray | None) -> Ranking:
        """Passages by max(passage score, best window score), best first.

        :param q: query vector (dim,), L2-normalised.
        :param depth: number of passages returned (at most).
        :param mask: bool (n_passages,) of allowed passages, or None for all.
        :returns: up to ``depth`` ``(passage index, cosine)``, best first, ties by index.

        The snapshot's vector backend (``index.ann``) returns ``depth`` passages and
        ``depth * WINDOW_FANOUT`` windows; a window's owner gets its exact passage cosine and
        then the max. A mask is searched inside the backends (``allowed`` ids; exact below
        ``filter_exact_max`` allowed vectors, see ``index.ann.subset``).
        """
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
            owners = [int(o) for o in snap.windows.owner[wids[0][keep]]]
            missing = sorted({o for o in owners if o not in found})
            if missing:  # the owner's own cosine, read through the store (index.store)
                for owner, vec in zip(missing, snap.passage_vectors(np.asarray(missing, dtype=np.int64))):
                    found[owner] = float(np.dot(vec, q))
            for owner, s in zip(owners, wscores[0][keep]):
                found[owner] = max(found[owner], float(s))
        ranking = sorted(found.items(), key=lambda item: (-item[1], item[0]))
        return ranking[:depth]

