"""The project file, ``ghlops.yaml``: locations, their variables and bundles, and the policy.

``ghlops.yaml`` is plain YAML (never templated), validated with the pydantic models below, which
forbid unknown keys. Every problem is reported at once, with its line, as a ManifestError.

Location groups: ``groups: {dental: {bundles: [...], vars: {...}}}`` declares groups, and a
location's ``groups: [dental]`` puts it in them (see docs/projects.md).

Variables are merged key by key at the top level (the later value wins whole; nested mappings
are not merged): ``defaults.vars``, then each of the location's groups' ``vars`` in the order of
its ``groups`` list, then the location's own ``vars``.

Bundles, in this order: ``defaults.bundles`` (unless the location gives ``bundles``, even empty:
its own list replaces the defaults), then each group's ``bundles`` in the order of the
location's ``groups``, then the location's own ``bundles``. A later bundle overrides an earlier
one, so a location's own bundles override its groups' and a group's override the defaults. The
same bundle entry twice in that list is an error. ``null`` is accepted wherever a mapping or list
may be left empty.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from ghlops.errors import ConfigError, ManifestError, Problem, SourcePos, did_you_mean
from ghlops.manifest.bundles import expand_bundle
from ghlops.manifest.validation import validation_problems
from ghlops.manifest.yamlload import Positions, describe_type, parse_yaml, read_text
from ghlops.plan.policy import Policy, Thresholds
from ghlops.resources import registry
from ghlops.settings import PROJECT_FILE

SUPPORTED_VERSION = 1

LOCATION_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
LOCATION_ID_RE = re.compile(r"[A-Za-z0-9]{20}")
ENV_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

LOCATION_ID_MESSAGE = "not a GHL location id (20 letters and digits)"


# -- public configuration objects -----------------------------------------------------------------


@dataclass(frozen=True)
class OAuthConfig:
    """An agency OAuth app installation: ghlops refreshes its tokens (rotating the refresh token)."""

    client_id_env: str
    client_secret_env: str
    refresh_token_file: Path  # resolved against the project folder


@dataclass(frozen=True)
class AgencyConfig:
    """The agency (company) the locations belong to, and how ghlops gets an agency token."""

    company_id: str
    token_env: str | None = None
    pos: SourcePos | None = field(default=None, compare=False)
    oauth: OAuthConfig | None = None


@dataclass(frozen=True)
class LocationConfig:
    """One location of the project, with its effective variables and bundles."""

    name: str  # the handle used on the command line
    id: str  # the GHL location id
    token_env: str | None = None  # env var holding the location's Private Integration Token
    vars: dict[str, Any] = field(default_factory=dict, hash=False)  # defaults.vars + own
    bundles: list[str] = field(default_factory=list, hash=False)  # effective, in order
    pos: SourcePos | None = field(default=None, compare=False)  # the entry in ghlops.yaml
    bundle_pos: tuple[SourcePos, ...] = field(default=(), compare=False, hash=False, repr=False)
    groups: tuple[str, ...] = ()  # the location's groups, in its order
    # per effective bundle: where it comes from ("defaults", "group dental" or "location")
    bundle_from: tuple[str, ...] = field(default=(), compare=False, hash=False, repr=False)

    def bundle_entries(self) -> list[tuple[str, SourcePos]]:
        """Each effective bundle entry with its place in ghlops.yaml."""
        positions = list(self.bundle_pos)
        positions += [self.pos or SourcePos(PROJECT_FILE)] * (len(self.bundles) - len(positions))
        return list(zip(self.bundles, positions, strict=True))

    def bundle_origins(self) -> list[str]:
        """Per effective bundle entry, where it comes from: ``defaults``, ``group NAME`` or
        ``location``."""
        origins = list(self.bundle_from)
        return origins + ["location"] * (len(self.bundles) - len(origins))


@dataclass(frozen=True)
class Project:
    root: Path  # the project folder, resolved
    file: Path  # root / "ghlops.yaml"
    version: int
    default_vars: dict[str, Any]
    default_bundles: list[str]
    prune: frozenset[str]
    locations: list[LocationConfig]
    agency: AgencyConfig | None = None
    policy: Policy = field(default_factory=Policy)
    pipelines_writable: bool = False  # policy.pipelines: write

    @property
    def writable_kinds(self) -> frozenset[str]:
        """Read-only kinds whose writes ghlops.yaml switches on (the engine picks their
        writable adapters, see ``Adapter.with_writes``)."""
        return frozenset({"pipelines"}) if self.pipelines_writable else frozenset()

    def location(self, name: str) -> LocationConfig:
        for location in self.locations:
            if location.name == name:
                return location
        known = ", ".join(location.name for location in self.locations)
        raise ConfigError(f"unknown location '{name}' (known: {known})")

    @property
    def location_names(self) -> list[str]:
        return [location.name for location in self.locations]


# -- the schema of ghlops.yaml --------------------------------------------------------------------


def _matching(pattern: re.Pattern[str], code: str, message: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise PydanticCustomError(code, message)
        return value

    return check


def _known_kind(value: str) -> str:
    if value not in registry.ADAPTERS:
        raise PydanticCustomError(
            "ghlops_unknown_kind",
            "unknown kind {kind} (known: {known})",
            {"kind": repr(value), "known": ", ".join(registry.kinds())},
        )
    return value


def _supported_version(value: int) -> int:
    if value != SUPPORTED_VERSION:
        raise PydanticCustomError(
            "ghlops_version",
            "unsupported version {version} (this ghlops supports version {supported})",
            {"version": value, "supported": SUPPORTED_VERSION},
        )
    return value


def _some_locations(value: list[Any] | None) -> list[Any] | None:
    if not value:
        raise PydanticCustomError("ghlops_no_locations", "at least one location is required")
    return value


LocationName = Annotated[
    str,
    AfterValidator(
        _matching(
            LOCATION_NAME_RE,
            "ghlops_location_name",
            "not a valid location name "
            "(letters, digits, '_', '.' and '-', starting with a letter or digit)",
        )
    ),
]
LocationId = Annotated[
    str, AfterValidator(_matching(LOCATION_ID_RE, "ghlops_location_id", LOCATION_ID_MESSAGE))
]
EnvName = Annotated[
    str,
    AfterValidator(
        _matching(
            ENV_NAME_RE,
            "ghlops_env_name",
            "not a valid environment variable name (letters, digits and '_', not starting with a digit)",
        )
    ),
]
GroupName = Annotated[
    str,
    AfterValidator(
        _matching(
            LOCATION_NAME_RE,
            "ghlops_group_name",
            "not a valid group name "
            "(letters, digits, '_', '.' and '-', starting with a letter or digit)",
        )
    ),
]
Kind = Annotated[str, AfterValidator(_known_kind)]
NonEmpty = Annotated[str, Field(min_length=1)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class OAuthSpec(_Spec):
    clientIdEnv: EnvName = Field(description="Env var holding the OAuth app's client id")
    clientSecretEnv: EnvName = Field(description="Env var holding the OAuth app's client secret")
    refreshTokenFile: NonEmpty = Field(
        description="File holding the refresh token; ghlops rewrites it (mode 0600) on each "
        "refresh, since GHL rotates refresh tokens on use"
    )


class AgencySpec(_Spec):
    companyId: NonEmpty
    tokenEnv: EnvName | None = Field(
        default=None, description="Env var holding an agency token (Private Integration Token)"
    )
    oauth: OAuthSpec | None = Field(
        default=None,
        description="An agency OAuth installation; its tokens are also exchanged for the tokens "
        "of locations that have no tokenEnv",
    )


class DefaultsSpec(_Spec):
    vars: dict[str, Any] | None = None
    bundles: list[str] | None = None


class GroupSpec(_Spec):
    bundles: list[str] | None = Field(
        default=None,
        description="Bundles of the group's locations: after defaults.bundles, before the "
        "location's own bundles",
    )
    vars: dict[str, Any] | None = Field(
        default=None,
        description="Variables of the group's locations: over defaults.vars, under the "
        "location's own vars",
    )


class ThresholdsSpec(_Spec):
    updatePercent: Annotated[float, Field(ge=0, le=100)] | None = Field(
        default=None,
        description="Refuse when updates+replaces exceed this % of a location's objects (default 30)",
    )
    deletePercent: Annotated[float, Field(ge=0, le=100)] | None = Field(
        default=None,
        description="Refuse when deletes+replaces exceed this % of a location's objects (default 30)",
    )
    minExisting: Annotated[int, Field(ge=0)] | None = Field(
        default=None,
        description="Per-location limits apply from this many live objects (default 10)",
    )
    fleetLosingPercent: Annotated[float, Field(ge=0, le=100)] | None = Field(
        default=None,
        description="Refuse when more than this % of locations would lose something (default 20)",
    )


class PolicySpec(_Spec):
    prune: list[Kind] | None = None
    ignore: dict[Kind, list[NonEmpty]] | None = Field(
        default=None, description="Per kind, name patterns ghlops never touches (owned by others)"
    )
    protect: dict[Kind, list[NonEmpty]] | None = Field(
        default=None, description="Per kind, name patterns that may never be deleted or replaced"
    )
    thresholds: ThresholdsSpec | None = None
    pipelines: Literal["read-only", "write"] | None = Field(
        default=None,
        description="read-only (default): pipeline differences are manual steps for the GHL UI; "
        "write: plan and apply create, update and delete pipelines and their stages through "
        "GHL's pipeline write API (try it on one location first)",
    )


class LocationSpec(_Spec):
    name: LocationName
    id: LocationId
    tokenEnv: EnvName | None = None
    groups: list[GroupName] | None = Field(
        default=None,
        description="Groups (declared under groups:) whose bundles and vars this location gets, "
        "in this order",
    )
    vars: dict[str, Any] | None = None
    bundles: list[str] | None = None


class ProjectSpec(_Spec):
    """The shape of ghlops.yaml."""

    version: Annotated[int, AfterValidator(_supported_version)]
    defaults: DefaultsSpec | None = None
    policy: PolicySpec | None = None
    groups: dict[GroupName, GroupSpec] | None = Field(
        default=None,
        description="Location groups: bundles and vars shared by the locations that list the "
        "group under their groups:",
    )
    locations: Annotated[list[LocationSpec] | None, AfterValidator(_some_locations)] = Field(
        default=None, validate_default=True
    )
    agency: AgencySpec | None = None


def _policy(spec: PolicySpec | None, prune: frozenset[str]) -> Policy:
    if spec is None:
        return Policy(prune=prune)
    limits = spec.thresholds or ThresholdsSpec()
    defaults = Thresholds()
    thresholds = Thresholds(
        update_percent=_or(limits.updatePercent, defaults.update_percent),
        delete_percent=_or(limits.deletePercent, defaults.delete_percent),
        min_existing=int(_or(limits.minExisting, defaults.min_existing)),
        fleet_losing_percent=_or(limits.fleetLosingPercent, defaults.fleet_losing_percent),
    )
    return Policy(
        prune=prune,
        ignore=MappingProxyType({k: tuple(v) for k, v in (spec.ignore or {}).items()}),
        protect=MappingProxyType({k: tuple(v) for k, v in (spec.protect or {}).items()}),
        thresholds=thresholds,
    )


def _or(value: float | None, default: float) -> float:
    return default if value is None else float(value)


# -- loading --------------------------------------------------------------------------------------


def _pos(positions: Positions, *path: object) -> SourcePos:
    return SourcePos(PROJECT_FILE, positions.nearest_line(path))


def _get(data: Any, *path: object) -> Any:
    for part in path:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


def _unique_problems(raw: Any, positions: Positions) -> list[Problem]:
    """Duplicate location names and ids (checked on the raw data, so always reported)."""
    problems: list[Problem] = []
    locations = raw.get("locations") if isinstance(raw, dict) else None
    if not isinstance(locations, list):
        return problems
    for key, what in (("name", "location name"), ("id", "location id")):
        first: dict[str, int | None] = {}
        for index, entry in enumerate(locations):
            value = _get(entry, key)
            if not isinstance(value, str):
                continue
            line = positions.line(("locations", index, key))
            if value in first:
                problems.append(
                    Problem(
                        SourcePos(PROJECT_FILE, line),
                        f"duplicate {what} '{value}' (first at line {first[value]})",
                    )
                )
            else:
                first[value] = line
    return problems


def _group_problems(raw: Any, positions: Positions) -> list[Problem]:
    """Unknown groups (with "did you mean") and a group listed twice by one location."""
    problems: list[Problem] = []
    declared = _get(raw, "groups")
    known = (
        [name for name in declared if isinstance(name, str)] if isinstance(declared, dict) else []
    )
    locations = _get(raw, "locations")
    for index, entry in enumerate(locations if isinstance(locations, list) else []):
        listed = _get(entry, "groups")
        if not isinstance(listed, list):
            continue
        seen: set[str] = set()
        for place, name in enumerate(listed):
            if not isinstance(name, str):
                continue
            pos = _pos(positions, "locations", index, "groups", place)
            if name in seen:
                problems.append(Problem(pos, f"group '{name}' is listed twice"))
            elif name not in known:
                if known:
                    message = (
                        f"unknown group '{name}' (declared: {', '.join(known)})"
                        f"{did_you_mean(name, known)}"
                    )
                else:
                    message = (
                        f"unknown group '{name}': ghlops.yaml declares no groups "
                        f"(groups: {{{name}: {{bundles: [...], vars: {{...}}}}}})"
                    )
                problems.append(Problem(pos, message))
            seen.add(name)
    return problems


def _bundle_key(entry: str) -> str:
    """What two bundle entries naming the same path have in common (``a/b/`` and ``./a/b``)."""
    return PurePosixPath(os.path.normpath(entry.replace("\\", "/"))).as_posix()


def _bundle_lists(raw: Any) -> list[tuple[tuple[object, ...], list[Any]]]:
    lists: list[tuple[tuple[object, ...], list[Any]]] = []
    defaults = _get(raw, "defaults", "bundles")
    if isinstance(defaults, list):
        lists.append((("defaults", "bundles"), defaults))
    groups = _get(raw, "groups")
    if isinstance(groups, dict):
        for name in groups:
            own = _get(groups, name, "bundles")
            if isinstance(own, list):
                lists.append((("groups", name, "bundles"), own))
    locations = _get(raw, "locations")
    if isinstance(locations, list):
        for index in range(len(locations)):
            own = _get(locations, index, "bundles")
            if isinstance(own, list):
                lists.append((("locations", index, "bundles"), own))
    return lists


def _bundle_problems(root: Path, raw: Any, positions: Positions) -> list[Problem]:
    problems: list[Problem] = []
    for path, entries in _bundle_lists(raw):
        for index, entry in enumerate(entries):
            if isinstance(entry, str):
                problems += expand_bundle(root, entry, _pos(positions, *path, index))[1]
    return problems


def _effective_bundles(
    index: int, loc: LocationSpec, spec: ProjectSpec, positions: Positions
) -> tuple[list[str], tuple[SourcePos, ...], tuple[str, ...], list[Problem]]:
    """A location's bundle entries in order, with their places in ghlops.yaml and origins; an
    entry listed twice (say in a group and in the location's own list) is a problem."""
    parts: list[tuple[str, SourcePos, str]] = []
    if loc.bundles is None:
        defaults = (spec.defaults.bundles if spec.defaults else None) or []
        parts += [
            (entry, _pos(positions, "defaults", "bundles", i), "defaults")
            for i, entry in enumerate(defaults)
        ]
    for group in loc.groups or []:
        own = (spec.groups or {})[group].bundles or []
        parts += [
            (entry, _pos(positions, "groups", group, "bundles", i), f"group {group}")
            for i, entry in enumerate(own)
        ]
    parts += [
        (entry, _pos(positions, "locations", index, "bundles", i), "location")
        for i, entry in enumerate(loc.bundles or [])
    ]
    problems: list[Problem] = []
    first: dict[str, tuple[SourcePos, str]] = {}
    for entry, pos, origin in parts:
        key = _bundle_key(entry)
        if key in first:
            where, whence = first[key]
            problems.append(
                Problem(
                    _pos(positions, "locations", index),
                    f"location '{loc.name}' gets bundle '{entry}' twice: from {whence} (line "
                    f"{where.line}) and from {origin} (line {pos.line}); a bundle applied again "
                    "would override what came between: list it once",
                )
            )
        else:
            first[key] = (pos, origin)
    return (
        [entry for entry, _, _ in parts],
        tuple(pos for _, pos, _ in parts),
        tuple(origin for _, _, origin in parts),
        problems,
    )


def _build(
    root: Path, file: Path, spec: ProjectSpec, positions: Positions
) -> tuple[Project, list[Problem]]:
    defaults = spec.defaults or DefaultsSpec()
    default_vars = dict(defaults.vars or {})
    default_bundles = list(defaults.bundles or [])
    groups = spec.groups or {}
    locations: list[LocationConfig] = []
    problems: list[Problem] = []
    for index, loc in enumerate(spec.locations or []):
        bundles, bundle_pos, bundle_from, trouble = _effective_bundles(index, loc, spec, positions)
        problems += trouble
        variables = dict(default_vars)
        for group in loc.groups or []:
            variables.update(groups[group].vars or {})
        variables.update(loc.vars or {})
        locations.append(
            LocationConfig(
                name=loc.name,
                id=loc.id,
                token_env=loc.tokenEnv,
                vars=variables,
                bundles=bundles,
                pos=_pos(positions, "locations", index),
                bundle_pos=bundle_pos,
                groups=tuple(loc.groups or ()),
                bundle_from=bundle_from,
            )
        )
    agency = None
    if spec.agency is not None:
        oauth = spec.agency.oauth
        agency = AgencyConfig(
            spec.agency.companyId,
            spec.agency.tokenEnv,
            _pos(positions, "agency"),
            OAuthConfig(oauth.clientIdEnv, oauth.clientSecretEnv, root / oauth.refreshTokenFile)
            if oauth
            else None,
        )
    prune = frozenset(spec.policy.prune or []) if spec.policy is not None else frozenset()
    policy = _policy(spec.policy, prune)
    project = Project(
        root=root,
        file=file,
        version=spec.version,
        default_vars=default_vars,
        default_bundles=default_bundles,
        prune=prune,
        policy=policy,
        pipelines_writable=spec.policy is not None and spec.policy.pipelines == "write",
        locations=locations,
        agency=agency,
    )
    return project, problems


def load_project(root: Path | str) -> Project:
    """Read and validate ``root/ghlops.yaml``.

    Raises ConfigError when there is no ghlops.yaml, ManifestError listing every problem in it
    (including bundle entries that do not exist, escape the project folder or loop).
    """
    folder = Path(root)
    file = folder / PROJECT_FILE
    if not folder.is_dir() or not (file.exists() or file.is_symlink()):
        raise ConfigError(f"no {PROJECT_FILE} in {folder}")
    try:
        root_real = folder.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise ConfigError(f"cannot open the project folder {folder}: {exc}") from None
    file = root_real / PROJECT_FILE

    text, problem = read_text(file, PROJECT_FILE)
    if problem is not None or text is None:
        raise ManifestError([problem or Problem(SourcePos(PROJECT_FILE, 1), "cannot read file")])
    if not text.strip():
        raise ManifestError(
            [
                Problem(
                    SourcePos(PROJECT_FILE, 1),
                    "empty file; expected 'version: 1' and a list of locations",
                )
            ]
        )
    document, problems = parse_yaml(text, PROJECT_FILE)
    if document is None:
        raise ManifestError(problems)
    raw, positions = document.data, document.positions
    if not isinstance(raw, dict):
        what = "only comments" if raw is None else describe_type(raw)
        problems.append(
            Problem(
                SourcePos(PROJECT_FILE, positions.line(()) or 1),
                f"expected a mapping with 'version' and 'locations' at the top level, got {what}",
            )
        )
        raise ManifestError(problems)

    spec: ProjectSpec | None = None
    try:
        spec = ProjectSpec.model_validate(raw)
    except ValidationError as exc:
        problems += validation_problems(
            exc, model=ProjectSpec, data=raw, file=PROJECT_FILE, positions=positions, noun="key"
        )
    problems += _unique_problems(raw, positions)
    problems += _group_problems(raw, positions)
    problems += _bundle_problems(root_real, raw, positions)
    if problems or spec is None:
        raise ManifestError(problems)
    project, problems = _build(root_real, file, spec, positions)
    if problems:
        raise ManifestError(problems)
    return project
