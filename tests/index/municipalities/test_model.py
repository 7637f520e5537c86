"""Catalogue building blocks on hand-made text and passages (no corpus)."""

from __future__ import annotations

import json

import pytest

from index.municipalities.extract import build_catalogue

from index.municipalities.model import Catalogue, Municipality
from index.municipalities.gazetteer import fold, land_code, slugify
from index.municipalities.names import parse_name
from index.municipalities.sources.desi import parse_table1
from index.municipalities.sources.difu import appendix_names, parse_appendix, parse_profiles
from index.municipalities.taxonomy import canonical_theme, themes_in_text
from core.errors import BadRequest, NotFound
from core.schema import Document, Passage

PROFILE = """4.2 Kreisangehörige Städte und Gemeinden

Alheim

Kommune und Wettbewerbsbeitrag im Überblick

Einwohnerzahl\t4.985
Bundesland\tHessen
Titel des Beitrags\tFlüchtlingshilfe Alheim
Schwerpunkt des Beitrags\tEhrenamtliche Flüchtlingshilfe einschließlich Patenschaften
Kontakt\tGemeinde Alheim

Beschreibung des Wettbewerbsbeitrags

Die Gemeinde setzt auf Ehrenamt und Patenschaften.
"""

APPENDIX = """Anhang

Wettbewerbsteilnehmer im Überblick

Niedersachsen

Kommune\tTitel des Wettbewerbsbeitrages und ggf. der Einzelprojekte (EP)
Stadt Osnabrück Fachbereich Integration Natruper-Tor-Wall 2 49076 Osnabrück +49 541 323-4506 www.osnabrueck.de\tGestalte Deine Stadt EP 1: In: Komm EP 2: Dein Quartier und du
<p>Landkreis Osnabrück Referat für Strategische Planung Am Schölerberg 1 49082 Osnabrück +49 541 501-3062 www.landkreis-osnabrueck.de</p>\t<p>Konzept Migration und Integration</p>
"""

TABLE = """Kommune\tBundesland\tBevölkerung\tAusländische Bevölkerung\tAnteil an Bevölkerung\tSchutzsuchende\tAnteil an Bevölkerung
Osnabrück, kreisfreie Stadt\tNI\t166.960\t30.835\t18,5 %\t8.750\t5,2 %
Dinslaken, kreisangehörige Stadt* (Kreis Wesel)\tNW\t67.762\t7.796\t11,5 %\t---\t---
"""


def doc(doc_id: str, text: str) -> Document:
    return Document(id=doc_id, title=doc_id, path=f"{doc_id}.txt", sha256="0", format="txt", text=text)


def passage(pid: str, text: str, section_path=(), doc_id="d", start=0) -> Passage:
    return Passage(pid, doc_id, doc_id, text, 1, list(section_path), start, start + len(text), 0)


def test_names_keep_landkreis_and_city_apart():
    assert parse_name("Landkreis Osnabrück").key == parse_name("Osnabrück, Landkreis").key == ("kreis", "osnabrueck")
    assert parse_name("Landkreises Osnabrück").key == ("kreis", "osnabrueck")
    assert parse_name("Stadt Osnabrück").key == ("muni", "osnabrueck")
    assert parse_name("Bezirk Charlottenburg- Wilmersdorf (Berlin)").display == "Charlottenburg-Wilmersdorf"
    assert parse_name("Eimsbüttel, Stadtbezirk* (Hamburg)").land == "HH"
    assert parse_name("Dinslaken, kreisangehörige Stadt* (Kreis Wesel)").parent == "Kreis Wesel"
    assert parse_name("Burgenlandkreis").kind == "kreis"
    assert parse_name("Samtgemeinde Elm-Asse").display == "Samtgemeinde Elm-Asse"


def test_fold_slug_and_land_codes():
    assert fold("Osnabrück") == fold("Osnabrueck") == "osnabrueck"
    assert fold("Chóšebuz") == "chosebuz"
    assert slugify("Landkreis Osnabrück") == "landkreis-osnabrueck"
    assert land_code("NRW") == land_code("Nordrhein-Westfalen") == land_code("NW") == "NW"
    assert land_code("Hessen") == "HE" and land_code("Atlantis") is None


def test_profile_parser_reads_the_tab_table_and_group():
    (rec,) = parse_profiles("difu", PROFILE)
    assert (rec.name, rec.population, rec.land, rec.type_hint) == ("Alheim", 4985, "HE", "kreisangehörige Stadt/Gemeinde")
    assert rec.projects == ["Flüchtlingshilfe Alheim"]
    # cleaned text may turn tabs into spaces and join lines
    (joined,) = parse_profiles("difu", PROFILE.replace("\t", " ").replace("4.985\n", "4.985 "))
    assert (joined.population, joined.projects) == (4985, ["Flüchtlingshilfe Alheim"])


