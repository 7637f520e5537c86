"""The one search function: the API, the web page, the CLI and eval all call ``Searcher.search``.

``Searcher.search`` chains named components, each replaceable behind a small protocol:

    retrievers (``BM25Retriever``, ``DenseRetriever``)  ->  fusion (``Fusion``: min-max or RRF)
    ->  reranker (``MaxSimReranker``)  ->  reference demotion  ->  hits

Where to change what: fusion weights are settings (``hybrid_dense_weight``,
``hybrid_dense_weight_en`` in ``core/settings.py``), the fusion itself is
``index/search/fusion.py``, filters are ``index/search/filters.py``.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from core.errors import BadRequest
from core.schema import Hit, Passage
from core.settings import Settings
from index.search.answer import Answer, analyse
from index.search.dense import DenseRetriever
from index.search.filters import Allowed, FilterMask, Filters, UnknownDocument
import index.search.kinds as kinds
from index.search.fusion import Fusion, Ranking
from index.search.kinds import query_form, query_language, reference_weight
from index.search.lexical import BM25Retriever
from index.search.normalize import QueryNormalizer
from index.search.query import Query, check_k, clean_query, nfc
from index.search.rerank import MaxSimReranker, Reranker
from index.search.typo import TypoCorrector
from index.snapshot import Snapshot
from ingest.kinds import REFERENCE

MODES = ("hybrid", "dense", "bm25")
ANALYSIS_CACHE_SIZE = 256  # query analyses (normalisation, BM25 terms) kept per Searcher
RETRIEVERS_BY_MODE = {"hybrid": ("dense", "bm25"), "dense": ("dense",), "bm25": ("bm25",)}

__all__ = ["Allowed", "Answer", "Filters", "MODES", "SearchResult", "Searcher", "UnknownDocument", "clean_query", "nfc"]


class Retriever(Protocol):
    """First-stage retrieval: ``retrieve(query)`` -> up to ``query.depth`` passages inside
    ``query.mask`` as ``(passage index, score)``, best first."""

    name: str

    def retrieve(self, query: Query) -> Ranking:
        """Up to ``query.depth`` ``(passage index, score)`` pairs inside ``query.mask``, best
        first; indices are rows of ``Snapshot.passages``, scores on the retriever's own scale."""
        ...


@dataclass
class SearchResult:
    """The whole answer to one search: the hits, best first, how they were found, the
    verdict and the allowed set, all from one ``Query``.

    ``took_ms`` is wall time in milliseconds; ``filters`` holds the restrictions that were
    set; ``language`` is the detected query language ("de" or "en"). ``prepared`` is the
    ``Query`` the components shared (its BM25 analysis and encoding computed once);
    ``allowed`` the ``Allowed`` set of the filters (passage mask and municipality ids; None
    without filters). ``verdict`` (count, no-match, suggestions, query terms:
    ``index.search.answer.Answer``) is computed on first read from the same ``Query``, so a
    ranking-only caller (eval) never pays for it."""

    query: str
    mode: str
    k: int
    language: str
    hits: list[Hit]
    took_ms: float
    snapshot_id: str
    filters: dict[str, Any] = field(default_factory=dict)
    prepared: Query | None = field(default=None, repr=False, compare=False)
    allowed: Allowed | None = field(default=None, repr=False, compare=False)
    judge: Callable[["SearchResult"], Answer] | None = field(default=None, repr=False, compare=False)
    _verdict: Answer | None = field(default=None, repr=False, compare=False)

    @property
    def verdict(self) -> Answer:
        """The ``Answer`` on this result (``index.search.answer.analyse``), computed once.

        Count it over a ranking searched deep enough (``settings.search.max_k`` hits). Raises
        ``RuntimeError`` for a result built without a ``judge`` (not by ``Searcher.search``)."""
        if self._verdict is None:
            if self.judge is None:
                raise RuntimeError("this result has no verdict")
            self._verdict = self.judge(self)
        return self._verdict

    def to_dict(self) -> dict[str, Any]:
        """The API's JSON shape of the result (``service.schemas.SearchResponse``)."""
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


