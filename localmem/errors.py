"""Every error localmem raises on purpose has one root, ``LocalmemError``.

    LocalmemError
    ├── ConfigError            a config value we cannot honour (also a ValueError)
    │   └── ModelNotFoundError a model file or package that is not there
    ├── InvalidInputError      bad arguments to a public method (also a ValueError)
    ├── MemoryNotFoundError    no memory with that id (also a KeyError)
    ├── AccessDeniedError      the local server refused the API key (401) or the action (403)
    ├── ModelError             the local model failed to load or to answer
    │   └── ModelOutputError   the model's answer did not fit the schema
    └── StorageError           SQLite or the FAISS index failed
        └── IndexCorruptError  the saved index cannot be read (it is rebuilt from SQLite)

Errors from libraries underneath are translated where they enter:
``raise StorageError(...) from exc``. Each message names the problem and the fix.
"""

from __future__ import annotations

__all__ = [
    "LocalmemError",
    "ConfigError",
    "ModelNotFoundError",
    "InvalidInputError",
    "MemoryNotFoundError",
    "AccessDeniedError",
    "ModelError",
    "ModelOutputError",
    "StorageError",
    "IndexCorruptError",
]


class LocalmemError(Exception):
    """Root of every error localmem raises on purpose."""


class ConfigError(LocalmemError, ValueError):
    """A configuration value localmem cannot honour."""


class ModelNotFoundError(ConfigError):
    """A model file, folder or package is missing."""


class InvalidInputError(LocalmemError, ValueError):
    """A public method got an argument it cannot use; nothing was stored."""


class MemoryNotFoundError(LocalmemError, KeyError):
    """No memory has the given id."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class AccessDeniedError(LocalmemError):
    """The local server refused the API key, or what the key tried to do."""


class ModelError(LocalmemError):
    """The local model failed to load or to answer."""


class ModelOutputError(ModelError):
    """The model's answer could not be parsed into the expected schema."""


class StorageError(LocalmemError):
    """SQLite or the FAISS index failed."""


class IndexCorruptError(StorageError):
    """The saved FAISS index cannot be read; it is rebuilt from SQLite."""
