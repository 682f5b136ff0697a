"""What ``ghlops export`` writes, and writing it.

Layout under the output folder::

    ghlops.yaml                     with --write-project
    bundles/<location>/<kind>.yaml  one file per kind (prices inside products, rates inside zones)
    bundles/base/<kind>.yaml        with --common: what the locations share

Within an item the natural-key fields come first (:data:`KEY_FIELDS`), then the model's order.
``ghlops.yaml`` never holds a token: each location names the environment variable its token is
read from (``tokenEnv``: the source project's, else ``GHL_TOKEN_<NAME>``), the agency section
is written when custom menu links were exported, and the source project's ``policy.ignore`` and
``policy.protect`` are carried over (objects ignored there are not exported either).
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

from ghlops.errors import ConfigError
from ghlops.export.common import CommonExport
from ghlops.export.single import ExportedItem, FleetExport
from ghlops.export.writer import dump
from ghlops.manifest.project import LocationConfig, Project
from ghlops.resources import registry
from ghlops.secrets import scrub
from ghlops.settings import PROJECT_FILE

BUNDLES = "bundles"
BASE = "base"
AGENCY_TOKEN_ENV = "GHL_AGENCY_TOKEN"
# GHL's identity fields, most specific first: an item starts with what it is matched by
KEY_FIELDS = ("slug", "fieldKey", "name", "title", "domain", "path")


def token_env(location: LocationConfig) -> str:
    """The variable a written project reads the location's token from."""
    if location.token_env:
        return location.token_env
    return "GHL_TOKEN_" + (re.sub(r"[^A-Z0-9]+", "_", location.name.upper()).strip("_") or "X")


def ordered(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The item's fields, natural-key fields first."""
    first = {k: fields[k] for k in KEY_FIELDS if k in fields}
    return {**first, **{k: v for k, v in fields.items() if k not in first}}


def bundle_files(
    folder: str, items: Mapping[str, Sequence[ExportedItem]], header: Sequence[str]
) -> dict[str, str]:
    """One file per kind in ``folder`` (relative to the output folder)."""
    return {
        f"{folder}/{kind}.yaml": dump({kind: _kind_value(kind, kind_items)}, header=header)
        for kind, kind_items in items.items()
        if kind_items
    }


def _kind_value(kind: str, items: Sequence[ExportedItem]) -> Any:
    """A kind's value in a bundle: its items, or for a singleton kind its one item's fields."""
    if registry.get(kind).singleton:
        return ordered(items[0].fields)
    return [ordered(i.fields) for i in items]


def _folder(name: str) -> str:
    return f"{BUNDLES}/{name}"


def project_file(
    project: Project,
    locations: Iterable[tuple[LocationConfig, Mapping[str, str], Sequence[str]]],
    *,
    agency: bool,
) -> str:
    """``ghlops.yaml`` for ``(location, its variables, its bundle folders)`` entries."""
    data: dict[str, Any] = {"version": 1}
    if agency and project.agency is not None:
        data["agency"] = {
            "companyId": project.agency.company_id,
            "tokenEnv": project.agency.token_env or AGENCY_TOKEN_ENV,
        }
    policy = {
        name: {kind: list(patterns) for kind, patterns in rules.items() if patterns}
        for name, rules in (("ignore", project.policy.ignore), ("protect", project.policy.protect))
    }
    if any(policy.values()):
        data["policy"] = {name: rules for name, rules in policy.items() if rules}
    entries = []
    for location, variables, bundles in locations:
        entry: dict[str, Any] = {
            "name": location.name,
            "id": location.id,
            "tokenEnv": token_env(location),
        }
        if variables:
            entry["vars"] = dict(variables)
        entry["bundles"] = list(bundles)
        entries.append(entry)
    data["locations"] = entries
    header = [
        "Written by `ghlops export --write-project`. No token is written here: put each",
        "location's Private Integration Token in the environment variable its tokenEnv names.",
    ]
    return dump(data, jinja=False, header=header)


def single_files(fleet: FleetExport, project: Project, *, write_project: bool) -> dict[str, str]:
    """Each location's whole bundle in its own folder (and ghlops.yaml)."""
    files: dict[str, str] = {}
    entries: list[tuple[LocationConfig, Mapping[str, str], Sequence[str]]] = []
    for loc in fleet.locations:
        where = f"{loc.location.name} ({loc.location.id})"
        files.update(
            bundle_files(_folder(loc.location.name), loc.items, [f"ghlops export: {where}"])
        )
        entries.append((loc.location, {}, [_folder(loc.location.name)] if loc.items else []))
    if write_project:
        files[PROJECT_FILE] = project_file(project, entries, agency=fleet.has_agency_items)
    return files


def common_files(
    common: CommonExport, fleet: FleetExport, project: Project, *, write_project: bool
) -> dict[str, str]:
    """The base bundle, the per-location bundles (and ghlops.yaml with the variables)."""
    names = ", ".join(common.names)
    files = bundle_files(_folder(BASE), common.base, [f"ghlops export --common: shared by {names}"])
    entries: list[tuple[LocationConfig, Mapping[str, str], Sequence[str]]] = []
    for loc in fleet.locations:
        name = loc.location.name
        own = common.own.get(name, {})
        where = f"{name} ({loc.location.id})"
        files.update(bundle_files(_folder(name), own, [f"ghlops export --common: only {where}"]))
        bundles = [_folder(BASE)] if common.base else []
        if any(own.values()):
            bundles.append(_folder(name))
        entries.append((loc.location, common.variables.get(name, {}), bundles))
    if write_project:
        files[PROJECT_FILE] = project_file(project, entries, agency=fleet.has_agency_items)
    return files


def location_entries_text(common: CommonExport, fleet: FleetExport, project: Project) -> str:
    """The ``locations:`` part of ghlops.yaml for a common export (shown without
    --write-project, so the variables are not lost)."""
    text = common_files(common, fleet, project, write_project=True)[PROJECT_FILE]
    return text[text.index("locations:") :]


def check_out_dir(out: Path, *, force: bool) -> None:
    """Refuse an output folder that is a file, or not empty (unless ``force``).

    Raises:
        ConfigError: the folder cannot be written to as asked.
    """
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out} is not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ConfigError(
            f"{out} is not empty; choose a new folder, or pass --force to write into it (the "
            "bundle folders written are emptied of their YAML files first)"
        )


