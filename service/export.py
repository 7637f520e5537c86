"""Take-away formats for search hits: a CSV file for spreadsheets and a citation line.

CSV (``hits_csv``): written with the standard ``csv`` module for Excel in a German
locale, which is what the users (integration offices, foundations) open it with:
UTF-8 with a byte order mark (Excel reads umlauts correctly only then), ``;`` as the
delimiter (the German list separator; with ``,`` Excel-DE puts every row into one
cell), decimal comma in ``score``, CRLF line ends, every field quoted when needed.
Columns: ``rank, document, page, section, passage, municipalities, score``, then
``citation`` and ``passage_id``. Corpus text is untrusted: a text cell beginning with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading apostrophe
(OWASP "CSV injection"), so a spreadsheet shows it as text instead of running it.

Citation (``citation``): the short form common in German reports,
``Difu (2018): Zusammenleben Hand in Hand – Kommunen gestalten, S. 12, Abschnitt „…“``:
author and year from the document's ``meta`` (``publisher`` is too long, so the
short author in the title's closing parenthesis wins), title without that parenthesis.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from typing import Any

COLUMNS = ("rank", "document", "page", "section", "passage", "municipalities", "score", "citation", "passage_id")
BOM = "\ufeff"
DELIMITER = ";"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PAREN = re.compile(r"\s*\(([^()]+)\)\s*$")
_YEAR = re.compile(r"\s*((?:\d{4}(?:\s*[–-]\s*\d{4})?)|o\.\s*J\.)\s*$")


def safe_cell(value: Any) -> str:
    """A text cell that no spreadsheet evaluates: ``"=1+1"`` -> ``"'=1+1"``; None -> ``""``."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def de_decimal(value: float, digits: int = 4) -> str:
    """A number with a decimal comma, as Excel-DE reads it: 0.81234 -> "0,8123"."""
    return f"{value:.{digits}f}".replace(".", ",")


def author_year(title: str, meta: Mapping[str, Any] | None = None) -> tuple[str, str, str]:
    """(author, year, title) of a document for citations.

    "Zusammenleben Hand in Hand – Kommunen gestalten (Difu 2018)" -> ("Difu", "2018",
    "Zusammenleben Hand in Hand – Kommunen gestalten"). The year comes from
    ``meta["year"]`` when present ("o. J." where the document has none), else from the
    parenthesis; the author from the parenthesis, else ``meta["publisher"]``, else "o. V.".
    """
    meta = meta or {}
    author, year, bare = "", str(meta.get("year") or "").strip(), title.strip()
    match = _PAREN.search(bare)
    if match:
        inner = match.group(1).strip()
        bare = bare[: match.start()].rstrip()
        ym = _YEAR.search(inner)
        if ym:
            year = year or ym.group(1)
            inner = inner[: ym.start()].strip()
        author = inner
    author = author or str(meta.get("publisher") or "").strip() or "o. V."
    return author, year or "o. J.", bare


def citation(hit: Mapping[str, Any], meta: Mapping[str, Any] | None = None) -> str:
    """The citation line of one hit (a ``search_page`` row: ``doc_title``, ``page_label``,
    ``section``): ``Autor (Jahr): Titel, S. 12, Abschnitt „…“``. Page and section are
    left out where unknown; the section is its last heading (the path's other parts are
    in the document's outline)."""
    author, year, title = author_year(hit.get("doc_title") or "", meta)
    parts = [f"{author} ({year}): {title}"]
    if hit.get("page_label"):
        parts.append(f"S. {hit['page_label']}")
    section = (hit.get("section") or "").split(" › ")[-1].strip()
    if section:
        parts.append(f"Abschnitt „{section}“")
    return ", ".join(parts)


def hits_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """The CSV text (with BOM) of search rows (``search_page`` results: ``rank``,
    ``doc_title``, ``page_label``, ``section``, ``text``, ``municipalities`` as dicts with
    ``name``, ``score``, ``citation``, ``passage_id``). Encode it as UTF-8."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=DELIMITER, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in rows:
        names = "; ".join(m.get("name", "") for m in r.get("municipalities") or [])
        writer.writerow([
            r.get("rank", ""), safe_cell(r.get("doc_title")), safe_cell(r.get("page_label")),
            safe_cell(r.get("section")), safe_cell(" ".join((r.get("text") or "").split())), safe_cell(names),
            de_decimal(float(r.get("score", 0.0))), safe_cell(r.get("citation")), safe_cell(r.get("passage_id")),
        ])
    return out.getvalue()


def csv_filename(query: str) -> str:
    """An ASCII file name for the download: ``praxisfinder-<first words of the query>.csv``."""
    fold = query.translate(str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}))
    slug = re.sub(r"[^A-Za-z0-9]+", "-", fold).strip("-").lower()[:40].strip("-")
    return f"praxisfinder-{slug or 'treffer'}.csv"
