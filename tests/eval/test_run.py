"""eval.run / eval.cli / eval.report on a tiny HashEmbedder snapshot (no real model)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

from eval.cli import run_eval
from eval.judgments import load_judgments, parse_judgment
from eval.run import OUR_SYSTEMS, VALID_SYSTEMS, evaluate, parse_systems
from index.snapshot import manifest_hash
from core.errors import BadRequest, ConfigError

METRICS = ("ndcg@10", "recall@10", "mrr@10", "entry_recall@10")


@pytest.fixture(scope="module")
def tiny_results(tiny_searcher, tiny_judgments_path):
    judgments = load_judgments(tiny_judgments_path)
    return evaluate(tiny_searcher, judgments, list(OUR_SYSTEMS), k=10)


def test_report_shape_names_the_snapshot(tiny_results, tiny_searcher):
    snap = tiny_results["snapshot"]
    assert snap["id"] == tiny_searcher.snapshot.id
    assert snap["manifest_hash"] == manifest_hash(tiny_searcher.snapshot.manifest)
    assert snap["model"] == "hash-trigram-64"
    assert set(tiny_results["settings"]) >= {"fusion", "rrf_k", "candidate_depth"}
    assert tiny_results["k"] == 10 and tiny_results["date"]
    assert list(tiny_results["systems"]) == list(OUR_SYSTEMS)
    for system in tiny_results["systems"].values():
        assert set(system["overall"]) == set(METRICS) | {"queries"}
        assert all(0.0 <= system["overall"][m] <= 1.0 for m in METRICS)
        assert set(system["per_query"]) == {"t1", "t2", "t3"}
        assert set(system["by_kind"]) == {"question", "paraphrase", "keyword"}
        assert system["latency_ms"]["mean"] > 0


def test_per_language_split_averages_the_right_queries(tiny_results):
    for system in tiny_results["systems"].values():
        per_query, by_lang = system["per_query"], system["by_lang"]
        assert by_lang["de"]["queries"] == 2 and by_lang["en"]["queries"] == 1
        for m in METRICS:
            assert by_lang["en"][m] == pytest.approx(per_query["t2"][m], abs=1e-4)
            assert by_lang["de"][m] == pytest.approx((per_query["t1"][m] + per_query["t3"][m]) / 2, abs=1e-4)


def test_bm25_finds_the_exact_keyword_passage(tiny_results):
    # "Koordinierungsstelle Integration Müllheim" shares rare words with exactly one passage.
    row = tiny_results["systems"]["bm25"]["per_query"]["t3"]
    assert row["mrr@10"] == 1.0 and row["entry_recall@10"] >= 0.5


def _toy_judgments():
    rows = [
        {"id": "a", "query": "alpha beta gamma", "lang": "de", "kind": "keyword", "topic": "practice",
         "relevant": [{"doc": "d", "contains": "alpha"}, {"doc": "d", "contains": "beta"},
                      {"doc": "d", "contains": "gamma"}]},
        {"id": "b", "query": "delta", "lang": "en", "kind": "keyword", "topic": "practice",
         "relevant": [{"doc": "d", "contains": "delta"}]},
        {"id": "c", "query": "epsilon", "lang": "en", "kind": "question", "topic": "practice",
         "relevant": [{"doc": "d", "contains": "epsilon"}]},
    ]
    return [parse_judgment(r) for r in rows]


TOY_RUNS = {
    "alpha beta gamma": [("d", "p1", "alpha text"), ("d", "p2", "nothing here"), ("d", "p3", "beta text"),
                         ("e", "p9", "gamma, but from another document")],
    "delta": [("d", "p4", "unrelated"), ("d", "p5", "the delta passage")],
    "epsilon": [],
}


def test_ranx_scores_match_hand_computation(tiny_searcher):
    results = evaluate(tiny_searcher, _toy_judgments(), ["toy"], extra_systems={"toy": lambda q, k: TOY_RUNS[q]})
    pq = results["systems"]["toy"]["per_query"]
    # a: relevant at ranks 1 and 3, "gamma" never found -> one placeholder; ideal has 3 relevant items.
    ndcg_a = (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3) + 1 / math.log2(4))
    assert pq["a"]["ndcg@10"] == pytest.approx(ndcg_a, abs=1e-4)
    assert pq["a"]["mrr@10"] == 1.0
    assert pq["a"]["recall@10"] == pytest.approx(2 / 3, abs=1e-4)
    assert pq["a"]["entry_recall@10"] == pytest.approx(2 / 3, abs=1e-4)
    # b: the only relevant passage at rank 2.
    assert pq["b"]["ndcg@10"] == pytest.approx(1 / math.log2(3), abs=1e-4)
    assert pq["b"]["mrr@10"] == 0.5
    assert pq["b"]["recall@10"] == 1.0
    # c: nothing retrieved.
    assert pq["c"]["ndcg@10"] == 0.0 and pq["c"]["mrr@10"] == 0.0
    overall = results["systems"]["toy"]["overall"]
    assert overall["mrr@10"] == pytest.approx((1 + 0.5 + 0) / 3, abs=1e-4)
    assert results["systems"]["toy"]["by_lang"]["en"]["ndcg@10"] == pytest.approx(1 / math.log2(3) / 2, abs=1e-4)


def test_unknown_system_lists_the_valid_ones(tiny_searcher):
    with pytest.raises(BadRequest) as err:
        evaluate(tiny_searcher, _toy_judgments(), ["hybrid", "elastic"])
    assert "elastic" in err.value.message and "hybrid" in err.value.message and "bm25" in err.value.message
    with pytest.raises(BadRequest, match="valid systems: " + ", ".join(VALID_SYSTEMS)):
        parse_systems("bm25,solr")
    assert parse_systems(" bm25, hybrid,bm25 ") == ["bm25", "hybrid"]


def test_run_eval_rejects_unknown_system_before_loading_anything(tmp_path, capsys):
    def never(settings):
        raise AssertionError("must not open a searcher for an invalid system list")

    with pytest.raises(BadRequest) as err:
        run_eval(tmp_path / "missing.jsonl", ["hybrid,lucene"], 10, None, False, open_searcher=never)
    assert "lucene" in err.value.message and "haystack" in err.value.message


def test_cli_eval_maps_unknown_system_to_exit_code_2(tmp_path):
    from typer.testing import CliRunner

    from service.cli import app

    result = CliRunner().invoke(app, ["eval", "--queries", str(tmp_path / "missing.jsonl"), "--system", "hybrid,lucene"])
    assert result.exit_code == 2
    assert "lucene" in result.output


def test_haystack_missing_errors_clearly(tiny_searcher, tiny_settings, monkeypatch):
    from eval.peer_haystack import haystack_systems

    monkeypatch.setitem(sys.modules, "haystack", None)  # import haystack -> ImportError
    with pytest.raises(ConfigError, match=r"pip install -e '\.\[peer\]'"):
        haystack_systems(tiny_searcher, tiny_settings, ["haystack"])


def test_run_eval_writes_json_report_and_chart(tiny_searcher, tiny_settings, tiny_judgments_path, tmp_path, capsys):
    out = tmp_path / "results.json"
    code = run_eval(tiny_judgments_path, ["bm25,hybrid"], 10, out, True, settings=tiny_settings,
                    open_searcher=lambda s: tiny_searcher, report_dir=tmp_path / "report")
    assert code == 0
    printed = capsys.readouterr().out
    assert "ndcg@10" in printed and "hybrid" in printed and "[de]" in printed
    data = json.loads(out.read_text(encoding="utf-8"))
    assert list(data["systems"]) == ["bm25", "hybrid"]
    assert data["command"].startswith("praxisfinder eval --queries ") and "--system bm25,hybrid" in data["command"]
    report = (tmp_path / "report" / "REPORT.md").read_text(encoding="utf-8")
    assert tiny_searcher.snapshot.id in report and data["snapshot"]["manifest_hash"] in report
    assert data["command"] in report and "## Per language" in report and "Worst queries: `hybrid`" in report
    png = (tmp_path / "report" / "report.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_timed_calls_do_not_reuse_cached_query_vectors():
    from types import SimpleNamespace

    from eval.run import forget_queries

    arm = SimpleNamespace(_cache={"frage": "vector"})
    forget_queries(SimpleNamespace(dense=arm))
    assert arm._cache == {}
    calls = []
    forget_queries(SimpleNamespace(clear_cache=lambda: calls.append(1), dense=SimpleNamespace(_cache={"x": 1})))
    assert calls == [1]


def test_report_is_named_after_a_judgments_variant():
    from eval.cli import report_name

    assert report_name(Path("eval/judgments.jsonl")) == "REPORT"
    assert report_name(Path("eval/judgments-pooled.jsonl")) == "REPORT-pooled"
    assert report_name(Path("/tmp/tiny.jsonl")) == "REPORT"
