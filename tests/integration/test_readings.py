"""ghlops converges under both readings of what GHL's spec leaves open (docs/api-assumptions.md).

The all-kinds example runs plan, apply, plan against the embedded sandbox in the ``spec`` and the
``alternative`` reading (pages capped at 20, custom fields without model: contact only, lists
lagging writes by one read, not found as 400). Then the two behaviours that reading makes
dangerous: a create whose answer is lost while the list lags (adopted, never sent twice), and a
DELETE retried after its answer was lost, meeting 400 "… not found" (done).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ghlops.cli.common import Selection, load_states
from ghlops.client.client import DEFAULT_BASE_URL, GhlClient, RetryPolicy
from ghlops.engine import Session, Target
from ghlops.manifest.project import load_project
from ghlops.sandbox import ConnectionFault, Sandbox, SandboxRequest, SandboxResponse
from ghlops.sandbox.app import CallNext
from ghlops.sandbox.middleware.readings import Readings
from tests.helpers.cli import EXAMPLES, Runner

ALTERNATIVE = Readings.named("alternative")


@pytest.mark.parametrize("readings", ["spec", "alternative"])
def test_the_all_kinds_example_converges_in_both_readings(tmp_path: Path, readings: str) -> None:
    project = tmp_path / "dental"
    shutil.copytree(EXAMPLES / "dental", project, ignore=shutil.ignore_patterns(".ghlops"))
    ghlops = Runner(project)
    env: dict[str, str | None] = {"GHLOPS_SANDBOX_READINGS": readings}
    seeded = ghlops("sandbox", "seed", str(project / "sandbox-seed.yaml"), env=env)
    assert seeded.exit_code == 0, seeded.output
    first = ghlops("plan", "--sandbox", "--detailed-exitcode", env=env)
    assert first.exit_code == 2, first.output
    applied = ghlops("apply", "--sandbox", "--auto-approve", env=env)
    assert applied.exit_code == 0, applied.output
    assert "Apply: 116 change(s) made, 0 failed, 0 not attempted." in applied.output
    assert "adopted" not in applied.output
    last = ghlops("plan", "--sandbox", "--detailed-exitcode", env=env)
    # only the seeded pipeline drift is left: a manual change, as in `ghlops demo dental`
    assert "Plan: 0 to create, 0 to update, 0 to replace, 0 to delete, 1 manual." in last.stdout
    with Sandbox(project / ".ghlops" / "sandbox.sqlite3") as sb:
        for loc in load_project(project).locations:
            names = [str(f["name"]) for f in sb.objects(loc.id, "customFields")]
            assert len(names) == len(set(names)), names  # no field created twice


def test_an_unknown_readings_name_is_a_clear_error(tmp_path: Path) -> None:
    project = tmp_path / "quickstart"
    shutil.copytree(EXAMPLES / "quickstart", project, ignore=shutil.ignore_patterns(".ghlops"))
    result = Runner(project)("plan", "--sandbox", env={"GHLOPS_SANDBOX_READINGS": "loose"})
    assert result.exit_code != 0
    assert "GHLOPS_SANDBOX_READINGS: unknown readings 'loose'" in result.output


# -- an ambiguous create while lists lag -------------------------------------------------------


class FakeSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def quickstart_session(
    tmp_path: Path, sb: Sandbox, sleep: FakeSleep
) -> tuple[Session, list[object]]:
    project = tmp_path / "quickstart"
    shutil.copytree(EXAMPLES / "quickstart", project, ignore=shutil.ignore_patterns(".ghlops"))
    loaded = load_project(project)
    tokens = {loc.id: sb.provision_location(loc.id) for loc in loaded.locations}
    target = Target(
        DEFAULT_BASE_URL,
        lambda loc: tokens[loc.id],
        lambda _agency: "",
        transport=sb.transport(),
        paced=False,
        retry=RetryPolicy(base_delay=0.5),
    )
    states, _agency = load_states(loaded, Selection(kinds=("tags",)))
    return Session(loaded, target, kinds=["tags"], parallelism=1, sleep=sleep), list(states)


def lose_answers(method: str, times: int = 1) -> tuple[list[str], object]:
    """Middleware: the first ``times`` requests of ``method`` are applied, then their
    connection is reset (the client cannot know whether they took effect)."""
    log: list[str] = []

    def middleware(request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        if request.method == method and log.count("lost") < times:
            call_next(request)
            log.append("lost")
            raise ConnectionFault("reset-after", reset=True, applied=True)
        if request.method == method:
            log.append("ok")
        return call_next(request)

    return log, middleware


def test_a_lost_create_answer_is_adopted_although_the_list_lags(tmp_path: Path) -> None:
    sleep = FakeSleep()
    with Sandbox(readings=ALTERNATIVE) as sb:
        session, states = quickstart_session(tmp_path, sb, sleep)
        log, middleware = lose_answers("POST")
        sb.middleware.append(middleware)  # type: ignore[arg-type]
        plan = session.plan(states)  # type: ignore[arg-type]
        creates = sum(len(loc.changes) for loc in plan.locations)
        results = session.apply(plan)
        assert not any(r.failed for r in results), [r.outcomes for r in results]
        adopted = [o for r in results for o in r.outcomes if o.adopted]
        assert len(adopted) == 1
        # the first read after the create lagged; the second, a backoff later, showed it
        assert sleep.waits == [1.0]
        assert log.count("lost") == 1 and log.count("ok") == creates - 1  # no POST twice
        for loc in session.project.locations:
            names = [str(t["name"]) for t in sb.objects(loc.id, "tags")]
            assert len(names) == len(set(names)), names


def test_reads_that_keep_changing_stop_the_location_without_a_second_post(
    tmp_path: Path,
) -> None:
    sleep = FakeSleep()
    with Sandbox() as sb:
        session, states = quickstart_session(tmp_path, sb, sleep)
        plan = session.plan(states)  # type: ignore[arg-type]
        first = next(loc for loc in plan.locations if loc.changes)
        log: list[str] = []
        counter = {"n": 0}

        def restless(request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
            """Every list read finds one more foreign tag; the create's answer is lost and it
            did not happen."""
            if request.method == "POST":
                log.append(request.path)
                raise ConnectionFault("reset-after", reset=True, applied=False)
            if request.method == "GET":
                counter["n"] += 1
                sb.seed(
                    {"locations": {first.location_id: {"tags": [{"name": f"x{counter['n']}"}]}}}
                )
            return call_next(request)

        sb.middleware.append(restless)
        results = session.apply(plan)
        failed = next(r for r in results if r.location_id == first.location_id)
        assert failed.failed
        error = next(o.error for o in failed.outcomes if o.error)
        assert "could not tell whether it was created" in str(error)
        assert "was read 3 times over 3 s" in str(error)
        assert "it was not sent again; plan again to see" in str(error)
        assert sleep.waits[:2] == [1.0, 2.0]
        # one POST in the restless location, never a second; the other location's reads agreed
        # that its lost create did not happen, so it was sent again (3 times at most)
        assert log.count(f"/locations/{first.location_id}/tags") == 1
        assert len(log) == 1 + 3


# -- a retried DELETE meeting 400 "not found" --------------------------------------------------


def test_a_retried_delete_meeting_400_not_found_is_done() -> None:
    with Sandbox(readings=ALTERNATIVE) as sb:
        loc = "ve9EPM428h8vShlRW1KT"
        token = sb.provision_location(loc)
        tag = sb.seed({"locations": {loc: {"tags": [{"name": "old"}]}}})[f"{loc}/tags"][0]
        log, middleware = lose_answers("DELETE")
        sb.middleware.append(middleware)  # type: ignore[arg-type]
        with GhlClient(
            token,
            transport=sb.transport(),
            retry=RetryPolicy(base_delay=0.0),
            sleep=lambda _s: None,
        ) as client:
            assert (
                client.request("DELETE", f"/locations/{loc}/tags/{tag}", version="2021-07-28") == {}
            )
            assert client.calls == 2
            # at once (no earlier try), "not found" is an error
            with pytest.raises(Exception, match="400 Bad Request: Tag not found"):
                client.request("DELETE", f"/locations/{loc}/tags/{tag}", version="2021-07-28")
        assert log == ["lost", "ok", "ok"]
        assert sb.objects(loc, "tags") == []
