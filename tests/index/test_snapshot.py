import json

import numpy as np
import pytest

from index import ann as vectors
from index.bm25 import BM25Index
from index.model.embedder import HashEmbedder
from index.snapshot import SCHEMA_VERSION, Snapshot, SnapshotStore, load_snapshot
from core.errors import SnapshotDamaged, SnapshotError
from core.schema import Document, Passage, passage_id

TEXTS = [
    "Die Gemeinde Alheim koordiniert Ehrenamtliche mit einem Patenschaftsmodell.",
    "In Dülmen wurde ein Integrationsbeirat eingerichtet.",
    "Straßenfeste fördern das Zusammenleben im Quartier.",
]


def _snapshot(fingerprint="model-a", sid="20260101T000000-000001-abc"):
    emb = HashEmbedder(32)
    doc = Document(id="doc", title="Testdokument", path="doc.txt", sha256="0" * 64, format="txt",
                   text=" ".join(TEXTS), page_starts=[0, 80])
    passages, offset = [], 0
    for i, t in enumerate(TEXTS):
        passages.append(Passage(passage_id("doc", offset, offset + len(t)), "doc", doc.title, t,
                                doc.page_at(offset), ["Kapitel 1"], offset, offset + len(t), i))
        offset += len(t) + 1
    vecs = emb.encode_passages(TEXTS)
    dense = vectors.create("faiss-flat", emb.dim)
    dense.add(vecs)
    manifest = {"schema_version": SCHEMA_VERSION, "snapshot_id": sid, "build_key": "k",
                "model": {"name": "m", "fingerprint": fingerprint, "dim": emb.dim}, "counts": {"passages": 3}}
    return Snapshot(None, manifest, [doc], passages, vecs, dense, BM25Index().build(TEXTS), {"municipalities": []}, {"volunteer": ["ehrenamt"]})


def test_round_trip(tmp_path):
    snap = _snapshot()
    store = SnapshotStore(tmp_path / "snapshots")
    path = store.publish(snap)
    assert store.current_path() == path
    loaded = load_snapshot(path, expected_model="model-a")
    assert [p.to_dict() for p in loaded.passages] == [p.to_dict() for p in snap.passages]
    assert loaded.documents[0].text == snap.documents[0].text
    np.testing.assert_array_equal(np.asarray(loaded.vectors), snap.vectors)
    assert loaded.bm25.search("Integrationsbeirat", 3)[0][0] == 1
    _, ids = loaded.dense.search(snap.vectors[2:3], 1)
    assert ids[0][0] == 2
    assert not list((tmp_path / "snapshots").glob(".tmp-*"))


def test_refuses_other_model(tmp_path):
    path = SnapshotStore(tmp_path).publish(_snapshot(fingerprint="model-a"))
    with pytest.raises(SnapshotError, match="another|not the configured"):
        load_snapshot(path, expected_model="model-b")


def test_refuses_other_schema_and_corruption(tmp_path):
    path = SnapshotStore(tmp_path).publish(_snapshot())
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["schema_version"] = 999
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(SnapshotError, match="schema"):
        load_snapshot(path)
    manifest["schema_version"] = SCHEMA_VERSION
    (path / "manifest.json").write_text(json.dumps(manifest))
    (path / "passages.jsonl").write_text("")
    with pytest.raises(SnapshotDamaged, match="passages.jsonl has 0 bytes"):
        load_snapshot(path)
    del manifest["files"]  # a snapshot written before the file list: the counts still disagree
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(SnapshotDamaged, match="inconsistent|corrupt"):
        load_snapshot(path)
    with pytest.raises(SnapshotError, match="manifest.json missing"):
        load_snapshot(tmp_path / "nope")


def test_publish_switches_current_and_prunes(tmp_path):
    store = SnapshotStore(tmp_path)
    paths = [store.publish(_snapshot(sid=f"2026010{i}T000000-000001-abc"), keep=2) for i in range(1, 5)]
    assert store.current_path() == paths[-1]
    remaining = sorted(p.name for p in tmp_path.iterdir() if p.is_dir())
    assert remaining == [paths[-2].name, paths[-1].name]


def test_writer_lock_is_exclusive(tmp_path):
    store = SnapshotStore(tmp_path)
    with store.writer_lock():
        with pytest.raises(SnapshotError, match="another ingest"):
            with SnapshotStore(tmp_path).writer_lock():
                pass
