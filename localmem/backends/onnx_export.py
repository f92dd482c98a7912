"""Exporting a sentence-transformers folder to ONNX once (needs torch, transformers and onnx).

The export is built in a temp folder, checked against torch on ``PROBE_TEXTS`` and renamed into
place, owner-only; ``ensure_onnx_export`` reuses an export of the same source folder.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from localmem.backends.embeddings import _unit
from localmem.backends.onnx import (
    INT8_FILE,
    META_FILE,
    ONNX_FILE,
    OnnxEmbedder,
    _max_seq_length,
    _mean_pool,
    _read_json,
    _Tokenizer,
    default_onnx_dir,
)
from localmem.errors import LocalmemError, ModelError, ModelNotFoundError
from localmem.paths import atomic_write_bytes, private_dir, private_tree

__all__ = [
    "export_onnx", "ensure_onnx_export", "write_int8", "MIN_INT8_COSINE", "MIN_QUERY_COSINE",
    "PROBE_TEXTS",
]

MIN_EXPORT_COSINE = 0.999  # fp32 export vs torch on the probe texts; below this the export fails
MIN_INT8_COSINE = 0.99  # int8 vs fp32 on the probe texts, batched: int8 for every text
MIN_QUERY_COSINE = 0.98  # int8 vs fp32 on each probe alone: int8 for search queries
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
    quantize: bool = True,
    opset: int = 17,
) -> Path:
    """Export a mean-pooled sentence-transformers folder to ONNX (once); returns the export folder.

    The export is built in a temp folder beside ``out_dir`` (default ``default_onnx_dir()``),
    checked against torch on ``PROBE_TEXTS``, and renamed into place: a failure leaves nothing
    behind. With ``quantize`` (the default), the dynamic int8 copy is written and kept as
    ``write_int8`` decides; the cosines it measured are saved in the metadata either way.

    Raises:
        ModelNotFoundError: ``model_folder`` is not a sentence-transformers folder.
        ModelError: torch/transformers/onnx are missing, the export fails or disagrees with
            torch, or ``out_dir`` cannot be written.
    """
    model_folder = Path(model_folder)
    out_dir = Path(out_dir) if out_dir is not None else default_onnx_dir()
    _check_source(model_folder)
    _require_export_libraries()
    try:
        if not out_dir.parent.exists():  # an existing (maybe shared) models folder keeps its mode
            private_dir(out_dir.parent)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    except OSError as exc:
        raise ModelError(
            f"cannot write the ONNX export to {out_dir}: {exc}; pick a writable folder"
        ) from exc
    try:
        _build(model_folder, tmp, quantize, opset)
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


def _require_export_libraries() -> None:
    """Raises ModelError naming the install line when torch, transformers or onnx is missing."""
    try:
        import onnx  # noqa: F401  (torch.onnx.export needs it)
        import torch  # noqa: F401
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no "Loading weights" bar in the user's terminal
    except ImportError as exc:
        raise ModelError(
            f"exporting to ONNX needs torch, transformers and onnx ({exc}); "
            "run: pip install onnx 'localmem[models]'"
        ) from exc


def _build(model_folder: Path, tmp: Path, quantize: bool, opset: int) -> None:
    """Write the export into ``tmp`` and check it against torch.

    Raises:
        ModelError: the fp32 export disagrees with torch.
    """
    import torch
    from transformers import AutoModel

    max_length = _max_seq_length(model_folder)
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
        meta.update(write_int8(tmp))
    _write_meta(tmp, meta)


def write_int8(folder: Path) -> dict[str, Any]:
    """Write the dynamic int8 copy of an export and check it against fp32 on ``PROBE_TEXTS``.

    Per-channel QInt8 weights on the MatMuls and the embedding Gather: the most faithful of the
    dynamic settings measured for MiniLM (per-tensor QInt8 drifted to cosine 0.89). Two checks,
    as the copy is used: each non-empty probe alone, as a search query runs
    (``MIN_QUERY_COSINE``), and the probes in one padded batch, as ``quantized`` embeds every
    text (``MIN_INT8_COSINE``). The file is kept (renamed into place, owner-only) when either
    holds; returns the metadata entries the export records.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    folder = Path(folder)
    tmp = folder / f".{INT8_FILE}.{os.getpid()}.tmp"
    root = logging.getLogger()
    level = root.level
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            root.setLevel(logging.ERROR)  # its advice to pre-process is not for our users
            quantize_dynamic(
                str(folder / ONNX_FILE), str(tmp), weight_type=QuantType.QInt8, per_channel=True
            )
            root.setLevel(level)
        found = _int8_agreement(folder, tmp)
        if found["int8_query_kept"] or found["int8_kept"]:
            os.chmod(tmp, 0o600)
            os.replace(tmp, folder / INT8_FILE)
        return found
    finally:
        root.setLevel(level)
        tmp.unlink(missing_ok=True)


def _int8_agreement(folder: Path, int8_file: Path) -> dict[str, Any]:
    """Min cosine of ``int8_file``'s vectors to fp32's: single non-empty probes, and one batch."""
    from localmem.backends.onnx import _new_session

    fp32 = OnnxEmbedder(folder, int8_queries=False)
    int8 = _new_session(int8_file, fp32.query_threads)
    singles = [t for t in PROBE_TEXTS if t.strip()]
    alone = np.vstack([fp32._run(int8, [t]) for t in singles])
    batch = fp32._run(int8, list(PROBE_TEXTS))
    query_cos = _min_cosine(alone, fp32.embed_batch(singles))
    batch_cos = _min_cosine(batch, fp32.embed_batch(PROBE_TEXTS))
    return {"int8_query_min_cosine": query_cos, "int8_query_kept": query_cos >= MIN_QUERY_COSINE,
            "int8_min_cosine": batch_cos, "int8_kept": batch_cos >= MIN_INT8_COSINE}


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
            if "int8_query_kept" not in meta:
                _add_int8(out_dir, meta)
            return out_dir
    return export_onnx(model_folder, out_dir)


def _add_int8(folder: Path, meta: dict[str, Any]) -> None:
    """Give an export made before int8 queries its int8 copy, once, where ``onnx`` is installed.

    Best effort: when it cannot be written, queries keep running on fp32 (the next start tries
    again).
    """
    import importlib.util

    if importlib.util.find_spec("onnx") is None or not os.access(folder, os.W_OK):
        return
    try:
        meta.update(write_int8(folder))
        _write_meta(folder, meta)
    except Exception:  # noqa: BLE001 - onnx's and onnxruntime's errors have no common base
        return
