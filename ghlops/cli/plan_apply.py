"""validate, plan and apply."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ghlops.cli.app import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, EXIT_PARTIAL, Context, cli
from ghlops.cli.common import (
    Selection,
    load_states,
    location_options,
    open_target,
    target_options,
)
from ghlops.cli.interrupts import Interrupts
from ghlops.cli.output import Progress, echo
from ghlops.escape import terminal
from ghlops.plan import planfile
from ghlops.plan.changes import Action, Plan
from ghlops.plan.safety import Verdict, Violation, check_plan
from ghlops.secrets import mask_text
from ghlops.settings import DEFAULT_PARALLELISM

if TYPE_CHECKING:  # imported lazily (pydantic, httpx, the registry): --help starts fast
    from ghlops.apply.applier import LocationResult
    from ghlops.engine import Session
    from ghlops.manifest.project import Project

# -- validate ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunOptions:
    """What plan and apply were asked to do."""

    selection: Selection = field(default_factory=Selection)
    sandbox: bool = False
    base_url: str | None = None
    parallelism: int = DEFAULT_PARALLELISM
    allow: frozenset[Action] | None = None  # None: every action
    deny: frozenset[Action] = frozenset()
    force: bool = False
    expand: bool = False  # list identical changes under every location
    allow_destroy_opportunities: bool = False  # deleting pipelines (and their opportunities)


def _actions(
    _ctx: click.Context, param: click.Parameter, value: str | None
) -> frozenset[Action] | None:
    if value is None:
        return None
    names = [v.strip() for v in value.split(",") if v.strip()]
    known = {a.value: a for a in Action}
    bad = [n for n in names if n not in known]
    if bad or not names:
        raise click.BadParameter(
            f"{', '.join(bad) or 'nothing'}: expected a comma-separated list of {', '.join(known)}"
        )
    return frozenset(known[n] for n in names)


def run_options(f: Any) -> Any:
    """The selection, target, gate and --parallelism options, passed as ``options``."""
    f = click.option(
        "--allow-destroy-opportunities",
        is_flag=True,
        help="Allow deleting pipelines, which deletes every opportunity in them "
        "(with policy.pipelines: write and pruning on).",
    )(f)
    f = click.option(
        "--expand",
        is_flag=True,
        help="List changes made identically in several locations under each of them.",
    )(f)
    f = click.option(
        "--force",
        is_flag=True,
        help="Proceed past the safety thresholds (update/delete shares); the reason is printed.",
    )(f)
    f = click.option(
        "--deny",
        callback=_actions,
        metavar="ACTIONS",
        help="Fail when the plan holds any of these actions, e.g. delete,replace.",
    )(f)
    f = click.option(
        "--allow",
        callback=_actions,
        metavar="ACTIONS",
        help="Fail when the plan holds actions other than these, e.g. create,update.",
    )(f)
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
        allow: frozenset[Action] | None,
        deny: frozenset[Action] | None,
        force: bool,
        expand: bool,
        allow_destroy_opportunities: bool,
        **kwargs: Any,
    ) -> Any:
        options = RunOptions(
            selection=selection,
            sandbox=sandbox,
            base_url=base_url,
            parallelism=parallelism,
            allow=allow,
            deny=deny or frozenset(),
            force=force,
            expand=expand,
            allow_destroy_opportunities=allow_destroy_opportunities,
        )
        return f(*args, options=options, **kwargs)

    return location_options(wrapper)


@contextmanager
def session_for(project: Project, options: RunOptions) -> Iterator[Session]:
    from ghlops.engine import Session

    with open_target(project, options.sandbox, options.base_url) as target:
        session = Session(
            project,
            target,
            kinds=options.selection.kind_list(),
            planned=options.selection.planned_kinds(),
            parallelism=options.parallelism,
            allow_destroy=("opportunities",) if options.allow_destroy_opportunities else (),
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
    from ghlops.errors import ManifestError
    from ghlops.manifest.project import load_project
    from ghlops.settings import PLACEHOLDER_LOCATION_ID
    from ghlops.tokens import token_needs

    project = load_project(obj.directory)
    states, agency = load_states(project, selection)
    locations = [s.location for s in states]
    from ghlops.resources import registry

    agency_written = [k for k, a in registry.ADAPTERS.items() if a.agency_writes]
    declared = bool(agency and any(agency.values())) or any(
        state.items.get(kind) for state in states for kind in agency_written
    )
    needs, problems = token_needs(project.agency, locations, agency_objects=declared)
    if problems:
        raise ManifestError(problems)
    for location in locations:
        if location.id == PLACEHOLDER_LOCATION_ID:
            warn(
                f"location {location.name} has the placeholder id {location.id} from ghlops "
                "init: --sandbox works with it, a live plan refuses it"
            )
    items = sum(len(v) for s in states for v in s.items.values())
    echo(f"OK: {len(states)} location(s), {items} item(s) valid.")
    if needs:  # names only: validate never reads a token
        echo("A live plan needs these environment variables:")
        for name, users in needs.items():
            echo(f"  {name}  ({', '.join(users)})")


# -- plan --------------------------------------------------------------------------------------


def judge(
    plan: Plan, project: Project, options: RunOptions, session: Session, *, budget: bool = False
) -> Verdict:
    """Every refusal of a plan (safety checks, destroy gates, locations that could not be read,
    and with ``budget`` the daily API budget), each with the flag that would allow it, and what
    the run's flags let through."""
    from ghlops.engine import agency_written, destroy_problems

    refused: list[Violation] = []
    allowed: list[Violation] = []
    for v in check_plan(plan, project.policy.thresholds, allow=options.allow, deny=options.deny):
        (allowed if v.forceable and options.force else refused).append(v)
    for message, flag in destroy_problems(plan, session.adapters, ()):
        v = Violation("plan", "destroy", message, forceable=False, allow=flag)
        given = flag.removeprefix("--allow-destroy-") in session.allow_destroy
        (allowed if given else refused).append(v)
    for loc in plan.failed:
        refused.append(
            Violation(
                loc.name,
                "unreadable",
                f"could not be planned: {loc.error}",
                forceable=False,
                allow="" if loc is plan.agency else f"--exclude-location {loc.name}",
                location_id=loc.location_id,
            )
        )
    for loc, missing in session.agency_write_problems(plan):
        written = agency_written(loc, {a.kind: a for a in session.adapters})
        what = ", ".join(f"{kind} {'/'.join(actions)}" for kind, actions in written.items())
        refused.append(
            Violation(
                loc.name,
                "agency-token",
                f"GHL takes only the agency's token for {what}, and {missing}",
                forceable=False,
                allow=" ".join(f"--exclude-kind {kind}" for kind in written),
                location_id=loc.location_id,
            )
        )
    if budget:
        refused += [
            Violation("", "budget", problem, forceable=False)
            for problem in session.budget_problems(plan)
        ]
    return Verdict(tuple(refused), tuple(allowed))


