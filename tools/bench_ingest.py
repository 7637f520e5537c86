"""Ingest cost against document size: every step before embedding is linear.

Writes a synthetic worst-case document of each size (one line, no full stop, three
"Gemeinde X"/"Landkreis X"/"Stadt X" mentions per 120 characters: the shape that made the
mention scan quadratic) and times read, clean, chunk and the catalogue extraction, with
the per-document caps lifted. Prints one row per size and the seconds per MB, so growth
is visible at a glance (linear = a flat s/MB column).

    .venv/bin/python -m tools.bench_ingest --mb 1,5,25
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from ingest.chunk import chunk_document
from ingest.readers import read_document
from core.schema import Document
from core.settings import Settings
from ingest.structure import build

LINE = ("Die Gemeinde Alheim arbeitet mit dem Landkreis Osnabrück und der Stadt Dülmen zusammen; "
        "Ehrenamtliche begleiten Familien ")


def measure(mb: float, folder: Path) -> dict:
    """Time read, clean, chunk and catalogue extraction of one synthetic ``mb``-MB (10^6
    characters) document written into ``folder``; returns one row with seconds per
    step (``*_s``), ``total_s``, ``s_per_mb``, passage count and longest passage in words."""
    from index.build import _catalogue

    settings = Settings.from_env(max_document_chars=10**10, max_document_passages=10**9)
    size = int(mb * 1_000_000)
    path = folder / f"bench-{mb}.txt"
    path.write_text((LINE * (size // len(LINE) + 1))[:size], encoding="utf-8")
    t0 = time.perf_counter()
    raw = read_document(path)
    t1 = time.perf_counter()
    cleaned = build(raw.pages)
    t2 = time.perf_counter()
    doc = Document(id="bench", title="bench", path=str(path), sha256=raw.sha256, format="txt", text=cleaned.text,
                   page_starts=cleaned.page_starts)
    passages = chunk_document(doc, cleaned.blocks, settings.chunk)
    t3 = time.perf_counter()
    catalogue = _catalogue([doc], passages)
    t4 = time.perf_counter()
    path.unlink()
    row = {"mb": mb, "read_s": t1 - t0, "clean_s": t2 - t1, "chunk_s": t3 - t2, "catalogue_s": t4 - t3,
           "passages": len(passages), "max_passage_words": max(len(p.text.split()) for p in passages),
           "municipalities": len(catalogue.get("municipalities", []))}
    row["total_s"] = t4 - t0
    row["s_per_mb"] = row["total_s"] / mb
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m tools.bench_ingest --mb 1,5,25 [--out rows.json]``; prints a table, returns 0."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", default="1,5,25", help="Comma-separated document sizes in MB of text.")
    ap.add_argument("--out", type=Path, default=None, help="Also write the rows as JSON here.")
    args = ap.parse_args(argv)
    rows = []
    print(f"{'MB':>5} {'read':>6} {'clean':>6} {'chunk':>6} {'catalog':>8} {'total':>7} {'s/MB':>6} {'passages':>8} {'max words':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for mb in (float(x) for x in args.mb.split(",")):
            r = measure(mb, Path(tmp))
            rows.append(r)
            print(f"{r['mb']:>5} {r['read_s']:>6} {r['clean_s']:>6} {r['chunk_s']:>6} {r['catalogue_s']:>8} "
                  f"{r['total_s']:>7} {r['s_per_mb']:>6} {r['passages']:>8} {r['max_passage_words']:>9}", flush=True)
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
