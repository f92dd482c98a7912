"""The PostgreSQL connections under ``PostgresStorage``: one pool, transactions, errors.

psycopg 3 and psycopg_pool are imported here, lazily, so SQLite users never need them. Reads
outside a write take any pooled connection (autocommit: one snapshot per statement); a write
holds one connection in a transaction for the thread that opened it, so the statements inside
(and nested writes) join it. Every psycopg error becomes a ``StorageError`` whose message names
the URL with its password masked.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from localmem.errors import ConfigError, StorageError

__all__ = ["Database", "redact", "POOL_MAX"]

POOL_MAX = 10  # connections per process: a node's threads rarely hold more at once
CONNECT_TIMEOUT = 10  # seconds: a server that is down fails fast, not after a minute
_PASSWORD = (re.compile(r"(://[^/:@?#]*:)[^@/?#]*(@)"), re.compile(r"(password\s*=\s*)[^&\s]*()"))


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***`` (for messages and logs)."""
    for pattern in _PASSWORD:
        url = pattern.sub(r"\1***\2", url)
    return url


def _psycopg() -> tuple[Any, Any]:
    """Raises: ConfigError: psycopg or psycopg_pool is not installed."""
    try:
        import psycopg
        import psycopg_pool
    except ImportError as exc:
        raise ConfigError(
            f"the postgres store needs psycopg 3 and psycopg_pool ({exc.name} is missing); "
            'install them with `pip install "localmem[postgres]"`'
        ) from None
    return psycopg, psycopg_pool


class Database:
    """A pool of connections to one PostgreSQL database (``url``)."""

    def __init__(self, url: str, configure: Callable[[Any], None] | None = None) -> None:
        self.url = url
        self.shown = redact(url)
        self._psycopg, pool = _psycopg()
        self._local = threading.local()
        self._configure = configure
        self.pool = pool.ConnectionPool(
            url, min_size=1, max_size=POOL_MAX, open=False, timeout=CONNECT_TIMEOUT,
            # Planner options are SET per connection (``configure``); auto-prepared statements
            # would keep plans made before them, so nothing is prepared.
            kwargs={"autocommit": True, "prepare_threshold": None,
                    "connect_timeout": CONNECT_TIMEOUT},
            configure=configure, reconnect_timeout=CONNECT_TIMEOUT,
        )

    def open(self) -> None:
        """Raises: StorageError: the server cannot be reached (the message says what to do)."""
        try:
            self.pool.open(wait=True, timeout=CONNECT_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - PoolTimeout hides the connection's own error
            self.pool.close()
            raise self._unreachable(exc) from None

    def connect(self) -> Any:
        """One connection outside the pool (migrations, LISTEN).

        Raises:
            StorageError: the server cannot be reached.
        """
        try:
            return self._psycopg.connect(self.url, autocommit=True, prepare_threshold=None,
                                         connect_timeout=CONNECT_TIMEOUT)
        except self._psycopg.Error as exc:
            raise self._unreachable(exc) from None

    def _unreachable(self, exc: BaseException) -> StorageError:
        return StorageError(
            f"cannot connect to PostgreSQL at {self.shown}: {self._clean(exc)}; start the "
            "server, or fix vector_store.url (postgresql://user:password@host:port/database)"
        )

    def _clean(self, exc: BaseException) -> str:
        """The error's text, first line, with the URL's password masked wherever it appears."""
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        password = self._password()
        return text.replace(password, "***") if password else text

    def _password(self) -> str | None:
        try:
            return self._psycopg.conninfo.conninfo_to_dict(self.url).get("password") or None
        except self._psycopg.Error:
            return None

    def close(self) -> None:
        self.pool.close()

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Turn psycopg's (and the pool's) errors into ``StorageError``."""
        try:
            yield
        except self._psycopg.Error as exc:
            raise StorageError(f"PostgreSQL error at {self.shown}: {self._clean(exc)}") from None
        except Exception as exc:
            if type(exc).__module__.startswith("psycopg_pool"):  # PoolTimeout: server gone
                raise self._unreachable(exc) from None
            raise

    @property
    def writing(self) -> bool:
        """Whether this thread has a write transaction open."""
        return getattr(self._local, "conn", None) is not None

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """This thread's write transaction (nested: the open one); commits at the end.

        Raises:
            StorageError: the database failed; the transaction was rolled back.
        """
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            yield conn
            return
        with self.guard(), self.pool.connection() as conn, conn.transaction():
            self._local.conn, self._local.held = conn, set()
            try:
                yield conn
            finally:
                self._local.conn = None

    def lock(self, key: str) -> None:
        """Hold the advisory lock ``key`` until this thread's write commits (taken once per write).

        Raises:
            StorageError: the database failed.
        """
        if self.writing and key not in self._local.held:
            self.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])
            self._local.held.add(key)

    @contextmanager
    def cursor(self) -> Iterator[Any]:
        """A cursor on this thread's write connection, else on a pooled one (autocommit)."""
        conn = getattr(self._local, "conn", None)
        with self.guard():
            if conn is not None:
                with conn.cursor() as cur:
                    yield cur
                return
            with self.pool.connection() as conn, conn.cursor() as cur:
                yield cur

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        """Run one statement; returns its rows (none for a statement without).

        Raises:
            StorageError: the database failed.
        """
        with self.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self.execute(sql, params)
        return rows[0][0] if rows else None

    def returning(self, sql: str, rows: Sequence[Sequence[Any]]) -> list[int]:
        """Run ``INSERT ... RETURNING id`` once per row (pipelined); returns the ids in order."""
        if not rows:
            return []
        with self.cursor() as cur:
            cur.executemany(sql, rows, returning=True)
            ids = []
            while True:
                ids.append(int(cur.fetchone()[0]))
                if not cur.nextset():
                    return ids

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            with self.cursor() as cur:
                cur.executemany(sql, rows)