def enforce(verdict: Verdict) -> bool:
    """Print every refusal and every flag-allowed violation; True when the plan may go ahead
    (refusals of single locations, such as one that could not be read, only keep those out)."""
    from ghlops.render.refusals import shown

    for v in verdict.allowed:
        what = "going past a safety threshold" if v.allow == "--force" else "allowed"
        echo(f"Warning: {v.allow}: {what}: {shown(v)}", err=True)
    for v in verdict.refused:
        if v.blocks_all:  # a location's own refusal is named where it is found
            echo(f"Refused: {shown(v)} ({v.advice})", err=True)
    return not any(v.blocks_all for v in verdict.refused)


def render(
    obj: Context,
    plan: Plan,
    verdict: Verdict,
    *,
    expand: bool = False,
    as_json: bool = False,
    markdown: bool = False,
    show_secrets: bool = False,
    first: Mapping[str, Any] | None = None,
) -> str:
    """The plan as text, JSON or Markdown, with its refusals at the top."""
    from ghlops.render import refusals

    if as_json:
        from ghlops.render.json import render_json

        if not show_secrets:
            verdict = refusals.masked_verdict(verdict)
        return render_json(plan, {**verdict.to_data(), **(first or {})}, show_secrets=show_secrets)
    if markdown:
        from ghlops.render.markdown import MAX_CHARS, render_markdown

        top = refusals.markdown_block(verdict)
        body = render_markdown(
            plan, show_secrets=show_secrets, max_chars=MAX_CHARS - len(top), expand=expand
        )
        return top + body
    from ghlops.render.text import render_plan

    return refusals.text_block(verdict) + render_plan(
        plan, color=obj.color, expand=expand, show_secrets=show_secrets
    )


