"""Orchestration: from a loaded project to plans and apply results, against a target API.

A :class:`Target` says where the API is (GHL, a sandbox over HTTP, or the embedded sandbox) and
how each location gets its token. Reading live state and planning happen per location; one
location's failure is recorded in its plan and never stops the others.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from typing import TypeVar

import httpx

from ghlops.access import fix_for
from ghlops.apply.applier import (
    Backoff,
    LocationResult,
    OnOutcome,
    apply_location,
    not_started,
    relist_delays,
)
from ghlops.client import DEFAULT_BASE_URL, Connection, GhlClient, check_base_url
from ghlops.client.client import RetryPolicy
from ghlops.client.errors import ApiError
from ghlops.client.ratelimit import RateLimiter, duration
from ghlops.errors import ConfigError, GhlopsError
from ghlops.manifest.loader import DesiredState
from ghlops.manifest.project import AgencyConfig, LocationConfig, Project
from ghlops.plan.changes import Action, LocationPlan, Plan
from ghlops.plan.planner import plan_location
from ghlops.plan.policy import Policy
from ghlops.resources import registry
from ghlops.resources.base import Adapter, Ctx, DesiredItem, LiveItem
from ghlops.resources.reading import read_kind
from ghlops.resources.readset import managed_parents, read_set
from ghlops.settings import DEFAULT_PARALLELISM, EMBEDDED_SANDBOX_URL, READ_WORKERS, SANDBOX_DB
from ghlops.tokens import TokenBroker

READINGS_ENV = "GHLOPS_SANDBOX_READINGS"
T = TypeVar("T")
R = TypeVar("R")


@dataclass
class Target:
    """Where the API is and how a location gets its token.

    Every client of a run sends through the target's one :class:`Connection` (one SSL context,
    keep-alive connections to the API host), each with its own token per request; closing the
    target closes it.
    """

    base_url: str
    token_for: Callable[[LocationConfig], str]
    agency_token: Callable[[AgencyConfig], str]
    transport: httpx.BaseTransport | None = None
    describe: str = "GHL API"
    paced: bool = True  # False: no pacing until the server states its limits
    timeout: float | None = None  # per HTTP call; None: GHLOPS_TIMEOUT or 30 s
    retry: RetryPolicy | None = None  # None: the client's default policy
    _close: Callable[[], None] | None = field(default=None, repr=False)
    connection: Connection | None = field(default=None, repr=False)  # None: made for it

    def __post_init__(self) -> None:
        if self.connection is None:
            self.connection = Connection(self.base_url, transport=self.transport)

    @property
    def pool(self) -> Connection:
        """The run's connection pool."""
        assert self.connection is not None  # made in __post_init__
        return self.connection

    def client(self, location: LocationConfig, limiter: RateLimiter | None = None) -> GhlClient:
        return self._client(self.token_for(location), limiter)

    def agency_client(self, agency: AgencyConfig, limiter: RateLimiter | None = None) -> GhlClient:
        return self._client(self.agency_token(agency), limiter)

    def _client(self, token: str, limiter: RateLimiter | None) -> GhlClient:
        return GhlClient(
            token,
            connection=self.pool,
            limiter=limiter,
            timeout=self.timeout,
            retry=self.retry,
        )

    def token_hint(self, token_env: str | None) -> str:
        if self.transport is not None and self.describe.startswith("embedded"):
            return ""
        return f" (token from ${token_env})" if token_env else ""

    def explainer(
        self, token_env: str | None, *, agency: bool = False, location_id: str | None = None
    ) -> Callable[[GhlopsError], str]:
        """What to add to an error's message: for a refused token (401/403), where the token
        came from and the one-line fix for the cause GHL named; nothing for other errors."""
        hint = self.token_hint(token_env)

        def explain(exc: GhlopsError) -> str:
            if not isinstance(exc, ApiError) or exc.auth_cause is None:
                return ""
            fix = fix_for(exc, token_env=token_env, agency=agency, location_id=location_id)
            return f"{hint}; fix: {fix}" if fix else hint

        return explain

    def close(self) -> None:
        self.pool.close()
        if self._close:
            self._close()


