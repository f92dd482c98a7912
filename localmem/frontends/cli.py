"""The ``localmem`` command: a thin shell over ``Memory``; tables for people, ``--json`` for scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import click

from localmem.frontends.chat_import.command import import_chats
from localmem.errors import InvalidInputError
from localmem.frontends.cli_common import (
    HOME,
    CliState,
    LocalmemGroup,
    emit_json,
    env_help,
    key_file_option,
    pass_state,
    table,
)
from localmem.frontends.cli_crypt import crypt_commands
from localmem.frontends.cli_migrate import migrate
from localmem.frontends.cli_models import models
from localmem.frontends.cli_server import keys, mcp, serve, ui
from localmem.memory import Memory
from localmem.paths import private_file
from localmem.types import HistoryEntry, MemoryEvent, MemoryItem

__all__ = ["cli", "main"]


class JsonParam(click.ParamType):
    """A JSON object given on the command line."""

    name = "json"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, dict):
            return value
        try:
            parsed = json.loads(value)
        except ValueError as exc:
            self.fail(f"not JSON ({exc}); quote it like '{{\"key\": \"value\"}}'", param, ctx)
        if not isinstance(parsed, dict):
            self.fail("must be a JSON object like '{\"key\": \"value\"}'", param, ctx)
        return parsed


JSON_OBJECT = JsonParam()


def scope_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--user / --agent / --run."""
    func = click.option("--run", "run_id", help="Run (session) id of the scope.")(func)
    func = click.option("--agent", "agent_id", help="Agent id of the scope.")(func)
    func = click.option(
        "--user", "user_id", help="User id of the scope (default: $LOCALMEM_USER or 'default')."
    )(func)
    return func


@click.group(cls=LocalmemGroup, epilog=env_help())
@click.option(
    "--home",
    type=HOME,
    help="Home directory holding the memory database and indexes (default: $LOCALMEM_HOME "
    "or the platform's data folder), or a postgresql:// URL of a shared store.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts instead of tables.")
@key_file_option
@click.version_option(package_name="localmem", help="Show the version and exit.")
@click.help_option(help="Show this message and exit.")
@click.pass_context
def cli(ctx: click.Context, home: Path | str | None, as_json: bool) -> None:
    """localmem: long-term memory for AI agents, fully local and offline."""
    ctx.obj = CliState(as_json=as_json)
    ctx.obj.place(home)


# --- output ---------------------------------------------------------------------------------


def show_items(state: CliState, items: Sequence[MemoryItem], empty: str, scores: bool = False,
               validity: bool = False) -> None:
    if state.as_json:
        emit_json([item.model_dump(mode="json") for item in items])
    elif not items:
        click.echo(empty)
    elif scores:
        table(["ID", "SCORE", "KIND", "TEXT"], ([i.id, f"{i.score:.3f}", i.kind, i.text] for i in items))
    elif validity:  # when each fact held; an empty UNTIL: it still does
        table(["ID", "USER", "FROM", "UNTIL", "TEXT"],
              ([i.id, i.user_id, _day(i.valid_from), _day(i.valid_to), i.text] for i in items))
    else:
        table(["ID", "USER", "UPDATED", "TEXT"],
              ([i.id, i.user_id, f"{i.updated_at:%Y-%m-%d %H:%M}", i.text] for i in items))


def show_events(state: CliState, events: Sequence[MemoryEvent]) -> None:
    if state.as_json:
        emit_json([e.model_dump(mode="json") for e in events])
    elif not events:
        click.echo("nothing to remember")
    else:
        table(["EVENT", "ID", "TEXT"], ([e.event.value, e.id, e.text] for e in events))


def show_history(state: CliState, entries: Sequence[HistoryEntry]) -> None:
    if state.as_json:
        emit_json([e.model_dump(mode="json") for e in entries])
    else:
        table(["WHEN", "MEMORY", "EVENT", "ACTOR", "OLD", "NEW"],
              ([f"{e.created_at:%Y-%m-%d %H:%M:%S}", e.memory_id, e.event.value, e.actor,
                e.old_text, e.new_text] for e in entries))


