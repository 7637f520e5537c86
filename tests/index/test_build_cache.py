"""The build's derived-data cache: keyed by inputs and code, reused across builds."""

import shutil
from pathlib import Path

import pytest

from core.settings import Settings
from index import build_cache, compounds
from index.build import build_index
from index.model.embedder import HashEmbedder
from index.snapshot import load_snapshot

FIXTURE_CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"


def test_cached_computes_once_per_payload(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return {"value": len(calls)}

    first, hit1 = build_cache.cached(tmp_path, "thing", {"input": "a"}, compute)
    second, hit2 = build_cache.cached(tmp_path, "thing", {"input": "a"}, compute)
    third, hit3 = build_cache.cached(tmp_path, "thing", {"input": "b"}, compute)
    assert (hit1, hit2, hit3) == (False, True, False)
    assert first == second == {"value": 1} and third == {"value": 2}


def test_an_unreadable_entry_is_a_miss(tmp_path):
    build_cache.cached(tmp_path, "thing", {"input": "a"}, lambda: [1])
    for f in (tmp_path / build_cache.SUBDIR).glob("thing-*.pkl"):
        f.write_bytes(b"not a pickle")
    assert build_cache.cached(tmp_path, "thing", {"input": "a"}, lambda: [2]) == ([2], False)


def test_code_hash_changes_with_the_code(tmp_path, monkeypatch):
    (tmp_path / "pkg").mkdir()
    source = tmp_path / "pkg" / "mod.py"
    source.write_text("X = 1\n")
    monkeypatch.setattr(build_cache, "ROOT", tmp_path)
    build_cache.code_hash.cache_clear()
    before = build_cache.code_hash(("pkg/*.py",))
    source.write_text("X = 2\n")
    build_cache.code_hash.cache_clear()
    after = build_cache.code_hash(("pkg/*.py",))
    build_cache.code_hash.cache_clear()
    assert before != after


def test_compound_splits_persist_and_reload(tmp_path, monkeypatch):
    monkeypatch.setattr(compounds, "_splits", {"wohnraumvermittlung": (0.9, "Wohnraum", "Vermittlung")})
    monkeypatch.setattr(compounds, "_splits_dirty", True)
    compounds.save_splits(tmp_path)
    monkeypatch.setattr(compounds, "_splits", {})
    assert compounds.load_splits(tmp_path) == 1
    # a known word is answered from memory: the splitter is not asked
    import sys

    monkeypatch.setitem(sys.modules, "compound_split", None)
    assert compounds.best_split("wohnraumvermittlung") == (0.9, "Wohnraum", "Vermittlung")


def test_a_second_build_reads_catalogue_and_translations_from_the_cache(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    settings = Settings.from_env(data_dir=tmp_path / "var", corpus_dir=corpus, cache_dir=tmp_path / "cache")
    emb = HashEmbedder(32)
    first = build_index(settings, emb)
    names = sorted(f.name.split("-")[0] for f in (tmp_path / "cache" / build_cache.SUBDIR).glob("*.pkl"))
    assert "catalogue" in names and "translations" in names and "compound" in names and "geonames" in names
    computed = []
    import index.build as build_mod

    real = build_mod._catalogue
    monkeypatch.setattr(build_mod, "_catalogue", lambda d, p, c=None: computed.append(1) or real(d, p, c))
    second = build_index(settings, emb, force=True)
    assert computed == []  # served from the cache
    a, b = load_snapshot(first.snapshot_path), load_snapshot(second.snapshot_path)
    assert a.catalogue == b.catalogue and a.translations == b.translations
    # a changed passage text is a different input: computed again
    path = corpus / "willkommenskultur-kleinstadt.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\n\nDie Stadt Goslar lädt zum Sprachcafé ein.\n", encoding="utf-8")
    build_index(settings, emb)
    assert computed == [1]


def test_splits_known_in_memory_reach_a_new_cache_dir(tmp_path, monkeypatch):
    """A process that already split words (nothing new to save) still fills a cache dir it
    has not written yet: a second build in another data dir must find them."""
    monkeypatch.setattr(compounds, "_splits", {"sprachkurs": (0.8, "Sprache", "Kurs")})
    monkeypatch.setattr(compounds, "_splits_dirty", False)
    compounds.save_splits(tmp_path / "new")
    monkeypatch.setattr(compounds, "_splits", {})
    assert compounds.load_splits(tmp_path / "new") == 1


def test_the_geonames_index_is_cached_and_used_by_a_catalogue_build(tmp_path, monkeypatch):
    """A build installs the cached GeoNames index instead of reading the 80 MB package file."""
    from index import build_cache
    from index.build import _catalogue
    from index.municipalities import geodata

    first, hit = build_cache.geonames(tmp_path)
    assert not hit and len(first) > 10_000
    again, hit = build_cache.geonames(tmp_path)
    assert hit and again == first
    geodata.install_index(None)
    monkeypatch.setattr(geodata, "build_index", lambda: pytest.fail("read the package file, not the cache"))
    _catalogue([], [], tmp_path)
    assert geodata.lookup("Darmstadt", "HE") is not None
    geodata.install_index(None)
