"""The compound splitter's best candidate per word, memoised in memory and across builds.

``compound_split`` (Tuggener 2016) scores every split position of a German word by n-gram
probabilities; :func:`char_split_best` gives the package's best candidate in linear time,
:func:`best_split` memoises it. A build loads the persisted memo before BM25 analysis
(``load_splits``) and writes new words back after it (``save_splits``), into the build
cache (``index.build_cache``), keyed by the compound-split version. The analyzer's own
rules on top of the split (``index.analyzer.split_compound``) are applied at every call,
so a rule change needs no invalidation.
"""

from __future__ import annotations

from pathlib import Path

from index.build_cache import CACHE_VERSION, dist_version, key_of, read, store_path, write

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
    from compound_split import char_split, de_ngram_probs  # lazy: ~1 s of n-gram tables, never loaded once every word is memoised

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
    return store_path(cache_dir, "compound-splits", key_of({"compound-split": dist_version("compound-split"), "v": CACHE_VERSION}))


def load_splits(cache_dir: Path | None) -> int:
    """Read the persisted splits into memory; returns how many words are known."""
    if cache_dir is None:
        return len(_splits)
    stored = read(_splits_path(cache_dir))
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
    write(_splits_path(cache_dir), dict(_splits))
    _splits_dirty = False
