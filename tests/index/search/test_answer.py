"""index.search.answer: relevance floor, no-match verdicts, suggestions, German query terms.

A tiny real Searcher (BM25, FAISS, a hand-made catalogue, the deterministic HashEmbedder)
over a few German passages; the real-corpus checks are in test_answer_real.py.
"""

from __future__ import annotations

import pytest

from core.schema import Document, Passage, passage_id
from core.settings import Settings
from index import ann as vectors
from index.analyzer import analyze
from index.bm25 import BM25Index
from index.model.embedder import HashEmbedder
from index.municipalities.model import Catalogue, Municipality
from index.search import Searcher
from index.search import answer
from index.search.answer import Answer, analyse, content_words, counted_hits
from index.snapshot import SCHEMA_VERSION, Snapshot

TEXTS = [
    ("Einleitung", "Die Gemeinde Alheim koordiniert Ehrenamtliche mit einem Patenschaftsmodell für Geflüchtete."),
    ("Einleitung", "In Dülmen wurde ein Integrationsbeirat eingerichtet, der die Stadt berät."),
    ("Wohnen", "Der Landkreis Osnabrück vermittelt Wohnungen an Geflüchtete über eine Wohnraumbörse."),
    ("Wohnen", "Alheim und Dülmen organisieren Sprachkurse mit ehrenamtlichen Lernbegleitern."),
    ("Sprache", "Straßenfeste fördern das Zusammenleben im Quartier und die Willkommenskultur."),
]


@pytest.fixture(scope="module")
def searcher(tmp_path_factory) -> Searcher:
    emb = HashEmbedder(64)
    text, passages, offset = "", [], 0
    for i, (section, t) in enumerate(TEXTS):
        passages.append(Passage(passage_id("doc", offset, offset + len(t)), "doc", "Praxisbericht (Difu 2018)", t,
                                1, ["Teil A", section], offset, offset + len(t), i))
        text += t + "\n"
        offset += len(t) + 1
    doc = Document(id="doc", title="Praxisbericht (Difu 2018)", path="doc.txt", sha256="0" * 64, format="txt",
                   text=text, page_starts=[0], meta={"year": "2018"})
    texts = [p.embedding_text() for p in passages]
    vecs = emb.encode_passages(texts)
    dense = vectors.create("faiss-flat", emb.dim)
    dense.add(vecs)
    catalogue = Catalogue([Municipality(id="alheim", name="Alheim"), Municipality(id="duelmen", name="Dülmen")])
    manifest = {"schema_version": SCHEMA_VERSION, "snapshot_id": "20260101T000000-000001-answer", "build_key": "k",
                "model": {"name": emb.name, "fingerprint": emb.fingerprint, "dim": emb.dim}}
    translations = {"volunteers": analyze("Ehrenamtliche", decompound=False),
                    "language courses": analyze("Sprachkurse", decompound=False)}
    snap = Snapshot(None, manifest, [doc], passages, vecs, dense, BM25Index().build(texts), catalogue.to_dict(),
                    translations=translations)
    settings = Settings.from_env(data_dir=tmp_path_factory.mktemp("answer"))
    return Searcher(snap, emb, settings, catalogue=catalogue)


def verdict(searcher: Searcher, query: str, mode: str = "hybrid") -> Answer:
    return analyse(searcher, searcher.search(query, k=10, mode=mode))


# -- the relevance floor --------------------------------------------------------------------

def test_floor_is_relative_to_the_best_score_and_a_prefix():
    ratio = answer.RELATIVE_FLOOR["hybrid"]
    scores = [1.0, 0.6, ratio + 0.01, ratio - 0.01, 0.9]  # the 0.9 after a gap does not count: a prefix
    assert counted_hits(scores, "hybrid") == 3
    bm25 = answer.RELATIVE_FLOOR["bm25"]
    scores = [1.0, 0.6, bm25 + 0.01, bm25 - 0.01, 0.9]
    assert counted_hits([s * 7 for s in scores], "bm25") == 3  # scale-free for raw BM25 scores


def test_dense_floor_is_a_cosine_margin():
    m = answer.DENSE_MARGIN
    assert counted_hits([0.88, 0.88 - m + 0.001, 0.88 - m - 0.001], "dense") == 2


def test_floor_of_empty_or_non_positive_rankings_is_zero():
    assert counted_hits([], "hybrid") == 0
    assert counted_hits([0.0, 0.0], "bm25") == 0


# -- query words ----------------------------------------------------------------------------

def test_content_words_drop_german_and_english_stop_words_and_keep_case():
    assert content_words("die der und") == []
    assert content_words("how do the of") == []
    assert content_words("Wie organisieren ländliche Gemeinden die Koordination?") == [
        "organisieren", "ländliche", "Gemeinden", "Koordination"]
    assert content_words("Mitfahrerbänke Elm-Asse") == ["Mitfahrerbänke", "Elm", "Asse"]


