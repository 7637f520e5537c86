"""Each search component alone, on hand-computed rankings.

The components (``index.search``): ``BM25Retriever``, ``DenseRetriever``, ``Fusion`` and
``MaxSimReranker``. Inputs are tiny and exact, so every expected ranking below was
worked out by hand (the arithmetic is in the comments).
"""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import ConfigError
from core.schema import Passage
from index import ann
from index.bm25 import BM25Index
from index.multivector import TokenStore
from index.search.dense import DenseRetriever
from index.search.fusion import Fusion, canonical_mode, fuse
from index.search.lexical import BM25Retriever
from index.search.query import Query
from index.search.rerank import MaxSimReranker
from index.snapshot import Snapshot


def _snapshot(texts: list[str], vectors: np.ndarray, tokens: TokenStore | None = None) -> Snapshot:
    passages = [Passage(f"p{i}", "d", "Dok", t, 1, ["A"], 0, len(t), i) for i, t in enumerate(texts)]
    dense = ann.create("numpy", vectors.shape[1])
    dense.add(vectors)
    manifest = {"snapshot_id": "t", "model": {"name": "hand", "fingerprint": "h", "dim": vectors.shape[1]}}
    return Snapshot(None, manifest, [], passages, vectors, dense, BM25Index().build(texts), tokens=tokens)


