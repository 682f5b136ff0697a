"""The ``ghlops`` command line: validate, plan, apply, sandbox serve, demo.

This is the only layer that prints. Every expected failure is a GhlopsError, shown as one
``Error:`` message and exit code 1; anything else is a bug, shown as a short internal-error
message (the traceback only with --debug).
"""

from __future__ import annotations

import fnmatch
import logging
import shutil
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from ghlops import __version__
from ghlops.apply.applier import LocationResult, Outcome, Status
from ghlops.cli.output import echo, use_color
from ghlops.engine import Session, Target, api_target, embedded_sandbox
from ghlops.errors import ConfigError, GhlopsError, ManifestError
from ghlops.manifest.loader import load_all
from ghlops.manifest.project import LocationConfig, Project, load_project
from ghlops.plan.changes import ACTION_SYMBOLS
from ghlops.render.json import render_json
from ghlops.render.text import fmt_value, render_plan, singular

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_PARTIAL = 3


@dataclass
class Context:
    directory: Path
    debug: bool
    color: bool


class GhlopsGroup(click.Group):
    """A click group with one error boundary for every command."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except ManifestError as exc:
            n = len(exc.problems)
            echo(f"Error: {n} problem{'s' if n != 1 else ''} in the manifests:", err=True)
            for problem in exc.problems:
                echo(f"  {problem}", err=True)
            ctx.exit(EXIT_ERROR)
        except GhlopsError as exc:
            echo(f"Error: {exc}", err=True)
            ctx.exit(EXIT_ERROR)
        except KeyboardInterrupt:
            echo("Interrupted.", err=True)
            ctx.exit(130)
        except Exception as exc:
            debug = bool(ctx.obj and ctx.obj.debug)
            if debug:
                echo(traceback.format_exc(), err=True)
            echo(
                f"ghlops: internal error ({type(exc).__name__}). This is a bug in ghlops; "
                "please report it" + ("" if debug else " with the output of --debug") + ".",
                err=True,
            )
            ctx.exit(EXIT_ERROR)


@click.group(cls=GhlopsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-C",
    "--directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    help="Run in this project folder (where ghlops.yaml is).",
)
@click.option("--debug", is_flag=True, help="Log each HTTP call (tokens masked) to stderr.")
@click.option("--no-color", is_flag=True, help="No colours (also: NO_COLOR env var).")
@click.version_option(__version__, prog_name="ghlops")
@click.pass_context
def cli(ctx: click.Context, directory: Path, debug: bool, no_color: bool) -> None:
    """Manage GoHighLevel sub-account configuration as code: validate, plan, apply."""
    if debug:
        logging.basicConfig(
            level=logging.WARNING, stream=sys.stderr, format="%(name)s: %(message)s"
        )
        logging.getLogger("ghlops").setLevel(logging.DEBUG)
    ctx.obj = Context(directory, debug, use_color(no_color=no_color))


# -- shared option groups ----------------------------------------------------------------------


def location_options(f: Any) -> Any:
    return click.option(
        "--location",
        "-l",
        "locations",
        multiple=True,
        metavar="NAME",
        help="Only this location (repeatable; shell-style patterns like 'clinic-*').",
    )(f)


def target_options(f: Any) -> Any:
    f = click.option(
        "--base-url",
        envvar="GHLOPS_BASE_URL",
        default=None,
        metavar="URL",
        help="API base URL (env GHLOPS_BASE_URL; default GHL's). "
        "Non-https only for loopback hosts.",
    )(f)
    f = click.option(
        "--sandbox",
        is_flag=True,
        help="Use the embedded sandbox in .ghlops/sandbox.sqlite3; no token needed.",
    )(f)
    return f


def select_locations(project: Project, patterns: Sequence[str]) -> list[LocationConfig]:
    if not patterns:
        return list(project.locations)
    chosen: list[LocationConfig] = []
    for pattern in patterns:
        matched = [loc for loc in project.locations if fnmatch.fnmatchcase(loc.name, pattern)]
        if not matched:
            known = ", ".join(loc.name for loc in project.locations)
            raise ConfigError(f"no location matches {pattern!r} (known: {known})")
        chosen += [loc for loc in matched if loc not in chosen]
    return [loc for loc in project.locations if loc in chosen]


@contextmanager
def open_target(project: Project, sandbox: bool, base_url: str | None) -> Iterator[Target]:
    if sandbox:
        if base_url:
            raise ConfigError("--sandbox and --base-url cannot be used together")
        with embedded_sandbox(project) as target:
            yield target
    else:
        target = api_target(base_url)
        try:
            yield target
        finally:
            target.close()


# -- validate ----------------------------------------------------------------------------------


@cli.command()
@location_options
@click.pass_obj
def validate(obj: Context, locations: tuple[str, ...]) -> None:
    """Load, render and validate every location's manifests, offline."""
    project = load_project(obj.directory)
    selected = select_locations(project, locations)
    states = load_all(project, selected)
    items = sum(len(v) for s in states for v in s.items.values())
    echo(f"OK: {len(states)} location(s), {items} item(s) valid.")


