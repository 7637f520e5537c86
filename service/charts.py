"""Small horizontal bar charts as data for an inline SVG (drawn by the template, no
JavaScript, no CDN): one bar per municipality for one indicator.

Numbers in the documents are German strings ("366.229", "11,6 %"); :func:`de_number`
reads them. A chart is only made when at least two municipalities have a value: one bar
compares nothing.
"""

from __future__ import annotations

import re
from typing import Any

BAR_WIDTH = 200  # SVG user units of the longest bar
ROW_HEIGHT = 22
LABEL_WIDTH = 140  # the municipality's name left of its bar (cut to NAME_CHARS)
NAME_CHARS = 24


def de_number(value: Any) -> float | None:
    """A German number string -> float: "366.229" -> 366229.0, "11,6 %" -> 11.6,
    "2.600 Personen" -> 2600.0; ints and floats pass; None for anything without a number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    match = re.search(r"-?\d{1,3}(?:\.\d{3})+(?:,\d+)?|-?\d+(?:,\d+)?", str(value))
    if not match:
        return None
    return float(match.group(0).replace(".", "").replace(",", "."))


def bar_chart(rows: list[tuple[str, Any, str]]) -> dict[str, Any] | None:
    """``rows``: (name, value, label) per municipality in page order; value is a number or
    a German number string, label the text shown at the bar's end ("11,6 %").

    :returns: ``{"width", "height", "x0" (where bars start), "bars": [{"name", "short"
        (cut to ``NAME_CHARS``), "label", "y", "w"}]}`` with bar
        widths proportional to the values (the largest ``BAR_WIDTH``), or None when fewer
        than two rows have a number (or all are zero).
    """
    numbers = [(name, de_number(value), label) for name, value, label in rows]
    valued = [(n, v, label) for n, v, label in numbers if v is not None and v >= 0]
    if len(valued) < 2 or max(v for _, v, _ in valued) <= 0:
        return None
    top = max(v for _, v, _ in valued)
    bars = []
    for i, (name, value, label) in enumerate(valued):
        short = name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "…"
        bars.append({"name": name, "short": short, "label": label, "y": i * ROW_HEIGHT + 2,
                     "w": max(1.0, round(value / top * BAR_WIDTH, 1))})
    return {"width": LABEL_WIDTH + BAR_WIDTH + 70, "height": len(bars) * ROW_HEIGHT + 4, "x0": LABEL_WIDTH,
            "bars": bars}
