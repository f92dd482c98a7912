"""localmem: fully local, offline long-term memory for AI agents.

    from localmem import Memory
    memory = Memory()
    memory.add("I'm vegetarian and I live in Lyon.", user_id="ana")
    memory.search("What should I cook?", user_id="ana")
"""

from .client import MemClient
from .config import EmbedderConfig, LLMConfig, MemoryConfig, VectorStoreConfig
from .embeddings import Embedder, HashEmbedder, SentenceTransformerEmbedder
from .errors import (
    AccessDeniedError,
    ConfigError,
    IndexCorruptError,
    InvalidInputError,
    LocalmemError,
    MemoryNotFoundError,
    ModelError,
    ModelNotFoundError,
    ModelOutputError,
    StorageError,
)
from .llm import LLM, FakeLLM, LlamaCppLLM
from .memory import Memory
from .types import Action, HistoryEntry, MemoryEvent, MemoryItem, SearchResults

__version__ = "0.1.0"

__all__ = [
    "Memory",
    "MemClient",
    "MemoryConfig",
    "LLMConfig",
    "EmbedderConfig",
    "VectorStoreConfig",
    "MemoryItem",
    "MemoryEvent",
    "HistoryEntry",
    "SearchResults",
    "Action",
    "LLM",
    "LlamaCppLLM",
    "FakeLLM",
    "Embedder",
    "SentenceTransformerEmbedder",
    "HashEmbedder",
    "LocalmemError",
    "ConfigError",
    "ModelNotFoundError",
    "InvalidInputError",
    "MemoryNotFoundError",
    "AccessDeniedError",
    "ModelError",
    "ModelOutputError",
    "StorageError",
    "IndexCorruptError",
    "__version__",
]
