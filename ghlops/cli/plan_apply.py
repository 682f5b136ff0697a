"""validate, plan and apply."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import click

from ghlops.apply.applier import LocationResult, Outcome, Status
from ghlops.cli.app import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, EXIT_PARTIAL, Context, cli
from ghlops.cli.common import (
    Selection,
    load_states,
    location_options,
    open_target,
    target_options,
)
from ghlops.cli.output import echo
from ghlops.engine import DEFAULT_PARALLELISM, Session
from ghlops.manifest.project import Project, load_project
from ghlops.plan.changes import ACTION_SYMBOLS, Plan
from ghlops.render.json import render_json
from ghlops.render.text import fmt_value, render_plan, singular

# -- validate ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunOptions:
    """What plan and apply were asked to do."""

    selection: Selection = field(default_factory=Selection)
    sandbox: bool = False
    base_url: str | None = None
    parallelism: int = DEFAULT_PARALLELISM


def run_options(f: Any) -> Any:
    """The selection, target and --parallelism options, passed as ``options``."""
    f = click.option(
        "--parallelism",
        "-p",
        type=click.IntRange(1, 64),
        default=DEFAULT_PARALLELISM,
        show_default=True,
        help="Locations planned or applied at the same time.",
    )(f)
    f = target_options(f)

    @functools.wraps(f)
    def wrapper(
        *args: Any,
        selection: Selection,
        sandbox: bool,
        base_url: str | None,
        parallelism: int,
        **kwargs: Any,
    ) -> Any:
        return f(*args, options=RunOptions(selection, sandbox, base_url, parallelism), **kwargs)

    return location_options(wrapper)


@contextmanager
def session_for(project: Project, options: RunOptions) -> Iterator[Session]:
    with open_target(project, options.sandbox, options.base_url) as target:
        session = Session(
            project,
            target,
            kinds=options.selection.kind_list(),
            parallelism=options.parallelism,
        )
        try:
            yield session
        finally:
            session.close()


@cli.command()
@location_options
@click.pass_obj
def validate(obj: Context, selection: Selection) -> None:
    """Load, render and validate every location's manifests, offline."""
    project = load_project(obj.directory)
    states, _agency = load_states(project, selection)
    items = sum(len(v) for s in states for v in s.items.values())
    echo(f"OK: {len(states)} location(s), {items} item(s) valid.")


# -- plan --------------------------------------------------------------------------------------


def run_plan(
    obj: Context,
    options: RunOptions,
    as_json: bool,
    detailed_exitcode: bool,
    keep: list[Plan] | None = None,
) -> int:
    project = load_project(obj.directory)
    states, agency = load_states(project, options.selection)
    with session_for(project, options) as session:
        plan = session.plan(states, agency)
    if keep is not None:
        keep.append(plan)
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
@run_options
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when there are no changes, 2 when there are, 1 on error.",
)
@click.pass_context
def plan(ctx: click.Context, options: RunOptions, as_json: bool, detailed_exitcode: bool) -> None:
    """Show what apply would change, per location. Never changes anything."""
    ctx.exit(run_plan(ctx.obj, options, as_json, detailed_exitcode))


# -- apply -------------------------------------------------------------------------------------

_PAST = {"create": "created", "update": "updated", "replace": "replaced", "delete": "deleted"}


def _report(obj: Context) -> Any:
    lock = threading.Lock()  # locations apply in parallel: one line at a time

    def on_outcome(location: str, outcome: Outcome) -> None:
        with lock:
            _print_outcome(location, outcome)

    return on_outcome


def _print_outcome(location: str, outcome: Outcome) -> None:
    if outcome.status is not Status.NOT_ATTEMPTED:
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


def run_apply(obj: Context, options: RunOptions, auto_approve: bool) -> int:
    project = load_project(obj.directory)
    states, agency = load_states(project, options.selection)
    with session_for(project, options) as session:
        the_plan = session.plan(states, agency)
        echo(render_plan(the_plan, color=obj.color), nl=False)
        if not the_plan.has_changes:
            return EXIT_ERROR if the_plan.failed else EXIT_OK
        if not auto_approve and not confirm():
            echo("Apply cancelled; nothing was changed.", err=True)
            return EXIT_ERROR
        echo("")
        results = session.apply(the_plan, on_outcome=_report(obj))
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
@run_options
@click.option("--auto-approve", "-y", is_flag=True, help="Apply without asking for confirmation.")
@click.pass_context
def apply(ctx: click.Context, options: RunOptions, auto_approve: bool) -> None:
    """Plan, confirm, then make the changes in dependency order.

    Exit codes: 0 all done, 1 failed before changing anything, 3 partly applied.
    """
    ctx.exit(run_apply(ctx.obj, options, auto_approve))
