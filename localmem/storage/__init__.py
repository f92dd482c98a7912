"""Storage (internal): the source of truth and the search over it, behind one seam (``base``).

The only package that touches SQLite, FAISS or PostgreSQL (``postgres``). ``open_storage`` is the
one place a backend is chosen, by ``VectorStoreConfig.provider``.
"""

from __future__ import annotations

from pathlib import Path

from localmem.config import VectorStoreConfig
from localmem.crypto import Secret
from localmem.errors import ConfigError
from localmem.storage.base import Storage

__all__ = ["open_storage", "Storage"]


def open_storage(
    config: VectorStoreConfig, home: Path | None, embedder: str, dims: int,
    key: Secret | str | bytes | None = None,
) -> Storage:
    """The storage backend ``config.provider`` names, for ``home`` (None: in memory; ignored for
    "postgres", which opens ``config.url``) and vectors of ``dims`` dimensions from the embedder
    named ``embedder``; ``key`` opens an encrypted home (else the environment's, see
    ``crypt_home``).

    Raises:
        ConfigError: unknown provider, or the store's vectors come from another embedder.
        StorageError: the database cannot be opened.
        HomeKeyError: an encrypted home without its key, or a wrong one.
    """
    if config.provider == "faiss":
        from localmem.storage.sqlite_backend import open_sqlite_faiss

        return open_sqlite_faiss(home, embedder, dims, key)
    if config.provider == "postgres" and config.url:
        from localmem.storage.postgres import open_postgres

        return open_postgres(config.url, embedder, dims)
    raise ConfigError(
        f"unknown vector_store provider {config.provider!r}; use 'faiss', or 'postgres' with a url"
    )
