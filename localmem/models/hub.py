"""Downloads from a model hub (internal): one GGUF, or the files of an embedder folder.

Files land in a staging folder first (``.download/`` in the models folder: the engine never
looks inside), are checked, then renamed into place.
"""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from localmem.errors import ModelError, ModelNotFoundError
from localmem.models.catalog import CatalogEntry
from localmem.models.files import (
    PreparedModel,
    cleanup_on_failure,
    disk_full,
    remove_path,
    require_checksum,
    sha256_file,
)
from localmem.models.gguf import read_gguf
from localmem.models.local import check_embedder
from localmem.paths import models_dir

__all__ = ["STAGING", "USB_HELP", "download_from_hub", "download_embedder"]

STAGING = ".download"
USB_HELP = (
    "on a machine with internet run `python scripts/download_model.py {what} --models-dir "
    "/media/usb/models`, carry the folder over, then here run `python scripts/download_model.py "
    "--from-file` (a GGUF) or `--from-dir` (an embedder folder) on what you copied"
)


def download_from_hub(
    repo: str,
    filename: str,
    folder: Path | None = None,
    *,
    sha256: str | None = None,
    revision: str | None = None,
    endpoint: str | None = None,
) -> Path:
    """Download one GGUF from a model hub into the models folder, verified and renamed at the end.

    Resumes when the connection drops mid-file (huggingface_hub retries with a Range request) and
    shows a progress bar. ``endpoint`` (else ``HF_ENDPOINT``) picks a mirror.

    Raises:
        ModelNotFoundError: offline, unknown repository or file, gated repository, or a full disk.
        ModelError: the sha256 differs from ``sha256`` or the file is not a valid GGUF.
    """
    folder = folder or models_dir()
    staged = _hub_fetch(repo, [filename], folder / STAGING, revision, endpoint) / filename
    target = folder / Path(filename).name
    with cleanup_on_failure(f"downloading {filename}", folder, staged):
        if sha256 is not None and (digest := sha256_file(staged)) != sha256:
            raise ModelError(
                f"the sha256 of {repo}/{filename} is {digest} but {sha256} was expected; deleted "
                f"the partial file {staged}. The hub file changed or the transfer was damaged: run "
                "again, or fetch it with --repo/--file to accept it without the catalog's checksum"
            )
        if filename.endswith(".gguf"):
            try:
                read_gguf(staged)
            except ModelError as exc:
                raise ModelError(f"{exc}; deleted the download") from exc
        os.replace(staged, target)
    return target


def _hub_fetch(repo: str, files: list[str], staging: Path, revision: str | None, endpoint: str | None) -> Path:
    """Download ``files`` of ``repo`` under ``staging`` with huggingface_hub; returns ``staging``."""
    try:
        import huggingface_hub
        from huggingface_hub import constants as hf_constants
        from huggingface_hub import errors as hf_errors
    except ImportError as exc:
        raise ModelNotFoundError(
            "huggingface-hub is not installed, so nothing can be downloaded; run "
            "pip install 'localmem[download]', or " + USB_HELP.format(what=repo)
        ) from exc
    if hf_constants.is_offline_mode():
        raise ModelNotFoundError(
            f"cannot download {repo}: HF_HUB_OFFLINE is set, so this machine is offline. Unset it "
            "if you have internet; otherwise " + USB_HELP.format(what=f"--repo {repo} --file ...")
        )
    where = endpoint or hf_constants.ENDPOINT
    staging.mkdir(parents=True, exist_ok=True)
    for name in files:
        try:
            huggingface_hub.hf_hub_download(
                repo_id=repo, filename=name, revision=revision, local_dir=staging, endpoint=endpoint
            )
        except hf_errors.GatedRepoError as exc:
            raise ModelNotFoundError(
                f"{repo} is gated: accept its licence on its hub page, then log in "
                "(`hf auth login` or HF_TOKEN) and run again"
            ) from exc
        except hf_errors.RepositoryNotFoundError as exc:
            raise ModelNotFoundError(f"no repository {repo} on {where}; check the OWNER/NAME") from exc
        except (hf_errors.RevisionNotFoundError, hf_errors.RemoteEntryNotFoundError) as exc:
            raise ModelNotFoundError(
                f"{repo} on {where} has no file {name!r}{f' at {revision}' if revision else ''}; "
                "check the file name on the repository's page"
            ) from exc
        except (hf_errors.LocalEntryNotFoundError, hf_errors.OfflineModeIsEnabled) as exc:
            raise ModelNotFoundError(
                f"cannot reach {where} to download {repo}/{name} (offline?); "
                + USB_HELP.format(what=f"--repo {repo} --file {name}")
            ) from exc
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                removed = [staging] if remove_path(staging) else []
                raise disk_full(f"downloading {repo}/{name}", staging.parent, removed) from exc
            raise ModelNotFoundError(f"downloading {repo}/{name} from {where} failed: {exc}") from exc
    return staging


def download_embedder(entry: CatalogEntry, folder: Path, endpoint: str | None) -> PreparedModel:
    """Fetch a hub embedder's files, check it loads and its sha256, then rename it into ``folder``.

    Raises:
        ModelNotFoundError: the hub is unreachable or lacks a file, or the disk filled up.
        ModelError: the folder does not load or fails its checksum (it is deleted).
    """
    staging = folder / STAGING / entry.name
    target = folder / entry.file
    _hub_fetch(entry.repo or "", list(entry.files), staging, None, endpoint)
    with cleanup_on_failure(f"installing {entry.name}", folder, staging):
        check_embedder(staging, load=True)
        digest = sha256_file(staging / "model.safetensors")
        require_checksum(entry, staging / "model.safetensors", digest, removable=True)
        shutil.rmtree(staging / ".cache", ignore_errors=True)  # huggingface_hub's bookkeeping
        os.replace(staging, target)
    return PreparedModel(entry.name, "embedder", target, "downloaded", digest, entry.sha256 is not None)
