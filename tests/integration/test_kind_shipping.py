"""shippingZones and their nested shippingRates, end to end through the CLI on the sandbox.

Carriers come from Marketplace apps, so tests seed them (``Sandbox.seed``) as installing an app
would; ghlops refers to them by name only.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from ghlops.client import GhlClient
from ghlops.manifest.schema import bundle_schema
from ghlops.resources import shipping_rates
from ghlops.resources.base import Ctx
from ghlops.resources.shipping_rates import ShippingRateAdapter
from ghlops.resources.shipping_zones import ShippingZoneAdapter
from ghlops.sandbox import Sandbox
from ghlops.sandbox.app import CallNext, SandboxRequest, SandboxResponse
from tests.helpers.cli import HttpSandbox, Runner

LOC = "ve9EPM428h8vShlRW1KT"
TOKEN_ENV = "GHL_TOKEN_SHOP"
TOKEN = "pit-test-shop-0001"

BUNDLE = """\
shippingZones:
  - name: Domestic
    countries:
      - code: US
        states: [{code: CA}, {code: NY}]
      - code: CA
    rates:
      - name: Standard
        currency: USD
        amount: 5
        conditionType: none
        minCondition: 0
        maxCondition: 0
      - name: Express by carrier
        currency: USD
        amount: 2
        conditionType: none
        carrier: ShipStation
        isCarrierRate: true
  - name: Europe
    countries: [{code: FR}, {code: DE}]
    rates:
      - {name: Standard, currency: EUR, amount: 9}
