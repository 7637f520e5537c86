"""The PostgreSQL store: every part of the index in tables, vectors in pgvector.

One *generation* (what a full build publishes; the embedded store's snapshot) is a row
of ``pf_generations`` (manifest, translations, surface forms, frozen BM25 statistics,
version) and a set of tables named after its number ``N``:

    gN_documents    doc_id, the cleaned document (jsonb)
    gN_passages     row, passage id, doc_id, the passage (jsonb), ``vec vector(dim)``
                    (L2-normalised e5 vector), ``terms int[]`` (the analyzer's term ids,
                    GIN-indexed), ``bm25 sparsevec`` (saturated term frequencies), ``dl``
                    (terms counted), ``tokens bytea`` (float16 token vectors for MaxSim,
                    one array per passage)
    gN_windows      row, owner (passage row), text key, ``vec vector(dim)``
    gN_terms        term id, term, df (passages containing it), ``max_tfc`` (the largest
                    saturated frequency any passage stores for it: MaxScore's upper bound)
    gN_postings     per term id its posting list as written by the build: passage rows
                    (int32) and saturated frequencies (float32), uncompressed ``bytea``
    gN_segment      ``base_rows``: the rows the posting lists cover (rows written later are
                    scored from their ``bm25`` column)
    gN_deleted      rows deleted by incremental writes, with the version that deleted them
    gN_municipalities, gN_catalogue_groups, gN_project_titles: the municipality catalogue
                    (``project_titles`` with their e5 vectors)

``pf_serving`` names the generation that serves. Publishing creates the tables, fills
them, builds the indexes and switches ``pf_serving`` in *one transaction* (PostgreSQL's
DDL is transactional): a crash at any point leaves the previous generation serving.

**BM25, exactly as the embedded store computes it.** bm25s' Lucene variant scores a
passage d for terms t as sum_t idf(t) * tf / (tf + k1 * (1 - b + b * dl / avgdl)), with
idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5)). Each passage stores the saturated term
frequencies (the second factor) as a ``sparsevec`` over term ids; a query becomes the
``sparsevec`` of weight * idf over its known terms; the score is their inner product
(pgvector ``<#>`` is its negative). A search reads, in one statement, the posting lists of
its terms (``gN_postings``), the rows deleted since the build and the scores of the rows
written since (their ``bm25`` vectors, GIN on ``terms``), and accumulates term at a time
(``PgBM25.top``): the sum bm25s computes over its sparse matrix, with nothing held in the
serving process. Generations without posting lists answer in SQL, candidates pruned by
MaxScore (``PgBM25.plan``). ``avgdl`` is frozen per generation (the stored vectors stay
valid); N, df and the summed lengths are kept current by incremental writes, so IDF is
refreshed without re-reading the corpus. Term ids and analysis are praxisfinder's own
(``index.analyzer``): PostgreSQL's German text search has no compound splitting, gender
forms or transliteration.

**Dense search**: ``ORDER BY vec <#> q LIMIT k``. With the exact ``faiss-flat`` backend
setting (the default) the scan is exact (index scans off), as FAISS' flat index is; with
an approximate backend (``faiss-hnsw*``) an HNSW index answers (m and ef_construction
from the settings; built over ``vec::halfvec(dim)`` with ``halfvec_ip_ops`` since this
version, the rows found scored on ``vec``; older generations keep ``vector_ip_ops``),
``hnsw.ef_search`` from the settings and ``hnsw.iterative_scan`` for filtered searches.

**In the serving process**: the posting lists read so far (``PostingCache``; the segment
is frozen, so this is exact) and, after a write to the serving generation, only the delta
(``PgSnapshot.refresh``). Staged writes (``pg_write.write_document`` without vectors, then
``fill_vectors``) make an upload BM25-searchable before its embedding.

After pgvector's README (HNSW, sparsevec, iterative index scans), Haystack's
``PgvectorDocumentStore`` (one table, ``vector_cosine_ops``/``vector_ip_ops`` HNSW,
``keyword_retrieval`` by ``ts_rank_cd``, which we replace by exact BM25) and txtai's
``pgvector`` ANN backend.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

from core.errors import Busy, SnapshotError
from core.schema import Document, Passage
from index.bm25 import BM25Index, top_k
from index.multivector import TokenStore
from index.snapshot import SCHEMA_VERSION, Snapshot, WindowSet
from index.store.pg_schema import (APPROXIMATE, SCHEMA, TABLES, WRITER_LOCK_KEY, connect, idf, passage_terms,
                                   sparse_text, tfc, vec_text)
from index.store.pg_write import delete_document, fill_vectors, write_document, write_generation

MAXSCORE_MARGIN = 1e-4  # relative slack on the MaxScore threshold (float32 sums in pgvector)

__all__ = ["PgBM25", "PgSnapshot", "PgTokenStore", "PgVectorIndex", "PostgresStore", "RowMap", "idf", "passage_terms",
           "tfc"]


class PostgresStore:
    """The PostgreSQL store (module docstring); implements ``index.store.base.Store``.

    :param url: the primary's connection URL (writes; reads too without ``read_url``).
    :param read_url: a streaming replica's URL for reads, or None.
    :param backend: the ``vector_backend`` setting: ``faiss-flat`` = exact scans, the
        approximate ones = HNSW.
    """

    kind = "postgres"

    def __init__(self, url: str, read_url: str | None = None, backend: str = "faiss-flat",
                 hnsw: dict[str, int] | None = None):
        self.url, self.read_url, self.backend = url, read_url or url, backend
        self.hnsw = {"m": 16, "ef_construction": 64, **(hnsw or {})}
        self._conn = None

    # -- connections -------------------------------------------------------------------
    @property
    def conn(self):
        """The writer's connection to the primary (opened on first use; schema created)."""
        if self._conn is None:
            self._conn = connect(self.url)
            with self._conn.transaction():
                self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK_KEY + 1,))
                self._conn.execute(SCHEMA)
        return self._conn

    def close(self) -> None:
        """Close the writer's connection."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @contextlib.contextmanager
    def writer_lock(self) -> Iterator[None]:
        """One writer at a time across every process on this database: a session advisory
        lock, taken without waiting (``Busy`` when another writer holds it)."""

        got = self.conn.execute("SELECT pg_try_advisory_lock(%s)", (WRITER_LOCK_KEY,)).fetchone()[0]
        self.conn.commit()
        if not got:
            raise Busy("another ingest, upload or delete is running; try again when it has finished")
        try:
            yield
        finally:
            self.conn.rollback()
            self.conn.execute("SELECT pg_advisory_unlock(%s)", (WRITER_LOCK_KEY,))
            self.conn.commit()

    # -- what serves -------------------------------------------------------------------
    def serving(self, conn=None) -> tuple[int, str, int] | None:
        """(generation number, snapshot id, version) of the serving generation, or None."""
        conn = conn or self.conn
        row = conn.execute("SELECT to_regclass('pf_serving') IS NOT NULL").fetchone()
        if not row[0]:
            return None
        row = conn.execute("SELECT g.gen, g.snapshot_id, g.version FROM pf_serving s JOIN pf_generations g "
                           "USING (gen)").fetchone()
        return None if row is None else (int(row[0]), row[1], int(row[2]))

    def current_name(self) -> str | None:
        """``<snapshot id>@<version>`` of the serving generation (read from the read URL, so a
        replica's server reloads once the replica has replayed the change), None if none."""
        conn = connect(self.read_url, autocommit=True)
        try:
            s = self.serving(conn)
        finally:
            conn.close()
        return None if s is None else f"{s[1]}@{s[2]}"

    def current_manifest(self) -> dict[str, Any] | None:
        """The serving generation's manifest (counts kept current by incremental writes)."""
        s = self.serving()
        if s is None:
            return None
        row = self.conn.execute("SELECT manifest FROM pf_generations WHERE gen = %s", (s[0],)).fetchone()
        self.conn.commit()
        return row[0]

    def open_current(self, expected_model: str | None = None, dense_params: dict | None = None) -> Snapshot:
        """The serving generation as a ``Snapshot`` whose parts query PostgreSQL (``PgSnapshot``),
        read from the read URL. ``SnapshotError`` when none serves or another model built it."""
        conn = connect(self.read_url, autocommit=True)
        try:
            s = self.serving(conn)
            if s is None:
                raise SnapshotError("no index generation in the PostgreSQL store; run `praxisfinder ingest` "
                                    "with PRAXISFINDER_STORE=postgres first")
            return PgSnapshot.open(conn, self.read_url, s, expected_model, dense_params or {})
        finally:
            conn.close()

    def load_previous(self, fingerprint: str) -> Snapshot | None:
        """The serving generation read whole into memory (vectors, tokens, windows as arrays),
        for a build to reuse unchanged passages' vectors; None when none serves or another
        model built it."""
        try:
            view = self.open_current(expected_model=fingerprint)
        except SnapshotError:
            return None
        return view.materialise()

    # -- lifecycle ---------------------------------------------------------------------
    def publish(self, snapshot: Snapshot, keep: int = 3) -> Path:
        """Write ``snapshot`` as a new generation and make it serve, in one transaction, then
        drop all but the newest ``keep``. Returns ``Path("<snapshot id>@0")``, its name."""
        conn = self.conn
        with conn.transaction():
            gen = write_generation(conn, snapshot, self.backend, self.hnsw)
            conn.execute("INSERT INTO pf_serving (one, gen) VALUES (true, %s) "
                         "ON CONFLICT (one) DO UPDATE SET gen = EXCLUDED.gen", (gen,))
        self.drop_old(keep)
        snapshot.path = Path(f"{snapshot.id}@0")
        return snapshot.path

    def generations(self) -> list[int]:
        """Generation numbers, newest first."""
        rows = self.conn.execute("SELECT gen FROM pf_generations ORDER BY gen DESC").fetchall()
        self.conn.commit()
        return [int(r[0]) for r in rows]

    def drop_old(self, keep: int = 3) -> list[str]:
        """Drop the tables and rows of all but the newest ``keep`` generations (never the
        serving one); one transaction per generation. Returns the snapshot ids dropped."""
        serving = self.serving()
        self.conn.commit()
        dropped = []
        for gen in self.generations()[max(keep, 1):]:
            if serving is not None and gen == serving[0]:
                continue
            with self.conn.transaction():
                sid = self.conn.execute("SELECT snapshot_id FROM pf_generations WHERE gen = %s", (gen,)).fetchone()[0]
                for table in TABLES:
                    self.conn.execute(f"DROP TABLE IF EXISTS g{gen}_{table}")
                self.conn.execute("DELETE FROM pf_generations WHERE gen = %s", (gen,))
            dropped.append(sid)
        return dropped

    # -- incremental writes (index.store.pg_write) -------------------------------------
    def write_document(self, document: Document, passages: list[Passage], vectors: np.ndarray,
                       tokens: list[np.ndarray] | None, windows: list[tuple[int, str, np.ndarray]] | None,
                       origin: str = "upload", before_commit=None) -> int:
        """Add or replace one document in the serving generation in one transaction;
        returns the new version. See ``index.store.pg_write.write_document``."""
        return write_document(self.conn, document, passages, vectors, tokens, windows, origin, before_commit)

    def fill_vectors(self, document: Document, vectors: np.ndarray, tokens: list[np.ndarray] | None,
                     windows: list[tuple[int, str, np.ndarray]] | None) -> int | None:
        """The second stage of a staged write: the vectors of a document written with
        ``vectors=None``; the new version, or None when it changed meanwhile. See
        ``index.store.pg_write.fill_vectors``."""
        return fill_vectors(self.conn, document, vectors, tokens, windows)

    def delete_document(self, doc_id: str) -> int | None:
        """Delete one document from the serving generation in one transaction; the new
        version, or None when it is not indexed."""
        return delete_document(self.conn, doc_id)


class _Reader:
    """Per-thread read connections to one URL (psycopg connections are not shared between
    threads mid-query); autocommit, so every statement sees the newest committed state."""

    def __init__(self, url: str):
        self.url = url
        self._local = threading.local()
        self._all: list = []
        self._lock = threading.Lock()
        self._configured: dict[int, str] = {}

    def conn(self):
        c = getattr(self._local, "conn", None)
        if c is None or c.closed:
            c = connect(self.url, autocommit=True)
            self._local.conn = c
            with self._lock:
                self._all.append(c)
                self._configured.pop(id(c), None)  # a new connection may reuse a closed one's id
        return c

    def configure(self, conn, statements: str) -> None:
        """Run session settings on ``conn`` unless they are the ones it ran last (e.g.
        ``hnsw.ef_search``; one round trip only when they change)."""
        if self._configured.get(id(conn)) != statements:
            conn.execute(statements)
            self._configured[id(conn)] = statements

    def query(self, sql: str, params=None, binary: bool = False) -> list[tuple]:
        """All rows of one statement; ``binary``: results in PostgreSQL's binary format
        (``bytea`` as bytes without hex encoding, ``vector`` as its binary form, ``from_vector``)."""
        return self.conn().execute(sql, params, binary=binary).fetchall()

    def close(self) -> None:
        with self._lock:
            for c in self._all:
                with contextlib.suppress(Exception):
                    c.close()
            self._all.clear()


def from_vector(data: bytes) -> np.ndarray:
    """A pgvector ``vector`` in binary format (int16 dimension, int16 unused, big-endian
    float32 values) as float32 (dim,)."""
    return np.frombuffer(data, dtype=">f4", offset=4).astype(np.float32)


class RowMap:
    """Positions (the in-memory list index every component uses) <-> table rows (stable
    ids that survive deletes); ``rows[pos]`` and ``pos_of(rows)``."""

    def __init__(self, rows: np.ndarray):
        self.rows = np.asarray(rows, dtype=np.int64)
        size = int(self.rows.max()) + 1 if len(self.rows) else 0
        self._pos = np.full(size, -1, dtype=np.int64)
        self._pos[self.rows] = np.arange(len(self.rows), dtype=np.int64)

    def pos_of(self, rows: Iterable[int]) -> np.ndarray:
        """int64 positions of the given rows, -1 for a row not loaded (written or deleted since)."""
        r = np.asarray(list(rows), dtype=np.int64)
        out = np.full(len(r), -1, dtype=np.int64)
        ok = (r >= 0) & (r < len(self._pos))
        out[ok] = self._pos[r[ok]]
        return out


class PgVectorIndex:
    """``index.ann.base.VectorIndex`` over a ``vec`` column: inner-product top k in SQL.

    Ids are positions (``RowMap``). Exact (index scans off) unless ``approximate``: then the
    HNSW index answers, with ``hnsw.ef_search`` and, under a filter, ``hnsw.iterative_scan``
    (pgvector 0.8) so a filtered search still returns k hits.
    """

    def __init__(self, reader: _Reader, table: str, rowmap: RowMap, dim: int, approximate: bool,
                 params: dict[str, Any]):
        self.backend = "postgres"
        self.reader, self.table, self.rowmap, self.dim = reader, table, rowmap, dim
        self.approximate = approximate
        self.ef_search = int(params.get("hnsw_ef_search", 64))
        self.filter_exact_max = int(params.get("filter_exact_max", 50_000))
        # the graph walk over ``vec::halfvec(dim)`` (an HNSW index on that expression, half the
        # bytes per distance), scores re-computed on ``vec``; set by ``PgSnapshot.open`` when
        # the generation has that index
        self.halfvec = False

    @property
    def ntotal(self) -> int:
        """Number of positions (rows loaded when the generation was opened)."""
        return len(self.rowmap.rows)

    def add(self, vectors: np.ndarray) -> None:
        """Not here: rows are added by the store's writes (``PostgresStore.write_document``)."""
        raise NotImplementedError("add rows through PostgresStore.write_document")

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) (n_queries, k), best first, ids are positions, -1/-inf padding;
        ``allowed`` positions restrict the hits inside the SQL query."""
        q = np.asarray(queries, dtype=np.float32).reshape(-1, self.dim)
        scores = np.full((len(q), k), -np.inf, dtype=np.float32)
        ids = np.full((len(q), k), -1, dtype=np.int64)
        if allowed is not None and len(allowed) == 0:
            return scores, ids
        exact = not self.approximate or (allowed is not None and len(allowed) <= self.filter_exact_max)
        # rows of a staged write's first stage have no vector yet (NULL; HNSW skips them)
        where, params = ("WHERE vec IS NOT NULL" if exact else ""), []
        if allowed is not None:
            where = ("WHERE vec IS NOT NULL AND " if exact else "WHERE ") + "row = ANY(%s)"
            params = [self.rowmap.rows[np.asarray(allowed, dtype=np.int64)].tolist()]
        conn = self.reader.conn()
        if not exact:
            # as FAISS' HNSW search: the candidate list holds max(ef_search, k) entries
            # (pgvector caps it at 1000); a filtered search keeps scanning (pgvector 0.8's
            # iterative scan) until k rows pass the filter, an unfiltered one never needs to
            ef = min(max(self.ef_search, k), 1000)
            scan = "strict_order" if allowed is not None else "off"
            self.reader.configure(conn, f"SET hnsw.ef_search = {ef}; SET hnsw.iterative_scan = {scan}")
        # one statement per query: an exact search orders by an expression the HNSW index
        # cannot serve (a sequential scan, as FAISS' flat index); an approximate one walks the
        # graph, iterative scanning (pgvector 0.8) continuing until k rows pass the filter
        order = "(vec <#> %s::vector) + 0" if exact else "vec <#> %s::vector"
        if self.halfvec and not exact:
            order = f"(vec::halfvec({self.dim})) <#> %s::halfvec({self.dim})"
        for qi, vec in enumerate(q):
            text = vec_text(vec)
            rows = conn.execute(f"SELECT row, (vec <#> %s::vector) * -1 FROM {self.table} {where} "
                                f"ORDER BY {order}, row LIMIT %s", [text, *params, text, k]).fetchall()
            if self.halfvec and not exact:  # the graph's order is by the half-precision scores
                rows.sort(key=lambda r: (-r[1], r[0]))
            pos = self.rowmap.pos_of(r[0] for r in rows)
            keep = pos >= 0
            n = int(keep.sum())
            ids[qi, :n] = pos[keep]
            scores[qi, :n] = np.asarray([r[1] for r in rows], dtype=np.float32)[keep]
        return scores, ids

    def vectors(self, positions: np.ndarray) -> np.ndarray:
        """float32 (len, dim) vectors of the given positions, in that order; NaN rows for
        passages whose vectors a staged write has not added yet."""
        positions = np.asarray(positions, dtype=np.int64)
        rows = self.rowmap.rows[positions].tolist()
        missing = np.full(self.dim, np.nan, dtype=np.float32)
        got = {int(r): (from_vector(v) if v is not None else missing) for r, v in
               self.reader.query(f"SELECT row, vec FROM {self.table} WHERE row = ANY(%s)", (rows,), binary=True)}
        return np.stack([got[r] for r in rows]) if rows else np.zeros((0, self.dim), np.float32)

    def delete(self, ids: np.ndarray) -> None:
        """Not here: rows are deleted by the store (``PostgresStore.delete_document``)."""
        raise NotImplementedError("delete rows through PostgresStore.delete_document")

    def save(self, path: Path) -> None:
        """Nothing to save: the vectors are in the database."""
        raise NotImplementedError("a PostgreSQL vector index lives in its table")

    def close(self) -> None:
        """Close this generation's read connections."""
        self.reader.close()

    def drop(self) -> None:
        """Dropping a generation's tables is ``PostgresStore.drop_old``'s job."""
        self.close()


