"""Reading a GGUF file's header: is it a GGUF, is it whole, and does llama.cpp load it.

``read_gguf`` parses only the header (metadata and tensor table) and checks the file is long enough
for every tensor, so a truncated copy is caught without loading the weights. A crafted header
(arrays nested without end, an alignment that is not a number, no tensors at all) is a
``ModelError`` naming the file, never a Python error.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from localmem.errors import ModelError

__all__ = ["GGUF_MAGIC", "GGUFInfo", "read_gguf", "check_llama_loads"]

GGUF_MAGIC = b"GGUF"
_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
# Real models hold flat arrays (token lists); llama.cpp itself refuses arrays of arrays. A few levels
# are allowed; beyond them the header is crafted, and recursing on it would exhaust Python's stack.
MAX_ARRAY_DEPTH = 4
_MIN_ITEM_BYTES = {_STRING: 8, _ARRAY: 12}  # an empty string / array still takes its length fields
# ggml tensor type -> (elements per block, bytes per block), as in gguf-py's GGML_QUANT_SIZES.
_GGML_BLOCKS = {
    0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
    9: (32, 36), 10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176), 14: (256, 210),
    15: (256, 292), 16: (256, 66), 17: (256, 74), 18: (256, 98), 19: (256, 50), 20: (32, 18),
    21: (256, 110), 22: (256, 82), 23: (256, 136), 24: (1, 1), 25: (1, 2), 26: (1, 4),
    27: (1, 8), 28: (1, 8), 29: (256, 56), 30: (1, 2), 34: (256, 54), 35: (256, 66), 39: (32, 17),
}  # fmt: skip


@dataclass(frozen=True)
class GGUFInfo:
    """What a GGUF header says: version, tensor count, metadata (arrays as their length)."""

    path: Path
    version: int
    tensor_count: int
    metadata: dict[str, Any]
    data_end: int  # the file must be at least this long to hold every tensor
    file_size: int

    @property
    def architecture(self) -> str | None:
        return self.metadata.get("general.architecture")

    @property
    def has_chat_template(self) -> bool:
        return "tokenizer.chat_template" in self.metadata


class _Truncated(Exception):
    pass


class _HeaderReader:
    def __init__(self, handle: BinaryIO, size: int) -> None:
        self.handle, self.size = handle, size

    def take(self, n: int) -> bytes:
        if n < 0 or self.handle.tell() + n > self.size:
            raise _Truncated(f"needs {n} bytes at offset {self.handle.tell()}")
        return self.handle.read(n)

    def scalar(self, fmt: str) -> Any:
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        return self.take(self.scalar("<Q")).decode("utf-8", errors="replace")

    def value(self, kind: int, depth: int = 0) -> Any:
        if kind in _SCALARS:
            return self.scalar(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            if depth >= MAX_ARRAY_DEPTH:
                raise _Truncated(f"nests metadata arrays more than {MAX_ARRAY_DEPTH} deep")
            item_kind, count = self.scalar("<I"), self.scalar("<Q")
            item_bytes = struct.calcsize(_SCALARS[item_kind]) if item_kind in _SCALARS else None
            least = count * (item_bytes or _MIN_ITEM_BYTES.get(item_kind, 0))
            if self.handle.tell() + least > self.size:  # before looping over a crafted count
                raise _Truncated(f"an array of {count} values runs past the end")
            if item_bytes is not None:  # skip numbers in one seek
                self.handle.seek(least, os.SEEK_CUR)
            else:
                for _ in range(count):
                    self.value(item_kind, depth + 1)
            return count
        raise _Truncated(f"unknown metadata value type {kind}")

    def tensor_end(self) -> int:
        """Read one entry of the tensor table; returns where its data ends (after the header)."""
        self.string()
        n_dims = self.scalar("<I")
        if n_dims > 8:
            raise _Truncated(f"a tensor with {n_dims} dimensions")
        elements = 1
        for _ in range(n_dims):
            elements *= self.scalar("<Q")
        block, block_bytes = _GGML_BLOCKS.get(self.scalar("<I"), (1, 0))
        return self.scalar("<Q") + elements // block * block_bytes


def read_gguf(path: str | os.PathLike[str]) -> GGUFInfo:
    """Parse a GGUF header and check the file is long enough for its tensors.

    Raises:
        ModelError: not a GGUF file, or truncated/corrupt (the message names the file and why).
    """
    path = Path(path)
    fix = "copy or download it again"
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            magic = handle.read(4)
            if magic != GGUF_MAGIC:
                raise ModelError(
                    f"{path} is not a GGUF file (it starts with {magic!r}, not b'GGUF'); "
                    "llama.cpp models must be .gguf files"
                )
            reader = _HeaderReader(handle, size)
            version = reader.scalar("<I")
            if version not in (2, 3):
                raise ModelError(f"{path} is GGUF version {version}; localmem reads versions 2 and 3")
            tensor_count, kv_count = reader.scalar("<Q"), reader.scalar("<Q")
            if tensor_count > size or kv_count > size:
                raise _Truncated(f"implausible counts ({tensor_count} tensors, {kv_count} keys)")
            metadata = {}
            for _ in range(kv_count):
                key = reader.string()
                metadata[key] = reader.value(reader.scalar("<I"))
            data_end = max((reader.tensor_end() for _ in range(tensor_count)), default=0)
            header_end = handle.tell()
    except OSError as exc:
        raise ModelError(f"cannot read {path}: {exc}") from exc
    except _Truncated as exc:
        raise ModelError(f"{path} is truncated or corrupt: its GGUF header {exc}; {fix}") from exc
    if not tensor_count:
        raise ModelError(
            f"{path} is a GGUF header with no tensors (no weights, e.g. a vocabulary-only file); "
            "it is not a model: give the path of a model's .gguf file"
        )
    alignment = _alignment(path, metadata.get("general.alignment", 32))
    data_end += -(-header_end // alignment) * alignment
    if size < data_end:
        raise ModelError(
            f"{path} is truncated: it has {size:,} bytes but its tensors end at byte {data_end:,}; {fix}"
        )
    return GGUFInfo(path, version, tensor_count, metadata, data_end, size)


def _alignment(path: Path, value: Any) -> int:
    """``general.alignment``: a power of two, as llama.cpp requires.

    Raises:
        ModelError: anything else (a string, NaN, zero, a float, a bool).
    """
    if type(value) is not int or value <= 0 or value & (value - 1):
        raise ModelError(
            f"{path} is corrupt: its GGUF header sets general.alignment to {value!r}, which is not a "
            "power of two; copy or download it again"
        )
    return value


def check_llama_loads(path: Path, info: GGUFInfo) -> None:
    """Open the GGUF with llama.cpp (vocabulary only: fast, no weights in RAM).

    Raises:
        ModelError: llama-cpp-python is missing or cannot load the file.
    """
    try:
        import llama_cpp
    except ImportError as exc:
        raise ModelError("llama-cpp-python is not installed; run: pip install 'localmem[models]'") from exc
    try:
        llama = llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)
    except (ValueError, RuntimeError, OSError) as exc:
        raise ModelError(
            f"llama.cpp cannot load {path} (architecture {info.architecture!r}, GGUF v{info.version}): "
            f"{exc}; an architecture newer than this llama-cpp-python needs "
            "`pip install -U llama-cpp-python`, otherwise the file is damaged: copy it again"
        ) from exc
    llama.close()