"""


def write_project(root: Path, bundle: str = BUNDLE, *, prune: str = "[shippingZones]") -> Runner:
    (root / "bundles" / "shop").mkdir(parents=True, exist_ok=True)
    (root / "ghlops.yaml").write_text(
        "version: 1\n"
        "defaults:\n"
        "  bundles: [bundles/shop]\n"
        "policy:\n"
        f"  prune: {prune}\n"
        "locations:\n"
        "  - name: shop\n"
        f"    id: {LOC}\n"
        f"    tokenEnv: {TOKEN_ENV}\n"
    )
    (root / "bundles" / "shop" / "shipping.yaml").write_text(bundle)
    return Runner(root)


def sandbox_of(project: Path) -> Sandbox:
    return Sandbox(project / ".ghlops" / "sandbox.sqlite3")


def seed(project: Path, data: dict[str, Any]) -> dict[str, list[str]]:
    sb = sandbox_of(project)
    try:
        return sb.seed({"locations": {LOC: data}})
    finally:
        sb.close()


def objects(project: Path, kind: str) -> list[dict[str, Any]]:
    sb = sandbox_of(project)
    try:
        return sb.objects(LOC, kind)
    finally:
        sb.close()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def shop(tmp_path: Path) -> Runner:
    """A project with the bundle above and the ShipStation carrier installed."""
    runner = write_project(tmp_path / "shop")
    seed(runner.directory, {"shippingCarriers": [{"name": "ShipStation"}, {"name": "FedEx"}]})
    return runner


@pytest.fixture
def converged(shop: Runner) -> Runner:
    result = shop("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    return shop


def rates_by_key(project: Path) -> dict[str, dict[str, Any]]:
    zones = {z["_id"]: z["name"] for z in objects(project, "shippingZones")}
    return {
        f"{zones[r['shippingZoneId']]}/{r['name']}": r for r in objects(project, "shippingRates")
    }


def test_converge_two_zones_and_three_rates(shop: Runner) -> None:
    project = shop.directory
    plan = shop("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert "Plan: 5 to create, 0 to update, 0 to replace, 0 to delete." in plan.stdout
    assert '  + shipping rate "Domestic/Express by carrier"' in plan.stdout
    assert '      carrier: "ShipStation"' in plan.stdout

    result = shop("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    zones = {z["name"]: z for z in objects(project, "shippingZones")}
    assert set(zones) == {"Domestic", "Europe"}
    assert all(re.fullmatch(r"[0-9a-f]{24}", z["_id"]) for z in zones.values())
    # sent as strings, in ghlops' normal order (by code)
    assert zones["Domestic"]["countries"] == [
        {"code": "CA"},
        {"code": "US", "states": [{"code": "CA"}, {"code": "NY"}]},
    ]
    assert zones["Europe"]["countries"] == [{"code": "DE"}, {"code": "FR"}]
    [ship_station] = [c for c in objects(project, "shippingCarriers") if c["name"] == "ShipStation"]
    rates = rates_by_key(project)
    assert set(rates) == {"Domestic/Standard", "Domestic/Express by carrier", "Europe/Standard"}
    carrier_rate = rates["Domestic/Express by carrier"]
    assert carrier_rate["shippingCarrierId"] == ship_station["_id"]
    assert carrier_rate["isCarrierRate"] is True and carrier_rate["amount"] == 2
    flat = rates["Europe/Standard"]
    assert flat["shippingCarrierId"] == "" and flat["isCarrierRate"] is False
    assert (flat["currency"], flat["amount"], flat["conditionType"]) == ("EUR", 9, "none")
    assert flat["shippingZoneId"] == zones["Europe"]["_id"]

    again = shop("plan", "--sandbox", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes." in again.stdout


def test_amount_change_is_an_update_keeping_the_id(converged: Runner) -> None:
    project = converged.directory
    before = rates_by_key(project)
    edit(project / "bundles/shop/shipping.yaml", "amount: 5", "amount: 6.5")

    plan = converged("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    rate_id = before["Domestic/Standard"]["_id"]
    assert f'  ~ shipping rate "Domestic/Standard" (id {rate_id})' in plan.stdout
    assert "      amount: 5 → 6.5" in plan.stdout
    assert "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete." in plan.stdout

    assert converged("apply", "--sandbox", "--auto-approve").exit_code == 0
    after = rates_by_key(project)
    assert after["Domestic/Standard"]["_id"] == rate_id
    assert after["Domestic/Standard"]["amount"] == 6.5
    assert {k: v["_id"] for k, v in after.items()} == {k: v["_id"] for k, v in before.items()}
    assert converged("plan", "--sandbox", "--detailed-exitcode").exit_code == 0


def test_changing_the_carrier_and_dropping_it(converged: Runner) -> None:
    project = converged.directory
    carriers = {c["name"]: c["_id"] for c in objects(project, "shippingCarriers")}
    bundle = project / "bundles/shop/shipping.yaml"
    edit(bundle, "carrier: ShipStation", "carrier: FedEx")
    plan = converged("plan", "--sandbox")
    assert '      carrier: "ShipStation" → "FedEx"' in plan.stdout
    assert converged("apply", "--sandbox", "--auto-approve").exit_code == 0
    rate = rates_by_key(project)["Domestic/Express by carrier"]
    assert rate["shippingCarrierId"] == carriers["FedEx"]

    # without a carrier it is a flat rate again: same object, carrier cleared
    edit(bundle, "        carrier: FedEx\n        isCarrierRate: true\n", "")
    assert converged("apply", "--sandbox", "--auto-approve").exit_code == 0
    flat = rates_by_key(project)["Domestic/Express by carrier"]
    assert flat["_id"] == rate["_id"]
    assert flat["shippingCarrierId"] == "" and flat["isCarrierRate"] is False
    assert converged("plan", "--sandbox", "--detailed-exitcode").exit_code == 0


def test_pruning_a_zone_deletes_its_rates_first(converged: Runner) -> None:
    project = converged.directory
    europe = next(z for z in objects(project, "shippingZones") if z["name"] == "Europe")
    bundle = project / "bundles/shop/shipping.yaml"
    bundle.write_text(BUNDLE.split("  - name: Europe")[0])

    plan = converged("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert f'  - shipping zone "Europe" (id {europe["_id"]})  DESTRUCTIVE' in plan.stdout
    assert "its shipping zone 'Europe' is deleted or replaced" in plan.stdout
    assert "Plan: 0 to create, 0 to update, 0 to replace, 2 to delete." in plan.stdout

    result = converged("apply", "--sandbox", "--auto-approve")
    assert result.exit_code == 0, result.output
    rate_line = result.output.index('- shipping rate "Europe/Standard": deleted')
    zone_line = result.output.index('- shipping zone "Europe": deleted')
    assert rate_line < zone_line, result.output
    assert [z["name"] for z in objects(project, "shippingZones")] == ["Domestic"]
    assert set(rates_by_key(project)) == {"Domestic/Standard", "Domestic/Express by carrier"}
    assert converged("plan", "--sandbox", "--detailed-exitcode").exit_code == 0


def test_unknown_carrier_is_a_plan_error_for_the_location(shop: Runner) -> None:
    edit(shop.directory / "bundles/shop/shipping.yaml", "carrier: ShipStation", "carrier: UPS")
    plan = shop("plan", "--sandbox")
    assert plan.exit_code == 1, plan.output
    assert (
        "FAILED: shipping rate 'Domestic/Express by carrier': unknown shipping carrier 'UPS' "
        "(carriers installed in this location: 'FedEx', 'ShipStation'); declare it in "
        "shippingCarriers or install it in GHL"
    ) in plan.output
    assert "Failed to plan 1 location(s): shop" in plan.output

    applied = shop("apply", "--sandbox", "--auto-approve")
    assert applied.exit_code != 0
    assert objects(shop.directory, "shippingZones") == []  # nothing of the location applied


def test_country_and_state_order_does_not_matter(converged: Runner) -> None:
    bundle = converged.directory / "bundles/shop/shipping.yaml"
    edit(bundle, "countries: [{code: FR}, {code: DE}]", "countries: [{code: DE}, {code: FR}]")
    edit(bundle, "states: [{code: CA}, {code: NY}]", "states: [{code: NY}, {code: CA}]")
    edit(bundle, "      - code: CA\n", "      - {code: CA, states: []}\n")
    plan = converged("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output

    edit(bundle, "states: [{code: NY}, {code: CA}]", "states: [{code: NY}]")
    plan = converged("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 2, plan.output
    assert '  ~ shipping zone "Domestic"' in plan.stdout
    assert converged("apply", "--sandbox", "--auto-approve").exit_code == 0
    domestic = next(
        z for z in objects(converged.directory, "shippingZones") if z["name"] == "Domestic"
    )
    assert domestic["countries"] == [{"code": "CA"}, {"code": "US", "states": [{"code": "NY"}]}]


def seed_paged_location(project: Path, zones: int, rates: int) -> None:
    """``zones`` UI zones, then the bundle's two zones; ``rates`` UI rates in Domestic, then
    the bundle's three rates: what ghlops manages is on the last pages."""
    [carrier] = seed(project, {"shippingCarriers": [{"name": "ShipStation"}]})[
        f"{LOC}/shippingCarriers"
    ]
    fillers = [{"name": f"UI zone {i:03}", "countries": [{"code": "GB"}]} for i in range(zones)]
    seed(project, {"shippingZones": fillers})
    domestic, europe = seed(
        project,
        {
            "shippingZones": [
                {
                    "name": "Domestic",
                    "countries": [
                        {"code": "US", "states": [{"code": "CA"}, {"code": "NY"}]},
                        {"code": "CA"},
                    ],
                },
                {"name": "Europe", "countries": [{"code": "FR"}, {"code": "DE"}]},
            ]
        },
    )[f"{LOC}/shippingZones"]
    ui_rates = [{"name": f"UI rate {i:03}", "shippingZoneId": domestic} for i in range(rates)]
    managed = [
        {"name": "Standard", "shippingZoneId": domestic, "amount": 5},
        {
            "name": "Express by carrier",
            "shippingZoneId": domestic,
            "amount": 2,
            "isCarrierRate": True,
            "shippingCarrierId": carrier,
        },
        {"name": "Standard", "shippingZoneId": europe, "amount": 9, "currency": "EUR"},
    ]
    seed(project, {"shippingRates": ui_rates + managed})


