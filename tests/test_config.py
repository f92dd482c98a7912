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
