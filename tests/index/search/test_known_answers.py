"""Known-answer queries over the real corpus with the real model."""

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

RURAL_VOLUNTEERS = {"Alheim", "Diemelstadt", "Samtgemeinde Elm-Asse"}


def _about(hit, names):
    p = hit.passage
    return any(n in p.section_path or n in p.text for n in names)


@pytest.mark.parametrize(
    "query",
    [
        "Wie organisieren ländliche Gemeinden die Koordination von Ehrenamtlichen?",
        "how do rural municipalities organise volunteer coordination",
    ],
)
def test_rural_volunteer_coordination(real_searcher, query):
    hits = real_searcher.search(query, k=5).hits
    assert any(_about(h, RURAL_VOLUNTEERS) for h in hits), [(h.passage.doc_id, h.passage.section) for h in hits]


@pytest.mark.parametrize(
    "query, doc_id, names",
    [
        ("Mitfahrerbänke", "difu-zusammenleben-hand-in-hand-2018", {"Samtgemeinde Elm-Asse"}),
        ("Modellprojekt Ausländerbehörden als Willkommensbehörden", "bamf-willkommensbehoerden-2014", set()),
        ("Selbstcheck Weltoffenheit für Kommunalverwaltungen", "phineo-weltoffene-kommune", set()),
        ("Willkommenskultur in den Partnerstädten von Darmstadt", "darmstadt-partnerstaedte-willkommenskultur", set()),
        ("welcome culture in Darmstadt's partner cities", "darmstadt-partnerstaedte-willkommenskultur", set()),
        ("Nähstube und Fahrradwerkstatt", "difu-zusammenleben-hand-in-hand-2018", {"Diemelstadt"}),
    ],
)
def test_known_answers(real_searcher, query, doc_id, names):
    hits = real_searcher.search(query, k=5).hits
    assert any(h.passage.doc_id == doc_id and (not names or _about(h, names)) for h in hits), [
        (h.passage.doc_id, h.passage.section) for h in hits
    ]


def test_each_mode_returns_cited_passages(real_searcher):
    for mode in ("hybrid", "dense", "bm25"):
        result = real_searcher.search("Integrationskonzept", k=10, mode=mode)
        assert len(result.hits) == 10
        for h in result.hits:
            d = h.to_dict()
            assert d["doc_title"] and d["text"]
            # a page where one is known (PDF page, TOC range), else none at all
            assert (d["page"] is None and d["page_label"] is None) or (d["page"] >= 1 and d["page_label"])


def test_cli_search_batch_mode(real_searcher, tmp_path):
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        json.dumps({"id": "a", "query": "Mitfahrerbänke"}) + "\n" + json.dumps({"id": "b", "query": ""}) + "\n",
        encoding="utf-8",
    )
    out = subprocess.run(
        [sys.executable, "-m", "service.cli", "search", "--queries", str(queries), "-k", "3", "--json"],
        capture_output=True, text=True, check=True,
    )
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["a", "b"]
    hit = lines[0]["hits"][0]
    assert set(hit) >= {"passage_id", "doc_id", "doc_title", "page", "section", "text", "score"}
    assert lines[1]["hits"] == [] and "empty" in lines[1]["error"]


def test_cli_search_human_output_and_bad_query(real_searcher):
    ok = subprocess.run([sys.executable, "-m", "service.cli", "search", "Sprachkurse", "-k", "2"],
                        capture_output=True, text=True)
    assert ok.returncode == 0 and " 1. [" in ok.stdout and "S." in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "service.cli", "search", "   "], capture_output=True, text=True)
    assert bad.returncode == 2 and "query is empty" in bad.stderr and "Traceback" not in bad.stderr


def test_the_wohnraum_portrait_is_cited_under_its_own_section(real_searcher):
    """Issue 23: the top hit for "Wohnraum für Geflüchtete" (the DESI portrait about Halle (Saale),
    Dortmund and Eimsbüttel) was cited under "Soziale Betreuung … (Kaiserslautern, Landkreis Kassel)"."""
    from service.export import citation

    hits = real_searcher.search("Wohnraum für Geflüchtete", k=10).hits
    phrases = ("Kooperationen mit zwei städtischen Wohnungsbauunternehmen", "Dortmunder Stadtentwicklungsgesellschaft",
               "Unterkünfte mit der Perspektive Wohnen")
    portrait = [h for h in hits if any(x in h.passage.text for x in phrases)]
    assert portrait, [(h.passage.doc_id, h.passage.section) for h in hits]
    for h in portrait:
        line = citation(h.to_dict())
        assert "Kooperation zwischen Verwaltung und Wohnungswirtschaft" in line and "Soziale Betreuung" not in line


@pytest.mark.parametrize("query, phrase", [
    ("When was the final report of the round table on the host society published?", "März 2013"),
    ("Welche Stelle ist in Brescia für die Willkommenskultur zuständig?", "Dezernat für Inklusion und Migration"),
    ("Haben Darmstadts Partnerstädte eigene Finanz- und Personalmittel für Willkommenskultur?",
     "abhängig von der jeweiligen Haushaltslage"),
])
def test_facts_that_stand_only_on_slides_are_found(real_searcher, query, phrase):
    """Issue 23's slide questions found nothing in the top 10."""
    hits = real_searcher.search(query, k=10).hits
    assert any(phrase in h.passage.text for h in hits), [(h.passage.doc_id, h.passage.text[:60]) for h in hits]


@pytest.mark.parametrize(
    "query, prose_rank, appendix_rank, appendix_section",
    [
        # the Difu appendix row naming the entry's title answers a title search, one rank below the
        # prose portrait; demoted by 0.75 (the setting before issue 23's re-choice) it fell to 5 / 7
        ("Logbuch für Asylbewerber", 2, 3, "Anhang › Bayern"),
        ("Support Group Network Stuttgart Empowerment", 1, 4, "Anhang › Baden-Württemberg"),
    ],
)
def test_appendix_rows_rank_just_below_the_prose_they_name(real_searcher, query, prose_rank, appendix_rank,
                                                           appendix_section):
    from ingest.kinds import REFERENCE

    assert real_searcher.settings.search.reference_weight == 0.85
    hits = real_searcher.search(query, k=10).hits
    ranks = {h.rank: h for h in hits}
    appendix = ranks[appendix_rank].passage
    assert appendix.section == appendix_section and appendix.meta.get("kind") == REFERENCE, [
        (h.rank, h.passage.section) for h in hits]
    assert ranks[prose_rank].passage.meta.get("kind") != REFERENCE
    assert not any(h.passage.section == appendix_section for h in hits[: appendix_rank - 1])


@pytest.mark.parametrize("query, answer_section", [
    ("Haben Darmstadts Partnerstädte einen Leitfaden für Willkommenskultur?", "2 Hat Ihre Stadt/Stadtverwaltung"),
    ("Which partner cities did Darmstadt ask about welcome and recognition culture?", "1 Was wird in Ihrer Stadt"),
])
def test_the_slide_answering_a_question_ranks_above_the_questionnaire_asking_it(real_searcher, query, answer_section):
    # the Darmstadt deck opens with the questionnaire sent to the partner cities; undemoted it
    # ranked first for these queries, above the slide that answers
    from index.search.kinds import is_question_list

    hits = real_searcher.search(query, k=5).hits
    assert hits[0].passage.section.startswith(answer_section), [(h.rank, h.passage.section) for h in hits]
    assert not is_question_list(hits[0].passage.text)
    assert any(is_question_list(h.passage.text) for h in hits[1:3])  # demoted, still near the top