def api_target(
    project: Project,
    base_url: str | None = None,
    *,
    warn: Callable[[str], None] | None = None,
) -> Target:
    """GHL (or a sandbox served over HTTP): tokens from the environment or the agency's OAuth."""
    url = check_base_url(base_url or os.environ.get("GHLOPS_BASE_URL") or DEFAULT_BASE_URL)
    connection = Connection(url)  # the run's one pool, the token exchanges' too
    broker = TokenBroker(url, project.agency, warn=warn, root=project.root, connection=connection)
    return Target(
        url, broker.location_token, broker.agency_token, describe=url, connection=connection
    )


@contextmanager
def embedded_sandbox(project: Project) -> Iterator[Target]:
    """The sandbox stored in the project's ``.ghlops/sandbox.sqlite3``, in-process.

    ``GHLOPS_SANDBOX_READINGS=alternative`` makes it answer by the other reading of what the
    spec leaves open (as ``ghlops sandbox serve --readings alternative``).
    """
    from ghlops.sandbox import Sandbox  # imported lazily: plain API runs never load it
    from ghlops.sandbox.middleware.readings import Readings

    name = os.environ.get(READINGS_ENV, "").strip() or "spec"
    try:
        readings = Readings.named(name)
    except ValueError as exc:
        raise ConfigError(f"{READINGS_ENV}: {exc}") from None
    sandbox = Sandbox(project.root / SANDBOX_DB, readings=readings)
    try:
        company = project.agency.company_id if project.agency else None
        try:
            agency_token = sandbox.provision_agency(company) if company else ""
            tokens = {
                loc.id: sandbox.provision_location(loc.id, name=loc.name, company_id=company)
                for loc in project.locations
            }
        except ValueError as exc:
            raise ConfigError(
                f"the embedded sandbox in {SANDBOX_DB} does not fit ghlops.yaml ({exc}); "
                f"delete {SANDBOX_DB} to start the sandbox afresh"
            ) from None
        target = Target(
            EMBEDDED_SANDBOX_URL,
            lambda loc: tokens[loc.id],
            lambda _agency: agency_token,
            transport=sandbox.transport(),
            paced=False,
            describe=f"embedded sandbox ({SANDBOX_DB})",
        )
        try:
            yield target
        finally:
            target.close()
    finally:
        sandbox.close()


def selected_adapters(
    kinds: Sequence[str] | None = None,
    scope: str = "location",
    writable: frozenset[str] = frozenset(),
) -> list[Adapter]:
    """The adapters of a run, in registry order; kinds in ``writable`` (read-only kinds whose
    writes the project switches on, ``Project.writable_kinds``) get their writable variant."""
    return [
        a.with_writes() if k in writable else a
        for k, a in registry.ADAPTERS.items()
        if a.scope == scope and (kinds is None or k in kinds)
    ]


def agency_written(plan: LocationPlan, adapters: Mapping[str, Adapter]) -> dict[str, list[str]]:
    """The changes of a location's plan that GHL takes only with the agency's token
    (``Adapter.agency_writes``: a custom object's create, a location settings update): their
    actions by kind."""
    found: dict[str, set[str]] = {}
    for c in plan.changes:
        if c.kind in adapters and c.action.value in adapters[c.kind].agency_writes:
            found.setdefault(c.kind, set()).add(c.action.value)
    return {kind: sorted(actions) for kind, actions in sorted(found.items())}


class DestroyRefused(GhlopsError):
    """A plan deletes objects whose deletion destroys other data (a pipeline's opportunities)
    and the run was not given the explicit ``--allow-destroy-<data>`` flag."""


def destroy_problems(
    plan: Plan, adapters: Sequence[Adapter], allowed: Iterable[str]
) -> list[tuple[str, str]]:
    """Deletes that destroy data besides the object (``Adapter.destroys_on_delete``) whose data
    is not in ``allowed``: (message naming every such delete by location, the flag to pass)."""
    guarded = {
        a.kind: a
        for a in adapters
        if a.destroys_on_delete is not None and a.destroys_on_delete not in set(allowed)
    }
    found: dict[str, dict[str, list[str]]] = {}  # kind -> location -> keys
    for loc in plan.all:
        for change in loc.changes:
            if change.kind in guarded and change.action in (Action.DELETE, Action.REPLACE):
                found.setdefault(change.kind, {}).setdefault(loc.name, []).append(change.key)
    problems = []
    for kind, where in found.items():
        adapter = guarded[kind]
        what = adapter.destroys_on_delete
        listed = "; ".join(
            f"{name}: " + ", ".join(repr(key) for key in keys) for name, keys in where.items()
        )
        problems.append(
            (
                f"the plan deletes {adapter.singular}(s) ({listed}), and deleting a "
                f"{adapter.singular} deletes every one of its {what} (GHL cannot undo this)",
                f"--allow-destroy-{what}",
            )
        )
    return problems


