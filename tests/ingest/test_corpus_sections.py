"""Sections right, passage by passage, on the real corpus (fast: no model involved).

The expected portraits and profiles are typed from the documents themselves (DESI chapter 4's
"good ideas" with their places, each ending at its "Quellen:" line; the Difu prize profiles,
each opened by its name above "Kommune und Wettbewerbsbeitrag im Überblick"), not taken from
the heading detection they check.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.settings import Settings
from ingest.loop import ingest_paths

REAL_CORPUS = Path(__file__).resolve().parents[2] / "corpus"
DESI = "desi-resilienz-kommunen-2025"
DIFU = "difu-zusammenleben-hand-in-hand-2018"

DESI_PORTRAITS = [
    "Kommunale Sprachkurse (Kreis Nordfriesland)",
    "Soziale Betreuung in kommunaler Unterbringung (Kaiserslautern, Landkreis Kassel)",
    "Kooperation zwischen Verwaltung und Wohnungswirtschaft bei der Unterbringung von Geflüchteten "
    "(Dortmund, Eimsbüttel in Hamburg, Halle (Saale))",
    "„One-Stop-Shop“ (Augsburg, Halle (Saale), Leipzig, Saarbrücken)",
    "Flexible Stellenstrukturen (Flensburg, Landkreis Karlsruhe, Leipzig)",
    "Kommunale Fahrpläne: Konzepte, Leitfäden und Strategien (Kempten (Allgäu), Leipzig, Ludwigshafen am Rhein)",
    "Verwaltungsstrukturen: Integration als Querschnittsaufgabe (Köln, Nürnberg, Wiesbaden)",
    "Interkulturelle Öffnung der Verwaltung (Cottbus/Chósebus, Landkreis Zwickau, Zwickau)",
    "Lokale Integrationsnetzwerke (Augsburg, Landkreis Zwickau, Kempten, Köln, Merzig, Saarbrücken)",
    "„Vielfaltsgestalter*innen“ (Dessau Roßlau)",
    "„lokal willkommen“ (Dortmund)",
    "Support Group Network Stuttgart (Stuttgart)",
    "Engagementförderung im Sozialraum (Charlottenburg-Wilmersdorf (Berlin), Eimsbüttel (Hamburg))",
    "Breite Engagementlandschaft mit kommunaler Förderung (Wiesbaden)",
    "Steuerungsmodelle (Bremerhaven, Hannover, Kreis Nordfriesland)",
    "Unterstützung des lokalen Integrationsmanagements (Landkreis Osnabrück)",
]
DIFU_PROFILES = [
    ("4.1 Kreisfreie Städte", ["Dortmund", "Landeshauptstadt München", "Osnabrück", "Landeshauptstadt Schwerin"]),
    ("4.2 Kreisangehörige Städte und Gemeinden",
     ["Alheim", "Diemelstadt", "Dülmen", "Samtgemeinde Elm-Asse", "Everswinkel", "Henstedt-Ulzburg", "Neuss",
      "Osterholz-Scharmbeck", "Landeshauptstadt Saarbrücken", "Schwäbisch Gmünd"]),
    ("4.3 Landkreise", ["Landkreis München", "Landkreis Oberspreewald-Lausitz", "Landkreis Osnabrück"]),
]


@pytest.fixture(scope="module")
def result():
    if not (REAL_CORPUS / f"{DIFU}.txt").exists():
        pytest.skip("real corpus not present")
    return ingest_paths([REAL_CORPUS], Settings())


def _doc(result, doc_id):
    return next(d for d in result.documents if d.id == doc_id)


def _passages(result, doc_id):
    return [p for p in result.passages if p.doc_id == doc_id]


def test_every_desi_portrait_passage_names_its_portrait(result):
    """Each passage that starts inside a portrait (from its title line to the end of its
    "Quellen:" line) ends there too and is cited under that portrait, in chapter 4; none is
    cited under a portrait it is not in."""
    text = _doc(result, DESI).text
    passages = _passages(result, DESI)
    checked = 0
    for title in DESI_PORTRAITS:
        start = text.index("\n" + title + "\n") + 1
        end = text.index("\n", text.index("Quellen:", start))
        inside = [p for p in passages if start <= p.start < end]  # a portrait's tail is not packed with what follows
        assert inside, title
        for p in inside:
            assert p.section_path == ["4 Gute Ideen aus der Praxis", title], (title, p.section_path, p.text[:60])
            assert p.end <= end + 1, (title, p.text[-80:])
        checked += len(inside)
        for p in passages:
            if title in p.section_path:
                assert start <= p.start < end, (title, p.text[:60])
    assert checked >= 40


def test_wohnraum_portrait_is_not_cited_under_the_one_before(result):
    """The issue's example: the Halle (Saale) / Dortmund / Eimsbüttel portrait."""
    halle = [p for p in _passages(result, DESI) if "Kooperationen mit zwei städtischen Wohnungsbauunternehmen" in p.text]
    assert len(halle) == 1
    assert halle[0].section_path[-1].startswith("Kooperation zwischen Verwaltung und Wohnungswirtschaft")
    assert "Soziale Betreuung" not in halle[0].section


def test_every_difu_profile_passage_names_its_profile(result):
    """Each passage inside a prize profile (from the profile's name to the next profile or
    chapter) is cited under the chapter and the profile."""
    text = _doc(result, DIFU).text
    passages = _passages(result, DIFU)
    starts = []
    for chapter, names in DIFU_PROFILES:
        for name in names:
            m = re.search(r"(?m)^" + re.escape(name) + r"\s*\n+Kommune und Wettbewerbsbeitrag im Überblick", text)
            assert m, name
            starts.append((m.start(), chapter, name))
    starts.append((text.index("\n4.4 Sonderkategorie"), None, None))
    checked = 0
    for (start, chapter, name), (end, _, _) in zip(starts, starts[1:]):
        inside = [p for p in passages if start <= p.start and p.end <= end]
        assert len(inside) >= 3, name
        for p in inside:
            assert p.section_path[:3] == ["4 Prämierte Beiträge", chapter, name], (name, p.section_path, p.text[:60])
        checked += len(inside)
    assert checked >= 80


def test_no_passage_under_20_words_unless_its_whole_section_is(result):
    for p in result.passages:
        if len(p.text.split()) >= 20:
            continue
        same = [q for q in result.passages if q.doc_id == p.doc_id and q.section_path == p.section_path]
        assert same == [p], (p.doc_id, p.section, p.text)


def test_slide_fragments_stand_with_their_question(result):
    """Slide cells are packed with the slide's question (the section path) instead of standing alone."""
    darmstadt = _passages(result, "darmstadt-partnerstaedte-willkommenskultur")
    brescia = [p for p in darmstadt if "Dezernat für Inklusion und Migration" in p.text]
    assert len(brescia) == 1 and brescia[0].section_path[0].startswith("4 Bei welcher Behörde/Institution")
    assert len(brescia[0].text.split()) >= 40
    bamf = _passages(result, "bamf-willkommensbehoerden-2014")
    report = [p for p in bamf if "Abschlussbericht wurde im März 2013 veröffentlicht" in p.section + "\n" + p.text]
    assert report and all("Runder Tisch" in p.section + p.text for p in report)