# -- no match -------------------------------------------------------------------------------

def test_only_stop_words_is_a_no_match_that_says_so(searcher):
    v = verdict(searcher, "die der und")
    assert v.no_match and v.reason == "stopwords" and v.total == 0
    assert v.stopwords == ["die", "der", "und"]
    assert "only stop words" in v.notice() and "die, der, und" in v.notice()
    assert "Füllwörtern" in v.notice_de()


def test_an_unknown_place_is_a_no_match(searcher):
    v = verdict(searcher, "Hintertupfingen")
    assert v.no_match and v.reason == "unknown_terms" and v.total == 0
    assert v.unknown_terms == ["Hintertupfingen"]
    assert v.notice() == "no matches: 'Hintertupfingen' occurs in no document"
    assert v.notice_de().startswith("‚Hintertupfingen‘ kommt in keinem Dokument vor, und keine Passage passt")
    assert verdict(searcher, "Hintertupfingen", mode="bm25").no_match


def test_an_unknown_word_beside_known_ones_is_named_but_not_a_no_match(searcher):
    v = verdict(searcher, "Hintertupfingen Ehrenamtliche")
    assert not v.no_match and v.total > 0
    assert v.unknown_terms == ["Hintertupfingen"]
    assert "kommt in keinem Dokument vor" in v.notice_de()


def test_known_words_names_and_compounds_of_known_parts_are_no_unknown_terms(searcher):
    for query in ("Alheim", "Dülmen Integrationsbeirat", "Wohnraumbörse", "Sprachkurse Straßenfeste"):
        v = verdict(searcher, query)
        assert not v.no_match and v.unknown_terms == [], query
    assert verdict(searcher, "volunteers").unknown_terms == []  # English with a German translation


def test_high_dense_similarity_overrules_unknown_words(searcher, monkeypatch):
    monkeypatch.setattr(answer, "NO_MATCH_DENSE", -1.0)  # every cosine counts as high
    assert not verdict(searcher, "Hintertupfingen").no_match


# -- did you mean ---------------------------------------------------------------------------

def test_near_spellings_from_the_corpus_and_the_catalogue(searcher):
    assert verdict(searcher, "Alhiem Sprachkurse").suggestions[0] == "Alheim Sprachkurse"
    assert verdict(searcher, "Dülmn").suggestions[0] == "Dülmen"
    assert verdict(searcher, "Hintertupfingen").suggestions == []  # nothing near: no guess


def test_one_suggestion_per_stem(searcher):
    v = verdict(searcher, "Wohnraumbörze")
    suggestions = v.suggestions
    assert suggestions and suggestions[0] == "Wohnraumbörse"
    assert not v.no_match and v.total > 0  # typo tolerance found it
    assert len({analyze(s, decompound=False)[0] for s in suggestions}) == len(suggestions)


# -- the German terms searched --------------------------------------------------------------

def test_english_query_terms_are_german_word_forms(searcher):
    v = verdict(searcher, "volunteers language courses")
    assert sorted(v.query_terms) == ["Ehrenamtliche", "Sprachkurse"]
    assert v.unknown_terms == []  # "language courses" is a dictionary phrase
    assert v.extra_terms == v.query_terms
    assert set(analyze("Ehrenamtliche", decompound=False)) <= v.highlight_stems
    assert v.to_dict()["query_terms"] == v.query_terms


def test_german_query_terms_are_the_words_as_typed_plus_corrections(searcher):
    v = verdict(searcher, "Wohnraumbörze Alheim")
    assert v.query_terms == ["Alheim", "Wohnraumbörse"] and v.extra_terms == ["Wohnraumbörse"]
    assert v.unknown_terms == []  # searched through its correction, so not "in no document"
    plain = verdict(searcher, "Ehrenamtliche in Alheim")
    assert plain.query_terms == ["Ehrenamtliche", "Alheim"] and plain.extra_terms == []


def test_question_words_and_untranslated_english_verbs_raise_no_notice(searcher):
    assert verdict(searcher, "Warum koordiniert Alheim Ehrenamtliche?").unknown_terms == []
    assert content_words("Warum wozu get through") == []
    v = verdict(searcher, "how do volunteers cope with language courses")  # "cope": no translation
    assert v.unknown_terms == [] and not v.no_match
    named = verdict(searcher, "how do volunteers for refugees work in Hintertupfingen")
    assert named.unknown_terms == ["Hintertupfingen"] and not named.no_match


def test_query_stems_for_the_passage_page_include_translations(searcher):
    from index.search.answer import query_stems

    assert set(analyze("Ehrenamtliche", decompound=False)) <= query_stems(searcher, "volunteers")
    assert query_stems(searcher, "   ") == frozenset()


