"""Encrypt a plaintext home, or re-key an encrypted one, in place and crash-safe.

The new home is built beside the old one, in ``<home>/.crypt-stage/``: each database copied by
``sqlcipher_export`` under the new key, its ``crypt.json``, all fsynced. Writing
``<home>/.crypt-commit`` (atomically) is the one commit point. After it the staged files are
moved over the old ones (old -wal/-shm first: they belong to the old file), the saved indexes
are deleted (the next open rebuilds them sealed with the new key), and the stage goes.

Every open of a home runs ``recover`` first: with the commit marker it finishes the moves (each
step can be repeated), without it it drops a half-built stage. So a process killed anywhere
leaves the old home or the new one, and either opens (with the old key, or the new one).
Stop other processes using the home first: they keep the old files open.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from localmem.crypto import HomeKey
from localmem.errors import LocalmemError, StorageError
from localmem.paths import SQLITE_COMPANIONS, atomic_write_bytes, private_dir, private_file
from localmem.storage.crypt_home import (
    CRYPT_FILE, DATABASES, DB_ERRORS, connect, write_state,
)

__all__ = ["convert", "recover", "STAGE", "COMMIT", "INDEX_FILES"]

STAGE = ".crypt-stage"
COMMIT = ".crypt-commit"
INDEX_FILES = ("facts.faiss", "messages.faiss", "index.json")

Step = Callable[[str], None]


def convert(home: Path, old: HomeKey | None, new: HomeKey, step: Step | None = None) -> None:
    """Make ``home`` open with ``new`` only (from plaintext, ``old=None``, or from ``old``).

    ``step`` is called with a name after each durable step (tests stop the process there).

    Raises:
        StorageError: a database could not be copied; the home is unchanged.
    """
    step = step or (lambda _name: None)
    recover(home)
    stage = home / STAGE
    shutil.rmtree(stage, ignore_errors=True)
    private_dir(stage)
    for name in DATABASES:
        if (home / name).exists():
            _copy(home / name, old, stage / name, new)
            step(f"staged {name}")
    write_state(stage, new)
    _fsync_dir(stage)
    step("staged")
    atomic_write_bytes(home / COMMIT, b"commit\n")
    _fsync_dir(home)
    step("committed")
    _finish(home, step)


def recover(home: Path) -> None:
    """Finish a committed conversion, or drop one that did not commit (see the module)."""
    if (home / COMMIT).exists():
        _finish(home, lambda _name: None)
    elif (home / STAGE).exists():
        shutil.rmtree(home / STAGE, ignore_errors=True)


def _finish(home: Path, step: Step) -> None:
    stage = home / STAGE
    for name in (*DATABASES, CRYPT_FILE):
        if (stage / name).exists():
            for suffix in SQLITE_COMPANIONS:  # the old file's; the new one has none yet
                (home / (name + suffix)).unlink(missing_ok=True)
            os.replace(stage / name, home / name)
            _fsync_dir(home)
            step(f"moved {name}")
    for name in INDEX_FILES:
        (home / name).unlink(missing_ok=True)
    shutil.rmtree(stage, ignore_errors=True)
    (home / COMMIT).unlink(missing_ok=True)
    _fsync_dir(home)
    step("done")


def _copy(source: Path, old: HomeKey | None, target: Path, new: HomeKey) -> None:
    """``target``: a copy of ``source`` (plaintext, or under ``old``) under ``new``, fsynced."""
    try:
        conn = connect(source, old, wal=False, cipher=True)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            private_file(target)
            conn.execute(
                f"ATTACH DATABASE ? AS fresh KEY {new.sqlcipher_key(source.name)}", [str(target)]
            )
            conn.execute("SELECT sqlcipher_export('fresh')")
            conn.execute("DETACH DATABASE fresh")
        finally:
            conn.close()
        with target.open("rb+") as handle:
            os.fsync(handle.fileno())
    except LocalmemError:
        raise
    except (*DB_ERRORS, OSError) as exc:
        raise StorageError(f"cannot copy {source} into the new home: {exc}; nothing was "
                           "changed") from exc


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
