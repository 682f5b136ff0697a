"""Options and helpers shared by the commands."""

from __future__ import annotations

import fnmatch
import functools
import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from ghlops.cli.output import echo
from ghlops.errors import ConfigError, unknown_name_message

if TYPE_CHECKING:  # the CLI imports the engine lazily, so that --help starts fast
    from ghlops.engine import Target
    from ghlops.manifest.loader import DesiredState
    from ghlops.manifest.project import LocationConfig, Project
    from ghlops.resources.base import DesiredItem

# -- shared option groups ----------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """Which locations and kinds a run covers."""

    locations: tuple[str, ...] = ()
    exclude_locations: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    exclude_kinds: tuple[str, ...] = ()
    shard: tuple[int, int] | None = None  # (K, N), 1-based

    def select(self, project: Project) -> list[LocationConfig]:
        chosen = select_locations(project, self.locations)
        for pattern in self.exclude_locations:
            chosen = [loc for loc in chosen if not fnmatch.fnmatchcase(loc.name, pattern)]
        if self.shard:
            k, n = self.shard
            chosen = [loc for loc in chosen if shard_of(loc.name, n) == k]
        return chosen

    @property
    def whole_fleet(self) -> bool:
        return not (self.locations or self.exclude_locations or self.shard)

    @property
    def plans_agency(self) -> bool:
        """Agency objects are planned once: by an unsharded run or by shard 1."""
        return self.shard is None or self.shard[0] == 1

    def planned_kinds(self) -> list[str] | None:
        """The kinds a run may change (None: all): ``--kind``, less ``--exclude-kind``."""
        if not self.kinds and not self.exclude_kinds:
            return None
        from ghlops.resources import registry

        known = registry.kinds()
        for kind in (*self.kinds, *self.exclude_kinds):
            if kind not in known:
                raise ConfigError(unknown_name_message("kind", kind, known))
        wanted = set(self.kinds or known) - set(self.exclude_kinds)
        if not wanted:
            raise ConfigError("no kinds left to plan after --kind/--exclude-kind")
        return [k for k in known if k in wanted]

    def kind_list(self) -> list[str] | None:
        """The kinds to read (None: all): the planned kinds and what they need (their parents,
        the kinds they refer to), which are read, never changed."""
        planned = self.planned_kinds()
        if planned is None:
            return None
        from ghlops.resources import registry

        known = registry.kinds()
        wanted = set(planned)
        changed = True
        while changed:  # nested kinds are read per parent; references need their targets
            changed = False
            for kind in list(wanted):
                adapter = registry.get(kind)
                for need in (
                    *adapter.depends_on,
                    *((adapter.parent_kind,) if adapter.parent_kind else ()),
                ):
                    if need not in wanted:
                        wanted.add(need)
                        changed = True
        return [k for k in known if k in wanted]


def shard_of(name: str, shards: int) -> int:
    """The 1-based shard a location belongs to: stable across runs, machines and fleet changes."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % shards + 1


def _parse_shard(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> tuple[int, int] | None:
    if value is None:
        return None
    k, sep, n = value.partition("/")
    if not sep or not k.isdigit() or not n.isdigit() or not 1 <= int(k) <= int(n):
        raise click.BadParameter("expected K/N with 1 <= K <= N, e.g. 2/8")
    return int(k), int(n)


def location_options(f: Any) -> Any:
    """--location/--exclude-location/--kind/--exclude-kind/--shard, passed as ``selection``."""

    options = [
        click.option(
            "--location",
            "-l",
            "locations",
            multiple=True,
            metavar="PATTERN",
            help="Only locations whose name matches (repeatable; shell-style, e.g. 'clinic-*').",
        ),
        click.option(
            "--exclude-location",
            "exclude_locations",
            multiple=True,
            metavar="PATTERN",
            help="Leave out locations whose name matches (repeatable).",
        ),
        click.option(
            "--kind",
            "kinds",
            multiple=True,
            metavar="KIND",
            help="Only this resource kind (repeatable), e.g. --kind tags.",
        ),
        click.option(
            "--exclude-kind",
            "exclude_kinds",
            multiple=True,
            metavar="KIND",
            help="Leave out this resource kind (repeatable).",
        ),
        click.option(
            "--shard",
            callback=_parse_shard,
            metavar="K/N",
            default=None,
            help="Only the K-th of N stable shares of the selected locations "
            "(for N parallel CI jobs). Agency objects are planned by shard 1.",
        ),
    ]
    for option in reversed(options):
        f = option(f)

    @functools.wraps(f)
    def wrapper(
        *args: Any,
        locations: tuple[str, ...],
        exclude_locations: tuple[str, ...],
        kinds: tuple[str, ...],
        exclude_kinds: tuple[str, ...],
        shard: tuple[int, int] | None,
        **kwargs: Any,
    ) -> Any:
        selection = Selection(locations, exclude_locations, kinds, exclude_kinds, shard)
        return f(*args, selection=selection, **kwargs)

    return wrapper


def target_options(f: Any) -> Any:
    f = click.option(
        "--base-url",
        envvar="GHLOPS_BASE_URL",
        default=None,
        metavar="URL",
        help="API base URL (env GHLOPS_BASE_URL; default GHL's). "
        "Non-https only for loopback hosts.",
    )(f)
    f = click.option(
        "--sandbox",
        is_flag=True,
        help="Use the embedded sandbox in .ghlops/sandbox.sqlite3; no token needed.",
    )(f)
    return f


def select_locations(project: Project, patterns: Sequence[str]) -> list[LocationConfig]:
    if not patterns:
        return list(project.locations)
    chosen: list[LocationConfig] = []
    for pattern in patterns:
        matched = [loc for loc in project.locations if fnmatch.fnmatchcase(loc.name, pattern)]
        if not matched:
            known = ", ".join(loc.name for loc in project.locations)
            raise ConfigError(f"no location matches {pattern!r} (known: {known})")
        chosen += [loc for loc in matched if loc not in chosen]
    return [loc for loc in project.locations if loc in chosen]


@contextmanager
def open_target(project: Project, sandbox: bool, base_url: str | None) -> Iterator[Target]:
    from ghlops.engine import api_target, embedded_sandbox

    if sandbox:
        if base_url:
            raise ConfigError("--sandbox and --base-url cannot be used together")
        with embedded_sandbox(project) as target:
            yield target
    else:
        target = api_target(project, base_url, warn=lambda m: echo(f"Warning: {m}", err=True))
        try:
            yield target
        finally:
            target.close()


def load_states(
    project: Project, selection: Selection
) -> tuple[list[DesiredState], dict[str, tuple[DesiredItem, ...]] | None]:
    """Desired states of the selected locations, and the agency's desired items (or None).

    Agency objects (custom menu links) are gathered from ALL locations, whichever are selected,
    since a link's membership is defined by the whole project.
    """
    from ghlops.manifest.agency import agency_kinds, declares_agency_items, gather
    from ghlops.manifest.loader import load_all

    selected = selection.select(project)
    states = load_all(project, selected)
    kinds = selection.planned_kinds()
    wanted = [k for k in agency_kinds() if kinds is None or k in kinds]
    if not wanted or not selection.plans_agency:
        return states, None
    if project.agency is None and not declares_agency_items(states):
        return states, None
    everyone = states if len(selected) == len(project.locations) else load_all(project)
    return states, gather(project, everyone)
