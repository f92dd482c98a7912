"""One table between LocalmemError classes and HTTP statuses, read both ways."""

import inspect

import pytest

from localmem import errors
from localmem.errors import (
    HTTP_STATUS,
    AccessDeniedError,
    AuthenticationError,
    ConfigError,
    IndexCorruptError,
    InvalidInputError,
    LocalmemError,
    MemoryNotFoundError,
    ModelNotFoundError,
    ModelOutputError,
    RateLimitError,
    RequestTooLargeError,
    ServerError,
    ServerUnavailableError,
    StorageError,
    error_from_http,
    http_status,
)

ERROR_CLASSES = [getattr(errors, n) for n in errors.__all__
                 if inspect.isclass(getattr(errors, n)) and issubclass(getattr(errors, n), Exception)]


@pytest.mark.parametrize("cls,status", [
    (InvalidInputError, 400), (RequestTooLargeError, 413), (AuthenticationError, 401),
    (AccessDeniedError, 403), (MemoryNotFoundError, 404), (RateLimitError, 429),
    (ServerError, 500), (StorageError, 503), (IndexCorruptError, 503), (ModelOutputError, 503),
    (ConfigError, 503), (ModelNotFoundError, 503), (LocalmemError, 500),
])
def test_each_error_has_its_status_and_a_subclass_inherits_it(cls, status):
    assert http_status(cls("x")) == status


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda c: c.__name__)
def test_every_exported_error_comes_back_as_itself(cls):
    exc = cls("the message")
    back = error_from_http(http_status(exc), cls.__name__, str(exc))
    assert type(back) is cls and str(back) == "the message"


@pytest.mark.parametrize("status,cls", [
    (400, InvalidInputError), (401, AuthenticationError), (403, AccessDeniedError),
    (404, MemoryNotFoundError), (413, RequestTooLargeError), (429, RateLimitError),
    (418, InvalidInputError), (500, ServerError), (502, ServerError), (503, StorageError),
])
def test_an_unknown_type_falls_back_to_the_status(status, cls):
    for kind in (None, "NoSuchError", "HTTP_STATUS", "http_status", "Exception"):
        assert type(error_from_http(status, kind, "m")) is cls


def test_a_rate_limit_carries_its_retry_after():
    back = error_from_http(429, "RateLimitError", "slow down", retry_after=7.0)
    assert isinstance(back, RateLimitError) and back.retry_after == 7.0


def test_the_tree_in_the_docstring_is_the_real_tree():
    drawn_parent, stack = {}, [(-1, "LocalmemError")]  # (indent, name) of the open branches
    for line in errors.__doc__.splitlines():
        if "── " not in line:
            continue
        indent, name = len(line.split("── ")[0]), line.split("── ")[1].split()[0]
        while stack[-1][0] >= indent:
            stack.pop()
        drawn_parent[name] = stack[-1][1]
        stack.append((indent, name))
    real_parent = {c.__name__: next(b for b in c.__bases__ if issubclass(b, LocalmemError)).__name__
                   for c in ERROR_CLASSES if c is not LocalmemError}
    assert drawn_parent == real_parent
    assert set(HTTP_STATUS) <= set(ERROR_CLASSES)
    assert ServerUnavailableError in ERROR_CLASSES
