"""Crafted GGUF headers are a ModelError naming the file and the problem, never a Python error."""

from __future__ import annotations

import math
import struct
from pathlib import Path

import pytest
from click.testing import CliRunner

from localmem.errors import ModelError
from localmem.frontends.cli_models import models
from localmem.models.gguf import MAX_ARRAY_DEPTH, read_gguf
from localmem.models.inventory import use_model
from localmem.paths import read_settings

STRING, ARRAY, UINT32, FLOAT32 = 8, 9, 4, 6


def _text(value: str) -> bytes:
    raw = value.encode()
    return struct.pack("<Q", len(raw)) + raw


def _gguf(metadata: list[bytes], tensors: int = 1, align: int = 32) -> bytes:
    """A GGUF v3 with the given encoded key/value pairs and ``tensors`` F32 tensors of 8 values."""
    header = b"GGUF" + struct.pack("<IQQ", 3, tensors, len(metadata)) + b"".join(metadata)
    for i in range(tensors):
        header += _text(f"t{i}") + struct.pack("<IQIQ", 1, 8, 0, i * 32)
    return header + b"\0" * (-len(header) % align) + b"\0" * (32 * tensors)


def _write(tmp_path: Path, data: bytes, name: str = "crafted.gguf") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "value, shown",
    [
        (struct.pack("<I", STRING) + _text("abc"), "'abc'"),
        (struct.pack("<If", FLOAT32, math.nan), "nan"),
        (struct.pack("<If", FLOAT32, math.inf), "inf"),
        (struct.pack("<II", UINT32, 0), "0"),
        (struct.pack("<II", UINT32, 24), "24"),
    ],
    ids=["string", "nan", "inf", "zero", "not-a-power-of-two"],
)
def test_an_alignment_that_is_not_a_power_of_two_is_named(tmp_path, value, shown):
    path = _write(tmp_path, _gguf([_text("general.alignment") + value]))
    with pytest.raises(ModelError, match=rf"crafted\.gguf is corrupt: .*general\.alignment to {shown},"):
        read_gguf(path)


def test_a_valid_alignment_is_still_read(tmp_path):
    path = _write(tmp_path, _gguf([_text("general.alignment") + struct.pack("<II", UINT32, 64)], align=64))
    assert read_gguf(path).metadata["general.alignment"] == 64


def test_arrays_nested_without_end_are_refused_without_recursing(tmp_path):
    depth = 20_000  # far beyond Python's recursion limit
    value = struct.pack("<I", ARRAY) + struct.pack("<IQ", ARRAY, 1) * depth + struct.pack("<IQ", UINT32, 0)
    path = _write(tmp_path, _gguf([_text("evil.nested") + value]))
    nested = rf"crafted\.gguf .*nests metadata arrays more than {MAX_ARRAY_DEPTH} deep"
    with pytest.raises(ModelError, match=nested):
        read_gguf(path)


def test_arrays_nested_a_little_are_read(tmp_path):
    value = struct.pack("<I", ARRAY) + struct.pack("<IQ", ARRAY, 1) + struct.pack("<IQ", UINT32, 2)
    value += b"\0" * 8  # the two uint32 values
    assert read_gguf(_write(tmp_path, _gguf([_text("ok.nested") + value]))).metadata["ok.nested"] == 1


def test_an_array_count_beyond_the_file_is_refused_at_once(tmp_path):
    value = struct.pack("<I", ARRAY) + struct.pack("<IQ", STRING, 2**62)  # would loop for ever
    with pytest.raises(ModelError, match="an array of 4611686018427387904 values runs past the end"):
        read_gguf(_write(tmp_path, _gguf([_text("evil.wide") + value])))


def test_a_header_without_tensors_is_not_a_model(tmp_path):
    architecture = _text("general.architecture") + struct.pack("<I", STRING) + _text("x")
    path = _write(tmp_path, _gguf([architecture], tensors=0))
    with pytest.raises(ModelError, match=r"crafted\.gguf is a GGUF header with no tensors"):
        read_gguf(path)


def test_models_use_refuses_a_gguf_without_tensors(isolated_home, tmp_path):
    path = _write(tmp_path, _gguf([], tensors=0), "header-only.gguf")
    with pytest.raises(ModelError, match="no tensors"):
        use_model(str(path))
    result = CliRunner().invoke(models, ["use", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.startswith("Error: ")
    assert "header-only.gguf is a GGUF header with no tensors" in result.output
    assert read_settings(isolated_home) == {}
