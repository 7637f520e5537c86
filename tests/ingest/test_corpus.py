"""The real corpus: structure and invariants (fast: no model involved)."""

import statistics
from pathlib import Path

import pytest

from ingest.loop import ingest_paths
from core.settings import Settings

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
        doc = docs[p.doc_id]
        if doc.physical_pages:
            assert 1 <= p.page <= p.page_end <= doc.pages
        elif p.page is not None:
            assert p.page_end is None or p.page <= p.page_end
    long_docs = [p for p in result.passages if p.doc_id.startswith(("difu", "desi"))]
    assert 90 <= statistics.median(len(p.text.split()) for p in long_docs) <= settings.chunk.max_words


def test_difu_profiles_have_section_paths(result):
    alheim = [p for p in result.passages if p.section_path[2:4] == ["Alheim", "Begründung der Prämierung"]]
    assert alheim and alheim[0].section_path[:2] == ["4 Prämierte Beiträge", "4.2 Kreisangehörige Städte und Gemeinden"]
    elm = [p for p in result.passages if "Samtgemeinde Elm-Asse" in p.section_path]
    assert elm
    # each profile's overview table stands in its profile (short ones are packed with the
    # profile's next subsection, so the path may end at the profile's name)
    overview = [p for p in result.passages if "Einwohnerzahl\t" in p.text]
    assert len(overview) == 17 and all(p.section_path[0] == "4 Prämierte Beiträge" and len(p.section_path) >= 3
                                       for p in overview)


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


# The printed table of contents of each corpus document, typed from the document itself
# (corpus/*.txt: the "Inhalt" page), as (title, printed page). The slide decks and the
# web page have no TOC and no printed page numbers: they must cite no page at all.
TOC = {
    "desi-resilienz-kommunen-2025": [
        ("Vorwort", 5), ("1 | Einleitung", 6), ("Aufbau des Projekts", 7), ("Die Handreichung", 9),
        ("2 | Vorstellung der Fallstudien", 10), ("3 | Lernerfahrungen zu kommunaler Resilienz", 14),
        ("4 | Gute Ideen aus der Praxis", 18), ("Verwaltung", 22), ("Vernetzung", 29), ("Engagement", 33),
        ("Governance", 38), ("5 | Ergebnisse des Reflexionsworkshops", 42), ("Podiumsdiskussion", 45),
        ("6 | Fazit", 46), ("Literatur", 48), ("Anhang", 53), ("Anlage 2 Agenda des Reflexionsworkshops", 56),
    ],
    "difu-zusammenleben-hand-in-hand-2018": [
        ("Vorwort des Bundesministers", 5), ("1. Der Wettbewerb: Thema", 9), ("1.3 Bewertungskriterien", 12),
        ("2. Der Wettbewerb: Die Durchführung", 15), ("2.3 Wettbewerbsbeteiligung", 17),
        ("3. Beiträge und Ergebnisse", 23), ("3.2 Akteure", 27), ("4. Prämierte Beiträge", 35),
        ("Dortmund", 37), ("Landeshauptstadt München", 42), ("Osnabrück", 46), ("Landeshauptstadt Schwerin", 51),
        ("Alheim", 55), ("Diemelstadt", 59), ("Dülmen", 62), ("Samtgemeinde Elm-Asse", 67), ("Everswinkel", 71),
        ("Henstedt-Ulzburg", 75), ("Neuss", 78), ("Osterholz-Scharmbeck", 82), ("Landeshauptstadt Saarbrücken", 86),
        ("Schwäbisch Gmünd", 90), ("Landkreis München", 94), ("Landkreis Oberspreewald-Lausitz", 98),
        ("Landkreis Osnabrück", 101), ("4.4 Sonderkategorie", 105), ("5. Ergebnisse kurzgefasst", 109),
        ("Literatur (Auswahl)", 111), ("Anhang", 113),
    ],
}


def _toc_range(doc, toc, offset):
    """Printed pages [first, last] the TOC gives the text at ``offset`` (located by heading)."""
    starts = []
    pos = 0
    for title, page in toc:
        found = doc.text.find("\n\n" + title, pos)
        assert found >= 0, title
        starts.append((found + 2, page))
        pos = found + 2
    first, last = 1, toc[0][1]  # front matter: before the first TOC page
    for k, (start, page) in enumerate(starts):
        if start <= offset:
            first = page
            last = starts[k + 1][1] if k + 1 < len(starts) else 10_000
    return first, last


@pytest.mark.parametrize("doc_id", sorted(TOC))
def test_cited_pages_lie_in_the_toc_range(result, doc_id):
    """Every 2nd passage of each TOC document: its cited pages lie inside the TOC's range."""
    doc = next(d for d in result.documents if d.id == doc_id)
    passages = [p for p in result.passages if p.doc_id == doc_id]
    sample = passages[::2]
    assert len(sample) >= 50
    for p in sample:
        first, last = _toc_range(doc, TOC[doc_id], p.start)
        end_first, end_last = _toc_range(doc, TOC[doc_id], p.end - 1)
        assert p.page is not None and p.page_label, p.text[:60]
        assert first <= p.page <= end_last, (p.page_label, first, end_last, p.text[:60])
        if p.page_end is not None:
            assert p.page <= p.page_end <= end_last, (p.page_label, first, end_last, p.text[:60])


def test_issue_examples_are_cited_from_the_toc(result):
    by_section = {}
    for p in result.passages:
        for name in p.section_path:
            by_section.setdefault(name, []).append(p)
    assert {p.page_label for p in by_section["Samtgemeinde Elm-Asse"]} == {"67–70"}
    assert {p.page_label for p in by_section["Landkreis Osnabrück"]} == {"101–104"}
    fazit = by_section["6 Fazit"]
    assert {p.page for p in fazit} == {46}
    desi = [p for p in result.passages if p.doc_id == "desi-resilienz-kommunen-2025"]
    assert sum(p.page_label == "8" for p in desi) == 0
    chapter4 = [p for p in desi if p.section_path[:1] == ["4 Gute Ideen aus der Praxis"]]
    assert chapter4 and all(18 <= p.page and p.page_end <= 41 for p in chapter4)


@pytest.mark.parametrize("doc_id", ["bamf-willkommensbehoerden-2014", "darmstadt-partnerstaedte-willkommenskultur",
                                    "phineo-weltoffene-kommune"])
def test_no_page_cited_where_none_is_known(result, doc_id):
    passages = [p for p in result.passages if p.doc_id == doc_id]
    assert passages and all(p.page is None and p.page_label is None for p in passages)
