"""What every ``localmem`` command shares: the state the root hands down, errors, output.

The root's ``--home`` and ``--json`` reach every subcommand through ``CliState``; a
subcommand's own ``--home`` / ``--json`` (``home_option``, ``json_option``) sets the same state,
so both spellings work and a group used on its own (``keys``, ``models``) still runs. A
``LocalmemError`` anywhere ends as one ``Error: ...`` line and exit status 1.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from localmem.config import (
    EmbedderConfig,
    EmbedderProvider,
    LLMConfig,
    LLMProvider,
    POSTGRES_SCHEMES,
    MemoryConfig,
    VectorStoreConfig,
    providers,
)
from localmem.errors import ConfigError, LocalmemError

if TYPE_CHECKING:
    from localmem.memory import Memory

__all__ = [
    "CliState",
    "LocalmemCommand",
    "LocalmemGroup",
    "pass_state",
    "home_option",
    "HOME",
    "postgres_store",
    "json_option",
    "key_file_option",
    "emit_json",
    "table",
    "env_help",
    "TEXT_WIDTH",
]

TEXT_WIDTH = 72
# Environment variables that choose a backend provider, and the Literal listing the choices.
PROVIDER_VARIABLES = {"LOCALMEM_LLM": LLMProvider, "LOCALMEM_EMBEDDER": EmbedderProvider}


@dataclass
class CliState:
    """What the root command hands its subcommands: where the home is, how to print."""

    home: Path | None = None
    as_json: bool = False
    url: str | None = None  # ``--home postgresql://...``: the store is that database
    _memory: Memory | None = field(default=None, repr=False)

    def place(self, home: Path | str | None) -> None:
        """``--home``'s value: a folder, or a PostgreSQL URL (the home stays the default)."""
        if isinstance(home, str):
            self.url = home
        elif home is not None:
            self.home = home

    def memory(self, model: str | None = None) -> Memory:
        """The ``Memory`` of the home, opened on first use and closed when the command ends.

        ``LOCALMEM_LLM`` / ``LOCALMEM_EMBEDDER`` choose the providers (e.g. the test backends).

        Raises:
            ConfigError: a provider variable holds an unknown value, or the memory cannot open.
        """
        if self._memory is None:
            from localmem.memory import Memory

            llm = LLMConfig(model=model, **_provider_from_env("LOCALMEM_LLM"))
            embedder = EmbedderConfig(**_provider_from_env("LOCALMEM_EMBEDDER"))
            store = {"vector_store": postgres_store(self.url)} if self.url else {}
            self._memory = Memory(MemoryConfig(llm=llm, embedder=embedder, **store),
                                  path=self.home)
            click.get_current_context().call_on_close(self._memory.close)
        return self._memory


def _provider_from_env(variable: str) -> dict[str, str]:
    """``{"provider": value}`` when ``variable`` is set, else ``{}`` (the config's default).

    Raises:
        ConfigError: the variable holds something that is not one of the providers.
    """
    given = os.environ.get(variable, "")
    choices = providers(PROVIDER_VARIABLES[variable])
    if not given:
        return {}
    if given not in choices:
        raise ConfigError(
            f"{variable}={given!r} is not understood; set it to one of {', '.join(choices)} "
            "or unset it"
        )
    return {"provider": given}


def env_help() -> str:
    """The environment section of ``localmem --help``; provider choices come from the config."""
    llm, embedder = (" | ".join(providers(t)) for t in PROVIDER_VARIABLES.values())
    return (
        "\b\nEnvironment:\n"
        "  LOCALMEM_HOME      the home directory (same as --home)\n"
        "  LOCALMEM_USER      the default user id\n"
        "  LOCALMEM_MODELS    the models folder (default: <home>/models)\n"
        f"  LOCALMEM_LLM       LLM provider: {llm} (fake: the scripted test model)\n"
        f"  LOCALMEM_EMBEDDER  embedder provider: {embedder} (hash: the test hasher)"
    )


class _UserErrors:
    """Turns a ``LocalmemError`` into one clear line and a non-zero exit, without a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)  # type: ignore[misc]
        except LocalmemError as exc:
            raise click.ClickException(str(exc)) from None


class LocalmemCommand(_UserErrors, click.Command):
    """A command whose ``LocalmemError`` is shown as one line."""


class LocalmemGroup(_UserErrors, click.Group):
    """A group whose commands and subgroups all show a ``LocalmemError`` as one line."""

    command_class = LocalmemCommand
    group_class = type  # subgroups are LocalmemGroups too


pass_state = click.make_pass_decorator(CliState, ensure=True)


def postgres_store(url: str) -> VectorStoreConfig:
    """Raises: ConfigError: not a PostgreSQL URL."""
    return VectorStoreConfig(provider="postgres", url=url)


class HomeParam(click.ParamType):
    """``--home``: a folder (as ``click.Path``), or a ``postgresql://`` URL kept as text."""

    name = "home"
    _folder = click.Path(file_okay=False, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and value.startswith(POSTGRES_SCHEMES):
            return value
        return self._folder.convert(value, param, ctx)


HOME = HomeParam()


def _set_state(attribute: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def callback(ctx: click.Context, _param: click.Parameter, value: Any) -> None:
        if value and attribute == "home":
            ctx.ensure_object(CliState).place(value)
        elif value:  # not given: keep what the root command set
            setattr(ctx.ensure_object(CliState), attribute, value)

    return callback


def home_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--home`` on a subcommand: the same as the root's ``localmem --home``."""
    return click.option(
        "--home", type=HOME, expose_value=False, is_eager=True, callback=_set_state("home"),
        help="Home directory holding the memories, or a postgresql:// URL (same as "
        "`localmem --home`).",
    )(func)


def json_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--json`` on a subcommand: the same as the root's ``localmem --json``."""
    return click.option(
        "--json", "as_json", is_flag=True, expose_value=False, is_eager=True,
        callback=_set_state("as_json"),
        help="Print JSON for scripts instead of a table (same as `localmem --json`).",
    )(func)


def key_file_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """The root's ``--key-file``: the key of an encrypted home, for every command (and the
    server, MCP and chat it runs). Without it: $LOCALMEM_KEY, the keyring, a prompt."""
    from localmem.storage import crypt_home

    def callback(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
        crypt_home.configure(key_file=value, prompt=True)  # this command's choice, not the last
        ctx.call_on_close(crypt_home.configure)  # and only for it (CliRunner: one process)

    return click.option(
        "--key-file", type=click.Path(dir_okay=False, path_type=Path), expose_value=False,
        is_eager=True, callback=callback,
        help="File holding the key or passphrase of an encrypted home (default: $LOCALMEM_KEY, "
        "the OS keyring, or a prompt).",
    )(func)


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


def table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], *, width: int | None = TEXT_WIDTH
) -> None:
    """Print aligned columns; the last column (usually text) is cut at ``width`` characters."""
    cells = [[str(c) for c in headers]]
    for row in rows:
        values = [("" if c is None else str(c)).replace("\n", " ") for c in row]
        if width is not None and len(values[-1]) > width:
            values[-1] = values[-1][: width - 1] + "…"
        cells.append(values)
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        line = "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
        click.echo(click.style(line, bold=True) if n == 0 else line)