def check_destroy_allowed(plan: Plan, adapters: Sequence[Adapter], allowed: Iterable[str]) -> None:
    """Refuse deletes that destroy data besides the object (``Adapter.destroys_on_delete``)
    unless that data is in ``allowed``, even with pruning on.

    Raises:
        DestroyRefused: naming every such delete, by location, and the flag to pass.
    """
    problems = destroy_problems(plan, adapters, allowed)
    if problems:
        raise DestroyRefused(
            "\n".join(
                f"{message}. Nothing was changed; to go ahead, run plan and apply with {flag}"
                for message, flag in problems
            )
        )


def read_waves(adapters: Sequence[Adapter]) -> list[list[Adapter]]:
    """Adapters grouped so that each group only needs kinds read in earlier groups.

    A kind needs its ``parent_kind`` and its ``depends_on`` kinds (their live items map ids to
    natural keys), and waits for its ``read_after`` kinds when they are read too; kinds not
    selected for this run are not waited for.
    """
    selected = {a.kind for a in adapters}
    done: set[str] = set()
    waves: list[list[Adapter]] = []
    remaining = list(adapters)
    while remaining:
        wave = [
            a
            for a in remaining
            if all(
                dep in done or dep not in selected
                for dep in (
                    *a.depends_on,
                    *a.read_after,
                    *((a.parent_kind,) if a.parent_kind else ()),
                )
            )
        ]
        if not wave:  # pragma: no cover - a cycle is a programming error in the registry
            raise RuntimeError(f"cyclic read dependencies among {[a.kind for a in remaining]}")
        waves.append(wave)
        done.update(a.kind for a in wave)
        remaining = [a for a in remaining if a not in wave]
    return waves


def read_live(
    client: GhlClient,
    location_id: str,
    adapters: Sequence[Adapter],
    desired: Mapping[str, Sequence[DesiredItem]] | None = None,
    *,
    every_parent: Collection[str] | None = None,
    max_workers: int = READ_WORKERS,
) -> dict[str, list[LiveItem]]:
    """Every object of the given kinds; independent kinds are read at the same time.

    ``every_parent`` None (an export) reads every live reference and every nested object. Else
    (a plan) lookups are made only for references the desired items make, and a nested kind is
    listed only under the live parents a desired parent matches unless it is in
    ``every_parent`` (see :mod:`ghlops.resources.readset`).
    """
    live: dict[str, list[LiveItem]] = {}
    desired = desired or {}
    ctx = Ctx(client, location_id, live=live, desired=desired)
    if every_parent is not None:
        ctx.resolve_live_refs = False

    def read(adapter: Adapter) -> list[LiveItem]:
        parent = adapter.parent_kind
        if every_parent is None or parent is None or adapter.kind in every_parent:
            return read_kind(adapter, ctx)
        by_kind = {a.kind: a for a in adapters}
        rename = by_kind[parent].rename_field if parent in by_kind else "name"
        parents = managed_parents(live.get(parent, []), desired.get(parent, ()), rename)
        return read_kind(adapter, replace(ctx, live={**live, parent: parents}))

    for wave in read_waves(adapters):
        if len(wave) == 1 or max_workers <= 1:
            for adapter in wave:
                live[adapter.kind] = read(adapter)
            continue
        with ThreadPoolExecutor(max_workers=min(max_workers, len(wave))) as pool:
            futures = {adapter.kind: pool.submit(read, adapter) for adapter in wave}
            results = {kind: future.result() for kind, future in futures.items()}
        for adapter in wave:  # keep the registry order in the dict
            live[adapter.kind] = results[adapter.kind]
    return live


