"""Saved plans: what ``plan --out`` records, ``apply PLANFILE`` and ``show PLANFILE``.

A plan file knows where it was planned and with which flags, so ``ghlops apply plan.json``
needs nothing else: it goes to the recorded target with the recorded flags, and a conflicting
``--sandbox``/``--base-url`` or flag is an error naming both. See docs/saved-plans.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ghlops import __version__
from ghlops.cli.app import EXIT_ERROR, EXIT_OK, Context, cli
from ghlops.cli.common import Selection
from ghlops.cli.interrupts import Interrupts
from ghlops.cli.output import echo
from ghlops.cli.plan_apply import (
    LOCK_NOTE,
    RunOptions,
    apply_reported,
    enforce,
    judge,
    render,
    session_for,
    summarise,
    warn,
)
from ghlops.errors import ConfigError
from ghlops.escape import terminal
from ghlops.plan import planfile
from ghlops.plan.changes import Action, Plan
from ghlops.plan.safety import Verdict, Violation

if TYPE_CHECKING:
    from ghlops.apply.applier import LocationResult
    from ghlops.manifest.loader import DesiredState
    from ghlops.manifest.project import LocationConfig, Project

# -- what plan --out records -------------------------------------------------------------------


def target_record(options: RunOptions) -> dict[str, Any]:
    """Where a plan is made: the embedded sandbox, or an API base URL (GHL's or a sandbox's)."""
    if options.sandbox:
        return {"mode": planfile.EMBEDDED}
    from ghlops.client import DEFAULT_BASE_URL, check_base_url

    url = options.base_url or os.environ.get("GHLOPS_BASE_URL") or DEFAULT_BASE_URL
    return {"mode": "api", "base_url": check_base_url(url)}


def describe_target(target: Mapping[str, Any]) -> str:
    if target.get("mode") == planfile.EMBEDDED:
        return "the embedded sandbox (--sandbox)"
    return f"the API at {target.get('base_url')}"


def _actions(values: frozenset[Action] | None) -> list[str] | None:
    return None if values is None else [a.value for a in Action if a in values]


def flags_record(options: RunOptions) -> dict[str, Any]:
    """The options that shaped a plan: its apply uses them, whatever its command line says."""
    s = options.selection
    return {
        "force": options.force,
        "allow": _actions(options.allow),
        "deny": _actions(options.deny) or [],
        "allow_destroy_opportunities": options.allow_destroy_opportunities,
        "locations": list(s.locations),
        "exclude_locations": list(s.exclude_locations),
        "kinds": list(s.kinds),
        "exclude_kinds": list(s.exclude_kinds),
        "shard": f"{s.shard[0]}/{s.shard[1]}" if s.shard else None,
    }


def flags_text(flags: Mapping[str, Any]) -> str:
    """The recorded flags as they were typed (in a canonical order); "" when there were none."""
    parts: list[str] = []
    if flags.get("force"):
        parts.append("--force")
    if flags.get("allow") is not None:
        parts.append(f"--allow {','.join(flags['allow'])}")
    if flags.get("deny"):
        parts.append(f"--deny {','.join(flags['deny'])}")
    if flags.get("allow_destroy_opportunities"):
        parts.append("--allow-destroy-opportunities")
    for key, option in (
        ("locations", "--location"),
        ("exclude_locations", "--exclude-location"),
        ("kinds", "--kind"),
        ("exclude_kinds", "--exclude-kind"),
    ):
        parts += [f"{option} {value}" for value in flags.get(key) or []]
    if flags.get("shard"):
        parts.append(f"--shard {flags['shard']}")
    return " ".join(parts)


def selection_record(
    options: RunOptions, states: Sequence[DesiredState], agency: bool
) -> dict[str, Any]:
    """What a saved plan covers (locations by id), so its apply re-plans exactly that."""
    return {
        "location_ids": [s.location.id for s in states],
        "kinds": options.selection.planned_kinds(),  # what it reads follows from them
        "agency": agency,
    }


def saved_hint(obj: Context, out: Path, document: Mapping[str, Any]) -> str:
    """What ``plan --out`` says: how to apply the file, repeating nothing the file knows."""
    flags = flags_text(document.get("flags") or {})
    where = f"planned against {describe_target(document.get('target') or {})}"
    chdir = "" if obj.directory == Path(".") else f"-C {obj.directory} "
    return (
        f"Saved the plan to {out} ({where}{', with ' + flags if flags else ''}); "
        f"apply it with: ghlops {chdir}apply {out}"
    )


# -- apply PLANFILE ----------------------------------------------------------------------------


def options_for(saved: planfile.SavedPlan, options: RunOptions, path: Path) -> RunOptions:
    """The run options of a saved plan's apply: its recorded target and flags.

    Raises:
        ConfigError: the command line asks for another target or other flags than recorded.
    """
    target = saved.target
    if target.get("mode") == planfile.EMBEDDED:
        if options.base_url:
            raise ConfigError(
                f"{path} was planned against the embedded sandbox (--sandbox), but this apply "
                f"was given --base-url {options.base_url} (or GHLOPS_BASE_URL): a plan applies "
                "where it was made; drop --base-url, or plan again against that URL"
            )
        options = replace(options, sandbox=True, base_url=None)
    elif target.get("mode") == "api" and isinstance(target.get("base_url"), str):
        url = str(target["base_url"])
        if options.sandbox:
            raise ConfigError(
                f"{path} was planned against {url} (--base-url), but this apply was given "
                "--sandbox: a plan applies where it was made; drop --sandbox, or plan again "
                "with --sandbox"
            )
        if options.base_url:
            from ghlops.client import check_base_url

            if check_base_url(options.base_url) != url:
                raise ConfigError(
                    f"{path} was planned against --base-url {url}, but this apply was given "
                    f"--base-url {options.base_url} (or GHLOPS_BASE_URL): a plan applies where "
                    "it was made; drop --base-url, or plan again against that URL"
                )
        options = replace(options, sandbox=False, base_url=url)
    else:
        raise ConfigError(f"plan file {path} is damaged (no target)")
    flags = saved.flags
    recorded = RunOptions(
        force=bool(flags.get("force")),
        allow=_parse_actions(flags.get("allow"), path),
        deny=_parse_actions(flags.get("deny"), path) or frozenset(),
        allow_destroy_opportunities=bool(flags.get("allow_destroy_opportunities")),
    )
    given = []
    if options.force and not recorded.force:
        given.append("--force")
    if options.allow is not None and options.allow != recorded.allow:
        given.append(f"--allow {','.join(_actions(options.allow) or [])}")
    if options.deny and options.deny != recorded.deny:
        given.append(f"--deny {','.join(_actions(options.deny) or [])}")
    if options.allow_destroy_opportunities and not recorded.allow_destroy_opportunities:
        given.append("--allow-destroy-opportunities")
    if given:
        made = flags_text(flags) or "no flags"
        raise ConfigError(
            f"{path} was planned with {made}, but this apply was given {' '.join(given)}: a "
            "saved plan applies with the flags it was reviewed with. Drop them, or plan again "
            "with them (ghlops plan --out)"
        )
    kinds = saved.selection.get("kinds")
    return replace(
        options,
        force=recorded.force,
        allow=recorded.allow,
        deny=recorded.deny,
        allow_destroy_opportunities=recorded.allow_destroy_opportunities,
        selection=Selection(kinds=tuple(str(k) for k in kinds) if isinstance(kinds, list) else ()),
    )


def _parse_actions(value: Any, path: Path) -> frozenset[Action] | None:
    if value is None:
        return None
    try:
        return frozenset(Action(v) for v in value)
    except (TypeError, ValueError):
        raise ConfigError(f"plan file {path} is damaged (flags: {value!r})") from None


def bind_locations(
    saved: planfile.SavedPlan, project: Project, path: Path
) -> dict[str, LocationConfig]:
    """The project's location of each saved location, by id (never by name).

    Raises:
        ConfigError: a planned location id is not in ghlops.yaml any more (for example its name
            now points to another id), or the agency changed.
    """
    by_id = {loc.id: loc for loc in project.locations}
    by_name = {loc.name: loc for loc in project.locations}
    bound: dict[str, LocationConfig] = {}
    problems = []
    for loc in saved.locations():
        if loc.agency:
            company = project.agency.company_id if project.agency else None
            if company != loc.location_id:
                problems.append(
                    f"it was planned for agency {loc.location_id}, and ghlops.yaml now names "
                    + (f"agency {company}" if company else "no agency")
                )
            continue
        config = by_id.get(loc.location_id)
        if config is not None:
            bound[loc.location_id] = config
        elif loc.name in by_name:
            problems.append(
                f"location {loc.name} was planned for id {loc.location_id}, and ghlops.yaml now "
                f"gives that name id {by_name[loc.name].id}"
            )
        else:
            problems.append(
                f"location {loc.name} ({loc.location_id}) is not in ghlops.yaml any more"
            )
    if problems:
        raise ConfigError(
            f"{path} cannot be applied: {'; '.join(problems)}. Nothing was applied; plan again"
        )
    return bound


def run_apply_saved(obj: Context, options: RunOptions, path: Path, all_or_nothing: bool) -> int:
    """Apply a saved plan: only what was reviewed, where it was planned, with its flags, only
    in locations where nothing moved since, and each location once."""
    from ghlops.apply.applier import LocationResult, Status
    from ghlops.apply.lock import apply_lock
    from ghlops.manifest.agency import gather
    from ghlops.manifest.files import project_files
    from ghlops.manifest.loader import load_all
    from ghlops.manifest.project import load_project
    from ghlops.plan.plankey import require_plan_key
    from ghlops.render.refusals import masked, shown, text_block

    saved = planfile.load(obj.directory / path, shown=path)  # like git -C: relative to -C
    options = options_for(saved, options, path)
    version = saved.document.get("ghlops_version")
    if version != __version__:
        warn(f"{path} was made by ghlops {version}; this is ghlops {__version__}")
    for loc in saved.locations():
        record = saved.applied.get(loc.key)
        if record:
            echo(f"{loc.label}: already applied at {record.get('at')}; skipped", err=True)
    pending = saved.pending()
    if not pending:
        if saved.applied:
            echo(
                f"{path}: every location with changes was already applied (plan "
                f"{saved.plan_id}); nothing to do. Plan again to see what differs now."
            )
        else:
            echo(f"{path} holds no changes; nothing to do.")
        return EXIT_OK
    project = load_project(obj.directory)
    configs = bind_locations(saved, project, path)
    saved.plan_key = require_plan_key(project.root, saved.plan_key_id, str(path))
    pending = saved.pending()  # now with the key their digests are compared with
    changed = planfile.changed_files(saved.project_files, saved.keyed_files(project_files(project)))
    if changed:
        raise ConfigError(
            f"{path} cannot be applied: the project changed since the plan: "
            f"{', '.join(changed)}. Nothing was applied; plan again"
        )
    states = load_all(project, [configs[loc.location_id] for loc in pending if not loc.agency])
    agency_pending = any(loc.agency for loc in pending)
    agency = gather(project, load_all(project)) if agency_pending else None
    interrupts = Interrupts(lock_note=LOCK_NOTE)
    with (
        interrupts,
        apply_lock(project.root, warn=warn),
        session_for(project, options) as session,
    ):
        now = session.plan(states, agency, check_destroy=False)
        current = {f"location:{loc.location_id}": loc for loc in now.locations}
        if now.agency is not None:
            current[f"agency:{now.agency.location_id}"] = now.agency
        keep: set[str] = set()
        refused: list[LocationResult] = []
        stale: list[Violation] = []
        for loc in pending:
            plan_now = current.get(loc.key)
            if plan_now is None:
                reasons = ["it was not planned again"]
            elif plan_now.error:
                reasons = [f"its live state could not be read: {plan_now.error}"]
            else:
                reasons = planfile.stale_reasons(loc, plan_now)
            if reasons:
                refused.append(
                    LocationResult(loc.name, loc.location_id, (), error="; ".join(reasons))
                )
                rule = "unreadable" if plan_now is not None and plan_now.error else "stale"
                violation = Violation(
                    loc.label, rule, "; ".join(reasons), False, location_id=loc.location_id
                )
                echo(f"Refused {shown(violation)}", err=True)
                stale.append(violation)
            else:
                keep.add(loc.key)
        if refused and all_or_nothing:
            echo("Apply refused (--all-or-nothing): nothing was changed.", err=True)
            saved.record_apply({}, [masked(v).to_data() for v in stale], EXIT_ERROR)
            return EXIT_ERROR
        todo = Plan(
            tuple(loc for loc in now.locations if f"location:{loc.location_id}" in keep),
            now.agency if now.agency and f"agency:{now.agency.location_id}" in keep else None,
        )
        verdict = judge(todo, project, options, session, budget=True)
        verdict = Verdict((*stale, *verdict.refused), verdict.allowed)
        if todo.has_changes:
            echo(render(obj, todo, verdict, expand=options.expand), nl=False)
            if not enforce(verdict):
                echo("Apply refused; nothing was changed.", err=True)
                saved.record_apply({}, [masked(v).to_data() for v in verdict.refused], EXIT_ERROR)
                return EXIT_ERROR
            echo("")
            with interrupts.writing(session.stop):
                applied = apply_reported(session, todo)
        else:  # never "No changes": there are changes, and they were refused
            echo(text_block(verdict), nl=False)
            echo("Nothing to apply: every location with changes was refused.", err=True)
            applied = []
    # Session.apply returns the locations in order, then the agency
    keys = [f"location:{loc.location_id}" for loc in todo.locations]
    keys += [f"agency:{todo.agency.location_id}"] if todo.agency else []
    attempted = {
        key: {
            "done": r.count(Status.DONE),
            "failed": r.count(Status.FAILED),
            "not_attempted": r.count(Status.NOT_ATTEMPTED),
        }
        for key, r in zip(keys, applied, strict=False)
        if any(o.status is not Status.NOT_ATTEMPTED for o in r.outcomes)
    }
    text, code = summarise([*refused, *applied])
    saved.record_apply(attempted, [masked(v).to_data() for v in verdict.refused], code)
    echo(text, err=code != EXIT_OK)
    return interrupts.exit_code or code


# -- show PLANFILE -----------------------------------------------------------------------------


def _facts(saved: planfile.SavedPlan, path: Path) -> list[str]:
    """What the file knows besides its changes, one fact a line."""
    from ghlops.render.refusals import shown

    doc = saved.document
    flags = flags_text(saved.flags) or "none"
    lines = [
        f"Saved plan {path}: plan {saved.plan_id}, made {doc.get('created_at')} by ghlops "
        f"{doc.get('ghlops_version')}",
        f"target: {describe_target(saved.target)}",
        f"flags: {flags}",
    ]
    done = [
        f"{terminal(loc.label)} at {terminal(str(saved.applied[loc.key].get('at')))}"
        for loc in saved.locations()
        if loc.key in saved.applied
    ]
    pending = [terminal(loc.label) for loc in saved.pending()]
    lines.append("applied: " + (_some(done) if done else "nothing yet"))
    lines.append("not applied yet: " + (_some(pending) if pending else "nothing"))
    last = saved.last_apply
    if last:
        lines.append(f"last apply: {last.get('at')}, exit code {last.get('exit_code')}")
        for refusal in last.get("refusals") or []:
            v = Violation.from_data(refusal)
            lines.append(f"  refused: {shown(v)}  [{v.advice}]")
    return lines


def _some(names: Sequence[str], limit: int = 10) -> str:
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


@cli.command()
@click.argument("plan_file", type=click.Path(dir_okay=False, path_type=Path), metavar="PLAN")
@click.option("--json", "as_json", is_flag=True, help="Print it as JSON.")
@click.option("--markdown", is_flag=True, help="Print it as Markdown (for a PR comment).")
@click.pass_obj
def show(obj: Context, plan_file: Path, as_json: bool, markdown: bool) -> None:
    """Show a saved plan (from 'ghlops plan --out') without calling the API: its changes, what
    was refused and why, where and with which flags it was made, and which locations were
    already applied."""
    if as_json and markdown:
        raise click.UsageError("--json and --markdown cannot be used together")
    saved = planfile.load(obj.directory / plan_file, shown=plan_file)
    plan = planfile.plan_from_document(saved.document)
    verdict = Verdict.from_data(
        saved.document.get("refusals") or [], saved.document.get("allowed") or []
    )
    doc = saved.document
    if as_json:
        facts = {
            "plan_file": {
                "plan_id": saved.plan_id,
                "created_at": doc.get("created_at"),
                "ghlops_version": doc.get("ghlops_version"),
                "target": dict(saved.target),
                "flags": dict(saved.flags),
                "applied": dict(saved.applied),
                "not_applied": [loc.key for loc in saved.pending()],
                "last_apply": dict(saved.last_apply) or None,
            }
        }
        echo(render(obj, plan, verdict, as_json=True, first=facts), nl=False)
        return
    facts_lines = _facts(saved, plan_file)
    if markdown:
        from ghlops.render.refusals import markdown_facts

        text = render(obj, plan, verdict, markdown=True)
        echo(markdown_facts(text, facts_lines), nl=False)
        return
    from ghlops.render.refusals import text_block

    body = render(obj, plan, Verdict())
    echo(text_block(verdict) + "\n".join(facts_lines) + "\n\n" + body, nl=False)