def test_appendix_parser_isolates_names_and_einzelprojekte():
    recs = parse_appendix("difu", APPENDIX)
    assert [(r.name, r.land) for r in recs] == [("Stadt Osnabrück", "NI"), ("Landkreis Osnabrück", "NI")]
    assert recs[0].projects == ["Gestalte Deine Stadt", "In: Komm", "Dein Quartier und du"]
    assert appendix_names("Stadt Esslingen am Neckar Referat 38 73728 Esslingen am Neckar +49 711") == [
        "Stadt Esslingen am Neckar"]
    assert appendix_names("Klingenstein Solingen Stadtdienst Integration 42655 Solingen +49 212") == ["Solingen"]
    assert appendix_names("Stadt und Landkreis Würzburg Karmelitenstr. 43, 97070 Würzburg +49 931") == [
        "Stadt Würzburg", "Landkreis Würzburg"]


def test_table_parser_handles_missing_cells_and_parents():
    recs = parse_table1("desi", TABLE)
    assert [r.name for r in recs] == ["Osnabrück, kreisfreie Stadt", "Dinslaken, kreisangehörige Stadt* (Kreis Wesel)",
                                      "Kreis Wesel"]
    facts = {f["name"]: f["value"] for f in recs[1].facts}
    assert facts["Einwohnerzahl"] == "67.762" and "Schutzsuchende" not in facts


@pytest.fixture()
def small():
    docs = [doc("difu", PROFILE + "\n" + APPENDIX), doc("desi", TABLE)]
    text = "Die Gemeinde setzt auf Ehrenamt und Patenschaften."
    start = docs[0].text.index(text)
    passages = [
        passage("p1", text, ["4.2 Kreisangehörige Städte und Gemeinden", "Alheim", "Beschreibung"], "difu", start),
        passage("p2", "Der Landkreis Osnabrück berät; die Stadt Osnabrück auch.", ["Anhang"], "difu", 0),
        passage("p3", "Sprachkurse im Landkreis Osnabrück (49082 Osnabrück).", [], "desi", 0),
    ]
    return build_catalogue(docs, passages)


def test_build_merges_sources_and_assigns_passages(small):
    alheim = small.resolve("Alheim")
    assert alheim.passages == ["p1"]  # by section heading, the text never names Alheim
    assert "Engagement/Ehrenamt" in alheim.themes
    # p2 stands in an "Anhang" (reference material): it links no municipality at all;
    # p3 only names the Landkreis in prose: a mention, not a passage about it
    assert small.resolve("Osnabrück").passages == [] and small.resolve("Osnabrück").mentions == []
    assert small.resolve("Landkreis Osnabrück").passages == []
    assert small.resolve("Landkreis Osnabrück").mentions == ["p3"]
    assert alheim.passage_titles == {"p1": "Flüchtlingshilfe Alheim"}  # the prize profile's project title
    city = small.resolve("Osnabrück")
    assert city.population == 166960 and city.sources == ["desi", "difu"]
    assert city.type == "kreisfreie Stadt" and city.provenance["type"] == "dokument"
    kreis = small.resolve("Kreis Wesel")
    assert (kreis.type, kreis.bundesland) == ("Landkreis", "Nordrhein-Westfalen")


def test_resolve_errors_and_filter(small):
    with pytest.raises(NotFound) as err:
        small.resolve("Osnabrueckk")
    assert "Osnabrück" in err.value.detail["suggestions"]
    with pytest.raises(BadRequest):
        small.resolve("   ")
    assert [m.id for m in small.filter(bundesland="NRW")] == ["dinslaken", "kreis-wesel"]
    assert [m.id for m in small.filter(type="Landkreis", bundesland="Niedersachsen")] == ["landkreis-osnabrueck"]
    # the Kreise have their official population (Destatis 2018) although no document states one
    assert [m.id for m in small.filter(min_population=100_000)] == ["kreis-wesel", "landkreis-osnabrueck", "osnabrueck"]
    assert [m.id for m in small.filter(min_population=400_000)] == ["kreis-wesel"]
    assert [m.id for m in small.filter(theme="Ehrenamt")] == ["alheim"]
    with pytest.raises(BadRequest):
        small.filter(bundesland="Atlantis")
    with pytest.raises(BadRequest):
        small.filter(theme="Raumfahrt")