def _unit(*rows) -> np.ndarray:
    m = np.asarray(rows, dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_dense_retriever_ranks_by_cosine_and_respects_the_mask():
    # passages along (1,0), (0.6,0.8), (0,1); the query (1,0) scores 1.0, 0.6, 0.0
    vectors = _unit([1, 0], [0.6, 0.8], [0, 1])
    snap = _snapshot(["a", "b", "c"], vectors)
    retriever = DenseRetriever(snap, embedder=None, late_interaction=False)
    q = Query("x", "de", depth=3, encode=lambda text, lang: (np.array([1, 0], dtype=np.float32), None))
    assert [(i, round(s, 4)) for i, s in retriever.retrieve(q)] == [(0, 1.0), (1, 0.6), (2, 0.0)]
    q.mask = np.array([False, True, True])
    assert [i for i, _ in retriever.retrieve(q)] == [1, 2]
    q.depth = 1
    assert [i for i, _ in retriever.retrieve(q)] == [1]


def test_bm25_retriever_orders_by_term_weight_and_drops_zero_scores():
    # "Sprachkurs" occurs in passages 0 and 2, "Ehrenamt" only in 1; passage 2 is longer,
    # so with equal term frequency BM25 length normalisation ranks 0 above 2.
    texts = ["Sprachkurs Kita", "Ehrenamt Koordination Verein", "Sprachkurs Sprachkurs Wohnen Arbeit Schule Verein"]
    snap = _snapshot(texts, _unit([1, 0], [0, 1], [1, 1]))
    retriever = BM25Retriever(snap, typo_tolerance=False)
    ranking = retriever.retrieve(Query("Sprachkurs", "de", depth=10))
    assert [i for i, _ in ranking] == [2, 0]  # tf 2 in passage 2 beats its length penalty
    assert 1 not in dict(ranking)  # no matching term: no score, not returned
    masked = retriever.retrieve(Query("Sprachkurs", "de", depth=10, mask=np.array([True, True, False])))
    assert [i for i, _ in masked] == [0]


def test_fusion_minmax_by_hand():
    dense = [(0, 0.9), (1, 0.5), (2, 0.1)]  # normalised: 1.0, 0.5, 0.0
    bm25 = [(2, 8.0), (1, 4.0)]  # normalised: 1.0, 0.0
    fusion = Fusion("minmax", dense_weight=0.5, dense_weight_en=0.4)
    fused = fusion("de", {"dense": dense, "bm25": bm25})
    # 0: .5*1 = .5 ; 1: .5*.5 + .5*0 = .25 ; 2: .5*0 + .5*1 = .5 -> tie 0/2 broken by index
    assert [(i, round(s, 6)) for i, s in fused] == [(0, 0.5), (2, 0.5), (1, 0.25)]
    fused_en = fusion("en", {"dense": dense, "bm25": bm25})
    # English: dense .4, BM25 .6 -> 0: .4 ; 1: .2 ; 2: .6
    assert [(i, round(s, 6)) for i, s in fused_en] == [(2, 0.6), (0, 0.4), (1, 0.2)]
    assert fusion("de", {"bm25": bm25}) == bm25  # one ranking passes through


def test_fusion_rrf_by_hand_and_the_old_name():
    dense, bm25 = [(0, 0.9), (1, 0.5)], [(1, 3.0), (2, 2.0)]
    fused = Fusion("rrf", 0.5, 0.5, rrf_k=60)("de", {"dense": dense, "bm25": bm25})
    # 1: .5/62 + .5/61 ; 0: .5/61 ; 2: .5/62
    assert [i for i, _ in fused] == [1, 0, 2]
    assert fused[0][1] == pytest.approx(0.5 / 62 + 0.5 / 61)
    assert canonical_mode("weighted") == "minmax"
    assert fuse("weighted", [dense, bm25]) == fuse("minmax", [dense, bm25])
    with pytest.raises(ConfigError, match="minmax"):
        Fusion("borda", 0.5, 0.5)


def test_maxsim_reranker_by_hand():
    # passage 0 tokens: (1,0); passage 1 tokens: (0,1), (1,0); query tokens (1,0), (0,1)
    # MaxSim 0: mean(1, 0) = .5 ; MaxSim 1: mean(1, 1) = 1.0
    tokens = TokenStore(np.array([[1, 0], [0, 1], [1, 0]], dtype=np.float16), np.array([0, 1, 3]))
    snap = _snapshot(["a", "b"], _unit([1, 0], [0, 1]), tokens)
    reranker = MaxSimReranker(snap.tokens, depth=2, weight=0.5)
    q = Query("x", "de", depth=2,
              encode=lambda t, l: (np.array([1, 0], np.float32), np.array([[1, 0], [0, 1]], np.float32)))
    first = [(0, 0.8), (1, 0.6), (5, 0.1)]
    ranking, scores = reranker.rerank(q, first)
    assert [(i, round(s, 4)) for i, s in scores] == [(1, 1.0), (0, 0.5)]
    # head min-max: first stage 0 -> 1, 1 -> 0; MaxSim 1 -> 1, 0 -> 0; weights .5/.5 -> both .5, tie by index
    assert [i for i, _ in ranking] == [0, 1, 5] and ranking[0][1] == ranking[1][1] == pytest.approx(0.5)
    assert ranking[2] == (5, 0.1)  # the tail below depth keeps its place and score
    none = MaxSimReranker(None, depth=2, weight=0.5)
    assert none.rerank(q, first) == (first, [])


def test_maxsim_weight_for_english_queries_by_hand():
    # as above; English queries weigh MaxSim .8: 0 -> .2*1 + .8*0 = .2 ; 1 -> .2*0 + .8*1 = .8
    tokens = TokenStore(np.array([[1, 0], [0, 1], [1, 0]], dtype=np.float16), np.array([0, 1, 3]))
    snap = _snapshot(["a", "b"], _unit([1, 0], [0, 1]), tokens)
    reranker = MaxSimReranker(snap.tokens, depth=2, weight=0.5, weight_en=0.8)
    encode = lambda t, l: (np.array([1, 0], np.float32), np.array([[1, 0], [0, 1]], np.float32))  # noqa: E731
    ranking, _ = reranker.rerank(Query("x", "en", depth=2, encode=encode), [(0, 0.8), (1, 0.6)])
    assert [(i, round(s, 4)) for i, s in ranking] == [(1, 0.8), (0, 0.2)]
    ranking, _ = reranker.rerank(Query("x", "de", depth=2, encode=encode), [(0, 0.8), (1, 0.6)])
    assert ranking[0][1] == ranking[1][1] == pytest.approx(0.5)


def test_fusion_dense_weight_by_query_kind_by_hand():
    dense = [(0, 0.9), (1, 0.5), (2, 0.1)]  # normalised: 1.0, 0.5, 0.0
    bm25 = [(2, 8.0), (1, 4.0)]  # normalised: 1.0, 0.0
    fusion = Fusion("minmax", 0.5, 0.4, kind_weights={"en-keyword": 0.3})
    # English keyword query: dense .3, BM25 .7 -> 0: .3 ; 1: .15 ; 2: .7
    assert [(i, round(s, 6)) for i, s in fusion("en", {"dense": dense, "bm25": bm25}, "keyword")] == [
        (2, 0.7), (0, 0.3), (1, 0.15)]
    # other kinds keep the language's weight
    assert fusion("en", {"dense": dense, "bm25": bm25}, "question") == fusion("en", {"dense": dense, "bm25": bm25})


@pytest.mark.parametrize("query, form", [
    ("small town turns an old daycare building into a drop-in hub for newcomers", "statement"),
    ("niedersächsische Großstadt lässt ihre Integrationsarbeit von Migrationsforschenden spiegeln", "statement"),
    ("How do rural towns organise volunteers", "question"),
    ("small town turns an old daycare building into a hub?", "question"),
    ("Wie organisieren ländliche Gemeinden Ehrenamtliche", "question"),
    ("Mitfahrerbänke Elm-Asse", "keyword"),
    ("volunteer coordination", "keyword"),
])
def test_query_form_tells_statements_from_questions(query, form):
    from index.search.kinds import query_form, query_kind

    assert query_form(query) == form
    assert query_kind(query) == ("keyword" if form == "keyword" else "question")  # the hit count's kinds
