"""Configuration: pydantic models with ``extra="forbid"``; every problem is a ``ConfigError``.

Environment overrides: ``LOCALMEM_HOME`` (the home directory) and ``LOCALMEM_USER`` (the default
user id). Model choice: ``LLMConfig.model`` / ``EmbedderConfig.model`` take a path or a catalog
name; ``None`` means the default (``localmem models use NAME`` saves one).
"""

from __future__ import annotations

import os
from typing import Any, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from localmem import validate
from localmem.errors import ConfigError

__all__ = [
    "MemoryConfig",
    "LLMConfig",
    "EmbedderConfig",
    "VectorStoreConfig",
    "RerankConfig",
    "LLMProvider",
    "EmbedderProvider",
    "VectorStoreProvider",
    "providers",
]

LLMProvider = Literal["llama_cpp", "fake"]
EmbedderProvider = Literal["auto", "onnx", "sentence_transformers", "hash"]
VectorStoreProvider = Literal["faiss", "postgres"]

OFFLINE_LLM = "localmem runs offline; use provider='llama_cpp' with a GGUF file"
OFFLINE_EMBEDDER = (
    "localmem runs offline; use provider='auto', 'onnx' or 'sentence_transformers' with a local "
    "model folder"
)
CLOUD_STORE = (
    "localmem keeps vectors in a local FAISS index (provider='faiss') or in your own PostgreSQL "
    "with pgvector (provider='postgres' with url='postgresql://...')"
)
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class _Config(BaseModel):
    """Base: forbids unknown keys and raises ConfigError instead of pydantic's error."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)
    offline_hint: ClassVar[str] = ""  # why another provider cannot be used, and what to use

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise ConfigError(_explain(type(self).__name__, exc)) from None

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as exc:
            raise ConfigError(_explain(cls.__name__, exc)) from None


def providers(literal: Any) -> tuple[str, ...]:
    """The values of a provider ``Literal`` (e.g. ``providers(LLMProvider)``), in order."""
    return get_args(literal)


def _explain(name: str, exc: ValidationError) -> str:
    cls = {c.__name__: c for c in _Config.__subclasses__()}.get(name, _Config)
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or name
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = f"unknown option; {name} accepts: {', '.join(sorted(cls.model_fields))}"
        elif err["type"] == "literal_error" and err["loc"] == ("provider",):
            msg = f"provider {err['input']!r} is not available: {cls.offline_hint}"
        parts.append(f"{where}: {msg}")
    return f"invalid {name}: " + "; ".join(parts)


class LLMConfig(_Config):
    """The local language model (llama.cpp), or the in-package fake for tests."""

    offline_hint: ClassVar[str] = OFFLINE_LLM

    provider: LLMProvider = "llama_cpp"
    model: str | None = None
    n_ctx: int = Field(2048, ge=256, le=131072)
    n_threads: int | None = Field(None, ge=1)
    max_tokens: int = Field(192, ge=8, le=4096)
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    seed: int = 0
    # Whether the model's structured facts lead (True) or the rules do (False); None: the
    # catalog's measured setting for a known model, else the rules.
    model_leads: bool | None = None


class EmbedderConfig(_Config):
    """The local embedding model, or the hashing embedder for tests.

    ``auto`` (the default) runs the sentence-transformers model through ONNX Runtime when it is
    installed (same vectors, no torch at run time: measured 12x faster start, 2.4x faster
    queries; exported once into the models folder), else through sentence-transformers.
    """

    offline_hint: ClassVar[str] = OFFLINE_EMBEDDER

    provider: EmbedderProvider = "auto"
    model: str | None = None
    dims: int = Field(384, ge=8, le=8192)  # used by the hashing embedder
    batch_size: int = Field(64, ge=1, le=4096)  # texts per model call (bulk adds, imports)


class VectorStoreConfig(_Config):
    """Where memories live: the home directory (SQLite + FAISS), or ":memory:"; or, with
    ``provider="postgres"``, the PostgreSQL database at ``url`` (shared by many nodes)."""

    offline_hint: ClassVar[str] = CLOUD_STORE

    provider: VectorStoreProvider = "faiss"
    path: str | None = None
    url: str | None = None  # postgresql://user:password@host:port/database (provider "postgres")

    @field_validator("url")
    @classmethod
    def _url_is_postgres(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(POSTGRES_SCHEMES):
            raise ValueError("url must be a PostgreSQL URL: postgresql://user@host:port/database")
        return value

    @model_validator(mode="after")
    def _url_with_postgres(self) -> VectorStoreConfig:
        if (self.provider == "postgres") != (self.url is not None):
            raise ValueError(
                "provider 'postgres' needs url='postgresql://...', and url is only for it"
            )
        return self

    @field_validator("path")
    @classmethod
    def _path_is_plain(cls, value: str | None) -> str | None:
        if value is not None and ("\x00" in value or not value.strip()):
            raise ValueError("path must be a non-empty folder path without NUL bytes")
        return value


class RerankConfig(_Config):
    """Search reranking by the local model (engine/rerank.py): one model call per search over
    its best ``candidates`` items. Off by default: it costs a model call per search (see
    scripts/bench_rerank.py for the latency and recall measured)."""

    enabled: bool = False
    candidates: int = Field(20, ge=2, le=50)  # 50: engine/rerank.py MAX_CANDIDATES


class MemoryConfig(_Config):
    """Everything ``Memory`` needs; every field has a working offline default."""

    llm: LLMConfig = Field(default_factory=LLMConfig)
    embedder: EmbedderConfig = Field(default_factory=EmbedderConfig)
    vector_store: VectorStoreConfig = Field(default_factory=VectorStoreConfig)
    fact_extraction_prompt: str | None = None
    update_memory_prompt: str | None = None
    default_user_id: str = Field(default_factory=lambda: os.environ.get("LOCALMEM_USER", "default"))
    raw_fallback: bool = True  # search also returns stored raw messages where they add something
    # True: every first-person clause becomes a memory, chatter included ("Misses their
    # sweatpants"); False: chatter stays in the raw messages only (engine/worth.py)
    keep_chatter: bool = False
    rerank: RerankConfig = Field(default_factory=RerankConfig)  # search(rerank=...) overrides

    @field_validator("fact_extraction_prompt")
    @classmethod
    def _extraction_placeholders(cls, value: str | None) -> str | None:
        return None if value is None else validate.prompt(value, validate.EXTRACTION_PLACEHOLDERS)

    @field_validator("update_memory_prompt")
    @classmethod
    def _update_placeholders(cls, value: str | None) -> str | None:
        return None if value is None else validate.prompt(value, validate.UPDATE_PLACEHOLDERS)
