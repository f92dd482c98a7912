"""The FAISS index: vectors keyed by SQLite row id, cosine similarity, derived from the store.

Vectors are L2-normalised, so inner product is cosine. Scope filtering happens inside the FAISS
search through an ``IDSelectorBatch`` of the scope's row ids, never after it, so a user with few
memories in a crowded index still gets their best matches. The index is saved atomically and,
when missing, unreadable or out of step with SQLite, rebuilt from the stored embeddings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .errors import IndexCorruptError, StorageError
from .paths import atomic_write_bytes

__all__ = ["VectorIndex"]

# Below this many candidate rows, scoring them directly beats asking FAISS with a selector.
DIRECT_SCORE_MAX = 4096


class VectorIndex:
    """An ``IndexIDMap2(IndexFlatIP)`` with atomic save/load and scoped search."""

    def __init__(self, dim: int, path: Path | None = None) -> None:
        import faiss  # lazy: keeps `import localmem` fast

        self._faiss = faiss
        self.dim = dim
        self.path = path
        self.index: Any = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    def digest(self) -> tuple[int, int]:
        """(count, sum of ids): compared with ``Store.id_digest`` to detect drift."""
        if self.ntotal == 0:
            return 0, 0
        ids = self._faiss.vector_to_array(self.index.id_map)
        return int(ids.size), int(ids.sum())

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add (or replace) vectors under the given ids."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if ids.size == 0:
            return
        self.remove(ids)
        self.index.add_with_ids(_as_matrix(vectors, self.dim), ids)

    def remove(self, ids: np.ndarray | list[int]) -> None:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if ids.size and self.ntotal:
            self.index.remove_ids(self._faiss.IDSelectorBatch(ids))

    def search(
        self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest ids with cosine scores; ``allowed`` limits the search to those ids."""
        if self.ntotal == 0 or k <= 0:
            return []
        query = _as_matrix(vector, self.dim)
        if allowed is not None:
            if allowed.size == 0:
                return []
            if allowed.size <= DIRECT_SCORE_MAX:
                direct = self._score_direct(query[0], allowed, k)
                if direct is not None:
                    return direct
            params = self._faiss.SearchParameters()
            params.sel = self._faiss.IDSelectorBatch(np.ascontiguousarray(allowed, np.int64))
            scores, ids = self.index.search(query, min(k, allowed.size), params=params)
        else:
            scores, ids = self.index.search(query, min(k, self.ntotal))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i != -1]

    def scores(self, vector: np.ndarray, ids: list[int]) -> dict[int, float]:
        """Exact cosine of ``vector`` with each of ``ids`` that the index holds."""
        query = _as_matrix(vector, self.dim)[0]
        out = {}
        for rid in ids:
            found = self._score_direct(query, np.asarray([rid], dtype=np.int64), 1)
            if found:
                out[found[0][0]] = found[0][1]
        return out

    def _score_direct(
        self, query: np.ndarray, allowed: np.ndarray, k: int
    ) -> list[tuple[int, float]] | None:
        """Score a few ids exactly; None when one of them is not in the index."""
        ids = np.ascontiguousarray(allowed, dtype=np.int64)
        try:
            matrix = self.index.reconstruct_batch(ids)
        except RuntimeError:
            return None
        scores = matrix @ query
        order = np.argsort(-scores, kind="stable")[:k]
        return [(int(ids[j]), float(scores[j])) for j in order]

    def rebuild(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Replace the whole index with these vectors."""
        self.index = self._faiss.IndexIDMap2(self._faiss.IndexFlatIP(self.dim))
        if ids.size:
            self.index.add_with_ids(_as_matrix(vectors, self.dim), ids.astype(np.int64))

    def save(self) -> None:
        """Write the index atomically (temp file + rename); no-op for an in-memory index.

        Raises:
            StorageError: the file could not be written.
        """
        if self.path is None:
            return
        try:
            data = self._faiss.serialize_index(self.index)
            atomic_write_bytes(self.path, np.asarray(data).tobytes())
        except OSError as exc:
            raise StorageError(f"cannot save the vector index to {self.path}: {exc}") from exc

    def load(self) -> bool:
        """Read the saved index; False when there is none.

        Raises:
            IndexCorruptError: the file exists but cannot be read, or has the wrong dimension.
        """
        if self.path is None or not self.path.exists():
            return False
        try:
            raw = np.frombuffer(self.path.read_bytes(), dtype=np.uint8)
            index = self._faiss.deserialize_index(raw)
        except (OSError, RuntimeError) as exc:
            raise IndexCorruptError(f"cannot read {self.path}: {exc}") from exc
        if index.d != self.dim:
            raise IndexCorruptError(
                f"{self.path} holds {index.d}-dimensional vectors, the embedder gives {self.dim}"
            )
        self.index = index
        return True


def _as_matrix(vectors: np.ndarray, dim: int) -> np.ndarray:
    matrix = np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)
    if matrix.shape[1] != dim:
        raise StorageError(f"vector of dimension {matrix.shape[1]} given to a {dim}-d index")
    return matrix