def _day(when: Any) -> str:
    return f"{when:%Y-%m-%d %H:%M}" if when is not None else ""


# --- commands ---------------------------------------------------------------------------------


@cli.command()
@click.argument("text", required=False)
@click.option("--file", "file", type=click.File("r", encoding="utf-8"),
              help="Read JSON messages ([{\"role\": ..., \"content\": ...}], one message, or a "
              "string) from this file; '-' reads stdin.")
@scope_options
@click.option("--metadata", type=JSON_OBJECT, help="Metadata to store, as a JSON object.")
@click.option("--no-infer", is_flag=True, help="Store the text verbatim instead of extracting facts.")
@click.option("--timestamp", help="When it was said (ISO 8601 or epoch seconds; default now).")
@pass_state
def add(state: CliState, text: str | None, file: Any, user_id: str | None, agent_id: str | None,
        run_id: str | None, metadata: dict[str, Any] | None, no_infer: bool,
        timestamp: str | None) -> None:
    """Remember TEXT, or the JSON messages given with --file."""
    if (text is None) == (file is None):
        raise click.UsageError("give TEXT or --file (not both)")
    messages: Any = text
    if file is not None:
        try:
            messages = json.load(file)
        except ValueError as exc:
            raise InvalidInputError(f"{file.name} is not JSON ({exc}); give a list of messages") from None
    events = state.memory().add(
        messages, user_id=user_id, agent_id=agent_id, run_id=run_id, metadata=metadata,
        infer=not no_infer, timestamp=timestamp,
    )
    show_events(state, events)


@cli.command()
@click.argument("query")
@scope_options
@click.option("--limit", default=5, show_default=True, type=int, help="How many results at most.")
@click.option("--threshold", type=float, help="Leave out results scoring below this.")
@click.option("--max-words", type=int,
              help="Context budget: the best results whose texts fit in this many words.")
@click.option("--filters", type=JSON_OBJECT, help="Exact-match metadata filters, as a JSON object.")
@click.option("--as-of", help="Answer with the facts that held then (ISO 8601 or epoch seconds).")
@click.option("--rerank/--no-rerank", default=None,
              help="Let the local model reorder the best results (slower; default: the "
                   "config's, off).")
@pass_state
def search(state: CliState, query: str, user_id: str | None, agent_id: str | None,
           run_id: str | None, limit: int, threshold: float | None, max_words: int | None,
           filters: dict[str, Any] | None, as_of: str | None, rerank: bool | None) -> None:
    """Find the current memories most relevant to QUERY, best first."""
    results = state.memory().search(query, user_id=user_id, agent_id=agent_id, run_id=run_id,
                                    limit=limit, threshold=threshold, filters=filters,
                                    max_words=max_words, as_of=as_of, rerank=rerank)
    if results.rerank_error:
        click.echo(f"warning: {results.rerank_error}", err=True)
    show_items(state, results, "no memories match", scores=True)


@cli.command(name="list")
@scope_options
@click.option("--limit", default=100, show_default=True, type=int, help="How many memories at most.")
@click.option("--filters", type=JSON_OBJECT, help="Exact-match metadata filters, as a JSON object.")
@click.option("--include-ended", is_flag=True, help="Also list the facts that stopped holding.")
@click.option("--as-of", help="List the facts that held then (ISO 8601 or epoch seconds).")
@pass_state
def list_memories(state: CliState, user_id: str | None, agent_id: str | None, run_id: str | None,
                  limit: int, filters: dict[str, Any] | None, include_ended: bool,
                  as_of: str | None) -> None:
    """List the current memories of a scope, newest first."""
    items = state.memory().get_all(user_id=user_id, agent_id=agent_id, run_id=run_id,
                                   limit=limit, filters=filters, include_ended=include_ended,
                                   as_of=as_of)
    show_items(state, items, "no memories", validity=include_ended or as_of is not None)


