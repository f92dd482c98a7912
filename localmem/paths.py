"""Where localmem keeps things: one home directory, overridable by ``LOCALMEM_HOME``.

Layout of a home directory::

    <home>/memory.db          SQLite, the source of truth
    <home>/index.faiss        the derived FAISS index
    <home>/models/            GGUF files and embedder folders (scripts/download_model.py)
    <home>/settings.json      user choices such as the default model (``localmem models use``)

Everything localmem writes is owner-only whatever the umask: folders 0700, files 0600
(``private_dir``, ``private_file``, ``private_database``, ``private_tree``).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from localmem.errors import ConfigError

__all__ = [
    "home_dir",
    "models_dir",
    "read_settings",
    "read_json_object",
    "write_settings",
    "atomic_write",
    "atomic_write_bytes",
    "private_dir",
    "private_file",
    "private_database",
    "private_tree",
    "IN_MEMORY",
]

IN_MEMORY = ":memory:"
SETTINGS_FILE = "settings.json"
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def home_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """The home directory: ``path``, else ``$LOCALMEM_HOME``, else the platform's user data dir."""
    if path is not None:
        return Path(path).expanduser()
    env = os.environ.get("LOCALMEM_HOME")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("localmem", appauthor=False))


def models_dir(home: Path | None = None) -> Path:
    """Folder holding downloaded or copied models; ``$LOCALMEM_MODELS`` overrides it."""
    env = os.environ.get("LOCALMEM_MODELS")
    if env:
        return Path(env).expanduser()
    return (home if home is not None else home_dir()) / "models"


def read_settings(home: Path | None = None) -> dict[str, Any]:
    """The user's saved settings (empty when none were saved).

    Raises:
        ConfigError: the settings file exists but is not a JSON object.
    """
    file = (home if home is not None else home_dir()) / SETTINGS_FILE
    if not file.exists():
        return {}
    return read_json_object(file, ConfigError, "; fix or delete the file")


def read_json_object(file: Path, error: type[Exception], hint: str = "") -> dict[str, Any]:
    """A JSON object from ``file``.

    Raises:
        error: the file cannot be read, is not JSON, or holds something else than an object.
    """
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise error(f"cannot read {file}: {exc}{hint}") from exc
    if not isinstance(data, dict):
        raise error(f"{file} must hold a JSON object{hint}")
    return data


def write_settings(settings: dict[str, Any], home: Path | None = None) -> Path:
    """Save ``settings`` (merged over what is there) atomically; returns the file."""
    home = home if home is not None else home_dir()
    merged = {**read_settings(home), **settings}
    file = home / SETTINGS_FILE
    atomic_write_bytes(file, json.dumps(merged, indent=2, sort_keys=True).encode())
    return file


def atomic_write(target: Path, write: Callable[[Path], None]) -> None:
    """Fill ``target`` through ``write(temp)``, a temp file in the same folder (owner-only),
    then fsync and rename: readers see the old file or the new one, never half of one."""
    private_dir(target.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` atomically (see ``atomic_write``)."""
    atomic_write(target, lambda tmp: tmp.write_bytes(data))


def private_dir(folder: Path) -> Path:
    """Create ``folder`` (parents too) if needed and make it owner-only (0700); returns it.

    Raises:
        OSError: it cannot be created or is not ours to change.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if folder.stat().st_mode & 0o777 != PRIVATE_DIR:
        folder.chmod(PRIVATE_DIR)
    return folder


def private_file(path: Path, *companions: str) -> Path:
    """Create ``path`` if missing and make it, and any ``path + suffix`` in ``companions``, 0600.

    Its folder is left as it is (an export may go anywhere the user chooses).

    Raises:
        OSError: it cannot be created or is not ours to change.
    """
    os.close(os.open(path, os.O_RDONLY | os.O_CREAT, PRIVATE_FILE))
    for file in (path, *(path.with_name(path.name + suffix) for suffix in companions)):
        if file.exists() and file.stat().st_mode & 0o777 != PRIVATE_FILE:
            file.chmod(PRIVATE_FILE)
    return path


def private_database(path: Path) -> Path:
    """Make an SQLite file owner-only before connecting: its folder 0700, the file 0600.

    SQLite gives the -wal, -shm and -journal files it creates the main file's mode, so they
    stay owner-only too; ones an older version left readable are tightened here.

    Raises:
        OSError: the folder or the file cannot be created or changed.
    """
    private_dir(path.parent)
    return private_file(path, *SQLITE_COMPANIONS)


def private_tree(folder: Path) -> None:
    """Make ``folder`` and everything below it owner-only (folders 0700, files 0600).

    Raises:
        OSError: something in it is not ours to change.
    """
    for root, _, files in os.walk(folder):
        os.chmod(root, PRIVATE_DIR)
        for name in files:
            os.chmod(os.path.join(root, name), PRIVATE_FILE)
