"""Build cost per MB of hostile texts beside prose: every step must stay linear.

Writes one synthetic document per kind and size and times each step of its build in this
process: read, clean (structure), chunk (with passage kinds), BM25 analysis of the
passages (compound splits computed afresh), the municipality catalogue, and, with
``--embed``, the embeddings with the real model (passages, sentence windows, token
vectors). The per-document caps (``max_document_chars``, ``max_document_passages``) stay
as configured unless ``--no-caps``: what is refused is reported as refused, with the time
it took to refuse it. Kinds (``KINDS``):

- ``prose``: German sentences in paragraphs (the reference);
- ``no-spaces``: words and punctuation without any whitespace;
- ``one-word``: a single alphabetic word of the whole size;
- ``many-at``: ``@`` signs between letters, no spaces (the e-mail mask's worst case);
- ``long-words``: 5,000-letter words separated by spaces;
- ``single-line``: prose without a line break;
- ``short-lines``: one word per line, no blank lines (the line joiner's worst case);
- ``brackets``: ``<``, ``(`` and ``[`` without their closing partners;
- ``urls``: ``www.`` addresses glued together;
- ``spaces``: words between runs of a thousand spaces;
- ``tables``: one tab-separated row per paragraph (the table merger's worst case);
- ``leaders``: table-of-contents dot leaders (". . . .") over whole lines;
- ``bad-utf8``: a byte that is not UTF-8 after every letter (the decoder's worst case).

The first row is preceded by a small untimed run, so imports (the splitter's tables, the
GeoNames index) are not counted.

    .venv/bin/python -m tools.bench_adversarial --mb 0.05,0.2,1,2 [--kinds prose,one-word] [--embed] [--out docs/bench-adversarial.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from core.errors import IngestError
from core.schema import Document
from core.settings import Settings

PROSE = ("Die Gemeinde Alheim richtet ein Willkommensbüro für Zugewanderte ein. Ehrenamtliche Sprachpatinnen "
         "begleiten Familien zu Behörden, Kitas und Schulen. Der Landkreis Osnabrück fördert die Integrationsarbeit "
         "mit einer Koordinationsstelle (www.landkreis-osnabrueck.de, info@example.de). ")


def make_text(kind: str, size: int) -> str:
    """``size`` characters of the hostile shape ``kind`` (see the module docstring)."""
    if kind == "prose":
        para = PROSE * 4 + "\n\n"
        return (para * (size // len(para) + 1))[:size]
    if kind == "no-spaces":
        unit = "Ehrenamt,Integration;Wohnraum.Sprachkurs(Kommune)"
        return (unit * (size // len(unit) + 1))[:size]
    if kind == "one-word":
        unit = "Integrationskursverordnung"
        return (unit * (size // len(unit) + 1))[:size]
    if kind == "many-at":
        return ("a@" * (size // 2 + 1))[:size]
    if kind == "long-words":
        word = ("Willkommenskultur" * 300)[:5000]
        return ((word + " ") * (size // 5001 + 1))[:size]
    if kind == "single-line":
        return (PROSE * (size // len(PROSE) + 1))[:size]
    if kind == "short-lines":
        return ("Wort\n" * (size // 5 + 1))[:size]
    if kind == "brackets":
        return ("<a (b [c " * (size // 9 + 1))[:size]
    if kind == "urls":
        return ("www.beispiel-kommune.de/integration/" * (size // 36 + 1))[:size]
    if kind == "spaces":
        return (("Wort" + " " * 1000) * (size // 1004 + 1))[:size]
    if kind == "tables":
        return ("Kommune\tEinwohner\n\n" * (size // 19 + 1))[:size]
    if kind == "leaders":
        return (("Kapitel " + ". " * 500 + "12\n") * (size // 1011 + 1))[:size]
    if kind == "bad-utf8":
        return ("a\udcff" * (size // 2 + 1))[:size]  # written as the bytes b"a\xff"
    raise ValueError(f"unknown kind {kind!r}; choose one of: {', '.join(KINDS)}")


KINDS = ("prose", "no-spaces", "one-word", "many-at", "long-words", "single-line", "short-lines", "brackets", "urls",
         "spaces", "tables", "leaders", "bad-utf8")


def measure(kind: str, mb: float, folder: Path, settings: Settings, embedder=None) -> dict:
    """Time every build step of one ``mb``-MB (10^6 characters) document of ``kind``;
    returns one row (seconds per step ``*_s``, ``total_s``, ``s_per_mb``, passages, longest
    passage in characters, ``refused`` with the reason when a cap refused it)."""
    from index import compounds
    from index.analyzer import analyze
    from index.build import _catalogue
    from ingest.chunk import chunk_document
    from ingest.kinds import passage_kind
    from ingest.pipeline import check_size
    from ingest.readers import read_document
    from ingest.structure import build

    size = int(mb * 1_000_000)
    path = folder / f"{kind}-{mb}.txt"
    path.write_bytes(make_text(kind, size).encode("utf-8", "surrogateescape"))
    row: dict = {"kind": kind, "mb": mb, "refused": None}
    times: dict[str, float] = {}
    t = time.perf_counter()
    try:
        raw = read_document(path)
        times["read_s"] = time.perf_counter() - t
        check_size(sum(len(p) for p in raw.pages), settings, path)
        t = time.perf_counter()
        cleaned = build(raw.pages)
        times["clean_s"] = time.perf_counter() - t
        doc = Document(id="bench", title="bench", path=str(path), sha256=raw.sha256, format="txt",
                       text=cleaned.text, page_starts=cleaned.page_starts)
        t = time.perf_counter()
        passages = chunk_document(doc, cleaned.blocks, settings.chunk)
        for p in passages:
            p.meta["kind"] = passage_kind(p.text, p.section_path)
        times["chunk_s"] = time.perf_counter() - t
        if len(passages) > settings.upload.max_document_passages:
            raise IngestError(f"{len(passages)} passages; the limit is {settings.upload.max_document_passages}")
        compounds.forget_splits()
        t = time.perf_counter()
        terms = sum(len(analyze(p.text)) for p in passages)
        times["analysis_s"] = time.perf_counter() - t
        t = time.perf_counter()
        _catalogue([doc], passages)
        times["catalogue_s"] = time.perf_counter() - t
        if embedder is not None:
            from index.build import _embed, _windows
            from index.model.encoders import window_encoder_tag

            t = time.perf_counter()
            _embed(passages, embedder, None, settings, False)
            if settings.model.window_vectors:
                _windows(passages, embedder, None, settings, window_encoder_tag(settings, embedder), False)
            times["embed_s"] = time.perf_counter() - t
        row.update(passages=len(passages), terms=terms,
                   max_passage_chars=max((len(p.text) for p in passages), default=0))
    except IngestError as exc:
        row["refused"] = exc.message
    finally:
        path.unlink(missing_ok=True)
    row.update({k: round(v, 3) for k, v in times.items()})
    row["total_s"] = round(sum(times.values()), 3)
    row["s_per_mb"] = round(row["total_s"] / mb, 3)
    return row


def main(argv: list[str] | None = None) -> int:
    """CLI (``--help``): prints one row per kind and size, writes JSON with ``--out``; returns 0."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", default="0.05,0.2,1,2", help="Comma-separated sizes in MB of text (10^6 characters).")
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--embed", action="store_true", help="Also embed with the real model (slow: minutes per MB).")
    ap.add_argument("--no-caps", action="store_true", help="Lift the per-document size caps.")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    settings = Settings.from_env()
    if args.no_caps:
        settings = settings.with_(max_document_chars=10**10, max_document_passages=10**9)
    embedder = None
    if args.embed:
        from index.runtime import load_embedder

        embedder = load_embedder(settings)
    rows = []
    cols = ("read_s", "clean_s", "chunk_s", "analysis_s", "catalogue_s", "embed_s", "total_s", "s_per_mb")
    print(f"{'kind':>12} {'MB':>5} " + " ".join(f"{c[:-2] if c.endswith('_s') else c:>9}" for c in cols)
          + f" {'passages':>8} {'max chars':>9}  refused")
    with tempfile.TemporaryDirectory() as tmp:
        measure("prose", 0.01, Path(tmp), settings)  # imports and tables loaded, not timed
        for kind in args.kinds.split(","):
            for mb in (float(x) for x in args.mb.split(",")):
                r = measure(kind, mb, Path(tmp), settings, embedder)
                rows.append(r)
                print(f"{kind:>12} {mb:>5} " + " ".join(f"{r.get(c, ''):>9}" for c in cols)
                      + f" {r.get('passages', ''):>8} {r.get('max_passage_chars', ''):>9}  {r['refused'] or ''}",
                      flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