def run_plan(
    obj: Context,
    options: RunOptions,
    as_json: bool,
    detailed_exitcode: bool,
    keep: list[Plan] | None = None,
    *,
    out: Path | None = None,
    markdown: bool = False,
    show_secrets: bool = False,
) -> int:
    from ghlops.manifest.project import load_project

    project = load_project(obj.directory)
    states, agency = load_states(project, options.selection)
    with Interrupts(), session_for(project, options) as session:
        with Progress(len(states), "Planning") as bar:
            plan = session.plan(states, agency, progress=bar.advance, check_destroy=False)
        verdict = judge(plan, project, options, session)
    if keep is not None:
        keep.append(plan)
    echo(
        render(
            obj,
            plan,
            verdict,
            expand=options.expand,
            as_json=as_json,
            markdown=markdown,
            show_secrets=show_secrets,
        ),
        nl=False,
    )
    if out is not None:
        from ghlops.cli.saved import flags_record, saved_hint, selection_record, target_record
        from ghlops.manifest.files import project_files
        from ghlops.plan.plankey import plan_key
        from ghlops.render.refusals import masked

        document = planfile.plan_document(
            plan,
            selection_record(options, states, agency is not None),
            show_secrets=False,
            target=target_record(options),
            flags=flags_record(options),
            project_files=project_files(project),
            refusals=[masked(v).to_data() for v in verdict.refused],
            allowed=[masked(v).to_data() for v in verdict.allowed],
            key=plan_key(project.root, create=True),
        )
        planfile.save(obj.directory / out, document)  # like git -C: relative to the project
        echo(saved_hint(obj, out, document), err=True)
    safe = enforce(verdict)
    if plan.failed or not safe:
        return EXIT_ERROR
    if detailed_exitcode and plan.has_changes:
        return EXIT_CHANGES
    return EXIT_OK


@cli.command()
@run_options
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option("--markdown", is_flag=True, help="Print the plan as Markdown (for a PR comment).")
@click.option(
    "--show-secrets",
    is_flag=True,
    help="Do not mask secret-looking values in the text, --json or --markdown output (local "
    "use only; plan files are always masked).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also save the plan to this file, for 'ghlops apply FILE'.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 0 when there are no changes, 2 when there are, 1 on error.",
)
@click.pass_context
def plan(
    ctx: click.Context,
    options: RunOptions,
    as_json: bool,
    markdown: bool,
    show_secrets: bool,
    out: Path | None,
    detailed_exitcode: bool,
) -> None:
    """Show what apply would change, per location. Never changes anything."""
    if as_json and markdown:
        raise click.UsageError("--json and --markdown cannot be used together")
    ctx.exit(
        run_plan(
            ctx.obj,
            options,
            as_json,
            detailed_exitcode,
            out=out,
            markdown=markdown,
            show_secrets=show_secrets,
        )
    )


# -- apply -------------------------------------------------------------------------------------


def apply_reported(session: Session, plan: Plan) -> list[LocationResult]:
    """Apply ``plan``, reporting as it goes (see :mod:`ghlops.cli.apply_report`)."""
    from ghlops.cli.apply_report import ApplyReporter, report_totals

    with ApplyReporter(plan, session.activity) as reporter:
        results = session.apply(plan, on_outcome=reporter)
    note = report_totals(session.activity())
    if note:
        echo(note, err=True)
    return results


LOCK_NOTE = (
    " The apply lock stays in place until this process has ended; the next apply takes it over."
)


