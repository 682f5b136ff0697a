"""schema and demo."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import click

from ghlops.cli.app import EXIT_CHANGES, EXIT_OK, Context, cli
from ghlops.cli.output import echo
from ghlops.cli.plan_apply import RunOptions, run_apply, run_plan
from ghlops.cli.sandbox_cmd import seed_sandbox
from ghlops.errors import ConfigError, GhlopsError
from ghlops.plan.changes import Action, Plan

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


# -- demo --------------------------------------------------------------------------------------


def examples_dir() -> Path:
    """The example projects, shipped inside the package (ghlops/examples)."""
    here = Path(__file__).resolve().parents[1] / "examples"
    if here.is_dir():
        return here
    raise ConfigError(f"the example projects are missing from this installation ({here})")


SEED_FILE = "sandbox-seed.yaml"


@cli.command()
@click.argument("example", default="quickstart")
@click.option(
    "--keep",
    is_flag=True,
    help="Leave the demo project (and its sandbox) on disk, to try more commands in it.",
)
@click.pass_obj
def demo(obj: Context, example: str, keep: bool) -> None:
    """Copy the example project EXAMPLE to a temporary folder and run plan → apply → plan on the
    embedded sandbox (examples: quickstart, dental, petcare).

    An example with a sandbox-seed.yaml first gets what the GHL UI would hold (users, carriers,
    pipelines, …). The demo passes when the last plan shows no changes other than `manual` ones
    (pipeline drift the API cannot fix). The folder is deleted afterwards, unless --keep.
    """
    source = examples_dir() / example
    if not (source / "ghlops.yaml").is_file():
        known = ", ".join(sorted(p.parent.name for p in examples_dir().glob("*/ghlops.yaml")))
        raise ConfigError(f"no example {example!r} (examples: {known})")
    tmp = tempfile.mkdtemp(prefix="ghlops-demo-")
    try:
        work = Path(tmp) / example
        _run_demo(obj, source, work)
    finally:
        if keep:
            echo(
                f"\nKept the demo project in {work}: try 'cd {work} && ghlops plan --sandbox' "
                f"(delete {tmp} when done)."
            )
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def _run_demo(obj: Context, source: Path, work: Path) -> None:
    shutil.copytree(source, work, ignore=shutil.ignore_patterns(".ghlops"))
    ctx = Context(work, obj.debug, obj.color)
    echo(f"Demo project copied to {work}\n")
    sandbox = RunOptions(sandbox=True)
    plans: list[Plan] = []
    steps: list[tuple[str, Callable[[], int]]] = []
    if (work / SEED_FILE).exists():
        steps.append(
            (f"ghlops sandbox seed {SEED_FILE}", lambda: seed_sandbox(ctx, work / SEED_FILE))
        )
    steps += [
        (
            "ghlops plan --sandbox --detailed-exitcode",
            lambda: run_plan(ctx, sandbox, False, True),
        ),
        ("ghlops apply --sandbox --auto-approve", lambda: run_apply(ctx, sandbox, True)),
        (
            "ghlops plan --sandbox --detailed-exitcode",
            lambda: run_plan(ctx, sandbox, False, True, keep=plans),
        ),
    ]
    codes = []
    for command, step in steps:
        echo(click.style(f"$ {command}", bold=True) if obj.color else f"$ {command}")
        code = step()
        codes.append(code)
        echo(f"(exit code {code})\n")
    last = plans[-1]
    left = [c for loc in last.all for c in loc.changes if c.action is not Action.MANUAL]
    if codes[-3:-1] != [EXIT_CHANGES, EXIT_OK] or left or last.failed:
        raise GhlopsError(f"the demo did not converge (exit codes {codes})")
    manual = last.counts()["manual"]
    if manual:
        echo(
            f"Converged: the last plan shows only {manual} manual change(s), which the "
            "GHL API cannot make (see the steps above)."
        )
    else:
        echo("Converged: the second plan shows no changes.")