def write_files(out: Path, files: Mapping[str, str]) -> list[Path]:
    """Write ``files`` (relative path -> text) under ``out``, without the secrets this process
    knows (:func:`ghlops.secrets.scrub`: the tokens, in any encoding, even with
    ``--show-secrets``); the bundle folders written are emptied of ``*.yaml``/``*.yml`` files
    first, so no file of an earlier export stays behind.
    """
    for rel in files:
        _no_symlink(out, Path(rel))
    folders = {(out / rel).parent for rel in files if rel != PROJECT_FILE}
    for folder in sorted(folders):
        if folder.is_dir():
            for old in [*folder.glob("*.yaml"), *folder.glob("*.yml")]:
                old.unlink()
    written = []
    for rel, text in sorted(files.items()):
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as stream:
            stream.write(scrub(text))  # the secrets this process knows never get out
        written.append(path)
    return written


def _no_symlink(out: Path, rel: Path) -> None:
    """Refuse to write ``out/rel`` when it, or a folder on the way to it inside ``out``, is a
    symbolic link: ``export --force`` must never delete or overwrite files elsewhere.

    Raises:
        ConfigError: naming the link.
    """
    current = out
    for part in rel.parts:
        current = current / part
        if current.is_symlink():
            raise ConfigError(
                f"{current} is a symbolic link; export does not write through links (it could "
                "delete or overwrite files outside the output folder): remove it, or choose "
                "another folder"
            )


def copy_sandbox(source: Path, dest: Path) -> bool:
    """Copy a sandbox database (consistently, with SQLite's backup); False when there is none."""
    if not source.is_file():
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.unlink(missing_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(dest)) as dst:
        src.backup(dst)
    return True
