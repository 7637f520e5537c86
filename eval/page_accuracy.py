"""Page accuracy of citations, checked against each document's own table of contents.

For every corpus document with a table of contents ("Inhalt": rows of a title, a tab
and a printed page), each TOC entry is located at the start of a paragraph of the
cleaned document text (in TOC order; an entry whose title is not found is skipped), and
every passage gets the TOC range of its text: from the page of the last entry that
starts at or before the passage's first character to the page of the entry after the
last one that starts before its last character (that page may still hold the end of the
section). A citation is *inside* when its whole cited range lies in that TOC range.

Reported per document: passages, passages that cite a page, cited pages inside the TOC
range (count and share), the mean number of pages a closed citation spans, and the
most frequent cited labels. Documents without a TOC
are listed with the number of passages that cite a page (unverifiable).

    python -m eval.page_accuracy                         # ingest corpus/ with the current code
    python -m eval.page_accuracy --snapshot var/snapshots/ID   # the passages of a stored snapshot
    python -m eval.page_accuracy --json var/eval/pages.json

The matcher here is deliberately simpler than the ingest one (``ingest.structure.
anchor_toc``): case- and punctuation-insensitive title equality or a shared prefix of
the whole shorter title, searched forward from the previous match.
"""

from __future__ import annotations

import argparse
import json
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

from core.schema import Document, Passage
from core.settings import Settings
from ingest.loop import ingest_paths

_TOC_ROW = re.compile(r"^(?P<title>[^\t]+?)\t\s*(?P<page>\d{1,4})\s*$")
OPEN_END = 10_000


def toc_entries(source: str) -> list[tuple[str, int]]:
    """(title, printed page) rows of the first table of contents in a source text."""
    lines = source.splitlines()
    start = next((i for i, ln in enumerate(lines) if ln.strip().lower() in ("inhalt", "inhaltsverzeichnis")), None)
    if start is None:
        return []
    rows: list[tuple[str, int]] = []
    blank_run = 0
    for line in lines[start + 1:]:
        m = _TOC_ROW.match(line.strip("\ufeff"))
        if m:
            rows.append((m.group("title").strip(), int(m.group("page"))))
            blank_run = 0
        elif not line.strip():
            blank_run += 1
        elif rows:
            break
    return rows if len(rows) >= 3 else []


def _key(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if ch.isalnum())


def locate(text: str, entries: list[tuple[str, int]], after: int = 0) -> list[tuple[int, int]]:
    """(offset, page) of the TOC entries found at paragraph starts, in order."""
    paragraphs = [(m.start(), m.group(0).split("\n", 1)[0]) for m in re.finditer(r"(?:(?<=\n\n)|^)[^\n]+", text)]
    found: list[tuple[int, int]] = []
    pos = after
    for title, page in entries:
        key = _key(title)
        for offset, line in paragraphs:
            if offset < pos:
                continue
            lk = _key(line)
            short = min(len(key), len(lk))
            if lk == key or (short >= 6 and (lk.startswith(key[:short]) and key.startswith(lk[:short]))
                             and abs(len(lk) - len(key)) <= 60):
                found.append((offset, page))
                pos = offset + 1
                break
    return found


def toc_range(anchors: list[tuple[int, int]], start: int, last: int) -> tuple[int, int]:
    """Printed pages [first, last] the TOC allows for text from ``start`` to ``last``."""
    first = 1
    lo_page = 1
    hi_page = anchors[0][1] if anchors else OPEN_END
    for k, (offset, page) in enumerate(anchors):
        if offset <= start:
            lo_page = page
        if offset <= last:
            hi_page = anchors[k + 1][1] if k + 1 < len(anchors) else OPEN_END
    first = lo_page
    return first, hi_page


def measure(documents: list[Document], passages: list[Passage], sources: dict[str, str]) -> list[dict[str, Any]]:
    """Per-document page accuracy rows (see the module docstring)."""
    rows = []
    for doc in documents:
        own = [p for p in passages if p.doc_id == doc.id]
        cited = [p for p in own if p.page is not None]
        entries = toc_entries(sources.get(doc.id, ""))
        row: dict[str, Any] = {"doc_id": doc.id, "passages": len(own), "cited": len(cited),
                               "toc_entries": len(entries)}
        labels = Counter((p.page_label if p.page_label is not None else str(p.page)) for p in cited)
        row["top_labels"] = labels.most_common(3)
        widths = [p.page_end - p.page + 1 for p in cited if p.page_end is not None]
        row["mean_pages_cited"] = round(sum(widths) / len(widths), 2) if widths else None
        row["open_ended"] = sum(p.page_end is None and p.page_label not in (None, str(p.page)) for p in cited)
        if entries:
            anchors = locate(doc.text, entries)
            row["toc_located"] = len(anchors)
            inside = 0
            for p in cited:
                lo, hi = toc_range(anchors, p.start, max(p.start, p.end - 1))
                end = p.page_end if p.page_end is not None else (p.page if p.page_label in (None, str(p.page))
                                                                  else OPEN_END)
                inside += lo <= p.page and end <= hi
            row["inside"] = inside
            row["share_inside"] = round(inside / len(cited), 3) if cited else None
        rows.append(row)
    return rows


def _load(snapshot: Path | None, corpus: Path) -> tuple[list[Document], list[Passage]]:
    if snapshot is not None:
        read = lambda name: [json.loads(ln) for ln in (snapshot / name).read_text(encoding="utf-8").splitlines() if ln]
        return ([Document.from_dict(d) for d in read("documents.jsonl")],
                [Passage.from_dict(p) for p in read("passages.jsonl")])

    result = ingest_paths([corpus], Settings())
    return result.documents, result.passages


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m eval.page_accuracy [--corpus DIR] [--snapshot DIR] [--json OUT]``;
    ingests the corpus (or reads a snapshot's passages) and prints one row per document.
    Returns 0."""
    parser = argparse.ArgumentParser(description="Citations against each document's table of contents.")
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--snapshot", type=Path, help="measure a stored snapshot's passages instead")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args(argv)
    documents, passages = _load(args.snapshot, args.corpus)
    sources = {}
    for doc in documents:
        path = args.corpus / Path(doc.path).name
        if path.is_file():
            sources[doc.id] = path.read_text(encoding="utf-8", errors="replace")
    rows = measure(documents, passages, sources)
    print(f"{'document':45} {'passages':>8} {'cited':>6} {'inside TOC':>13} {'pages/cite':>10}  most cited")
    for r in rows:
        share = f"{r['inside']}/{r['cited']} {r['share_inside']:.0%}" if r.get("share_inside") is not None \
            else ("no TOC" if not r["toc_entries"] else "-")
        top = ", ".join(f"S. {label} ×{n}" for label, n in r["top_labels"])
        width = "" if r["mean_pages_cited"] is None else f"{r['mean_pages_cited']:.1f}"
        print(f"{r['doc_id']:45} {r['passages']:>8} {r['cited']:>6} {share:>13} {width:>10}  {top}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