def test_every_page_of_zones_and_rates_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three pages of zones and of Domestic's rates. The page size is lowered to 10 so the
    plan stays under GHL's burst limit (each zone costs a rate-list call, and ghlops paces
    itself at 100 calls per 10 s); the next test reads past the real page size of 100."""
    monkeypatch.setattr(shipping_rates, "PAGE_SIZE", 10)
    shop = write_project(tmp_path / "paged", prune="[]")
    project = shop.directory
    seed_paged_location(project, zones=25, rates=24)

    plan = shop("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert "No changes." in plan.stdout
    assert "shippingZones 25" in plan.stdout and "shippingRates 24" in plan.stdout

    edit(project / "bundles/shop/shipping.yaml", "amount: 5", "amount: 4")
    changed = shop("plan", "--sandbox", "--json")
    [location] = json.loads(changed.stdout)["locations"]
    assert [(c["action"], c["key"]) for c in location["changes"]] == [
        ("update", "Domestic/Standard")
    ]
    assert location["unmanaged"] == {"shippingZones": 25, "shippingRates": 24}


def test_lists_longer_than_the_real_page_size_are_read_to_the_end(tmp_path: Path) -> None:
    project = tmp_path / "long"
    seed_paged_location(project, zones=100, rates=100)
    calls: list[str] = []

    def record(request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        calls.append(request.path)
        return call_next(request)

    with (
        sandbox_of(project) as sb,
        GhlClient(sb.provision_location(LOC), transport=sb.transport()) as client,
    ):
        sb.middleware.append(record)
        zones = ShippingZoneAdapter().list_live(Ctx(client, LOC))
        assert len(zones) == 102 and [z.key for z in zones[-2:]] == ["Domestic", "Europe"]
        assert calls == ["/store/shipping-zone"] * 2  # 100 + 2
        calls.clear()
        domestic = next(z for z in zones if z.key == "Domestic")
        rates = ShippingRateAdapter().list_live(
            Ctx(client, LOC, live={"shippingZones": [domestic]})
        )
        assert len(rates) == 102
        assert [r.key for r in rates[-2:]] == ["Domestic/Standard", "Domestic/Express by carrier"]
        assert rates[-1].fields["carrier"] == "ShipStation"
        rate_list = f"/store/shipping-zone/{domestic.id}/shipping-rate"
        assert calls == [rate_list, rate_list, "/store/shipping-carrier"]


BAD_BUNDLE = """\
shippingZones:
  - name: Nordics
    countries:
      - code: NO
      - code: USA
      - code: SE
        states: [{code: XX}]
    rates:
      - {name: A, currency: usd, amount: 1}
      - {name: B, currency: USD, amount: 1, isCarrierRate: true}
      - {name: C, currency: USD, amount: 1, conditionType: none, minCondition: 5}
  - name: Twice
    countries: [{code: US}, {code: US}]
    rates:
      - {name: A, currency: USD, amount: 1}
      - {name: A, currency: USD, amount: 2}
