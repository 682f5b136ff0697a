"""Faults from the API: retries, adoption after ambiguous creates, reads that fail never planning
deletions, one location's failure not stopping the others, and a fleet converging under 10%
faults of every kind, checked against the sandbox's store directly.
"""

from __future__ import annotations

import functools
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import ghlops.engine
from ghlops.apply.applier import LocationResult
from ghlops.cli.common import Selection, load_states
from ghlops.cli.main import cli
from ghlops.client.client import DEFAULT_BASE_URL
from ghlops.engine import Session, Target
from ghlops.manifest.project import load_project
from ghlops.sandbox import (
    ConnectionFault,
    FaultInjector,
    RateLimit,
    Sandbox,
    SandboxRequest,
    SandboxResponse,
    json_response,
    make_server,
)
from ghlops.sandbox.app import CallNext
from ghlops.sandbox.middleware.faults import BAD_GATEWAY_HTML
from tests.integration.fleet import (
    AGENCY_TOKEN,
    FAST,
    OLD_TAG,
    check_fleet,
    location_id,
    seed_fleet,
    token,
    tokens,
    use_fast_retries,
    write_fleet,
)

FLEET = 6
HTTP_FLEET = 3


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    use_fast_retries(monkeypatch)


def sequential(monkeypatch: pytest.MonkeyPatch) -> None:
    """One request at a time (locations and kinds), so a fault seed always hits the same
    requests and the outcome is the same on every machine."""
    monkeypatch.setattr(
        ghlops.engine, "read_live", functools.partial(ghlops.engine.read_live, max_workers=1)
    )


# -- sandboxes ---------------------------------------------------------------------------------