@cli.command()
@click.argument("memory_id")
@pass_state
def get(state: CliState, memory_id: str) -> None:
    """Show one memory by MEMORY_ID (a negative id is a stored raw message)."""
    item = state.memory().get(memory_id)
    if state.as_json:
        emit_json(item.model_dump(mode="json"))
        return
    for key, value in item.model_dump(exclude={"score"}).items():
        if isinstance(value, dict):
            value = json.dumps(value, ensure_ascii=False)
        click.echo(f"{key + ':':<20}{value}")


@cli.command()
@click.argument("memory_id")
@click.argument("text")
@click.option("--metadata", type=JSON_OBJECT, help="Replace the metadata with this JSON object.")
@pass_state
def update(state: CliState, memory_id: str, text: str, metadata: dict[str, Any] | None) -> None:
    """Replace the text of memory MEMORY_ID with TEXT (history keeps the old text)."""
    show_events(state, [state.memory().update(memory_id, text, metadata)])


@cli.command()
@click.argument("memory_id")
@pass_state
def delete(state: CliState, memory_id: str) -> None:
    """Erase memory MEMORY_ID for good: its text, history, source messages and vectors."""
    state.memory().delete(memory_id)
    if state.as_json:
        emit_json({"deleted": int(memory_id)})
    else:
        click.echo(f"deleted {memory_id}")


@cli.command(name="delete-all")
@scope_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_state
def delete_all(state: CliState, user_id: str | None, agent_id: str | None, run_id: str | None,
               yes: bool) -> None:
    """Erase every memory and stored message of a scope (give --user, --agent or --run)."""
    if user_id is None and agent_id is None and run_id is None:
        raise click.UsageError("give --user, --agent or --run: the scope to erase")
    scope = ", ".join(f"{k}={v}" for k, v in
                      (("user", user_id), ("agent", agent_id), ("run", run_id)) if v is not None)
    if not yes:
        click.confirm(f"Erase every memory of {scope}? This cannot be undone", abort=True)
    count = state.memory().delete_all(user_id=user_id, agent_id=agent_id, run_id=run_id)
    if state.as_json:
        emit_json({"deleted": count})
    else:
        click.echo(f"deleted {count} memories of {scope}")


@cli.command()
@click.argument("memory_id")
@pass_state
def history(state: CliState, memory_id: str) -> None:
    """Show every ADD / UPDATE / DELETE of memory MEMORY_ID, oldest first."""
    show_history(state, state.memory().history(memory_id))


@cli.command(name="export")
@click.option("--output", "-o", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              default="-", help="File to write the JSON Lines to ('-', the default, is stdout); "
              "it is made readable by you only.")
# not scope_options: its --user defaults to $LOCALMEM_USER, while no scope here means everyone
@click.option("--user", "--user-id", "user_id",
              help="Export only this user's data (default: every user's).")
@click.option("--agent", "--agent-id", "agent_id", help="Export only this agent's data.")
@click.option("--run", "--run-id", "run_id", help="Export only this run's (session's) data.")
@click.option("--encrypt/--plaintext", default=None, help="Seal the export with the home's key "
              "(the default for an encrypted home), or write it in plaintext.")
@pass_state
def export_cmd(state: CliState, output: Path, user_id: str | None, agent_id: str | None,
               run_id: str | None, encrypt: bool | None) -> None:
    """Write every memory, message and history row as JSON Lines (ids and timestamps kept).

    With --user / --agent / --run, only that scope's rows, matched exactly as in search.
    """
    from localmem.frontends.transfer import export_lines
    from localmem.storage.crypt_export import sealing_key, sealed_by_default

    memory = state.memory()
    key = sealing_key(memory.home) if sealed_by_default(memory.home, encrypt) else None
    lines = export_lines(memory, user_id=user_id, agent_id=agent_id, run_id=run_id, key=key)
    to_stdout = str(output) == "-"
    try:
        sink = (nullcontext(sys.stdout) if to_stdout
                else private_file(output).open("w", encoding="utf-8"))
    except OSError as exc:
        raise click.FileError(str(output), hint=exc.strerror or str(exc)) from None
    count = 0
    with sink as stream:
        for line in lines:
            stream.write(line + "\n")
            count += 1
    if not to_stdout:
        what = f"{count - 1} records" if key is None else f"{count - 1} sealed blocks"
        click.echo(f"exported {what} to {output}", err=True)


