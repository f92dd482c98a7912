"""ONNX Runtime embedder: a sentence-transformers model's vectors without importing torch at run time.

``export_onnx`` turns a mean-pooled sentence-transformers folder (MiniLM: BERT encoder, mean
pooling, normalise) into ``model.onnx`` once, with torch; ``OnnxEmbedder`` runs that file with
onnxruntime and the Rust ``tokenizers`` library, tokenising (max_seq_length from
sentence_bert_config.json, pad to the longest text), mean-pooling over the attention mask and
normalising as sentence-transformers does. An export folder holds::

    model.onnx            fp32 encoder: (input_ids, attention_mask, token_type_ids) -> hidden states
    model.int8.onnx       optional dynamic int8 copy, kept only if it agrees (``MIN_INT8_COSINE``)
    localmem-onnx.json    source folder, embedder name, dims, max_seq_length, agreement measured
    tokenizer.json ...    the tokenizer and config files copied from the source folder
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from localmem.backends.embeddings import Embedder, _unit
from localmem.errors import InvalidInputError, LocalmemError, ModelError, ModelNotFoundError
from localmem.paths import (
    atomic_write_bytes,
    models_dir,
    private_dir,
    private_tree,
    read_json_object,
)

__all__ = [
    "OnnxEmbedder",
    "export_onnx",
    "ensure_onnx_export",
    "default_onnx_dir",
    "ONNX_FILE",
    "INT8_FILE",
    "META_FILE",
    "MIN_INT8_COSINE",
    "write_int8",
]

ONNX_FILE = "model.onnx"
INT8_FILE = "model.int8.onnx"
META_FILE = "localmem-onnx.json"
DEFAULT_ONNX_FOLDER = "all-MiniLM-L6-v2-onnx"
MIN_EXPORT_COSINE = 0.999  # fp32 export vs torch on the probe texts; below this the export fails
MIN_INT8_COSINE = 0.99  # int8 vs fp32 on the probe texts; below this the int8 file is not kept
SINGLE_THREADS = 1  # one text: a 1-thread session measured as fast and steadier on a loaded machine
FIX_EXPORT = "export it with localmem.backends.onnx.export_onnx(<sentence-transformers folder>)"

_INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
_COPIED_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "config.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
)
# Checks an export (fp32 against torch, int8 against fp32): short, long, unicode, odd spacing.
PROBE_TEXTS = (
    "Likes sushi and eats it on Fridays",
    "What food does the user like?",
    "Lives in Lisbon with two cats",
    "Is allergic to peanuts and shellfish",
    "Works as a data engineer in Berlin",
    "  leading and trailing spaces  ",
    "",
    "Café crème, naïve façade, jalapeño — déjà vu",
    "東京に住んでいて、毎朝ラーメンを食べます",
    "Мой брат живёт в Москве",
    "emoji test 🎉🍣 party",
    "The quick brown fox jumps over the lazy dog. " * 40,
    "Plans to move from Oslo to Madrid next spring because of a new job offer",
    "user prefers dark mode; uses vim keybindings; dislikes notifications after 9pm",
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
    """A sentence-transformers model exported by ``export_onnx``, run with onnxruntime, offline.

    Single texts (queries) run on a ``query_threads`` session (default 1); batches on one with
    ``threads`` threads (default: every core). Each session is built on first use;
    onnxruntime's ``run`` is thread-safe, so calls are not serialised.
    """

    def __init__(
        self,
        folder: Path,
        batch_size: int = 64,
        *,
        quantized: bool = False,
        threads: int | None = None,
        query_threads: int = SINGLE_THREADS,
    ) -> None:
        """Read the export's metadata; the model loads on the first embed.

        Raises:
            ModelNotFoundError: the folder is not an ONNX export (or lacks the int8 file).
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
        self.dims = int(meta["dims"])
        self.max_seq_length = int(meta["max_seq_length"])
        self._source_name = str(meta["source_name"])
        self._tokenizer: _Tokenizer | None = None
        self._sessions: dict[int, Any] = {}
        self._lock = threading.Lock()  # guards lazy loading only

    @property
    def name(self) -> str:
        """The source model's embedder name, so stores move freely between the two backends.

        The fp32 export is checked at export time to give the same vectors as
        sentence-transformers (cosine >= 0.999), so it keeps ``SentenceTransformerEmbedder``'s
        name for the source folder and a store built with either opens with the other. int8
        vectors are close but not the same space, so they get their own name.
        """
        return f"{self._source_name}-int8" if self.quantized else self._source_name

    @property
    def tokenizer(self) -> _Tokenizer:
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    self._tokenizer = _Tokenizer(self.folder, self.max_seq_length)
        return self._tokenizer

    def _session(self, threads: int) -> Any:
        session = self._sessions.get(threads)
        if session is None:
            with self._lock:
                session = self._sessions.get(threads)
                if session is None:
                    session = self._sessions[threads] = _new_session(self.model_file, threads)
        return session

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


