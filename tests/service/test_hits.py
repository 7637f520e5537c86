"""service.hits: section groups, flat and grouped paging, row fields, page links."""

from __future__ import annotations

from starlette.requests import Request

from core.schema import Hit, Passage
from service.highlight import QueryTerms
from service.hits import csv_link, page_rows, search_link, section_groups


def hit(rank: int, section: str, doc: str = "d") -> Hit:
    p = Passage(f"p{rank}", doc, "Bericht (Difu 2018)", f"Text {rank} über Ehrenamt", rank, ["Teil", section]
                if section else [], 0, 10, rank)
    return Hit(p, 1.0 / rank, rank, {})


# ranks 1..7: sections A B A C B D A
HITS = [hit(1, "A"), hit(2, "B"), hit(3, "A"), hit(4, "C"), hit(5, "B"), hit(6, "D"), hit(7, "A")]


def rows(**kw):
    defaults = dict(k=2, offset=0, group=False, refs=lambda pid: [], doc_meta={"d": {"year": "2018"}},
                    snippet_chars=200)
    return page_rows(HITS, QueryTerms.of("Ehrenamt"), **{**defaults, **kw})


def test_groups_follow_the_first_hit_of_each_section():
    groups = section_groups(HITS)
    assert [[h.rank for h in g] for g in groups] == [[1, 3, 7], [2, 5], [4], [6]]


def test_same_section_name_in_another_document_or_no_section_is_another_group():
    groups = section_groups([hit(1, "A"), hit(2, "A", doc="e"), hit(3, ""), hit(4, "")])
    assert len(groups) == 4


def test_flat_pages_are_rank_slices_with_section_rank():
    first, paging = rows()
    assert [r["rank"] for r in first] == [1, 2] and paging["next_offset"] == 2 and paging["pages"] == 4
    third, paging = rows(offset=4)
    assert [r["rank"] for r in third] == [5, 6]
    assert [r["section_rank"] for r in third] == [2, 6]
    last, paging = rows(offset=6)
    assert [r["rank"] for r in last] == [7] and paging["next_offset"] is None and paging["page"] == 4


def test_grouped_pages_count_sections_and_nest_the_rest():
    first, paging = rows(group=True)
    assert [r["rank"] for r in first] == [1, 2]
    assert [f["rank"] for f in first[0]["same_section"]] == [3, 7]
    assert [f["rank"] for f in first[1]["same_section"]] == [5]
    assert paging == {"offset": 0, "page": 1, "next_offset": 2, "sections": 4, "pages": 2}
    second, paging = rows(group=True, offset=2)
    assert [r["rank"] for r in second] == [4, 6] and paging["next_offset"] is None
    every = [r["rank"] for page in (first, second) for lead in page for r in [lead, *lead["same_section"]]]
    assert sorted(every) == [1, 2, 3, 4, 5, 6, 7]  # every counted hit exactly once


def test_rows_carry_snippet_marks_and_citation():
    row = rows()[0][0]
    assert "<mark>Ehrenamt</mark>" in str(row["snippet"])
    assert row["citation"] == "Difu (2018): Bericht, S. 1, Abschnitt „A“"


def request(query: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "query_string": query.encode(), "headers": []})


def test_links_keep_the_search_and_replace_what_changes():
    r = request("q=Ehrenamt&doc=a&doc=b&bundesland=&page=2&foo=x")
    assert search_link(r, page=3) == "/?q=Ehrenamt&doc=a&doc=b&page=3"
    assert search_link(r, page=None) == "/?q=Ehrenamt&doc=a&doc=b"
    assert search_link(r, q="Dortmund", page=None) == "/?doc=a&doc=b&q=Dortmund"
    assert csv_link(request("q=Ehrenamt&min_population=10.000&k=5&page=2")) == (
        "/api/search?q=Ehrenamt&min_population=10000&k=100&floor=true&format=csv")
