"""The embedder seam: ``embed_batch(texts) -> ndarray``; sentence-transformers and a hasher.

Vectors come out L2-normalised float32, so inner product is cosine similarity.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from localmem.config import EmbedderConfig
from localmem.errors import ModelError

__all__ = ["Embedder", "SentenceTransformerEmbedder", "HashEmbedder", "make_embedder"]


class Embedder(ABC):
    """Turns texts into unit vectors. Subclasses implement ``embed_batch``."""

    dims: int
    batch_size: int = 64  # texts per ``embed_batch`` call in ``embed_many``

    @property
    def name(self) -> str:
        """Identifies the vector space: vectors from embedders with different names don't mix."""
        return f"{type(self).__name__}-{self.dims}"

    @abstractmethod
    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text, float32, L2-normalised.

        Raises:
            ModelError: the model failed.
        """

    def embed(self, text: str) -> np.ndarray:
        """One text's vector."""
        memo = self._memo()
        if memo is not None and text in memo:
            return memo[text].copy()
        return self.embed_many([text])[0]

    def embed_query(self, text: str) -> np.ndarray:
        """A search query's vector, in the space of the stored ones; here ``embed``'s.

        An embedder may answer faster with a close approximation (``OnnxEmbedder``: its int8
        model), since a query vector is only compared, never stored.
        """
        return self.embed(text)

    def embed_many(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Many texts, ``batch_size`` (default ``self.batch_size``) per ``embed_batch`` call.

        Each distinct text is embedded once (inside ``remembering``, once for the whole block);
        texts are grouped longest first, so each batch pads little (the gain grows with the
        number of texts); rows come back in the order of ``texts``.

        Raises:
            ModelError: the model failed.
        """
        memo = self._memo()
        known: dict[str, np.ndarray] = {} if memo is None else memo
        new = [t for t in dict.fromkeys(texts) if t not in known]
        size = batch_size or self.batch_size
        order = sorted(range(len(new)), key=lambda i: -len(new[i]))
        for start in range(0, len(new), size):
            rows = order[start : start + size]
            for i, vector in zip(rows, self.embed_batch([new[i] for i in rows])):
                known[new[i]] = vector
        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = known[text]
        return out

    @contextmanager
    def remembering(self) -> Iterator[None]:
        """Within the block, on this thread, a text embedded once is not embedded again: one
        add embeds a fact for its attribute, its worth vote, its storage and its candidates'
        checks. The vectors are the same: MiniLM's, through ONNX Runtime, are bit-identical
        whatever a text is batched with (checked over 1,061 texts in varied batches)."""
        local = self.__dict__.setdefault("_memos", threading.local())
        if getattr(local, "memo", None) is not None:  # nested: the outer block's memo
            yield
            return
        local.memo = {}
        try:
            yield
        finally:
            local.memo = None

    def _memo(self) -> dict[str, np.ndarray] | None:
        local = self.__dict__.get("_memos")
        return None if local is None else getattr(local, "memo", None)


def _unit(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


class SentenceTransformerEmbedder(Embedder):
    """A sentence-transformers model loaded from a local folder, offline."""

    def __init__(self, model_path: Path, batch_size: int = 64) -> None:
        self.model_path = Path(model_path)
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()
        self.dims = self._read_dims()

    @property
    def name(self) -> str:
        return f"{self.model_path.name}-{self.dims}"

    def _read_dims(self) -> int:
        import json

        for name in ("config.json",):
            cfg = self.model_path / name
            if cfg.exists():
                data = json.loads(cfg.read_text())
                for key in ("hidden_size", "d_model", "dim"):
                    if key in data:
                        return int(data[key])
        return int(self.model.get_sentence_embedding_dimension())

    @property
    def model(self) -> Any:
        """The loaded ``SentenceTransformer``.

        Raises:
            ModelError: sentence-transformers is missing or the folder does not load.
        """
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            try:
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()
                hf_logging.set_verbosity_error()
            except ImportError as exc:
                raise ModelError(
                    "sentence-transformers is not installed; run: pip install 'localmem[models]'"
                ) from exc
            try:
                self._model = SentenceTransformer(
                    str(self.model_path), device="cpu", local_files_only=True
                )
            except (OSError, ValueError, RuntimeError) as exc:
                raise ModelError(
                    f"cannot load the embedder from {self.model_path}: {exc}; "
                    "run python scripts/download_model.py"
                ) from exc
        return self._model

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            try:
                vectors = self.model.encode(
                    list(texts),
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            except (RuntimeError, ValueError) as exc:
                raise ModelError(f"the embedder failed: {exc}") from exc
        return _unit(vectors)


class HashEmbedder(Embedder):
    """A deterministic bag-of-words hasher for tests: shared words make texts similar."""

    def __init__(self, dims: int = 384) -> None:
        self.dims = dims

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        from localmem.engine.textutil import content_words, stem, words

        out = np.zeros((len(texts), self.dims), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in content_words(text) or [stem(w) for w in words(text)]:
                digest = hashlib.blake2b(word.encode("utf-8", "surrogatepass"), digest_size=8)
                value = int.from_bytes(digest.digest(), "little")
                out[row, value % self.dims] += 1.0 if (value >> 40) & 1 else -1.0
        return _unit(out)


def make_embedder(config: EmbedderConfig, home: Path | None = None) -> Embedder:
    """The embedder ``config`` names, its model found through ``home``'s models folder.

    ``auto`` runs the model through ONNX Runtime when it is installed, else sentence-transformers.
    The first ONNX start exports the model once (torch + onnx); later starts load only
    onnxruntime.

    Raises:
        ModelNotFoundError: no model folder matches ``config.model``.
        ModelError: the ONNX export is needed and fails.
    """
    if config.provider == "hash":
        return HashEmbedder(config.dims)
    from localmem.models.locate import resolve_embedder_path

    source = resolve_embedder_path(config.model, home)
    onnx_installed = importlib.util.find_spec("onnxruntime") is not None
    if config.provider == "onnx" or (config.provider == "auto" and onnx_installed):
        from localmem.backends.onnx import OnnxEmbedder, default_onnx_dir
        from localmem.backends.onnx_export import ensure_onnx_export

        export = ensure_onnx_export(source, default_onnx_dir(home, config.model))
        return OnnxEmbedder(export, config.batch_size)
    return SentenceTransformerEmbedder(source, config.batch_size)