# --- export (needs torch, transformers and onnx; run once) ---------------------------------------


def _check_source(model_folder: Path) -> None:
    """Only mean-pooled sentence-transformers folders export to the same vectors.

    Raises:
        ModelNotFoundError: the folder lacks config.json or tokenizer.json.
        ModelError: the folder pools other than by mean.
    """
    for name in ("config.json", "tokenizer.json"):
        if not (model_folder / name).exists():
            raise ModelNotFoundError(
                f"{model_folder} is not a sentence-transformers folder (no {name}); "
                "pass the folder of a model such as all-MiniLM-L6-v2"
            )
    pooling = model_folder / "1_Pooling" / "config.json"
    if pooling.exists():
        modes = {k: v for k, v in _read_json(pooling).items() if k.startswith("pooling_mode_")}
        if {k for k, v in modes.items() if v} != {"pooling_mode_mean_tokens"}:
            raise ModelError(
                f"{model_folder} pools with {modes}; only mean pooling exports to ONNX here, "
                "use provider='sentence_transformers' for this model"
            )


def _torch_reference(model: Any, tokenizer: _Tokenizer, texts: Sequence[str]) -> np.ndarray:
    import torch

    inputs = tokenizer(texts)
    with torch.no_grad():
        hidden = model(**{k: torch.from_numpy(v) for k, v in inputs.items()}).last_hidden_state
    return _mean_pool(hidden.numpy(), inputs["attention_mask"])


def _write_onnx(model: Any, tokenizer: _Tokenizer, target: Path, opset: int) -> None:
    import torch

    class Encoder(torch.nn.Module):
        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = tokenizer(["an example sentence to trace", "a shorter one"])
    axes = {name: {0: "batch", 1: "sequence"} for name in (*_INPUT_NAMES, "last_hidden_state")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Encoder(model).eval(),
            tuple(torch.from_numpy(sample[k]) for k in _INPUT_NAMES),
            str(target),
            dynamo=False,  # the TorchScript exporter handles dynamic_axes and needs no onnxscript
            input_names=list(_INPUT_NAMES),
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=opset,
        )


def _min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.min(np.sum(_unit(a) * _unit(b), axis=1)))


