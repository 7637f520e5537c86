"""The filter rule and the parameters derived from ``Filters`` (issue 24: one rule, one list)."""

from __future__ import annotations

from dataclasses import fields

import pytest

from core.errors import BadRequest
from core.schema import Document, Passage
from index.search.filters import FILTER_PARAMS, FilterMask, Filters, document_year, document_years


def _doc(doc_id: str, year) -> Document:
    return Document(id=doc_id, title=doc_id, path=f"{doc_id}.txt", sha256="0" * 64, format="txt", text="x",
                    meta={} if year is None else {"year": year})


def _passage(doc_id: str) -> Passage:
    return Passage(f"{doc_id}:0", doc_id, doc_id, "Text", 1, [], 0, 4, 0)


@pytest.fixture
def mask():
    docs = [_doc("a", 2014), _doc("b", "2019–2022"), _doc("c", "o. J."), _doc("d", None)]
    return FilterMask([_passage(d.id) for d in docs], docs)


def allowed(mask, **bounds) -> list[str]:
    m = mask(Filters(**bounds))
    return [p.doc_id for p, ok in zip(mask.passages, m) if ok]


def test_document_years_read_single_years_and_ranges():
    assert document_years({"year": "2019–2022"}) == (2019, 2022) and document_years({"year": 2014}) == (2014, 2014)
    assert document_years({"year": "o. J."}) is None and document_years(None) is None
    assert document_year({"year": "2019–2022"}) == 2022


def test_year_bounds_keep_documents_whose_years_reach_them(mask):
    assert allowed(mask, min_year=2020) == ["b"]  # a range reaching 2020 passes
    assert allowed(mask, max_year=2019) == ["a", "b"]  # ... and one beginning by 2019
    assert allowed(mask, min_year=2015, max_year=2018) == []
    assert allowed(mask, min_year=2014, max_year=2014) == ["a"]
    assert allowed(mask, min_year=0) == ["a", "b"]  # no year: left out by any bound
    assert mask(Filters()) is None


def test_year_bound_that_is_no_year_is_a_bad_request(mask):
    with pytest.raises(BadRequest):
        mask(Filters(min_year=10000))


def test_masks_are_read_only_and_resolved_once_per_filter(mask):
    first = mask(Filters(min_year=2020))
    assert mask(Filters(min_year=2020)) is first and not first.flags.writeable


def test_every_parameter_is_derived_from_a_filters_field():
    names = {p.name for p in FILTER_PARAMS}
    assert names == {"doc", "bundesland", "type", "min_population", "max_population", "theme",
                     "include_unknown_population", "min_year", "max_year"}
    assert {p.field for p in FILTER_PARAMS} | {"municipality"} == {f.name for f in fields(Filters)}
    assert {p.web for p in FILTER_PARAMS} - names == {"ohne_angabe"}
    assert all(p.label and p.description for p in FILTER_PARAMS)


def test_the_api_model_keeps_a_zero_bound_and_drops_empty_values():
    from service.search_params import FilterQuery

    f = FilterQuery.model_validate({"max_population": 0, "min_year": 0, "bundesland": "", "doc": ["", "a"],
                                    "include_unknown_population": False}).filters()
    assert f.max_population == 0 and f.min_year == 0 and f.bundesland is None and f.doc_ids == ["a"]
    assert f.include_unknown_population is None
