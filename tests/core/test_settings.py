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
