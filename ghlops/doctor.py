"""``ghlops doctor``: is every selected location (and the agency) ready for plan and apply?

For each principal: its token is set, GHL accepts it (valid, of the right class, for this
location), and it has the scopes the kinds it manages need. Scopes are probed with one read per
kind (a nested kind under one parent only), never a write; the write scopes each kind's apply
needs are named (:mod:`ghlops.access`). ``probe_writes`` adds one safe write check per location:
it creates and deletes a ``ghlops-probe-…`` tag and custom value.

Every refusal is reported with the one-line fix for its cause. Nothing here prints: the CLI
renders the :class:`Check` results.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ghlops.access import ACCESS, fix_for
from ghlops.client.client import GhlClient
from ghlops.client.errors import ApiError, AuthCause
from ghlops.engine import Session, read_waves
from ghlops.errors import ConfigError, GhlopsError
from ghlops.manifest.loader import DesiredState
from ghlops.resources import registry
from ghlops.resources.base import Adapter, Ctx, DesiredItem, LiveItem
from ghlops.resources.reading import SHAPE_ERRORS, read_kind
from ghlops.resources.readset import read_set

PROBE_PREFIX = "ghlops-probe-"
# causes that concern the token itself: every other call with it fails the same way
_TOKEN_CAUSES = (AuthCause.INVALID, AuthCause.USER_TYPE, AuthCause.AUTH_CLASS, AuthCause.LOCATION)


@dataclass(frozen=True)
class Check:
    """One line of the report: ``subject`` of ``principal`` is fine (``ok``) or not."""

    principal: str  # "location downtown (ve9EPM428h8vShlRW1KT)", "agency (SmileDental…)"
    subject: str  # "token", a kind, "write tags"
    ok: bool
    detail: str
    fix: str | None = None


def diagnose(
    session: Session,
    states: Sequence[DesiredState],
    agency: Mapping[str, Sequence[DesiredItem]] | None,
    *,
    probe_writes: bool = False,
) -> list[Check]:
    """The checks of every selected location, then of the agency when it manages anything."""

    def one(state: DesiredState) -> list[Check]:
        loc = state.location
        who = f"location {loc.name} ({loc.id})"
        where = Where(who, loc.token_env, loc.id, agency=False)
        try:
            with session.location_client(loc) as client:
                needed = read_set(session.adapters, state.items, session.project.policy.prune)
                return probe(client, loc.id, needed.adapters, state.items, where, probe_writes)
        except ConfigError as exc:
            return [where.token_missing(str(exc))]
        except GhlopsError as exc:  # e.g. the agency OAuth exchange for this location failed
            return [where.failure("token", exc)]

    checks = [c for result in session._map(one, list(states)) for c in result]
    project = session.project
    if project.agency is not None and agency is not None and session.agency_adapters:
        who = f"agency ({project.agency.company_id})"
        where = Where(who, project.agency.token_env, None, agency=True)
        try:
            with session.agency_client() as client:
                needed = read_set(session.agency_adapters, agency, project.policy.prune)
                checks += probe(client, project.agency.company_id, needed.adapters, agency, where)
        except ConfigError as exc:
            checks.append(where.token_missing(str(exc)))
        except GhlopsError as exc:
            checks.append(where.failure("token", exc))
    return checks


@dataclass(frozen=True)
class Where:
    """Whose token a check concerns, for messages and fixes."""

    who: str
    token_env: str | None
    location_id: str | None
    agency: bool

    def fix(self, exc: GhlopsError) -> str | None:
        if not isinstance(exc, ApiError):
            return None
        return fix_for(
            exc, token_env=self.token_env, agency=self.agency, location_id=self.location_id
        )

    def failure(self, subject: str, exc: GhlopsError) -> Check:
        return Check(self.who, subject, False, str(exc), self.fix(exc))

    def token_missing(self, message: str) -> Check:
        if self.token_env:
            account = "agency" if self.agency else "sub-account"
            fix = f"export {self.token_env}=<the {account}'s Private Integration token>"
        else:
            fix = "set tokenEnv (or agency.oauth) for it in ghlops.yaml"
        return Check(self.who, "token", False, message, fix)

    def token_ok(self) -> Check:
        source = f"${self.token_env}" if self.token_env else "agency OAuth"
        return Check(self.who, "token", True, f"from {source}, accepted by GHL")


def probe(
    client: GhlClient,
    principal_id: str,
    adapters: Sequence[Adapter],
    desired: Mapping[str, Sequence[DesiredItem]],
    where: Where,
    probe_writes: bool = False,
) -> list[Check]:
    """One read per kind (``adapters``, in read order); the token's own check comes first.

    A refusal that concerns the token itself (revoked, wrong class, another location) ends the
    probe: every other call would fail alike.
    """
    if not adapters:  # nothing managed: one cheap read still tells whether the token works
        adapters = [registry.ADAPTERS["customMenuLinks" if where.agency else "tags"]]
    live: dict[str, list[LiveItem]] = {}
    ctx = Ctx(client, principal_id, live=live, desired=desired)
    kinds: list[Check] = []
    failed: set[str] = set()
    for wave in read_waves(adapters):
        for adapter in wave:
            needs = [n for n in _needs(adapter) if n in failed]
            if needs:
                failed.add(adapter.kind)
                kinds.append(
                    Check(
                        where.who, adapter.kind, False, f"not checked: {needs[0]} could not be read"
                    )
                )
                continue
            if adapter.parent_kind and live.get(adapter.parent_kind):
                live[adapter.parent_kind] = live[adapter.parent_kind][:1]  # one parent is enough
            try:
                live[adapter.kind] = read_kind(adapter, ctx, retries=0)
            except GhlopsError as exc:
                if isinstance(exc, ApiError) and exc.auth_cause in _TOKEN_CAUSES:
                    return [where.failure("token", exc)]
                failed.add(adapter.kind)
                kinds.append(where.failure(adapter.kind, exc))
                continue
            kinds.append(
                Check(where.who, adapter.kind, True, _read_ok(adapter, live[adapter.kind]))
            )
    checks = [where.token_ok(), *kinds]
    if probe_writes and not where.agency:
        checks += write_probes(ctx, where)
    return checks


def _needs(adapter: Adapter) -> tuple[str, ...]:
    return (*((adapter.parent_kind,) if adapter.parent_kind else ()), *adapter.depends_on)


def _read_ok(adapter: Adapter, items: Sequence[LiveItem]) -> str:
    text = f"read ({len(items)} found)"
    access = ACCESS.get(adapter.kind)
    if access and access.write and adapter.writable:
        text += f"; apply also needs {' and '.join(access.write)} (not probed)"
        if adapter.agency_writes:  # e.g. creating a custom object (Agency-Access only)
            text += f"; {'/'.join(adapter.agency_writes)} takes the agency's token"
    return text


def write_probes(ctx: Ctx, where: Where, token: Callable[[], str] | None = None) -> list[Check]:
    """Create and delete a ``ghlops-probe-…`` tag and custom value (``--probe-writes``)."""
    name = f"{PROBE_PREFIX}{(token or _token)()}"
    checks = []
    for kind, fields in (
        ("tags", {"name": name}),
        ("customValues", {"name": name, "value": "ghlops doctor probe"}),
    ):
        adapter = registry.ADAPTERS[kind]
        item = DesiredItem(kind, name, fields, ())
        subject = f"write {kind}"
        try:
            object_id = adapter.create(ctx, item)
        except (GhlopsError, *SHAPE_ERRORS) as exc:
            checks.append(where.failure(subject, _as_error(exc)))
            continue
        try:
            adapter.delete(ctx, object_id, name, None)
        except (GhlopsError, *SHAPE_ERRORS) as error:
            failure = _as_error(error)
            fix = where.fix(failure) or "retry"
            checks.append(
                Check(
                    where.who,
                    subject,
                    False,
                    f"created {adapter.singular} {name!r} but could not delete it: {failure}",
                    f"delete the {adapter.singular} {name!r} in GHL; {fix}",
                )
            )
            continue
        checks.append(Check(where.who, subject, True, f"created and deleted {name!r}"))
    return checks


def _token() -> str:
    return secrets.token_hex(4)


def _as_error(exc: Exception) -> GhlopsError:
    if isinstance(exc, GhlopsError):
        return exc
    return GhlopsError(f"the API's answer does not have the documented shape ({exc})")
