"""The one search function: the API, the web page, the CLI and eval all call ``Searcher.search``."""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index.analyzer import analyze, detect_language, words
from index.bm25 import top_k
from index.search.dense import DenseArm
from index.search.fusion import fuse
from index.snapshot import Snapshot
from index.search.translate import ENGLISH_STOPWORDS, translation_groups, weigh_translations
from index.search.typo import TypoCorrector
from core.errors import BadRequest
from ingest.kinds import REFERENCE
from core.schema import Hit, Passage
from core.settings import Settings

MODES = ("hybrid", "dense", "bm25")


@dataclass
class Filters:
    """Restrictions on the passages a search may return; None means no restriction."""

    doc_ids: list[str] | None = None
    bundesland: str | None = None
    municipality_type: str | None = None
    min_population: int | None = None
    max_population: int | None = None
    theme: str | None = None
    municipality: str | None = None
    # With a population bound: keep municipalities whose population is unknown ("ohne Angabe").
    include_unknown_population: bool | None = None

    def __post_init__(self) -> None:
        """Text values in NFC, so a decomposed "Thu\u0308ringen" (macOS input) equals "Thüringen"."""
        for name, value in self.__dict__.items():
            if isinstance(value, str):
                setattr(self, name, nfc(value))
            elif isinstance(value, list):
                setattr(self, name, [nfc(v) if isinstance(v, str) else v for v in value])

    def active(self) -> bool:
        return any(v not in (None, [], "") for v in self.__dict__.values())


def nfc(text: str) -> str:
    """Unicode NFC: composed characters ("u" + U+0308 -> "ü"); the form the index and catalogue use."""
    return unicodedata.normalize("NFC", text)


@dataclass
class SearchResult:
    query: str
    mode: str
    k: int
    language: str
    hits: list[Hit]
    took_ms: float
    snapshot_id: str
    filters: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "mode": self.mode,
            "k": self.k,
            "language": self.language,
            "took_ms": round(self.took_ms, 2),
            "snapshot_id": self.snapshot_id,
            "filters": self.filters,
            "hits": [h.to_dict() for h in self.hits],
        }


class UnknownDocument(BadRequest):
    """A ``doc`` filter names no indexed document: 404 like every other unknown id."""

    code = "not_found"
    http_status = 404


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_query(query: Any, max_chars: int) -> str:
    """The query as searched: NFKC (composed umlauts, ligatures unfolded, full-width forms
    narrowed), control characters as spaces, stripped. Raises ``BadRequest`` (English
    message) for a non-string, over-long, empty or word-less query."""
    if not isinstance(query, str):
        raise BadRequest("query must be a string")
    if len(query) > max_chars:  # as sent (the published schema's maxLength); NFKC may expand it a little
        raise BadRequest(f"query is too long: {len(query)} characters, at most {max_chars} allowed")
    text = unicodedata.normalize("NFKC", query)
    text = _CONTROL.sub(" ", text).strip()
    if not text:
        raise BadRequest("query is empty")
    if not re.search(r"\w", text):
        raise BadRequest("query has no words (only punctuation or symbols)")
    return text