def plan_one(
    name: str,
    principal_id: str,
    desired: Mapping[str, Sequence[DesiredItem]],
    client: GhlClient,
    adapters: Sequence[Adapter],
    policy: Policy,
    explain: Callable[[GhlopsError], str],
    planned: Collection[str] | None = None,
) -> LocationPlan:
    """Read what one principal's (a location's or the agency's) plan needs, and plan it.

    Only the kinds the desired items and ``policy.prune`` need are read and planned; the plan
    lists the others in ``not_read``. ``planned`` (None: all) are the kinds that may change;
    the other kinds of ``adapters`` are read, never changed (see ``plan_location``).
    """
    needed = read_set(adapters, desired, policy.prune)
    before = client.calls
    try:
        live = read_live(
            client, principal_id, needed.adapters, desired, every_parent=needed.all_parents
        )
    except GhlopsError as exc:
        return LocationPlan(
            name, principal_id, error=f"{exc}{explain(exc)}", api_calls=client.calls - before
        )
    except RecursionError:  # data nested too deeply for some step: this location only
        return LocationPlan(
            name,
            principal_id,
            error="the live state is nested too deeply to be read",
            api_calls=client.calls - before,
        )
    made = plan_location(
        name,
        principal_id,
        needed.adapters,
        desired,
        live,
        api_calls=client.calls - before,
        policy=policy,
        planned=planned,
    )
    return replace(made, not_read=needed.not_read)


@dataclass(frozen=True)
class Activity:
    retries: int = 0  # calls tried again after a failure
    throttled: int = 0  # 429 answers
    waited: float = 0.0  # seconds spent waiting for the rate-limit window