def test_ambiguous_alias_raises_with_candidates():
    cat = Catalogue([
        Municipality("neustadt-he", "Neustadt", bundesland="Hessen", aliases=["Neustadt (Hessen)"]),
        Municipality("neustadt-sn", "Neustadt", bundesland="Sachsen", aliases=["Neustadt in Sachsen"]),
    ])
    with pytest.raises(BadRequest) as err:
        cat.resolve("Neustadt")
    assert err.value.detail["candidates"] == ["Neustadt", "Neustadt"]
    assert cat.resolve("Neustadt in Sachsen").id == "neustadt-sn"
    assert cat.find_in_text("In Neustadt gibt es ...") == []  # ambiguous mentions are skipped


def test_find_in_text_rules():
    cat = Catalogue([
        Municipality("osnabrueck", "Osnabrück", aliases=["Osnabrücks"]),
        Municipality("landkreis-osnabrueck", "Landkreis Osnabrück", aliases=["Landkreises Osnabrück"]),
        Municipality("berlin", "Berlin"),
        Municipality("essen", "Essen"),
    ])
    ids = lambda t: [m.id for m in cat.find_in_text(t)]  # noqa: E731
    assert ids("des Landkreises Osnabrück") == ["landkreis-osnabrueck"]
    assert ids("Osnabrücks Zukunft") == ["osnabrueck"]
    assert ids("49082 Osnabrück, www.osnabrueck.de, info@osnabrueck.de") == []
    assert ids("Amt für Statistik Berlin-Brandenburg") == []
    assert ids("wir essen gemeinsam; Stadt Essen") == ["essen"]


def test_roundtrip_is_json_serialisable(small):
    data = json.loads(json.dumps(small.to_dict(), ensure_ascii=False))
    again = Catalogue.from_dict(data)
    assert again.to_dict() == small.to_dict()
    assert again.resolve("Kreis Osnabrück").id == "landkreis-osnabrueck"
    cov = again.coverage()
    assert cov["municipalities"] == len(small) and cov["with_population"] == 5  # two Kreise from Destatis


def test_taxonomy():
    assert themes_in_text("Ehrenamtliche Patenschaften und Sprachkurse") == ["Engagement/Ehrenamt", "Sprache"]
    assert themes_in_text("gute Zusammenarbeit im Netzwerk") == ["Vernetzung"]  # not "Arbeit"
    assert canonical_theme("ehrenamt") == "Engagement/Ehrenamt"
    assert canonical_theme("Sprache") == "Sprache"
    assert canonical_theme("Raumfahrt") is None


@pytest.mark.parametrize("name, adjectives", [
    ("Freiberg", {"Freiberger"}), ("Hanau", {"Hanauer"}), ("Rheine", {"Rheiner"}), ("Tübingen", {"Tübinger"}),
    ("Darmstadt", {"Darmstädter"}), ("Neuss", {"Neusser"}), ("Dülmen", {"Dülmener"}),
    ("Halle (Saale)", set()), ("Weissach im Tal", set()), ("Cottbus/Chóśebuz", set()), ("Elm-Asse", set()),
])
def test_place_adjectives(name, adjectives, monkeypatch):
    from index.municipalities import names

    monkeypatch.setattr(names, "common_words", lambda: frozenset())
    assert names.place_adjectives(name) == adjectives


def test_place_adjective_that_is_a_word_is_dropped(monkeypatch):
    """"Hammer" is a tool before it is Hamm's adjective (Ding lists it as a word)."""
    from index.municipalities import names

    monkeypatch.setattr(names, "common_words", lambda: frozenset({"hammer"}))
    assert names.place_adjectives("Hamm") == set()
    assert "Hammer" not in names.aliases_for(parse_name("Stadt Hamm"))
    assert "Dortmunder" in names.aliases_for(parse_name("Stadt Dortmund"))
    assert not any(a.endswith("er") and " " not in a for a in names.aliases_for(parse_name("Landkreis Dortmund")))


def test_adjective_mentions_a_place_but_a_street_is_an_address():
    cat = Catalogue([Municipality("augsburg", "Augsburg", aliases=["Augsburger"]),
                     Municipality("berlin", "Berlin", aliases=["Berliner"])])
    ids = lambda t: [m.id for m in cat.find_in_text(t)]  # noqa: E731
    assert ids("das Augsburger Bündnis für Integration") == ["augsburg"]
    assert ids("Kontakt: Augsburger Str. 12, Berliner Platz 3") == []
    assert ids("Berlin Straße") == ["berlin"]  # no house number: not an address
