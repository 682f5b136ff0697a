"""Orchestration: from a loaded project to plans and apply results, against a target API.

A :class:`Target` says where the API is (GHL, a sandbox over HTTP, or the embedded sandbox) and
how each location gets its token. Reading live state and planning happen per location; one
location's failure is recorded in its plan and never stops the others.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ghlops.apply.applier import LocationResult, OnOutcome, apply_location
from ghlops.client import DEFAULT_BASE_URL, ApiError, GhlClient, check_base_url
from ghlops.client.errors import AuthError, ForbiddenError
from ghlops.errors import ConfigError, GhlopsError
from ghlops.manifest.loader import DesiredState
from ghlops.manifest.project import LocationConfig, Project
from ghlops.plan.changes import LocationPlan, Plan
from ghlops.plan.planner import plan_location
from ghlops.resources import registry
from ghlops.resources.base import Adapter, Ctx, LiveItem

SANDBOX_DB = Path(".ghlops") / "sandbox.sqlite3"


@dataclass
class Target:
    """Where the API is and how a location gets its token."""

    base_url: str
    token_for: Callable[[LocationConfig], str]
    transport: httpx.BaseTransport | None = None
    describe: str = "GHL API"
    _close: Callable[[], None] | None = field(default=None, repr=False)

    def client(self, location: LocationConfig) -> GhlClient:
        return GhlClient(self.token_for(location), base_url=self.base_url, transport=self.transport)

    def token_hint(self, location: LocationConfig) -> str:
        if self.transport is not None and self.describe.startswith("embedded"):
            return ""
        return f" (token from ${location.token_env})" if location.token_env else ""

    def close(self) -> None:
        if self._close:
            self._close()


def env_token(location: LocationConfig) -> str:
    if not location.token_env:
        raise ConfigError(
            f"location {location.name}: no tokenEnv is set in ghlops.yaml, so there is no token"
        )
    token = os.environ.get(location.token_env, "").strip()
    if not token:
        raise ConfigError(
            f"location {location.name}: environment variable {location.token_env} is not set "
            "(it must hold the location's Private Integration Token)"
        )
    return token


def api_target(base_url: str | None = None) -> Target:
    url = check_base_url(base_url or os.environ.get("GHLOPS_BASE_URL") or DEFAULT_BASE_URL)
    return Target(url, env_token, describe=url)


@contextmanager
def embedded_sandbox(project: Project) -> Iterator[Target]:
    """The sandbox stored in the project's ``.ghlops/sandbox.sqlite3``, in-process."""
    from ghlops.sandbox import Sandbox  # imported lazily: plain API runs never load it

    sandbox = Sandbox(project.root / SANDBOX_DB)
    try:
        tokens = {
            loc.id: sandbox.provision_location(loc.id, name=loc.name) for loc in project.locations
        }
        yield Target(
            DEFAULT_BASE_URL,
            lambda loc: tokens[loc.id],
            transport=sandbox.transport(),
            describe=f"embedded sandbox ({SANDBOX_DB})",
        )
    finally:
        sandbox.close()


def selected_adapters(kinds: Sequence[str] | None = None) -> list[Adapter]:
    return [a for k, a in registry.ADAPTERS.items() if kinds is None or k in kinds]


def read_live(
    client: GhlClient, location_id: str, adapters: Sequence[Adapter]
) -> dict[str, list[LiveItem]]:
    live: dict[str, list[LiveItem]] = {}
    ctx = Ctx(client, location_id, live=live)
    for adapter in adapters:
        try:
            live[adapter.kind] = adapter.list_live(ctx)
        except (KeyError, TypeError, AttributeError) as exc:
            raise GhlopsError(
                f"reading {adapter.kind}: the API's answer does not have the documented shape "
                f"({type(exc).__name__}: {exc})"
            ) from None
        except ApiError as exc:
            raise type(exc)(
                exc.method, exc.path, exc.status, f"{exc.detail} (while reading {adapter.kind})"
            ) from None
    return live


def plan_state(
    project: Project,
    state: DesiredState,
    client: GhlClient,
    adapters: Sequence[Adapter],
    target: Target,
) -> LocationPlan:
    loc = state.location
    before = client.calls
    try:
        live = read_live(client, loc.id, adapters)
    except GhlopsError as exc:
        hint = target.token_hint(loc) if isinstance(exc, AuthError | ForbiddenError) else ""
        return LocationPlan(loc.name, loc.id, error=f"{exc}{hint}", api_calls=client.calls - before)
    return plan_location(
        loc.name,
        loc.id,
        adapters,
        state.items,
        live,
        prune=project.prune,
        api_calls=client.calls - before,
    )


class Session:
    """Clients per location for one run (plan, then maybe apply)."""

    def __init__(
        self, project: Project, target: Target, kinds: Sequence[str] | None = None
    ) -> None:
        self.project = project
        self.target = target
        self.adapters = selected_adapters(kinds)
        self._clients: dict[str, GhlClient] = {}

    def client(self, location: LocationConfig) -> GhlClient:
        if location.name not in self._clients:
            self._clients[location.name] = self.target.client(location)
        return self._clients[location.name]

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def plan(self, states: Sequence[DesiredState]) -> Plan:
        plans = []
        for state in states:
            try:
                client = self.client(state.location)
            except ConfigError as exc:
                plans.append(LocationPlan(state.location.name, state.location.id, error=str(exc)))
                continue
            plans.append(plan_state(self.project, state, client, self.adapters, self.target))
        return Plan(tuple(plans))

    def apply(self, plan: Plan, on_outcome: OnOutcome | None = None) -> list[LocationResult]:
        by_kind: Mapping[str, Adapter] = {a.kind: a for a in self.adapters}
        results = []
        for loc_plan in plan.locations:
            if loc_plan.error:
                results.append(
                    LocationResult(loc_plan.name, loc_plan.location_id, (), error=loc_plan.error)
                )
                continue
            if not loc_plan.changes:
                results.append(LocationResult(loc_plan.name, loc_plan.location_id, ()))
                continue
            client = self.client(self.project.location(loc_plan.name))
            results.append(apply_location(loc_plan, client, by_kind, on_outcome=on_outcome))
        return results
