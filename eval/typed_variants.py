"""Queries as users type them, and the hybrid ranking measured on them.

    python -m eval.typed_variants [--variants ascii,gender,abbrev,typo] [--sets written,pooled,heldout]
                                  [--systems hybrid] [--json OUT]

Every judgment set is rewritten query by query (the judgments stay) and scored beside the
same queries as written, with the one search function (``Searcher.search``). The variants
(``rewrite``), deterministic so a run can be repeated:

* ``ascii``: umlauts as ae/oe/ue, ß as ss ("Flüchtlinge" -> "Fluechtlinge", "Straße" -> "Strasse");
* ``nfd``: umlauts decomposed (macOS input);
* ``gender``: German plural agent nouns written with a gender colon ("Mitarbeiter" ->
  "Mitarbeiter:innen", "Bürgern" -> "Bürger:innen");
* ``abbrev``: the long forms of ``index/data/abbreviations_de.tsv`` replaced by their first
  abbreviation ("Ausländerbehörde" -> "ABH", "Bundesamt für Migration und Flüchtlinge" ->
  "BAMF"), in German and English queries (English queries name German bodies too);
* ``typo``: two adjacent letters swapped in the middle of the longest word of 10+ letters
  (German queries).

A variant leaves most queries unchanged (a query without umlauts has no ASCII form), so
each row gives the whole set and the rewritten queries alone. Query vectors are cached
per text across the run.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import re
import unicodedata
from pathlib import Path
from typing import Any

from core.settings import Settings
from eval.judgments import load_judgments
from eval.run import JUDGMENT_SETS, evaluate, write_json
from index.abbreviations import read_abbreviations
from index.runtime import load_embedder, open_searcher

VARIANTS = ("ascii", "nfd", "gender", "abbrev", "typo")
_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"})
_GENDERABLE = re.compile(r"(?<=\s)(\w{3,}(?:er|ent|ant|ist|eg|og))(?:en|e|n)?\b")


@functools.lru_cache(maxsize=1)
def _abbreviation_patterns() -> list[tuple[re.Pattern, str]]:
    """(long form as a whole-word, case-insensitive pattern, its first abbreviation), longest first."""

    pairs = [(form, entry.abbreviations[0]) for entry in read_abbreviations() for form in entry.long_forms]
    pairs.sort(key=lambda p: -len(p[0]))
    return [(re.compile(r"(?<!\w)" + re.escape(form) + r"(?!\w)", re.IGNORECASE), abbr) for form, abbr in pairs]


def rewrite(query: str, lang: str, variant: str | None) -> str:
    """``query`` as a user might type it in ``variant`` (see the module docstring); unchanged
    when nothing applies or ``variant`` is None. ``lang`` is the judgment's "de"/"en"."""
    if variant == "ascii":
        return query.translate(_ASCII)
    if variant == "nfd":
        return unicodedata.normalize("NFD", query)
    if variant == "typo" and lang == "de":
        longest = max(re.findall(r"[^\W\d_]{10,}", query), key=len, default=None)
        if longest:
            i = len(longest) // 2
            return query.replace(longest, longest[:i] + longest[i + 1] + longest[i] + longest[i + 2:], 1)
    if variant == "gender" and lang == "de":
        return _GENDERABLE.sub(lambda m: m.group(1) + ":innen" if m.group(1)[0].isupper() else m.group(0), query)
    if variant == "abbrev":
        out = query
        for pattern, abbr in _abbreviation_patterns():
            out = pattern.sub(abbr, out)
        return out
    return query


def rewritten(judgments: list, variant: str) -> list:
    """The judgments with their queries rewritten (``rewrite``); ids, judgments and kinds unchanged."""
    return [dataclasses.replace(j, query=rewrite(j.query, j.lang, variant)) for j in judgments]


def compare(searcher, judgments: list, variant: str, system: str = "hybrid") -> dict[str, Any]:
    """nDCG@10 of ``system`` on the queries as written and in ``variant``: the whole set
    (``written``, ``typed``) and the rewritten queries alone (``changed``, ``written_changed``,
    ``typed_changed``). Returns a dict of those figures (rounded to 4 places)."""

    typed = rewritten(judgments, variant)
    changed = {t.id for t, j in zip(typed, judgments) if t.query != j.query}
    base = evaluate(searcher, judgments, [system])["systems"][system]["per_query"]
    var = evaluate(searcher, typed, [system])["systems"][system]["per_query"] if changed else base

    def mean(rows, ids):
        ids = list(ids)
        return round(sum(rows[i]["ndcg@10"] for i in ids) / len(ids), 4) if ids else None

    return {"variant": variant, "queries": len(judgments), "changed": len(changed),
            "written": mean(base, base), "typed": mean(var, var),
            "written_changed": mean(base, changed), "typed_changed": mean(var, changed)}


def main(argv: list[str] | None = None) -> int:
    """CLI (see the module docstring): one row per set and variant; ``--json`` writes them.
    Needs the real model and a current snapshot. Returns 0."""

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", default="ascii,gender,abbrev,typo")
    parser.add_argument("--sets", default=",".join(JUDGMENT_SETS))
    parser.add_argument("--queries", type=Path, action="append", default=[],
                        help="another judgments file (repeatable)")
    parser.add_argument("--system", default="hybrid")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    searcher = open_searcher(settings, load_embedder(settings))
    searcher.clear_cache = lambda: None  # query vectors are shared across the run
    doc_ids = [d.id for d in searcher.snapshot.documents]
    sets = {name: JUDGMENT_SETS[name] for name in args.sets.split(",") if name}
    sets.update({p.stem.removeprefix("judgments-"): str(p) for p in args.queries})
    rows = []
    for name, path in sets.items():
        judgments = load_judgments(path, doc_ids)
        for variant in args.variants.split(","):
            row = {"set": name, **compare(searcher, judgments, variant, args.system)}
            rows.append(row)
            print(f"{name:<8} {variant:<7} rewritten {row['changed']:>3}/{row['queries']:<3} "
                  f"all {row['written']:.4f} -> {row['typed']:.4f} ({row['typed'] - row['written']:+.4f})  "
                  f"rewritten {row['written_changed'] or 0:.4f} -> {row['typed_changed'] or 0:.4f}", flush=True)
    if args.json:
        write_json(args.json, rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
