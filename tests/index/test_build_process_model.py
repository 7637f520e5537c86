"""The upload build child's model (``index.build_process._LoadingEmbedder``): loaded by a
thread while the upload is read and its keyword stage is written, checked against the
server's fingerprint at first use. Real model."""

from __future__ import annotations

import time

import numpy as np
import pytest

from core.errors import ModelError
from index.build_process import _LoadingEmbedder

pytestmark = pytest.mark.slow  # loads the real e5 model


def test_loading_embedder_is_the_servers_model(real_settings, real_embedder):
    t = time.perf_counter()
    lazy = _LoadingEmbedder(real_settings, real_embedder.fingerprint)
    assert time.perf_counter() - t < 1.0  # returns before the model is loaded
    assert lazy.fingerprint == real_embedder.fingerprint
    np.testing.assert_allclose(lazy.encode_queries(["Sprachkurse im Landkreis"]),
                               real_embedder.encode_queries(["Sprachkurse im Landkreis"]), atol=1e-6)
    assert lazy.dim == real_embedder.dim


def test_loading_embedder_refuses_another_model_at_first_use(real_settings):
    lazy = _LoadingEmbedder(real_settings, "0" * 64)
    assert lazy.fingerprint == "0" * 64  # known without the model
    with pytest.raises(ModelError, match="not the server's"):
        lazy.encode_queries(["Wohnraum"])
