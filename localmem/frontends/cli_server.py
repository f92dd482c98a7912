"""CLI commands for the server side: ``localmem serve``, ``localmem keys ...``, ``localmem mcp``.

``cli.py`` adds them to the root group (``cli.add_command``); they read the root's ``--home``,
``--json`` and provider variables through ``CliState``, and accept ``--home`` themselves too.
"""

from __future__ import annotations

import click

from localmem.frontends.cli_common import (
    CliState,
    LocalmemCommand,
    LocalmemGroup,
    emit_json,
    home_option,
    json_option,
    pass_state,
    table,
)

__all__ = ["serve", "ui", "keys", "mcp"]

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


@click.command(cls=LocalmemCommand)
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
@click.option("--chat-queue", type=int, default=None,
              help="Chat exchanges that may wait to be turned into memories (default 64); past "
                   "that, an exchange is stored verbatim at once.")
@click.option("--upstream", default=None, metavar="URL",
              help="Generate /v1/chat/completions replies with another local OpenAI-compatible "
                   "server (e.g. http://127.0.0.1:8080/v1) instead of the local model.")
@home_option
@pass_state
def serve(state: CliState, host: str, port: int, max_add_chars: int | None,
          rate_limit: float | None, max_concurrent: int | None, chat_queue: int | None,
          upstream: str | None) -> None:
    """Start the REST server (OpenAPI spec at /openapi.json) and the OpenAI-compatible chat at
    /v1/chat/completions; every request needs an API key."""
    from urllib.parse import urlsplit

    from localmem.frontends.rest import ServerOptions, serve as run_server

    if host not in _LOOPBACK:
        click.echo(f"warning: listening on {host}; other machines can reach this server", err=True)
    if upstream and urlsplit(upstream).hostname not in _LOOPBACK:
        click.echo(f"warning: chats go to {upstream}, which is not this machine", err=True)
    options = ServerOptions.of(max_add_chars=max_add_chars, rate=rate_limit,
                               max_concurrent=max_concurrent, chat_record_queue=chat_queue,
                               upstream=upstream)
    run_server(host=host, port=port, home=state.home, options=options, memory=state.memory())


@click.command(cls=LocalmemCommand)
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="TCP port on 127.0.0.1 (0: any free port).")
@home_option
@pass_state
def ui(state: CliState, port: int) -> None:
    """Start the server on 127.0.0.1 and open the dashboard in the browser."""
    import webbrowser

    from localmem.frontends.rest import create_app
    from localmem.frontends.rest.ui import Listening

    listening = Listening("127.0.0.1", port)  # first: a taken port fails before models load
    app = create_app(state.home, memory=state.memory())
    click.echo(f"dashboard at {listening.url} (Ctrl-C stops it); sign in with an API key from "
               "`localmem keys create --user USER`")
    listening.run(app, on_listening=webbrowser.open)


@click.group(cls=LocalmemGroup)
def keys() -> None:
    """Create, list and revoke API keys for the REST server."""


@keys.command("create")
@click.option("--user", "user_id", default=None,
              help="Bind the key to this user_id: it then reaches only that user's memories.")
@click.option("--admin", is_flag=True,
              help="Make a key that reaches every user's memories (instead of --user).")
@click.option("--label", default="", help="A note to recognise the key by in `keys list`.")
@home_option
@pass_state
def keys_create(state: CliState, user_id: str | None, admin: bool, label: str) -> None:
    """Create a key and print it once; only its hash is stored. Give --user U or --admin."""
    from localmem.storage.keys import create_key

    if admin == (user_id is not None):
        raise click.UsageError(
            "give --user USER (a key for that user's memories) or --admin (a key for every "
            "user's memories), not both or neither"
        )
    key = create_key(user_id, home=state.home, label=label, admin=admin)
    click.echo(key)
    bound = f"bound to user {user_id!r}" if user_id else "an admin key (every user's memories)"
    click.echo(f"Save this key now: it is {bound} and will not be shown again.", err=True)


@keys.command("list")
@click.option("--all", "include_revoked", is_flag=True, help="Also show revoked keys.")
@home_option
@json_option
@pass_state
def keys_list(state: CliState, include_revoked: bool) -> None:
    """List keys by id, with the user each reaches or ADMIN (secrets are never shown)."""
    from localmem.storage.keys import list_keys

    records = list_keys(home=state.home, include_revoked=include_revoked)
    if state.as_json:
        emit_json([{"key_id": r.key_id, "user_id": r.user_id, "admin": r.user_id is None,
                    "label": r.label, "created_at": r.created_at, "revoked_at": r.revoked_at}
                   for r in records])
    elif not records:
        click.echo("no keys; create one with `localmem keys create --user USER`")
    else:
        table(["KEY ID", "ACCESS", "CREATED", "STATUS", "LABEL"],
              ([r.key_id, f"user={r.user_id}" if r.user_id is not None else "ADMIN (every user)",
                r.created_at, f"revoked {r.revoked_at}" if r.revoked_at else "active", r.label]
               for r in records))


@keys.command("revoke")
@click.argument("key_id")
@home_option
@pass_state
def keys_revoke(state: CliState, key_id: str) -> None:
    """Revoke the key with KEY_ID (as shown by `keys list`); it stops working at once."""
    from localmem.storage.keys import revoke

    if not revoke(key_id, home=state.home):
        raise click.ClickException(f"no active key has id {key_id!r}; see `localmem keys list`")
    click.echo(f"revoked {key_id}")


@click.command(cls=LocalmemCommand)
@click.option("--user", "user_id", default=None,
              help="The one user whose memories the server reaches (default: $LOCALMEM_USER "
              "or 'default'); calls naming another user are refused.")
@home_option
@pass_state
def mcp(state: CliState, user_id: str | None) -> None:
    """Run an MCP server on stdio (add/search/list/delete tools) for one user's desktop agents."""
    from localmem.frontends.mcp import run_mcp

    memory = state.memory()
    run_mcp(memory=memory, user_id=user_id or memory.config.default_user_id)
