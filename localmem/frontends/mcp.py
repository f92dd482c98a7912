"""``localmem mcp``: an MCP server on stdio for one user's desktop agents, over one home directory.

Tools: ``add_memory``, ``search_memories``, ``list_memories``, ``delete_memory``. Each returns
mem0-shaped dicts; a ``LocalmemError`` comes back as a tool error carrying its message, so the
agent can read what to fix. Each tool's arguments are one pydantic model (``TOOL_ARGUMENTS``):
its schema is the tool's input schema, and every call is checked against it strictly before the
SDK sees it (a wrong JSON type, an unknown argument or a value out of range is an
``InvalidInputError`` naming the argument; nothing is stored). A server is bound to one user: a call naming another ``user_id`` is
refused (``AccessDeniedError``) and ids of other users' memories are not found; ``agent_id`` and
``run_id`` narrow the scope within that user.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema

from localmem.errors import AccessDeniedError, InvalidInputError, LocalmemError, MemoryNotFoundError
from localmem.validate import MAX_ID_CHARS, MAX_TEXT_CHARS, scope_value

if TYPE_CHECKING:
    from localmem.memory import Memory

__all__ = ["build_mcp", "run_mcp", "TOOL_NAMES", "TOOL_ARGUMENTS", "check_arguments"]

INSTRUCTIONS = (
    "Long-term memory of one user that stays on this machine (user_id may be left out). Call "
    "add_memory with what the user tells you about themselves, search_memories before "
    "answering, and delete_memory when asked to forget."
)
SEARCH_LIMIT = 1000  # Memory.search's largest limit
LIST_LIMIT = 1_000_000  # Memory.get_all's

T = TypeVar("T")
ScopeId = Annotated[str | None, Field(min_length=1, max_length=MAX_ID_CHARS)]
Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS)]


class _Arguments(BaseModel):
    """A tool's arguments as the agent sent them: strict JSON types (no "5" for 5, no "yes"
    for true) and no argument the tool does not define."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class _Scoped(_Arguments):
    user_id: ScopeId = Field(None, description="the server's user (may be left out)")
    agent_id: ScopeId = Field(None, description="narrow to one agent's memories")
    run_id: ScopeId = Field(None, description="narrow to one run's (session's) memories")


class AddMemoryArguments(_Scoped):
    text: Text = Field(description="what the user said, in their words")
    metadata: dict[str, Any] | None = Field(None, description="a JSON object stored with it")
    infer: bool = Field(True, description="false: store the text as is, without the model")


class SearchMemoriesArguments(_Scoped):
    query: Text = Field(description="the question to find memories for")
    limit: int = Field(5, ge=1, le=SEARCH_LIMIT, description="most memories returned")
    max_words: int | None = Field(None, ge=1, le=1_000_000,
                                  description="the best memories whose texts fit in this many words")
    as_of: str | None = Field(None, max_length=64,
                              description="ISO 8601 time: answer with the memories that held then")
    rerank: bool | None = Field(None, description="true: the local model reorders the best "
                                "candidates first (seconds, not milliseconds); default: the config's")


class ListMemoriesArguments(_Scoped):
    limit: int = Field(100, ge=1, le=LIST_LIMIT, description="most memories returned")
    include_ended: bool = Field(False, description="also the memories that stopped holding")


class DeleteMemoryArguments(_Arguments):
    memory_id: int = Field(ge=-(2**62 - 1), le=2**62 - 1, description="the memory's id")


# One model per tool: the tool's input schema, and the check of every call's arguments.
TOOL_ARGUMENTS: dict[str, type[_Arguments]] = {
    "add_memory": AddMemoryArguments,
    "search_memories": SearchMemoriesArguments,
    "list_memories": ListMemoriesArguments,
    "delete_memory": DeleteMemoryArguments,
}
TOOL_NAMES = tuple(TOOL_ARGUMENTS)
_JSON_TYPES = {"int": "an integer", "bool": "true or false", "string": "a string",
               "dict": "a JSON object", "float": "a number"}


def check_arguments(tool: str, arguments: Any) -> _Arguments:
    """``arguments`` as ``tool``'s model, checked strictly.

    Raises:
        InvalidInputError: a wrong type, a value out of range, a missing or unknown argument;
            the message names each argument and what to send instead.
    """
    model = TOOL_ARGUMENTS[tool]
    try:
        return model.model_validate(arguments if isinstance(arguments, dict) else {})
    except ValidationError as exc:
        problems = "; ".join(_problem(model, e) for e in exc.errors(include_url=False))
        raise InvalidInputError(f"{tool}: {problems}") from None