class PostingCache:
    """Posting lists of a generation's frozen segment (``gN_postings``), held in the serving
    process, least recently used dropped beyond ``max_bytes``.

    Legitimate because a generation's segment never changes: incremental writes add rows
    after ``base_rows`` (scored from their ``bm25`` column per search) and record deletions
    in ``gN_deleted`` (read per search); neither touches ``gN_postings``. A new generation
    is a new ``PgSnapshot`` with its own cache. Thread-safe (one lock)."""

    def __init__(self, max_bytes: int = 256 * 2**20):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._lists: "OrderedDict[int, tuple[np.ndarray, np.ndarray]]" = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, ids: list[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """term id -> (rows int32, saturated frequencies float32) for the ids held."""
        with self._lock:
            out = {}
            for i in ids:
                got = self._lists.get(i)
                if got is not None:
                    self._lists.move_to_end(i)
                    out[i] = got
            return out

    def put(self, tid: int, lists: tuple[np.ndarray, np.ndarray]) -> None:
        """Hold one term's posting list (dropping the least recently used beyond ``max_bytes``)."""
        size = lists[0].nbytes + lists[1].nbytes
        if size > self.max_bytes:
            return
        with self._lock:
            if tid in self._lists:
                return
            self._lists[tid] = lists
            self.bytes += size
            while self.bytes > self.max_bytes:
                _, (r, v) = self._lists.popitem(last=False)
                self.bytes -= r.nbytes + v.nbytes


class PgBM25(BM25Index):
    """BM25 over ``gN_passages.bm25`` (module docstring): ``top`` in SQL, ``postings`` by
    the GIN index, ``vocabulary`` loaded at open. Scores equal ``index.bm25.BM25Index``'s."""

    def __init__(self, reader: _Reader, table: str, rowmap: RowMap, vocab: dict[str, tuple[int, int]],
                 n: int, k1: float, b: float, terms_table: str | None = None, has_max_tfc: bool = True,
                 base_rows: int | None = None):
        self.reader, self.table, self.rowmap = reader, table, rowmap
        self._vocab = vocab  # term -> (id, df)
        self._df_of = {i: df for i, df in vocab.values()}
        self.terms = terms_table or table.replace("passages", "terms")
        self._max_col = "max_tfc" if has_max_tfc else "1.0::real"
        # the posting-list segment (``pg_write._write_postings``) and the rows it covers; None
        # for generations written without it (then the pruned SQL top-k answers)
        self.base_rows = base_rows
        self.postings_table = self.terms.replace("terms", "postings")
        self.deleted_table = self.terms.replace("terms", "deleted")
        self.n, self.k1, self.b = n, k1, b
        self.size = len(rowmap.rows)
        self._postings: dict[str, np.ndarray] = {}
        self._identity = (base_rows is not None and self.size == base_rows
                          and bool(np.array_equal(rowmap.rows, np.arange(self.size))))
        # posting lists of the frozen segment held in this process (``PostingCache``), or None
        self.cache: PostingCache | None = None

    def _query_entries(self, weights: dict[str, float]) -> dict[int, float]:
        """term id -> query weight * IDF over the known terms with a positive weight."""
        entries: dict[int, float] = {}
        for term, weight in weights.items():
            known = self._vocab.get(term)
            if weight > 0 and known is not None and term:
                entries[known[0]] = entries.get(known[0], 0.0) + weight * idf(known[1], self.n)
        return entries

    def top(self, weights: dict[str, float], depth: int, mask: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Up to ``depth`` (position, score) with a positive score inside ``mask``, best first,
        ties by position: the exact BM25 top-k.

        A generation with posting lists (``gN_postings``, every one written now) answers from
        them: every passage's score in one statement (``_segment_scores``), then the top-k
        (``index.bm25.top_k``, as the embedded store). An older generation ranks by the
        inner product of the passage's ``bm25`` and the query's sparse vector in SQL.

        There, without a mask, the candidates are pruned as MaxScore does (Turtle & Flood 1995;
        the term-at-a-time form of the upper-bound pruning behind WAND and block-max WAND in
        Lucene, PISA, VectorChord-bm25 and ParadeDB's Tantivy): a query term's contribution to
        any passage is at most ``q_t * max_tfc_t`` (``gN_terms.max_tfc``, the largest stored
        saturated frequency, kept by every write). The passages of the rarest terms are
        scored first; the ``depth``-th best of them is a threshold θ that the final top-k
        cannot fall below. Terms whose upper bounds, summed from the smallest, stay below θ
        are *non-essential*: a passage containing only those scores below θ. So only
        passages sharing an *essential* term are candidates (GIN), and each is scored on
        all its query terms: the result equals scoring every passage (``plan`` shows the
        split; the contract tests compare with the embedded store). With a mask the
        allowed rows are scored directly (a filter keeps few)."""
        entries = self._query_entries(weights)
        if not entries:
            return []
        if self.base_rows is not None:
            return top_k(self._segment_scores(entries), depth, mask)
        text = sparse_text(entries)
        if mask is not None:
            allowed = np.flatnonzero(mask)
            if allowed.size == 0:
                return []
            rows = self.reader.query(f"SELECT row, (bm25 <#> %s::sparsevec) * -1 AS s FROM {self.table} "
                                     f"WHERE terms && %s::int[] AND row = ANY(%s) ORDER BY s DESC, row LIMIT %s",
                                     [text, sorted(entries), self.rowmap.rows[allowed].tolist(), depth])
        else:
            essential = self.plan(entries, depth, text)["essential"]
            rows = self.reader.query(f"SELECT row, (bm25 <#> %s::sparsevec) * -1 AS s FROM {self.table} "
                                     f"WHERE terms && %s::int[] ORDER BY s DESC, row LIMIT %s",
                                     [text, essential, depth])
        pos = self.rowmap.pos_of(r[0] for r in rows)
        out = [(int(p), float(np.float32(r[1]))) for p, r in zip(pos, rows) if p >= 0 and r[1] > 0]
        return sorted(out, key=lambda x: (-x[1], x[0]))

    def _segment_scores(self, entries: dict[int, float]) -> np.ndarray:
        """float32 (n_positions,) BM25 scores of every passage for the sparse query ``entries``
        (term id -> weight * IDF), from the generation's posting lists, in *one* statement:

        - the posting lists of the query terms (``gN_postings``, rows below ``base_rows``),
          accumulated term at a time here (weight * stored saturated frequency, summed in
          float64, as bm25s sums its sparse matrix);
        - the rows deleted since the build (``gN_deleted``), zeroed;
        - the rows written since the build (row >= ``base_rows``; few), scored in SQL from
          their ``bm25`` sparse vectors, as the unpruned query does.

        Binary transfer (``bytea``, ``int4send``/``float4send``); nothing of the index is
        held in the serving process between searches."""
        ids = sorted(entries)
        text = sparse_text(entries)
        lists: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        if self.cache is not None:  # the segment is frozen: its posting lists never change
            lists = self.cache.get_many(ids)
        fetch = [i for i in ids if i not in lists]
        got = self.reader.query(
            f"SELECT id, rows, tfc FROM {self.postings_table} WHERE id = ANY(%s) "
            f"UNION ALL SELECT -1, coalesce(string_agg(int4send(row::int), ''::bytea), ''::bytea), ''::bytea "
            f"FROM {self.deleted_table} "
            f"UNION ALL SELECT -2, coalesce(string_agg(int4send(row::int), ''::bytea ORDER BY row), ''::bytea), "
            f"coalesce(string_agg(float4send(((bm25 <#> %s::sparsevec) * -1)::real), ''::bytea ORDER BY row), ''::bytea) "
            f"FROM {self.table} WHERE row >= %s AND terms && %s::int[]",
            [fetch, text, self.base_rows, ids], binary=True)
        base = self.base_rows
        deleted = delta_rows = np.zeros(0, dtype=np.int64)
        delta_scores = np.zeros(0, dtype=np.float32)
        for tid, rows, vals in got:
            if tid >= 0:
                lists[tid] = (np.frombuffer(rows, dtype="<i4"), np.frombuffer(vals, dtype="<f4"))
                if self.cache is not None:
                    self.cache.put(tid, lists[tid])
            elif tid == -1:
                deleted = np.frombuffer(rows, dtype=">i4").astype(np.int64)
            else:
                delta_rows = np.frombuffer(rows, dtype=">i4").astype(np.int64)
                delta_scores = np.frombuffer(vals, dtype=">f4").astype(np.float32)
        # term at a time in term-id order, float64: one bincount over the concatenated lists
        # adds each row's contributions in the same order as one bincount per term did
        present = [i for i in ids if i in lists]
        if present:
            acc = np.bincount(np.concatenate([lists[i][0] for i in present]),
                              weights=np.concatenate([lists[i][1].astype(np.float64) * float(np.float32(entries[i]))
                                                      for i in present]), minlength=base)[:base]
        else:
            acc = np.zeros(base, dtype=np.float64)
        acc[deleted[deleted < base]] = 0.0
        if self._identity:  # positions are rows 0 .. base-1 (nothing written or deleted before open)
            out = acc.astype(np.float32)
        else:
            out = np.zeros(self.size, dtype=np.float32)
            loaded = self.rowmap.rows
            old = loaded < base
            out[old] = acc[loaded[old]].astype(np.float32)
        pos = self.rowmap.pos_of(delta_rows)
        out[pos[pos >= 0]] = delta_scores[pos >= 0]
        return out

    def plan(self, entries: dict[int, float], depth: int, text: str | None = None) -> dict[str, Any]:
        """The MaxScore split of a query (``top``): ``entries`` term id -> query weight (the
        sparse query's values), ``depth`` the k of the top-k. Returns ``theta`` (the
        ``depth``-th best score among the seed passages, 0 when they are fewer), ``bounds``
        (term id -> upper bound of its contribution) and ``essential`` (sorted term ids whose
        passages are the candidates; all terms when theta is 0).

        Seed: the terms of smallest document frequency, taken until their frequencies sum to
        ``depth``; their passages are scored in full (one statement, which also reads the
        current ``max_tfc`` of every query term)."""
        ids = sorted(entries)
        by_df = sorted(ids, key=lambda i: (self._df_of.get(i, 0), i))
        seed, covered = [], 0
        for i in by_df:
            seed.append(i)
            covered += self._df_of.get(i, 0)
            if covered >= depth:
                break
        text = text or sparse_text(entries)
        scores, tids, tmax = self.reader.query(
            f"SELECT ARRAY(SELECT (bm25 <#> %s::sparsevec) * -1 AS s FROM {self.table} WHERE terms && %s::int[] "
            f"ORDER BY s DESC LIMIT %s), ARRAY(SELECT id FROM {self.terms} WHERE id = ANY(%s) ORDER BY id), "
            f"ARRAY(SELECT {self._max_col} FROM {self.terms} WHERE id = ANY(%s) ORDER BY id)",
            [text, sorted(seed), depth, ids, ids])[0]
        bounds = {i: 1.0 for i in ids}  # tfc < 1 always: the bound of a term without a stored one
        bounds.update({int(i): float(m) for i, m in zip(tids, tmax)})
        bounds = {i: entries[i] * bounds[i] for i in ids}
        theta = float(scores[-1]) if len(scores) >= depth and scores[-1] > 0 else 0.0
        essential, cum = [], 0.0
        for i in sorted(ids, key=lambda i: (bounds[i], i)):
            cum += bounds[i]
            # a margin of MAXSCORE_MARGIN (relative) covers float32 sums in pgvector
            if theta <= 0 or cum >= theta * (1 - MAXSCORE_MARGIN):
                essential.append(i)
        return {"theta": theta, "bounds": bounds, "essential": sorted(essential), "seed": sorted(seed)}

    def weighted_scores(self, weights: dict[str, float]) -> np.ndarray:
        """float32 (n_positions,): every passage's weighted BM25 score (zeros where no term matches)."""
        if self.base_rows is not None:
            entries = self._query_entries(weights)
            return self._segment_scores(entries) if entries else np.zeros(self.size, dtype=np.float32)
        out = np.zeros(self.size, dtype=np.float32)
        for pos, score in self.top(weights, self.size):
            out[pos] = score
        return out

    def scores(self, terms: list[str]) -> np.ndarray:
        """BM25 score of every passage for analysed terms (weight 1 each)."""
        return self.weighted_scores(dict.fromkeys(terms, 1.0))

    def postings(self, term: str) -> np.ndarray:
        """Sorted positions of the passages containing ``term`` (GIN lookup, cached)."""
        cached = self._postings.get(term)
        if cached is not None:
            return cached
        known = self._vocab.get(term)
        if known is None:
            return np.zeros(0, dtype=np.int64)
        rows = self.reader.query(f"SELECT row FROM {self.table} WHERE terms @> ARRAY[%s]::int[]", (known[0],))
        pos = self.rowmap.pos_of(r[0] for r in rows)
        out = np.sort(pos[pos >= 0])
        if len(self._postings) < 50_000:
            self._postings[term] = out
        return out

    @property
    def vocabulary(self) -> dict[str, int]:
        """Term -> document frequency."""
        return {t: df for t, (_, df) in self._vocab.items() if t and df > 0}

    def save(self, path: Path) -> None:
        """Nothing to save: BM25 lives in the passages table."""
        raise NotImplementedError("PostgreSQL BM25 lives in its table")


class PgTokenStore(TokenStore):
    """MaxSim token vectors read per candidate from ``gN_passages.tokens`` (float16 bytes)."""

    def __init__(self, reader: _Reader, table: str, rowmap: RowMap, dim: int):
        self.reader, self.table, self.rowmap, self.dim = reader, table, rowmap, dim
        self.matrix = np.zeros((0, dim), dtype=np.float16)
        self.offsets = np.zeros(len(rowmap.rows) + 1, dtype=np.int64)

    def _fetch(self, positions: list[int]) -> dict[int, np.ndarray]:
        rows = self.rowmap.rows[np.asarray(positions, dtype=np.int64)].tolist()
        got = self.reader.query(f"SELECT row, tokens FROM {self.table} WHERE row = ANY(%s)", (rows,), binary=True)
        by_row = {int(r): np.frombuffer(t or b"", dtype="<f2").reshape(-1, self.dim) for r, t in got}
        return {p: by_row.get(r, np.zeros((0, self.dim), np.float16)) for p, r in zip(positions, rows)}

    def get(self, i: int) -> np.ndarray:
        """Token vectors of position ``i``: float16 (tokens_i, dim)."""
        return self._fetch([int(i)])[int(i)]

    def maxsim(self, query_tokens: np.ndarray, candidates: list[int]) -> list[tuple[int, float]]:
        """As ``TokenStore.maxsim``, the candidates' arrays read in one query (float16 in the
        table, computed in ``matrix.dtype``: float32 after ``MaxSimReranker`` converted it)."""
        q = np.ascontiguousarray(query_tokens, dtype=self.matrix.dtype)  # float32 once the reranker holds it
        toks = self._fetch([int(i) for i in candidates]) if candidates else {}
        out = []
        for i in candidates:  # the same products as TokenStore.maxsim, in the same dtype
            t = toks[int(i)].astype(self.matrix.dtype)
            out.append((i, float((q @ t.T).max(axis=1).mean()) if len(t) else 0.0))
        return sorted(out, key=lambda item: (-item[1], item[0]))


class PgSnapshot(Snapshot):
    """A generation of the PostgreSQL store as the ``Snapshot`` the search reads.

    Documents, passages (in row order), window owners, the vocabulary and the catalogue are
    loaded at open; vectors, BM25 and token vectors stay in the tables and are queried per
    search. ``path`` is ``<snapshot id>@<version>`` (what ``current_name`` reports)."""

    reader: _Reader | None = None
    concurrent_retrieval = True  # the arms are SQL round trips: ``Searcher`` runs them at once

    @classmethod
    def open(cls, conn, url: str, serving: tuple[int, str, int], expected_model: str | None,
             params: dict[str, Any]) -> "PgSnapshot":
        """Load generation ``serving`` = (gen, snapshot id, version) through ``conn``."""
        gen, sid, version = serving
        g = conn.execute("SELECT manifest, translations, surface_forms, dim, k1, b, n_passages, backend, "
                         "catalogue_version FROM pf_generations WHERE gen = %s", (gen,)).fetchone()
        manifest, translations, surface_forms, dim, k1, b, n, backend, cat_version = g
        if manifest.get("schema_version") != SCHEMA_VERSION:
            raise SnapshotError(f"generation {sid} has schema {manifest.get('schema_version')}, expected "
                                f"{SCHEMA_VERSION}; rebuild it")
        built_with = manifest.get("model", {}).get("fingerprint")
        if expected_model is not None and built_with != expected_model:
            raise SnapshotError(
                f"generation {sid} was built with model {manifest.get('model', {}).get('name')!r}, not the configured "
                "one; rebuild with `praxisfinder ingest`",
                detail={"snapshot_model": built_with, "configured_model": expected_model})
        t = f"g{gen}_"
        # byte order (COLLATE "C"), as Python sorts: ``refresh`` keeps this order
        docs = conn.execute(f'SELECT doc_id, data, xmin::text FROM {t}documents ORDER BY doc_id COLLATE "C"').fetchall()
        prow = conn.execute(f"SELECT row, data FROM {t}passages ORDER BY row").fetchall()
        passages = [Passage.from_dict(d) for _, d in prow]
        rows = np.asarray([r for r, _ in prow], dtype=np.int64)
        wrow = conn.execute(f"SELECT row, owner, key FROM {t}windows ORDER BY row").fetchall()
        vocab = {term: (int(i), int(df)) for i, term, df in
                 conn.execute(f"SELECT id, term, df FROM {t}terms").fetchall()}
        catalogue: dict[str, Any] = {}
        munis = conn.execute(f"SELECT data FROM {t}municipalities ORDER BY pos").fetchall()
        groups = conn.execute(f"SELECT data FROM {t}catalogue_groups ORDER BY pos").fetchall()
        titles = conn.execute(f"SELECT title, vec::text FROM {t}project_titles ORDER BY pos").fetchall()
        if cat_version is not None:
            catalogue = {"version": cat_version, "municipalities": [m for (m,) in munis],
                         "groups": [g for (g,) in groups], "project_titles": [x for x, _ in titles]}
        project_vectors = (np.asarray([json.loads(v) for _, v in titles], dtype=np.float32).reshape(-1, dim)
                           if cat_version is not None and "project_titles" in manifest.get("catalogue_keys", ["project_titles"])
                           else None)
        has_tokens = conn.execute(f"SELECT EXISTS (SELECT 1 FROM {t}passages WHERE tokens IS NOT NULL)").fetchone()[0]
        has_max = conn.execute("SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = %s "
                               "AND column_name = 'max_tfc')", (f"{t}terms",)).fetchone()[0]
        base_rows = None
        if conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{t}segment",)).fetchone()[0]:
            base_rows = int(conn.execute(f"SELECT base_rows FROM {t}segment").fetchone()[0])
        halfvec = {r[0] for r in conn.execute("SELECT tablename FROM pg_indexes WHERE tablename = ANY(%s) AND "
                                              "indexdef LIKE '%%halfvec_ip_ops%%'",
                                              ([f"{t}passages", f"{t}windows"],)).fetchall()}
        parts = {"url": url, "gen": gen, "sid": sid, "version": version, "manifest": manifest, "dim": dim,
                 "k1": float(k1), "b": float(b), "n": int(n), "approximate": backend in APPROXIMATE,
                 "params": params, "translations": translations, "surface_forms": surface_forms,
                 "catalogue": catalogue, "project_vectors": project_vectors, "has_tokens": bool(has_tokens),
                 "has_max": bool(has_max), "base_rows": base_rows, "halfvec": halfvec,
                 "doc_xmin": {d: x for d, _, x in docs}}
        return cls._assemble(parts, [Document.from_dict(d) for _, d, _ in docs], passages, rows,
                             [(int(r), int(o), k) for r, o, k in wrow], vocab, None)

    @classmethod
    def _assemble(cls, parts: dict[str, Any], documents: list[Document], passages: list[Passage], rows: np.ndarray,
                  windows_rows: list[tuple[int, int, str]], vocab: dict[str, tuple[int, int]],
                  cache: "PostingCache | None", reader: "_Reader | None" = None) -> "PgSnapshot":
        """A ``PgSnapshot`` from loaded parts: ``passages`` in row order with their table
        ``rows``; ``windows_rows`` (window row, owner passage row, key) in row order;
        ``cache`` the posting cache of the same generation to share, or None for a new one;
        ``reader`` the read connections to share (they are bound to no version; a closed
        one is reopened on use), or None for new ones."""
        t = f"g{parts['gen']}_"
        dim, approximate, params = parts["dim"], parts["approximate"], parts["params"]
        rowmap = RowMap(rows)
        reader = reader or _Reader(parts["url"])
        dense = PgVectorIndex(reader, f"{t}passages", rowmap, dim, approximate, params)
        dense.halfvec = f"{t}passages" in parts["halfvec"]
        windows = None
        if windows_rows:
            wmap = RowMap(np.asarray([r for r, _, _ in windows_rows], dtype=np.int64))
            owner = rowmap.pos_of(o for _, o, _ in windows_rows)
            windex = PgVectorIndex(reader, f"{t}windows", wmap, dim, approximate, params)
            windex.halfvec = f"{t}windows" in parts["halfvec"]
            windows = WindowSet(None, owner, [k for _, _, k in windows_rows], windex)
        tokens = PgTokenStore(reader, f"{t}passages", rowmap, dim) if parts["has_tokens"] else None
        bm25 = PgBM25(reader, f"{t}passages", rowmap, vocab, parts["n"], parts["k1"], parts["b"], f"{t}terms",
                      parts["has_max"], parts["base_rows"])
        if parts["base_rows"] is not None:  # the segment is frozen: its posting lists may stay in this process
            bm25.cache = cache if cache is not None else PostingCache()
        manifest = parts["manifest"]
        manifest = {**manifest, "counts": {**manifest.get("counts", {}), "passages": len(passages),
                                           "documents": len(documents)}}
        catalogue = parts["catalogue"]
        snap = cls(Path(f"{parts['sid']}@{parts['version']}"), manifest, documents, passages, None, dense, bm25,
                   catalogue, parts["translations"], windows, tokens, parts["surface_forms"],
                   parts["project_vectors"] if catalogue else None)
        snap.reader = reader
        snap.rowmap = rowmap
        snap.generation = parts["gen"]
        snap.parts = parts
        return snap

    def refresh(self) -> "PgSnapshot | None":
        """This generation at its current version, read as a *delta*: only the passages,
        windows, documents and terms that writes changed since this one was opened; None
        when another generation serves now (then ``open`` it whole). Returns ``self``
        when nothing changed.

        What a write changes is recoverable without reading the rest: new passages and
        windows have larger rows (sequences; one writer at a time), deleted passages are
        in ``gN_deleted`` with the version that deleted them (their windows went with
        them), a document's row is new when it was written (its ``xmin``, the writing
        transaction, differs), and the df of exactly the terms of the passages added or
        deleted changed. Everything is read in one REPEATABLE READ transaction (one
        consistent view of one version). The result equals ``open`` of that version (test
        ``test_refresh_equals_a_fresh_open``); the posting cache (the segment is frozen)
        and the read connections are shared with this view."""
        import psycopg  # lazy: the PostgreSQL driver only for the postgres store

        parts = dict(self.parts)
        t = f"g{parts['gen']}_"
        conn = connect(parts["url"], autocommit=True)
        try:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            with conn.transaction():
                row = conn.execute("SELECT g.gen, g.snapshot_id, g.version, g.n_passages, g.manifest FROM pf_serving s "
                                   "JOIN pf_generations g USING (gen)").fetchone()
                if row is None or int(row[0]) != parts["gen"]:
                    return None
                version = int(row[2])
                if version == parts["version"]:
                    return self
                old_rows = self.rowmap.rows
                top = int(old_rows.max()) if len(old_rows) else -1
                deleted = np.asarray([r for (r,) in conn.execute(f"SELECT row FROM {t}deleted WHERE version > %s",
                                                                  (parts["version"],)).fetchall()], dtype=np.int64)
                new = conn.execute(f"SELECT row, data, terms FROM {t}passages WHERE row > %s ORDER BY row",
                                   (top,)).fetchall()
                xmin = dict(conn.execute(f"SELECT doc_id, xmin::text FROM {t}documents").fetchall())
                changed = sorted(d for d, x in xmin.items() if parts["doc_xmin"].get(d) != x)
                docs = dict(conn.execute(f"SELECT doc_id, data FROM {t}documents WHERE doc_id = ANY(%s)",
                                         (changed,)).fetchall()) if changed else {}
                w = self.windows
                wtop = int(w.index.rowmap.rows.max()) if w is not None and len(w.keys) else -1
                new_windows = conn.execute(f"SELECT row, owner, key FROM {t}windows WHERE row > %s ORDER BY row",
                                           (wtop,)).fetchall()
                gone = np.isin(old_rows, deleted)
                vocab = dict(self.bm25._vocab)
                term_ids = {i for _, _, terms in new for i in terms}
                for i in np.flatnonzero(gone):
                    term_ids.update(vocab[x][0] for x in passage_terms(self.passages[i]) if x in vocab)
                top_term = max((i for i, _ in vocab.values()), default=-1)
                for i, term, df in conn.execute(f"SELECT id, term, df FROM {t}terms WHERE id = ANY(%s) OR id > %s",
                                                (sorted(term_ids), top_term)).fetchall():
                    vocab[term] = (int(i), int(df))
        finally:
            conn.close()
        keep = ~gone
        passages = [p for p, k in zip(self.passages, keep) if k] + [Passage.from_dict(d) for _, d, _ in new]
        rows = np.concatenate([old_rows[keep], np.asarray([r for r, _, _ in new], dtype=np.int64)])
        by_id = {d.id: d for d in self.documents if d.id in xmin and d.id not in docs}
        by_id.update({d: Document.from_dict(data) for d, data in docs.items()})
        windows_rows = []
        if w is not None and len(w.keys):
            dropped = set(deleted.tolist())
            owner_rows = old_rows[np.asarray(w.owner, dtype=np.int64)]
            windows_rows = [(int(r), int(o), k) for r, o, k in zip(w.index.rowmap.rows, owner_rows, w.keys)
                            if o not in dropped]
        windows_rows += [(int(r), int(o), k) for r, o, k in new_windows]
        parts.update(version=version, n=int(row[3]), doc_xmin=xmin, sid=row[1], manifest=row[4])
        return type(self)._assemble(parts, [by_id[d] for d in sorted(by_id)], passages, rows, windows_rows,
                                    vocab, self.bm25.cache, self.reader)

    def passage_vectors(self, ids: np.ndarray) -> np.ndarray:
        """float32 (len(ids), dim) passage vectors, read from ``gN_passages.vec``."""
        return self.dense.vectors(np.asarray(ids, dtype=np.int64))

    def close(self) -> None:
        """Close the read connections."""
        if self.reader is not None:
            self.reader.close()

    def materialise(self) -> Snapshot:
        """This generation with vectors, token vectors and window vectors read into memory
        (arrays shaped as ``index.snapshot`` holds them), for a build to reuse; the vector
        indexes stay the SQL ones."""
        n = len(self.passages)
        pos = np.arange(n, dtype=np.int64)
        vectors = self.dense.vectors(pos) if n else np.zeros((0, self.manifest["model"]["dim"]), np.float32)
        tokens = None
        if self.tokens is not None:
            got = self.tokens._fetch(pos.tolist())
            tokens = TokenStore.from_list([got[i] for i in range(n)], vectors.shape[1])
        windows = self.windows
        if windows is not None:
            wvec = windows.index.vectors(np.arange(windows.index.ntotal, dtype=np.int64))
            windows = WindowSet(wvec, windows.owner, windows.keys, windows.index)
        return Snapshot(self.path, self.manifest, self.documents, self.passages, vectors, self.dense, self.bm25,
                        self.catalogue, self.translations, windows, tokens, self.surface_forms, self.project_vectors)


def wait_for(predicate, timeout: float = 10.0, step: float = 0.05) -> bool:
    """Poll ``predicate()`` until it is true or ``timeout`` s pass (replica catch-up in tests)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())