"""


def test_manifest_mistakes_point_at_their_lines(tmp_path: Path) -> None:
    result = write_project(tmp_path / "bad", BAD_BUNDLE)("validate")
    assert result.exit_code == 1
    file = "bundles/shop/shipping.yaml"
    for line, text in [
        (
            4,
            "shippingZones[0].countries[0].code: Value error, got a boolean: quote the code "
            "(YAML reads NO, YES, ON and OFF as booleans), e.g. code: 'NO'",
        ),
        (
            5,
            "shippingZones[0].countries[1].code: Value error, 'USA' is not a country code GHL "
            "knows: use the ISO 3166-1 alpha-2 code in upper case",
        ),
        (7, "shippingZones[0].countries[2].states[0].code: Value error, 'XX' is not a state code"),
        (9, "shippingZones[0].rates[0].currency: String should match pattern '^[A-Z]{3}$'"),
        (
            10,
            "shippingZones[0].rates[1]: Value error, isCarrierRate is true but no carrier is named",
        ),
        (
            11,
            "shippingZones[0].rates[2]: Value error, minCondition and maxCondition need "
            "conditionType price or weight",
        ),
        (
            12,
            "shippingZones[1]: Value error, countries listed twice: US; rate names used twice "
            "in the zone: A",
        ),
    ]:
        assert f"{file}:{line}: {text}" in result.output, result.output


def test_bundle_matches_the_generated_json_schema() -> None:
    schema = bundle_schema()
    jsonschema.validate(yaml.safe_load(BUNDLE), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(yaml.safe_load(BUNDLE.replace("code: FR", "code: France")), schema)


# -- API calls of an unchanged plan (over HTTP, counted by a sandbox middleware) ------------


@pytest.fixture
def store_calls(http_sandbox: HttpSandbox) -> Iterator[list[SandboxRequest]]:
    calls: list[SandboxRequest] = []

    def record(request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        if request.path.startswith("/store/"):
            calls.append(request)
        return call_next(request)

    http_sandbox.sandbox.provision_location(LOC, token=TOKEN)
    http_sandbox.sandbox.seed({"locations": {LOC: {"shippingCarriers": [{"name": "ShipStation"}]}}})
    http_sandbox.sandbox.middleware.append(record)
    yield calls


def _shape(request: SandboxRequest) -> str:
    return f"{request.method} " + re.sub(r"/[0-9a-f]{24}", "/{id}", request.path)


@pytest.mark.parametrize("with_carrier", [True, False], ids=["carrier-rate", "flat-rates-only"])
def test_unchanged_plan_makes_one_list_call_per_kind_and_per_zone(
    tmp_path: Path,
    http_sandbox: HttpSandbox,
    store_calls: list[SandboxRequest],
    with_carrier: bool,
) -> None:
    bundle = BUNDLE
    if not with_carrier:
        bundle = bundle.replace("        carrier: ShipStation\n        isCarrierRate: true\n", "")
    shop = write_project(tmp_path / "counted", bundle)
    run = ["--base-url", http_sandbox.url]
    env: dict[str, str | None] = {TOKEN_ENV: TOKEN}
    assert shop("apply", *run, "--auto-approve", env=env).exit_code == 0
    # every store call carries the Version the notes recommend, though the spec declares none
    assert {request.header("version") for request in store_calls} == {"2021-07-28"}

    store_calls.clear()
    plan = shop("plan", *run, "--detailed-exitcode", env=env)
    assert plan.exit_code == 0, plan.output
    expected = Counter(
        {
            "GET /store/shipping-zone": 1,  # the zones kind
            "GET /store/shipping-zone/{id}/shipping-rate": 2,  # the rates kind: one per zone
        }
    )
    if with_carrier:  # the carrier names of the rates: one lookup, only when a rate has one
        expected["GET /store/shipping-carrier"] = 1
    assert Counter(_shape(r) for r in store_calls) == expected
