import pytest

from localmem import ConfigError, Memory, ModelNotFoundError
from localmem.config import EmbedderConfig, LLMConfig, MemoryConfig, VectorStoreConfig


def test_cloud_llm_provider_is_refused_with_the_offline_alternative():
    with pytest.raises(ConfigError) as err:
        LLMConfig(provider="openai")
    assert "localmem runs offline; use provider='llama_cpp' with a GGUF file" in str(err.value)


def test_cloud_embedder_and_vector_store_are_refused():
    with pytest.raises(ConfigError, match="sentence_transformers"):
        EmbedderConfig(provider="openai")
    with pytest.raises(ConfigError, match="faiss"):
        VectorStoreConfig(provider="qdrant")


def test_unknown_option_is_refused_and_lists_the_known_ones():
    with pytest.raises(ConfigError) as err:
        MemoryConfig(llm={"provider": "llama_cpp", "api_key": "x"})
    assert "api_key" in str(err.value) and "n_ctx" in str(err.value)


def test_config_errors_are_value_errors_too():
    with pytest.raises(ValueError):
        LLMConfig(n_ctx=10)


def test_missing_model_file_names_the_path_and_the_fix(tmp_path):
    missing = tmp_path / "nope.gguf"
    config = MemoryConfig(
        llm=LLMConfig(model=str(missing)),
        embedder=EmbedderConfig(provider="hash"),
        vector_store=VectorStoreConfig(path=str(tmp_path / "mem")),
    )
    with pytest.raises(ModelNotFoundError) as err:
        Memory(config=config)
    assert str(missing) in str(err.value)
    assert "run python scripts/download_model.py" in str(err.value)


def test_custom_prompt_placeholders_are_checked():
    MemoryConfig(fact_extraction_prompt="Facts from: {messages}")
    MemoryConfig(update_memory_prompt="{memories} / {facts}")
    with pytest.raises(ConfigError, match="unknown placeholders"):
        MemoryConfig(fact_extraction_prompt="Facts from: {conversation}")
    with pytest.raises(ConfigError, match="format string"):
        MemoryConfig(update_memory_prompt="broken { brace")


def test_from_config_dict_builds_the_same_config(tmp_path):
    memory = Memory.from_config(
        {
            "llm": {"provider": "fake"},
            "embedder": {"provider": "hash", "dims": 64},
            "vector_store": {"provider": "faiss", "path": str(tmp_path / "m")},
        }
    )
    assert memory.embedder.dims == 64
    assert memory.home == tmp_path / "m"
    with pytest.raises(ConfigError):
        Memory.from_config({"llm": {"provider": "anthropic"}})
    with pytest.raises(ConfigError, match="dict"):
        Memory.from_config("llm: fake")  # type: ignore[arg-type]


def test_home_comes_from_the_environment(isolated_home):
    memory = Memory(config=MemoryConfig(llm=LLMConfig(provider="fake"), embedder=EmbedderConfig(provider="hash")))
    memory.add("I live in Lyon", infer=False)
    memory.close()
    assert (isolated_home / "memory.db").exists()


def test_default_user_is_configurable(monkeypatch):
    monkeypatch.setenv("LOCALMEM_USER", "ana")
    assert MemoryConfig().default_user_id == "ana"
    assert MemoryConfig(default_user_id="bo").default_user_id == "bo"


def test_providers_are_literals_and_each_seam_has_one_factory():
    from localmem import FakeLLM, HashEmbedder
    from localmem.backends.embeddings import make_embedder
    from localmem.backends.llm import make_llm
    from localmem.config import EmbedderProvider, LLMProvider, VectorStoreProvider, providers

    assert providers(LLMProvider) == ("llama_cpp", "fake")
    assert providers(EmbedderProvider) == ("auto", "onnx", "sentence_transformers", "hash")
    assert providers(VectorStoreProvider) == ("faiss", "postgres")
    assert LLMConfig.model_fields["provider"].annotation is LLMProvider
    assert isinstance(make_llm(LLMConfig(provider="fake")), FakeLLM)
    embedder = make_embedder(EmbedderConfig(provider="hash", dims=64))
    assert isinstance(embedder, HashEmbedder) and embedder.dims == 64


def test_the_configured_batch_size_reaches_the_embedder(tmp_path):
    from localmem import HashEmbedder

    class Recording(HashEmbedder):
        def __init__(self, batch_size):
            super().__init__()
            self.batch_size = batch_size
            self.batches = []

        def embed_batch(self, texts):
            self.batches.append(list(texts))
            return super().embed_batch(texts)

    texts = [f"text {'x' * n}" for n in (1, 9, 3, 7, 5, 8, 2, 6)]
    embedder = Recording(batch_size=3)
    vectors = embedder.embed_many(texts)
    assert [len(b) for b in embedder.batches] == [3, 3, 2]
    assert embedder.batches[0] == sorted(texts, key=len, reverse=True)[:3]  # longest together
    assert (vectors == HashEmbedder().embed_batch(texts)).all()  # rows in the order given
    memory = Memory(config=MemoryConfig(llm=LLMConfig(provider="fake")), path=tmp_path / "m",
                    embedder=Recording(batch_size=2))
    memory.add([{"role": "user", "content": t} for t in texts[:5]], user_id="u", infer=False)
    assert [len(b) for b in memory.embedder.batches] == [2, 2, 1]
    memory.close()
