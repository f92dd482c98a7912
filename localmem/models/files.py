"""Writing model files safely (internal): checksums, temp names, clean-up, a full disk.

Every way a model arrives writes to a hidden temp name inside the models folder and renames at the
end, so the engine never loads a half-written file; a failure deletes what it wrote.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from localmem.errors import ConfigError, ModelError, ModelNotFoundError
from localmem.models.catalog import CatalogEntry

__all__ = [
    "Report",
    "PreparedModel",
    "sha256_file",
    "partial_path",
    "remove_path",
    "disk_full",
    "cleanup_on_failure",
    "copy_into",
    "refuse_overwrite",
    "require_checksum",
]

Report = Callable[[str], None]


@dataclass(frozen=True)
class PreparedModel:
    """A model made ready: where it is, what was done, and whether its checksum was verified."""

    name: str
    kind: str
    path: Path
    action: str  # downloaded, assembled, found, copied, linked
    sha256: str | None = None
    verified: bool = False  # True when sha256 matched the catalog's


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def partial_path(target: Path) -> Path:
    """The hidden temp name ``target`` is written under (listings skip dot-names)."""
    return target.with_name(f".{target.name}.partial")


def remove_path(path: Path) -> bool:
    """Delete a file, link or folder; False when there was nothing there."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
    else:
        return False
    return True


def disk_full(what: str, folder: Path, removed: list[Path]) -> ModelNotFoundError:
    """The error for a full disk: what was cleaned up, how much is free, what to do."""
    cleaned = f"removed the partial {', '.join(map(str, removed))}" if removed else "nothing was left behind"
    free = shutil.disk_usage(folder if folder.exists() else folder.parent).free
    return ModelNotFoundError(
        f"the disk is full while {what}; {cleaned}. {free / 1e6:,.0f} MB are free in {folder}: "
        "free some space or pass --models-dir on a bigger disk, then run again"
    )


@contextmanager
def cleanup_on_failure(what: str, folder: Path, *partials: Path) -> Iterator[None]:
    """Delete ``partials`` if the block fails; a full disk becomes an actionable error.

    Raises:
        ModelNotFoundError: the disk filled up (errno ENOSPC); anything else is re-raised.
    """
    try:
        yield
    except BaseException as exc:
        removed = [p for p in partials if remove_path(p)]
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            raise disk_full(what, folder, removed) from exc
        raise


def copy_into(source: Path, target: Path, link: bool) -> str:
    """Copy (or symlink) ``source`` to ``target`` through a temp name; returns the action."""
    partial = partial_path(target)
    with cleanup_on_failure(f"copying {source} to {target.parent}", target.parent, partial):
        if link or source.is_dir():
            remove_path(partial)  # a leftover from an earlier failed run
        if link:
            partial.symlink_to(source.resolve(), target_is_directory=source.is_dir())
        elif source.is_dir():
            shutil.copytree(source, partial, symlinks=False)
        else:
            with source.open("rb") as src, partial.open("wb") as dst:  # "wb" truncates a leftover
                shutil.copyfileobj(src, dst, 1 << 20)
                dst.flush()
                os.fsync(dst.fileno())
        os.replace(partial, target)
    return "linked" if link else "copied"


def refuse_overwrite(target: Path, source: Path) -> None:
    """Raises ConfigError when ``target`` exists (it is the user's file, not ours to replace)."""
    if target.exists() or target.is_symlink():
        raise ConfigError(
            f"{target} already exists and differs from {source}; delete it first, or give "
            "your file another name"
        )


def require_checksum(entry: CatalogEntry, path: Path, digest: str, *, removable: bool) -> None:
    """Raises ModelError when ``digest`` is not the catalog's; ``removable`` deletes the file first."""
    if entry.sha256 is None or digest == entry.sha256:
        return
    if removable:
        remove_path(path.parent if entry.kind == "embedder" and path.name == "model.safetensors" else path)
    what = f"deleted {path}" if removable else f"left {path} in place (it is not ours to delete)"
    raise ModelError(
        f"the sha256 of {path} is {digest} but the catalog's {entry.name} has {entry.sha256}; "
        f"{what}. Fetch it again (python scripts/download_model.py {entry.name})"
    )
