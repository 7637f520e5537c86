"""The filter rule and the parameters derived from ``Filters`` (issue 24: one rule, one list)."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
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


def test_filter_mask_of_a_delta_equals_a_fresh_one():
    """A delta reload's mask (old passages kept where ``keep``, new ones appended; a kept
    document's year rewritten) allows exactly what a mask built from scratch allows."""
    docs = [_doc("a", 2014), _doc("b", "2019–2022"), _doc("c", None)]
    old_passages = [_passage("a"), _passage("b"), _passage("c")]
    old = FilterMask(old_passages, docs)
    keep = np.array([True, False, True])  # "b" deleted
    new_docs = [_doc("a", 2020), _doc("c", None), _doc("e", 2001)]  # "a" rewritten, "e" new
    passages = [old_passages[0], old_passages[2], _passage("e"), Passage("e:1", "e", "e", "Text", 1, [], 0, 4, 1)]
    delta = FilterMask(passages, new_docs, previous=old, keep=keep)
    fresh = FilterMask(passages, new_docs)
    cases = [Filters(doc_ids=["e"]), Filters(doc_ids=["a", "c"]), Filters(min_year=2015), Filters(max_year=2010),
             Filters(min_year=2000, max_year=2030)]
    for f in cases:
        assert delta(f).tolist() == fresh(f).tolist(), f
    assert delta(Filters(doc_ids=["e"])).tolist() == [False, False, True, True]
    assert delta(Filters(min_year=2015)).tolist() == [True, False, False, False]  # "a" is 2020 now
    assert delta._by_id == fresh._by_id
    appended = FilterMask(old_passages + [_passage("e")], docs + [_doc("e", 2001)], previous=old,
                          keep=np.ones(3, dtype=bool))  # nothing removed: the id table is extended
    assert appended._by_id == {"a:0": 0, "b:0": 1, "c:0": 2, "e:0": 3}
    assert appended(Filters(doc_ids=["e"])).tolist() == [False, False, False, True]
