import types

import localmem

INCLUDED_PRIVATE_MEMBERS = {"__version__"}


def test_all_is_exactly_the_public_members():
    """Like httpx's tests/test_exported_members.py: ``__all__`` lists every public name, once.

    Subpackages (``localmem.backends`` ...) become attributes when ``__init__`` imports from
    them; they are reached by their dotted path, not exported.
    """
    public = {
        name
        for name, value in vars(localmem).items()
        if (not name.startswith("_") or name in INCLUDED_PRIVATE_MEMBERS)
        and not isinstance(value, types.ModuleType)
    }
    assert len(localmem.__all__) == len(set(localmem.__all__))
    assert set(localmem.__all__) == public


def test_every_error_value_type_and_backend_is_exported():
    """The error tree, the returned types and every shipped backend are importable from the top."""
    import inspect

    from localmem import config, errors
    from localmem import types as value_types
    from localmem.backends import embeddings, llm, onnx

    wanted = {n for n in errors.__all__ if n.endswith("Error")} | set(value_types.__all__)
    wanted |= {n for n in config.__all__ if n.endswith("Config")}
    for module in (embeddings, llm, onnx):
        wanted |= {
            name for name, value in vars(module).items()
            if inspect.isclass(value) and value.__module__ == module.__name__
            and issubclass(value, (localmem.Embedder, localmem.LLM))
        }
    assert wanted - set(localmem.__all__) == set()


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
