"""Every build step bounded on hostile text (issue 27, items 2 to 4): over-long runs are
cut before any pattern sees them, the joiners and decoders work in one pass, and passages
are bounded in characters as well as words."""

from __future__ import annotations

import pytest

from core.settings import Settings
from ingest.bounds import MAX_SPACE_CHARS, MAX_TOKEN_CHARS, cap_pages, cap_runs
from ingest.clean import Span, join_fragments
from ingest.pipeline import ingest_one
from ingest.readers import decode_text_report, read_document

PROSE = ("Die Gemeinde Alheim richtet ein Willkommensbüro für Zugewanderte ein. Ehrenamtliche "
         "Sprachpatinnen begleiten Familien zu Behörden, Kitas und Schulen. ")


def test_ordinary_text_is_left_alone():
    text = PROSE * 50 + "\n\n" + "https://www.nationale-stadtentwicklungspolitik.de/" + "x" * 190
    out, cut = cap_runs(text)
    assert out is text and cut == 0


@pytest.mark.parametrize("text, expected, cut", [
    ("a" * 1000, "a" * MAX_TOKEN_CHARS, 1),
    ("Wort " + "b" * 300 + " Wort", "Wort " + "b" * MAX_TOKEN_CHARS + " Wort", 1),
    ("x" + " " * 500 + "y", "x" + " " * MAX_SPACE_CHARS + "y", 1),
    ("x" + "\t \u2003" * 100 + "y", "x" + ("\t \u2003" * 100)[:MAX_SPACE_CHARS] + "y", 1),
    ("x" + "\n" * 500 + "y", "x" + "\n" * 500 + "y", 0),  # line breaks carry structure
    ("x" + "\f" * 10 + "y", "x" + "\f" * 10 + "y", 0),
    (("c" * 300 + " ") * 3, ("c" * MAX_TOKEN_CHARS + " ") * 3, 3),
])
def test_over_long_runs_are_cut(text, expected, cut):
    assert cap_runs(text) == (expected, cut)


def test_pages_are_capped_and_counted():
    pages, cut = cap_pages(["a" * 300, "gut", "b" * 300 + " " + "c" * 300])
    assert pages == ["a" * MAX_TOKEN_CHARS, "gut", "b" * MAX_TOKEN_CHARS + " " + "c" * MAX_TOKEN_CHARS] and cut == 3


@pytest.mark.parametrize("name, data", [
    ("token.txt", b"A" * 1_800_000),  # the 1.8 MB single token
    ("words.txt", (("Willkommenskultur" * 300)[:5000].encode() + b" ") * 3),  # three 5,000-letter words
    ("mixed.md", b"# Titel\n\n" + b"ab@" * 200_000 + b"\n\n" + PROSE.encode()),
    ("spaces.txt", b"Wort" + b" " * 500_000 + b"Ende."),
])
def test_hostile_files_read_with_capped_runs(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    raw = read_document(path)
    assert max(len(w) for page in raw.pages for w in page.split()) <= MAX_TOKEN_CHARS
    assert raw.meta["repairs"]["cut_runs"] >= 1


def test_invalid_bytes_are_counted_in_one_pass():
    """Counting the bytes that are not UTF-8 restarted decoding at each of them."""
    data = "Bürger".encode() + b"\xff" * 3 + "Straße".encode() + b"\x81"
    text, repairs = decode_text_report(data)
    assert repairs["cp1252_bytes"] == 4 and text.startswith("Bürger")
    many = "Grüße ".encode() * 1000 + b"a\xff" * 200_000  # 200,000 invalid bytes: a legacy file
    assert decode_text_report(many)[1]["cp1252_bytes"] == 200_000


@pytest.mark.parametrize("lines", [
    ["Die Unter-", "stützung kommt", "an."],
    ["Integrations-", "und Willkommenskultur"],
    ["Elm-", "Asse", "liegt"],
    ["Seite 3-", "4 enthält", ""],
    ["", "  Anfang", "Ende  "],
    ["eins"] * 200,
])
def test_span_joins_like_join_fragments(lines):
    span = Span.on(lines[0], 1)
    expected = lines[0]
    for n, line in enumerate(lines[1:], start=2):
        span.append(Span.on(line, n))
        expected, _ = join_fragments(expected, line)
    assert span.text == expected
    assert span.tail(5) == expected[-5:]


def test_many_short_lines_make_one_paragraph(tmp_path):
    """100,000 one-word lines without a blank line: one paragraph, joined once."""
    path = tmp_path / "zeilen.txt"
    path.write_text("Wort\n" * 100_000, encoding="utf-8")
    document, passages = ingest_one(path, Settings.from_env(max_document_passages=10**6))
    assert document.text.count("Wort") == 100_000 and len(passages) > 300


KINDS = {
    "one-word": "Integrationskursverordnung" * 40_000,
    "long-words": (("Willkommenskultur" * 300)[:5000] + " ") * 60,
    "urls": ("www.beispiel-kommune.de/integration/seite " * 5_000),
    "long-runs-in-prose": (PROSE + "x" * 250 + " ") * 400,
    "table-long-header": "\t".join(["Spalte" + "k" * 240] * 30) + "\n" + "\n".join(
        "\t".join([f"Zeile{i}"] * 30) for i in range(200)),
    "no-full-stop": " ".join(f"wort{i}" for i in range(30_000)),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_passages_are_bounded_in_words_and_characters(tmp_path, kind):
    settings = Settings.from_env(max_document_passages=10**6)
    path = tmp_path / f"{kind}.txt"
    path.write_text(KINDS[kind], encoding="utf-8")
    document, passages = ingest_one(path, settings)
    assert passages
    for p in passages:
        assert len(p.text) <= settings.chunk.max_chars, (kind, len(p.text))
        assert len(p.text.split()) <= settings.chunk.max_words
        assert p.text == p.meta.get("prefix", "") + document.text[p.start:p.end]


def test_a_smaller_character_limit_is_kept(tmp_path):
    settings = Settings.from_env(chunk_max_chars=1000)
    path = tmp_path / "prosa.txt"
    path.write_text((PROSE * 30 + "\n\n") * 10, encoding="utf-8")
    _, passages = ingest_one(path, settings)
    assert passages and max(len(p.text) for p in passages) <= 1000
    with pytest.raises(Exception, match="chunk_max_chars"):
        Settings.from_env(chunk_max_chars=300)
