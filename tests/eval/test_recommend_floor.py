"""CI floor for comparable-municipality recommendations and "who does X?" on every case set
(real snapshot).

Runs the recommender and ``who_does`` through the service's catalogue adapter (hybrid search
with the real model) on every set of ``eval/cases/`` (``recommend_eval.ALL_SETS``) and fails
when recall@5, recall@10 or nDCG@10 of a set falls more than the recorded tolerance below
``eval/floor-recommend.json``. Record new floors with ``praxisfinder eval-recommend --record-floor``.
"""

from __future__ import annotations

import pytest

from eval.recommend_eval import ALL_SETS, CASE_SETS, METRICS, evaluate_set, load_cases, read_floor, set_name

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def results(real_application):
    adapter = real_application.require_catalogue()

    def run(_cat, query, topic=None, k=10):
        return [rec for _, rec in adapter.recommend_for(query, topic, k)]

    return {set_name(p): evaluate_set(adapter.catalogue, p, run, lambda topic, k: adapter.who_does(topic, k))
            for p in ALL_SETS}


# Names the catalogue does not hold yet (Michelstadt is named once, unprefixed, in a list of
# towns; Nantes, Saarbrücken's partner city, is a foreign city no layout of the corpus lists).
KNOWN_UNRESOLVED = {("k44", "Michelstadt"), ("k45", "Nantes")}


def test_every_case_resolves(results):
    for name, result in results.items():
        assert {(u["case"], u["name"]) for u in result["unresolved"]} <= KNOWN_UNRESOLVED, name


@pytest.mark.parametrize("case_set", [set_name(p) for p in ALL_SETS])
def test_recommendations_hold_the_floor(results, case_set):
    floor = read_floor()
    recorded, tolerance = floor["sets"][case_set], floor["tolerance"]
    got = results[case_set]["overall"]
    for metric in METRICS:
        assert got[metric] >= recorded[metric] - tolerance, (case_set, metric, got[metric], recorded[metric])


def test_recall_at_10_target(results):
    """Issue 11's target: recall@10 >= 0.80 on the two sets it was set on (issue 22's 0.85 on
    every set is not met yet; the floors above guard the newer sets)."""
    for name in ("comparable", "comparable-blind"):
        assert results[name]["overall"]["recall@10"] >= 0.80, name


def test_every_recommendation_has_a_reason_with_evidence(results, real_application):
    """Every reason of every recommendation names its evidence passage or a data source, and
    a practice reason's passage is about that municipality (its subject), never reference
    material and never a passage about someone else."""
    adapter = real_application.require_catalogue()
    ranker = adapter.practice_ranker()
    for case in load_cases(CASE_SETS[1])[:20] + load_cases(CASE_SETS[2])[:20]:
        query = adapter.catalogue.resolve(case["municipality"])
        for record, rec in adapter.recommend_for(query, case.get("topic"), 10):
            # a foreign partner city has no structure to share: a candidate may rest on nothing
            # but its rank there (blind 2's partner-city cases), never on an unsourced reason
            assert rec.details or case["id"].startswith("k"), (case["id"], rec.id)
            for r in rec.details:
                assert r.passage_id or r.source, (case["id"], rec.id, r.text)
                assert not ranker.is_reference(r.passage_id), (case["id"], rec.id, r.text)
                if r.kind == "practice":
                    assert r.passage_id in record.passages, (case["id"], rec.id, r.text)
