"""ghlops doctor: are the tokens set, valid, of the right class and scoped for what we manage?"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from ghlops.cli.app import EXIT_OK, Context, cli
from ghlops.cli.common import (
    Selection,
    load_states,
    location_options,
    open_target,
    target_options,
)
from ghlops.cli.output import echo, use_color
from ghlops.settings import DEFAULT_PARALLELISM

if TYPE_CHECKING:
    from ghlops.doctor import Check

EXIT_PROBLEMS = 1


@cli.command()
@location_options
@target_options
@click.option(
    "--probe-writes",
    is_flag=True,
    help="Also create and delete a ghlops-probe-… tag and custom value in each location, to "
    "check write access (off by default: doctor never writes otherwise).",
)
@click.option(
    "--parallelism",
    "-p",
    type=click.IntRange(1, 64),
    default=DEFAULT_PARALLELISM,
    show_default=True,
    help="Locations checked at the same time.",
)
@click.pass_obj
def doctor(
    obj: Context,
    selection: Selection,
    base_url: str | None,
    sandbox: bool,
    probe_writes: bool,
    parallelism: int,
) -> None:
    """Check each selected location (and the agency) is ready for plan and apply.

    For every location: its token is set and accepted by GHL (valid, of the right class, for
    this location), and has the scopes the kinds its manifests manage need, probed with one
    read per kind (no writes unless --probe-writes). Prints ✓/✗ per location and kind, with the
    exact fix for each ✗. Exits 0 when everything is ready, 1 otherwise: run it in CI before
    plan.
    """
    from ghlops.doctor import diagnose
    from ghlops.engine import Session
    from ghlops.manifest.project import load_project

    project = load_project(obj.directory)
    states, agency = load_states(project, selection)
    with open_target(project, sandbox, base_url) as target:
        session = Session(project, target, kinds=selection.kind_list(), parallelism=parallelism)
        checks = diagnose(session, states, agency, probe_writes=probe_writes)
    render(checks)
    raise SystemExit(EXIT_OK if all(c.ok for c in checks) else EXIT_PROBLEMS)


def render(checks: Sequence[Check]) -> None:
    color = use_color()
    principal = None
    for check in checks:
        if check.principal != principal:
            principal = check.principal
            echo(principal[0].upper() + principal[1:])
        mark = "✓" if check.ok else "✗"
        if color:
            mark = click.style(mark, fg="green" if check.ok else "red", bold=True)
        echo(f"  {mark} {check.subject}: {check.detail}")
        if check.fix:
            echo(f"      fix: {check.fix}")
    bad = [c for c in checks if not c.ok]
    principals = {c.principal for c in checks}
    if bad:
        where = len({c.principal for c in bad})
        echo(f"Doctor: {len(bad)} problem(s) in {where} of {len(principals)} checked.")
    else:
        echo(f"Doctor: all good ({len(principals)} checked).")