class Session:
    """One run (plan, then maybe apply) over a fleet.

    Locations are planned and applied ``parallelism`` at a time. Each location's client lives
    only while that location is worked on, so memory does not grow with the fleet; its rate
    limiter is kept for the whole run, so the apply after a plan is paced with what the plan
    already spent of the window.
    """

    def __init__(
        self,
        project: Project,
        target: Target,
        kinds: Sequence[str] | None = None,
        *,
        planned: Collection[str] | None = None,
        parallelism: int = DEFAULT_PARALLELISM,
        allow_destroy: Iterable[str] = (),
        sleep: Callable[[float], None] = time.sleep,
        limiter: Callable[[], RateLimiter] | None = None,
    ) -> None:
        """``kinds``: the kinds read (None: all); ``planned``: those of them that may change
        (None: all of them), the others are read to place children and resolve references.
        ``limiter`` makes each principal's rate limiter (None: as the target's pacing says;
        tests pass limiters on a fake clock)."""
        self.project = project
        self.target = target
        self.planned = None if planned is None else frozenset(planned)
        self.adapters = selected_adapters(kinds, writable=project.writable_kinds)
        # what deletes may destroy besides the objects (--allow-destroy-opportunities)
        self.allow_destroy = frozenset(allow_destroy)
        self.agency_adapters = selected_adapters(kinds, scope="agency")
        self.parallelism = max(1, parallelism)
        self.sleep = sleep  # waits of the applier (re-reads after an ambiguous create)
        self._new_limiter = limiter
        self._limiters: dict[str, RateLimiter] = {}
        self._lock = threading.Lock()
        self._open: set[GhlClient] = set()
        self._agency_checked = False
        self._agency_missing: str | None = None
        self.api_calls = 0
        self.throttled = 0
        self.retries = 0
        # set on an interrupt: no location or change starts after it; those under way finish
        self.stop = threading.Event()

    @contextmanager
    def client(self, key: str, make: Callable[[RateLimiter], GhlClient]) -> Iterator[GhlClient]:
        with self._lock:
            limiter = self._limiters.get(key)
            if limiter is None:
                if self._new_limiter is not None:
                    limiter = self._new_limiter()
                elif self.target.paced:
                    limiter = RateLimiter()
                else:
                    limiter = RateLimiter.until_told()
                self._limiters[key] = limiter
        client = make(limiter)
        with self._lock:
            self._open.add(client)
        try:
            yield client
        finally:
            client.close()
            with self._lock:
                self._open.discard(client)
                self.api_calls += client.calls
                self.throttled += client.throttled
                self.retries += client.retries

    def activity(self) -> Activity:
        """Retries, 429s and rate-limit waits so far, open clients included (for progress)."""
        with self._lock:
            return Activity(
                retries=self.retries + sum(c.retries for c in self._open),
                throttled=self.throttled + sum(c.throttled for c in self._open),
                waited=sum(limiter.waited for limiter in self._limiters.values()),
            )

    def location_client(self, location: LocationConfig) -> AbstractContextManager[GhlClient]:
        return self.client(location.id, lambda rl: self.target.client(location, rl))

    def agency_client(self) -> AbstractContextManager[GhlClient]:
        agency = self.project.agency
        if agency is None:
            raise ConfigError("no agency section in ghlops.yaml")
        return self.client(
            f"agency:{agency.company_id}", lambda rl: self.target.agency_client(agency, rl)
        )

    def close(self) -> None:
        """Nothing stays open between calls; kept so callers can treat a Session as a resource."""

    def _map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``fn`` over ``items``, ``parallelism`` at a time. When the calling thread is
        interrupted (KeyboardInterrupt), items not started yet never start, and the exception
        is raised only once the workers under way have returned: none outlives the call."""
        if self.parallelism == 1 or len(items) <= 1:
            return [fn(item) for item in items]
        pool = ThreadPoolExecutor(max_workers=min(self.parallelism, len(items)))
        try:
            futures = [pool.submit(fn, item) for item in items]
            return [future.result() for future in futures]
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def plan(
        self,
        states: Sequence[DesiredState],
        agency: Mapping[str, Sequence[DesiredItem]] | None = None,
        *,
        progress: Callable[[LocationPlan], None] | None = None,
        check_destroy: bool = True,
    ) -> Plan:
        """Plan the given locations, and the agency when ``agency`` (its desired items) is given.

        ``progress`` is called (from worker threads) as each location's plan is ready.

        Raises:
            DestroyRefused: see :func:`check_destroy_allowed`.
        """

        def one(state: DesiredState) -> LocationPlan:
            result = self._plan_location(state)
            if progress:
                progress(result)
            return result

        plan = Plan(tuple(self._map(one, states)), self._plan_agency(agency))
        if check_destroy:  # the CLI checks itself, to show the refusal with the plan
            check_destroy_allowed(plan, self.adapters, self.allow_destroy)
        return plan

    def _plan_location(self, state: DesiredState) -> LocationPlan:
        loc = state.location
        try:
            with self.location_client(loc) as client:
                return plan_one(
                    loc.name,
                    loc.id,
                    state.items,
                    client,
                    self.adapters,
                    self.project.policy,
                    self.target.explainer(loc.token_env, location_id=loc.id),
                    self.planned,
                )
        except ConfigError as exc:
            return LocationPlan(loc.name, loc.id, error=str(exc))

    def _plan_agency(
        self, desired: Mapping[str, Sequence[DesiredItem]] | None
    ) -> LocationPlan | None:
        agency = self.project.agency
        if desired is None or agency is None or not self.agency_adapters:
            return None
        try:
            with self.agency_client() as client:
                return plan_one(
                    "agency",
                    agency.company_id,
                    desired,
                    client,
                    self.agency_adapters,
                    self.project.policy,
                    self.target.explainer(agency.token_env, agency=True),
                    self.planned,
                )
        except ConfigError as exc:
            return LocationPlan("agency", agency.company_id, error=str(exc))

    def agency_write_problems(self, plan: Plan) -> list[tuple[LocationPlan, str]]:
        """Locations whose plan holds changes GHL takes only with the agency's token
        (``Adapter.agency_writes``) while the run has no usable agency credentials: each with
        what is missing, so the plan is refused up front rather than failing at apply."""
        by_kind = {a.kind: a for a in self.adapters}
        needing = [loc for loc in plan.locations if agency_written(loc, by_kind)]
        if not needing:
            return []
        problem = self._agency_problem()
        if problem is None:
            return []
        return [(loc, problem) for loc in needing]

    def _agency_problem(self) -> str | None:
        """Why the run has no agency token (None: it has one), asked once per run."""
        with self._lock:
            if self._agency_checked:
                return self._agency_missing
        agency = self.project.agency
        missing: str | None = None
        if agency is None:
            missing = (
                "ghlops.yaml has no agency section: add 'agency: {companyId: ..., tokenEnv: "
                "...}' (an agency Private Integration token, or agency.oauth)"
            )
        else:
            try:
                if not self.target.agency_token(agency):
                    missing = "this run has no agency token"
            except ConfigError as exc:
                missing = str(exc)
        with self._lock:
            self._agency_checked, self._agency_missing = True, missing
        return missing

    def _location(self, location_id: str) -> LocationConfig:
        """The project's location with this id: plans and results are keyed by id, never by
        name (a location may be called "agency")."""
        for location in self.project.locations:
            if location.id == location_id:
                return location
        raise ConfigError(f"no location with id {location_id} in ghlops.yaml")

    def budget_problems(self, plan: Plan) -> list[str]:
        """Locations whose apply needs more calls than their daily budget has left.

        The budget is GHL's ``X-RateLimit-Daily-Remaining`` as last seen while planning, or the
        whole daily limit once the ``X-RateLimit-Daily-Reset`` the server sent has passed; the
        need is one call per change (two per replace) plus a margin for reads some writes make.
        """
        problems = []
        for loc in plan.all:
            key = loc.location_id if loc is not plan.agency else f"agency:{loc.location_id}"
            limiter = self._limiters.get(key)
            remaining = limiter.daily_left() if limiter else None
            if limiter is None or remaining is None or not loc.changes:
                continue
            needed = sum(2 if c.action.value == "replace" else 1 for c in loc.changes)
            needed += needed // 2 + 1  # reads before full replacements, lookups, retries
            if needed > remaining:
                returns = limiter.daily_reset_in()
                when = "" if returns is None else f"; the budget returns in {duration(returns)}"
                problems.append(
                    f"{loc.name}: the apply needs up to {needed} API calls but only {remaining} "
                    f"of today's are left (X-RateLimit-Daily-Remaining){when}"
                )
        return problems

    def _backoff(self, client: GhlClient) -> Backoff:
        """Waits between reads after an ambiguous create, scaled to the client's retry policy."""
        return Backoff(relist_delays(client.retry.base_delay), self.sleep)

    def apply(self, plan: Plan, on_outcome: OnOutcome | None = None) -> list[LocationResult]:
        check_destroy_allowed(plan, self.adapters, self.allow_destroy)  # also for saved plans
        by_kind: Mapping[str, Adapter] = {a.kind: a for a in self.adapters}

        def one(loc_plan: LocationPlan) -> LocationResult:
            if loc_plan.error:
                return LocationResult(loc_plan.name, loc_plan.location_id, (), error=loc_plan.error)
            if not loc_plan.changes:
                return LocationResult(loc_plan.name, loc_plan.location_id, ())
            if self.stop.is_set():
                return not_started(loc_plan, list(by_kind))
            try:
                location = self._location(loc_plan.location_id)
                with ExitStack() as stack:
                    client = stack.enter_context(self.location_client(location))
                    agency = (
                        stack.enter_context(self.agency_client())
                        if self.project.agency is not None and agency_written(loc_plan, by_kind)
                        else None
                    )
                    return apply_location(
                        loc_plan,
                        client,
                        by_kind,
                        on_outcome=on_outcome,
                        explain=self.target.explainer(location.token_env, location_id=location.id),
                        backoff=self._backoff(client),
                        stopped=self.stop.is_set,
                        agency=agency,
                    )
            except ConfigError as exc:
                return LocationResult(loc_plan.name, loc_plan.location_id, (), error=str(exc))

        results = self._map(one, plan.locations)
        if plan.agency:
            agency_kinds = {a.kind: a for a in self.agency_adapters}
            if plan.agency.error:
                results.append(
                    LocationResult("agency", plan.agency.location_id, (), error=plan.agency.error)
                )
            elif plan.agency.changes and self.stop.is_set():
                results.append(not_started(plan.agency, list(agency_kinds)))
            elif plan.agency.changes:
                with self.agency_client() as client:
                    results.append(
                        apply_location(
                            plan.agency,
                            client,
                            agency_kinds,
                            on_outcome=on_outcome,
                            explain=self.target.explainer(
                                self.project.agency.token_env if self.project.agency else None,
                                agency=True,
                            ),
                            backoff=self._backoff(client),
                            stopped=self.stop.is_set,
                        )
                    )
        return results
