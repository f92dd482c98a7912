"""``localmem mcp``: an MCP server on stdio for desktop agents, over one home directory.

Tools: ``add_memory``, ``search_memories``, ``list_memories``, ``delete_memory``. Each returns
mem0-shaped dicts; a ``LocalmemError`` comes back as a tool error carrying its message, so the
agent can read what to fix.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from localmem.errors import LocalmemError

if TYPE_CHECKING:
    from localmem.memory import Memory

__all__ = ["build_mcp", "run_mcp", "TOOL_NAMES"]

TOOL_NAMES = ("add_memory", "search_memories", "list_memories", "delete_memory")
INSTRUCTIONS = (
    "Long-term memory that stays on this machine. Call add_memory with what the user tells you "
    "about themselves, search_memories before answering, and delete_memory when asked to forget."
)

T = TypeVar("T")


def _sdk() -> tuple[Any, type[Exception]]:
    """The server class and tool-error class of the installed ``mcp`` SDK (2.x, else 1.x)."""
    try:
        from mcp.server.mcpserver import MCPServer
        from mcp.server.mcpserver.exceptions import ToolError
    except ImportError:  # mcp 1.x named it FastMCP
        from mcp.server.fastmcp import FastMCP as MCPServer
        from mcp.server.fastmcp.exceptions import ToolError
    return MCPServer, ToolError


def build_mcp(memory: Memory) -> Any:
    """An MCP server whose tools act on ``memory``."""
    server_cls, tool_error = _sdk()
    server = server_cls("localmem", instructions=INSTRUCTIONS)

    def guarded(call: Callable[[], T]) -> T:
        try:
            return call()
        except LocalmemError as exc:
            raise tool_error(f"{type(exc).__name__}: {exc}") from exc

    @server.tool()
    def add_memory(
        text: str,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        infer: bool = True,
    ) -> dict[str, Any]:
        """Remember something the user said. Returns what was added, updated or already known."""
        events = guarded(lambda: memory.add(text, user_id=user_id, agent_id=agent_id,
                                            run_id=run_id, metadata=metadata, infer=infer))
        return {"results": [e.to_dict() for e in events]}

    @server.tool()
    def search_memories(
        query: str,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        limit: int = 5,
        max_words: int | None = None,
    ) -> dict[str, Any]:
        """Find the stored memories most relevant to a question, best first.

        max_words: a context budget; the best memories whose texts fit in that many words.
        """
        results = guarded(lambda: memory.search(query, user_id=user_id, agent_id=agent_id,
                                                run_id=run_id, limit=limit, max_words=max_words))
        return results.to_dict()

    @server.tool()
    def list_memories(
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        limit: int = 100,
    ) -> dict[str, Any]:
        """List a user's memories, newest first."""
        results = guarded(lambda: memory.get_all(user_id=user_id, agent_id=agent_id,
                                                 run_id=run_id, limit=limit))
        return results.to_dict()

    @server.tool()
    def delete_memory(memory_id: int) -> dict[str, Any]:
        """Forget one memory by id (its text, history and source messages are erased)."""
        guarded(lambda: memory.delete(memory_id))
        return {"deleted": memory_id}

    return server


def run_mcp(home: Path | None = None, memory: Memory | None = None) -> None:
    """Serve the MCP tools on stdin/stdout until the client disconnects.

    Raises:
        ConfigError, StorageError: the memory in ``home`` cannot be opened.
    """
    owns = memory is None
    if memory is None:
        from localmem.memory import Memory

        memory = Memory(path=home)
    try:
        build_mcp(memory).run("stdio")
    finally:
        if owns:
            memory.close()