# -- the hit count per query kind (issue 23) -----------------------------------------------

@pytest.mark.parametrize("query, kind", [
    ("Mitfahrerbänke Elm-Asse", "keyword"),
    ("Dolmetscherpool", "keyword"),
    ("volunteer coordination", "keyword"),
    ("Wie organisieren ländliche Gemeinden die Koordination von Ehrenamtlichen?", "question"),
    ("how do rural municipalities organise volunteer coordination", "question"),
    ("Hilfe für Bürgermeister, die wegen ihres Einsatzes für Vielfalt angefeindet werden", "question"),
])
def test_query_kind(query, kind):
    assert answer.query_kind(query) == kind


def test_keyword_query_counts_hits_with_its_words_or_close_to_the_best(searcher):
    result = searcher.search("Wohnraumbörse", k=10)
    a = analyse(searcher, result)
    scores = [h.score for h in result.hits]
    assert a.kind == "keyword" and a.counted is not None
    assert a.total == len(a.counted) <= counted_hits(scores, "hybrid")
    with_word = [i for i, h in enumerate(result.hits) if "Wohnraumbörse" in h.passage.text]
    assert with_word and set(with_word) <= set(a.counted)
    for i in a.counted:
        assert i in with_word or scores[i] >= answer.CLOSE_TO_BEST * scores[0]
    assert [h.passage.id for h in a.select(result.hits)] == [result.hits[i].passage.id for i in a.counted]


def test_keyword_coverage_counts_the_share_of_query_words(searcher):
    coverage = answer.keyword_coverage(searcher, "Alheim Sprachkurse", "de")
    rows = {searcher.passages[i].text.split()[0]: share for i, share in coverage.items()}
    assert rows["Alheim"] == 1.0  # "Alheim und Dülmen organisieren Sprachkurse ..."
    assert rows["Die"] == 0.5  # "Die Gemeinde Alheim koordiniert ..."


def test_question_queries_count_the_relevance_floor_prefix(searcher):
    result = searcher.search("Wie vermittelt der Landkreis Wohnungen an Geflüchtete?", k=10)
    a = analyse(searcher, result)
    assert a.kind == "question"
    assert a.counted == list(range(counted_hits([h.score for h in result.hits], "hybrid")))


# -- the domain steps of a results page: k, drill-down, order by year (issue 24, item 1) -----------

def test_k_has_one_rule():
    """``check_k`` is the one k rule: the searcher, the results page and the recommender use it."""
    from core.errors import BadRequest
    from index.search.query import check_k

    assert check_k(1, 100) == 1 and check_k(100, 100) == 100
    for bad in (0, 101, -1, 2.0, "10", None, True):
        with pytest.raises(BadRequest) as caught:
            check_k(bad, 100)
        assert caught.value.cause == "k_out_of_range" and caught.value.message == "k must be between 1 and 100"


def test_narrow_keeps_the_allowed_hits_in_order(searcher):
    """Drill-down: the question's hits narrowed by a filter's ``Allowed`` set, order kept."""
    import numpy as np

    from index.search.filters import Allowed, Filters

    hits = searcher.search("Alheim Ehrenamtliche Sprachkurse", k=5, mode="bm25").hits
    assert len(hits) >= 3
    assert searcher.narrow(hits, searcher.filter_mask.allowed(Filters())) == hits  # nothing filtered
    mask = np.zeros(len(searcher.passages), dtype=bool)
    mask[[searcher.passage_index(h.passage.id) for h in hits[::2]]] = True
    assert searcher.narrow(hits, Allowed(mask=mask)) == hits[::2]
    other = searcher.filter_mask.allowed(Filters(doc_ids=["doc"]))
    assert searcher.narrow(hits, other) == hits  # every passage is in "doc"


def test_by_year_orders_newest_first_and_keeps_relevance_within_a_year():
    from core.schema import Hit
    from index.search.filters import by_year

    def doc(id_, year):
        return Document(id=id_, title=id_, path=f"{id_}.txt", sha256="0" * 64, format="txt", text="x",
                        page_starts=[0], meta={"year": year} if year else {})

    def hit(doc_id, rank):
        p = Passage(passage_id(doc_id, rank, rank + 1), doc_id, doc_id, "x", 1, [], rank, rank + 1, rank)
        return Hit(p, 1.0 / (rank + 1), rank + 1, {})

    documents = [doc("alt", "2015"), doc("neu", "2019–2022"), doc("ohne", None)]
    hits = [hit("ohne", 0), hit("alt", 1), hit("neu", 2), hit("alt", 3), hit("neu", 4)]
    ordered = by_year(hits, documents)
    assert [(h.passage.doc_id, h.rank) for h in ordered] == [("neu", 3), ("neu", 5), ("alt", 2), ("alt", 4), ("ohne", 1)]
