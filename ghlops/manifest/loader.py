"""Rendering a location's bundles into its desired state.

For each bundle entry of the location, in order, each of its files is rendered with jinja2 (see
:mod:`ghlops.manifest.templating`), parsed as YAML (:mod:`ghlops.manifest.yamlload`) and its items
validated against the model of their kind (the keys of :data:`ghlops.resources.registry.ADAPTERS`).

Merge semantics:

* Within one bundle entry (one file, or all the files of one folder) a natural key may be declared
  once; a second declaration is an error naming both places.
* A later bundle entry overrides an earlier one by natural key: its fields merge over the
  earlier item's field by field (nested mappings merge, lists are replaced whole; ``protect`` and
  ``renamedFrom`` stay unless set again), and the item keeps the position of its first
  declaration (new keys are appended in declaration order). An item that leaves out required
  fields is such an override only; ``absent: true`` removes the earlier item (see
  :mod:`ghlops.manifest.overrides`).
* Two items whose identities are the same to GHL (the first natural key of
  :class:`~ghlops.resources.base.Identity`, within the same parent) are an error, even when
  their keys differ (pipeline names that differ only in letter case).
* An item that ``policy.ignore`` names is an error at its line, naming the pattern: ghlops never
  touches an ignored object, so declaring one could only create it again and again.
* A kind given as ``null`` (``tags:`` with nothing under it) declares no items; so does a file
  that renders to nothing but whitespace and comments (a file that is empty before rendering is
  an error).

Problems: every problem of every file of every selected location is collected before raising one
ManifestError. Problems that depend on the location (template runtime errors, YAML or validation
problems in a templated file, and what depends on the location's other bundles: overrides,
removals, duplicates of identity, references) carry the location's name, except when the very same
problem occurs in every one of two or more locations using that file: then it is reported once,
without a location. Problems that do not depend on the location (unreadable files, template
syntax errors, anything else in a file without template tags) never carry one.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ghlops.errors import ManifestError, Problem, SourcePos, did_you_mean
from ghlops.manifest.bundles import BundleFile, expand_bundle
from ghlops.manifest.overrides import (
    ABSENT,
    Pending,
    desired,
    only_missing,
    override,
    removal_problems,
    target,
    unmatched,
)
from ghlops.manifest.project import LocationConfig, Project
from ghlops.manifest.templating import (
    CompiledTemplate,
    TemplateFailure,
    compile_template,
    has_template_syntax,
    render,
    template_context,
)
from ghlops.manifest.validation import validation_problems
from ghlops.manifest.yamlload import YamlDocument, describe_type, parse_yaml, read_text
from ghlops.plan.policy import Policy
from ghlops.resources import registry
from ghlops.resources.base import DesiredItem


@dataclass(frozen=True)
class DesiredState:
    """What one location should look like, according to its bundles."""

    location: LocationConfig
    items: Mapping[str, tuple[DesiredItem, ...]]  # kind -> items; every registry kind present
    files: tuple[str, ...]  # files that contributed, relative to the project, in render order
    # items an ``absent: true`` took out: (the item removed, where the removal is)
    removed: tuple[tuple[DesiredItem, SourcePos], ...] = ()
    # file -> where the bundle entry that brought it comes from: "defaults", "group NAME" or
    # "location" (see LocationConfig.bundle_origins)
    origins: Mapping[str, str] = field(default_factory=dict)


@dataclass
class _FileResult:
    items: list[DesiredItem] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)  # partial overrides and removals
    failed: Failed = field(default_factory=dict)  # see _items
    static: list[Problem] = field(default_factory=list)  # the same for every location
    dynamic: list[Problem] = field(default_factory=list)  # depends on the location rendered
    templated: bool = False


@dataclass
class _LocationResult:
    location: LocationConfig
    state: DesiredState | None
    static: list[Problem]
    dynamic: list[Problem]
    templated_files: set[str]


def _known_kinds() -> str:
    return ", ".join(registry.bundle_kinds())


def _unknown_kind_message(kind: object) -> str:
    message = f"unknown resource kind {kind!r} (known: {_known_kinds()})"
    if isinstance(kind, str):
        message += did_you_mean(kind, registry.bundle_kinds())
    return message


Failed = dict[str, set[str]]
"""Kind -> the text values of items that failed validation (what a reference may name)."""


_NUMBER_ERRORS = frozenset(
    {"int_type", "float_type", "int_parsing", "float_parsing", "decimal_type"}
)
_NUMBER_TEXT = re.compile(r"\s*-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*")


def _with_numbers(raw: dict[str, Any], exc: ValidationError) -> dict[str, Any] | None:
    """``raw`` with the texts that number fields were given turned into numbers, or None.

    In a templated file ``amount: "{{ vars.price }}"`` renders to the text "199": quoted, since
    an unquoted ``{{ ... }}`` is not YAML. Such a text is read as the number it spells.
    """
    fixed = copy.deepcopy(raw)
    changed = False
    for error in exc.errors(include_url=False):
        got = error.get("input")
        if error.get("type") not in _NUMBER_ERRORS or not isinstance(got, str):
            continue
        if not _NUMBER_TEXT.fullmatch(got):
            continue
        number = float(got) if any(c in got for c in ".eE") else int(got)
        if isinstance(number, float) and not math.isfinite(number):
            continue
        *parents, last = error.get("loc", ())
        node: Any = fixed
        try:
            for part in parents:
                node = node[part]
            if node[last] == got:
                node[last] = number
                changed = True
        except (KeyError, IndexError, TypeError):
            continue
    return fixed if changed else None


_Parsed = tuple[list[DesiredItem], list[Pending], list[Problem], Failed]


def _items(document: YamlDocument, file: str, *, templated: bool = False) -> _Parsed:
    """Validate a parsed bundle file into desired items, and the items that need an earlier
    bundle's item (partial overrides and removals, see :mod:`ghlops.manifest.overrides`).

    Also returns what the items that failed validation may be called, so that a reference to one
    of them is not reported again as undeclared (one mistake, one message).
    """
    data, positions = document.data, document.positions
    items: list[DesiredItem] = []
    pending: list[Pending] = []
    problems: list[Problem] = []
    failed: Failed = {}
    if data is None:
        return items, pending, problems, failed
    if not isinstance(data, dict):
        problems.append(
            Problem(
                SourcePos(file, positions.line(())),
                "expected a mapping of resource kinds (such as tags: or customFields:) at the top level, "
                f"got {describe_type(data)}",
            )
        )
        return items, pending, problems, failed
    for kind, value in data.items():
        kind_pos = SourcePos(file, positions.line((kind,)))
        adapter = registry.ADAPTERS.get(kind) if isinstance(kind, str) else None
        if adapter is None or adapter.parent_kind is not None:
            problems.append(Problem(kind_pos, _unknown_kind_message(kind)))
            continue
        if value is None:
            continue
        if adapter.singleton:  # one object per location: its fields as a mapping
            entries: list[tuple[tuple[Any, ...], str, Any]] = [((kind,), kind, value)]
            if not isinstance(value, dict):
                problems.append(
                    Problem(
                        kind_pos,
                        f"{kind}: expected a mapping of fields (one {adapter.singular} per "
                        f"location), got {describe_type(value)}",
                    )
                )
                continue
        elif not isinstance(value, list):
            problems.append(
                Problem(kind_pos, f"{kind}: expected a list of items, got {describe_type(value)}")
            )
            continue
        else:
            entries = [((kind, i), f"{kind}[{i}]", raw) for i, raw in enumerate(value)]
        for path, label, raw in entries:
            item_pos = SourcePos(file, positions.nearest_line(path))
            if not isinstance(raw, dict):
                problems.append(
                    Problem(
                        item_pos,
                        f"{label}: expected a mapping of fields, got {describe_type(raw)}",
                    )
                )
                continue
            odd_keys = [key for key in raw if not isinstance(key, str)]
            for key in odd_keys:
                problems.append(
                    Problem(
                        SourcePos(file, positions.line((*path, key))),
                        f"{label}: field name {key!r} is not text; quote it",
                    )
                )
            if odd_keys:
                continue
            absent = raw.get(ABSENT)
            if ABSENT in raw and not isinstance(absent, bool):
                problems.append(
                    Problem(
                        SourcePos(file, positions.line((*path, ABSENT))),
                        f"{label}.{ABSENT}: expected true or false, got {describe_type(absent)}",
                    )
                )
                continue
            if ABSENT in raw:
                raw = {name: value for name, value in raw.items() if name != ABSENT}
            used = raw
            try:
                try:
                    spec = adapter.model.model_validate(raw)
                except ValidationError as first:
                    numbers = _with_numbers(raw, first) if templated else None
                    if numbers is None:
                        raise
                    used = numbers
                    spec = adapter.model.model_validate(numbers)
            except ValidationError as exc:
                reported = validation_problems(
                    exc,
                    model=adapter.model,
                    data=used,
                    file=file,
                    positions=positions,
                    base=path,
                    label=label,
                )
                missing = only_missing(exc)
                if missing is not None:  # needs an earlier item to be complete
                    pending.append(
                        Pending(
                            kind,
                            used,
                            item_pos,
                            bool(absent),
                            None,
                            missing,
                            tuple(reported),
                            templated,
                        )
                    )
                    continue
                failed.setdefault(kind, set()).update(v for v in raw.values() if isinstance(v, str))
                problems += reported
                continue
            try:
                item = desired(adapter, spec, item_pos, used)
            except (KeyError, TypeError, ValueError) as exc:
                failed.setdefault(kind, set()).update(v for v in raw.values() if isinstance(v, str))
                problems.append(Problem(item_pos, f"{label}: invalid {adapter.singular}: {exc}"))
                continue
            if absent:
                pending.append(Pending(kind, used, item_pos, True, item.key, templated=templated))
            else:
                items.append(item)
    return items, pending, problems, failed


class _Session:
    """Loads locations of one project, sharing file reads and compiled templates between them."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._expanded: dict[tuple[str, SourcePos], tuple[list[BundleFile], list[Problem]]] = {}
        # keyed by (real path, shown path): one file reached by two paths is reported by each
        self._sources: dict[tuple[Path, str], tuple[str | None, Problem | None]] = {}
        self._compiled: dict[tuple[Path, str], CompiledTemplate | Problem] = {}
        self._plain: dict[tuple[Path, str], _FileResult] = {}
        # a templated file's renders that are the very same text are parsed and validated once
        self._renders: dict[tuple[Path, str, str, tuple[int, ...]], _Parsed] = {}

    def expand(self, entry: str, pos: SourcePos) -> tuple[list[BundleFile], list[Problem]]:
        key = (entry, pos)
        if key not in self._expanded:
            self._expanded[key] = expand_bundle(self.project.root, entry, pos)
        return self._expanded[key]

    def _source(self, bundle_file: BundleFile) -> tuple[str | None, Problem | None]:
        key = (bundle_file.real, bundle_file.rel)
        if key not in self._sources:
            self._sources[key] = read_text(bundle_file.path, bundle_file.rel)
        return self._sources[key]

    def _compile(self, bundle_file: BundleFile, source: str) -> CompiledTemplate | Problem:
        key = (bundle_file.real, bundle_file.rel)
        if key not in self._compiled:
            try:
                compiled: CompiledTemplate | Problem = compile_template(source, bundle_file.rel)
            except TemplateFailure as exc:
                compiled = Problem(SourcePos(bundle_file.rel, exc.line), exc.message)
            self._compiled[key] = compiled
        return self._compiled[key]

    def file(self, bundle_file: BundleFile, location: LocationConfig) -> _FileResult:
        rel = bundle_file.rel
        source, problem = self._source(bundle_file)
        if problem is not None or source is None:
            return _FileResult(static=[problem or Problem(SourcePos(rel, 1), "cannot read file")])
        if not source.strip():
            return _FileResult(static=[Problem(SourcePos(rel, 1), "empty file")])
        key = (bundle_file.real, rel)
        if not has_template_syntax(source):
            if key not in self._plain:
                result = _FileResult()
                document, result.static = parse_yaml(source, rel)
                if document is not None and not result.static:  # no cascades after YAML problems
                    result.items, result.pending, problems, result.failed = _items(document, rel)
                    result.static += problems
                self._plain[key] = result
            return self._plain[key]

        result = _FileResult(templated=True)
        compiled = self._compile(bundle_file, source)
        if isinstance(compiled, Problem):
            result.static.append(compiled)
            return result
        context = template_context(location.vars, location.name, location.id)
        try:
            rendered = render(compiled, context)
        except TemplateFailure as exc:
            result.dynamic.append(Problem(SourcePos(rel, exc.line), exc.message))
            return result
        render_key = (bundle_file.real, rel, rendered.text, rendered.lines)
        parsed = self._renders.get(render_key)
        if parsed is None:
            document, dynamic = parse_yaml(rendered.text, rel, rendered.template_line)
            items: list[DesiredItem] = []
            pending: list[Pending] = []
            failed: Failed = {}
            if document is not None and not dynamic:
                items, pending, problems, failed = _items(document, rel, templated=True)
                dynamic += problems
            parsed = self._renders[render_key] = (items, pending, dynamic, failed)
        result.items, result.pending = list(parsed[0]), list(parsed[1])
        result.dynamic = list(parsed[2])
        result.failed = {kind: set(names) for kind, names in parsed[3].items()}
        return result

    def location(self, location: LocationConfig) -> _LocationResult:
        static: list[Problem] = []
        dynamic: list[Problem] = []
        templated: set[str] = set()
        merged: dict[str, dict[str, DesiredItem]] = {kind: {} for kind in registry.ADAPTERS}
        files: dict[str, None] = {}
        failed: Failed = {}
        removed: list[tuple[DesiredItem, SourcePos]] = []
        origins: dict[str, str] = {}
        entries = zip(location.bundle_entries(), location.bundle_origins(), strict=True)
        for (entry, pos), origin in entries:
            bundle_files, problems = self.expand(entry, pos)
            static += problems
            declared: dict[str, dict[str, tuple[DesiredItem, bool]]] = {
                kind: {} for kind in registry.ADAPTERS
            }
            pending: list[Pending] = []
            for bundle_file in bundle_files:
                files.setdefault(bundle_file.rel)
                origins.setdefault(bundle_file.rel, origin)
                result = self.file(bundle_file, location)
                for kind, names in result.failed.items():
                    failed.setdefault(kind, set()).update(names)
                static += result.static
                dynamic += result.dynamic
                # a problem found in every location using the file is reported once
                templated.add(bundle_file.rel)
                pending += result.pending
                for item in result.items:
                    first = declared[item.kind].get(item.key)
                    if first is None:
                        declared[item.kind][item.key] = (item, result.templated)
                        continue
                    first_item, first_templated = first
                    singular = registry.ADAPTERS[item.kind].singular
                    duplicate = Problem(
                        item.source or SourcePos(bundle_file.rel),
                        f"duplicate {singular} '{item.key}' (first declared at "
                        f"{first_item.source or first_item.kind})",
                    )
                    (dynamic if result.templated or first_templated else static).append(duplicate)
            problems, plain = _apply_pending(pending, declared, merged, removed, failed)
            dynamic += problems
            static += plain
            for kind, items in declared.items():
                for key, (item, _) in items.items():
                    earlier = merged[kind].get(key)
                    if earlier is not None and item.raw is not None:
                        overridden, problems = override(
                            earlier, item.raw, item.source or SourcePos("?"), key
                        )
                        item = overridden or item
                        dynamic += problems
                    merged[kind][key] = item
        _flatten_children(merged)
        dynamic += _identity_problems(merged)
        dynamic += _ignored_problems(merged, self.project.policy)
        dynamic += _reference_problems(merged, failed)
        state = None
        if not static and not dynamic:
            state = DesiredState(
                location=location,
                items={kind: tuple(items.values()) for kind, items in merged.items()},
                files=tuple(files),
                removed=tuple(removed),
                origins=origins,
            )
        return _LocationResult(location, state, static, dynamic, templated)


