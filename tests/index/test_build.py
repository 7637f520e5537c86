"""Building and updating snapshots with the tiny deterministic embedder."""

import shutil
from pathlib import Path

import pytest

from index.build import build_index
from index.model.embedder import HashEmbedder
from index.runtime import open_searcher
from index.search import Filters
from index.snapshot import SnapshotStore, load_snapshot
from core.errors import BadRequest, SnapshotError
from core.settings import Settings

FIXTURE_CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"


@pytest.fixture
def corpus(tmp_path):
    dest = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, dest)
    return dest


@pytest.fixture
def settings(tmp_path, corpus):
    return Settings.from_env(data_dir=tmp_path / "var", corpus_dir=corpus)


def test_build_then_up_to_date_then_rebuild_on_change(settings, corpus):
    emb = HashEmbedder(32)
    first = build_index(settings, emb)
    assert first.rebuilt and first.counts["documents"] == 4 and first.counts["passages"] > 4
    assert all(r["status"] == "ok" for r in first.report)
    again = build_index(settings, emb)
    assert not again.rebuilt and again.reason.startswith("up to date")
    # change one document: only it is re-read, every other vector is reused
    path = corpus / "willkommenskultur-kleinstadt.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\n\nEin neuer Absatz über Patenschaften im Ortsteil.\n", encoding="utf-8")
    third = build_index(settings, emb)
    assert third.rebuilt
    reused = [r for r in third.report if r.get("reused")]
    assert len(reused) == 3
    assert third.counts["reused_vectors"] > 0 and third.counts["embedded"] < third.counts["passages"]


def test_chunker_setting_change_makes_snapshot_stale(settings):
    emb = HashEmbedder(32)
    build_index(settings, emb)
    changed = settings.with_(chunk_target_words=60, chunk_min_words=20)
    assert build_index(changed, emb).rebuilt


def test_add_and_remove_documents(settings, tmp_path):
    emb = HashEmbedder(32)
    build_index(settings, emb)
    extra = tmp_path / "neu.txt"
    extra.write_text("Mitfahrerbänke verbessern die Mobilität auf dem Land.\n", encoding="utf-8")
    out = build_index(settings, emb, [extra], add=True)
    assert out.counts["documents"] == 5
    searcher = open_searcher(settings, emb)
    hits = searcher.search("Mitfahrerbänke", k=3, mode="bm25").hits
    assert hits and hits[0].passage.doc_id == "neu"
    out = build_index(settings, emb, remove=("neu",), add=True)
    assert out.counts["documents"] == 4


def test_bad_file_is_reported_and_last_good_snapshot_keeps_serving(settings, corpus):
    emb = HashEmbedder(32)
    good = build_index(settings, emb).snapshot_path
    (corpus / "kaputt.pdf").write_bytes(b"%PDF-1.7\n this is not a pdf")
    (corpus / "leer.txt").write_bytes(b"")
    out = build_index(settings, emb)
    failed = {r["doc_id"]: r for r in out.report if r["status"] == "failed"}
    assert set(failed) == {"kaputt", "leer"}
    assert all(failed[d]["reason"] for d in failed)
    # the readable documents did not change, so the good snapshot still serves
    assert SnapshotStore(settings.storage.snapshots_dir).current_path() == good


def test_all_documents_failing_publishes_nothing(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "leer.txt").write_bytes(b"")
    settings = Settings.from_env(data_dir=tmp_path / "var", corpus_dir=corpus)
    with pytest.raises(SnapshotError, match="no passages"):
        build_index(settings, HashEmbedder(32))
    assert SnapshotStore(settings.storage.snapshots_dir).current_path() is None


def test_snapshot_from_other_model_is_refused_and_rebuilt(settings):
    build_index(settings, HashEmbedder(32))
    other = HashEmbedder(48)
    with pytest.raises(SnapshotError, match="not the configured"):
        open_searcher(settings, other)
    assert build_index(settings, other).rebuilt
    assert load_snapshot(SnapshotStore(settings.storage.snapshots_dir).current_path(), expected_model=other.fingerprint)


def test_search_modes_filters_and_bad_queries(settings):
    emb = HashEmbedder(32)
    build_index(settings, emb)
    s = open_searcher(settings, emb)
    for mode in ("hybrid", "dense", "bm25"):
        result = s.search("Sprachkurse für Mütter", k=3, mode=mode)
        assert 1 <= len(result.hits) <= 3
        assert [h.rank for h in result.hits] == list(range(1, len(result.hits) + 1))
    only = s.search("Integration", k=10, filters=Filters(doc_ids=["integrationsbeirat"]))
    assert only.hits and {h.passage.doc_id for h in only.hits} == {"integrationsbeirat"}
    for bad in ("", "   ", "?!…", "x" * 1001):
        with pytest.raises(BadRequest):
            s.search(bad)
    with pytest.raises(BadRequest, match="hybrid, dense, bm25"):
        s.search("Sprachkurse", mode="magic")
    with pytest.raises(BadRequest, match="unknown document"):
        s.search("Sprachkurse", filters=Filters(doc_ids=["gibtsnicht"]))
    with pytest.raises(BadRequest):
        s.search("Sprachkurse", k=0)
    # control characters are stripped, other scripts are fine
    assert s.search("Sprach\x00kurse\x07").query == "Sprach kurse"
    s.search("Интеграция 統合")


def test_municipality_filters(settings):
    emb = HashEmbedder(32)
    build_index(settings, emb)
    s = open_searcher(settings, emb)
    assert s.catalogue is not None and len(s.catalogue.municipalities) > 0
    some = s.catalogue.municipalities[0]
    result = s.search("Integration", k=20, filters=Filters(municipality=some.name))
    assert {h.passage.id for h in result.hits} <= set(some.passages)
    with pytest.raises(BadRequest):
        s.search("Integration", filters=Filters(bundesland="Atlantis"))


def test_build_report_names_encoding_repairs(settings, corpus):
    (corpus / "kaputt.txt").write_bytes("Das Sprachcafé im Bürgerhaus ist dienstags geöffnet, 15 ".encode()
                                        + b"\x96 18 Uhr. Ehrenamtliche helfen bei Formularen.\n")
    outcome = build_index(settings, HashEmbedder(32))
    entry = next(r for r in outcome.report if r["doc_id"] == "kaputt")
    assert entry["status"] == "ok" and entry["repairs"] == {"cp1252_bytes": 1}
    assert load_snapshot(outcome.snapshot_path).manifest["ingest_report"]
