"""``praxisfinder eval-recommend`` evaluates the domain objects, not the web application
(issue 24): it opens ``index.runtime.open_recommender`` and never imports the service's
application, FastAPI or the web pages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import sys
from typer.testing import CliRunner
from service.cli import app
result = CliRunner().invoke(app, ["eval-recommend", "--cases", sys.argv[1]])
print(result.output)
print("EXIT", result.exit_code)
print("LOADED", sorted(m for m in ("service.application", "service.web", "fastapi") if m in sys.modules))
"""


@pytest.mark.integration  # a fresh interpreter, so sys.modules shows what the command imported
def test_eval_recommend_builds_no_web_application(tiny_settings, tmp_path):
    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"id": "t1", "municipality": "Großweiler", "comparable": ["Landkreis Nordheide"]})
                     + "\n", encoding="utf-8")
    env = {**os.environ, "PRAXISFINDER_TEST_EMBEDDER": "hash", "PRAXISFINDER_DATA_DIR": str(tiny_settings.storage.data_dir),
           "PRAXISFINDER_CORPUS_DIR": str(tiny_settings.storage.corpus_dir)}
    out = subprocess.run([sys.executable, "-c", PROBE, str(cases)], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300).stdout
    assert "EXIT 0" in out, out
    assert "cases: 1 cases: recall@5" in out  # the set was really evaluated
    assert "LOADED []" in out, out
