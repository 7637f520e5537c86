"""The Haystack peer end to end on the tiny fixture snapshot (real model; haystack optional)."""

from __future__ import annotations

import pytest

from eval.judgments import load_judgments
from eval.run import evaluate

pytestmark = pytest.mark.slow
pytest.importorskip("haystack", reason="the Haystack peer is optional: pip install -e '.[peer]'")


def test_haystack_systems_rank_snapshot_passages(tiny_searcher, tiny_settings, tiny_judgments_path):
    from eval.peer_haystack import SYSTEMS, haystack_systems

    systems = haystack_systems(tiny_searcher, tiny_settings, SYSTEMS)
    hits = systems["haystack"]("Koordinierungsstelle Integration Müllheim", 3)
    assert 1 <= len(hits) <= 3
    assert all(tiny_searcher.passage_index(p.id) is not None for p in hits)
    # The tiny snapshot holds HashEmbedder vectors, so the spot check must refuse to reuse them.
    assert "embedded by Haystack" in systems["haystack-ctx"].description
    results = evaluate(tiny_searcher, load_judgments(tiny_judgments_path), list(SYSTEMS), extra_systems=systems)
    assert results["systems"]["haystack-bm25"]["per_query"]["t3"]["mrr@10"] == 1.0
    assert results["systems"]["haystack-dense"]["overall"]["entry_recall@10"] > 0
