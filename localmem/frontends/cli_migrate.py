"""``localmem migrate --to postgresql://...``: copy a home's store into PostgreSQL.

The copy goes through the export format (``transfer.export_lines`` / ``import_lines``), so the
same checks an import makes apply and ids, timestamps, history and provenance travel as they
are; it is one transaction on the target, which must not hold those ids yet. The other way,
``localmem --home postgresql://... export`` and ``localmem import`` into a folder.
"""

from __future__ import annotations

import click

from localmem.frontends.cli_common import (
    CliState, LocalmemCommand, emit_json, pass_state, postgres_store,
)

__all__ = ["migrate"]


@click.command(cls=LocalmemCommand)
@click.option("--to", "target", required=True, metavar="URL",
              help="The PostgreSQL database to copy into: postgresql://user@host:port/database "
              "(it needs the pgvector extension, or the right to create it).")
@click.option("--replace", is_flag=True,
              help="Overwrite rows of the target that have the same ids.")
@pass_state
def migrate(state: CliState, target: str, replace: bool) -> None:
    """Copy every memory, raw message and history row of the home into PostgreSQL.

    The source is --home (a folder); the home keeps its copy. Afterwards use
    `localmem --home URL ...` (or VectorStoreConfig(provider="postgres", url=URL)).
    """
    from localmem.frontends.transfer import export_lines, import_lines
    from localmem.memory import Memory
    from localmem.storage.postgres import redact

    source = state.memory()
    config = source.config.model_copy(update={"vector_store": postgres_store(target)})
    into = Memory(config, llm=source.llm, embedder=source.embedder)
    try:
        report = import_lines(into, export_lines(source), replace=replace)
    finally:
        into.close()
    if state.as_json:
        emit_json({"to": redact(target), "messages": report.messages,
                   "memories": report.memories, "history": report.history,
                   "replaced": report.replaced})
        return
    click.echo(f"copied {report.memories} memories, {report.messages} raw messages and "
               f"{report.history} history rows into {redact(target)}")
