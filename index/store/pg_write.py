"""Writes of the PostgreSQL store: a whole generation, or one document in place.

Every function here runs inside one transaction the caller (``PostgresStore``) or this
module opens: a crash (or ``kill -9``) at any point rolls it back, and the last committed
state keeps serving. Table layout and BM25 scheme: ``index.store.postgres``.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any, Callable

import numpy as np

from core.errors import SnapshotError
from core.schema import Document, Passage
from index.registry import tombstone
from index.snapshot import Snapshot
from index.store.pg_schema import APPROXIMATE, passage_terms, sparse_text, tfc, vec_text


def _tokens_bytes(tokens: np.ndarray | None) -> bytes | None:
    if tokens is None:
        return None
    return np.ascontiguousarray(tokens, dtype="<f2").tobytes()


def create_tables(conn, gen: int, dim: int) -> None:
    """The tables of generation ``gen`` (see ``index.store.postgres``), without indexes.

    A passage's ``vec`` is stored inline in the heap row (``STORAGE PLAIN``; the passage's
    jsonb, BM25 vector and token vectors are moved to TOAST instead). pgvector's default
    (``EXTERNAL``) moves the 1.5 KB vector out of a passage row (over 2 KB with the
    passage's text), so every vector read costs a TOAST index probe and chunk reads: the
    exact scan of 5,000 filtered rows read 31,401 buffers (49.5 ms on the server), inline
    1,377 (4.4 ms); the HNSW walk with the re-scoring of its 100 rows on ``vec`` 7.2 against
    2.6 ms (50,000 passages, docs/postgres-store.md)."""
    t = f"g{gen}_"
    conn.execute(f"""
        CREATE TABLE {t}documents (doc_id text PRIMARY KEY, data jsonb NOT NULL);
        CREATE TABLE {t}passages (row bigint PRIMARY KEY, passage_id text NOT NULL, doc_id text NOT NULL,
            data jsonb NOT NULL, vec vector({dim}), terms int[] NOT NULL, bm25 sparsevec NOT NULL,
            dl int NOT NULL, tokens bytea);
        ALTER TABLE {t}passages ALTER COLUMN vec SET STORAGE PLAIN;
        CREATE TABLE {t}windows (row bigint PRIMARY KEY, owner bigint NOT NULL, key text NOT NULL,
            vec vector({dim}) NOT NULL);
        CREATE TABLE {t}terms (id int PRIMARY KEY, term text UNIQUE NOT NULL, df int NOT NULL,
            max_tfc real NOT NULL DEFAULT 1);
        CREATE TABLE {t}deleted (row bigint NOT NULL, version bigint NOT NULL);
        CREATE TABLE {t}postings (id int PRIMARY KEY, rows bytea NOT NULL, tfc bytea NOT NULL);
        ALTER TABLE {t}postings ALTER COLUMN rows SET STORAGE EXTERNAL, ALTER COLUMN tfc SET STORAGE EXTERNAL;
        CREATE TABLE {t}segment (base_rows bigint NOT NULL);
        CREATE TABLE {t}municipalities (pos int PRIMARY KEY, id text, data jsonb NOT NULL);
        CREATE TABLE {t}catalogue_groups (pos int PRIMARY KEY, data jsonb NOT NULL);
        CREATE TABLE {t}project_titles (pos int PRIMARY KEY, title text NOT NULL, vec vector({dim}));
    """)


def create_indexes(conn, gen: int, backend: str, hnsw: dict[str, int], dim: int | None = None) -> None:
    """GIN on the term ids, b-trees on doc_id and window owner, and (approximate backends)
    HNSW over the passage and window vectors (inner product), built over their
    half-precision form ``vec::halfvec(dim)``: the graph holds 2 bytes per dimension
    (112 MB against 195 MB at 100,000 passages), a search reads half the bytes, dense
    recall@10 against exact search is unchanged (0.867 against 0.869 at 100,000,
    docs/postgres-store.md); the scores of the rows found are computed on ``vec`` (float32)."""
    t = f"g{gen}_"
    conn.execute(f"CREATE INDEX ON {t}passages USING gin (terms)")
    conn.execute(f"CREATE INDEX ON {t}passages (doc_id)")
    conn.execute(f"CREATE INDEX ON {t}windows (owner)")
    if backend in APPROXIMATE:
        with_ = f"WITH (m = {int(hnsw['m'])}, ef_construction = {int(hnsw['ef_construction'])})"
        if dim is None:  # the column's declared dimension
            dim = int(conn.execute("SELECT atttypmod FROM pg_attribute WHERE attrelid = %s::regclass "
                                   "AND attname = 'vec'", (f"{t}passages",)).fetchone()[0])
        conn.execute(f"CREATE INDEX ON {t}passages USING hnsw ((vec::halfvec({dim})) halfvec_ip_ops) {with_}")
        conn.execute(f"CREATE INDEX ON {t}windows USING hnsw ((vec::halfvec({dim})) halfvec_ip_ops) {with_}")


def write_generation(conn, snapshot: Snapshot, backend: str, hnsw: dict[str, int]) -> int:
    """Insert ``snapshot`` as a new generation (inside the caller's transaction); returns
    its number. BM25 vectors are computed here from the analyzer's terms with the corpus
    statistics of this generation (N, df, avgdl), as bm25s computes them."""
    passages = snapshot.passages
    dim = int(np.asarray(snapshot.vectors).shape[1])
    k1, b = float(snapshot.bm25.k1), float(snapshot.bm25.b)
    counts = [Counter(passage_terms(p)) for p in passages]
    dls = [sum(c.values()) for c in counts]
    vocab: dict[str, int] = {}
    df: Counter = Counter()
    for c in counts:
        for term in c:
            if term not in vocab:
                vocab[term] = len(vocab)
            df[term] += 1
    n, total = len(passages), int(sum(dls))
    avgdl = total / n if n else 1.0
    max_tfc = _max_tfc(counts, dls, vocab, avgdl, k1, b)
    catalogue = snapshot.catalogue or {}
    manifest = {**snapshot.manifest, "store": "postgres"}
    gen = conn.execute(
        "INSERT INTO pf_generations (snapshot_id, manifest, translations, surface_forms, catalogue_version, dim, "
        "k1, b, avgdl, n_passages, total_len, backend) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
        "RETURNING gen",
        (snapshot.id, json.dumps(manifest, ensure_ascii=False), json.dumps(snapshot.translations, ensure_ascii=False),
         json.dumps(snapshot.surface_forms, ensure_ascii=False), catalogue.get("version") if catalogue else None,
         dim, k1, b, avgdl, n, total, backend)).fetchone()[0]
    t = f"g{gen}_"
    create_tables(conn, gen, dim)
    conn.execute(f"CREATE SEQUENCE {t}rows START {max(n, 1)}")
    conn.execute(f"CREATE SEQUENCE {t}window_rows START {max(len(snapshot.windows.keys), 1) if snapshot.windows else 1}")
    conn.execute(f"CREATE SEQUENCE {t}term_ids START {max(len(vocab), 1)}")
    with conn.cursor() as cur:
        with cur.copy(f"COPY {t}documents (doc_id, data) FROM STDIN") as cp:
            for d in snapshot.documents:
                cp.write_row((d.id, json.dumps(d.to_dict(), ensure_ascii=False)))
        with cur.copy(f"COPY {t}terms (id, term, df, max_tfc) FROM STDIN") as cp:
            for term, i in vocab.items():
                cp.write_row((i, term, df[term], max_tfc[i]))
        with cur.copy(f"COPY {t}passages (row, passage_id, doc_id, data, vec, terms, bm25, dl, tokens) FROM STDIN") as cp:
            for i, p in enumerate(passages):
                c, dl = counts[i], dls[i]
                sparse = {vocab[term]: tfc(tf, dl, avgdl, k1, b) for term, tf in c.items()}
                tok = _tokens_bytes(snapshot.tokens.get(i)) if snapshot.tokens is not None else None
                cp.write_row((i, p.id, p.doc_id, json.dumps(p.to_dict(), ensure_ascii=False),
                              vec_text(snapshot.vectors[i]), sorted(vocab[term] for term in c), sparse_text(sparse),
                              dl, tok))
        _write_postings(cur, t, counts, dls, vocab, avgdl, k1, b)
        if snapshot.windows is not None:
            w = snapshot.windows
            with cur.copy(f"COPY {t}windows (row, owner, key, vec) FROM STDIN") as cp:
                for i, key in enumerate(w.keys):
                    cp.write_row((i, int(w.owner[i]), key, vec_text(w.vectors[i])))
        _write_catalogue(cur, t, catalogue, snapshot.project_vectors)
    del counts, dls  # ~70 term counts per passage (GBs at 1M passages): not held through the graph build
    create_indexes(conn, gen, backend, hnsw, dim)
    conn.execute(f"ANALYZE {t}passages")
    return int(gen)


def _write_postings(cur, t: str, counts: list[Counter], dls: list[int], ids: dict[str, int], avgdl: float,
                    k1: float, b: float) -> None:
    """The generation's BM25 posting lists, one row per term id: ``rows`` the passage rows
    containing it (int32 little-endian, ascending), ``tfc`` their saturated term
    frequencies (float32 little-endian; the very values of the passages' ``bm25`` sparse
    vectors), stored uncompressed (``STORAGE EXTERNAL``: read without decompressing). They
    cover rows below ``gN_segment.base_rows`` (this build); rows written later are scored
    from their ``bm25`` column (``PgBM25.top``). The layout of bm25s' sparse score matrix
    (and of Lucene's postings), kept in a table."""
    n_post = sum(len(c) for c in counts)
    term = np.empty(n_post, dtype=np.int32)
    rows = np.empty(n_post, dtype=np.int32)
    vals = np.empty(n_post, dtype=np.float32)
    at = 0
    for r, (c, dl) in enumerate(zip(counts, dls)):
        m = len(c)
        term[at:at + m] = [ids[x] for x in c]
        rows[at:at + m] = r
        vals[at:at + m] = [tfc(tf, dl, avgdl, k1, b) for tf in c.values()]
        at += m
    order = np.argsort(term, kind="stable")  # by term, rows ascending within a term
    term, rows, vals = term[order], rows[order], vals[order]
    bounds = np.flatnonzero(np.diff(term)) + 1
    starts = np.concatenate([[0], bounds]) if n_post else np.zeros(0, dtype=np.int64)
    ends = np.concatenate([bounds, [n_post]]) if n_post else np.zeros(0, dtype=np.int64)
    with cur.copy(f"COPY {t}postings (id, rows, tfc) FROM STDIN") as cp:
        for s, e in zip(starts.tolist(), ends.tolist()):
            cp.write_row((int(term[s]), rows[s:e].astype("<i4").tobytes(), vals[s:e].astype("<f4").tobytes()))
    cur.execute(f"INSERT INTO {t}segment (base_rows) VALUES (%s)", (len(counts),))


def _max_tfc(counts: list[Counter], dls: list[int], ids: dict[str, int], avgdl: float, k1: float,
             b: float) -> np.ndarray:
    """float32 (n_terms,): per term id the largest saturated term frequency any passage
    stores for it (its BM25 vector's value), rounded up to the next float32: the per-term
    upper bound of the MaxScore top-k (``PgBM25.top``; Turtle & Flood 1995)."""
    out = np.zeros(len(ids), dtype=np.float64)
    for c, dl in zip(counts, dls):
        for term, tf in c.items():
            i = ids[term]
            v = tfc(tf, dl, avgdl, k1, b)
            if v > out[i]:
                out[i] = v
    return _round_up(out)


def _round_up(values) -> np.ndarray:
    """float32 of ``values`` rounded towards +inf (an upper bound stays one once stored as ``real``)."""
    v = np.asarray(values, dtype=np.float64)
    f = v.astype(np.float32)
    return np.where(f.astype(np.float64) < v, np.nextafter(f, np.float32(np.inf)), f).astype(np.float32)


def _write_catalogue(cur, t: str, catalogue: dict[str, Any], project_vectors: np.ndarray | None) -> None:
    with cur.copy(f"COPY {t}municipalities (pos, id, data) FROM STDIN") as cp:
        for i, m in enumerate(catalogue.get("municipalities", [])):
            cp.write_row((i, m.get("id") if isinstance(m, dict) else None, json.dumps(m, ensure_ascii=False)))
    with cur.copy(f"COPY {t}catalogue_groups (pos, data) FROM STDIN") as cp:
        for i, g in enumerate(catalogue.get("groups", [])):
            cp.write_row((i, json.dumps(g, ensure_ascii=False)))
    with cur.copy(f"COPY {t}project_titles (pos, title, vec) FROM STDIN") as cp:
        for i, title in enumerate(catalogue.get("project_titles", [])):
            vec = vec_text(project_vectors[i]) if project_vectors is not None else None
            cp.write_row((i, title, vec))


def _serving_for_update(conn) -> tuple[int, float, float, float, int, dict]:
    row = conn.execute("SELECT g.gen, g.avgdl, g.k1, g.b, g.version, g.manifest FROM pf_serving s "
                       "JOIN pf_generations g USING (gen) FOR UPDATE OF g").fetchone()
    if row is None:
        raise SnapshotError("no index generation in the PostgreSQL store; run `praxisfinder ingest` first")
    return int(row[0]), float(row[1]), float(row[2]), float(row[3]), int(row[4]), row[5]


def _remove_rows(conn, t: str, doc_id: str, version: int) -> tuple[int, int]:
    """Delete a document's passages and windows; df, N and summed lengths go down by what
    they held. Returns (passages removed, summed lengths removed)."""
    gone = conn.execute(f"DELETE FROM {t}passages WHERE doc_id = %s RETURNING row, terms, dl", (doc_id,)).fetchall()
    if not gone:
        conn.execute(f"DELETE FROM {t}documents WHERE doc_id = %s", (doc_id,))
        return 0, 0
    rows = [int(r[0]) for r in gone]
    terms = Counter(i for r in gone for i in r[1])
    conn.execute(f"DELETE FROM {t}windows WHERE owner = ANY(%s)", (rows,))
    conn.execute(f"INSERT INTO {t}deleted (row, version) SELECT unnest(%s::bigint[]), %s", (rows, version))
    conn.execute(f"UPDATE {t}terms AS x SET df = x.df - d.n FROM unnest(%s::int[], %s::int[]) AS d(id, n) "
                 "WHERE x.id = d.id", (list(terms), list(terms.values())))
    conn.execute(f"DELETE FROM {t}documents WHERE doc_id = %s", (doc_id,))
    return len(rows), int(sum(r[2] for r in gone))


PARTIAL = "partial"  # ``Document.meta["indexing"]`` while a staged write's vectors are pending


def _allow_partial(conn, t: str) -> None:
    """Let ``{t}passages.vec`` hold NULL (generations written before staged writes had it
    NOT NULL; dropping the constraint changes only the catalogue, but takes the table's
    exclusive lock for that moment, once per generation)."""
    notnull = conn.execute("SELECT attnotnull FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'vec'",
                           (f"{t}passages",)).fetchone()
    if notnull and notnull[0]:
        conn.execute(f"ALTER TABLE {t}passages ALTER COLUMN vec DROP NOT NULL")


def write_document(conn, document: Document, passages: list[Passage], vectors: np.ndarray | None,
                   tokens: list[np.ndarray] | None, windows: list[tuple[int, str, np.ndarray]] | None,
                   origin: str = "upload", before_commit: Callable[[], None] | None = None) -> int:
    """Add or replace ``document`` in the serving generation, in one transaction.

    :param passages: its passages; ``vectors`` float32 (len(passages), dim) their e5 vectors,
        or None for the first stage of a *staged* write: the passages are written without
        vectors (``vec`` NULL: the dense arm and MaxSim do not see them, BM25 does) and the
        document is marked ``meta["indexing"] = "partial"`` until ``fill_vectors`` adds them;
        ``tokens`` per passage float token vectors (or None); ``windows`` (index of the
        owning passage in ``passages``, text key, vector) for its sentence windows.
    :param before_commit: called inside the transaction just before it commits (tests kill
        the writer there).
    :returns: the generation's new version (readers reload when it changes).

    A replaced document's rows are deleted first; BM25 vectors of the new passages use the
    generation's frozen avgdl, and N, df and the summed lengths are updated (IDF refreshed
    without reading other passages)."""
    partial = vectors is None
    if partial:
        document = Document.from_dict({**document.to_dict(), "meta": {**document.meta, "indexing": PARTIAL}})
        tokens, windows = None, None
    with conn.transaction():
        gen, avgdl, k1, b, version, manifest = _serving_for_update(conn)
        version += 1
        t = f"g{gen}_"
        if partial:
            _allow_partial(conn, t)
        removed, removed_len = _remove_rows(conn, t, document.id, version)
        counts = [Counter(passage_terms(p)) for p in passages]
        dls = [sum(c.values()) for c in counts]
        words = sorted({term for c in counts for term in c})
        known = dict(conn.execute(f"SELECT term, id FROM {t}terms WHERE term = ANY(%s)", (words,)).fetchall())
        new = [w for w in words if w not in known]
        if new:
            ids = conn.execute(f"SELECT nextval('{t}term_ids') FROM generate_series(1, %s)", (len(new),)).fetchall()
            known.update({w: int(i) for w, (i,) in zip(new, ids)})
            conn.execute(f"INSERT INTO {t}terms (id, term, df, max_tfc) SELECT unnest(%s::int[]), unnest(%s::text[]), 0, 0",
                         ([known[w] for w in new], new))
        df = Counter(term for c in counts for term in c)
        top: dict[str, float] = {}
        for c, dl in zip(counts, dls):
            for term, tf in c.items():
                top[term] = max(top.get(term, 0.0), tfc(tf, dl, avgdl, k1, b))
        bounds = _round_up([top[w] for w in df]).tolist()
        # df up, and the term's upper bound raised when a new passage stores a larger value
        # (never lowered on delete: a bound that is too high stays a valid bound)
        conn.execute(f"UPDATE {t}terms AS x SET df = x.df + d.n, max_tfc = GREATEST(x.max_tfc, d.m) "
                     "FROM unnest(%s::int[], %s::int[], %s::real[]) AS d(id, n, m) WHERE x.id = d.id",
                     ([known[w] for w in df], list(df.values()), bounds))
        rows = [int(r[0]) for r in conn.execute(f"SELECT nextval('{t}rows') FROM generate_series(1, %s)",
                                                 (len(passages),)).fetchall()] if passages else []
        conn.execute(f"INSERT INTO {t}documents (doc_id, data) VALUES (%s, %s)",
                     (document.id, json.dumps(document.to_dict(), ensure_ascii=False)))
        with conn.cursor() as cur:
            with cur.copy(f"COPY {t}passages (row, passage_id, doc_id, data, vec, terms, bm25, dl, tokens) FROM STDIN") as cp:
                for i, p in enumerate(passages):
                    c, dl = counts[i], dls[i]
                    sparse = {known[term]: tfc(tf, dl, avgdl, k1, b) for term, tf in c.items()}
                    cp.write_row((rows[i], p.id, p.doc_id, json.dumps(p.to_dict(), ensure_ascii=False),
                                  None if partial else vec_text(vectors[i]), sorted(known[term] for term in c), sparse_text(sparse), dl,
                                  _tokens_bytes(tokens[i]) if tokens is not None else None))
            if windows:
                _copy_windows(conn, cur, t, windows, rows)
        manifest = _manifest_with(manifest, document, origin, PARTIAL if partial else None)
        conn.execute("UPDATE pf_generations SET n_passages = n_passages + %s - %s, total_len = total_len + %s - %s, "
                     "version = %s, manifest = %s WHERE gen = %s",
                     (len(passages), removed, int(sum(dls)), removed_len, version,
                      json.dumps(manifest, ensure_ascii=False), gen))
        if before_commit is not None:
            before_commit()
    return version


def _copy_windows(conn, cur, t: str, windows: list[tuple[int, str, np.ndarray]], rows: list[int]) -> None:
    """COPY sentence windows ``(owner index, key, vector)`` into ``{t}windows``, each with a
    fresh row number from ``{t}window_rows`` and its owner's passage row (``rows[owner]``)."""
    wrows = conn.execute(f"SELECT nextval('{t}window_rows') FROM generate_series(1, %s)", (len(windows),)).fetchall()
    with cur.copy(f"COPY {t}windows (row, owner, key, vec) FROM STDIN") as cp:
        for (owner, key, vec), (wrow,) in zip(windows, wrows):
            cp.write_row((int(wrow), rows[owner], key, vec_text(vec)))


def fill_vectors(conn, document: Document, vectors: np.ndarray, tokens: list[np.ndarray] | None,
                 windows: list[tuple[int, str, np.ndarray]] | None) -> int | None:
    """The second stage of a staged write (``write_document`` with ``vectors=None``), in one
    transaction: the passage vectors, token vectors and sentence windows of ``document``,
    and its ``meta["indexing"]`` mark removed. Arguments as ``write_document``'s, in the
    order of the passages written then. Returns the new version, or None (nothing written)
    when the document is no longer the partial one that stage wrote (replaced with other
    content, deleted, or already complete)."""
    with conn.transaction():
        gen, _, _, _, version, manifest = _serving_for_update(conn)
        t = f"g{gen}_"
        row = conn.execute(f"SELECT data FROM {t}documents WHERE doc_id = %s", (document.id,)).fetchone()
        if row is None or row[0].get("sha256") != document.sha256 or row[0].get("meta", {}).get("indexing") != PARTIAL:
            return None
        rows = [int(r[0]) for r in conn.execute(f"SELECT row FROM {t}passages WHERE doc_id = %s AND vec IS NULL "
                                                 "ORDER BY row", (document.id,)).fetchall()]
        if len(rows) != len(vectors):
            return None
        version += 1
        with conn.cursor() as cur:
            cur.execute("CREATE TEMP TABLE pf_fill (row bigint, vec text, tokens bytea) ON COMMIT DROP")
            with cur.copy("COPY pf_fill (row, vec, tokens) FROM STDIN") as cp:
                for i, r in enumerate(rows):
                    cp.write_row((r, vec_text(vectors[i]), _tokens_bytes(tokens[i]) if tokens is not None else None))
            cur.execute(f"UPDATE {t}passages AS p SET vec = f.vec::vector, tokens = f.tokens FROM pf_fill f "
                        "WHERE p.row = f.row")
            if windows:
                _copy_windows(conn, cur, t, windows, rows)
        data = dict(row[0])
        data["meta"] = {k: v for k, v in data.get("meta", {}).items() if k != "indexing"}
        conn.execute(f"UPDATE {t}documents SET data = %s WHERE doc_id = %s",
                     (json.dumps(data, ensure_ascii=False), document.id))
        registry = dict(manifest.get("registry") or {})
        docs = dict(registry.get("documents", {}))
        if document.id in docs:
            docs[document.id] = {k: v for k, v in docs[document.id].items() if k != "indexing"}
            manifest = {**manifest, "registry": {**registry, "documents": docs}}
        conn.execute("UPDATE pf_generations SET version = %s, manifest = %s WHERE gen = %s",
                     (version, json.dumps(manifest, ensure_ascii=False), gen))
    return version


def delete_document(conn, doc_id: str) -> int | None:
    """Delete ``doc_id`` from the serving generation in one transaction (passages, windows,
    df, N; a tombstone in the registry). The new version, or None when it is not indexed."""
    with conn.transaction():
        gen, _, _, _, version, manifest = _serving_for_update(conn)
        t = f"g{gen}_"
        exists = conn.execute(f"SELECT 1 FROM {t}documents WHERE doc_id = %s", (doc_id,)).fetchone()
        if exists is None:
            return None
        version += 1
        removed, removed_len = _remove_rows(conn, t, doc_id, version)
        manifest = _manifest_without(manifest, doc_id)
        conn.execute("UPDATE pf_generations SET n_passages = n_passages - %s, total_len = total_len - %s, "
                     "version = %s, manifest = %s WHERE gen = %s",
                     (removed, removed_len, version, json.dumps(manifest, ensure_ascii=False), gen))
    return version


def _manifest_with(manifest: dict[str, Any], d: Document, origin: str, indexing: str | None = None) -> dict[str, Any]:
    """The manifest with ``d`` in its corpus list and document registry (``index.registry``);
    ``indexing`` ``"partial"`` marks a staged write's first stage in its registry entry."""
    manifest = dict(manifest)
    manifest["corpus"] = [c for c in manifest.get("corpus", []) if c.get("doc_id") != d.id] + [
        {"doc_id": d.id, "title": d.title, "path": d.path, "sha256": d.sha256, "pages": d.pages, "format": d.format}]
    registry = dict(manifest.get("registry") or {"documents": {}, "tombstones": {}})
    docs = dict(registry.get("documents", {}))
    docs[d.id] = {"origin": origin, "path": d.path, "sha256": d.sha256, **({"indexing": indexing} if indexing else {})}
    tombs = {k: v for k, v in registry.get("tombstones", {}).items() if k != d.id}
    manifest["registry"] = {"documents": dict(sorted(docs.items())), "tombstones": tombs}
    manifest["build_key"] = None  # the next full build does not count as "up to date"
    return manifest


def _manifest_without(manifest: dict[str, Any], doc_id: str) -> dict[str, Any]:
    """The manifest without ``doc_id``, leaving a tombstone (``index.registry.tombstone``)."""

    manifest = dict(manifest)
    manifest["corpus"] = [c for c in manifest.get("corpus", []) if c.get("doc_id") != doc_id]
    registry = dict(manifest.get("registry") or {"documents": {}, "tombstones": {}})
    docs = dict(registry.get("documents", {}))
    entry = docs.pop(doc_id, None) or {"origin": "upload", "path": "", "sha256": ""}
    tombs = dict(registry.get("tombstones", {}))
    tombs[doc_id] = tombstone(entry)
    manifest["registry"] = {"documents": docs, "tombstones": dict(sorted(tombs.items()))}
    manifest["build_key"] = None
    return manifest
