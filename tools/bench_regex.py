"""Audit of every regular expression that ingest and index apply to document text.

Collects the patterns: module-level compiled ones (``re.Pattern`` attributes of every
module under ``ingest/`` and ``index/``, the model code excepted) and the literal
patterns passed to ``re.sub``/``search``/``match``/``fullmatch``/``findall``/``finditer``/
``split`` in their source (by the AST). Each pattern is run with ``finditer`` (the worst
case: a match is tried at every position) over hostile inputs: runs of one character
and of short repeated units built from the characters the pattern names and from
letters, digits, spaces, tabs, line breaks and brackets. A pattern is **superlinear**
when a 4x longer input takes more than ``RATIO`` times as long (linear work gives 4x,
quadratic 16x) and at least ``MIN_SECONDS``; it is re-measured once to rule out noise,
and the first such input is reported.

With ``--capped`` each input is first shaped as the pattern's module receives document
text: for ``ingest`` patterns through :func:`ingest.bounds.cap_runs` (no run of non-spaces
over 256 characters, no run of spaces over 64), for ``index`` patterns through the whole
cleaning as well (``ingest.structure.build``: whitespace runs of at most two characters).
What is flagged then is superlinear on input the build can really meet.

Prints the flagged patterns with the first hostile input and its timings, and the number
of patterns and inputs tried; ``--out`` writes them as JSON.

    .venv/bin/python -m tools.bench_regex [--n 2000] [--capped] [--out docs/bench-regex.json]
"""

from __future__ import annotations

import argparse
import ast
import importlib
import itertools
import json
import re
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ingest", "index")
SKIP = ("index/model/", "tools/bench_regex.py")
RATIO = 8.0
MIN_SECONDS = 0.01
# Patterns that are superlinear under ``finditer`` on some shaped input but are never used
# that way on such input, with the reason (checked by reading every call site).
BOUNDED_BY_USE = {
    "ingest.clean._FURNITURE_LINE": "only fullmatch (one start) on a single stripped line",
    "ingest.readers._PRINTED_EDGE": "only match (one start) on header/footer lines shorter than 120 characters",
    "index.municipalities.gazetteer._QUALIFIER": "only on municipality names the parsers extracted (short strings)",
    "index.municipalities.names._KREIS_NAME": "only fullmatch (one start) on a parsed municipality name",
    "index.municipalities.linker._MARKUP": "only on entries of the Ding dictionary, never on document text",
    "index.search.translate._ANNOTATION": "only on entries of the Ding dictionary, never on document text",
}
CALLS = {"sub", "subn", "search", "match", "fullmatch", "findall", "finditer", "split", "compile"}
BASE_CHARS = ["a", "A", "ä", "1", " ", "\t", "\n", "-", ".", ",", ":", "(", ")", "[", "]", "<", ">", "@", "/",
              "*", "_", "|", "#", "&", ";", '"', "„", "·", "…", "\u00ad", "\u00a8", "\\", "+", "{", "}"]
UNITS = ["a ", "a.", "a-\n", "a- ", "(a", "a)", "[a", "]a", "<a", "a>", "a@", "1.", "1 ", "a\t", " a", "  a",
         "Stadt ", "www.", "http://", "**a", "# a", "a |", "a:in", "Seite ", "1.1 ", "A.", "ab ", "a\n\n",
         "a(b)", "(a (b", "Gemeinde A", "e ", "und ", "s ", "ts", "\u00a8u", "u\u00a8", "&a", "&#1", "a, ", "a und "]


def _is_text_module(path: Path) -> bool:
    rel = path.relative_to(ROOT).as_posix()
    return not any(rel.startswith(s) for s in SKIP) and "__pycache__" not in rel


def collect() -> list[tuple[str, re.Pattern]]:
    """(where, compiled pattern) for every pattern in the audited modules, deduplicated."""
    found: dict[tuple[str, int], str] = {}
    out: list[tuple[str, re.Pattern]] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if not _is_text_module(path):
                continue
            module_name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            try:
                module = importlib.import_module(module_name)
            except Exception:  # noqa: BLE001 - an optional dependency missing: audit the rest
                module = None
            for name, value in vars(module).items() if module else ():
                if isinstance(value, re.Pattern) and (value.pattern, value.flags) not in found:
                    found[(value.pattern, value.flags)] = f"{module_name}.{name}"
                    out.append((f"{module_name}.{name}", value))
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and isinstance(node.func.value, ast.Name) and node.func.value.id == "re"
                        and node.func.attr in CALLS and node.args):
                    continue
                first = node.args[0]
                if not (isinstance(first, ast.Constant) and isinstance(first.value, (str, bytes))):
                    continue
                flags = 0
                for extra in node.args[2:] + [k.value for k in node.keywords if k.arg == "flags"]:
                    if isinstance(extra, ast.Attribute) and isinstance(extra.value, ast.Name) and extra.value.id == "re":
                        flags |= getattr(re, extra.attr, 0)
                try:
                    pattern = re.compile(first.value, flags)
                except re.error:
                    continue
                if (pattern.pattern, pattern.flags) not in found:
                    where = f"{module_name}:{node.lineno}"
                    found[(pattern.pattern, pattern.flags)] = where
                    out.append((where, pattern))
    return out