def _apply_pending(
    pending: Sequence[Pending],
    declared: Mapping[str, Mapping[str, tuple[DesiredItem, bool]]],
    merged: dict[str, dict[str, DesiredItem]],
    removed: list[tuple[DesiredItem, SourcePos]],
    failed: Failed,
) -> tuple[list[Problem], list[Problem]]:
    """Partial overrides and removals of one bundle entry, against the earlier entries' items
    (``merged``, changed in place); ``removed`` collects what ``absent: true`` took out.

    Returns the problems found, and those of a plain file's partial item that had nothing to
    override (the same for every location, as they were before overrides could be partial).
    """
    problems: list[Problem] = []
    plain: list[Problem] = []
    seen: dict[tuple[str, str], SourcePos] = {}
    for one in pending:
        earlier = merged[one.kind]
        item = target(one, earlier)
        if item is None:
            beside = declared[one.kind].get(one.key) if one.key is not None else None
            found = unmatched(one, earlier, beside[0].source if beside else None)
            alone = not one.absent and found == list(one.problems)
            (plain if alone and not one.templated else problems).extend(found)
            if not one.absent:
                failed.setdefault(one.kind, set()).update(
                    v for v in one.fields.values() if isinstance(v, str)
                )
            continue
        singular = registry.ADAPTERS[one.kind].singular
        first = declared[one.kind].get(item.key)
        first_pos = first[0].source if first is not None else seen.get((one.kind, item.key))
        if first_pos is not None:
            problems.append(
                Problem(
                    one.source, f"duplicate {singular} '{item.key}' (first declared at {first_pos})"
                )
            )
            continue
        seen[(one.kind, item.key)] = one.source
        if one.absent:
            trouble = removal_problems(one, item)
            problems += trouble
            if not trouble:
                del earlier[item.key]
                removed.append((item, one.source))
            continue
        overridden, trouble = override(item, one.fields, one.source, item.key)
        problems += trouble
        if overridden is not None:
            earlier[item.key] = overridden
    return problems, plain


