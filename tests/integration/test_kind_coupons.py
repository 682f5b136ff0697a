"""Coupons end to end through the CLI on the embedded sandbox: created after the products they
name (by slug, in the same apply), updated in place keeping their id and usage, a code renamed
with renamedFrom, pruned, every page of the list, and the calls of an unchanged plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.kind_project import Calls, KindProject, recording

LOC = "C0up0nsL0cat10nAbCdE"
BUNDLE = """\
products:
  - {name: Grooming Kit, slug: grooming-kit, productType: PHYSICAL}
coupons:
  - name: "Spring at {{ location.name }}"
    code: SPRING10
    discountType: percentage
    discountValue: 10
    startDate: 2026-03-01T00:00:00Z
    endDate: "2999-03-31"
    usageLimit: 100
    limitPerCustomer: true
    products: [grooming-kit]
  - {name: Ten off, code: TENOFF, discountType: amount, discountValue: 10,
     startDate: "2026-01-01", applyToFuturePaymentsConfig: {type: fixed, duration: 3}}
"""


@pytest.fixture
def project(tmp_path: Path) -> KindProject:
    return KindProject(tmp_path, LOC, BUNDLE)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    return recording(monkeypatch)


def stored(project: KindProject) -> dict[str, dict[str, Any]]:
    """The sandbox's full coupon records by code (with what the API never returns)."""
    with project.sandbox() as sb:
        return {o.data["code"]: o.data for o in sb.store.list(LOC, "coupons")}


def test_coupons_are_created_after_the_products_they_name(project: KindProject) -> None:
    plan = project("plan", "--sandbox")
    lines = plan.stdout.splitlines()
    assert lines.index('  + coupon "SPRING10"') > lines.index('  + product "grooming-kit"')
    assert "Plan: 3 to create, 0 to update, 0 to replace, 0 to delete." in plan.stdout
    project.converges()
    [kit] = project.objects("products")
    coupons = stored(project)
    spring = coupons["SPRING10"]
    assert spring["name"] == "Spring at main"
    assert spring["productIds"] == [kit["_id"]]
    assert (spring["usageLimit"], spring["limitPerCustomer"]) == (100, 1)
    assert (spring["startDate"], spring["endDate"]) == (
        "2026-03-01T00:00:00.000Z",
        "2999-03-31T00:00:00.000Z",
    )
    assert coupons["TENOFF"]["applyToFuturePaymentsConfig"] == {
        "type": "fixed",
        "duration": 3,
        "durationType": "months",
    }


def test_an_update_keeps_the_coupon_and_its_write_only_fields(project: KindProject) -> None:
    project.converges()
    before = stored(project)["SPRING10"]
    project.write(BUNDLE.replace("discountValue: 10\n", "discountValue: 15\n"))
    plan = project("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert f'  ~ coupon "SPRING10" (id {before["_id"]})' in plan.stdout
    assert "also sends usageLimit, products" in plan.stdout
    assert project("apply", "--sandbox", "--auto-approve").exit_code == 0
    after = stored(project)["SPRING10"]
    assert (after["_id"], after["discountValue"]) == (before["_id"], 15)
    assert (after["usageLimit"], after["productIds"]) == (100, before["productIds"])
    assert after["endDate"] == before["endDate"]  # carried over by the full replacement
    project.no_changes()


def test_undeclared_fields_are_carried_over_on_update(project: KindProject) -> None:
    project.converges()
    before = stored(project)["TENOFF"]
    project.write(BUNDLE.replace("name: Ten off", "name: Ten dollars off"))
    assert project("apply", "--sandbox", "--auto-approve").exit_code == 0
    after = stored(project)["TENOFF"]
    assert after["name"] == "Ten dollars off"
    assert after["applyToFuturePaymentsConfig"] == before["applyToFuturePaymentsConfig"]
    assert after["limitPerCustomer"] == before["limitPerCustomer"]
    project.no_changes()


def test_renamed_from_changes_the_code_in_place(project: KindProject) -> None:
    project.converges()
    before = stored(project)["TENOFF"]
    project.write(BUNDLE.replace("code: TENOFF,", "code: TEN26, renamedFrom: TENOFF,"))
    plan = project("plan", "--sandbox")
    assert "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete." in plan.stdout
    assert project("apply", "--sandbox", "--auto-approve").exit_code == 0
    assert stored(project)["TEN26"]["_id"] == before["_id"]
    project.no_changes()


def test_a_pruned_coupon_is_deleted(project: KindProject) -> None:
    project.converges()
    gone = stored(project)["TENOFF"]["_id"]
    project.write(BUNDLE.split("  - {name: Ten off")[0])
    (project.directory / "ghlops.yaml").write_text(
        (project.directory / "ghlops.yaml").read_text() + "policy:\n  prune: [coupons]\n"
    )
    plan = project("plan", "--sandbox")
    assert f'  - coupon "TENOFF" (id {gone})  DESTRUCTIVE' in plan.stdout
    assert project("apply", "--sandbox", "--auto-approve").exit_code == 0
    assert set(stored(project)) == {"SPRING10"}
    project.no_changes()


def test_a_product_made_in_ghl_can_be_named_by_name(project: KindProject) -> None:
    project.write("products:\n  - {name: Bath, slug: bath, productType: SERVICE}\n")
    project.converges()
    project.write(
        "coupons:\n  - {name: Bath deal, code: BATH, discountType: amount, discountValue: 3,\n"
        '     startDate: "2026-01-01", products: [Bath]}\n'
    )
    project.converges()
    [bath] = project.objects("products")
    assert stored(project)["BATH"]["productIds"] == [bath["_id"]]


def test_a_product_neither_live_nor_declared_fails_the_plan(project: KindProject) -> None:
    project.write(BUNDLE.replace("products: [grooming-kit]", "products: [grooming-kit, collar]"))
    plan = project("plan", "--sandbox")
    assert plan.exit_code == 1
    assert (
        "coupon 'SPRING10': unknown product 'collar' (not a slug or name of a product of this "
        "location); declare it in products or make it in GHL"
    ) in plan.output


def test_every_page_and_one_list_call_when_unchanged(project: KindProject, calls: Calls) -> None:
    project.seed(
        {
            "coupons": [
                {
                    "name": f"Old {i}",
                    "code": f"OLD{i:03}",
                    "discountType": "amount",
                    "discountValue": 1,
                    "startDate": "2025-01-01T00:00:00Z",
                }
                for i in range(120)
            ]
        }
    )
    project.converges()
    calls.seen.clear()
    project.no_changes()
    gets = [t.split("&offset=")[1] for _m, t in calls.under("/payments/coupon/list")]
    assert gets == ["0", "100"]  # every page, once
    assert len(calls.under("/products/?")) == 1  # products read once, as their own kind
    assert calls.under("/payments/coupon?") == []  # no get per coupon
    plan = project("plan", "--sandbox")
    assert "unmanaged: 120 (coupons 120)" in plan.stdout


def test_kind_coupons_alone_looks_products_up_once(project: KindProject, calls: Calls) -> None:
    project.converges()
    calls.seen.clear()
    plan = project("plan", "--sandbox", "--kind", "coupons", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert len(calls.under("/products/")) == 1
