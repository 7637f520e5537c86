from core.schema import Hit, Passage
from service.cases import case_examples
from service.highlight import QueryTerms


class Catalogue:
    def __init__(self, mentions):
        self.mentions = mentions

    def municipalities_for_passage(self, pid):
        return [{"id": m, "name": m.title(), "projects": [f"Projekt {m}"]} for m in self.mentions.get(pid, [])]


def hits(n):
    return [Hit(Passage(f"p{i}", "d", "Dok", f"Text {i} über Ehrenamt", 1, [], 0, 1, i), 1.0 / i, i)
            for i in range(1, n + 1)]


def test_reciprocal_rank_sum_orders_municipalities():
    # a: ranks 2 and 3 (0.833); b: rank 1 (1.0); c: rank 4 twice in one passage counts once (0.25)
    cat = Catalogue({"p1": ["b"], "p2": ["a"], "p3": ["a"], "p4": ["c", "c"]})
    cases = case_examples(hits(4), cat, QueryTerms.of("Ehrenamt"))
    assert [(c["id"], round(c["score"], 3)) for c in cases] == [("b", 1.0), ("a", 0.833), ("c", 0.25)]
    a = cases[1]
    assert [e["passage_id"] for e in a["evidence"]] == ["p2", "p3"]
    assert "<mark>Ehrenamt</mark>" in a["evidence"][0]["snippet"] and a["projects"] == ["Projekt a"]


def test_allowed_limit_and_evidence_cap():
    cat = Catalogue({f"p{i}": ["a", "b", f"x{i}"] for i in range(1, 9)})
    cases = case_examples(hits(8), cat, QueryTerms.of("Ehrenamt"), allowed={"b", "x5"}, limit=6, evidence=3)
    assert [c["id"] for c in cases] == ["b", "x5"]
    assert len(cases[0]["evidence"]) == 3
    assert len(case_examples(hits(8), cat, QueryTerms.of("Ehrenamt"), limit=4)) == 4
    assert case_examples(hits(3), Catalogue({}), QueryTerms.of("Ehrenamt")) == []
