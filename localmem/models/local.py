"""Models the user already has (internal): a GGUF or an embedder folder, e.g. carried on a USB stick.

Each is checked (GGUF header and size, or the folder's files; optionally that it loads) before it
is copied or linked into the models folder under a temp name.
"""

from __future__ import annotations

import os
from pathlib import Path

from localmem.errors import ModelError, ModelNotFoundError
from localmem.models.catalog import CatalogEntry, entry_for_file
from localmem.models.files import PreparedModel, copy_into, refuse_overwrite, sha256_file
from localmem.models.gguf import check_llama_loads, read_gguf
from localmem.paths import models_dir

__all__ = ["check_embedder", "import_gguf", "import_embedder_dir"]


def check_embedder(path: Path, load: bool) -> None:
    """A sentence-transformers folder: config and weights present, and (``load``) it embeds.

    Raises:
        ModelError: files missing or the folder does not load.
    """
    if not path.is_dir():
        raise ModelError(f"{path} is not a folder; an embedder is a sentence-transformers folder")
    if not (path / "config.json").exists():
        raise ModelError(f"{path} has no config.json; it is not a sentence-transformers model folder")
    if not any((path / w).exists() for w in ("model.safetensors", "pytorch_model.bin")):
        raise ModelError(f"{path} has no model.safetensors or pytorch_model.bin; copy the whole folder")
    if load:
        from localmem.backends.embeddings import SentenceTransformerEmbedder

        try:
            SentenceTransformerEmbedder(path).embed("localmem checks this embedder loads")
        except ValueError as exc:  # a config.json that is not JSON
            raise ModelError(f"cannot load the embedder from {path}: {exc}") from exc


def import_gguf(
    source: str | os.PathLike[str], folder: Path | None = None, *, link: bool = False, load: bool = True
) -> PreparedModel:
    """Validate a GGUF the user has (header, size, llama.cpp load) and copy or link it in.

    Raises:
        ModelNotFoundError: the file does not exist, or the disk filled up.
        ModelError: not a GGUF, truncated, or llama.cpp cannot load it.
        ConfigError: a different file of that name is already in the models folder.
    """
    source = Path(source).expanduser()
    if not source.is_file():
        raise ModelNotFoundError(f"no file at {source}; give the path of a .gguf file")
    folder = folder or models_dir()
    info = read_gguf(source)
    if load:
        check_llama_loads(source, info)
    digest = sha256_file(source)
    entry = entry_for_file(source.name)
    if entry is not None and entry.sha256 and entry.sha256 != digest:
        raise ModelError(
            f"{source} has sha256 {digest} but the catalog's {entry.name} has {entry.sha256}; "
            "the copy is damaged or a different build: copy it again"
        )
    target = folder / source.name
    folder.mkdir(parents=True, exist_ok=True)
    if target.exists() and target.resolve() != source.resolve():
        if sha256_file(target) == digest:
            return PreparedModel(_name(entry, target), "llm", target, "found", digest, _ok(entry, digest))
        refuse_overwrite(target, source)
    action = "found" if target.exists() else copy_into(source, target, link)
    return PreparedModel(_name(entry, target), "llm", target, action, digest, _ok(entry, digest))


def import_embedder_dir(
    source: str | os.PathLike[str], folder: Path | None = None, *, link: bool = False, load: bool = True
) -> PreparedModel:
    """Validate a sentence-transformers folder (files present, it loads) and copy or link it in.

    Raises:
        ModelNotFoundError: the folder does not exist, or the disk filled up.
        ModelError: it is not a loadable sentence-transformers folder.
        ConfigError: a folder of that name is already in the models folder.
    """
    source = Path(source).expanduser()
    if not source.is_dir():
        raise ModelNotFoundError(f"no folder at {source}; give a sentence-transformers model folder")
    check_embedder(source, load)
    folder = folder or models_dir()
    target = folder / source.resolve().name
    if target.exists() and target.resolve() == source.resolve():
        action = "found"
    else:
        refuse_overwrite(target, source)
        folder.mkdir(parents=True, exist_ok=True)
        action = copy_into(source, target, link)
    weights = target / "model.safetensors"
    digest = sha256_file(weights) if weights.exists() else None
    entry = entry_for_file(target.name)
    return PreparedModel(_name(entry, target), "embedder", target, action, digest, _ok(entry, digest))


def _name(entry: CatalogEntry | None, path: Path) -> str:
    return entry.name if entry is not None else path.name


def _ok(entry: CatalogEntry | None, digest: str | None) -> bool:
    return entry is not None and entry.sha256 is not None and entry.sha256 == digest
