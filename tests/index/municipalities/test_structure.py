"""Structure data (GeoNames populations with source and year), the documents' groups,
Unicode-normalised names, and subjects versus mentions on the real corpus."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from index.municipalities.model import Catalogue, Municipality
from index.municipalities import geodata
from index.municipalities.gazetteer import land_code
from index.municipalities.groups import find_groups
from index.municipalities.model import CATALOGUE_VERSION

KA, KF, LK = "kreisangehörige Stadt/Gemeinde", "kreisfreie Stadt", "Landkreis"


@pytest.mark.parametrize("name, land, population, expected_land", [
    ("Halle (Saale)", "ST", 237865, "ST"),
    ("Alheim", "HE", 4833, "HE"),
    ("Kempten (Allgäu)", None, 61399, "BY"),
    ("Cottbus/Chósebuz", "BB", 84754, "BB"),  # the bilingual name's first part
    ("Minden", "NW", 82879, "NW"),
])
def test_geonames_lookup(name, land, population, expected_land):
    rec = geodata.lookup(name, land)
    assert rec is not None and (rec.population, rec.land) == (population, expected_land)


def test_geonames_refuses_ambiguous_and_unknown_names():
    assert geodata.lookup("Minden") is None  # North Rhine-Westphalia and Rhineland-Palatinate
    assert geodata.lookup("Ronneburg", "HE") is None  # only the Thuringian one is in the extract
    assert geodata.lookup("Hintertupfingen") is None
    assert geodata.lookup("Henstedt-Ulzburg", "SH") is None or geodata.lookup("Henstedt-Ulzburg", "SH").name != "Henstedt"


def test_enrich_keeps_document_figures_and_fills_towns_only():
    doc = SimpleNamespace(id="difu", title="Zusammenleben Hand in Hand (Difu 2018)", meta={"year": "2018"})
    fact = {"name": "Einwohnerzahl", "value": "4.985",
            "source": {"doc_id": "difu", "passage_id": "p7", "offset": 0, "quote": "Einwohnerzahl 4.985"}}
    stated = Municipality("alheim", "Alheim", type=KA, bundesland="Hessen", population=4985, facts=[fact],
                          provenance={"population": "dokument"})
    town = Municipality("halle-saale", "Halle (Saale)", type=KF, bundesland=None)
    kreis = Municipality("landkreis-kassel", "Landkreis Kassel", type=LK, bundesland="Hessen")
    foreign = Municipality("bursa", "Bursa", type="ausländische Partnerstadt", country="Türkei")
    counts = geodata.enrich([stated, town, kreis, foreign], [doc])
    assert counts == {"from_documents": 1, "from_geonames": 1, "unknown": 2}
    assert stated.population == 4985 and stated.population_source == {
        "source": "Zusammenleben Hand in Hand (Difu 2018)", "year": "2018", "doc_id": "difu", "passage_id": "p7",
        "quote": "Einwohnerzahl 4.985"}
    assert town.population == 237865 and town.bundesland == "Sachsen-Anhalt"
    assert town.provenance == {"population": "geonames", "bundesland": "geonames"}
    assert town.population_source["source"].startswith("GeoNames") and town.population_source["year"] == geodata.YEAR
    assert kreis.population is None and kreis.population_source is None  # "ohne Angabe", not excluded


def test_membership_list_in_prose_becomes_a_group():
    text = ("Neun Kommunen haben sich am Modellprojekt „Weltoffene Kommune“ beteiligt (Altenburger Land, Landkreis; "
            "Dessau-Roßlau; Kempten im Allgäu; Zwickau). Die Liste (Köln; Bonn) ist zu kurz.")
    cat = Catalogue([Municipality("landkreis-altenburger-land", "Landkreis Altenburger Land", type=LK),
                     Municipality("dessau-rosslau", "Dessau-Roßlau", type=KF),
                     Municipality("kempten-allgaeu", "Kempten (Allgäu)", type=KF),
                     Municipality("zwickau", "Zwickau", type=KA),
                     Municipality("koeln", "Köln", type=KF), Municipality("bonn", "Bonn", type=KF)])
    doc = SimpleNamespace(id="desi", text=text)
    groups = find_groups(cat, [doc], lambda d, o: f"{d}@{o}")
    assert [(g.label, g.members) for g in groups] == [(
        "Modellprojekt „Weltoffene Kommune“",
        ["landkreis-altenburger-land", "dessau-rosslau", "kempten-allgaeu", "zwickau"])]
    assert groups[0].passage_id == f"desi@{text.index('(')}"


@pytest.mark.parametrize("written", ["Osnabru\u0308ck", "OSNABRÜCK", "Osnabrueck", "osnabrück "])
def test_names_resolve_after_unicode_normalisation(written):
    cat = Catalogue([Municipality("osnabrueck", "Osnabrück", type=KF),
                     Municipality("landkreis-osnabrueck", "Landkreis Osnabrück", type=LK,
                                  aliases=["Kreis Osnabrück"])])
    assert cat.resolve(written).id == "osnabrueck"
    assert cat.resolve("Landkreis Osnabru\u0308ck").id == "landkreis-osnabrueck"


def test_catalogue_round_trip_keeps_groups_and_titles():
    m = Municipality("a", "A", passages=["p1"], mentions=["p2"], passage_titles={"p1": "T"},
                     population_source={"source": "GeoNames", "year": 2026})
    cat = Catalogue([m], groups=[{"label": "G", "members": ["a"], "doc_id": None, "passage_id": None}])
    data = cat.to_dict()
    assert data["version"] == CATALOGUE_VERSION
    back = Catalogue.from_dict(data)
    assert back.groups == cat.groups and back.get("a").to_dict() == m.to_dict()
    assert back.groups_of("a")[0]["label"] == "G"


@pytest.fixture(scope="module")
def corpus(real_corpus_ingested):
    catalogue, result = real_corpus_ingested
    return catalogue, {p.id: p for p in result.passages}


def test_portrait_title_lines_make_subjects(corpus):
    """A portrait title line the heading detection missed still names its subjects."""
    cat, passages = corpus
    for name in ("Dortmund", "Eimsbüttel", "Halle (Saale)"):
        m = cat.resolve(name)
        titles = set(m.passage_titles.values())
        assert "Kooperation zwischen Verwaltung und Wohnungswirtschaft bei der Unterbringung von Geflüchteten" in titles
    kaiserslautern = cat.resolve("Kaiserslautern")
    after = [pid for pid, t in cat.resolve("Dortmund").passage_titles.items() if t.startswith("Kooperation")]
    # passages that start after the title line belong to that portrait, not to the one before
    assert any(pid not in kaiserslautern.passages for pid in after)


def test_reference_passages_link_no_municipality(corpus):
    from index.municipalities.evidence import is_reference

    cat, passages = corpus
    linked = {pid for m in cat for pid in [*m.passages, *m.mentions]}
    reference = {pid for pid, p in passages.items() if is_reference(p)}
    assert reference and not linked & reference
    appendix = [p for p in passages.values() if "Anhang" in p.section_path and "Wettbewerbsteilnehmer" in p.text]
    assert appendix and all(is_reference(p) for p in appendix)


def test_population_known_for_every_town_geonames_covers(corpus):
    cat, _ = corpus
    towns = [m for m in cat if m.type in (KA, KF, "Stadtbezirk") and m.country == "Deutschland"]
    covered = [m for m in towns if geodata.lookup(m.name, land_code(m.bundesland))]
    assert covered and all(m.population is not None and m.population_source for m in covered)
    assert all(m.population_source for m in cat if m.population is not None)
