import re

import pytest

from ingest.chunk import chunk_document, pack, Unit
from core.schema import Document, passage_id
from ingest.sentences import split_sentences
from core.settings import ChunkSettings
from ingest.structure import build

SENTENCES = [
    f"Die Gemeinde Nummer {i} fördert Sprachkurse, Patenschaften und Begegnungsfeste für Zugewanderte im Quartier."
    for i in range(1, 71)
]


def _chunk(pages: list[str], chunk: ChunkSettings | None = None, doc_id: str = "testdok"):
    chunk = chunk or ChunkSettings()
    cleaned = build(pages)
    doc = Document(id=doc_id, title="Test", path="x.txt", sha256="0", format="txt",
                   text=cleaned.text, page_starts=cleaned.page_starts)
    return doc, chunk_document(doc, cleaned.blocks, chunk)


def _long_doc() -> list[str]:
    first = "1 Erstes Kapitel\n\n" + " ".join(SENTENCES[:40])
    second = "2 Zweites Kapitel\n\n" + " ".join(SENTENCES[40:45]) + "\n\n" + " ".join(SENTENCES[45:])
    return [first, second]


def test_offsets_text_and_pages_are_consistent():
    doc, passages = _chunk(_long_doc())
    assert len(passages) > 3
    for i, p in enumerate(passages):
        assert p.text == doc.text[p.start:p.end]
        assert p.index == i
        assert p.id == passage_id("testdok", p.start, p.end)
        assert p.page == doc.page_at(p.start)
    assert {p.page for p in passages} == {1, 2}


def test_no_sentence_is_cut():
    doc, passages = _chunk(_long_doc())
    sentences = set(SENTENCES)
    for p in passages:
        for sentence in split_sentences(p.text):
            assert sentence in sentences


def test_every_sentence_is_covered():
    doc, passages = _chunk(_long_doc())
    covered = " ".join(p.text for p in passages)
    assert all(s in covered for s in SENTENCES)


def test_size_bounds_and_overlap():
    chunk = ChunkSettings()
    doc, passages = _chunk(_long_doc(), chunk)
    for p in passages:
        words = len(p.text.split())
        assert words <= chunk.max_words
        assert words >= chunk.min_words
    same_section = [(a, b) for a, b in zip(passages, passages[1:]) if a.section_path == b.section_path]
    assert same_section
    for a, b in same_section:  # one sentence of overlap
        assert b.start < a.end
        assert split_sentences(a.text)[-1] == split_sentences(b.text)[0]


def test_sections_are_respected():
    doc, passages = _chunk(_long_doc())
    paths = [tuple(p.section_path) for p in passages]
    assert paths[0] == ("1 Erstes Kapitel",) and paths[-1] == ("2 Zweites Kapitel",)
    boundary = doc.text.index("2 Zweites Kapitel")
    for p in passages:
        assert not (p.start < boundary < p.end)
        assert "Kapitel" not in p.text  # headings are in the section path, not the text


def test_ids_are_deterministic():
    _, first = _chunk(_long_doc())
    _, second = _chunk(_long_doc())
    assert [p.id for p in first] == [p.id for p in second]
    assert len({p.id for p in first}) == len(first)


def test_small_tail_is_merged_into_neighbour():
    units = [Unit(i, i + 1, 50, "sentence") for i in range(5)] + [Unit(5, 6, 5, "sentence")]
    ranges = pack(units, ChunkSettings(overlap_sentences=0))
    assert ranges[-1][1] == 6
    assert all(sum(u.words for u in units[i:j]) >= 40 for i, j in ranges)


def test_long_sentence_is_split_at_the_word_limit():
    long_sentence = "Die Verwaltung " + " ".join(f"plant{i}" for i in range(300)) + " heute."
    doc, passages = _chunk([long_sentence + " Danach folgt ein kurzer Satz."])
    chunk = ChunkSettings()
    assert all(len(p.text.split()) <= chunk.max_words for p in passages)
    words = " ".join(p.text for p in passages).split()
    for i in (0, 150, 299):  # every word kept, in order
        assert f"plant{i}" in words
    assert all(p.text == doc.text[p.start:p.end] for p in passages)


