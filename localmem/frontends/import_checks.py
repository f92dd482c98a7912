"""What an import may not take on trust: checks and re-derivations over its parsed records.

``transfer`` parses each line on its own; these functions look at the records together, before
anything is written. Nothing in a file is believed that the engine can work out itself:

- a memory's ``hash`` is recomputed from its text (a forged hash would make a later add of
  another text a NONE against this one);
- a vector is kept only when the header names this home's embedder exactly and the vector is a
  finite unit vector of the right size; otherwise the text is embedded again;
- every row lies inside the header's scope, a memory cites only messages of its own scope (as an
  add links them), and history belongs to memories of the file, or, in a full export, to retired
  memories this home does not hold; ``--replace`` with a scoped file overwrites only that scope;
- ``hash``, ``actor`` and ``reason`` are bounded, printable strings.

Every refusal is an ``InvalidInputError`` naming the record; the caller stores nothing then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from localmem import validate
from localmem.engine.textutil import text_hash
from localmem.errors import InvalidInputError
from localmem.storage.migrations import SCOPE_KEYS
from localmem.storage.sql import Scope, vector_blob

if TYPE_CHECKING:
    from localmem.backends.embeddings import Embedder

__all__ = [
    "rehash", "actor", "reason", "embedder_name", "check_scopes", "rederive_vectors", "is_unit_vector", "MAX_REASON_CHARS", "UNIT_TOLERANCE",
]

Records = dict[str, list[dict[str, Any]]]  # "message" / "memory" / "history" -> parsed records

MAX_HASH_CHARS = 128  # ours is 64 hex digits; the file's value is only checked, then replaced
MAX_ACTOR_CHARS = 64
MAX_REASON_CHARS = 1_000  # the engine writes short phrases ("new value for name")
UNIT_TOLERANCE = 1e-3  # |norm - 1| of a float32 unit vector is ~1e-7


# --- single fields ----------------------------------------------------------------------------


def _short(value: Any, what: str, limit: int, prose: bool = False) -> str:
    """A string of at most ``limit`` characters; ``prose`` allows empty and tabs / line breaks."""
    if not isinstance(value, str) or (not prose and not value.strip()):
        raise InvalidInputError(f"{what} must be a{'' if prose else ' non-empty'} string")
    allowed = "\t\n" if prose else ""
    if len(value) > limit or any(ord(c) < 32 and c not in allowed for c in value):
        raise InvalidInputError(f"{what} must be at most {limit:,} printable characters")
    return validate.text(value, what) if value.strip() else value


def rehash(value: Any, text: str) -> str:
    """The hash to store for a memory with ``text``: recomputed; the file's must only look sane.

    Raises:
        InvalidInputError: the file's hash is not a short printable string.
    """
    _short(value, "hash", MAX_HASH_CHARS)
    return text_hash(text)


def actor(value: Any) -> str:
    """Who made a history event ("user", "model"): a short printable string.

    Raises:
        InvalidInputError: not one.
    """
    return _short(value, "actor", MAX_ACTOR_CHARS)


def reason(value: Any) -> str:
    """Why a history event happened: a short string, possibly empty.

    Raises:
        InvalidInputError: not a string, too long, or holding control characters.
    """
    return _short(value, "reason", MAX_REASON_CHARS, prose=True)


def embedder_name(value: Any) -> str | None:
    """The header's ``embedder`` (absent in older exports: every vector is then re-derived).

    Raises:
        InvalidInputError: present but not a short printable string.
    """
    return None if value is None else validate.scope_value(value, "header embedder")


# --- the records together ---------------------------------------------------------------------


def check_scopes(records: Records, scope: Scope) -> None:
    """Rows inside the header's scope; sources inside their memory's scope; history attached.

    A message may cite fewer scope ids than its memory (an add for ``user_id`` alone links to
    that user's memories of any run) but never a different value for one.

    Raises:
        InvalidInputError: a row outside the scope, a memory citing another scope's message, a
            source the file does not hold, or (scoped file) history of a memory not in the file.
    """
    for kind in ("message", "memory"):
        for rec in records[kind]:
            off = [k for k, v in scope.items() if rec[k] != v]
            if off:
                raise InvalidInputError(
                    f"{kind} {rec['id']} has {off[0]} {rec[off[0]]!r:.60}, outside the header's "
                    f"scope {scope}; a scoped export holds only that scope's rows"
                )
    messages = {rec["id"]: rec for rec in records["message"]}
    for mem in records["memory"]:
        missing = [m for m in mem["source_message_ids"] if m not in messages]
        if missing:
            raise InvalidInputError(
                f"memory {mem['id']} names source messages {missing} that the file does not hold"
            )
        for mid in mem["source_message_ids"]:
            crossed = [k for k in SCOPE_KEYS if messages[mid][k] not in (None, mem[k])]
            if crossed:
                raise InvalidInputError(
                    f"memory {mem['id']} cites message {mid} of another scope ({crossed[0]} "
                    f"{messages[mid][crossed[0]]!r:.60}, not {mem[crossed[0]]!r:.60}); a memory "
                    "can only come from messages of its own scope"
                )
    if scope:
        held = {rec["id"] for rec in records["memory"]}
        for row in records["history"]:
            if row["memory_id"] not in held:
                raise InvalidInputError(
                    f"history {row['id']} belongs to memory {row['memory_id']}, which the file "
                    "does not hold; a scoped export carries only the history of its memories"
                )


def is_unit_vector(blob: bytes, dims: int) -> bool:
    """``blob`` is ``dims`` finite float32 values with L2 norm 1 (within ``UNIT_TOLERANCE``)."""
    if len(blob) != 4 * dims:
        return False
    vector = np.frombuffer(blob, dtype=np.float32).astype(np.float64)
    return bool(np.isfinite(vector).all()) and abs(float(np.linalg.norm(vector)) - 1.0) <= UNIT_TOLERANCE


def rederive_vectors(records: Records, embedder: Embedder, source_embedder: str | None) -> int:
    """Replace, in place, every vector this home cannot vouch for by the embedding of its text.

    A message without a vector keeps none. Returns how many texts were embedded.

    Raises:
        ModelError: the embedder failed.
    """
    same = source_embedder is not None and source_embedder == embedder.name
    todo: list[tuple[dict[str, Any], str]] = [
        (rec, rec["content"]) for rec in records["message"] if rec["embedding"] is not None
    ] + [(rec, rec["text"]) for rec in records["memory"]]
    todo = [(rec, t) for rec, t in todo if not (same and is_unit_vector(rec["embedding"], embedder.dims))]
    if todo:
        vectors = embedder.embed_many([t for _, t in todo])
        for (rec, _), vector in zip(todo, vectors):
            rec["embedding"] = vector_blob(vector)
    return len(todo)
