"""The catalogue's mention scan is linear in the text (issue 16, item 2): the work per
line no longer grows with the number of mentions on it."""

from __future__ import annotations

import index.municipalities.mentions as so
from index.municipalities.mentions import scan_mentions

LINE = "Die Gemeinde Alheim arbeitet mit dem Landkreis Osnabrück und der Stadt Dülmen zusammen; "


def test_one_long_line_is_cleaned_once_and_boundedly(monkeypatch):
    real, seen = so.short, [0]

    def counting(t, *a, **k):
        seen[0] += len(t)
        return real(t, *a, **k)

    monkeypatch.setattr(so, "short", counting)
    for repeat in (100, 1000, 5000):
        text = LINE * repeat  # one line, 3 mentions per repetition
        seen[0] = 0
        records = scan_mentions("d", text)
        assert len(records) == 3 * repeat
        assert seen[0] <= so.QUOTE_SOURCE_CHARS  # not len(text) per mention
        assert records[-1].quote == records[0].quote and records[0].quote.startswith("Die Gemeinde Alheim")


def test_same_records_as_a_per_line_scan():
    text = ("Kopfzeile\nIm Landkreis Cochem-Zell und im Rhein-Kreis Neuss gibt es Lotsen.\n\n"
            "Die Stadt Olpe (Sauerland) und die Gemeinde Deutschunterricht.\nStadt Bad Homburg")
    records = scan_mentions("d", text)
    assert [(r.name, r.offset) for r in records] == [
        ("Landkreis Cochem-Zell", text.index("Landkreis")), ("Rhein-Kreis Neuss", text.index("Kreis Neuss")),
        ("Stadt Olpe (Sauerland)", text.index("Stadt Olpe")), ("Stadt Bad Homburg", text.index("Stadt Bad"))]
    assert records[0].quote == "Im Landkreis Cochem-Zell und im Rhein-Kreis Neuss gibt es Lotsen."
    assert records[2].quote == "Die Stadt Olpe (Sauerland) und die Gemeinde Deutschunterricht."
    assert records[3].quote == "Stadt Bad Homburg"
