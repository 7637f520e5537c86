import json
import shutil
from pathlib import Path

from ingest.loop import ingest_paths
from ingest.pipeline import discover, ingest_one


def test_discover_skips_readme_sources_hidden_and_other_types(tmp_path: Path):
    for name in ["b.txt", "a.md", "c.pdf", "SOURCES.md", "README.md", ".versteckt.txt", "notiz.docx"]:
        (tmp_path / name).write_text("x", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "d.txt").write_text("x")
    (tmp_path / "unter").mkdir()
    (tmp_path / "unter" / "e.txt").write_text("x")
    assert [p.relative_to(tmp_path).as_posix() for p in discover([tmp_path])] == ["a.md", "b.txt", "c.pdf", "unter/e.txt"]


def test_fixture_corpus(settings, fixture_corpus):
    result = ingest_paths([fixture_corpus], settings)
    assert [r["status"] for r in result.report] == ["ok"] * 4
    docs = {d.id: d for d in result.documents}
    assert docs["sprachkurse-landkreis"].title == "Kommunale Sprachkurse im Landkreis Nordheide (Testdokument)"
    assert docs["sprachkurse-landkreis"].meta["publisher"] == "Landkreis Nordheide"
    assert docs["ehrenamt-wohnen"].title == "Ehrenamtliche Wohnraumvermittlung in Großstadt-Nord"
    kleinstadt = docs["willkommenskultur-kleinstadt"]
    assert kleinstadt.pages == 2
    assert "Die Unterstützung durch die Wohnungslotsen" in kleinstadt.text
    assert "Foto" not in kleinstadt.text
    assert kleinstadt.sha256 == __import__("hashlib").sha256(Path(kleinstadt.path).read_bytes()).hexdigest()
    for p in result.passages:
        assert p.text == p.meta.get("prefix", "") + docs[p.doc_id].text[p.start:p.end]
        assert p.doc_title == docs[p.doc_id].title
    wohnen = [p for p in result.passages if "Wohnungsvermittlung nach Jahr" in p.text]
    # 2.1 (under 50 words) is packed with its sibling 2.2: the passage stands in chapter 2
    assert wohnen and wohnen[0].section_path == ["2 Maßnahmen"] and "2.2 Sprache und Arbeit" in wohnen[0].text
    # blank-line page breaks of a text export are guesses, and it has no TOC: no page is cited
    assert wohnen[0].page is None and wohnen[0].page_label is None


def test_generated_pdf_page_numbers(tmp_path: Path, settings, pdf_factory):
    path = pdf_factory(tmp_path / "gemeinde.pdf")
    document, passages = ingest_one(path, settings)
    assert document.format == "pdf" and document.pages == 3
    assert "Großweiler" in document.text and "Straßensozialarbeiterinnen" in document.text
    by_section = {p.section_path[0]: p.page for p in passages}
    assert by_section == {"1 Einleitung": 1, "2 Sprachförderung": 2, "3 Wohnen": 3}
    assert {p.section_path[0]: p.page_label for p in passages}["3 Wohnen"] == "3"  # no printed labels: physical
    assert document.title == "1 Einleitung"
    assert all(p.text == document.text[p.start:p.end] for p in passages)


def test_bad_files_are_reported_and_the_run_goes_on(tmp_path: Path, settings, pdf_factory, fixture_corpus):
    shutil.copy(fixture_corpus / "ehrenamt-wohnen.txt", tmp_path / "gut.txt")
    (tmp_path / "leer.txt").write_bytes(b"")
    (tmp_path / "binaer.txt").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "latin1.txt").write_bytes("Größere Gemeinden fördern Begegnungsstätten für alle Bürger.".encode("latin-1"))
    (tmp_path / "utf16.md").write_bytes("# Überblick\n\nDie Stadt fördert Sprachcafés für Mütter.".encode("utf-16"))
    pdf_factory(tmp_path / "geheim.pdf", encrypt_with="geheim")
    good = pdf_factory(tmp_path / "kaputt.pdf").read_bytes()
    (tmp_path / "kaputt.pdf").write_bytes(good[: len(good) // 3])
    result = ingest_paths([tmp_path], settings)
    report = {Path(r["path"]).name: r for r in result.report}
    assert report["gut.txt"]["status"] == "ok" and report["gut.txt"]["passages"] >= 1
    assert report["latin1.txt"]["status"] == "ok"
    assert report["utf16.md"]["status"] == "ok"
    assert report["leer.txt"]["status"] == "failed" and "empty" in report["leer.txt"]["reason"]
    assert "binary" in report["binaer.txt"]["reason"]
    assert "encrypted PDF" in report["geheim.pdf"]["reason"]
    assert report["kaputt.pdf"]["status"] == "failed"
    assert {d.id for d in result.documents} == {"gut", "latin1", "utf16"}
    assert len(result.failed) == 4
    json.dumps(result.report)  # the report is plain data


def test_one_rule_for_duplicate_names_and_contents(tmp_path: Path, settings, fixture_corpus):
    """The same rule as a build (``ingest.loop``): the first file keeps an id, a later file
    with the same stem is skipped and named; equal bytes under two ids are indexed once."""
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    shutil.copy(fixture_corpus / "ehrenamt-wohnen.txt", tmp_path / "a" / "bericht.txt")
    (tmp_path / "b" / "bericht.txt").write_text("Ein anderer Bericht über Sprachkurse in Gemeinden. " * 20)
    shutil.copy(fixture_corpus / "ehrenamt-wohnen.txt", tmp_path / "b" / "kopie.txt")
    result = ingest_paths([tmp_path], settings)
    assert [d.id for d in result.documents] == ["bericht"]
    assert Path(result.documents[0].path).parent.name == "a"
    rows = {(r["doc_id"], Path(r["path"]).parent.name): r for r in result.report}
    assert rows[("bericht", "b")]["status"] == "skipped"
    assert rows[("bericht", "b")]["reason"] == "same document id as bericht.txt"
    assert rows[("kopie", "b")]["status"] == "skipped" and rows[("kopie", "b")]["duplicate_of"] == "bericht"