@dataclass
class Served:
    sandbox: Sandbox
    url: str


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    sb = Sandbox(tmp_path / "served.sqlite3")
    server = make_server(sb, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        yield Served(sb, f"http://127.0.0.1:{port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        sb.close()


def run(project: Path, *args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner(env=env).invoke(cli, ["-C", str(project), *args], catch_exceptions=False)


Rule = Callable[[SandboxRequest], bool]


def when(method: str, path_part: str, location: str | None = None) -> Rule:
    def matches(request: SandboxRequest) -> bool:
        return (
            request.method == method
            and path_part in request.path
            and (location is None or location in request.target or _body_has(request, location))
        )

    return matches


def _body_has(request: SandboxRequest, text: str) -> bool:
    return text.encode() in request.body


def inject(sb: Sandbox, rule: Rule, fault: str, times: int = 1) -> list[str]:
    """Answer the first ``times`` requests matching ``rule`` with ``fault``; returns a log of
    every matching request (``"<fault>"`` or ``"ok"``)."""
    seen: list[str] = []

    def middleware(request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        if not rule(request):
            return call_next(request)
        if len(seen) - seen.count("ok") >= times:
            seen.append("ok")
            return call_next(request)
        seen.append(fault)
        if fault == "reset-after":
            call_next(request)
            raise ConnectionFault(fault, reset=True, applied=True)
        if fault == "reset-before":
            raise ConnectionFault(fault, reset=True, applied=False)
        if fault == "timeout":
            raise ConnectionFault(fault, reset=False, applied=False, hold=0.05)
        if fault == "500":
            return json_response(500, {"statusCode": 500, "message": "Internal server error"})
        if fault == "503":
            return json_response(503, {"statusCode": 503, "message": "Service Unavailable"})
        if fault == "502":
            return SandboxResponse(502, {"Content-Type": "text/html"}, BAD_GATEWAY_HTML)
        if fault == "no-id":  # applied; the answer has no id
            call_next(request)
            return json_response(201, {"succeded": True})
        if fault == "malformed":
            answer = call_next(request)
            return SandboxResponse(200, answer.headers, b"<html>oops</html>")
        if fault == "truncated":
            answer = call_next(request)
            return SandboxResponse(200, answer.headers, answer.body[: len(answer.body) // 2])
        if fault == "missing-fields":
            answer = call_next(request)
            return SandboxResponse(200, answer.headers, answer.body.replace(b'"id"', b'"_gone"'))
        raise AssertionError(fault)

    sb.middleware.append(middleware)
    return seen


# -- the fleet under 10% faults --------------------------------------------------------------


def fleet_target(sb: Sandbox, n: int) -> Target:
    by_id = {location_id(i): token(i) for i in range(n)}
    return Target(
        DEFAULT_BASE_URL,
        lambda loc: by_id[loc.id],
        lambda _agency: AGENCY_TOKEN,
        transport=sb.transport(),
        paced=False,
        retry=FAST,
        describe="sandbox with faults",
    )


def apply_fleet(project: Path, target: Target) -> tuple[list[LocationResult], int]:
    loaded = load_project(project)
    states, agency = load_states(loaded, Selection())
    session = Session(loaded, target, parallelism=1)
    plan = session.plan(states, agency)
    assert not plan.failed or all(loc.error for loc in plan.failed)
    return session.apply(plan), len(plan.failed)


@pytest.mark.parametrize("seed", [1, 6, 26])
def test_fleet_converges_under_ten_percent_faults(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """6 clinics x every kind ghlops writes (tags, custom fields and values, calendar groups,
    calendars with team members, redirects, pipelines, shipping zones and rates, products and
    prices, the agency's custom menu link), 10% of all answers faulty: two applies at most
    leave the store exactly as desired, with no duplicate and nothing lost."""
    sequential(monkeypatch)
    project = write_fleet(tmp_path / "fleet", FLEET)
    sb = Sandbox(rate_limit=RateLimit(1_000_000, 0.2, daily_limit=None))
    keep = seed_fleet(sb, FLEET)
    target = fleet_target(sb, FLEET)
    faults = FaultInjector("all=0.10", seed=seed, timeout_after=0.05, slow_seconds=0.01)
    sb.faults = faults
    outcomes: Counter[str] = Counter()
    for _ in range(2):  # the second run under faults too: on a converged fleet it is a no-op
        results, _failed_plans = apply_fleet(project, target)
        for result in results:
            for outcome in result.outcomes:
                outcomes[outcome.status.value] += 1
                outcomes["adopted"] += outcome.adopted
    sb.faults = None
    injected = faults.injected()
    assert sum(injected.values()) >= 25, injected
    assert sum(1 for n in injected.values() if n) >= 8, injected
    assert check_fleet(sb, FLEET, keep) == []
    # and ghlops agrees: nothing left to do
    loaded = load_project(project)
    states, agency = load_states(loaded, Selection())
    plan = Session(loaded, target).plan(states, agency)
    assert not plan.failed and not plan.has_changes
    assert outcomes["done"] > 100


def test_fleet_converges_over_http_through_the_cli(
    tmp_path: Path, served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same (3 clinics) over a real socket: timeouts (the client's, shorter than the server's hold),
    resets, 502 pages; the CLI's exit codes and report."""
    sequential(monkeypatch)
    project = write_fleet(tmp_path / "fleet", HTTP_FLEET)
    sb = served.sandbox
    sb.rate_limit = RateLimit(1_000_000, 0.2, daily_limit=None)
    keep = seed_fleet(sb, HTTP_FLEET)
    env: dict[str, str | None] = {**tokens(HTTP_FLEET), "GHLOPS_TIMEOUT": "0.5"}
    sb.faults = FaultInjector("all=0.10", seed=3, timeout_after=0.7, slow_seconds=0.02)
    args = ("apply", "--auto-approve", "--force", "--base-url", served.url, "--parallelism", "1")
    first = run(project, *args, env=env)
    assert first.exit_code in (0, 3), first.output
    if first.exit_code == 3:
        assert "Apply: " in first.stderr and "not attempted" in first.stderr
        assert run(project, *args, env=env).exit_code in (0, 3)
    injected = sb.faults.injected()
    sb.faults = None
    assert injected["timeout"] and injected["reset-after"], injected
    assert check_fleet(sb, HTTP_FLEET, keep) == []
    last = run(project, "plan", "--base-url", served.url, "--detailed-exitcode", env=env)
    assert last.exit_code == 0, last.output


# -- creates after an ambiguous failure ------------------------------------------------------


CORE = 1  # one clinic, tags/custom fields/custom values only


@pytest.fixture
def core(tmp_path: Path, served: Served) -> tuple[Path, Served, dict[str, str | None]]:
    project = write_fleet(tmp_path / "core", CORE, kinds="core")
    seed_fleet(served.sandbox, CORE, kinds="core")
    return project, served, {**tokens(CORE)}


def tag_names(sb: Sandbox) -> list[str]:
    return sorted(str(t["name"]) for t in sb.objects(location_id(0), "tags"))


def test_a_create_applied_but_unanswered_is_adopted(
    core: tuple[Path, Served, dict[str, str | None]],
) -> None:
    project, served, env = core
    log = inject(served.sandbox, when("POST", "/tags"), "reset-after")
    result = run(project, "apply", "--auto-approve", "--base-url", served.url, env=env)
    assert result.exit_code == 0, result.output
    assert log[0] == "reset-after" and log.count("ok") == 2  # 3 tags to create, 3 POSTs
    assert "created (adopted after an ambiguous failure)" in result.stdout
    names = tag_names(served.sandbox)
    assert len(names) == len(set(names)) == 4
    again = run(project, "plan", "--base-url", served.url, "--detailed-exitcode", env=env)
    assert again.exit_code == 0, again.output


@pytest.mark.parametrize("fault", ["500", "502", "503", "reset-before", "timeout"])
def test_a_create_that_did_not_happen_is_sent_once_more(
    fault: str, core: tuple[Path, Served, dict[str, str | None]]
) -> None:
    project, served, env = core
    log = inject(served.sandbox, when("POST", "/customFields"), fault)
    result = run(project, "apply", "--auto-approve", "--base-url", served.url, env=env)
    assert result.exit_code == 0, result.output
    assert log == [fault, "ok", "ok", "ok"]  # 3 fields, one sent twice
    assert "adopted" not in result.stdout
    fields = [str(f["name"]) for f in served.sandbox.objects(location_id(0), "customFields")]
    assert len(fields) == len(set(fields)) == 4


def test_a_create_whose_answer_has_no_id_is_adopted(
    core: tuple[Path, Served, dict[str, str | None]],
) -> None:
    project, served, env = core
    log = inject(served.sandbox, when("POST", "/customValues"), "no-id")
    result = run(project, "apply", "--auto-approve", "--base-url", served.url, env=env)
    assert result.exit_code == 0, result.output
    assert log.count("no-id") == 1 and log.count("ok") == 1  # 2 values to create
    assert "created (adopted after an ambiguous failure)" in result.stdout
    values = [str(v["name"]) for v in served.sandbox.objects(location_id(0), "customValues")]
    assert sorted(values) == ["Booking URL", "Clinic Name", "Clinic Phone"]


def test_creates_are_sent_at_most_three_times(
    core: tuple[Path, Served, dict[str, str | None]],
) -> None:
    project, served, env = core
    log = inject(served.sandbox, when("POST", "/tags"), "503", times=10)
    result = run(project, "apply", "--auto-approve", "--base-url", served.url, env=env)
    assert result.exit_code == 3, result.output  # the prune of old-promo went first
    assert log == ["503"] * 3
    assert "sent 3 times; after each failure, reading tags again twice showed it had not" in (
        result.stderr
    )
    assert "clinic-0: stopped at the first failure" in result.stderr
    assert tag_names(served.sandbox) == ["new-patient"]


def test_two_matches_after_an_ambiguous_failure_adopt_neither(
    core: tuple[Path, Served, dict[str, str | None]],
) -> None:
    """Someone (or the API) made the object twice: adopting either could bind the wrong one."""
    project, served, env = core
    sb = served.sandbox
    posts: list[str] = []

    def twice(request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        if request.method == "POST" and request.path.endswith("/tags") and not posts:
            posts.append("x")
            call_next(request)
            name = json.loads(request.body)["name"]
            posts.append(name)
            sb.seed({"locations": {location_id(0): {"tags": [{"name": name}]}}})
            raise ConnectionFault("reset-after", reset=True, applied=True)
        return call_next(request)

    sb.middleware.append(twice)
    result = run(project, "apply", "--auto-approve", "--base-url", served.url, env=env)
    assert result.exit_code == 3, result.output
    assert "2 live objects now match it" in result.stderr
    assert "none was adopted and it was not created again" in result.stderr
    assert tag_names(sb).count(posts[1]) == 2  # no third


def test_a_nested_create_is_adopted_under_its_parent(tmp_path: Path, served: Served) -> None:
    project = write_fleet(tmp_path / "shop", 1)
    keep = seed_fleet(served.sandbox, 1)
    log = inject(served.sandbox, when("POST", "/price"), "reset-after")
    zones = inject(served.sandbox, when("POST", "/shipping-rate"), "reset-after")
    result = run(project, "apply", "--auto-approve", "--base-url", served.url, env={**tokens(1)})
    assert result.exit_code == 0, result.output
    assert log[0] == "reset-after" and zones[0] == "reset-after"
    assert result.stdout.count("created (adopted after an ambiguous failure)") == 2
    assert check_fleet(served.sandbox, 1, keep) == []


@pytest.mark.parametrize("fault", ["reset-after", "500", "timeout"])
def test_idempotent_writes_are_retried_and_a_delete_404_on_retry_is_done(
    fault: str, core: tuple[Path, Served, dict[str, str | None]]
) -> None:
    project, served, env = core
    deletes = inject(served.sandbox, when("DELETE", "/tags/"), fault)
    puts = inject(served.sandbox, when("PUT", "/customValues/"), fault)
    result = run(project, "apply", "--auto-approve", "--base-url", served.url, env=env)
    assert result.exit_code == 0, result.output
    assert deletes == [fault, "ok"] and puts == [fault, "ok"]
    assert OLD_TAG not in tag_names(served.sandbox)
    assert f'- tag "{OLD_TAG}": deleted' in result.stdout


# -- reads that fail never plan deletions ----------------------------------------------------


READ_FAULTS = ["500", "502", "503", "timeout", "reset-before", "malformed", "truncated"]


@pytest.mark.parametrize("fault", [*READ_FAULTS, "missing-fields"])
def test_a_read_that_keeps_failing_fails_the_location_and_deletes_nothing(
    fault: str, tmp_path: Path, served: Served
) -> None:
    project = write_fleet(tmp_path / "two", 2, kinds="core")
    seed_fleet(served.sandbox, 2, kinds="core")
    sb = served.sandbox
    calls = inject(sb, when("GET", "/tags", location_id(1)), fault, times=1000)
    env: dict[str, str | None] = {**tokens(2)}
    result = run(project, "apply", "--auto-approve", "--base-url", served.url, env=env)
    assert result.exit_code == 3, result.output  # clinic-0 applied, clinic-1 not
    assert "clinic-1: not applied:" in result.stderr
    assert "reading tags" in result.stderr or "while reading tags" in result.stderr
    assert len(calls) >= 3  # retried before giving up
    assert OLD_TAG in tag_names_of(sb, 1)  # prune is on for tags: still nothing deleted
    assert OLD_TAG not in tag_names_of(sb, 0)
    assert (
        sb.request_count(location_id(1), route="DELETE /locations/{locationId}/tags/{tagId}") == 0
    )
    assert [r for r in _writes(sb, location_id(1))] == []


def test_reads_that_fail_once_are_retried_and_planned_whole(tmp_path: Path, served: Served) -> None:
    """Every kind of read fault, each on another list of the same location: the plan is whole."""
    project = write_fleet(tmp_path / "one", 1)
    seed_fleet(served.sandbox, 1)
    lists = [
        "/tags",
        "/customFields",
        "/customValues",
        "/calendars/groups",
        "/funnels/lookup/redirect/list",
        "/opportunities/pipelines",
        "/store/shipping-zone",
        "/products/",
    ]
    faults = [*READ_FAULTS, "missing-fields"]
    logs = [
        inject(served.sandbox, when("GET", path), f) for path, f in zip(lists, faults, strict=True)
    ]
    result = run(project, "plan", "--base-url", served.url, env={**tokens(1)})
    assert result.exit_code == 0, result.output
    for log, fault in zip(logs, faults, strict=True):
        assert log[0] == fault and "ok" in log, (fault, log)
    assert "Plan: 31 to create, 2 to update, 0 to replace, 1 to delete." in result.stdout
    assert f'- tag "{OLD_TAG}"' in result.stdout


def test_a_list_cut_off_on_its_second_page_plans_nothing(tmp_path: Path, served: Served) -> None:
    """Products are read 100 at a time; when page 2 never comes, the location is not planned
    (a plan from page 1 alone would prune the products on page 2)."""
    project = write_fleet(tmp_path / "shop", 1)
    text = (project / "ghlops.yaml").read_text()
    (project / "ghlops.yaml").write_text(text.replace("prune: [tags", "prune: [products, tags"))
    seed_fleet(served.sandbox, 1)
    loc = location_id(0)
    served.sandbox.seed(
        {
            "locations": {
                loc: {
                    "products": [{"name": f"Old {i}", "productType": "DIGITAL"} for i in range(150)]
                }
            }
        }
    )

    def second_page(request: SandboxRequest) -> bool:
        return (
            request.method == "GET"
            and request.path == "/products/"
            and ("offset=100" in request.query_string)
        )

    inject(served.sandbox, second_page, "500", times=1000)
    result = run(project, "apply", "--auto-approve", "--base-url", served.url, env={**tokens(1)})
    assert result.exit_code == 3, result.output  # the agency's menu link was applied
    assert "clinic-0: not applied: GET /products/ → 500" in result.stderr
    assert len(served.sandbox.objects(loc, "products")) == 150


def tag_names_of(sb: Sandbox, i: int) -> list[str]:
    return sorted(str(t["name"]) for t in sb.objects(location_id(i), "tags"))


def _writes(sb: Sandbox, location: str) -> list[str]:
    return [
        route
        for route in (
            "POST /locations/{locationId}/tags",
            "PUT /locations/{locationId}/tags/{tagId}",
        )
        if sb.request_count(location, route=route)
    ]


# -- one location's failure does not stop the others ------------------------------------------


def test_failures_are_contained_and_reported(tmp_path: Path, served: Served) -> None:
    """clinic-1's writes are refused, clinic-2 cannot be read: clinic-0 and clinic-3 are applied
    whole; the report lists what was done, what failed and what was not attempted; exit 3."""
    project = write_fleet(tmp_path / "four", 4, kinds="core")
    seed_fleet(served.sandbox, 4, kinds="core")
    sb = served.sandbox

    def refuse(request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        if request.method == "POST" and location_id(1) in request.path:
            body = {"statusCode": 422, "message": ["name is reserved"], "error": "Unprocessable"}
            return json_response(422, body)
        return call_next(request)

    sb.middleware.append(refuse)
    inject(sb, when("GET", "/customFields", location_id(2)), "503", times=1000)
    result = run(project, "apply", "--auto-approve", "--base-url", served.url, env={**tokens(4)})
    assert result.exit_code == 3, result.output
    err = result.stderr
    assert "clinic-1: stopped at the first failure; 1 done, 8 not attempted" in err
    assert "FAILED: create tag 'clinic-1-patient': POST /locations/" in err
    assert "422 Unprocessable Entity: name is reserved" in err
    assert "clinic-2: not applied: GET /locations/" in err and "503 Service Unavailable" in err
    assert "(after 5 tries)" in err
    assert "Apply: 21 change(s) made, 1 failed, 8 not attempted." in err
    for i in (0, 3):
        assert OLD_TAG not in tag_names_of(sb, i)
        assert len(sb.objects(location_id(i), "customFields")) == 4
    assert OLD_TAG in tag_names_of(sb, 2)
