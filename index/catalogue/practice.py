"""Per-municipality practice vectors from passage embeddings.

``PracticeVectors`` keeps, for every municipality, the (unit) vectors of its passages.
``centroid(id)`` is their normalised mean; with a topic vector the mean is weighted by
``softmax(TEMPERATURE * cos(passage, topic))``, so the centroid leans towards what the
municipality does about that topic. The caller supplies the passage vectors (a NumPy
array aligned with the passage list) and, optionally, ``embed_query(text)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ingest.schema import Passage

TEMPERATURE = 10.0


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


class PracticeVectors:
    def __init__(
        self,
        members: dict[str, list[str]],
        passage_ids: Sequence[str],
        vectors: np.ndarray,
        embed_query: Callable[[str], np.ndarray] | None = None,
    ):
        if len(passage_ids) != len(vectors):
            raise ValueError(f"{len(passage_ids)} passage ids but {len(vectors)} vectors")
        vectors = np.asarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self._vectors = vectors / np.where(norms > 0, norms, 1.0)
        self._row = {pid: i for i, pid in enumerate(passage_ids)}
        self._ids = list(passage_ids)
        self._members = {
            mid: [self._row[p] for p in pids if p in self._row] for mid, pids in members.items()
        }
        self._members = {mid: rows for mid, rows in self._members.items() if rows}
        self.vectors = {mid: _unit(self._vectors[rows].mean(axis=0)) for mid, rows in self._members.items()}
        self._embed = embed_query
        self._cache: dict[str, np.ndarray] = {}

    @classmethod
    def from_catalogue(cls, catalogue, passages: Sequence[Passage], vectors: np.ndarray,
                       embed_query: Callable[[str], np.ndarray] | None = None) -> "PracticeVectors":
        members = {m.id: list(m.passages) for m in catalogue.municipalities}
        return cls(members, [p.id for p in passages], vectors, embed_query)

    def embed(self, text: str | None) -> np.ndarray | None:
        """Unit query vector for ``text`` (None without text or without ``embed_query``)."""
        if not text or self._embed is None:
            return None
        if text not in self._cache:
            vec = np.asarray(self._embed(text), dtype=np.float32).reshape(-1)
            self._cache[text] = _unit(vec)
        return self._cache[text]

    def centroid(self, mid: str | None, topic: np.ndarray | None = None) -> np.ndarray | None:
        rows = self._members.get(mid or "")
        if not rows:
            return None
        if topic is None:
            return self.vectors[mid]
        mat = self._vectors[rows]
        logits = TEMPERATURE * (mat @ topic)
        weights = np.exp(logits - logits.max())
        return _unit((weights / weights.sum()) @ mat)

    def relevance(self, mid: str, topic: np.ndarray) -> float | None:
        """Best cosine between one of the municipality's passages and the topic."""
        rows = self._members.get(mid)
        return None if not rows else float((self._vectors[rows] @ topic).max())

    def best_passages(self, mid: str, topic: np.ndarray, n: int = 3) -> list[str]:
        rows = self._members.get(mid)
        if not rows:
            return []
        sims = self._vectors[rows] @ topic
        order = sorted(range(len(rows)), key=lambda i: (-float(sims[i]), rows[i]))[:n]
        return [self._ids[rows[i]] for i in order]
