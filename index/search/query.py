"""A query as the search components see it: cleaned text, language, depth, filter mask,
and its dense encoding computed once on first use.

``Query`` is what flows through ``Searcher.search``: every retriever, the fusion and the
reranker read from it, so no component re-derives the language or re-encodes the text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.errors import BadRequest, TooLong

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# (vector (dim,) float32 L2-normalised, content token vectors (t, dim) or None)
Encoding = tuple[np.ndarray, np.ndarray | None]


def nfc(text: str) -> str:
    """Unicode NFC: composed characters ("u" + U+0308 -> "ü"); the form the index and catalogue use."""
    return unicodedata.normalize("NFC", text)


def check_k(k: Any, max_k: int) -> int:
    """``k`` (a number of hits, or a page size) if it is an int in 1 .. ``max_k``; else
    ``BadRequest`` (cause ``k_out_of_range``). The one rule for ``k``: the searcher, the
    results page and the recommender check it here."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= max_k:
        raise BadRequest(f"k must be between 1 and {max_k}", cause="k_out_of_range")
    return k


def clean_query(query: Any, max_chars: int) -> str:
    """The query as searched: NFKC (composed umlauts, ligatures unfolded, full-width forms
    narrowed), control characters as spaces, stripped.

    ``max_chars`` counts characters as sent. Raises ``BadRequest`` (English message) for a
    non-string, over-long, empty or word-less query."""
    if not isinstance(query, str):
        raise BadRequest("query must be a string", cause="query_not_text")
    if len(query) > max_chars:  # as sent (the published schema's maxLength); NFKC may expand it a little
        raise TooLong(f"query is too long: {len(query)} characters, at most {max_chars} allowed",
                      "query", len(query), max_chars)
    text = unicodedata.normalize("NFKC", query)
    text = _CONTROL.sub(" ", text).strip()
    if not text:
        raise BadRequest("query is empty", cause="query_empty")
    if not re.search(r"\w", text):
        raise BadRequest("query has no words (only punctuation or symbols)", cause="query_no_words")
    return text


@dataclass
class Query:
    """One search request after validation.

    :param text: the cleaned query (``clean_query``).
    :param lang: "de" or "en" (``index.analyzer.detect_language``).
    :param depth: how many candidates each retriever returns (>= k).
    :param mask: bool array (n_passages,) of passages the filters allow, or None for all.
    :param encode: ``(text, lang) -> Encoding``; called at most once, by the first
        component that needs ``vector`` or ``token_vectors``.
    :param normalized: the text both arms search (``index.search.normalize``: the typed
        words in the corpus's spelling); None means ``text`` itself.
    :param kind: "keyword", "question" or "statement" (``index.search.kinds.query_form``).
    :param weigh: ``(search_text, lang) -> {BM25 term: weight}`` (``BM25Retriever.weights``);
        called at most once, by the first reader of ``bm25_weights`` (the BM25 arm, then the
        verdict reuses it: a request's query is analysed once).
    """

    text: str
    lang: str
    depth: int
    mask: np.ndarray | None = None
    encode: Callable[[str, str], Encoding] | None = None
    normalized: str | None = None
    kind: str = "question"
    weigh: Callable[[str, str], dict[str, float]] | None = field(default=None, repr=False)
    _encoding: Encoding | None = field(default=None, repr=False)
    _weights: dict[str, float] | None = field(default=None, repr=False)

    @property
    def bm25_weights(self) -> dict[str, float]:
        """BM25 query terms (analysed stems) -> weight of ``search_text``, computed on first use
        (``weigh``). Raises ``RuntimeError`` when the query was built without ``weigh``."""
        if self._weights is None:
            if self.weigh is None:
                raise RuntimeError("this query has no BM25 analysis")
            self._weights = self.weigh(self.search_text, self.lang)
        return self._weights

    @property
    def search_text(self) -> str:
        """What the retrievers search and the encoder embeds: ``normalized``, else ``text``."""
        return self.text if self.normalized is None else self.normalized

    @property
    def encoding(self) -> Encoding:
        """The dense encoding (vector, token vectors), computed on first use.

        Raises ``RuntimeError`` when the query was built without ``encode``."""
        if self._encoding is None:
            if self.encode is None:
                raise RuntimeError("this query has no dense encoder")
            self._encoding = self.encode(self.search_text, self.lang)
        return self._encoding

    @property
    def vector(self) -> np.ndarray:
        """The query vector: float32 (dim,), L2-normalised (dim 384 for multilingual-e5-small)."""
        return self.encoding[0]

    @property
    def token_vectors(self) -> np.ndarray | None:
        """The query's content token vectors (t, dim) for MaxSim, or None without late interaction."""
        return self.encoding[1]
