"""The project file, ``ghlops.yaml``: locations, their variables and bundles, and the policy.

``ghlops.yaml`` is plain YAML (never templated), validated with the pydantic models below, which
forbid unknown keys. Every problem is reported at once, with its line, as a ManifestError.

Variables: a location's ``vars`` are merged over ``defaults.vars`` key by key at the top level
(the location's value wins whole; nested mappings are not merged). Bundles: a location's
``bundles``, when given (even empty), replaces ``defaults.bundles``; when absent or null, the
defaults apply. ``null`` is accepted wherever a mapping or list may be left empty.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from ghlops.errors import ConfigError, ManifestError, Problem, SourcePos
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

    def bundle_entries(self) -> list[tuple[str, SourcePos]]:
        """Each effective bundle entry with its place in ghlops.yaml."""
        positions = list(self.bundle_pos)
        positions += [self.pos or SourcePos(PROJECT_FILE)] * (len(self.bundles) - len(positions))
        return list(zip(self.bundles, positions, strict=True))


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
    vars: dict[str, Any] | None = None
    bundles: list[str] | None = None


class ProjectSpec(_Spec):
    """The shape of ghlops.yaml."""

    version: Annotated[int, AfterValidator(_supported_version)]
    defaults: DefaultsSpec | None = None
    policy: PolicySpec | None = None
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


def _bundle_lists(raw: Any) -> list[tuple[tuple[object, ...], list[Any]]]:
    lists: list[tuple[tuple[object, ...], list[Any]]] = []
    defaults = _get(raw, "defaults", "bundles")
    if isinstance(defaults, list):
        lists.append((("defaults", "bundles"), defaults))
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


def _build(root: Path, file: Path, spec: ProjectSpec, positions: Positions) -> Project:
    defaults = spec.defaults or DefaultsSpec()
    default_vars = dict(defaults.vars or {})
    default_bundles = list(defaults.bundles or [])
    default_bundle_pos = tuple(
        _pos(positions, "defaults", "bundles", i) for i in range(len(default_bundles))
    )
    locations: list[LocationConfig] = []
    for index, loc in enumerate(spec.locations or []):
        if loc.bundles is None:
            bundles, bundle_pos = list(default_bundles), default_bundle_pos
        else:
            bundles = list(loc.bundles)
            bundle_pos = tuple(
                _pos(positions, "locations", index, "bundles", i) for i in range(len(bundles))
            )
        locations.append(
            LocationConfig(
                name=loc.name,
                id=loc.id,
                token_env=loc.tokenEnv,
                vars={**default_vars, **(loc.vars or {})},
                bundles=bundles,
                pos=_pos(positions, "locations", index),
                bundle_pos=bundle_pos,
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
    return Project(
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
    problems += _bundle_problems(root_real, raw, positions)
    if problems or spec is None:
        raise ManifestError(problems)
    return _build(root_real, file, spec, positions)
