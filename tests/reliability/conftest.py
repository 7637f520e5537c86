"""Reliability fixtures: a snapshot built by the real pipeline (HashEmbedder) from the
fixture corpus, copied fresh for every test that writes to it, and an app with uploads on."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index.build import build_index
from index.model.embedder import HashEmbedder
from core.settings import Settings
from service.api import create_app
from service.application import Application

FIXTURE_CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"
TOKEN = "test-token-7f3a9c"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
GERMAN = ("Die Stadt Neuhausen richtet ein Willkommensbüro für Zugewanderte ein. Ehrenamtliche "
          "Sprachpatinnen begleiten Familien zu Behörden, Kitas und Schulen. ") * 6


def make_pdf(path: Path, pages: list[str]) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    pdf.output(str(path))
    return path


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> tuple[Path, Path]:
    """(corpus dir, data dir) with a published snapshot; copy before writing to it."""
    root = tmp_path_factory.mktemp("reliability")
    corpus = root / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    build_index(Settings.from_env(data_dir=root / "var", corpus_dir=corpus), HashEmbedder(64))
    return corpus, root / "var"


@pytest.fixture
def data_settings(template, tmp_path) -> Settings:
    corpus, data = template
    shutil.copytree(data, tmp_path / "var")
    return Settings.from_env(data_dir=tmp_path / "var", corpus_dir=corpus, upload_token=TOKEN,
                             upload_rate_per_minute=1000, reload_check_seconds=0)


@pytest.fixture
def make_client():
    """make_client(settings) -> TestClient over the real app with the HashEmbedder."""
    def make(settings: Settings) -> TestClient:
        app = create_app(settings, Application(settings, embedder=HashEmbedder(64)))
        return TestClient(app, raise_server_exceptions=False)

    return make


@pytest.fixture
def writer(data_settings, make_client) -> TestClient:
    return make_client(data_settings)


def pytest_collection_modifyitems(items):
    """A test that writes through the app (the ``writer`` fixture: uploads and deletes) runs
    the upload sandbox subprocess and a build per write: it is an ``integration`` test."""
    for item in items:
        if "writer" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.integration)
