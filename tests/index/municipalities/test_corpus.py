"""Catalogue extraction on the real corpus, checked against the documents' own tables.

Built twice: from the raw exports (paragraph passages, no headings) and from the
ingest pipeline's cleaned documents and passages. Both take a few seconds, no model.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from index.municipalities.extract import build_catalogue
from core.errors import BadRequest
from core.schema import Document, Passage, passage_id

CORPUS = Path(__file__).resolve().parents[3] / "corpus"


def raw_documents() -> list[Document]:
    docs = []
    for path in sorted(CORPUS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        sha = hashlib.sha256(text.encode()).hexdigest()
        docs.append(Document(id=path.stem, title=path.stem, path=str(path), sha256=sha, format="txt", text=text))
    return docs


def paragraph_passages(docs: list[Document]) -> list[Passage]:
    out = []
    for d in docs:
        for i, m in enumerate(re.finditer(r"\S(?:.|\n(?!\s*\n))*", d.text)):
            out.append(Passage(passage_id(d.id, m.start(), m.end()), d.id, d.title, m.group(0), 1, [],
                               m.start(), m.end(), i))
    return out


@pytest.fixture(scope="module")
def raw():
    docs = raw_documents()
    return build_catalogue(docs, paragraph_passages(docs))


@pytest.fixture(scope="module")
def ingested(real_corpus_ingested):
    return real_corpus_ingested


@pytest.fixture(scope="module", params=["raw", "ingested"])
def cat(request, raw, ingested):
    return raw if request.param == "raw" else ingested[0]


def values(m, name):
    return [f["value"] for f in m.fact(name)]


def test_difu_profiles(cat):
    d = cat.resolve("Dülmen")
    assert (d.type, d.bundesland, d.population) == ("kreisangehörige Stadt/Gemeinde", "Nordrhein-Westfalen", 46613)
    assert values(d, "Einwohnerzahl") == ["46.613"]
    assert "Flüchtlingsintegration in der Stadt Dülmen" in d.projects
    e = cat.resolve("Samtgemeinde Elm-Asse")
    assert (e.id, e.population, e.bundesland) == ("samtgemeinde-elm-asse", 18809, "Niedersachsen")
    assert "Mitfahrerbanke" in e.projects  # EP 1 of the appendix entry
    muc = cat.resolve("Landkreis München")
    assert (muc.type, muc.population, muc.bundesland) == ("Landkreis", 340003, "Bayern")
    assert muc.projects[0] == "Integrationsfahrplan für Flüchtlinge des Landkreises München"
    assert cat.resolve("Alheim").population == 4985
    assert cat.resolve("Hanau").population == 92643  # special category "(kreisangehörige Stadt in Hessen; …)"


@pytest.mark.parametrize(
    "name, land, population, foreign, schutz",
    [
        ("Landkreis Altenburger Land", "Thüringen", 88692, "6.750", "3.130"),
        ("Augsburg", "Bayern", 303150, "85.685", "16.735"),
        ("Bremerhaven", "Bremen", 114677, "27.605", "8.475"),
        ("Kreis Düren", "Nordrhein-Westfalen", 272666, "40.980", "10.815"),
        ("Kempten (Allgäu)", "Bayern", 70713, "14.430", "2.065"),
        ("Köln", "Nordrhein-Westfalen", 1087353, "251.905", "50.875"),
        ("Ludwigshafen am Rhein", "Rheinland-Pfalz", 176110, "56.875", "8.210"),
        ("Kreis Nordfriesland", "Schleswig-Holstein", 170007, "17.795", "6.345"),
        ("Osnabrück", "Niedersachsen", 166960, "30.835", "8.750"),
        ("Landkreis Osnabrück", "Niedersachsen", 366229, "42.530", "9.350"),
        ("Landkreis Zwickau", "Sachsen", 310111, "22.135", "9.060"),
        ("Weimar", "Thüringen", 65611, "7.955", "2.595"),
    ],
)
def test_desi_table_rows(cat, name, land, population, foreign, schutz):
    m = cat.resolve(name)
    assert (m.bundesland, m.population) == (land, population)
    assert values(m, "Ausländische Bevölkerung") == [foreign]
    assert values(m, "Schutzsuchende") == [schutz]
    fact = m.fact("Schutzsuchende")[0]
    assert fact["source"]["doc_id"] == "desi-resilienz-kommunen-2025" and schutz in fact["source"]["quote"]


def test_desi_table_types_and_missing_cells(cat):
    assert cat.resolve("Charlottenburg-Wilmersdorf").type == "Stadtbezirk"
    assert cat.resolve("Eimsbüttel").bundesland == "Hamburg"
    hannover = cat.resolve("Hannover")
    assert (hannover.type, hannover.population) == ("kreisangehörige Stadt/Gemeinde", 545045)
    assert values(hannover, "Ausländische Bevölkerung") == []  # "---" in the table
    assert cat.resolve("Zwickau").type == "kreisangehörige Stadt/Gemeinde"
    assert cat.resolve("Cottbus").name == "Cottbus/Chósebuz"
    assert values(cat.resolve("Leipzig"), "Ausländeranteil") == ["14,0 %"]


@pytest.mark.parametrize(
    "name, land, title",
    [
        ("Stadt Baden-Baden", "Baden-Württemberg", "LebensWert"),
        ("Gemeinde Betzigau", "Bayern", "„Vollversorgt und eigenständig den Lebensabend genießen“"),
        ("Stadt Zehdenick", "Brandenburg", "Mit Engagement und Vielfalt für unsere Bürger"),
        ("Stadt Geestland", "Niedersachsen", "Flüchtlingsfirma „Anpacken“"),
        ("Gemeinde Kall", "Nordrhein-Westfalen", "Haus der Begegnung – ein Haus für alle"),
        ("Stadt Pirmasens", "Rheinland-Pfalz", "Pakt für Pirmasens – ein Netzwerk von Haupt- und Ehrenamtlichen/ "
         "Zusammenarbeit der Kommune mit der Zivilgesellschaft"),
        ("Landeshauptstadt Dresden", "Sachsen", "Gesunde Ernährung – eine Chance für ALLE"),
        ("Landkreis Plön", "Schleswig-Holstein", "Wohnschule/Mieterführerschein – ein Projekt aus dem Check-Up "
         "Integration des Kreises Plön"),
        ("Bezirk Neukölln von Berlin", "Berlin", "\"Schön wie wir – Für ein lebenswertes Neukölln\""),
    ],
)
def test_difu_appendix_entries(cat, name, land, title):
    m = cat.resolve(name)
    assert m.bundesland == land
    assert title in values(m, "Titel des Wettbewerbsbeitrags")
    assert title in m.projects


def test_appendix_types_and_einzelprojekte(cat):
    ellwangen = cat.resolve("Ellwangen")
    assert ellwangen.name == "Ellwangen (Jagst)"
    assert values(ellwangen, "Einzelprojekt") == ["Lernwerkstatt für Geflüchtete", "Interkultureller Frauenrat"]
    assert cat.resolve("Bodenseekreis").type == "Landkreis"
    assert cat.resolve("Neukölln").type == "Stadtbezirk"
    assert cat.resolve("Paderborn").type == "kreisangehörige Stadt/Gemeinde"  # "Kreisstadt Paderborn"
    wue = cat.resolve("Landkreis Würzburg")  # "Stadt und Landkreis Würzburg" names both
    assert '"Fit for move" Wohnraumvermittlung' in wue.projects
    assert '"Fit for move" Wohnraumvermittlung' in cat.resolve("Würzburg").projects


def test_osnabrueck_and_muenchen_are_two_municipalities_each(cat):
    city, kreis = cat.resolve("Osnabrück"), cat.resolve("Landkreis Osnabrück")
    assert (city.id, city.type, kreis.id, kreis.type) == (
        "osnabrueck", "kreisfreie Stadt", "landkreis-osnabrueck", "Landkreis")
    assert cat.resolve("Kreis Osnabrück") is kreis
    assert cat.resolve("Osnabrück, Landkreis") is kreis
    assert cat.resolve("München").id == "muenchen" and cat.resolve("Landeshauptstadt München").id == "muenchen"
    assert cat.resolve("Landkreis München").id == "landkreis-muenchen"
    text = "Der Landkreis Osnabrück (Am Schölerberg 1, 49082 Osnabrück) und die Stadt Osnabrück kooperieren."
    assert [m.id for m in cat.find_in_text(text)] == ["landkreis-osnabrueck", "osnabrueck"]
    assert len(kreis.passages) + len(kreis.mentions) >= 5 and len(city.passages) + len(city.mentions) >= 5
    assert len(set(kreis.passages) - set(city.passages)) >= 3  # Landkreis passages are not the city's


def test_aliases(cat):
    assert cat.resolve("Kempten im Allgäu").id == "kempten-allgaeu"
    assert cat.resolve("Chósebuz").id == "cottbus-chosebuz"
    assert cat.resolve("Nordfriesland").id == "kreis-nordfriesland"
    assert cat.resolve("Halle").id == "halle-saale"
    with pytest.raises(BadRequest) as err:
        cat.resolve("Bad")
    assert {"Bad Tölz", "Bad Sooden-Allendorf"} <= set(err.value.detail["candidates"])


def test_partner_cities(cat):
    for name, country in [("Chesterfield", "Vereinigtes Königreich"), ("Bursa", "Türkei"),
                          ("Trondheim", "Norwegen"), ("Saanen", "Schweiz"), ("Brescia", "Italien")]:
        m = cat.resolve(name)
        assert (m.type, m.country, m.bundesland) == ("ausländische Partnerstadt", country, None)
    freiberg = cat.resolve("Freiberg")
    assert (freiberg.type, freiberg.bundesland, freiberg.country) == (
        "kreisangehörige Stadt/Gemeinde", "Sachsen", "Deutschland")
    assert freiberg.provenance["bundesland"] == "geonames"  # the population prior: Freiberg (Sachsen) is 2.7x Freiberg am Neckar
    assert values(freiberg, "Partnerstadt von") == ["Darmstadt"]


def test_desi_good_ideas_and_mentions(cat):
    assert "Kommunale Sprachkurse" in cat.resolve("Kreis Nordfriesland").projects
    assert "„talentCAMPus“ – Kulturelle Bildungsprojekte für junge Menschen" in cat.resolve("Weimar").projects
    assert "Flexible Stellenstrukturen" in cat.resolve("Landkreis Karlsruhe").projects
    assert cat.resolve("Treptow-Köpenick").type == "Stadtbezirk"
    assert cat.resolve("Landkreis Cochem-Zell").bundesland == "Rheinland-Pfalz"
    assert cat.resolve("Kreis Warendorf").type == "Landkreis"
    assert "Sprache" in cat.resolve("Kreis Nordfriesland").themes


def test_coverage(cat):
    cov = cat.coverage()
    assert cov["municipalities"] >= 170
    assert cov["with_type"] == cov["municipalities"]
    assert cov["with_bundesland"] >= cov["municipalities"] - 5  # the five foreign partner cities
    assert cov["with_population"] >= 130  # documents' figures plus GeoNames for the German towns
    assert cov["with_passages"] >= 40  # prize profiles and portraits (subjects), not address lists
    assert cov["with_evidence"] >= 0.9 * cov["municipalities"]  # passages, mentions or project titles


def test_ingested_profile_passages_follow_section_path(ingested):
    cat, result = ingested
    alheim = cat.resolve("Alheim")
    by_id = {p.id: p for p in result.passages}
    under_heading = [p for p in result.passages if "Alheim" in p.section_path]
    assert under_heading and all(p.id in alheim.passages for p in under_heading)
    assert any("Alheim" not in by_id[pid].text for pid in alheim.passages)  # membership by heading only
    fact = alheim.fact("Einwohnerzahl")[0]
    assert fact["source"]["passage_id"] in by_id
    assert "4.985" in by_id[fact["source"]["passage_id"]].text