class Searcher:
    def __init__(self, snapshot: Snapshot, embedder, settings: Settings, catalogue=None):
        self.snapshot = snapshot
        self.embedder = embedder
        self.settings = settings
        self.catalogue = catalogue
        self.passages: list[Passage] = snapshot.passages
        self._doc_of = np.array([p.doc_id for p in self.passages])
        self._by_id = {p.id: i for i, p in enumerate(self.passages)}
        self._reference = np.array([p.meta.get("kind") == REFERENCE for p in self.passages], dtype=bool)
        self.dense = DenseArm(snapshot, embedder, settings.late_interaction)
        self._typo: TypoCorrector | None = None

    def clear_cache(self) -> None:
        """Forget cached query vectors (for latency measurements)."""
        self.dense.clear_cache()

    def passage_index(self, passage_id: str) -> int | None:
        return self._by_id.get(passage_id)

    def search(self, query: str, k: int = 10, mode: str = "hybrid", filters: Filters | None = None) -> SearchResult:
        t0 = time.perf_counter()
        text = clean_query(query, self.settings.max_query_chars)
        if mode not in MODES:
            raise BadRequest(f"unknown mode {mode!r}; choose one of: {', '.join(MODES)}")
        if not isinstance(k, int) or not 1 <= k <= self.settings.max_k:
            raise BadRequest(f"k must be between 1 and {self.settings.max_k}")
        filters = filters or Filters()
        mask = self._mask(filters)
        lang = detect_language(text)
        depth = max(self.settings.candidate_depth, k)
        rankings, names = [], []
        q_tokens = None
        if mode in ("hybrid", "dense"):
            q_vec, q_tokens = self.dense.encode(text, lang)
            rankings.append(self.dense.rank(q_vec, depth, mask))
            names.append("dense")
        if mode in ("hybrid", "bm25"):
            rankings.append(top_k(self.snapshot.bm25.weighted_scores(self.bm25_weights(text, lang)), depth, mask))
            names.append("bm25")
        if len(rankings) == 1:
            fused = rankings[0]
        else:
            w = self.settings.hybrid_dense_weight_en if lang == "en" else self.settings.hybrid_dense_weight
            fused = fuse(self.settings.fusion, rankings, [w, 1.0 - w], rrf_k=self.settings.rrf_k)
            reranked = self.dense.rerank(q_tokens, fused[: self.settings.rerank_depth])
            if reranked:
                rankings.append(reranked)
                names.append("maxsim")
                head = fuse("weighted", [fused[: self.settings.rerank_depth], reranked],
                            [1.0 - self.settings.rerank_weight, self.settings.rerank_weight])
                fused = head + fused[self.settings.rerank_depth :]
        fused = self._demote_reference(fused)
        arm_scores = [dict(r) for r in rankings]
        hits = []
        for rank, (idx, score) in enumerate(fused[:k], start=1):
            per_arm = {name: s[idx] for name, s in zip(names, arm_scores) if idx in s}
            hits.append(Hit(self.passages[idx], score, rank, per_arm))
        took = (time.perf_counter() - t0) * 1000
        return SearchResult(text, mode, k, lang, hits, took, self.snapshot.id,
                            {k_: v for k_, v in filters.__dict__.items() if v not in (None, [], "")})

    def _demote_reference(self, ranking: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """Multiply the scores of reference passages (``ingest.kinds``) by
        ``settings.reference_weight`` and re-sort (stable), so address lists and
        bibliographies rank below prose that scores about as well."""
        factor = self.settings.reference_weight
        if factor == 1.0 or not self._reference.any():
            return ranking
        out = [(i, s * factor if self._reference[i] else s) for i, s in ranking]
        out.sort(key=lambda x: -x[1])
        return out

    def bm25_weights(self, text: str, lang: str) -> dict[str, float]:
        """BM25 query terms with weights: 1 for the query's own terms; for English queries
        also German translations, weighted by ``index.search.translate.weigh_translations``."""
        if lang != "en":
            weights = dict.fromkeys(analyze(text), 1.0)
            return self.typo.expand(weights) if self.settings.typo_tolerance else weights
        # keep English words that may be names ("Elm-Asse"), drop English function words
        content = " ".join(w for w in words(text) if w not in ENGLISH_STOPWORDS)
        weights = dict.fromkeys((t for t in analyze(content) if t not in ENGLISH_STOPWORDS), 1.0)
        groups = translation_groups(text, self.snapshot.translations)
        for term, weight in weigh_translations(groups, self.snapshot.bm25.postings).items():
            weights[term] = max(weights.get(term, 0.0), weight)
        return weights

    @property
    def typo(self) -> TypoCorrector:
        """Typo corrections over this snapshot's BM25 vocabulary (built on first use)."""
        if self._typo is None:
            self._typo = TypoCorrector(self.snapshot.bm25.vocabulary)
        return self._typo

    def _catalogue_passages(self, f: Filters) -> set[str]:
        """Passages about municipalities that pass the filters (for a theme: its evidence passages)."""
        from index.municipalities.taxonomy import canonical_theme

        munis = self.catalogue.filter(bundesland=f.bundesland or None, type=f.municipality_type or None,
                                      min_population=f.min_population, max_population=f.max_population,
                                      theme=f.theme or None,
                                      include_unknown_population=bool(f.include_unknown_population))
        if f.municipality:
            wanted = self.catalogue.resolve(f.municipality).id
            munis = [m for m in munis if m.id == wanted]
        theme = canonical_theme(f.theme) if f.theme else None
        ids: set[str] = set()
        for m in munis:
            ids.update(m.theme_evidence.get(theme, []) if theme else m.passages)
        return ids

    def _mask(self, filters: Filters) -> np.ndarray | None:
        if not filters.active():
            return None
        mask = np.ones(len(self.passages), dtype=bool)
        if filters.doc_ids:
            known = {d.id for d in self.snapshot.documents}
            unknown = [d for d in filters.doc_ids if d not in known]
            if unknown:
                raise UnknownDocument(f"unknown document id(s): {', '.join(unknown)}", detail={"known": sorted(known)})
            mask &= np.isin(self._doc_of, filters.doc_ids)
        municipal = (filters.bundesland, filters.municipality_type, filters.min_population,
                     filters.max_population, filters.theme, filters.municipality)
        if any(v not in (None, "") for v in municipal):
            if self.catalogue is None:
                raise BadRequest("municipality filters need the municipality catalogue, which this snapshot lacks")
            ids = self._catalogue_passages(filters)
            allowed = np.zeros(len(self.passages), dtype=bool)
            for pid in ids:
                i = self._by_id.get(pid)
                if i is not None:
                    allowed[i] = True
            mask &= allowed
        return mask