def _flatten_children(merged: dict[str, dict[str, DesiredItem]]) -> None:
    """Nested items (a product's prices) become items of their own kind, after overrides, so a
    later bundle that redefines a product replaces its prices too."""
    for kind in list(merged):
        for item in list(merged[kind].values()):
            for child in item.children:
                merged.setdefault(child.kind, {})[child.key] = child


def _identity_problems(merged: Mapping[str, Mapping[str, DesiredItem]]) -> list[Problem]:
    """Items with different keys but the same identity in GHL (pipeline names that differ only
    in letter case) would both match one live object: a duplicate the key check cannot see."""
    problems = []
    for kind, items in merged.items():
        first: dict[tuple[str | None, str], DesiredItem] = {}
        for item in items.values():
            if not item.match_keys:
                continue
            other = first.setdefault((item.parent, item.match_keys[0]), item)
            if other is not item:
                singular = registry.ADAPTERS[kind].singular
                problems.append(
                    Problem(
                        item.source or SourcePos("?"),
                        f"duplicate {singular} '{item.key}': GHL would see the same {singular} "
                        f"as '{other.key}' (first declared at {other.source or kind})",
                    )
                )
    return problems


def _ignored_problems(
    merged: Mapping[str, Mapping[str, DesiredItem]], policy: Policy
) -> list[Problem]:
    """Declared items that ``policy.ignore`` names: ghlops would never see their live object, so
    every apply would create them again."""
    problems = []
    for kind, items in merged.items():
        for item in items.values():
            pattern = policy.ignored_by(item.ident)
            if pattern is None:
                continue
            singular = registry.ADAPTERS[kind].singular
            problems.append(
                Problem(
                    item.source or SourcePos("?"),
                    f"{singular} '{item.ident.label}' is declared but policy.ignore.{kind} "
                    f"pattern '{pattern}' (ghlops.yaml) names it; ghlops never touches ignored "
                    "objects: remove the item or narrow the pattern",
                )
            )
    return problems


