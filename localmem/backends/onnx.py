"""ONNX Runtime embedder: a sentence-transformers model's vectors without importing torch at run time.

``onnx_export.export_onnx`` turns a mean-pooled sentence-transformers folder (MiniLM: BERT
encoder, mean pooling, normalise) into ``model.onnx`` once, with torch; ``OnnxEmbedder`` runs that
file with onnxruntime and the Rust ``tokenizers`` library, tokenising (max_seq_length from
sentence_bert_config.json, pad to the longest text), mean-pooling over the attention mask and
normalising as sentence-transformers does. An export folder holds::

    model.onnx            fp32 encoder: (input_ids, attention_mask, token_type_ids) -> hidden states
    model.int8.onnx       dynamic int8 copy, kept only if it agrees with fp32: for search queries
                          (``MIN_QUERY_COSINE``) and, with ``quantized``, for every text
    localmem-onnx.json    source folder, embedder name, dims, max_seq_length, agreement measured
    tokenizer.json ...    the tokenizer and config files copied from the source folder
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from localmem.backends.embeddings import Embedder, _unit
from localmem.errors import InvalidInputError, ModelError, ModelNotFoundError
from localmem.paths import models_dir, read_json_object

__all__ = ["OnnxEmbedder", "default_onnx_dir", "ONNX_FILE", "INT8_FILE", "META_FILE"]

ONNX_FILE = "model.onnx"
INT8_FILE = "model.int8.onnx"
META_FILE = "localmem-onnx.json"
DEFAULT_ONNX_FOLDER = "all-MiniLM-L6-v2-onnx"
SINGLE_THREADS = 1  # one text: a 1-thread session measured as fast and steadier on a loaded machine
FIX_EXPORT = (
    "export it with localmem.backends.onnx_export.export_onnx(<sentence-transformers folder>)"
)

def default_onnx_dir(home: Path | None = None, model: str | None = None) -> Path:
    """Where an export lives: ``<models>/all-MiniLM-L6-v2-onnx``, or ``<models>/<model>-onnx``."""
    folder = DEFAULT_ONNX_FOLDER if model is None else f"{Path(model).name}-onnx"
    return models_dir(home) / folder


def _read_json(file: Path) -> dict[str, Any]:
    return read_json_object(file, ModelError)


def _max_seq_length(folder: Path) -> int:
    """sentence-transformers' limit (sentence_bert_config.json), else the model's position limit."""
    bert = folder / "sentence_bert_config.json"
    if bert.exists() and "max_seq_length" in (data := _read_json(bert)):
        return int(data["max_seq_length"])
    return int(_read_json(folder / "config.json").get("max_position_embeddings", 512))


class _Tokenizer:
    """The fast tokenizer set up as sentence-transformers uses it: truncate, pad to the longest."""

    def __init__(self, folder: Path, max_length: int) -> None:
        try:
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ModelError("tokenizers is not installed; run: pip install 'localmem[onnx]'") from exc
        try:
            self._tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        except Exception as exc:  # the Rust library raises plain Exception
            raise ModelError(f"cannot load {folder / 'tokenizer.json'}: {exc}") from exc
        # tokenizer.json ships MiniLM with truncation 128 and fixed padding 128; override both.
        pad = self._tok.padding or {}
        self._tok.no_padding()
        self._tok.enable_truncation(max_length=max_length)
        self._tok.enable_padding(
            pad_id=int(pad.get("pad_id", 0)),
            pad_type_id=int(pad.get("pad_type_id", 0)),
            pad_token=str(pad.get("pad_token", "[PAD]")),
        )

    def __call__(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        encodings = self._tok.encode_batch(list(texts))
        return {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }


def _mean_pool(hidden: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
    """Mean of the token vectors the mask keeps, then L2-normalised (sentence-transformers' Pooling)."""
    mask = attention_mask[:, :, None].astype(np.float32)
    summed = (hidden.astype(np.float32) * mask).sum(axis=1)
    return _unit(summed / np.clip(mask.sum(axis=1), 1e-9, None))


def _new_session(model_file: Path, threads: int) -> Any:
    """An onnxruntime CPU session with ``threads`` intra-op threads.

    Raises:
        ModelError: onnxruntime is missing or the file does not load.
    """
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise ModelError("onnxruntime is not installed; run: pip install 'localmem[onnx]'") from exc
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    # Idle worker threads spin by default; on a shared, loaded machine that steals the cores.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own non-exported exception types
        raise ModelError(f"cannot load {model_file}: {exc}; {FIX_EXPORT}") from exc


class OnnxEmbedder(Embedder):
    """A sentence-transformers model exported by ``onnx_export``, run with onnxruntime, offline.

    Single texts run on a ``query_threads`` session (default 1); batches on one with
    ``threads`` threads (default: every core). ``embed_query`` runs the export's int8 model
    when it has one that agrees (``int8_queries``, on by default): the stored vectors stay
    fp32, each query is a close approximation of its fp32 vector, found several times faster.
    Each session is built on first use; onnxruntime's ``run`` is thread-safe, so calls are not
    serialised.
    """

    def __init__(
        self,
        folder: Path,
        batch_size: int = 64,
        *,
        quantized: bool = False,
        threads: int | None = None,
        query_threads: int = SINGLE_THREADS,
        int8_queries: bool = True,
    ) -> None:
        """Read the export's metadata; the model loads on the first embed.

        Raises:
            ModelNotFoundError: the folder is not an ONNX export (or, with ``quantized``, has
                no int8 model that agrees for every text).
        """
        self.folder = Path(folder)
        self.batch_size = batch_size
        self.quantized = quantized
        self.threads = max(1, threads or os.cpu_count() or 1)
        self.query_threads = max(1, query_threads)
        self.model_file = self.folder / (INT8_FILE if quantized else ONNX_FILE)
        meta_file = self.folder / META_FILE
        if not meta_file.exists() or not self.model_file.exists():
            raise ModelNotFoundError(f"no ONNX export at {self.model_file}; {FIX_EXPORT}")
        meta = _read_json(meta_file)
        if quantized and meta.get("int8_kept") is False:  # kept for queries only
            raise ModelNotFoundError(
                f"the int8 model at {self.model_file} agrees with fp32 only for queries (min "
                f"cosine {meta.get('int8_min_cosine')}); use quantized=False"
            )
        self.dims = int(meta["dims"])
        self.max_seq_length = int(meta["max_seq_length"])
        self._source_name = str(meta["source_name"])
        int8 = self.folder / INT8_FILE
        # The int8 model answers queries only where the export checked it agrees (onnx_export).
        self.query_file = (
            int8 if int8_queries and meta.get("int8_query_kept") is True and int8.exists()
            else self.model_file
        )
        self._tokenizer: _Tokenizer | None = None
        self._sessions: dict[tuple[Path, int], Any] = {}
        self._lock = threading.Lock()  # guards lazy loading only

    @property
    def name(self) -> str:
        """The source model's embedder name, so stores move freely between the two backends.

        The fp32 export is checked at export time to give the same vectors as
        sentence-transformers (cosine >= 0.999), so it keeps ``SentenceTransformerEmbedder``'s
        name for the source folder and a store built with either opens with the other. int8
        vectors are close but not the same space, so they get their own name; int8 queries
        (``int8_queries``) keep the fp32 name, as only fp32 vectors are stored.
        """
        return f"{self._source_name}-int8" if self.quantized else self._source_name

    @property
    def tokenizer(self) -> _Tokenizer:
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    self._tokenizer = _Tokenizer(self.folder, self.max_seq_length)
        return self._tokenizer

    def _session(self, threads: int, model_file: Path | None = None) -> Any:
        key = (model_file or self.model_file, threads)
        session = self._sessions.get(key)
        if session is None:
            with self._lock:
                session = self._sessions.get(key)
                if session is None:
                    session = self._sessions[key] = _new_session(*key)
        return session

    def embed_query(self, text: str) -> np.ndarray:
        """``text``'s vector from ``query_file`` (int8 when the export has a checked one).

        Raises:
            InvalidInputError: ``text`` is not a string.
            ModelError: the model failed.
        """
        if not isinstance(text, str):
            raise InvalidInputError(f"embed_query takes a string, got {type(text).__name__}")
        return self._run(self._session(self.query_threads, self.query_file), [text])[0]

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        for text in texts:
            if not isinstance(text, str):
                raise InvalidInputError(f"embed_batch takes strings, got {type(text).__name__}")
        if not texts:
            return np.zeros((0, self.dims), dtype=np.float32)
        session = self._session(self.query_threads if len(texts) == 1 else self.threads)
        # Like sentence-transformers, batch texts of similar length together to pad less.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.empty((len(texts), self.dims), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            rows = order[start : start + self.batch_size]
            out[rows] = self._run(session, [texts[i] for i in rows])
        return out

    def _run(self, session: Any, texts: list[str]) -> np.ndarray:
        inputs = self.tokenizer(texts)
        wanted = {i.name for i in session.get_inputs()}
        try:
            (hidden,) = session.run(None, {k: v for k, v in inputs.items() if k in wanted})
        except Exception as exc:  # onnxruntime raises its own non-exported exception types
            raise ModelError(f"the ONNX embedder failed: {exc}") from exc
        return _mean_pool(hidden, inputs["attention_mask"])
