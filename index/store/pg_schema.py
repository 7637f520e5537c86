"""Shared parts of the PostgreSQL store: schema, connection, and the encodings of vectors,
sparse BM25 vectors and the BM25 formula (``index.store.postgres`` explains the scheme)."""

from __future__ import annotations

import numpy as np

from core.errors import ConfigError, SnapshotError
from core.schema import Passage
from index.analyzer import analyze
from index.bm25 import passage_text

SPARSE_DIM = 100_000_000  # sparsevec dimension: term ids are below it
APPROXIMATE = ("faiss-hnsw", "faiss-hnsw-sq8", "faiss-ivfpq")  # backends answered by HNSW here
WRITER_LOCK_KEY = 7_250_125  # pg_advisory_lock key of the one writer

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS pf_generations (
    gen serial PRIMARY KEY,
    snapshot_id text UNIQUE NOT NULL,
    manifest jsonb NOT NULL,
    translations jsonb NOT NULL,
    surface_forms jsonb NOT NULL,
    catalogue_version int,
    dim int NOT NULL,
    k1 float8 NOT NULL,
    b float8 NOT NULL,
    avgdl float8 NOT NULL,
    n_passages bigint NOT NULL,
    total_len bigint NOT NULL,
    backend text NOT NULL,
    version bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS pf_serving (
    one bool PRIMARY KEY DEFAULT true CHECK (one),
    gen int NOT NULL REFERENCES pf_generations (gen)
);
"""

TABLES = ("documents", "passages", "windows", "terms", "deleted", "postings", "segment", "municipalities", "catalogue_groups",
          "project_titles")


def connect(url: str, autocommit: bool = False):
    """A psycopg 3 connection; ``ConfigError`` naming the package when it is missing,
    ``SnapshotError`` (no index to serve) when the server cannot be reached."""
    try:
        # lazy: the PostgreSQL driver only for the postgres store
        import psycopg
    except ImportError as exc:
        raise ConfigError("store=postgres needs psycopg 3 (pip install 'psycopg[binary]', pinned in "
                          "requirements.lock)") from exc
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise SnapshotError(f"cannot reach the PostgreSQL store: {str(exc).splitlines()[0] if str(exc) else exc}") from exc


def vec_text(v: np.ndarray) -> str:
    """pgvector's text form of one vector: ``[x1,x2,...]`` (float32 shortest repr)."""
    return "[" + ",".join(map(repr, np.asarray(v, dtype=np.float32).tolist())) + "]"


def sparse_text(entries: dict[int, float]) -> str:
    """pgvector's text form of a sparse vector over term ids (``{id+1:value,...}/SPARSE_DIM``)."""
    return "{" + ",".join(f"{i + 1}:{float(np.float32(v))!r}" for i, v in sorted(entries.items())) + "}/" + str(SPARSE_DIM)


def tfc(tf: float, dl: int, avgdl: float, k1: float, b: float) -> float:
    """Saturated term frequency of bm25s' Lucene variant: tf / (tf + k1 * (1 - b + b * dl / avgdl))."""
    return tf / (k1 * ((1 - b) + b * dl / avgdl) + tf)


def idf(df: int, n: int) -> float:
    """Lucene's IDF (as bm25s): ln(1 + (n - df + 0.5) / (df + 0.5))."""
    return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))


def passage_terms(p: Passage) -> list[str]:
    """The analysed BM25 terms of a passage, as the embedded build indexes them (section
    headings included, ``index.bm25.passage_text``; an empty passage counts one empty term)."""

    return analyze(passage_text(p)) or [""]
