"""Query time: retrievers, fusion, reranker and the ``Searcher`` that chains them.

``Searcher.search`` reads as retrievers (``BM25Retriever``, ``DenseRetriever``) →
fusion (``fusion.fuse``: RRF or min-max) → reranker (``MaxSimReranker``). English
queries are translated to German BM25 terms in ``translate``; long German words with
typos are corrected in ``typo``.
"""

from index.search.searcher import Filters, SearchResult, Searcher, UnknownDocument, clean_query, nfc

__all__ = ["Filters", "SearchResult", "Searcher", "UnknownDocument", "clean_query", "nfc"]
