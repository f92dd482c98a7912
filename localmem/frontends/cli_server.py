"""CLI commands for the server side: ``localmem serve``, ``localmem keys ...``, ``localmem mcp``.

``cli.py`` registers them: ``main.add_command(serve)``, ``main.add_command(keys)``,
``main.add_command(mcp)``.
"""

from __future__ import annotations

from pathlib import Path

import click

from localmem.errors import LocalmemError

__all__ = ["serve", "keys", "mcp"]

_HOME_HELP = "Home directory holding the memories (default: $LOCALMEM_HOME or the user data dir)."
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _home_option(func):
    return click.option(
        "--home", type=click.Path(file_okay=False, path_type=Path), default=None, help=_HOME_HELP
    )(func)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; keep 127.0.0.1 unless other machines must connect.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535),
              help="TCP port to listen on.")
@click.option("--max-add-chars", type=int, default=None,
              help="Most characters of messages in one add (default 100000); more is refused (413).")
@click.option("--rate-limit", type=float, default=None,
              help="Requests a second per API key (default 20; 0 = no limit); more get 429.")
@click.option("--max-concurrent", type=int, default=None,
              help="Requests of one API key in flight at once (default 4); more get 429.")
@click.option("--upstream", default=None, metavar="URL",
              help="Generate /v1/chat/completions replies with another local OpenAI-compatible "
                   "server (e.g. http://127.0.0.1:8080/v1) instead of the local model.")
@_home_option
def serve(host: str, port: int, max_add_chars: int | None, rate_limit: float | None,
          max_concurrent: int | None, upstream: str | None, home: Path | None) -> None:
    """Start the REST server (OpenAPI spec at /openapi.json) and the OpenAI-compatible chat at
    /v1/chat/completions; every request needs an API key."""
    from urllib.parse import urlsplit

    from localmem.frontends.rest import ServerOptions, serve as run_server

    if host not in _LOOPBACK:
        click.echo(f"warning: listening on {host}; other machines can reach this server", err=True)
    if upstream and urlsplit(upstream).hostname not in _LOOPBACK:
        click.echo(f"warning: chats go to {upstream}, which is not this machine", err=True)
    try:
        options = ServerOptions.of(max_add_chars=max_add_chars, rate=rate_limit,
                                   max_concurrent=max_concurrent, upstream=upstream)
        run_server(host=host, port=port, home=home, options=options)
    except LocalmemError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
def keys() -> None:
    """Create, list and revoke API keys for the REST server."""


@keys.command("create")
@click.option("--user", "user_id", default=None,
              help="Bind the key to this user_id: it then reaches only that user's memories.")
@click.option("--label", default="", help="A note to recognise the key by in `keys list`.")
@_home_option
def keys_create(user_id: str | None, label: str, home: Path | None) -> None:
    """Create a key and print it once; only its hash is stored."""
    from localmem.storage.keys import create_key

    try:
        key = create_key(user_id, home=home, label=label)
    except LocalmemError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(key)
    bound = f"bound to user {user_id!r}" if user_id else "not bound to a user (full access)"
    click.echo(f"Save this key now: it is {bound} and will not be shown again.", err=True)


@keys.command("list")
@click.option("--all", "include_revoked", is_flag=True, help="Also show revoked keys.")
@_home_option
def keys_list(include_revoked: bool, home: Path | None) -> None:
    """List keys by id (secrets are never shown)."""
    from localmem.storage.keys import list_keys

    records = list_keys(home=home, include_revoked=include_revoked)
    if not records:
        click.echo("no keys; create one with `localmem keys create`")
    for r in records:
        state = f"revoked {r.revoked_at}" if r.revoked_at else "active"
        click.echo(f"{r.key_id}  user={r.user_id or '*'}  created={r.created_at}  {state}"
                   + (f"  {r.label}" if r.label else ""))


@keys.command("revoke")
@click.argument("key_id")
@_home_option
def keys_revoke(key_id: str, home: Path | None) -> None:
    """Revoke the key with KEY_ID (as shown by `keys list`); it stops working at once."""
    from localmem.storage.keys import revoke

    try:
        found = revoke(key_id, home=home)
    except LocalmemError as exc:
        raise click.ClickException(str(exc)) from exc
    if not found:
        raise click.ClickException(f"no active key has id {key_id!r}; see `localmem keys list`")
    click.echo(f"revoked {key_id}")


@click.command()
@_home_option
def mcp(home: Path | None) -> None:
    """Run an MCP server on stdio (add/search/list/delete tools) for desktop agents."""
    from localmem.frontends.mcp import run_mcp

    try:
        run_mcp(home)
    except LocalmemError as exc:
        raise click.ClickException(str(exc)) from exc