def _reference_problems(
    merged: Mapping[str, Mapping[str, DesiredItem]], failed: Failed
) -> list[Problem]:
    """Every reference must name an item declared for the same location (an item that failed
    validation has had its message already)."""
    problems = []
    for items in merged.values():
        for item in items.values():
            for ref in item.refs:
                if (
                    ref.declared
                    and ref.key not in merged.get(ref.kind, {})
                    and ref.key not in failed.get(ref.kind, set())
                ):
                    singular = registry.ADAPTERS[item.kind].singular
                    problems.append(
                        Problem(
                            item.source or SourcePos("?"),
                            f"{singular} '{item.key}': {ref.field} '{ref.key}' is not declared "
                            f"in {ref.kind}",
                        )
                    )
    return problems


def _collect(results: Sequence[_LocationResult], *, single: bool) -> list[Problem]:
    """All problems of the results, location-tagged as described in the module docstring."""
    problems: list[Problem] = []
    seen_in: dict[Problem, list[str]] = {}
    rendered_by: dict[str, set[str]] = {}
    for result in results:
        problems += result.static
        for file in result.templated_files:
            rendered_by.setdefault(file, set()).add(result.location.name)
        for problem in result.dynamic:
            names = seen_in.setdefault(problem, [])
            if result.location.name not in names:
                names.append(result.location.name)
    for problem, names in seen_in.items():
        everywhere = set(names) == rendered_by.get(problem.pos.file, set())
        if not single and len(names) >= 2 and everywhere:
            problems.append(problem)
        else:
            problems += [replace(problem, location=name) for name in names]
    return problems


def load_location(project: Project, location: LocationConfig) -> DesiredState:
    """The desired state of one location. Raises ManifestError listing every problem."""
    result = _Session(project).location(location)
    problems = _collect([result], single=True)
    if problems or result.state is None:
        raise ManifestError(problems)
    return result.state


def load_all(
    project: Project, locations: Sequence[LocationConfig] | None = None
) -> list[DesiredState]:
    """The desired states of ``locations`` (default: all), in order.

    Raises one ManifestError with the problems of all of them.
    """
    selected = list(project.locations if locations is None else locations)
    session = _Session(project)
    results = [session.location(location) for location in selected]
    problems = _collect(results, single=False)
    if problems:
        raise ManifestError(problems)
    states: list[DesiredState] = []
    for result in results:
        if result.state is None:  # pragma: no cover - a state is missing only with problems
            raise ManifestError(result.static + result.dynamic)
        states.append(result.state)
    return states


def load_desired(project: Project, name: str) -> DesiredState:
    """Convenience: the desired state of the location called ``name`` (ConfigError if unknown)."""
    return load_location(project, project.location(name))


__all__ = ["DesiredState", "load_all", "load_desired", "load_location"]