# -- plan --------------------------------------------------------------------------------------


def run_plan(
    obj: Context,
    locations: Sequence[str],
    sandbox: bool,
    base_url: str | None,
    as_json: bool,
    detailed_exitcode: bool,
) -> int:
    project = load_project(obj.directory)
    states = load_all(project, select_locations(project, locations))
    with open_target(project, sandbox, base_url) as target:
        session = Session(project, target)
        try:
            plan = session.plan(states)
        finally:
            session.close()
    if as_json:
        echo(render_json(plan), nl=False)
    else:
        echo(render_plan(plan, color=obj.color), nl=False)
    if plan.failed:
        return EXIT_ERROR
    if detailed_exitcode and plan.has_changes:
        return EXIT_CHANGES
    return EXIT_OK


@cli.command()
@location_options
@target_options
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when there are no changes, 2 when there are, 1 on error.",
)
@click.pass_context
def plan(
    ctx: click.Context,
    locations: tuple[str, ...],
    sandbox: bool,
    base_url: str | None,
    as_json: bool,
    detailed_exitcode: bool,
) -> None:
    """Show what apply would change, per location. Never changes anything."""
    ctx.exit(run_plan(ctx.obj, locations, sandbox, base_url, as_json, detailed_exitcode))


# -- apply -------------------------------------------------------------------------------------

_PAST = {"create": "created", "update": "updated", "replace": "replaced", "delete": "deleted"}


def _report(obj: Context) -> Any:
    def on_outcome(location: str, outcome: Outcome) -> None:
        change = outcome.change
        what = f"{singular(change.kind)} {fmt_value(change.key)}"
        symbol = ACTION_SYMBOLS[change.action]
        if outcome.status is Status.DONE:
            ident = f" (id {outcome.new_id})" if outcome.new_id else ""
            echo(f"  {location}: {symbol} {what}: {_PAST[change.action.value]}{ident}")
        elif outcome.status is Status.FAILED:
            echo(f"  {location}: {symbol} {what}: FAILED: {outcome.error}", err=True)
        elif outcome.status is Status.MANUAL:
            echo(f"  {location}: {symbol} {what}: manual, not applied")

    return on_outcome


def summarise(results: Sequence[LocationResult]) -> tuple[str, int]:
    done = sum(r.count(Status.DONE) for r in results)
    failed_calls = sum(r.count(Status.FAILED) for r in results)
    skipped = sum(r.count(Status.NOT_ATTEMPTED) for r in results)
    failed_locs = [r for r in results if r.failed]
    lines = [f"Apply: {done} change(s) made, {failed_calls} failed, {skipped} not attempted."]
    for r in failed_locs:
        if r.error:
            lines.append(f"  {r.name}: not applied: {r.error}")
        else:
            lines.append(
                f"  {r.name}: stopped at the first failure; "
                f"{r.count(Status.DONE)} done, {r.count(Status.NOT_ATTEMPTED)} "
                "not attempted"
            )
    if not failed_locs:
        return "\n".join(lines), EXIT_OK
    return "\n".join(lines), EXIT_PARTIAL if done else EXIT_ERROR