def units_for(pattern: re.Pattern) -> list[str]:
    """Repeated units to try on ``pattern``: base characters, the pattern's own literal
    characters, all pairs of them, and the hand-made ``UNITS``."""
    source = pattern.pattern if isinstance(pattern.pattern, str) else pattern.pattern.decode("latin-1")
    own = sorted({ch for ch in source if not ch.isalnum() and ch not in "^$?+*{}|\\" and ord(ch) < 0x3000}
                 | {w for w in re.findall(r"[A-Za-zÄÖÜäöüß]{2,}", source)})
    chars = list(dict.fromkeys(BASE_CHARS + own))
    pairs = [a + b for a, b in itertools.product(chars[:14] + own[:12], repeat=2)]
    return list(dict.fromkeys(chars + pairs + UNITS))


def _time(pattern: re.Pattern, text) -> float:
    t0 = time.perf_counter()
    for _ in pattern.finditer(text):
        pass
    return time.perf_counter() - t0


def audit(n: int = 2000, capped: bool = False) -> tuple[list[dict], int, int]:
    """Run every collected pattern over every unit repeated to ``n`` and ``4 n``
    characters (through ``cap_runs`` first when ``capped``); returns (flagged rows,
    patterns, inputs tried)."""
    from ingest.bounds import cap_runs
    from ingest.readers import split_pages
    from ingest.structure import build

    cache: dict[tuple[bool, str], str] = {}

    def shaped(where: str, text):
        if not capped or isinstance(text, bytes):
            return text
        key = (where.startswith("index"), text)
        if key not in cache:
            out = cap_runs(text)[0]
            cache[key] = build(split_pages(out)).text if key[0] else out
        return cache[key]

    flagged, tried = [], 0
    patterns = collect()
    for where, pattern in patterns:
        worst = None
        for unit in units_for(pattern):
            small = (unit * (n // len(unit) + 1))[:n]
            large = (unit * (4 * n // len(unit) + 1))[: 4 * n]
            small, large = shaped(where, small), shaped(where, large)
            if isinstance(pattern.pattern, bytes):
                small, large = small.encode("utf-8", "ignore"), large.encode("utf-8", "ignore")
            tried += 1
            a, b = _time(pattern, small), _time(pattern, large)
            if b >= MIN_SECONDS and b > RATIO * max(a, 1e-6):
                a, b = min(a, _time(pattern, small)), min(b, _time(pattern, large))  # once more: noise?
                if b >= MIN_SECONDS and b > RATIO * max(a, 1e-6):
                    worst = {"where": where, "pattern": str(pattern.pattern)[:160], "unit": unit, "n": n,
                             "small_s": round(a, 5), "large_s": round(b, 5), "ratio": round(b / max(a, 1e-6), 1)}
                    break  # one hostile input is enough to condemn a pattern
        if worst:
            flagged.append(worst)
    return flagged, len(patterns), tried


def main(argv: list[str] | None = None) -> int:
    """CLI; prints the flagged patterns; exit code 1 if a pattern is superlinear and not
    bounded by its use (``BOUNDED_BY_USE``), else 0."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000, help="Length of the shorter input (the longer one is 4x).")
    ap.add_argument("--capped", action="store_true", help="Cap runs as ingest does before any pattern runs.")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    flagged, patterns, tried = audit(args.n, args.capped)
    for row in flagged:
        row["bounded_by_use"] = BOUNDED_BY_USE.get(row["where"])
        print(f"{row['where']}: {row['pattern']!r}\n    unit {row['unit']!r}: {row['small_s']} s at {row['n']}, "
              f"{row['large_s']} s at {4 * row['n']} ({row['ratio']}x)"
              + (f"\n    bounded by its use: {row['bounded_by_use']}" if row["bounded_by_use"] else ""))
    unbounded = [r for r in flagged if not r["bounded_by_use"]]
    print(f"{patterns} patterns, {tried} inputs, {len(flagged)} superlinear under finditer, "
          f"{len(unbounded)} not bounded by their use, {time.perf_counter() - t0:.0f} s")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps({"n": args.n, "capped": args.capped, "patterns": patterns, "inputs": tried,
                                        "superlinear": flagged}, indent=2, ensure_ascii=False) + "\n")
    return 1 if any(not r["bounded_by_use"] for r in flagged) else 0


if __name__ == "__main__":
    raise SystemExit(main())
