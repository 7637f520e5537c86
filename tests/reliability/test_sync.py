"""A plain sync keeps what was added (issue 16, item 4): the document registry records
each document's origin, deletions leave tombstones, the report says what happened."""

from __future__ import annotations

import shutil

import pytest

from index.build import build_index
from index.model.embedder import HashEmbedder
from index.runtime import open_searcher
from core.settings import Settings
from tests.reliability.conftest import AUTH, FIXTURE_CORPUS, GERMAN
from tests.reliability.test_upload import doc_ids, upload

EMB = HashEmbedder(64)


@pytest.fixture
def fresh(tmp_path) -> Settings:
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    settings = Settings.from_env(data_dir=tmp_path / "var", corpus_dir=corpus, upload_token="t0k3n-abc",
                                 upload_rate_per_minute=1000, reload_check_seconds=0)
    build_index(settings, EMB)
    return settings


def text(n: int) -> str:
    return GERMAN.replace("Neuhausen", f"Ort{n}ingen") + f" Dokument Nummer {n} mit eigenem Inhalt."


def indexed(settings) -> set[str]:
    return {d.id for d in open_searcher(settings, EMB).snapshot.documents}


def rows(outcome) -> dict[str, dict]:
    return {r["doc_id"]: r for r in outcome.report}


@pytest.mark.slow  # several full index builds through uploads and syncs (~30 s of CPU); `make test` runs it
def test_cli_added_documents_survive_a_plain_sync(fresh, tmp_path):
    extra = tmp_path / "elsewhere"
    extra.mkdir()
    added = []
    for n in range(12):
        path = extra / f"neu-{n}.txt"
        path.write_text(text(n), encoding="utf-8")
        out = build_index(fresh, EMB, [path], add=True)
        assert rows(out)[f"neu-{n}"]["action"] == "added"
        added.append(f"neu-{n}")
    (extra / "neu-3.txt").unlink()  # a source that moved away: its indexed copy is kept
    (extra / "neu-4.txt").write_text(text(4) + " Geändert.", encoding="utf-8")
    sync = build_index(fresh, EMB)  # `praxisfinder ingest` / `make run`
    assert set(added) <= indexed(fresh)
    report = rows(sync)
    assert report["neu-3"]["action"] == "kept" and "missing" in report["neu-3"]["reason"]
    assert report["neu-4"]["action"] == "replaced"
    assert report["neu-5"]["action"] == "unchanged"
    assert not build_index(fresh, EMB).rebuilt  # and a second sync has nothing to do


def test_delete_of_a_corpus_document_is_not_undone(fresh):
    before = indexed(fresh)
    victim = sorted(before)[0]
    out = build_index(fresh, EMB, remove=(victim,), add=True)
    assert rows(out)[victim]["status"] == "removed"
    sync = build_index(fresh, EMB)
    assert victim not in indexed(fresh)
    assert rows(sync)[victim]["status"] == "skipped" and "deleted earlier" in rows(sync)[victim]["reason"]
    # adding the file explicitly brings it back
    path = next(p for p in fresh.storage.corpus_dir.iterdir() if p.stem == victim)
    assert rows(build_index(fresh, EMB, [path], add=True))[victim]["action"] == "added"
    build_index(fresh, EMB)
    assert victim in indexed(fresh)


def test_file_removed_from_corpus_is_reported(fresh):
    victim = sorted(fresh.storage.corpus_dir.glob("*.txt"))[0]
    victim.unlink()
    out = build_index(fresh, EMB)
    assert rows(out)[victim.stem]["status"] == "removed" and "no longer" in rows(out)[victim.stem]["reason"]
    assert victim.stem not in indexed(fresh)


def test_same_text_under_two_names_is_indexed_once(fresh):
    (fresh.storage.corpus_dir / "kopie-a.txt").write_text(text(1), encoding="utf-8")
    (fresh.storage.corpus_dir / "kopie-b.txt").write_text(text(1), encoding="utf-8")
    original = sorted(fresh.storage.corpus_dir.glob("*.txt"))[0]
    shutil.copy(original, fresh.storage.corpus_dir / "noch-einmal.txt")
    out = build_index(fresh, EMB)
    report = rows(out)
    assert report["kopie-a"]["action"] == "added"
    assert report["kopie-b"]["status"] == "skipped" and report["kopie-b"]["duplicate_of"] == "kopie-a"
    assert report["noch-einmal"]["duplicate_of"] == original.stem  # the indexed one wins
    assert "kopie-b" not in indexed(fresh) and "noch-einmal" not in indexed(fresh)


@pytest.mark.slow  # several full index builds through uploads and syncs (~30 s of CPU); `make test` runs it
def test_uploads_survive_sync_with_reserved_names_and_suffix_changes(fresh, make_client):
    client = make_client(fresh)
    auth = {"Authorization": "Bearer t0k3n-abc"}
    r = upload(client, "README.md", text(1).encode(), auth)
    assert r.status_code == 201 and r.json()["doc_id"] == "readme-dokument"
    assert upload(client, "bericht.txt", text(2).encode(), auth).json()["status"] == "added"
    r = upload(client, "bericht.md", text(3).encode(), auth)  # same id, another suffix
    assert r.json()["status"] == "replaced"
    assert sorted(p.name for p in fresh.storage.sources_dir.iterdir()) == ["bericht.md", "readme-dokument.md"]
    victim = sorted(doc_ids(client) - {"bericht", "readme-dokument"})[0]
    assert client.delete(f"/api/documents/{victim}", headers=auth).status_code == 200

    sync = build_index(fresh, EMB)
    docs = indexed(fresh)
    assert {"readme-dokument", "bericht"} <= docs and victim not in docs
    searcher = open_searcher(fresh, EMB)
    hits = searcher.search("Dokument Nummer", k=20, mode="bm25", ).hits
    bericht = {h.passage.text for h in hits if h.passage.doc_id == "bericht"}
    assert any("Nummer 3" in t for t in bericht) and not any("Nummer 2" in t for t in bericht)
    assert rows(sync).get(victim, {}).get("status") == "skipped"


def test_report_distinguishes_the_actions(fresh, tmp_path):
    new = tmp_path / "frisch.txt"
    new.write_text(text(7), encoding="utf-8")
    assert rows(build_index(fresh, EMB, [new], add=True))["frisch"]["action"] == "added"
    new.write_text(text(8), encoding="utf-8")
    out = rows(build_index(fresh, EMB, [new], add=True))
    assert out["frisch"]["action"] == "replaced"
    assert {r["action"] for d, r in out.items() if d != "frisch"} == {"unchanged"}
