"""Case-example cards: "who does what the question asks?" from the one who_does function."""

from __future__ import annotations

from types import SimpleNamespace

from index.municipalities.model import Municipality
from index.municipalities.who_does import Evidence, PracticeMatch
from service.cases import _why, case_examples, quoted
from service.highlight import QueryTerms
from core.schema import Hit, Passage


def passage(pid, text="Der Ehrenamtliche Dolmetscherpool der Stadt hilft.", title="Bericht (Difu 2018)"):
    return Passage(pid, "d", title, text, 3, ["Anhang"], 0, 1, 0, page_label="12")


class FakeCatalogue:
    """The adapter surface the cards use: who_does and get."""

    def __init__(self, matches):
        self.matches, self.calls = matches, []

    def who_does(self, topic, k, hits=None, allowed=None):
        self.calls.append((topic, k, hits, allowed))
        return [m for m in self.matches if allowed is None or m.id in allowed][:k]

    def get(self, mid):
        return Municipality(id=mid, name=mid.title())  # records are typed (service.catalogue_port)


def test_cards_vote_with_the_page_hits_and_keep_the_filters():
    passages = {"p1": passage("p1"), "p2": passage("p2", "Winnenden | Ehrenamtlicher Dolmetscherpool")}
    cat = FakeCatalogue([
        PracticeMatch("winnenden", "Winnenden", None, "Baden-Württemberg", 1.0, True,
                      [Evidence("row", "Winnenden | Ehrenamtlicher Dolmetscherpool der Stadt Winnenden", "p2", 1.0)]),
        PracticeMatch("leipzig", "Leipzig", None, "Sachsen", 0.4, False, [Evidence("practice", "Sprachmittlung", "p1", 0.2)]),
    ])
    hits = [Hit(passages["p2"], 0.9, 1), Hit(passages["p1"], 0.5, 2)]
    cards = case_examples(cat, "Dolmetscherpool", hits, QueryTerms.of("Dolmetscherpool"), passages.get,
                          allowed={"winnenden"})
    assert cat.calls[0][2] == [("p2", 0.9), ("p1", 0.5)]  # the page's own ranking votes, no second search
    assert [c["id"] for c in cards] == ["winnenden"]
    assert cards[0]["why"]["text"] == "Eintrag „Ehrenamtlicher Dolmetscherpool der Stadt Winnenden“"
    assert cards[0]["why"]["passage_id"] == "p2" and cards[0]["evidence"][0]["passage_id"] == "p2"
    assert "<mark>" in cards[0]["evidence"][0]["snippet"]
    assert case_examples(cat, "x", [], QueryTerms.of("x"), passages.get) == []


def test_reason_texts_by_evidence_kind():
    none = lambda pid: None  # noqa: E731
    assert _why(Evidence("project", "Projekt „In: Komm“", None, 1.0, "Teilnehmerliste"), none) == {
        "kind": "project", "text": "Projekt „In: Komm“", "passage_id": None, "doc_title": None, "page_label": None,
        "source": "Teilnehmerliste"}
    assert _why(Evidence("group", "Kommunaler Qualitätszirkel", None, 0.8), none)["text"] == \
        "Mitglied: Kommunaler Qualitätszirkel"
    assert _why(Evidence("practice", "Flexible Stellenstrukturen", None, 0.1), none)["text"] == \
        "Praxis: „Flexible Stellenstrukturen“"
    assert quoted('Dorf“ – Wir leben') == "„Dorf“ – Wir leben"