class Searcher:
    """Hybrid search over one snapshot.

    :param snapshot: the loaded ``index.snapshot.Snapshot``.
    :param embedder: an ``index.model.embedder.Embedder`` (the real e5 model, or the
        tiny ``HashEmbedder`` in tests).
    :param settings: fusion mode and weights, depths, rerank weight, limits.
    :param catalogue: the municipality catalogue (``index.municipalities.Catalogue``),
        needed for municipality filters; None disables them.
    :raises ConfigError: unknown ``settings.search.fusion`` mode.

    Holds the components (``retrievers``, ``fusion``, ``reranker``, ``filter_mask``) as
    attributes, so a test or an experiment can replace one.
    """

    def __init__(self, snapshot: Snapshot, embedder, settings: Settings, catalogue=None,
                 previous: "Searcher | None" = None, keep: np.ndarray | None = None):
        """``previous`` and ``keep`` (bool, one per passage of ``previous``): ``snapshot``'s
        passages are ``previous``'s where ``keep`` is true, in order, followed by new ones
        (a delta reload, ``index.runtime.refresh_searcher``); the per-passage tables of the
        kept passages are then taken from ``previous`` and computed only for the new ones
        (at 500,000 passages computing them all took ~2.5 s of every delta reload). Both
        None: everything computed."""
        self.snapshot = snapshot
        self.embedder = embedder
        self.settings = settings
        self.catalogue = catalogue
        self.passages: list[Passage] = snapshot.passages
        reuse = previous is not None and keep is not None
        fresh = self.passages[int(np.count_nonzero(keep)):] if reuse else self.passages

        def per_passage(name: str, value) -> np.ndarray:
            new = np.fromiter((value(p) for p in fresh), dtype=bool, count=len(fresh))
            return np.concatenate([getattr(previous, name)[keep], new]) if reuse else new

        self._reference = per_passage("_reference", lambda p: p.meta.get("kind") == REFERENCE)
        self._question_lists = per_passage("_question_lists", lambda p: kinds.is_question_list(p.text))
        self.dense = DenseRetriever(snapshot, embedder, settings.search.late_interaction)
        self.bm25 = BM25Retriever(snapshot, settings.search.typo_tolerance)
        self.retrievers: dict[str, Retriever] = {"dense": self.dense, "bm25": self.bm25}
        self.fusion = Fusion(settings.search.fusion, settings.search.hybrid_dense_weight, settings.search.hybrid_dense_weight_en,
                             settings.search.rrf_k)
        self.reranker: Reranker = MaxSimReranker(snapshot.tokens if self.dense.late_interaction else None,
                                                 settings.search.rerank_depth, settings.search.rerank_weight,
                                                 settings.search.rerank_weight_en)
        self.filter_mask = FilterMask(self.passages, snapshot.documents, catalogue,
                                      previous=previous.filter_mask if reuse else None, keep=keep if reuse else None)
        self._by_id = self.filter_mask._by_id  # passage id -> position; the same table (neither changes it)
        self.normalizer = QueryNormalizer([p.text for p in self.passages], snapshot.bm25.vocabulary,
                                          self.bm25.typo if settings.search.typo_tolerance else None,
                                          english=frozenset(w for w in snapshot.translations if " " not in w))
        # query analyses, LRU: (text, lang) -> normalised text; (normalised, lang) -> BM25 weights
        self._normalized: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._weights: OrderedDict[tuple[str, str], dict[str, float]] = OrderedDict()
        self._analysis_lock = threading.Lock()

    def search(self, query: str, k: int = 10, mode: str = "hybrid", filters: Filters | None = None) -> SearchResult:
        """The ``k`` best passages for ``query``.

        :param query: German or English text, at most ``settings.search.max_query_chars``
            characters; cleaned by ``clean_query`` (NFKC, control characters removed).
        :param k: number of hits, 1 .. ``settings.search.max_k``.
        :param mode: "hybrid" (dense + BM25, fused, MaxSim-reranked), "dense" or "bm25".
        :param filters: restrict to documents or to passages about matching municipalities.
        :returns: ``SearchResult`` with up to ``k`` hits, best first (fewer when fewer
            passages match). Each hit carries its final score and each component's own
            score: ``dense`` (cosine, max over passage and its sentence windows), ``bm25``
            (Okapi BM25, unbounded), ``maxsim`` (mean best token cosine; only for the
            reranked head). The final score: in hybrid mode the fused score (min-max: in
            [0, 1]; RRF: sum of weight / (rrf_k + rank)), re-fused with MaxSim (min-max, in
            [0, 1]) for the first ``rerank_depth``; in dense or bm25 mode that retriever's
            score. Reference passages' scores are multiplied by ``reference_weight``.
        :raises BadRequest: empty, word-less or over-long query; unknown mode; k out of range;
            municipality filters without a catalogue; unknown Bundesland, type or theme, or
            an ambiguous municipality (from the catalogue).
        :raises UnknownDocument: a ``doc_ids`` filter names no indexed document (code
            ``not_found``, HTTP 404).
        :raises NotFound: the ``municipality`` filter names no catalogue municipality.

        Method: each retriever returns up to ``max(candidate_depth, k)`` candidates; hybrid
        fuses them (``Fusion``), reranks the fused head (``MaxSimReranker``, when
        ``late_interaction`` is on and the snapshot has token vectors), then reference passages
        (address lists, bibliographies) are demoted by ``reference_weight``.
        """
        t0 = time.perf_counter()
        filters = filters or Filters()
        allowed = self.filter_mask.allowed(filters) if filters.active() else None
        q = self.prepare(query, k, mode, filters, allowed)
        rankings = self._retrieve(q, RETRIEVERS_BY_MODE[mode])
        fused = self.fusion(q.lang, rankings, q.kind)
        if len(rankings) > 1:
            fused, reranked = self.reranker.rerank(q, fused)
            if reranked:
                rankings[self.reranker.name] = reranked
        final = self._demote_reference(fused, q.text)
        return self._result(q, mode, k, final, rankings, filters, allowed, t0)

    def _retrieve(self, q: Query, names: tuple[str, ...]) -> dict[str, Ranking]:
        """Each named retriever's ranking, in ``names`` order. When the snapshot's parts answer
        from a database server (``snapshot.concurrent_retrieval``, the PostgreSQL store), the
        retrievers after the first run on a shared thread pool while the first runs here:
        the server works on both questions at once (each thread has its own connection), so
        the search waits for the slower arm, not for their sum. Rankings are the same."""
        if len(names) < 2 or not getattr(self.snapshot, "concurrent_retrieval", False):
            return {name: self.retrievers[name].retrieve(q) for name in names}
        first, *rest = names
        pending = {name: _retrieval_pool().submit(self.retrievers[name].retrieve, q) for name in rest}
        out = {first: self.retrievers[first].retrieve(q)}
        out.update({name: f.result() for name, f in pending.items()})
        return {name: out[name] for name in names}

    def prepare(self, query: str, k: int, mode: str, filters: Filters, allowed: Allowed | None = None) -> Query:
        """Validate the request and build the ``Query`` the components share: cleaned text,
        language ("de"/"en", ``index.analyzer.detect_language``), depth
        ``max(settings.search.candidate_depth, k)``, bool filter mask (n_passages,) or None, and the
        lazy dense encoding. Raises ``BadRequest``, ``UnknownDocument`` and ``NotFound`` as
        ``search`` does; encodes nothing itself. ``allowed``: the filters' ``Allowed`` set
        when the caller has it (else computed here)."""
        text = clean_query(query, self.settings.search.max_query_chars)
        if mode not in MODES:
            raise BadRequest(f"unknown mode {mode!r}; choose one of: {', '.join(MODES)}", cause="unknown_mode")
        check_k(k, self.settings.search.max_k)
        if allowed is None:
            allowed = self.filter_mask.allowed(filters)
        lang = self.language(text)
        return Query(text, lang, max(self.settings.search.candidate_depth, k), allowed.mask, self.dense.encode,
                     normalized=self.normalized(text, lang), kind=query_form(text), weigh=self._cached_weights)

    def language(self, text: str) -> str:
        """'de' or 'en' for a cleaned query (``index.search.kinds.query_language``: the marker
        words of ``index.analyzer.detect_language``, ties broken by this snapshot's English
        dictionary words and corpus terms where ``kinds.LEXICON_LANGUAGE`` says so)."""
        return query_language(text, self.normalizer.english, self.snapshot.bm25.vocabulary)

    def _result(self, q: Query, mode: str, k: int, ranking: Ranking, rankings: dict[str, Ranking],
                filters: Filters, allowed: Allowed | None, t0: float) -> SearchResult:
        scores = {name: dict(r) for name, r in rankings.items()}
        hits = []
        for rank, (idx, score) in enumerate(ranking[:k], start=1):
            per_component = {name: s[idx] for name, s in scores.items() if idx in s}
            hits.append(Hit(self.passages[idx], score, rank, per_component))
        took = (time.perf_counter() - t0) * 1000
        return SearchResult(q.text, mode, k, q.lang, hits, took, self.snapshot.id, filters.as_dict(),
                            prepared=q, allowed=allowed, judge=self._judge)

    def _judge(self, result: SearchResult) -> Answer:
        return analyse(self, result)

    def clear_cache(self) -> None:
        """Forget the cached query encodings (``DenseRetriever.clear_cache``) and query
        analyses (for latency measurements of new queries)."""
        self.dense.clear_cache()
        with self._analysis_lock:
            self._normalized.clear()
            self._weights.clear()

    def narrow(self, hits: list[Hit], allowed: Allowed) -> list[Hit]:
        """The ``hits`` (of this searcher's snapshot) that ``allowed`` keeps, in their order: the
        drill-down of a question's relevant hits by filters (all of them when nothing is
        filtered)."""
        if allowed.mask is None:
            return list(hits)
        return [h for h in hits if allowed.mask[self._by_id[h.passage.id]]]

    def passage_index(self, passage_id: str) -> int | None:
        """The row of ``passage_id`` in ``self.passages`` (and in every per-passage array of
        the snapshot: vectors, BM25 rows, masks), or None if unknown."""
        return self._by_id.get(passage_id)

    def _demote_reference(self, ranking: Ranking, text: str = "") -> Ranking:
        """Multiply the scores of reference passages (``ingest.kinds``) by
        ``settings.search.reference_weight`` (``index.search.kinds.reference_weight`` for the query
        ``text``), and those of passages made mostly of questions (``kinds.is_question_list``,
        while ``kinds.DEMOTE_QUESTION_LISTS``) by ``settings.search.reference_weight`` for every
        query; re-sort (stable), so address lists, bibliographies and questionnaires rank below
        prose that scores about as well."""
        factor = reference_weight(text, self.settings.search.reference_weight)
        questions = self.settings.search.reference_weight if kinds.DEMOTE_QUESTION_LISTS else 1.0
        if (factor == 1.0 or not self._reference.any()) and (questions == 1.0 or not self._question_lists.any()):
            return ranking
        out = [(i, s * factor if self._reference[i] else s * questions if self._question_lists[i] else s)
               for i, s in ranking]
        out.sort(key=lambda x: -x[1])
        return out

    def bm25_weights(self, text: str, lang: str) -> dict[str, float]:
        """BM25 query terms (analysed stems) -> weight for ``text`` in language ``lang``
        ("de"/"en"); see ``BM25Retriever.weights``. ``text`` should be cleaned (``clean_query``);
        it is normalised as a search normalises it (``index.search.normalize``). Analysed once
        per text (LRU of ``ANALYSIS_CACHE_SIZE``), shared with the searches of that text; the
        caller gets its own copy."""
        return dict(self._cached_weights(self.normalized(text, lang), lang))

    def bm25_concepts(self, text: str, lang: str) -> list[tuple[frozenset[str], ...]] | None:
        """The concepts of an English ``text`` (``BM25Retriever.concepts``: per English word,
        its stem or one German translation's stems), normalised as :meth:`bm25_weights`
        normalises it; None for German."""
        return self.bm25.concepts(self.normalized(text, lang), lang)

    def normalized(self, text: str, lang: str) -> str:
        """``text`` as both arms search it (``QueryNormalizer``), computed once per (text, lang)."""
        return self._memo(self._normalized, (text, lang), lambda: self.normalizer(text, lang).text)

    def _cached_weights(self, normalized: str, lang: str) -> dict[str, float]:
        """``BM25Retriever.weights`` of an already normalised text, computed once per (text, lang)."""
        return self._memo(self._weights, (normalized, lang), lambda: self.bm25.weights(normalized, lang))

    def _memo(self, cache: OrderedDict, key: tuple[str, str], compute):
        with self._analysis_lock:
            if key in cache:
                cache.move_to_end(key)
                return cache[key]
        value = compute()
        with self._analysis_lock:
            cache[key] = value
            while len(cache) > ANALYSIS_CACHE_SIZE:
                cache.popitem(last=False)
        return value

    @property
    def typo(self) -> TypoCorrector:
        """Typo corrections over this snapshot's BM25 vocabulary (``BM25Retriever.typo``)."""
        return self.bm25.typo


_POOL = None
_POOL_LOCK = threading.Lock()
RETRIEVAL_THREADS = 8  # concurrent arms across all searches of a process (database-backed stores)


def _retrieval_pool():
    """The process' thread pool for concurrent retriever calls (``Searcher._retrieve``), made on first use."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(RETRIEVAL_THREADS, thread_name_prefix="retrieve")
        return _POOL
