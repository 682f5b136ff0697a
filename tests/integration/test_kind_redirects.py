"""Redirects end to end through the CLI on the embedded sandbox: create, update in place,
replace on a path case change, a changed path, every page of the list, one list call."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ghlops.sandbox import Sandbox
from ghlops.sandbox.app import CallNext, SandboxRequest, SandboxResponse
from tests.helpers.cli import Runner, record_sandbox_requests

LOC = "Rd1rEcTsL0cAt10nAbCd"
PROJECT = f"""\
version: 1
locations:
  - name: clinic
    id: {LOC}
    bundles: [bundles/web]
"""
BUNDLE = """\
redirects:
  - {domain: www.acme-dental.com, path: /old-offer, target: "https://www.acme-dental.com/offer", action: url}
  - {domain: WWW.Acme-Dental.com, path: /Book, target: "https://www.acme-dental.com/booking", action: website}
"""


@pytest.fixture
def project(tmp_path: Path) -> Runner:
    (tmp_path / "bundles" / "web").mkdir(parents=True)
    (tmp_path / "ghlops.yaml").write_text(PROJECT)
    (tmp_path / "bundles" / "web" / "redirects.yaml").write_text(BUNDLE)
    return Runner(tmp_path)


def write_bundle(project: Runner, text: str) -> None:
    (project.directory / "bundles" / "web" / "redirects.yaml").write_text(text)


def live(project: Runner) -> dict[str, dict[str, Any]]:
    """Live redirects by lower-case domain + path."""
    sb = Sandbox(project.directory / ".ghlops" / "sandbox.sqlite3")
    try:
        return {
            f"{r['domain'].lower()}{r['pathLowercase']}": r for r in sb.objects(LOC, "redirects")
        }
    finally:
        sb.close()


def seed(project: Runner, redirects: list[dict[str, Any]]) -> None:
    sb = Sandbox(project.directory / ".ghlops" / "sandbox.sqlite3")
    try:
        sb.seed({"locations": {LOC: {"redirects": redirects}}})
    finally:
        sb.close()


@pytest.fixture
def applied(project: Runner) -> Runner:
    result = project("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    return project


def test_create_then_no_changes(project: Runner) -> None:
    plan = project("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert '  + redirect "www.acme-dental.com/old-offer"' in plan.stdout
    assert '  + redirect "www.acme-dental.com/book"' in plan.stdout
    assert "Plan: 2 to create, 0 to update, 0 to replace, 0 to delete." in plan.stdout

    result = project("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    found = live(project)
    assert set(found) == {"www.acme-dental.com/old-offer", "www.acme-dental.com/book"}
    book = found["www.acme-dental.com/book"]
    assert book["domain"] == "www.acme-dental.com", "domains are sent in lower case"
    assert book["path"] == "/Book" and book["action"] == "website"
    assert all(len(r["id"]) == 20 and r["id"].isalnum() for r in found.values())

    again = project("plan", "--sandbox", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes." in again.stdout


def test_target_and_action_update_in_place(applied: Runner) -> None:
    before = live(applied)["www.acme-dental.com/old-offer"]
    write_bundle(
        applied,
        BUNDLE.replace(
            'target: "https://www.acme-dental.com/offer", action: url',
            'target: "https://www.acme-dental.com/spring", action: funnel',
        ),
    )
    plan = applied("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert f'  ~ redirect "www.acme-dental.com/old-offer" (id {before["id"]})' in plan.stdout
    assert '      action: "url" → "funnel"' in plan.stdout
    assert "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete." in plan.stdout

    result = applied("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    after = live(applied)["www.acme-dental.com/old-offer"]
    assert after["id"] == before["id"]
    assert (after["target"], after["action"]) == ("https://www.acme-dental.com/spring", "funnel")
    assert applied("plan", "--sandbox", "--detailed-exitcode").exit_code == 0


def test_path_case_change_is_a_destructive_replace(applied: Runner) -> None:
    before = live(applied)["www.acme-dental.com/old-offer"]
    write_bundle(applied, BUNDLE.replace("path: /old-offer", "path: /Old-Offer"))
    plan = json.loads(applied("plan", "--sandbox", "--json").stdout)
    [change] = plan["locations"][0]["changes"]
    assert (change["action"], change["key"], change["id"]) == (
        "replace",
        "www.acme-dental.com/old-offer",
        before["id"],
    )
    assert change["destructive"] is True
    assert change["diffs"] == [{"field": "path", "before": "/old-offer", "after": "/Old-Offer"}]

    result = applied("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    after = live(applied)["www.acme-dental.com/old-offer"]
    assert after["id"] != before["id"]
    assert after["path"] == "/Old-Offer"
    assert len(live(applied)) == 2
    assert applied("plan", "--sandbox", "--detailed-exitcode").exit_code == 0


def test_changed_path_is_a_new_redirect_and_the_old_one_unmanaged(applied: Runner) -> None:
    old = live(applied)["www.acme-dental.com/old-offer"]
    write_bundle(applied, BUNDLE.replace("path: /old-offer", "path: /summer-offer"))
    plan = applied("plan", "--sandbox")
    assert '  + redirect "www.acme-dental.com/summer-offer"' in plan.stdout
    assert "unmanaged: 1 (redirects 1)" in plan.stdout
    assert applied("apply", "--sandbox", "--auto-approve").exit_code == 0
    assert live(applied)["www.acme-dental.com/old-offer"]["id"] == old["id"]

    project_file = applied.directory / "ghlops.yaml"
    project_file.write_text(PROJECT + "policy:\n  prune: [redirects]\n")
    plan = applied("plan", "--sandbox")
    assert (
        f'  - redirect "www.acme-dental.com/old-offer" (id {old["id"]})  DESTRUCTIVE' in plan.stdout
    )
    assert applied("apply", "--sandbox", "--auto-approve").exit_code == 0
    assert set(live(applied)) == {"www.acme-dental.com/summer-offer", "www.acme-dental.com/book"}


class Calls:
    """Records the requests the embedded sandbox serves (CLI runs build their own Sandbox)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def __call__(self, request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        self.seen.append((request.method, request.target))
        return call_next(request)

    def to(self, path: str) -> list[str]:
        return [target for method, target in self.seen if target.split("?")[0] == path]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    recorder = Calls()
    record_sandbox_requests(monkeypatch, recorder)
    yield recorder


def test_every_page_of_the_list_is_read(project: Runner, calls: Calls) -> None:
    seed(
        project,
        [
            {
                "domain": "www.acme-dental.com",
                "path": f"/promo-{i:03}",
                "target": f"https://t.test/{i}",
            }
            for i in range(250)
        ],
    )
    write_bundle(
        project,
        "redirects:\n"
        "{% for i in range(250) %}"
        '  - {domain: www.acme-dental.com, path: "/promo-{{ "%03d" % i }}", '
        'target: "https://t.test/{{ i }}", action: url}\n'
        "{% endfor %}",
    )
    plan = project("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output  # all 250 matched: nothing to create
    assert "No changes." in plan.stdout
    pages = calls.to("/funnels/lookup/redirect/list")
    assert len(pages) == 3
    assert all(f"locationId={LOC}" in p and "limit=100" in p for p in pages)
    assert [p.split("offset=")[1].split("&")[0] for p in pages] == ["0", "100", "200"]

    write_bundle(
        project,
        "redirects:\n  - {domain: www.acme-dental.com, path: /promo-000, "
        "target: 'https://t.test/0', action: url}\n",
    )
    plan = project("plan", "--sandbox")
    assert "unmanaged: 249 (redirects 249)" in plan.stdout


def test_unchanged_plan_makes_one_list_call(applied: Runner, calls: Calls) -> None:
    plan = applied("plan", "--sandbox", "--detailed-exitcode", "--json")
    assert plan.exit_code == 0, plan.output
    redirect_calls = [(m, t) for m, t in calls.seen if t.startswith("/funnels/")]
    assert redirect_calls == [
        ("GET", f"/funnels/lookup/redirect/list?locationId={LOC}&limit=100&offset=0")
    ]
    assert json.loads(plan.stdout)["locations"][0]["error"] is None