@pytest.mark.parametrize("words, max_words", [(500_00, 260), (10_000, 100), (1000, 50)])
def test_text_without_punctuation_makes_bounded_passages(words, max_words):
    """Issue 16, item 8: 500,000 words without a full stop were one passage (6 MB per hit)."""
    text = " ".join(f"wort{i % 997}" for i in range(words))
    chunk = ChunkSettings(max_words=max_words, target_words=max_words // 2, min_words=max_words // 5)
    doc, passages = _chunk([text], chunk)
    assert max(len(p.text.split()) for p in passages) <= max_words
    assert len(passages) >= words // max_words
    assert passages[0].start == 0 and passages[-1].end == len(doc.text.rstrip())


def test_list_kept_with_lead_in():
    lead = " ".join(SENTENCES[:6]) + " Hierzu zählen:"
    items = "\n".join(f"- Maßnahme {i} für Familien mit Kindern im Quartier" for i in range(3))
    doc, passages = _chunk([lead + "\n\n" + items])
    holder = [p for p in passages if "Hierzu zählen:" in p.text]
    assert holder and "- Maßnahme 0" in holder[0].text


def test_long_table_is_split_by_rows_and_repeats_header():
    rows = "\n".join(f"Gemeinde {i}\tHessen\t{1000 + i}\t{i},5 %" for i in range(80))
    page = "Tabelle 1 Daten der Kommunen\n\nKommune\tLand\tEinwohner\tAnteil\n" + rows
    doc, passages = _chunk([page])
    assert len(passages) > 1
    header = "Tabelle 1 Daten der Kommunen\nKommune\tLand\tEinwohner\tAnteil\n"
    assert passages[0].text.startswith(header) and "prefix" not in passages[0].meta
    for p in passages[1:]:
        assert p.meta["prefix"] == header
        assert p.text == header + doc.text[p.start:p.end]
    for p in passages:
        for line in p.text.splitlines()[2:]:
            assert re.fullmatch(r"Gemeinde \d+\tHessen\t\d+\t\d+,5 %", line)  # whole rows only
        assert len(p.text.split()) <= ChunkSettings().max_words + 10


@pytest.mark.parametrize("target", [60, 120, 180])
def test_target_respected_on_average(target):
    chunk = ChunkSettings(min_words=20, target_words=target, max_words=200)
    _, passages = _chunk([" ".join(SENTENCES)], chunk)
    sizes = [len(p.text.split()) for p in passages[:-1]]
    assert all(target <= s <= 200 for s in sizes)


# -- issue 23: fragments never stand alone -----------------------------------------------------

SLIDES = """Fragen an die Partner

1. Was wird unter Willkommenskultur verstanden?

2. Gibt es ein Konzept für Willkommenskultur?

4. Bei welcher Behörde ist die Umsetzung angesiedelt?

„Chefsache“

Freiberg

Oberbürgermeister

Brescia

Dezernat für Inklusion und Migration

Bursa

Migrationsmanagement der Provinz

5. Gibt es spezielle Finanzmittel?

6. Wer vergibt diese Mittel?

- Es gibt für einzelne Maßnahmen innerhalb bestimmter Bereiche Mittel aus dem Haushalt der Stadt.
- Die Höhe der Mittel ist abhängig von der jeweiligen Haushaltslage der Stadt und ihrer Verwaltung.
"""


def test_slide_fragments_are_packed_under_their_question():
    doc, passages = _chunk([SLIDES])
    assert all(len(p.text.split()) >= 20 or [q for q in passages if q.section_path == p.section_path] == [p]
               for p in passages)
    brescia = next(p for p in passages if "Dezernat für Inklusion" in p.text)
    assert brescia.section_path == ["4 Bei welcher Behörde ist die Umsetzung angesiedelt?"]
    assert "Chefsache" in brescia.text and "Bursa" in brescia.text
    funds = next(p for p in passages if "Haushaltslage" in p.text)
    assert "5. Gibt es spezielle Finanzmittel?" in funds.text  # the empty question leads into the answers
    assert funds.section_path == ["6 Wer vergibt diese Mittel?"]


def test_a_short_subsection_joins_its_sibling_and_names_the_parent():
    long = " ".join(SENTENCES[:12])
    doc, passages = _chunk([f"3 Themen\n\n3.1 Arbeit\n\nEine Kommune vermittelt Praktika.\n\n"
                            f"3.2 Sprache und Bildung\n\n{long}\n\n4 Fazit\n\n{long}"])
    first = passages[0]
    assert first.text.startswith("Eine Kommune vermittelt Praktika.") and "3.2 Sprache und Bildung" in first.text
    assert first.section_path == ["3 Themen"]
    assert passages[-1].section_path == ["4 Fazit"] and "Praktika" not in passages[-1].text


def test_long_sections_still_stand_apart():
    doc, passages = _chunk(_long_doc())
    boundary = doc.text.index("2 Zweites Kapitel")
    assert all(not (p.start < boundary < p.end) for p in passages)
