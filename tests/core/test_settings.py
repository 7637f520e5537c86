from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import Settings, describe

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_documented_in_readme():
    text = README.read_text(encoding="utf-8")
    missing = [d["env"] for d in describe() if d["env"] not in text]
    assert not missing, f"undocumented settings: {missing}"


def test_environment_overrides_and_types():
    s = Settings.from_env({"PRAXISFINDER_PORT": "9001", "PRAXISFINDER_WINDOW_VECTORS": "false",
                           "PRAXISFINDER_HYBRID_DENSE_WEIGHT": "0.7", "PRAXISFINDER_DATA_DIR": "/tmp/x"})
    assert s.http.port == 9001 and s.model.window_vectors is False and s.search.hybrid_dense_weight == 0.7
    assert s.storage.data_dir == Path("/tmp/x") and s.storage.snapshots_dir == Path("/tmp/x/snapshots")


def test_bad_values_are_refused_with_the_valid_choices():
    with pytest.raises(ConfigError, match="faiss-flat"):
        Settings.from_env({"PRAXISFINDER_VECTOR_BACKEND": "annoy"})
    with pytest.raises(ConfigError, match="expected int"):
        Settings.from_env({"PRAXISFINDER_PORT": "eighty"})
    with pytest.raises(ConfigError, match="chunk sizes"):
        Settings.from_env({"PRAXISFINDER_CHUNK_MIN_WORDS": "500"})


def test_vector_backend_choices_are_the_registry():
    """core/settings.py names the vector backends as data (the base layer imports no index
    code); they must be exactly the names ``index/ann/factory.py`` registers."""
    from core.settings import VECTOR_BACKENDS, choices_of
    from index.ann.factory import BACKENDS

    assert set(VECTOR_BACKENDS) == set(BACKENDS)
    entry = next(e for e in Settings.entries() if e.name == "vector_backend")
    assert choices_of(entry.field) == VECTOR_BACKENDS


def test_settings_command_lists_every_setting_with_its_value_by_concern(monkeypatch):
    """`praxisfinder settings` prints each PRAXISFINDER_* variable with its current value,
    grouped under its concern; secrets only as (set)/(empty)."""
    from typer.testing import CliRunner

    from service.cli import app

    monkeypatch.setenv("PRAXISFINDER_CHUNK_MAX_WORDS", "300")
    monkeypatch.setenv("PRAXISFINDER_UPLOAD_TOKEN", "geheim")
    out = CliRunner().invoke(app, ["settings"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    for item in describe():
        assert any(line.startswith(item["env"] + "=") for line in lines), item["env"]
    assert "PRAXISFINDER_CHUNK_MAX_WORDS=300" in lines
    assert "PRAXISFINDER_UPLOAD_TOKEN=(set)" in lines and "geheim" not in out.output
    heads = [line for line in lines if line.startswith("# ")]
    assert heads == ["# storage", "# model", "# chunk", "# ann", "# search", "# http", "# upload"]
    assert lines.index("# chunk") < lines.index("PRAXISFINDER_CHUNK_MAX_WORDS=300") < lines.index("# ann")


def test_each_setting_has_one_concern_and_attribute():
    """Public names are unique across concerns; each reads back through its concern's
    attribute (``chunk_max_words`` is ``settings.chunk.max_words``) and ``with_`` sets it there."""
    s = Settings.from_env({})
    names = [e.name for e in Settings.entries()]
    assert len(names) == len(set(names)) == len(describe())
    changed = s.with_(chunk_max_words=300, http_max_connections=7, model_dir=Path("/m"), upload_token="t")
    assert changed.chunk.max_words == 300 and changed.http.max_connections == 7
    assert changed.model.dir == Path("/m") and changed.upload.token == "t"
    assert changed.search == s.search  # other concerns untouched
    with pytest.raises(ConfigError, match="not a setting"):
        s.with_(max_words=300)  # attribute names are not public names
    for e in Settings.entries():
        assert s.get(e.name) == getattr(getattr(s, e.concern), e.field.name)
