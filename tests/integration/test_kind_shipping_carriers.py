"""Shipping carriers end to end through the CLI on the embedded sandbox: created before the zone
rates that name them in the same apply, updated in place (rates keep their carrier), renamed
with renamedFrom, pruned, carriers installed by apps still named, one list call."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.kind_project import Calls, KindProject, recording

LOC = "ShpCarr1ersL0cAt10nA"
BUNDLE = """\
shippingCarriers:
  - name: Local Courier
    callbackUrl: "https://courier.example/{{ location.name }}/rates"
    services: [{name: Same day, value: SAME_DAY}, {name: Next day, value: NEXT_DAY}]
shippingZones:
  - name: Domestic
    countries: [{code: US}]
    rates:
      - {name: Courier, currency: USD, amount: 5, carrier: Local Courier}
"""


@pytest.fixture
def project(tmp_path: Path) -> KindProject:
    return KindProject(tmp_path, LOC, BUNDLE)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    return recording(monkeypatch)


def carriers(project: KindProject) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in project.objects("shippingCarriers")}


def rate(project: KindProject) -> dict[str, Any]:
    [found] = project.objects("shippingRates")
    return found


def test_carrier_is_created_before_the_rate_naming_it(project: KindProject) -> None:
    plan = project("plan", "--sandbox")
    lines = plan.stdout.splitlines()
    assert lines.index('  + shipping carrier "Local Courier"') < lines.index(
        '  + shipping zone "Domestic"'
    )
    project.converges()
    courier = carriers(project)["Local Courier"]
    assert courier["callbackUrl"] == "https://courier.example/main/rates"
    assert [s["value"] for s in courier["services"]] == ["SAME_DAY", "NEXT_DAY"]
    assert rate(project)["shippingCarrierId"] == courier["_id"]
    assert rate(project)["isCarrierRate"] is True


def test_update_in_place_and_rename_keep_the_rate_s_carrier(project: KindProject) -> None:
    project.converges()
    before = carriers(project)["Local Courier"]
    project.write(
        BUNDLE.replace(
            "  - name: Local Courier\n", "  - name: City Courier\n    renamedFrom: Local Courier\n"
        )
        .replace('/rates"', '/v2/rates"\n    allowsMultipleServiceSelection: true')
        .replace("carrier: Local Courier", "carrier: City Courier")
    )
    plan = project("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert f'  ~ shipping carrier "City Courier" (id {before["_id"]})' in plan.stdout
    assert project("apply", "--sandbox", "--auto-approve").exit_code == 0
    after = carriers(project)["City Courier"]
    assert after["_id"] == before["_id"]
    assert after["callbackUrl"] == "https://courier.example/main/v2/rates"
    assert after["allowsMultipleServiceSelection"] is True
    assert rate(project)["shippingCarrierId"] == before["_id"]
    project.no_changes()


def test_an_app_installed_carrier_is_unmanaged_named_and_pruned(project: KindProject) -> None:
    project.seed({"shippingCarriers": [{"name": "ShipFast", "callbackUrl": "https://sf.example"}]})
    project.write(
        BUNDLE.replace("amount: 5, carrier: Local Courier", "amount: 5, carrier: ShipFast")
    )
    plan = project("plan", "--sandbox")
    assert "unmanaged: 1 (shippingCarriers 1)" in plan.stdout
    project.converges()
    assert rate(project)["shippingCarrierId"] == carriers(project)["ShipFast"]["_id"]

    project.write(BUNDLE)
    (project.directory / "ghlops.yaml").write_text(
        (project.directory / "ghlops.yaml").read_text() + "policy:\n  prune: [shippingCarriers]\n"
    )
    plan = project("plan", "--sandbox")
    shipfast = carriers(project)["ShipFast"]["_id"]
    assert f'  - shipping carrier "ShipFast" (id {shipfast})  DESTRUCTIVE' in plan.stdout
    assert "can no longer quote" in plan.stdout
    assert project("apply", "--sandbox", "--auto-approve").exit_code == 0
    assert set(carriers(project)) == {"Local Courier"}
    assert rate(project)["shippingCarrierId"] == carriers(project)["Local Courier"]["_id"]
    project.no_changes()


def test_unchanged_plan_reads_carriers_once(project: KindProject, calls: Calls) -> None:
    project.converges()
    calls.seen.clear()
    project.no_changes()
    assert calls.under("/store/shipping-carrier") == [
        ("GET", f"/store/shipping-carrier?altId={LOC}&altType=location")
    ]
