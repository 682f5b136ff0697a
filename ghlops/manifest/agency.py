"""Agency-level kinds: gather what locations declare into one desired state for the agency.

A custom menu link declared in the bundles of several locations is one agency object. Its
declarations must agree on every field; its ``locations`` become exactly the ids of the
locations that declare it (unless ``showToAllLocations``). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ghlops.errors import ManifestError, Problem, SourcePos
from ghlops.manifest.loader import DesiredState
from ghlops.manifest.project import Project
from ghlops.resources import registry
from ghlops.resources.base import DesiredItem

AGENCY = "agency"


def agency_kinds() -> list[str]:
    return [k for k, a in registry.ADAPTERS.items() if a.scope == "agency"]


def declares_agency_items(states: Sequence[DesiredState]) -> bool:
    return any(state.items.get(kind) for state in states for kind in agency_kinds())


def gather(project: Project, states: Sequence[DesiredState]) -> dict[str, tuple[DesiredItem, ...]]:
    """Desired agency items by kind, from the desired states of ALL the project's locations."""
    problems: list[Problem] = []
    result: dict[str, tuple[DesiredItem, ...]] = {}
    for kind in agency_kinds():
        singular = registry.get(kind).singular
        first: dict[str, tuple[DesiredItem, str]] = {}
        members: dict[str, list[str]] = {}
        for state in states:
            for item in state.items.get(kind, ()):
                seen = first.get(item.key)
                if seen is None:
                    first[item.key] = (item, state.location.name)
                    members[item.key] = [state.location.id]
                    continue
                members[item.key].append(state.location.id)
                other, other_location = seen
                differing = sorted(
                    name
                    for name in set(item.fields) | set(other.fields)
                    if item.fields.get(name) != other.fields.get(name)
                )
                differing += [
                    name
                    for name, mine, theirs in (
                        ("protect", item.protect, other.protect),
                        ("renamedFrom", item.renamed_from, other.renamed_from),
                    )
                    if mine != theirs
                ]
                if differing:
                    problems.append(
                        Problem(
                            item.source or SourcePos("?"),
                            f"{singular} '{item.key}' differs between locations "
                            f"{other_location} and {state.location.name} "
                            f"({', '.join(differing)}); an agency object has one definition",
                            location=state.location.name,
                        )
                    )
        if first and project.agency is None:
            item, _ = next(iter(first.values()))
            problems.append(
                Problem(
                    item.source or SourcePos("ghlops.yaml"),
                    f"{kind} are agency-level: add 'agency: {{companyId: ..., tokenEnv: ...}}' "
                    "to ghlops.yaml",
                )
            )
        items = []
        for key, (item, _) in first.items():
            fields = dict(item.fields)
            if not fields.get("showToAllLocations"):
                fields["locations"] = sorted(set(members[key]))
            items.append(replace(item, fields=fields))  # protect and renamedFrom kept
        result[kind] = tuple(items)
    if problems:
        raise ManifestError(problems)
    return result