def export_onnx(
    model_folder: Path,
    out_dir: Path | None = None,
    *,
    quantize: bool = False,
    opset: int = 17,
) -> Path:
    """Export a mean-pooled sentence-transformers folder to ONNX (once); returns the export folder.

    The export is built in a temp folder beside ``out_dir`` (default ``default_onnx_dir()``),
    checked against torch on ``PROBE_TEXTS``, and renamed into place: a failure leaves nothing
    behind. With ``quantize``, a dynamic int8 copy is kept only if every probe vector stays within
    cosine ``MIN_INT8_COSINE`` of fp32; the measured value is saved in the metadata either way.

    Raises:
        ModelNotFoundError: ``model_folder`` is not a sentence-transformers folder.
        ModelError: torch/transformers/onnx are missing, the export fails or disagrees with
            torch, or ``out_dir`` cannot be written.
    """
    model_folder = Path(model_folder)
    out_dir = Path(out_dir) if out_dir is not None else default_onnx_dir()
    _check_source(model_folder)
    try:
        import onnx  # noqa: F401  (torch.onnx.export needs it)
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar in the user's terminal
    except ImportError as exc:
        raise ModelError(
            f"exporting to ONNX needs torch, transformers and onnx ({exc}); "
            "run: pip install onnx 'localmem[models]'"
        ) from exc
    max_length = _max_seq_length(model_folder)
    try:
        if not out_dir.parent.exists():  # an existing (maybe shared) models folder keeps its mode
            private_dir(out_dir.parent)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    except OSError as exc:
        raise ModelError(
            f"cannot write the ONNX export to {out_dir}: {exc}; pick a writable folder"
        ) from exc
    try:
        tokenizer = _Tokenizer(model_folder, max_length)
        # Eager attention traces to plain MatMul/Softmax ops; the result is checked below.
        model = AutoModel.from_pretrained(
            str(model_folder), local_files_only=True, attn_implementation="eager"
        ).eval()
        reference = _torch_reference(model, tokenizer, PROBE_TEXTS)  # before export alters model
        _write_onnx(model, tokenizer, tmp / ONNX_FILE, opset)
        for name in _COPIED_FILES:
            if (model_folder / name).exists():
                (tmp / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(model_folder / name, tmp / name)
        meta: dict[str, Any] = {
            "format": 1,
            "source": str(model_folder.resolve()),
            "source_name": f"{model_folder.name}-{reference.shape[1]}",
            "dims": int(reference.shape[1]),
            "max_seq_length": max_length,
            "torch": torch.__version__,
            "opset": opset,
        }
        _write_meta(tmp, meta)
        fp32 = OnnxEmbedder(tmp).embed_batch(PROBE_TEXTS)
        meta["fp32_min_cosine"] = _min_cosine(fp32, reference)
        if meta["fp32_min_cosine"] < MIN_EXPORT_COSINE:
            raise ModelError(
                f"the ONNX export of {model_folder} disagrees with torch (min cosine "
                f"{meta['fp32_min_cosine']:.5f} < {MIN_EXPORT_COSINE}); "
                "keep provider='sentence_transformers'"
            )
        if quantize:
            meta.update(_quantize(tmp))
        _write_meta(tmp, meta)
        private_tree(tmp)  # torch and copyfile follow the umask; the export is owner-only
        _replace_dir(tmp, out_dir)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, LocalmemError) or not isinstance(exc, Exception):
            raise
        if isinstance(exc, OSError):
            raise ModelError(
                f"cannot export {model_folder} to {out_dir}: {exc}; check the source is readable "
                "and the target writable, with free space"
            ) from exc
        # torch, transformers and safetensors raise many unrelated types; one error here.
        raise ModelError(
            f"exporting {model_folder} to ONNX failed: {type(exc).__name__}: {exc}; "
            "check the folder loads with sentence-transformers"
        ) from exc
    return out_dir


def write_int8(folder: Path) -> float:
    """Write the dynamic int8 copy of an export; returns its min cosine to fp32 on ``PROBE_TEXTS``.

    Per-channel QInt8 weights on the MatMuls and the embedding Gather: the most faithful of the
    dynamic settings measured for MiniLM (per-tensor QInt8 drifted to cosine 0.89).
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folder = Path(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quantize_dynamic(
            str(folder / ONNX_FILE),
            str(folder / INT8_FILE),
            weight_type=QuantType.QInt8,
            per_channel=True,
        )
    fp32 = OnnxEmbedder(folder).embed_batch(PROBE_TEXTS)
    return _min_cosine(OnnxEmbedder(folder, quantized=True).embed_batch(PROBE_TEXTS), fp32)


def _quantize(folder: Path) -> dict[str, Any]:
    """Keep the int8 copy only if it stays within ``MIN_INT8_COSINE`` of fp32."""
    cosine = write_int8(folder)
    kept = cosine >= MIN_INT8_COSINE
    if not kept:
        (folder / INT8_FILE).unlink()
    return {"int8_min_cosine": cosine, "int8_kept": kept}


def _write_meta(folder: Path, meta: dict[str, Any]) -> None:
    atomic_write_bytes(folder / META_FILE, json.dumps(meta, indent=2).encode())


def _replace_dir(tmp: Path, out_dir: Path) -> None:
    """Move a finished export into place; an older export is swapped out, then deleted."""
    aside = None
    if out_dir.exists():
        aside = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
        os.replace(out_dir, aside)
    os.replace(tmp, out_dir)
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


def ensure_onnx_export(model_folder: Path, out_dir: Path | None = None) -> Path:
    """The ONNX export of ``model_folder``, exporting it first if there is none (or it is stale).

    Raises:
        ModelNotFoundError: ``model_folder`` is not a sentence-transformers folder.
        ModelError: the export is needed and fails (see ``export_onnx``).
    """
    model_folder = Path(model_folder)
    out_dir = Path(out_dir) if out_dir is not None else default_onnx_dir()
    meta_file = out_dir / META_FILE
    if (out_dir / ONNX_FILE).exists() and meta_file.exists():
        meta = _read_json(meta_file)
        if meta.get("source") == str(model_folder.resolve()):
            return out_dir
    return export_onnx(model_folder, out_dir)
