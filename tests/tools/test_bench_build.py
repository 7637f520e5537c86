"""``tools.bench_build``'s first-build setup: every round must really be a first build."""

from __future__ import annotations

from tools.bench_build import first_build_cache


def test_first_build_cache_copies_what_provision_leaves_and_drops_the_memos(tmp_path, monkeypatch):
    from index import compounds
    from index.municipalities import geodata

    template = tmp_path / "provisioned"
    (template / "build").mkdir(parents=True)
    (template / "ding-en-de-x.json").write_text("{}", encoding="utf-8")
    (template / "build" / "geonames-x.pkl").write_bytes(b"x")
    monkeypatch.setattr(compounds, "_splits", {"sprachkurs": (0.8, "Sprache", "Kurs")})
    monkeypatch.setattr(geodata, "_INDEX", {"kassel": []})
    first = first_build_cache(template, tmp_path)
    second = first_build_cache(template, tmp_path)
    assert first != second  # a fresh directory per build
    for cache in (first, second):
        assert sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*") if p.is_file()) == [
            "build/geonames-x.pkl", "ding-en-de-x.json"]
    assert compounds._splits == {} and geodata._INDEX is None  # nothing derived is left in memory
