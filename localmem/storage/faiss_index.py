"""The FAISS index: vectors keyed by SQLite row id, cosine similarity, derived from the store.

Vectors are L2-normalised, so inner product is cosine. The index type follows the size: up to
``exact_max`` vectors an exact ``IndexFlatIP``; above it an ``IndexIVFFlat`` (inner product,
about sqrt(n) lists), trained on the vectors it holds and retrained when they grow fourfold. A
shrink below half the threshold goes back to exact, so a size near the line does not flap.

Scope filtering happens inside the FAISS search through an id selector (a bitmap of the scope's
row ids), never after it; an IVF search probes more lists the smaller the scope's share of the
index. A scope of at most ``SMALL_SCOPE`` rows is scored exactly from its own vectors instead:
reading them back costs less than a selector scan of every list (0.02 ms against 0.26 ms for
100 of 100k rows). The index is saved atomically and, when missing,
unreadable or out of step with SQLite, rebuilt from the stored embeddings.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from localmem.crypto import HomeKey, SealError, seal, unseal
from localmem.errors import IndexCorruptError, StorageError
from localmem.paths import atomic_write, atomic_write_bytes

__all__ = ["VectorIndex", "EXACT_MAX", "NPROBE", "SMALL_SCOPE", "EXACT", "IVF"]

EXACT = "exact"
IVF = "ivf"
EXACT_MAX = 20_000  # an exact scan of more 384-d vectors than this costs over ~2 ms a query
NPROBE = 24  # lists probed for an unscoped IVF query: recall@10 >= 0.95 on sentence embeddings
RETRAIN_GROWTH = 4  # an IVF index is retrained when it holds this many times its training size
POINTS_PER_LIST = 39  # faiss's minimum training points per list
SMALL_SCOPE = 1024  # scopes up to this many rows: exact scores from their vectors (see above)
BITMAP_MAX_ID = 1 << 28  # larger row ids (only from imports) use a hash-set selector instead


class VectorIndex:
    """Row-id-keyed cosine index whose type (exact or IVF) follows its size."""

    def __init__(
        self, dim: int, path: Path | None = None, *, exact_max: int = EXACT_MAX,
        nprobe: int = NPROBE, key: HomeKey | None = None,
    ) -> None:
        import faiss  # lazy: keeps `import localmem` fast

        self._faiss = faiss
        self.dim = dim
        self.path = path
        self.key = key  # an encrypted home: the file is sealed (AES-GCM, the "index" subkey)
        self.exact_max = max(1, int(exact_max))
        self.nprobe = max(1, int(nprobe))
        self.index: Any = self._new_exact()
        self._ids = np.zeros(0, dtype=np.int64)  # sorted ids held, for membership and digest
        self.trained_for = 0  # vectors the IVF lists were trained for
        self.unsaved = False

    # -- state --

    @property
    def ntotal(self) -> int:
        return int(self._ids.size)

    @property
    def kind(self) -> str:
        """"exact" or "ivf"."""
        return IVF if isinstance(self.index, self._faiss.IndexIVF) else EXACT

    def digest(self) -> tuple[int, int]:
        """(count, sum of ids): compared with ``Store.id_digest`` to detect drift."""
        return int(self._ids.size), int(self._ids.sum())

    def contains(self, ids: np.ndarray) -> np.ndarray:
        """A boolean mask: which of ``ids`` the index holds."""
        ids = np.asarray(ids, dtype=np.int64)
        if self._ids.size == 0 or ids.size == 0:
            return np.zeros(ids.shape, dtype=bool)
        pos = np.searchsorted(self._ids, ids)
        pos[pos == self._ids.size] = 0
        return self._ids[pos] == ids

    # -- writes --

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add (or replace) vectors under the given ids; may retrain or change the index type."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if ids.size == 0:
            return
        matrix = _as_matrix(vectors, self.dim)
        if np.unique(ids).size != ids.size:
            raise StorageError("the same id was given twice in one add to the vector index")
        self.remove(ids, refit=False)
        self.index.add_with_ids(matrix, ids)
        self._ids = np.union1d(self._ids, ids) if self._ids.size else np.sort(ids)
        self.unsaved = True
        self._refit()

    def remove(self, ids: np.ndarray | list[int], *, refit: bool = True) -> None:
        """Drop these ids (ids the index lacks are ignored)."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        ids = np.unique(ids[self.contains(ids)])
        if ids.size == 0:
            return
        if self.kind == IVF:  # the hashtable direct map removes through an id array only
            self.index.remove_ids(self._faiss.IDSelectorArray(ids.size, self._faiss.swig_ptr(ids)))
        else:
            self.index.remove_ids(self._faiss.IDSelectorBatch(ids))
        self._ids = np.setdiff1d(self._ids, ids, assume_unique=True)
        self.unsaved = True
        if refit:
            self._refit()

    def rebuild(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Replace the whole index with these vectors (exact or IVF by their number)."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        matrix = _as_matrix(vectors, self.dim) if ids.size else np.zeros((0, self.dim), np.float32)
        if ids.size > self.exact_max:
            self.index = self._new_ivf(matrix)
        else:
            self.index = self._new_exact()
        if ids.size:
            self.index.add_with_ids(matrix, ids)
        self._ids = np.sort(ids)
        self.unsaved = True

    def _refit(self) -> None:
        """Switch type or retrain when the size has crossed a line (see the module docstring)."""
        n = self.ntotal
        if self.kind == EXACT:
            stale = n > self.exact_max
        else:
            stale = n < self.exact_max // 2 or n > RETRAIN_GROWTH * self.trained_for
        if stale:
            self.rebuild(*self._export())

    def _held_ids(self) -> np.ndarray:
        """Every id FAISS holds, in storage order."""
        faiss = self._faiss
        if self.index.ntotal == 0:
            return np.zeros(0, np.int64)
        if self.kind == EXACT:
            return faiss.vector_to_array(self.index.id_map).astype(np.int64)
        lists = self.index.invlists
        return np.concatenate([
            faiss.rev_swig_ptr(lists.get_ids(n), lists.list_size(n)).copy()
            for n in range(lists.nlist) if lists.list_size(n)
        ])

    def _export(self) -> tuple[np.ndarray, np.ndarray]:
        """Every (id, vector) held, read back out of FAISS (same order as ``_held_ids``)."""
        faiss, ids = self._faiss, self._held_ids()
        if ids.size == 0:
            return ids, np.zeros((0, self.dim), np.float32)
        if self.kind == EXACT:
            codes = faiss.vector_to_array(faiss.downcast_index(self.index.index).codes)
            return ids, codes.view(np.float32).reshape(-1, self.dim)
        lists = self.index.invlists
        parts = []
        for number in range(lists.nlist):
            size = lists.list_size(number)
            if size:
                codes = faiss.rev_swig_ptr(lists.get_codes(number), size * lists.code_size)
                parts.append(codes.view(np.float32).reshape(size, self.dim).copy())
        return ids, np.vstack(parts)

    def _new_exact(self) -> Any:
        return self._faiss.IndexIDMap2(self._faiss.IndexFlatIP(self.dim))

    def _new_ivf(self, matrix: np.ndarray) -> Any:
        """An IVF index trained on ``matrix``, with about sqrt(n) lists."""
        faiss, n = self._faiss, matrix.shape[0]
        nlist = max(1, min(int(math.sqrt(n)), n // POINTS_PER_LIST))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(self.dim), self.dim, nlist,
                                   faiss.METRIC_INNER_PRODUCT)
        index.cp.niter = 10
        index.cp.max_points_per_centroid = 64  # sample for training: enough for good lists
        index.cp.seed = 1234
        index.train(matrix)
        index.set_direct_map_type(faiss.DirectMap.Hashtable)  # arbitrary ids; remove; reconstruct
        self.trained_for = n
        return index

    # -- reads --

    def search(
        self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest ids with cosine scores; ``allowed`` limits the search to those ids."""
        if self.ntotal == 0 or k <= 0:
            return []
        query = _as_matrix(vector, self.dim)
        faiss = self._faiss
        selector, keep, share = None, None, 1.0
        if allowed is not None:  # ids it names that the index lacks are harmless to a selector
            allowed = np.asarray(allowed, dtype=np.int64)
            if allowed.size == 0:
                return []
            if allowed.size <= SMALL_SCOPE:
                return self._nearest(query[0], allowed, k)
            if not (allowed.size == self.ntotal and np.array_equal(allowed, self._ids)):
                selector, keep = _selector(faiss, allowed)
                share = min(1.0, allowed.size / self.ntotal)
            k = min(k, int(allowed.size))
        k = min(k, self.ntotal)
        if self.kind == IVF:
            nprobe = min(self.index.nlist, math.ceil(self.nprobe / share))
            params = faiss.SearchParametersIVF(nprobe=nprobe)
        else:
            params = faiss.SearchParameters()
        if selector is not None:
            params.sel = selector
        with _one_thread(faiss):
            scores, ids = self.index.search(query, k, params=params)
        del keep
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i != -1]

    def scores(self, vector: np.ndarray, ids: list[int]) -> dict[int, float]:
        """Exact cosine of ``vector`` with each of ``ids`` that the index holds."""
        wanted, sims = self._cosines(_as_matrix(vector, self.dim)[0], ids)
        return {int(i): float(s) for i, s in zip(wanted, sims)}

    def _cosines(
        self, query: np.ndarray, ids: np.ndarray | list[int]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(the ids among ``ids`` the index holds, ascending; their cosines with ``query``)."""
        wanted = np.unique(np.asarray(ids, dtype=np.int64))
        wanted = wanted[self.contains(wanted)]
        if wanted.size == 0:
            return wanted, np.zeros(0, np.float32)
        faiss = self._faiss
        # One thread, and FAISS's own product rather than numpy's: on a loaded 2-core machine a
        # multi-threaded BLAS product waits for its sleeping worker (2,000 rows: 24 ms, not 0.06).
        with _one_thread(faiss):
            matrix = self.index.reconstruct_batch(wanted)
        query = np.ascontiguousarray(query, dtype=np.float32)
        sims = np.empty(wanted.size, dtype=np.float32)
        faiss.fvec_inner_products_ny(
            faiss.swig_ptr(sims), faiss.swig_ptr(query), faiss.swig_ptr(matrix), self.dim,
            wanted.size,
        )
        return wanted, sims

    def _nearest(self, query: np.ndarray, allowed: np.ndarray, k: int) -> list[tuple[int, float]]:
        """The ``k`` best of ``allowed`` by exact cosine, best first (ties: lower id first)."""
        held, sims = self._cosines(query, allowed)
        order = np.lexsort((held, -sims))[:k]
        return [(int(held[i]), float(sims[i])) for i in order]

    # -- persistence --

    def save(self) -> None:
        """Write the index atomically (temp file + rename); no-op for an in-memory index.

        Raises:
            StorageError: the file could not be written.
        """
        if self.path is None:
            return
        try:
            if self.key is not None:
                data = self._faiss.serialize_index(self.index)  # sealed as is: no extra copy
                atomic_write_bytes(self.path, seal_file(self.key, data, self.path.name))
                del data
            else:  # faiss writes the temp file itself: no second copy of the index in memory
                atomic_write(self.path, lambda tmp: self._faiss.write_index(self.index, str(tmp)))
        except (OSError, RuntimeError) as exc:
            raise StorageError(f"cannot save the vector index to {self.path}: {exc}") from exc
        self.unsaved = False

    def load(self) -> bool:
        """Read the saved index; False when there is none.

        An index whose type no longer fits its size (saved by another threshold) is refitted
        and marked unsaved.

        Raises:
            IndexCorruptError: the file exists but cannot be read, or has the wrong dimension.
        """
        if self.path is None or not self.path.exists():
            return False
        faiss = self._faiss
        try:
            if self.key is not None:
                data = unseal_file(self.key, self.path.read_bytes(), self.path.name)
                index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
            else:
                index = faiss.read_index(str(self.path))
        except (OSError, RuntimeError, SealError) as exc:
            raise IndexCorruptError(f"cannot read {self.path}: {exc}") from exc
        if index.d != self.dim:
            raise IndexCorruptError(
                f"{self.path} holds {index.d}-dimensional vectors, the embedder gives {self.dim}"
            )
        if isinstance(index, faiss.IndexIVF):
            if index.direct_map.type != faiss.DirectMap.Hashtable:
                raise IndexCorruptError(f"{self.path} is an IVF index without an id map")
            self.trained_for = index.nlist * index.nlist
        elif not isinstance(index, faiss.IndexIDMap2):
            raise IndexCorruptError(f"{self.path} holds an index of an unknown type")
        self.index = index
        self._ids = np.sort(self._held_ids())
        self.unsaved = False
        self._refit()
        return True


def seal_file(key: HomeKey, data: bytes | np.ndarray, name: str) -> bytes:
    """``data`` sealed with the home's "index" subkey, bound to the file's name."""
    return seal(key.subkey("index"), data, name.encode())


def unseal_file(key: HomeKey, blob: bytes, name: str) -> bytes:
    """What ``seal_file`` sealed.

    Raises:
        SealError: another key, another file's content, or changed or cut short.
    """
    return unseal(key.subkey("index"), blob, name.encode())


def _selector(faiss: Any, allowed: np.ndarray) -> tuple[Any, np.ndarray]:
    """An id selector for ``allowed`` and the array it reads (keep it alive while searching)."""
    top = int(allowed.max())
    if top < BITMAP_MAX_ID:
        mask = np.zeros(top + 1, dtype=bool)
        mask[allowed] = True
        bitmap = np.packbits(mask, bitorder="little")
        return faiss.IDSelectorBitmap(bitmap.size, faiss.swig_ptr(bitmap)), bitmap
    return faiss.IDSelectorBatch(allowed), allowed


@contextmanager
def _one_thread(faiss: Any) -> Iterator[None]:
    """One query runs on one thread: OpenMP's fan-out costs more than it saves (measured)."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def _as_matrix(vectors: np.ndarray, dim: int) -> np.ndarray:
    matrix = np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)
    if matrix.ndim != 2 or matrix.shape[1] != dim:
        raise StorageError(f"vector of dimension {matrix.shape[-1]} given to a {dim}-d index")
    return matrix
