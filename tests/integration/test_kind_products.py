"""Products and their nested prices end to end through the CLI on the embedded sandbox:
converge, full-replacement updates that keep ids, pruning prices and products in the right order,
collections by slug, write-only notes, every page of both lists, and the list calls of a plan."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ghlops.sandbox import Sandbox
from ghlops.sandbox.app import CallNext, SandboxRequest, SandboxResponse
from tests.helpers.cli import Runner, record_sandbox_requests

LOC = "Pr0ductsL0cat10nAbCd"
PROJECT = f"""\
version: 1
locations:
  - name: clinic
    id: {LOC}
    bundles: [bundles/shop]
"""
BUNDLE = """\
products:
  - name: Teeth Whitening
    slug: teeth-whitening
    productType: SERVICE
    description: "One hour in the chair"
    prices:
      - {name: Single session, type: one_time, currency: USD, amount: 199, sku: TW-1}
      - name: Monthly plan
        type: recurring
        currency: USD
        amount: 49
        recurring: {interval: month, intervalCount: 1}
  - name: Whitening Kit
    slug: whitening-kit
    productType: PHYSICAL
    collections: [summer]
    prices:
      - {name: Standard, type: one_time, currency: USD, amount: 39.5}
"""
OBJECT_ID = re.compile(r"[0-9a-f]{24}")


def bundle_file(project: Runner) -> Path:
    return project.directory / "bundles" / "shop" / "products.yaml"


def write_bundle(project: Runner, text: str) -> None:
    bundle_file(project).write_text(text)


def set_prune(project: Runner, kinds: str) -> None:
    (project.directory / "ghlops.yaml").write_text(PROJECT + f"policy:\n  prune: {kinds}\n")


def sandbox(project: Runner) -> Sandbox:
    return Sandbox(project.directory / ".ghlops" / "sandbox.sqlite3")


def objects(project: Runner, kind: str) -> list[dict[str, Any]]:
    sb = sandbox(project)
    try:
        return sb.objects(LOC, kind)
    finally:
        sb.close()


def products(project: Runner) -> dict[str, dict[str, Any]]:
    return {str(p["slug"]): p for p in objects(project, "products")}


def prices(project: Runner) -> dict[tuple[str, str], dict[str, Any]]:
    """Live prices by (product slug, price name)."""
    slugs = {p["_id"]: p["slug"] for p in objects(project, "products")}
    return {(slugs[p["product"]], p["name"]): p for p in objects(project, "prices")}


def stored(project: Runner, kind: str, object_id: str) -> dict[str, Any]:
    """Everything the sandbox keeps of an object, write-only fields included."""
    sb = sandbox(project)
    try:
        obj = sb.store.get(kind, object_id)
        assert obj is not None
        return obj.data
    finally:
        sb.close()


def seed(project: Runner, data: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
    sb = sandbox(project)
    try:
        return sb.seed({"locations": {LOC: data}})
    finally:
        sb.close()


def applied_lines(output: str) -> list[str]:
    """The apply report lines (``clinic: <symbol> <what>: <outcome>``), in order."""
    return [line.strip() for line in output.splitlines() if line.startswith("  clinic: ")]


@pytest.fixture
def project(tmp_path: Path) -> Runner:
    (tmp_path / "bundles" / "shop").mkdir(parents=True)
    (tmp_path / "ghlops.yaml").write_text(PROJECT)
    runner = Runner(tmp_path)
    write_bundle(runner, BUNDLE)
    seed(runner, {"productCollections": [{"name": "Summer", "slug": "summer"}]})
    return runner


@pytest.fixture
def applied(project: Runner) -> Runner:
    result = project("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    return project


class Calls:
    """Records the requests the embedded sandbox serves (CLI runs build their own Sandbox)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, Any]] = []

    def __call__(self, request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        body = json.loads(request.body) if request.body else None
        self.seen.append((request.method, request.target, body))
        return call_next(request)

    def of(self, method: str, path: str) -> list[tuple[str, Any]]:
        """``(target, body)`` of the calls to ``method path`` (path without the query)."""
        return [(t, b) for m, t, b in self.seen if m == method and t.split("?")[0] == path]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    recorder = Calls()
    record_sandbox_requests(monkeypatch, recorder)
    yield recorder


# -- converge --------------------------------------------------------------------------------


def test_converge_products_before_prices_then_no_changes(project: Runner) -> None:
    plan = project("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert '  + product "teeth-whitening"' in plan.stdout
    assert '  + price "teeth-whitening/Monthly plan"' in plan.stdout
    assert '      collections: ["summer"]' in plan.stdout
    assert "Plan: 5 to create, 0 to update, 0 to replace, 0 to delete." in plan.stdout

    result = project("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    done = applied_lines(result.stdout)
    assert [line.split(":")[1].strip() for line in done] == [
        '+ product "teeth-whitening"',
        '+ product "whitening-kit"',
        '+ price "teeth-whitening/Monthly plan"',
        '+ price "teeth-whitening/Single session"',
        '+ price "whitening-kit/Standard"',
    ]

    live = products(project)
    assert set(live) == {"teeth-whitening", "whitening-kit"}
    assert all(OBJECT_ID.fullmatch(p["_id"]) for p in live.values())
    [summer] = objects(project, "productCollections")
    assert live["whitening-kit"]["collectionIds"] == [summer["_id"]]
    assert live["teeth-whitening"]["description"] == "One hour in the chair"
    live_prices = prices(project)
    single = live_prices[("teeth-whitening", "Single session")]
    assert (single["amount"], single["type"], single["currency"]) == (199, "one_time", "USD")
    monthly = live_prices[("teeth-whitening", "Monthly plan")]
    assert monthly["recurring"] == {"interval": "month", "intervalCount": 1}
    assert live_prices[("whitening-kit", "Standard")]["amount"] == 39.5
    assert stored(project, "prices", single["_id"])["sku"] == "TW-1"  # write-only, sent

    again = project("plan", "--sandbox", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes." in again.stdout
    # the declared write-only sku cannot be compared: no change, but the plan says so
    assert (
        "  note: price 'teeth-whitening/Single session': write-only fields sku are not compared "
        "(GHL never returns them, so ghlops cannot tell whether they changed); they are sent "
        "with the next change to the price"
    ) in again.stdout
    data = json.loads(project("plan", "--sandbox", "--json").stdout)["locations"][0]
    assert data["changes"] == []
    assert len(data["notes"]) == 1 and "write-only fields sku" in data["notes"][0]


# -- updates ---------------------------------------------------------------------------------


def test_changed_amount_is_a_full_put_of_the_same_price(applied: Runner, calls: Calls) -> None:
    before = prices(applied)[("teeth-whitening", "Single session")]
    product_id = before["product"]
    path = f"/products/{product_id}/price/{before['_id']}"
    # a field the manifest does not declare, set in the GHL UI: the full PUT must keep it
    sb = sandbox(applied)
    try:
        sb.store.update(
            "prices",
            before["_id"],
            {**stored(applied, "prices", before["_id"]), "compareAtPrice": 250},
        )
    finally:
        sb.close()
    write_bundle(applied, BUNDLE.replace("amount: 199,", "amount: 149,"))

    plan = applied("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert f'  ~ price "teeth-whitening/Single session" (id {before["_id"]})' in plan.stdout
    assert "      amount: 199 → 149" in plan.stdout, plan.stdout
    assert (
        "      # also sends write-only fields sku (GHL never returns them, so ghlops cannot tell "
        "whether they changed)"
    ) in plan.stdout
    assert "# GHL replaces the whole price on update: write-only fields not in the manifest" in (
        plan.stdout
    )
    assert "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete." in plan.stdout

    result = applied("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    [(_, sent)] = calls.of("PUT", path)
    assert sent == {
        "locationId": LOC,
        "name": "Single session",
        "type": "one_time",
        "currency": "USD",
        "amount": 149,
        "sku": "TW-1",
        "compareAtPrice": 250,
        "membershipOffers": [],
        "variantOptionIds": [],
    }
    after = prices(applied)[("teeth-whitening", "Single session")]
    assert after["_id"] == before["_id"]
    assert (after["amount"], after["compareAtPrice"]) == (149, 250)
    assert stored(applied, "prices", after["_id"])["sku"] == "TW-1"
    assert applied("plan", "--sandbox", "--detailed-exitcode").exit_code == 0


def test_rename_with_the_same_slug_keeps_the_product_and_its_prices(applied: Runner) -> None:
    before = products(applied)["teeth-whitening"]
    prices_before = prices(applied)
    # set in the GHL UI, not declared: the full PUT carries it over
    sb = sandbox(applied)
    try:
        data = stored(applied, "products", before["_id"])
        sb.store.update("products", before["_id"], {**data, "image": "https://img.test/tw.png"})
    finally:
        sb.close()
    write_bundle(applied, BUNDLE.replace("name: Teeth Whitening\n", "name: Whitening Session\n"))

    plan = applied("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert f'  ~ product "teeth-whitening" (id {before["_id"]})' in plan.stdout
    assert '      name: "Teeth Whitening" → "Whitening Session"' in plan.stdout
    assert "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete." in plan.stdout

    assert applied("apply", "--sandbox", "--auto-approve").exit_code == 0
    after = products(applied)["teeth-whitening"]
    assert after["_id"] == before["_id"]
    assert after["name"] == "Whitening Session"
    assert after["image"] == "https://img.test/tw.png"
    assert after["description"] == "One hour in the chair"
    assert products(applied)["whitening-kit"]["collectionIds"] != []
    assert prices(applied) == prices_before
    assert applied("plan", "--sandbox", "--detailed-exitcode").exit_code == 0


def test_collections_change_by_slug(applied: Runner) -> None:
    seed(applied, {"productCollections": [{"name": "Gifts", "slug": "gifts"}]})
    ids = {c["slug"]: c["_id"] for c in objects(applied, "productCollections")}
    write_bundle(applied, BUNDLE.replace("collections: [summer]", "collections: [gifts, summer]"))
    plan = applied("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert '      collections: ["summer"] → ["gifts", "summer"]' in plan.stdout
    assert applied("apply", "--sandbox", "--auto-approve").exit_code == 0
    kit = products(applied)["whitening-kit"]
    assert sorted(kit["collectionIds"]) == sorted([ids["gifts"], ids["summer"]])
    assert applied("plan", "--sandbox", "--detailed-exitcode").exit_code == 0


def test_unknown_collection_fails_the_location_s_plan(applied: Runner) -> None:
    write_bundle(applied, BUNDLE.replace("collections: [summer]", "collections: [winter]"))
    plan = applied("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 1, plan.output
    assert (
        "FAILED: product 'whitening-kit': unknown product collection 'winter' (collections of "
        "this location: 'summer'); declare it in productCollections or make it in GHL"
    ) in plan.stdout
    result = applied("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 1
    assert products(applied)["whitening-kit"]["collectionIds"] != []


# -- pruning and order -----------------------------------------------------------------------


def test_removed_price_is_deleted_before_anything_else(applied: Runner) -> None:
    monthly = prices(applied)[("teeth-whitening", "Monthly plan")]
    text = BUNDLE.replace(
        """      - name: Monthly plan
        type: recurring
        currency: USD
        amount: 49
        recurring: {interval: month, intervalCount: 1}
""",
        "",
    ).replace('"One hour in the chair"', '"Ninety minutes"')
    write_bundle(applied, text.replace("amount: 39.5", "amount: 42"))
    plan = applied("plan", "--sandbox")
    assert "unmanaged: 1 (prices 1)" in plan.stdout  # not pruned yet
    set_prune(applied, "[prices]")

    plan = applied("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert (
        f'  - price "teeth-whitening/Monthly plan" (id {monthly["_id"]})  DESTRUCTIVE'
    ) in plan.stdout
    assert "      # not in the manifests and policy.prune includes prices" in plan.stdout
    result = applied("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    order = [line.split(":")[1].strip() for line in applied_lines(result.stdout)]
    assert order == [
        '- price "teeth-whitening/Monthly plan"',
        '~ product "teeth-whitening"',
        '~ price "whitening-kit/Standard"',
    ]
    assert ("teeth-whitening", "Monthly plan") not in prices(applied)
    assert len(prices(applied)) == 2
    assert applied("plan", "--sandbox", "--detailed-exitcode").exit_code == 0


def test_pruned_product_goes_after_its_prices(applied: Runner) -> None:
    kit = products(applied)["whitening-kit"]
    standard = prices(applied)[("whitening-kit", "Standard")]
    write_bundle(applied, BUNDLE.split("  - name: Whitening Kit")[0])
    set_prune(applied, "[products]")

    plan = applied("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert f'  - product "whitening-kit" (id {kit["_id"]})  DESTRUCTIVE' in plan.stdout
    assert f'  - price "whitening-kit/Standard" (id {standard["_id"]})  DESTRUCTIVE' in plan.stdout
    assert "      # its product 'whitening-kit' is deleted or replaced" in plan.stdout
    assert "Plan: 0 to create, 0 to update, 0 to replace, 2 to delete." in plan.stdout

    result = applied("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    order = [line.split(":")[1].strip() for line in applied_lines(result.stdout)]
    assert order == ['- price "whitening-kit/Standard"', '- product "whitening-kit"']
    assert set(products(applied)) == {"teeth-whitening"}
    assert set(prices(applied)) == {
        ("teeth-whitening", "Single session"),
        ("teeth-whitening", "Monthly plan"),
    }
    assert applied("plan", "--sandbox", "--detailed-exitcode").exit_code == 0


# -- reading live state ----------------------------------------------------------------------


def test_every_page_of_products_and_prices_is_read(project: Runner, calls: Calls) -> None:
    ids = seed(
        project, {"products": [{"name": f"P{i:03}", "productType": "SERVICE"} for i in range(120)]}
    )
    first = ids[f"{LOC}/products"][0]
    seed(
        project,
        {"prices": [{"product": first, "name": f"T{i:03}", "amount": i} for i in range(130)]},
    )
    write_bundle(
        project,
        "products:\n"
        "  - name: P000\n"
        "    productType: SERVICE\n"
        "    prices:\n"
        "{% for i in range(130) %}"
        '      - {name: "T{{ "%03d" % i }}", type: one_time, currency: USD, amount: {{ i }}}\n'
        "{% endfor %}"
        "{% for i in range(1, 120) %}"
        '  - {name: "P{{ "%03d" % i }}", productType: SERVICE}\n'
        "{% endfor %}",
    )
    plan = project("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output  # all 120 products and 130 prices matched
    assert "No changes." in plan.stdout
    pages = [t for t, _ in calls.of("GET", "/products/")]
    assert pages == [
        f"/products/?locationId={LOC}&limit=100&offset=0",
        f"/products/?locationId={LOC}&limit=100&offset=100",
    ]
    price_pages = [t for t, _ in calls.of("GET", f"/products/{first}/price")]
    assert price_pages == [
        f"/products/{first}/price?locationId={LOC}&limit=100&offset=0",
        f"/products/{first}/price?locationId={LOC}&limit=100&offset=100",
    ]
    assert calls.of("GET", "/products/collections") == []  # no product uses collections

    # a kind is read when declared items need it: one product with one price of its 130
    write_bundle(
        project,
        "products:\n  - name: P000\n    productType: SERVICE\n    prices:\n"
        "      - {name: T000, type: one_time, currency: USD, amount: 0}\n",
    )
    plan = project("plan", "--sandbox")
    assert "unmanaged: 248 (products 119, prices 129)" in plan.stdout


def test_unchanged_plan_makes_one_list_call_per_kind_and_product(
    applied: Runner, calls: Calls
) -> None:
    plan = applied("plan", "--sandbox", "--detailed-exitcode", "--json")
    assert plan.exit_code == 0, plan.output
    live = products(applied)
    seen = [(m, t.split("?")[0]) for m, t, _ in calls.seen if t.startswith("/products")]
    assert seen == [
        ("GET", "/products/"),
        ("GET", "/products/collections"),  # a product declares collections
        ("GET", f"/products/{live['teeth-whitening']['_id']}/price"),
        ("GET", f"/products/{live['whitening-kit']['_id']}/price"),
    ]
    data = json.loads(plan.stdout)["locations"][0]
    assert data["error"] is None
