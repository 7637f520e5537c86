import pytest

from index.search.fusion import fuse, rrf, weighted
from core.errors import ConfigError


def test_rrf_hand_computed():
    dense = [(1, 0.9), (2, 0.8), (3, 0.7)]
    bm25 = [(3, 12.0), (1, 5.0)]
    fused = rrf([dense, bm25], k=60)
    expected = {1: 1 / 61 + 1 / 62, 2: 1 / 62, 3: 1 / 63 + 1 / 61}
    assert [i for i, _ in fused] == [1, 3, 2]
    for idx, score in fused:
        assert score == pytest.approx(expected[idx])


def test_rrf_weights_and_ties_by_index():
    a = [(5, 1.0)]
    b = [(4, 1.0)]
    assert [i for i, _ in rrf([a, b], k=60)] == [4, 5]  # equal scores: lower index first
    assert [i for i, _ in rrf([a, b], k=60, weights=[1.0, 0.5])] == [5, 4]


def test_weighted_min_max():
    dense = [(1, 0.9), (2, 0.5)]
    bm25 = [(2, 10.0), (3, 0.0)]
    fused = dict(weighted([dense, bm25], weights=[0.5, 0.5]))
    assert fused[1] == pytest.approx(0.5)
    assert fused[2] == pytest.approx(0.5)
    assert fused[3] == pytest.approx(0.0)


def test_unknown_mode_lists_valid_ones():
    with pytest.raises(ConfigError, match="rrf, weighted"):
        fuse("borda", [[(1, 1.0)]])


def test_empty_rankings():
    assert rrf([[], []]) == []
    assert weighted([[], [(1, 2.0)]]) == [(1, 1.0)]
