"""Every error localmem raises on purpose has one root, ``LocalmemError``.

    LocalmemError
    ├── ConfigError              a config value we cannot honour (also a ValueError)
    │   ├── ModelNotFoundError   a model file or package that is not there
    │   └── HomeKeyError         an encrypted home without its key, or a wrong key
    ├── InvalidInputError        bad arguments to a public method (also a ValueError)
    │   └── RequestTooLargeError a request over the local server's size limits (HTTP 413)
    ├── MemoryNotFoundError      no memory with that id (also a KeyError)
    ├── AccessDeniedError        the local server refused what the API key tried (403)
    │   └── AuthenticationError  no API key, or one the server does not know (401)
    ├── RateLimitError           too many requests for one API key (429); see ``retry_after``
    ├── ServerError              the local server failed on a request (500); its message
    ├── ServerUnavailableError   the local server cannot be reached (not running, wrong host)
    ├── ModelError               the local model failed to load or to answer
    │   └── ModelOutputError     the model's answer did not fit the schema
    └── StorageError             SQLite or the FAISS index failed
        └── IndexCorruptError    a saved index file cannot be read (see the class)

Errors from libraries underneath are translated where they enter:
``raise StorageError(...) from exc``. Each message names the problem and the fix.

``HTTP_STATUS`` is the one table between these errors and HTTP statuses: the server answers
with ``http_status(exc)``, and ``MemClient`` rebuilds the error with ``error_from_http``.
"""

from __future__ import annotations

__all__ = [
    "LocalmemError",
    "ConfigError",
    "ModelNotFoundError",
    "HomeKeyError",
    "InvalidInputError",
    "RequestTooLargeError",
    "MemoryNotFoundError",
    "AccessDeniedError",
    "AuthenticationError",
    "RateLimitError",
    "ServerError",
    "ServerUnavailableError",
    "ModelError",
    "ModelOutputError",
    "StorageError",
    "IndexCorruptError",
    "HTTP_STATUS",
    "http_status",
    "error_from_http",
]


class LocalmemError(Exception):
    """Root of every error localmem raises on purpose."""


class ConfigError(LocalmemError, ValueError):
    """A configuration value localmem cannot honour."""


class ModelNotFoundError(ConfigError):
    """A model file, folder or package is missing."""


class HomeKeyError(ConfigError):
    """An encrypted home opened without its key or with a wrong one, or a plaintext home given
    a key; nothing was read or changed."""


class InvalidInputError(LocalmemError, ValueError):
    """A public method got an argument it cannot use; nothing was stored."""


class RequestTooLargeError(InvalidInputError):
    """A request to the local server over its body or per-add size limit; nothing was stored."""


class MemoryNotFoundError(LocalmemError, KeyError):
    """No memory has the given id."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class AccessDeniedError(LocalmemError):
    """The local server refused what the API key tried to do."""


class AuthenticationError(AccessDeniedError):
    """The local server got no API key, or one it does not know (wrong or revoked)."""


class RateLimitError(LocalmemError):
    """The API key sent more requests than the server allows; ``retry_after`` is in seconds."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServerError(LocalmemError):
    """The local server failed while handling the request; the message is the server's."""


class ServerUnavailableError(LocalmemError):
    """The local server cannot be reached: not running, a wrong host, or the connection dropped."""


class ModelError(LocalmemError):
    """The local model failed to load or to answer."""


class ModelOutputError(ModelError):
    """The model's answer could not be parsed into the expected schema."""


class StorageError(LocalmemError):
    """SQLite or the FAISS index failed."""


class IndexCorruptError(StorageError):
    """A saved FAISS index file cannot be read (``FaissIndex.load``).

    ``Memory`` catches it and rebuilds the index from SQLite, the source of truth, so it reaches
    a user only who loads a ``localmem.storage`` index directly.
    """


# Error class -> HTTP status. Looked up along the error's MRO, so a subclass not listed takes its
# parent's status. A ConfigError during a request is the server's own setup (a missing model,
# say): the caller cannot fix it, so it is 503 like the backends, not 400.
HTTP_STATUS: dict[type[LocalmemError], int] = {
    InvalidInputError: 400,
    AuthenticationError: 401,
    AccessDeniedError: 403,
    MemoryNotFoundError: 404,
    RequestTooLargeError: 413,
    RateLimitError: 429,
    ServerError: 500,
    StorageError: 503,
    ModelError: 503,
    ConfigError: 503,
}


def http_status(exc: LocalmemError) -> int:
    """The HTTP status the server answers ``exc`` with (500 for an unlisted LocalmemError)."""
    for cls in type(exc).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]  # type: ignore[index]
    return 500


def error_from_http(
    status: int, kind: object, message: str, retry_after: float | None = None
) -> LocalmemError:
    """The error a server's answer describes: the class named ``kind`` when it is one of ours,
    else the first class the table gives ``status``, else InvalidInputError (4xx) or ServerError.
    """
    cls = globals().get(kind) if isinstance(kind, str) and kind in __all__ else None
    if not (isinstance(cls, type) and issubclass(cls, LocalmemError)):
        by_status = (c for c, s in HTTP_STATUS.items() if s == status)
        cls = next(by_status, InvalidInputError if 400 <= status < 500 else ServerError)
    if issubclass(cls, RateLimitError):
        return cls(message, retry_after)
    return cls(message)