def summarise(results: Sequence[LocationResult]) -> tuple[str, int]:
    from ghlops.apply.applier import Status

    done = sum(r.count(Status.DONE) for r in results)
    failed_calls = sum(r.count(Status.FAILED) for r in results)
    skipped = sum(r.count(Status.NOT_ATTEMPTED) for r in results)
    interrupted = [r for r in results if r.interrupted]
    failed_locs = [r for r in results if r.failed]
    head = "Apply interrupted" if interrupted else "Apply"
    lines = [f"{head}: {done} change(s) made, {failed_calls} failed, {skipped} not attempted."]
    for r in results:
        if r.interrupted and not r.failed:
            lines.append(
                f"  {terminal(r.name)}: stopped by the interrupt; {r.count(Status.DONE)} done, "
                f"{r.count(Status.NOT_ATTEMPTED)} not attempted"
            )
    for r in failed_locs:
        if r.error:
            lines.append(f"  {terminal(r.name)}: not applied: {terminal(mask_text(r.error))}")
        else:
            lines.append(
                f"  {terminal(r.name)}: stopped at the first failure; "
                f"{r.count(Status.DONE)} done, {r.count(Status.NOT_ATTEMPTED)} "
                "not attempted"
            )
    if not failed_locs and not interrupted:
        return "\n".join(lines), EXIT_OK
    return "\n".join(lines), EXIT_PARTIAL if done else EXIT_ERROR


def run_apply(obj: Context, options: RunOptions, auto_approve: bool) -> int:
    from ghlops.apply.lock import apply_lock
    from ghlops.manifest.project import load_project

    project = load_project(obj.directory)
    states, agency = load_states(project, options.selection)
    interrupts = Interrupts(lock_note=LOCK_NOTE)
    with (
        interrupts,
        apply_lock(project.root, warn=warn),
        session_for(project, options) as session,
    ):
        with Progress(len(states), "Planning") as bar:
            the_plan = session.plan(states, agency, progress=bar.advance, check_destroy=False)
        verdict = judge(the_plan, project, options, session, budget=True)
        echo(render(obj, the_plan, verdict, expand=options.expand), nl=False)
        if not enforce(verdict):
            echo("Apply refused; nothing was changed.", err=True)
            return EXIT_ERROR
        if not the_plan.has_changes:
            return EXIT_ERROR if the_plan.failed else EXIT_OK
        if not auto_approve and not confirm():
            echo("Apply cancelled; nothing was changed.", err=True)
            return interrupts.exit_code or EXIT_ERROR
        echo("")
        with interrupts.writing(session.stop):
            results = apply_reported(session, the_plan)
        text, code = summarise(results)
        echo(text, err=code != EXIT_OK)
    return interrupts.exit_code or code


def warn(message: str) -> None:
    echo(f"Warning: {message}", err=True)


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
@click.argument(
    "plan_file", required=False, type=click.Path(dir_okay=False, path_type=Path), metavar="[PLAN]"
)
@run_options
@click.option("--auto-approve", "-y", is_flag=True, help="Apply without asking for confirmation.")
@click.option(
    "--all-or-nothing",
    is_flag=True,
    help="With a saved plan: refuse everything when any location changed since the plan.",
)
@click.pass_context
def apply(
    ctx: click.Context,
    plan_file: Path | None,
    options: RunOptions,
    auto_approve: bool,
    all_or_nothing: bool,
) -> None:
    """Plan, confirm, then make the changes in dependency order.

    With PLAN (a file from 'ghlops plan --out'), apply exactly that plan without asking, where
    it was planned and with the flags it was planned with: a project file changed since refuses
    it; each location whose live state changed since is refused and named, the others are
    applied (unless --all-or-nothing). Each location applies once; a refused one can be applied
    later from the same file.

    Exit codes: 0 all applied, 1 nothing applied, 3 partly applied.
    """
    if plan_file is not None:
        if not options.selection.whole_fleet or options.selection.kinds:
            raise click.UsageError(
                "a saved plan decides the locations and kinds; drop the selection options"
            )
        from ghlops.cli.saved import run_apply_saved

        ctx.exit(run_apply_saved(ctx.obj, options, plan_file, all_or_nothing))
    if all_or_nothing:
        raise click.UsageError("--all-or-nothing goes with a saved plan file")
    ctx.exit(run_apply(ctx.obj, options, auto_approve))