@cli.command(name="import")
@click.argument("source", type=click.File("r", encoding="utf-8"))
@click.option("--replace", is_flag=True, help="Overwrite records whose ids already exist here.")
@pass_state
def import_cmd(state: CliState, source: Any, replace: bool) -> None:
    """Load an export (JSON Lines from SOURCE, '-' for stdin) with the same ids and timestamps."""
    from localmem.frontends.transfer import import_lines

    lines = source.readlines()
    memory = state.memory()
    with click.progressbar(lines, label="importing", file=sys.stderr,
                           show_pos=True) as bar:
        report = import_lines(memory, bar, replace=replace)
    summary = {"messages": report.messages, "memories": report.memories,
               "history": report.history, "replaced": len(report.replaced)}
    if state.as_json:
        emit_json(summary)
    else:
        click.echo(", ".join(f"{v} {k}" for k, v in summary.items()))


@cli.command()
@pass_state
def stats(state: CliState) -> None:
    """Show counts per user, the index sizes and the models in use."""
    memory = state.memory()
    stored = memory.stats()
    llm = memory.config.llm
    info = {
        "home": str(memory.home),
        "scopes": [s.model_dump() for s in stored.scopes],
        "index": stored.index.model_dump(exclude={"files"}),
        "models": {
            "llm": llm.provider if llm.provider == "fake" else (llm.model or _default_name("llm", memory)),
            "embedder": type(memory.embedder).__name__,
            "dims": memory.embedder.dims,
        },
    }
    if state.as_json:
        emit_json(info)
        return
    click.echo(f"home: {info['home']}")
    table(["USER", "AGENT", "RUN", "MEMORIES", "MESSAGES"],
          ([s["user_id"], s["agent_id"], s["run_id"], s["memories"], s["messages"]]
           for s in info["scopes"]))
    index = info["index"]
    click.echo(f"index: {index['facts']} fact vectors, {index['messages']} message vectors, "
               f"{index['bytes']:,} bytes on disk")
    m = info["models"]
    click.echo(f"models: llm {m['llm']}; embedder {m['embedder']} ({m['dims']} dims)")


def _default_name(kind: str, memory: Memory) -> str:
    from localmem.models.locate import default_model_name

    return default_model_name(kind, memory.home)


@cli.command()
@click.option("--user", "user_id", help="Who you are: memories are kept per user "
              "(default: $LOCALMEM_USER or 'default').")
@click.option("--model", help="GGUF file path or catalog name of the chat model "
              "(default: the one chosen with `localmem models use`).")
@click.option("--no-memory-display", is_flag=True, help="Do not show the memories recalled each turn.")
@click.option("--limit", default=5, show_default=True, type=click.IntRange(1, 50),
              help="How many memories to recall each turn.")
@click.option("--max-tokens", default=256, show_default=True, type=click.IntRange(8, 4096),
              help="Longest reply, in tokens.")
@pass_state
def chat(state: CliState, user_id: str | None, model: str | None, no_memory_display: bool,
         limit: int, max_tokens: int) -> None:
    """Chat with the local model; it remembers you across sessions. /help inside lists commands."""
    from localmem.frontends.chat import ChatSession, run_chat

    memory = state.memory(model=model)
    user = user_id or memory.config.default_user_id
    run_chat(ChatSession(memory, user, limit=limit, max_tokens=max_tokens),
             show_memories=not no_memory_display)


for group in (models, serve, ui, keys, mcp, *crypt_commands):
    cli.add_command(group)
cli.add_command(import_chats)
cli.add_command(migrate)


def main() -> None:
    """Entry point of the ``localmem`` script."""
    cli(prog_name="localmem")


if __name__ == "__main__":
    main()