def _problem(model: type[_Arguments], error: Any) -> str:
    name = str(error["loc"][0]) if error["loc"] else "arguments"
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        return (f"unknown argument {name!r:.60}; remove it (the arguments are "
                f"{', '.join(model.model_fields)})")
    if kind == "missing":
        return f"argument {name!r} is missing; send it"
    if kind == "string_too_long":
        return (f"argument {name!r} has {len(value):,} characters, more than "
                f"{error['ctx']['max_length']:,}; send a shorter one (split a long text into "
                "several calls)")
    if kind == "string_too_short":
        return f"argument {name!r} is empty; send some text"
    expected = _JSON_TYPES.get(kind.removesuffix("_type").removesuffix("_parsing"))
    if expected is not None:
        got = "null" if value is None else type(value).__name__
        return f"argument {name!r} must be {expected}, not {got} {_short(value)}; send {expected}"
    return f"argument {name!r}: {error['msg']}, not {_short(value)}; send a value in range"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}... ({len(text):,} characters)"


def _sdk() -> tuple[Any, type[Exception]]:
    """A server class over the installed ``mcp`` SDK (2.x, else 1.x) that checks each call's
    arguments against the tool's model before the SDK sees them (the SDK's own check converts
    loosely and drops unknown arguments), and the SDK's tool-error class."""
    try:
        from mcp.server.mcpserver import MCPServer as base
        from mcp.server.mcpserver.exceptions import ToolError
    except ImportError:  # mcp 1.x named it FastMCP
        from mcp.server.fastmcp import FastMCP as base
        from mcp.server.fastmcp.exceptions import ToolError

    class Server(base):  # type: ignore[misc, valid-type]
        async def call_tool(self, name: str, arguments: Any, *rest: Any, **options: Any) -> Any:
            if name in TOOL_ARGUMENTS:
                try:
                    checked = check_arguments(name, arguments)
                except InvalidInputError as exc:
                    # worded as the SDK words an error inside a tool, so every refusal reads alike
                    raise ToolError(f"Error executing tool {name}: InvalidInputError: {exc}") from exc
                # None is every optional argument's default; the SDK's model types text as str
                arguments = checked.model_dump(exclude_unset=True, exclude_none=True)
            return await super().call_tool(name, arguments, *rest, **options)

    return Server, ToolError


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

    def add_memory(args: AddMemoryArguments) -> dict[str, Any]:
        """Remember what the user said; returns what was added, updated or already known."""
        scope = owner.scope(args.user_id, args.agent_id, args.run_id)
        events = memory.add(args.text, **scope, metadata=args.metadata, infer=args.infer)
        return {"results": [e.to_dict() for e in events]}

    def search_memories(args: SearchMemoriesArguments) -> dict[str, Any]:
        """The current memories most relevant to a question, best first; max_words caps their
        words; as_of (ISO 8601) answers with what held then instead; rerank lets the local
        model reorder the best candidates (slow)."""
        scope = owner.scope(args.user_id, args.agent_id, args.run_id)
        return memory.search(args.query, **scope, limit=args.limit, max_words=args.max_words,
                             as_of=args.as_of, rerank=args.rerank).to_dict()

    def list_memories(args: ListMemoriesArguments) -> dict[str, Any]:
        """List the user's current memories, newest first (agent_id / run_id narrow the list;
        include_ended adds those that stopped holding)."""
        scope = owner.scope(args.user_id, args.agent_id, args.run_id)
        return memory.get_all(**scope, limit=args.limit,
                              include_ended=args.include_ended).to_dict()

    def delete_memory(args: DeleteMemoryArguments) -> dict[str, Any]:
        """Forget one memory by id (its text, its other versions, their history and source
        messages are erased)."""
        memory.delete(owner.own(args.memory_id))
        return {"deleted": args.memory_id}

    for body in (add_memory, search_memories, list_memories, delete_memory):
        server.add_tool(_tool(body, owner), name=body.__name__, description=body.__doc__)
    return server


def _tool(body: Callable[[Any], dict[str, Any]], owner: _Owner) -> Callable[..., dict[str, Any]]:
    """``body`` as the SDK calls a tool: keyword arguments, one per field of the tool's model
    (its signature, from which the SDK publishes the model's schema), checked again here so the
    body always gets its model; a ``LocalmemError`` becomes a tool error."""
    name = body.__name__
    model = TOOL_ARGUMENTS[name]
    schema = model.model_json_schema()["properties"]

    def tool(**arguments: Any) -> dict[str, Any]:
        return owner.run(lambda: body(check_arguments(name, arguments)))

    tool.__name__, tool.__doc__ = name, body.__doc__
    tool.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(field, inspect.Parameter.KEYWORD_ONLY,
                           default=inspect.Parameter.empty if info.is_required() else info.default,
                           annotation=Annotated[_passed_as(info.annotation),
                                                WithJsonSchema(schema[field])])
         for field, info in model.model_fields.items()],
        return_annotation=dict[str, Any])
    return tool


def _passed_as(annotation: Any) -> Any:
    """What the SDK's own (loose) argument model may do to an already-checked value: nothing.
    ``str`` for text (else it parses text that looks like JSON), ``Any`` for the rest."""
    return str if str in (get_args(annotation) or (annotation,)) else Any


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
