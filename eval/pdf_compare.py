"""Compare PDF text extractors (pypdf, pypdfium2) on real German PDFs nobody here wrote.

The PDFs come from Debian packages, installed with apt by this script when missing
(root only; nothing is committed): the German LinuxCNC manuals (``linuxcnc-doc-de``)
and the German LilyPond manuals (``lilypond-doc-pdf-de``). From each PDF up to
``--pages`` pages, evenly spaced, are read by both extractors side by side (same pages,
same process, alternating order), and for each extractor we measure:

* failures: pages (or whole documents) that raise;
* time per page (ms, wall clock, text extraction only);
* tokens (whitespace-separated) and the share of tokens longer than 25 characters;
* missing spaces: the two texts of a page are aligned on their non-space characters
  (difflib); a word boundary (whitespace) that the other extractor has between two
  aligned characters and this one does not is a missing space ("BeidieserEinstellung").
  Reported per word boundary of the union of both;
* camel tokens: tokens with a lower-case letter directly followed by an upper-case one
  ("BeidieserEinstellung"), the other sign of a missing space;
* tokens per page relative to the other extractor (fewer tokens for the same page:
  missing spaces).

    python -m eval.pdf_compare                    # install if needed, 30 pages per PDF
    python -m eval.pdf_compare --pages 60 --json var/eval/pdf_compare.json

The ingest reader uses pypdfium2 for text and pypdf for encryption, page count and page
labels (``ingest/readers.py``); docs/measurements.md "PDF text extraction" reports the figures.
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any

from ingest.readers import page_text_in_reading_order

PACKAGES = ("linuxcnc-doc-de", "lilypond-doc-pdf-de")
LONG_TOKEN = 25
_CAMEL = re.compile(r"[a-zäöüß][A-ZÄÖÜ]")


def ensure_packages(packages: tuple[str, ...] = PACKAGES) -> None:
    """apt-get install the packages that are not installed yet (needs root)."""
    missing = [p for p in packages
               if subprocess.run(["dpkg", "-s", p], capture_output=True).returncode != 0]
    if not missing:
        return
    if os.geteuid() != 0:
        raise SystemExit(f"please run: sudo apt-get install {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], check=True, env=env)


def package_pdfs(packages: tuple[str, ...] = PACKAGES) -> list[Path]:
    """The German PDFs the packages ship, sorted."""
    files: list[Path] = []
    for package in packages:
        listing = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True, check=True).stdout
        files += [Path(line) for line in listing.splitlines() if line.endswith(".pdf") and Path(line).is_file()]
    return sorted(files)


def _pypdf_pages(data: bytes, pages: list[int]) -> dict[int, tuple[str | None, float]]:
    # lazy: the PDF libraries load only when a PDF is read
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=False)
    out = {}
    for i in pages:
        t0 = time.perf_counter()
        try:
            text = reader.pages[i].extract_text() or ""
        except Exception:  # a failure is a measured outcome here
            text = None
        out[i] = (text, time.perf_counter() - t0)
    return out


def _pdfium_pages(data: bytes, pages: list[int]) -> dict[int, tuple[str | None, float]]:
    # lazy: the PDF libraries load only when a PDF is read
    import pypdfium2 as pdfium


    document = pdfium.PdfDocument(data)
    out = {}
    try:
        for i in pages:
            t0 = time.perf_counter()
            try:
                text = page_text_in_reading_order(document[i])
            except Exception:  # a failure is a measured outcome here
                text = None
            out[i] = (text, time.perf_counter() - t0)
    finally:
        document.close()
    return out


EXTRACTORS = {"pypdf": _pypdf_pages, "pypdfium2": _pdfium_pages}


def page_count(data: bytes) -> int:
    """Number of pages of a PDF given as bytes (pypdf, non-strict)."""
    # lazy: the PDF libraries load only when a PDF is read
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data), strict=False).pages)


def sample_pages(count: int, most: int) -> list[int]:
    """0-based indices of up to ``most`` evenly spaced pages of ``count`` (first and last included)."""
    if count <= most:
        return list(range(count))
    return sorted({round(k * (count - 1) / (most - 1)) for k in range(most)})


def run(pdfs: list[Path], most_pages: int) -> dict[str, Any]:
    """Extract the sampled pages with both extractors; return texts and timings."""
    texts: dict[str, dict[tuple[str, int], str | None]] = {name: {} for name in EXTRACTORS}
    seconds: dict[str, float] = {name: 0.0 for name in EXTRACTORS}
    doc_failures: dict[str, list[str]] = {name: [] for name in EXTRACTORS}
    for n, path in enumerate(pdfs):
        data = path.read_bytes()
        pages = sample_pages(page_count(data), most_pages)
        order = list(EXTRACTORS) if n % 2 == 0 else list(reversed(EXTRACTORS))
        for name in order:
            try:
                result = EXTRACTORS[name](data, pages)
            except Exception as exc:  # the whole document failed for this extractor
                doc_failures[name].append(f"{path.name}: {type(exc).__name__}")
                result = {i: (None, 0.0) for i in pages}
            for i, (text, dt) in result.items():
                texts[name][(path.name, i)] = text
                seconds[name] += dt
    return {"texts": texts, "seconds": seconds, "doc_failures": doc_failures}


def measure(run_result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Extractor name -> figures of the module docstring (failures, ms per page, tokens,
    long-token share, missing-space share, camel tokens, token ratio to the other)
    over the pages both extractors returned."""
    texts = run_result["texts"]
    names = list(texts)
    keys = sorted(set.intersection(*(set(texts[n]) for n in names)))
    rows: dict[str, dict[str, Any]] = {}
    for name in names:
        tokens: list[str] = []
        failures = 0
        for key in keys:
            text = texts[name][key]
            if text is None:
                failures += 1
                continue
            tokens += text.split()
        words = [w for t in tokens for w in [t.strip(".,;:!?()[]{}\"'„“”‚‘’«»…")] if w]

        rows[name] = {
            "pages": len(keys),
            "failed_pages": failures,
            "failed_documents": run_result["doc_failures"][name],
            "ms_per_page": round(1000 * run_result["seconds"][name] / max(1, len(keys)), 2),
            "tokens": len(tokens),
            "long_tokens_share": round(sum(len(t) > LONG_TOKEN for t in tokens) / max(1, len(tokens)), 4),
            "camel_share": round(sum(bool(_CAMEL.search(w)) for w in words) / max(1, len(words)), 4),
        }
    if len(names) == 2:
        a, b = names
        missing = {a: 0, b: 0}
        union = 0
        for key in keys:
            ta, tb = texts[a][key], texts[b][key]
            if ta and tb:
                only_b, only_a, both = _boundary_diff(ta, tb)
                missing[a] += only_b
                missing[b] += only_a
                union += only_a + only_b + both
        for name in names:
            rows[name]["missing_space_share"] = round(missing[name] / max(1, union), 4)
        ratios = []
        for key in keys:
            ta, tb = texts[a][key], texts[b][key]
            if ta and tb and len(tb.split()) >= 20:
                ratios.append(len(ta.split()) / len(tb.split()))
        ratios.sort()
        if ratios:
            rows[a][f"tokens_vs_{b}_median"] = round(ratios[len(ratios) // 2], 3)
            rows[a][f"pages_with_5pct_fewer_tokens_than_{b}"] = round(sum(r < 0.95 for r in ratios) / len(ratios), 3)
    return rows


def _boundaries(text: str) -> tuple[str, set[int]]:
    """Non-space characters and the indexes (into them) after which whitespace followed."""
    chars: list[str] = []
    marks: set[int] = set()
    for ch in text:
        if ch.isspace() or ch in "\u00ad\ufffe":
            if chars:
                marks.add(len(chars) - 1)
        else:
            chars.append(ch)
    return "".join(chars), marks


def _boundary_diff(a: str, b: str) -> tuple[int, int, int]:
    """(boundaries only b has, only a has, both have) between aligned characters."""

    ca, ma = _boundaries(a)
    cb, mb = _boundaries(b)
    matcher = difflib.SequenceMatcher(None, ca, cb, autojunk=False)
    only_a = only_b = both = 0
    for block in matcher.get_matching_blocks():
        for k in range(block.size - 1):  # a boundary inside an aligned run of characters
            in_a, in_b = block.a + k in ma, block.b + k in mb
            both += in_a and in_b
            only_a += in_a and not in_b
            only_b += in_b and not in_a
    return only_b, only_a, both


def main(argv: list[str] | None = None) -> int:
    """CLI (usage in the module docstring): prints a Markdown table, ``--json`` writes it.
    Exits with a message when no PDFs are found; returns 0."""
    parser = argparse.ArgumentParser(description="pypdf vs pypdfium2 on real German PDFs (Debian manuals).")
    parser.add_argument("--pages", type=int, default=30, help="pages sampled per PDF (evenly spaced)")
    parser.add_argument("--no-install", action="store_true", help="do not apt-get install missing packages")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not args.no_install:
        ensure_packages()
    pdfs = package_pdfs()
    if not pdfs:
        raise SystemExit("no PDFs found; install " + " ".join(PACKAGES))
    rows = measure(run(pdfs, args.pages))
    print(f"{len(pdfs)} PDFs: " + ", ".join(p.name for p in pdfs))
    columns = sorted({k for r in rows.values() for k in r})
    print("| extractor | " + " | ".join(columns) + " |")
    print("|---" * (len(columns) + 1) + "|")
    for name, r in rows.items():
        print(f"| {name} | " + " | ".join(str(r.get(c, "")) for c in columns) + " |")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"pdfs": [str(p) for p in pdfs], "results": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
