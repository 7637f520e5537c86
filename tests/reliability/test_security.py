"""Browser-facing guards: security headers, CORS off by default, nothing internal leaks."""

from __future__ import annotations

from tests.reliability.conftest import AUTH


def test_security_headers_on_html_json_and_errors(writer):
    for path in ("/", "/?q=Ehrenamt", "/passage/nope", "/api/search?q=Ehrenamt", "/api/nope", "/static/style.css"):
        r = writer.get(path)
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "same-origin"


def test_no_cors_headers_by_default(writer):
    r = writer.get("/api/search", params={"q": "Ehrenamt"}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers
    pre = writer.options("/api/documents", headers={"Origin": "https://evil.example",
                                                    "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in pre.headers


def test_cors_only_for_listed_origins_and_only_reads(data_settings, make_client):
    client = make_client(data_settings.with_(cors_origins="https://kommune.example, https://b.example"))
    ok = client.get("/api/search", params={"q": "Ehrenamt"}, headers={"Origin": "https://kommune.example"})
    assert ok.headers["access-control-allow-origin"] == "https://kommune.example"
    assert "access-control-allow-credentials" not in ok.headers
    other = client.get("/api/search", params={"q": "Ehrenamt"}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    pre = client.options("/api/documents", headers={"Origin": "https://kommune.example",
                                                    "Access-Control-Request-Method": "DELETE"})
    assert pre.status_code == 400 and "DELETE" not in pre.headers.get("access-control-allow-methods", "")


def test_errors_carry_no_paths_or_traces(writer, data_settings):
    responses = [writer.get("/api/documents/../../etc/passwd"), writer.get("/api/search", params={"q": "\x00"}),
                 writer.post("/api/documents", files={"file": ("x.pdf", b"%PDF-1.4 kaputt")}, headers=AUTH),
                 writer.get("/api/search", params={"q": "x", "k": "NaN"})]
    for r in responses:
        assert 400 <= r.status_code < 500
        assert "Traceback" not in r.text and str(data_settings.storage.data_dir) not in r.text and "site-packages" not in r.text
