"""``tools.bench_search`` against a real server (loopback, HashEmbedder snapshot), briefly."""

from core.settings import Settings
from tools import bench_search as bench
from tools.liveserver import LiveServer
from tests.service.conftest import make_app


def test_bench_reports_http_and_the_bare_reference_in_one_run(tiny):
    settings, _ = tiny
    settings = Settings.from_env(data_dir=settings.storage.data_dir, read_rate_per_minute=0)
    app = make_app(settings)
    embedder = app.state.application.embedder
    calls = []

    def reference(text):
        calls.append(text)
        embedder.encode_queries([text])

    with LiveServer(app, settings=settings) as server:
        report = bench.run(server.url, embedder, requests=6, k=3, mode="hybrid", warmup=2, reference=reference)
    assert calls[2:] == [f"{bench.QUERIES[i]} {i}" for i in range(6)]  # the very texts the server searched
    for key in ("http_ms", "search_ms", "bare_torch_ms", "embed_ms"):
        assert report[key]["n"] == 6 and 0 < report[key]["p50"] <= report[key]["p95"]
    assert report["http_ms"]["p50"] >= report["search_ms"]["p50"]  # HTTP includes the search
    assert report["ratio_p50"] == round(report["http_ms"]["p50"] / report["bare_torch_ms"]["p50"], 3)
    assert report["target_ratio"] == 1.0 and report["meets_target"] == (report["ratio_p50"] <= 1.0)
