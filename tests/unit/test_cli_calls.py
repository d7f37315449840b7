"""`tacase calls validate`: no database needed, exit code 1 and the problems on standard error."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from tacase.cli import main

from .test_call_definitions import base

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run(monkeypatch):
    monkeypatch.setenv("TACASE_CONFIG", "development")

    def invoke(*args):
        return CliRunner().invoke(main, ["calls", "validate", *args], catch_exceptions=False)

    return invoke


def test_the_shipped_calls_are_valid(run, monkeypatch):
    monkeypatch.delenv("TACASE_QUESTIONNAIRES_DIR", raising=False)
    result = run()
    assert result.exit_code == 0, result.output
    assert ("OK: escr-needs-2026.yaml: questionnaire v1, 14 questions, 2026-11-02 to 2027-01-29"
            in result.output)
    assert "OK: hra-programme-2027.yaml: submissions v1" in result.output


def test_a_directory_given(run, tmp_path):
    raw = base()
    raw["key"] = "my-call"
    (tmp_path / "my-call.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    result = run(str(tmp_path))
    assert result.exit_code == 0 and "OK: my-call.yaml: questionnaire v1, 10 questions" in result.output


def test_the_configured_directory(run, tmp_path, monkeypatch):
    monkeypatch.setenv("TACASE_QUESTIONNAIRES_DIR", str(tmp_path))
    result = run()
    assert result.exit_code == 0 and "no call files" in result.output


def test_problems_go_to_standard_error_with_exit_code_1(run, tmp_path):
    raw = base()
    raw["key"] = "other-name"
    raw["audience"] = ["XXX"]
    (tmp_path / "my-call.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    (tmp_path / "broken.yaml").write_text("key: [", encoding="utf-8")
    result = run(str(tmp_path))
    assert result.exit_code == 1
    assert "error: my-call.yaml: key: is 'other-name' but the file is named my-call.yaml" in result.stderr
    assert "error: my-call.yaml: audience[1]: 'XXX' is not the ISO alpha-3 code" in result.stderr
    assert "error: broken.yaml: not valid YAML" in result.stderr
    assert "OK" not in result.stdout


def test_a_missing_directory(run, tmp_path):
    result = run(str(tmp_path / "nowhere"))
    assert result.exit_code == 1 and "not a directory" in result.stderr
