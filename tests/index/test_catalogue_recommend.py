"""Recommendations on small hand-built catalogues: each component orders the results."""

from __future__ import annotations

import numpy as np
import pytest

from index.catalogue import Catalogue, Municipality
from index.catalogue.practice import PracticeVectors
from index.catalogue.profile import parse_description, parse_population
from index.catalogue.recommend import recommend

LK, KA, KF = "Landkreis", "kreisangehörige Stadt/Gemeinde", "kreisfreie Stadt"


def muni(mid, type_, land, pop, themes=(), passages=()):
    return Municipality(mid, mid.replace("-", " ").title(), type=type_, bundesland=land, population=pop,
                        themes=list(themes), passages=list(passages),
                        theme_evidence={t: [f"{mid}-{t}"] for t in themes})


def ids(recs):
    return [r.id for r in recs]


def test_parse_description():
    p = parse_description("ländlicher Landkreis in Brandenburg, 80.000 Einwohner, Schwerpunkt Ehrenamt")
    assert (p.type, p.land, p.population, p.settlement, p.themes) == (
        "Landkreis", "BB", 80000, "ländlich", ["Engagement/Ehrenamt"])
    q = parse_description("kreisfreie Stadt in NRW mit 1,2 Mio. Einwohnern seit 2015")
    assert (q.type, q.land, q.population, q.settlement) == ("kreisfreie Stadt", "NW", 1_200_000, "städtisch")
    assert parse_description("kleine Gemeinde in Sachsen-Anhalt").land == "ST"
    assert parse_description("Gemeinde in Sachsen").land == "SN"


@pytest.mark.parametrize("text, expected", [
    ("80.000 Einwohner", 80000), ("80 000", 80000), ("80k", 80000), ("rund 80 Tsd. EW", 80000),
    ("im Jahr 2018", None), ("12500 Einwohner", 12500), ("keine Zahl", None),
])
def test_parse_population(text, expected):
    assert parse_population(text) == expected


def test_type_then_region_then_size_order_the_results():
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
    assert ids(recs)[:3] == ["lk-same-land", "lk-neighbour", "lk-east-far"]
    assert ids(recs).index("lk-far") > ids(recs).index("lk-east-far")  # East/West counts
    first = recs[0]
    assert "gleicher Typ: Landkreis" in first.reasons and "ebenfalls in Brandenburg" in first.reasons
    assert "benachbartes Bundesland: Sachsen" in recs[1].reasons


def test_size_on_a_log_scale():
    cat = Catalogue([
        muni("q", KA, "Hessen", 10_000),
        muni("a", KA, "Hessen", 12_000),
        muni("b", KA, "Hessen", 40_000),
        muni("c", KA, "Hessen", 400_000),
    ])
    recs = recommend(cat, cat.get("q"), k=3)
    assert ids(recs) == ["a", "b", "c"]
    assert "ähnliche Größe (12.000 vs. 10.000 Einwohner)" in recs[0].reasons
    assert recs[0].components["size"] == pytest.approx(1 - np.log10(1.2), abs=1e-4)


def test_shared_themes_and_topic_break_structural_ties():
    cat = Catalogue([
        muni("q", KA, "Hessen", 10_000, ["Engagement/Ehrenamt", "Vernetzung"]),
        muni("plain", KA, "Hessen", 10_000, ["Wohnen"]),
        muni("shared", KA, "Hessen", 10_000, ["Engagement/Ehrenamt", "Vernetzung"]),
        muni("topical", KA, "Hessen", 10_000, ["Sprache"]),
    ])
    assert ids(recommend(cat, cat.get("q"), k=3))[0] == "shared"
    with_topic = recommend(cat, cat.get("q"), topic="Sprachkurse", k=3)
    assert ids(with_topic)[0] == "topical"
    assert "Praxis im gesuchten Handlungsfeld: Sprache" in with_topic[0].reasons
    assert with_topic[0].evidence[0] == "topical-Sprache"
    shared = next(r for r in with_topic if r.id == "shared")
    assert "gemeinsame Handlungsfelder: Engagement/Ehrenamt, Vernetzung" in shared.reasons


def test_free_text_query_and_exact_name_query():
    cat = Catalogue([
        muni("lk-bb", LK, "Brandenburg", 82_000, ["Engagement/Ehrenamt"]),
        muni("lk-bb-big", LK, "Brandenburg", 400_000),
        muni("city-bb", KF, "Brandenburg", 80_000, ["Engagement/Ehrenamt"]),
    ])
    recs = recommend(cat, "ländlicher Landkreis in Brandenburg, 80.000 Einwohner, Schwerpunkt Ehrenamt", k=3)
    # the stated focus (Ehrenamt) counts as topic: the town that works on it beats a
    # Landkreis five times the size that does not
    assert ids(recs) == ["lk-bb", "city-bb", "lk-bb-big"]
    assert "ähnliche Größe (82.000 vs. 80.000 Einwohner)" in recs[0].reasons
    assert "lk-bb" not in ids(recommend(cat, "Lk Bb", k=3))  # an exact name is the municipality itself


def test_ties_are_deterministic_and_k_limits():
    cat = Catalogue([muni("q", KA, "Hessen", 10_000)] + [muni(f"m{i}", KA, "Hessen", 10_000) for i in range(5)])
    first = recommend(cat, cat.get("q"), k=3)
    assert ids(first) == ["m0", "m1", "m2"] == ids(recommend(cat, cat.get("q"), k=3))
    assert recommend(cat, cat.get("q"), k=0) == []


def test_practice_vectors_rank_by_passage_similarity():
    cat = Catalogue([
        muni("q", KA, "Hessen", 10_000, passages=["q1"]),
        muni("near", KA, "Hessen", 10_000, passages=["n1", "n2"]),
        muni("far", KA, "Hessen", 10_000, passages=["f1"]),
    ])
    vectors = np.array([[1, 0, 0], [0.9, 0.1, 0], [0, 0, 1], [0, 1, 0]], dtype=np.float32)
    pids = ["q1", "n1", "n2", "f1"]
    topics = {"Thema A": np.array([1.0, 0, 0]), "Thema C": np.array([0, 0, 1.0])}
    practice = PracticeVectors.from_catalogue(
        cat, [type("P", (), {"id": p})() for p in pids], vectors, embed_query=lambda t: topics[t])
    assert np.allclose(np.linalg.norm(practice.vectors["near"]), 1.0)
    recs = recommend(cat, cat.get("q"), k=2, practice=practice)
    assert ids(recs) == ["near", "far"] and recs[0].components["practice"] > recs[1].components["practice"]
    # the topic pulls the centroid of "near" towards its passage n2 and picks it as evidence
    topical = recommend(cat, cat.get("q"), topic="Thema C", k=2, practice=practice)
    assert topical[0].evidence[0] == "n2"
    assert practice.best_passages("near", topics["Thema A"], 1) == ["n1"]
    with pytest.raises(ValueError):
        PracticeVectors({}, ["a"], np.zeros((2, 3)))