def run_apply(
    obj: Context, locations: Sequence[str], sandbox: bool, base_url: str | None, auto_approve: bool
) -> int:
    project = load_project(obj.directory)
    states = load_all(project, select_locations(project, locations))
    with open_target(project, sandbox, base_url) as target:
        session = Session(project, target)
        try:
            the_plan = session.plan(states)
            echo(render_plan(the_plan, color=obj.color), nl=False)
            if not the_plan.has_changes:
                return EXIT_ERROR if the_plan.failed else EXIT_OK
            if not auto_approve and not confirm():
                echo("Apply cancelled; nothing was changed.", err=True)
                return EXIT_ERROR
            echo("")
            results = session.apply(the_plan, on_outcome=_report(obj))
        finally:
            session.close()
    text, code = summarise(results)
    echo(text, err=code != EXIT_OK)
    return code


def confirm() -> bool:
    """Ask like terraform does; end of input (a CI job without --auto-approve) means no."""
    try:
        answer = click.prompt(
            "\nDo you want to apply these changes? Only 'yes' will be accepted",
            default="",
            show_default=False,
        )
    except click.Abort:
        return False
    return str(answer).strip() == "yes"


@cli.command()
@location_options
@target_options
@click.option("--auto-approve", "-y", is_flag=True, help="Apply without asking for confirmation.")
@click.pass_context
def apply(
    ctx: click.Context,
    locations: tuple[str, ...],
    sandbox: bool,
    base_url: str | None,
    auto_approve: bool,
) -> None:
    """Plan, confirm, then make the changes in dependency order.

    Exit codes: 0 all done, 1 failed before changing anything, 3 partly applied.
    """
    ctx.exit(run_apply(ctx.obj, locations, sandbox, base_url, auto_approve))


# -- schema ------------------------------------------------------------------------------------


@cli.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("schemas"),
    show_default=True,
    help="Folder to write the schemas to.",
)
@click.option("--check", is_flag=True, help="Exit 1 if the files there are not up to date.")
def schema(out: Path, check: bool) -> None:
    """Write JSON Schemas for ghlops.yaml and bundle files (for editor completion)."""
    from ghlops.manifest.schema import render_schemas

    stale = []
    for name, text in render_schemas().items():
        path = out / name
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(str(path))
        if not check:
            out.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if check and stale:
        raise GhlopsError(f"out of date: {', '.join(stale)}; run 'ghlops schema'")
    echo(
        f"{'checked' if check else 'wrote'} {out}/: "
        + (", ".join(stale) if stale else "up to date")
    )


# -- sandbox -----------------------------------------------------------------------------------


@cli.group()
def sandbox() -> None:
    """The GHL API emulator: rehearse plans offline."""


@sandbox.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8787, show_default=True, type=int)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="SQLite file (default: .ghlops/sandbox.sqlite3 in the project folder).",
)
@click.option(
    "--location",
    "extra_locations",
    multiple=True,
    metavar="ID[=TOKEN]",
    help="Provision this location id (with this token) besides the project's.",
)
@click.pass_obj
def sandbox_serve(
    obj: Context, host: str, port: int, db: Path | None, extra_locations: tuple[str, ...]
) -> None:
    """Serve the sandbox over HTTP (Ctrl-C to stop).

    The project's locations are provisioned; each gets the token in its tokenEnv variable when
    that is set, else a generated sandbox token that is printed.
    """
    import os

    from ghlops.engine import SANDBOX_DB
    from ghlops.sandbox import Sandbox, make_server

    db_path = db or (obj.directory / SANDBOX_DB)
    sb = Sandbox(db_path)
    try:
        if (obj.directory / "ghlops.yaml").exists():
            project = load_project(obj.directory)
            for loc in project.locations:
                given = os.environ.get(loc.token_env or "", "").strip() or None
                token = sb.provision_location(loc.id, name=loc.name, token=given)
                if given:
                    echo(f"location {loc.name} ({loc.id}): token from ${loc.token_env}")
                else:
                    var = loc.token_env or "TOKEN"
                    echo(f"location {loc.name} ({loc.id}): export {var}={token}")
        for spec in extra_locations:
            loc_id, _, tok = spec.partition("=")
            token = sb.provision_location(loc_id, token=tok or None)
            echo(f"location {loc_id}: " + ("token as given" if tok else f"token {token}"))
        server = make_server(sb, host, port)
        url = f"http://{host}:{server.server_address[1]}"
        echo(f"GHL sandbox listening on {url} (state in {db_path})")
        echo(f"Try: ghlops plan --base-url {url}")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            echo("Stopped.")
        finally:
            server.server_close()
    finally:
        sb.close()


