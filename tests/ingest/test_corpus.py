"""The real corpus: structure and invariants (fast: no model involved)."""

import statistics
from pathlib import Path

import pytest

from ingest.pipeline import ingest_paths
from ingest.settings import Settings

REAL_CORPUS = Path(__file__).resolve().parents[2] / "corpus"


@pytest.fixture(scope="module")
def result():
    if not (REAL_CORPUS / "difu-zusammenleben-hand-in-hand-2018.txt").exists():
        pytest.skip("real corpus not present")
    return ingest_paths([REAL_CORPUS], Settings())


def test_all_five_documents_ingest(result):
    assert [r["status"] for r in result.report] == ["ok"] * 5
    titles = {d.id: d.title for d in result.documents}
    assert titles["difu-zusammenleben-hand-in-hand-2018"] == "Zusammenleben Hand in Hand – Kommunen gestalten (Difu 2018)"


def test_offsets_and_sizes(result):
    docs = {d.id: d for d in result.documents}
    settings = Settings()
    for p in result.passages:
        assert p.text == p.meta.get("prefix", "") + docs[p.doc_id].text[p.start:p.end]
        assert 1 <= p.page <= docs[p.doc_id].pages
    long_docs = [p for p in result.passages if p.doc_id.startswith(("difu", "desi"))]
    assert 90 <= statistics.median(len(p.text.split()) for p in long_docs) <= settings.chunk_max_words


def test_difu_profiles_have_section_paths(result):
    alheim = [p for p in result.passages if p.section_path[2:4] == ["Alheim", "Begründung der Prämierung"]]
    assert alheim and alheim[0].section_path[:2] == ["4 Prämierte Beiträge", "4.2 Kreisangehörige Städte und Gemeinden"]
    elm = [p for p in result.passages if "Samtgemeinde Elm-Asse" in p.section_path]
    assert elm
    overview = [p for p in result.passages if p.section_path[-1:] == ["Kommune und Wettbewerbsbeitrag im Überblick"]]
    assert len(overview) == 17 and all("Einwohnerzahl\t" in p.text for p in overview)


def test_cleaning_on_real_text(result):
    text = {d.id: d.text for d in result.documents}
    difu = text["difu-zusammenleben-hand-in-hand-2018"]
    assert "Bundesverband Deutscher Stiftungen" in difu
    assert "niedrigschwelligen Anlaufpunkt" in difu
    assert "Foto:" not in difu and "handwritten signature" not in difu
    assert "Vorworte\t5" not in difu  # table of contents dropped
    assert "Name des Amtes" not in text["darmstadt-partnerstaedte-willkommenskultur"]
    assert "**" not in text["bamf-willkommensbehoerden-2014"]
    assert "Unterstützung des zivilgesellschaftlichen Engagements" in text["desi-resilienz-kommunen-2025"]
