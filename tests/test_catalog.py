"""The model catalog: well-formed entries, honest checksums, and README agreeing with the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from localmem.models.catalog import (
    CATALOG,
    DEFAULT_EMBEDDER,
    DEFAULT_LLM,
    get_entry,
    render_catalog_markdown,
)
from localmem.errors import ConfigError

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
    if entry.source == "pypi":
        assert entry.package and not entry.repo
    else:
        assert entry.repo and "/" in entry.repo and not entry.package
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
