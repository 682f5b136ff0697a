"""init: a new project in an empty (or new) folder."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from ghlops.cli.app import Context, cli
from ghlops.cli.output import echo
from ghlops.errors import ConfigError
from ghlops.settings import PLACEHOLDER_LOCATION_ID as PLACEHOLDER_ID
from ghlops.settings import PROJECT_FILE


def _stdin_is_tty() -> bool:
    return bool(getattr(sys.stdin, "isatty", lambda: False)())


def _check(value: str, pattern: str, what: str) -> str:
    if not re.fullmatch(pattern, value):
        raise click.BadParameter(f"{value!r} is not {what}")
    return value


@cli.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default=None, help="The location's handle (default: main).")
@click.option("--id", "location_id", default=None, help="The GHL location id (20 characters).")
@click.option(
    "--token-env", default=None, help="Env var holding its token (default: GHL_TOKEN_<NAME>)."
)
@click.pass_obj
def init(
    obj: Context,
    folder: Path | None,
    name: str | None,
    location_id: str | None,
    token_env: str | None,
) -> None:
    """Write a minimal project into FOLDER (default: the current folder, or -C DIR).

    One location, one bundle, the JSON Schemas for editor completion, a .gitignore and a GitHub
    Actions workflow. On a terminal it asks for what the options do not say; elsewhere it uses
    the defaults, with a placeholder location id that works with --sandbox only.
    """
    from ghlops.manifest.project import ENV_NAME_RE, LOCATION_ID_RE, LOCATION_NAME_RE
    from ghlops.manifest.schema import render_schemas
    from ghlops.scaffold import (
        NewLocation,
        default_token_env,
        gitignore_additions,
        project_files,
    )

    target = obj.directory / folder if folder is not None else obj.directory
    if (target / PROJECT_FILE).exists():
        raise ConfigError(f"{target / PROJECT_FILE} exists already; init writes new projects only")
    if target.exists() and not target.is_dir():
        raise ConfigError(f"{target} is not a folder")

    ask = _stdin_is_tty()
    if name is None:
        name = (
            click.prompt("Location name (a handle for the command line)", default="main")
            if ask
            else "main"
        )
    _check(name, LOCATION_NAME_RE.pattern, "a valid location name (letters, digits, '_', '.', '-')")
    if location_id is None:
        if ask:
            location_id = (
                click.prompt(
                    "Location id (in the sub-account's address bar: /v2/location/<id>/; "
                    "empty: a placeholder for --sandbox)",
                    default="",
                    show_default=False,
                ).strip()
                or PLACEHOLDER_ID
            )
        else:
            location_id = PLACEHOLDER_ID
    _check(location_id, LOCATION_ID_RE.pattern, "a GHL location id (20 letters and digits)")
    if token_env is None:
        token_env = default_token_env(name)
        if ask:
            token_env = click.prompt("Environment variable holding its token", default=token_env)
    _check(token_env, ENV_NAME_RE.pattern, "a valid environment variable name")

    files = project_files(NewLocation(name, location_id, token_env), render_schemas())
    written: list[str] = []
    kept: list[str] = []
    for rel, text in files.items():
        path = target / rel
        if path.exists():
            kept.append(rel)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(rel)
    gitignore = target / ".gitignore"
    existing = gitignore.read_text(encoding="utf-8") if gitignore.exists() else ""
    extra = gitignore_additions(existing)
    if extra:
        with gitignore.open("a", encoding="utf-8") as stream:
            stream.write(extra)
        written.append(".gitignore" + (" (added to)" if existing else ""))

    echo(f"Wrote a new project in {target}:")
    for rel in written:
        echo(f"  {rel}")
    for rel in kept:
        echo(f"  {rel} (exists already: kept as it is)")
    cd = "" if folder is None else f"cd {folder} && "
    echo("\nNext:")
    echo(f"  {cd}ghlops plan --sandbox        # rehearse on the embedded sandbox, no token needed")
    if location_id == PLACEHOLDER_ID:
        echo(f"  put your location id in {PROJECT_FILE} (in place of {PLACEHOLDER_ID}), then")
    echo(f"  export {token_env}=pit-…        # the location's Private Integration Token")
    echo("  ghlops plan && ghlops apply")
