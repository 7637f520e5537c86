"""Service test fixtures: a tiny published snapshot (HashEmbedder) with a hand-made municipality catalogue."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from index import ann as vectors
from index.bm25 import BM25Index
from index.municipalities.model import Catalogue, Municipality
from index.model.embedder import HashEmbedder
from index.snapshot import SCHEMA_VERSION, Snapshot, SnapshotStore
from core.schema import Document, Passage, passage_id
from core.settings import Settings
from service.api import create_app
from service.application import Application

XSS = "<script>alert(1)</script> <img src=x onerror=alert(1)>"
DOCS = {
    "praxis": ("Praxisbericht Ehrenamt", [
        ("Einleitung", "Die Gemeinde Alheim koordiniert Ehrenamtliche mit einem Patenschaftsmodell für Geflüchtete."),
        ("Einleitung", "In Dülmen wurde ein Integrationsbeirat eingerichtet, der die Stadt berät."),
        ("Wohnen", "Der Landkreis Osnabrück vermittelt Wohnungen an Geflüchtete über eine Wohnraumbörse."),
        ("Wohnen", "Alheim und Dülmen organisieren Sprachkurse mit ehrenamtlichen Lernbegleitern."),
        ("Sprache", "Straßenfeste fördern das Zusammenleben im Quartier und die Willkommenskultur."),
    ]),
    "boese": ("Dokument <b>mit</b> Markup", [
        ("Anhang", f"Sicherheitstest Skriptangriff {XSS} im Fließtext."),
        ("Anhang", "Eine Ausländerbehörde wird zur Willkommensbehörde mit Beratung für Fachkräfte."),
    ]),
}

YEARS = {"praxis": 2024, "boese": "2016–2019"}  # a range, for the year filter (index.search.filters)
E, S, P, W = "Engagement/Ehrenamt", "Sprache", "Partizipation", "Wohnen"
MUNICIPALITIES = [
    dict(id="alheim", name="Alheim", type="kreisangehörige Stadt/Gemeinde", bundesland="Hessen", population=4900,
         themes=[E, S], projects=["Patenschaften"], sources=["praxis"], lat=51.0333, lon=9.6167,
         facts=[{"name": "Einwohner", "value": 4900, "source": {"doc_id": "praxis", "passage_id": None,
                                                                "quote": "4.900 Einwohner"}}]),
    dict(id="duelmen", name="Dülmen", type="kreisangehörige Stadt/Gemeinde", bundesland="Nordrhein-Westfalen",
         population=46000, themes=[E, P], projects=["Integrationsbeirat"], lat=51.8327, lon=7.2809),
    dict(id="lk-osnabrueck", name="Landkreis Osnabrück", type="Landkreis", bundesland="Niedersachsen",
         population=360000, themes=[W], projects=["Wohnraumbörse"]),
    dict(id="xss", name=f"Evilstadt {XSS}", type="Landkreis", bundesland="Hessen", population=1000, themes=[E],
         projects=[f"Projekt {XSS}"], facts=[{"name": f"Fakt {XSS}", "value": XSS, "source": {"quote": XSS}}]),
]
MENTIONS = {"Alheim": "alheim", "Dülmen": "duelmen", "Landkreis Osnabrück": "lk-osnabrueck", "Skriptangriff": "xss"}


def build_catalogue(passages: list[Passage]) -> Catalogue:
    """The real Catalogue over hand-made records; passages linked by name mentions."""
    munis = [Municipality(**m) for m in MUNICIPALITIES]
    by_id = {m.id: m for m in munis}
    for p in passages:
        for name, mid in MENTIONS.items():
            if name in p.text:
                by_id[mid].passages.append(p.id)
    for m in munis:
        m.theme_evidence = {t: list(m.passages) for t in m.themes}
    return Catalogue(munis)


def build_snapshot(data_dir, with_catalogue: bool = True) -> Snapshot:
    emb = HashEmbedder(64)
    docs, passages = [], []
    for doc_id, (title, parts) in DOCS.items():
        text, offset, rows = "", 0, []
        for section, t in parts:
            rows.append((section, t, offset))
            text += t + "\n"
            offset += len(t) + 1
        doc = Document(id=doc_id, title=title, path=f"{doc_id}.txt", sha256="0" * 64, format="txt", text=text,
                       page_starts=[0, len(text) // 2], meta={"year": YEARS[doc_id]})
        docs.append(doc)
        for i, (section, t, start) in enumerate(rows):
            passages.append(Passage(passage_id(doc_id, start, start + len(t)), doc_id, title, t,
                                    doc.page_at(start), ["Teil A", section], start, start + len(t), i))
    texts = [p.embedding_text() for p in passages]
    vecs = emb.encode_passages(texts)
    dense = vectors.create("faiss-flat", emb.dim)
    dense.add(vecs)
    manifest = {"schema_version": SCHEMA_VERSION, "snapshot_id": "20260101T000000-000001-test", "build_key": "k",
                "model": {"name": emb.name, "fingerprint": emb.fingerprint, "dim": emb.dim},
                "counts": {"passages": len(passages)}}
    catalogue = build_catalogue(passages).to_dict() if with_catalogue else {}
    snap = Snapshot(None, manifest, docs, passages, vecs, dense, BM25Index().build(texts), catalogue)
    SnapshotStore(Settings.from_env(data_dir=data_dir).storage.snapshots_dir).publish(snap)
    return snap


def make_app(settings):
    """The real app over the snapshot in ``settings.storage.data_dir``, with the HashEmbedder."""
    return create_app(settings, Application(settings, embedder=HashEmbedder(64)))


def passage_with(snapshot: Snapshot, fragment: str) -> str:
    return next(p.id for p in snapshot.passages if fragment in p.text)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    """(settings, snapshot) for a tiny snapshot published in a temporary data dir."""
    data_dir = tmp_path_factory.mktemp("data")
    snap = build_snapshot(data_dir)
    return Settings.from_env(data_dir=data_dir), snap


@pytest.fixture(scope="session")
def client(tiny):
    settings, snap = tiny
    return TestClient(make_app(settings), raise_server_exceptions=False)


@pytest.fixture(scope="session")
def bare_client(tmp_path_factory):
    """The app over a snapshot without a municipality catalogue."""
    data_dir = tmp_path_factory.mktemp("bare")
    build_snapshot(data_dir, with_catalogue=False)
    return TestClient(make_app(Settings.from_env(data_dir=data_dir)), raise_server_exceptions=False)


@pytest.fixture(scope="session")
def app_factory():
    """make_app(settings) -> the FastAPI app over that data dir's snapshot (HashEmbedder)."""
    return make_app


@pytest.fixture(scope="session")
def pid(tiny):
    """pid(fragment): the id of the tiny snapshot's passage containing ``fragment``."""
    return lambda fragment: passage_with(tiny[1], fragment)
