"""localmem: fully local, offline long-term memory for AI agents.

    from localmem import Memory
    memory = Memory()
    memory.add("I'm vegetarian and I live in Lyon.", user_id="ana")
    memory.search("What should I cook?", user_id="ana")
"""

from localmem.client import MemClient
from localmem.config import EmbedderConfig, LLMConfig, MemoryConfig, RerankConfig, VectorStoreConfig
from localmem.backends.embeddings import Embedder, HashEmbedder, SentenceTransformerEmbedder
from localmem.errors import (
    AccessDeniedError,
    AuthenticationError,
    ConfigError,
    HomeKeyError,
    IndexCorruptError,
    InvalidInputError,
    LocalmemError,
    MemoryNotFoundError,
    ModelError,
    ModelNotFoundError,
    ModelOutputError,
    RateLimitError,
    RequestTooLargeError,
    ServerError,
    ServerUnavailableError,
    StorageError,
)
from localmem.backends.llama_cpp import LlamaCppLLM
from localmem.backends.llm import LLM, FakeLLM
from localmem.backends.onnx import OnnxEmbedder
from localmem.memory import Memory
from localmem.types import (
    Action, HistoryEntry, IndexStats, MemoryEvent, MemoryItem, ScopeCounts, SearchResults,
    StorageStats,
)

__version__ = "0.1.0"

__all__ = [
    "Memory",
    "MemClient",
    "MemoryConfig",
    "LLMConfig",
    "EmbedderConfig",
    "VectorStoreConfig",
    "RerankConfig",
    "MemoryItem",
    "MemoryEvent",
    "HistoryEntry",
    "SearchResults",
    "StorageStats",
    "ScopeCounts",
    "IndexStats",
    "Action",
    "LLM",
    "LlamaCppLLM",
    "FakeLLM",
    "Embedder",
    "SentenceTransformerEmbedder",
    "OnnxEmbedder",
    "HashEmbedder",
    "LocalmemError",
    "ConfigError",
    "ModelNotFoundError",
    "HomeKeyError",
    "InvalidInputError",
    "MemoryNotFoundError",
    "AccessDeniedError",
    "AuthenticationError",
    "RequestTooLargeError",
    "RateLimitError",
    "ServerError",
    "ServerUnavailableError",
    "ModelError",
    "ModelOutputError",
    "StorageError",
    "IndexCorruptError",
    "__version__",
]
