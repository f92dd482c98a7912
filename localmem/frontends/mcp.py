"""``localmem mcp``: an MCP server on stdio for one user's desktop agents, over one home directory.

Tools: ``add_memory``, ``search_memories``, ``list_memories``, ``delete_memory``. Each returns
mem0-shaped dicts; a ``LocalmemError`` comes back as a tool error carrying its message, so the
agent can read what to fix. A server is bound to one user: a call naming another ``user_id`` is
refused (``AccessDeniedError``) and ids of other users' memories are not found; ``agent_id`` and
``run_id`` narrow the scope within that user.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from localmem.errors import AccessDeniedError, LocalmemError, MemoryNotFoundError
from localmem.validate import scope_value

if TYPE_CHECKING:
    from localmem.memory import Memory

__all__ = ["build_mcp", "run_mcp", "TOOL_NAMES"]

TOOL_NAMES = ("add_memory", "search_memories", "list_memories", "delete_memory")
INSTRUCTIONS = (
    "Long-term memory of one user that stays on this machine (user_id may be left out). Call "
    "add_memory with what the user tells you about themselves, search_memories before "
    "answering, and delete_memory when asked to forget."
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


class _Owner:
    """The one user an MCP server serves: every tool call is checked against it."""

    def __init__(self, memory: Memory, user_id: str | None, tool_error: type[Exception]) -> None:
        self.memory = memory
        self.user_id = scope_value(user_id or memory.config.default_user_id, "user_id")
        self.tool_error = tool_error

    def scope(self, user_id: str | None, agent_id: str | None, run_id: str | None) -> dict[str, Any]:
        """The call's scope, always within the bound user.

        Raises:
            AccessDeniedError: ``user_id`` names another user.
        """
        if user_id is not None and user_id != self.user_id:
            raise AccessDeniedError(
                f"this MCP server serves user {self.user_id!r} only, not {user_id!r:.60}; leave "
                "user_id out, or start a server for that user with `localmem mcp --user USER`"
            )
        return {"user_id": self.user_id, "agent_id": agent_id, "run_id": run_id}

    def own(self, memory_id: int) -> int:
        """``memory_id``, if that memory is the bound user's.

        Raises:
            MemoryNotFoundError: this user has no memory with that id (others' stay unseen).
        """
        if self.memory.get(memory_id).user_id != self.user_id:
            raise MemoryNotFoundError(f"user {self.user_id!r} has no memory {memory_id}")
        return memory_id

    def run(self, call: Callable[[], T]) -> T:
        """``call()``; a ``LocalmemError`` becomes a tool error carrying its name and message."""
        try:
            return call()
        except LocalmemError as exc:
            raise self.tool_error(f"{type(exc).__name__}: {exc}") from exc


def build_mcp(memory: Memory, user_id: str | None = None) -> Any:
    """An MCP server whose tools act on ``user_id``'s memories only (default: the default user).

    Raises:
        InvalidInputError: ``user_id`` is not a valid id.
    """
    server_cls, tool_error = _sdk()
    server = server_cls("localmem", instructions=INSTRUCTIONS)
    owner = _Owner(memory, user_id, tool_error)

    @server.tool()
    def add_memory(
        text: str,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        infer: bool = True,
    ) -> dict[str, Any]:
        """Remember what the user said; returns what was added, updated or already known."""
        scope = owner.run(lambda: owner.scope(user_id, agent_id, run_id))
        events = owner.run(lambda: memory.add(text, **scope, metadata=metadata, infer=infer))
        return {"results": [e.to_dict() for e in events]}

    @server.tool()
    def search_memories(
        query: str,
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        limit: int = 5,
        max_words: int | None = None,
        as_of: str | None = None,
    ) -> dict[str, Any]:
        """The current memories most relevant to a question, best first; max_words caps their
        words; as_of (ISO 8601) answers with what held then instead."""
        scope = owner.run(lambda: owner.scope(user_id, agent_id, run_id))
        return owner.run(lambda: memory.search(query, **scope, limit=limit, max_words=max_words,
                                               as_of=as_of)).to_dict()

    @server.tool()
    def list_memories(
        user_id: str | None = None,
        agent_id: str | None = None,
        run_id: str | None = None,
        limit: int = 100,
        include_ended: bool = False,
    ) -> dict[str, Any]:
        """List the user's current memories, newest first (agent_id / run_id narrow the list;
        include_ended adds those that stopped holding)."""
        scope = owner.run(lambda: owner.scope(user_id, agent_id, run_id))
        return owner.run(lambda: memory.get_all(**scope, limit=limit,
                                                include_ended=include_ended)).to_dict()

    @server.tool()
    def delete_memory(memory_id: int) -> dict[str, Any]:
        """Forget one memory by id (its text, its other versions, their history and source
        messages are erased)."""
        owner.run(lambda: memory.delete(owner.own(memory_id)))
        return {"deleted": memory_id}

    return server


def run_mcp(
    home: Path | None = None, memory: Memory | None = None, user_id: str | None = None
) -> None:
    """Serve ``user_id``'s memories (default: the default user) on stdin/stdout until disconnected.

    Raises:
        ConfigError, StorageError: the memory in ``home`` cannot be opened.
        InvalidInputError: ``user_id`` is not a valid id.
    """
    owns = memory is None
    if memory is None:
        from localmem.memory import Memory

        memory = Memory(path=home)
    try:
        build_mcp(memory, user_id).run("stdio")
    finally:
        if owns:
            memory.close()
