"""The BM25 index: weighted query terms and postings."""

from __future__ import annotations

import numpy as np

from index.analyzer import analyze
from index.bm25 import BM25Index

TEXTS = ["Die Gemeinde fördert Sprachkurse.", "Gemeinde und Kommune arbeiten zusammen.", "Der Wettbewerb der Kommune."]


def test_weighted_scores_scale_each_term_and_count_it_once():
    bm25 = BM25Index().build(TEXTS)
    gemeinde, kommune = analyze("Gemeinde")[0], analyze("Kommune")[0]
    assert np.allclose(bm25.weighted_scores({gemeinde: 1.0, kommune: 1.0}), bm25.scores([gemeinde, kommune]))
    half = bm25.weighted_scores({gemeinde: 1.0, kommune: 0.5})
    assert np.allclose(half, bm25.scores([gemeinde]) + 0.5 * bm25.scores([kommune]))
    assert not bm25.weighted_scores({"unbekannt": 1.0}).any()


def test_postings_list_the_passages_containing_a_term():
    bm25 = BM25Index().build(TEXTS)
    assert bm25.postings(analyze("Kommune")[0]).tolist() == [1, 2]
    assert bm25.postings("unbekannt").size == 0
