"""export: write bundle files (and ghlops.yaml) from live state, to adopt existing sub-accounts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ghlops.cli.app import Context, cli
from ghlops.cli.common import Selection, open_target, target_options
from ghlops.cli.output import echo
from ghlops.errors import ConfigError
from ghlops.escape import terminal
from ghlops.secrets import mask_text
from ghlops.settings import PROJECT_FILE, SANDBOX_DB

if TYPE_CHECKING:  # imported lazily: --help starts fast
    from ghlops.export.common import CommonExport
    from ghlops.export.single import FleetExport
    from ghlops.manifest.project import Project


@cli.command()
@click.option(
    "--location",
    "-l",
    "locations",
    multiple=True,
    metavar="PATTERN",
    help="Export locations whose name matches (repeatable; shell-style, e.g. 'clinic-*'; "
    "default: all).",
)
@click.option(
    "--exclude-location",
    "exclude_locations",
    multiple=True,
    metavar="PATTERN",
    help="Leave out locations whose name matches (repeatable).",
)
@click.option("--kind", "kinds", multiple=True, metavar="KIND", help="Only this kind (repeatable).")
@click.option(
    "--exclude-kind",
    "exclude_kinds",
    multiple=True,
    metavar="KIND",
    help="Leave out this kind (repeatable).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder to write to; it must be new or empty (see --force).",
)
@click.option(
    "--common",
    is_flag=True,
    help="Put what the locations share in bundles/base, with per-location variables where "
    "only a text differs; the rest in bundles/<location>.",
)
@click.option(
    "--write-project",
    is_flag=True,
    help="Also write ghlops.yaml for the exported locations (token variable names only).",
)
@click.option(
    "--show-secrets", is_flag=True, help="Write secret-looking values instead of masking them."
)
@click.option(
    "--force",
    is_flag=True,
    help="Write into a folder that is not empty: the bundle folders written are emptied of "
    "their YAML files first, ghlops.yaml is replaced; nothing else is touched.",
)
@target_options
@click.pass_obj
def export(
    obj: Context,
    locations: tuple[str, ...],
    exclude_locations: tuple[str, ...],
    kinds: tuple[str, ...],
    exclude_kinds: tuple[str, ...],
    out: Path,
    common: bool,
    write_project: bool,
    show_secrets: bool,
    force: bool,
    sandbox: bool,
    base_url: str | None,
) -> None:
    """Write bundle files from the live state of existing locations.

    One file per kind, items sorted by natural key, only the fields a bundle holds and none
    that equals GHL's default, references by name, no ids. Secret-looking values are masked
    (as an undefined template variable, so they cannot be applied by accident) unless
    --show-secrets. Custom menu links shown in a location go into its bundle (they are read
    with the agency token).

    With --sandbox and --write-project, the new project gets a copy of the sandbox, so
    `ghlops -C OUT plan --sandbox` compares against the same state.
    """
    from ghlops.engine import Session
    from ghlops.export.common import common_export
    from ghlops.export.files import (
        check_out_dir,
        common_files,
        copy_sandbox,
        single_files,
        write_files,
    )
    from ghlops.export.single import export_fleet, read_fleet
    from ghlops.manifest.project import load_project

    project = load_project(obj.directory)
    selection = Selection(locations, exclude_locations, kinds, exclude_kinds)
    chosen = selection.select(project)
    if not chosen:
        raise ConfigError("no location left to export after --exclude-location")
    if common and len(chosen) < 2:
        raise ConfigError(f"--common needs two locations or more (selected: {chosen[0].name})")
    check_out_dir(out, force=force)

    with open_target(project, sandbox, base_url) as target:
        session = Session(project, target, kinds=export_kinds(selection))
        states, agency, read_notes = read_fleet(session, chosen)
        fleet = export_fleet(session, chosen, states, agency, show_secrets=show_secrets)
    fleet.notes[:0] = read_notes

    shared: CommonExport | None = None
    if common:
        shared = common_export(fleet.locations)
        files = common_files(shared, fleet, project, write_project=write_project)
    else:
        files = single_files(fleet, project, write_project=write_project)
    write_files(out, files)
    copied = False
    if sandbox and write_project:
        copied = copy_sandbox(project.root / SANDBOX_DB, out / SANDBOX_DB)

    _report(out, files, fleet, shared, project, write_project, copied)


def export_kinds(selection: Selection) -> list[str] | None:
    """The kinds to read: the selected ones, what they need, and the kinds nested in them
    (a product's prices belong in its item) unless excluded."""
    from ghlops.resources import registry

    kinds = selection.kind_list()
    if kinds is None:
        return None
    wanted = set(kinds)
    wanted |= {c.kind for k in kinds for c in registry.children_of(k)}
    wanted -= set(selection.exclude_kinds)
    return [k for k in registry.kinds() if k in wanted]


def _report(
    out: Path,
    files: dict[str, str],
    fleet: FleetExport,
    shared: CommonExport | None,
    project: Project,
    write_project: bool,
    copied: bool,
) -> None:
    items = sum(text.count("\n  - ") for rel, text in files.items() if rel != PROJECT_FILE)
    names = ", ".join(terminal(loc.location.name) for loc in fleet.locations)
    bundles = len([rel for rel in files if rel != PROJECT_FILE])
    echo(f"Exported {names} to {out}/: {bundles} bundle file(s), {items} item(s).")
    if PROJECT_FILE in files:
        echo(f"  {PROJECT_FILE}: {len(fleet.locations)} location(s), token variables only")
    if copied:
        echo(f"  {SANDBOX_DB}: a copy of the sandbox, for `plan --sandbox` there")
    if shared is not None:
        _report_common(shared, fleet, project, write_project)
    notes = list(fleet.notes)
    for loc in fleet.locations:
        notes += [f"{loc.location.name}: {note}" for note in loc.notes]
    masked = [f"{loc.location.name}: {m}" for loc in fleet.locations for m in loc.masked]
    if masked:
        echo(
            f"\nMasked {len(masked)} secret-looking value(s) (they must be filled in before a plan):"
        )
        _lines(masked)
    if notes:
        echo("\nNotes:")
        _lines(notes)
    target = " --sandbox" if copied else ""
    if write_project:
        where = "" if out == Path(".") else f"-C {out} "
        step = f"`ghlops {where}plan{target}`"
    else:
        step = "list the bundle folders in your ghlops.yaml and run `ghlops plan`"
    echo(f"\nNext: review the files, then {step}: a faithful export plans no changes.")


def _report_common(
    shared: CommonExport, fleet: FleetExport, project: Project, write_project: bool
) -> None:
    base = sum(len(v) for v in shared.base.values())
    echo(f"  bundles/base/: {base} item(s) shared by every location")
    if shared.templated:
        echo("\nTemplated (one base item, a per-location value):")
        _lines(
            [
                f"{t.kind} {t.key!r}: {', '.join(t.paths)} → {', '.join(t.refs)}"
                for t in shared.templated
            ]
        )
    if shared.kept:
        echo("\nKept per location (not in the base bundle):")
        _lines([f"{k.kind} {k.key!r} ({', '.join(k.locations)}): {k.reason}" for k in shared.kept])
    if any(shared.variables.values()) and not write_project:
        from ghlops.export.files import location_entries_text

        echo("\nThe templates need these variables in ghlops.yaml (or pass --write-project):")
        for line in location_entries_text(shared, fleet, project).splitlines():
            echo(f"  {terminal(line)}")


def _lines(lines: Sequence[str]) -> None:
    """Lines quoting names, keys and notes from GHL: masked, one line each, escaped."""
    for line in lines:
        echo(f"  {terminal(mask_text(line))}")
