import localmem


def test_all_names_exist_and_nothing_public_is_missing():
    for name in localmem.__all__:
        assert hasattr(localmem, name), name
    public = {n for n in dir(localmem) if not n.startswith("_") and n[0].isupper()}
    assert public <= set(localmem.__all__), public - set(localmem.__all__)


def test_every_error_has_one_root():
    errors = [getattr(localmem, n) for n in localmem.__all__ if n.endswith("Error")]
    assert errors
    for err in errors:
        assert issubclass(err, localmem.LocalmemError)


def test_import_does_not_load_heavy_libraries():
    import subprocess
    import sys

    code = (
        "import sys, localmem; heavy = [m for m in ('torch', 'faiss', 'llama_cpp', "
        "'sentence_transformers') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