@sandbox.command("seed")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="SQLite file (default: .ghlops/sandbox.sqlite3 in the project folder).",
)
@click.pass_obj
def sandbox_seed(obj: Context, file: Path, db: Path | None) -> None:
    """Put objects into the sandbox as if made in the GHL UI (pipelines, users, carriers, …).

    FILE is YAML: ``locations: {<locationId>: {<kind>: [<fields>, ...]}}``. Locations may also be
    given by their name in ghlops.yaml.
    """
    from ghlops.engine import SANDBOX_DB
    from ghlops.manifest.yamlload import read_yaml_file
    from ghlops.sandbox import Sandbox

    data = read_yaml_file(file)
    if (obj.directory / "ghlops.yaml").exists() and isinstance(data, dict):
        project = load_project(obj.directory)
        names = {loc.name: loc.id for loc in project.locations}
        locations = data.get("locations")
        if isinstance(locations, dict):
            data = {**data, "locations": {names.get(k, k): v for k, v in locations.items()}}
    sb = Sandbox(db or (obj.directory / SANDBOX_DB))
    try:
        created = sb.seed(data)
    except ValueError as exc:
        raise ConfigError(f"{file}: {exc}") from None
    finally:
        sb.close()
    for where, ids in created.items():
        echo(f"seeded {len(ids)} {where.split('/', 1)[1]} in location {where.split('/', 1)[0]}")


# -- demo --------------------------------------------------------------------------------------


def examples_dir() -> Path:
    here = Path(__file__).resolve().parents[2] / "examples"
    if here.is_dir():
        return here
    raise ConfigError("the demo needs the examples/ folder of a ghlops source checkout")


@cli.command()
@click.argument("example", default="quickstart")
@click.pass_obj
def demo(obj: Context, example: str) -> None:
    """Copy examples/EXAMPLE to a temporary folder and run plan → apply → plan on the sandbox."""
    source = examples_dir() / example
    if not (source / "ghlops.yaml").is_file():
        raise ConfigError(f"no example {example!r} in {examples_dir()}")
    with tempfile.TemporaryDirectory(prefix="ghlops-demo-") as tmp:
        work = Path(tmp) / example
        shutil.copytree(source, work, ignore=shutil.ignore_patterns(".ghlops"))
        ctx = Context(work, obj.debug, obj.color)
        echo(f"Demo project copied to {work}\n")
        steps: list[tuple[str, Callable[[], int]]] = [
            (
                "ghlops plan --sandbox --detailed-exitcode",
                lambda: run_plan(ctx, (), True, None, False, True),
            ),
            ("ghlops apply --sandbox --auto-approve", lambda: run_apply(ctx, (), True, None, True)),
            (
                "ghlops plan --sandbox --detailed-exitcode",
                lambda: run_plan(ctx, (), True, None, False, True),
            ),
        ]
        codes = []
        for command, step in steps:
            echo(click.style(f"$ {command}", bold=True) if obj.color else f"$ {command}")
            code = step()
            codes.append(code)
            echo(f"(exit code {code})\n")
        if codes != [EXIT_CHANGES, EXIT_OK, EXIT_OK]:
            raise GhlopsError(f"the demo did not converge (exit codes {codes})")
        echo("Converged: the second plan shows no changes.")


def main() -> None:
    cli(prog_name="ghlops")
