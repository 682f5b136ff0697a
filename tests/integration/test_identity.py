"""Identity you can trust (issue 12): each test is one way older code touched what was not asked
for, or duplicated an object, reproduced end to end through the CLI on the embedded sandbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ghlops.cli.main import cli
from ghlops.sandbox import Sandbox

LOC = "Ident1tyL0cat10nAbCd"
COMPANY = "Ident1tyAgencyCo0001"
DB = Path(".ghlops") / "sandbox.sqlite3"
US = [{"code": "US"}]


class Project:
    """A one-location project in a folder, with its embedded sandbox."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "bundles").mkdir(parents=True)
        self.configure()

    def configure(self, policy: str = "", agency: bool = False) -> None:
        text = f"version: 1\nlocations:\n  - {{name: shop, id: {LOC}, bundles: [bundles]}}\n"
        if agency:
            text += f"agency: {{companyId: {COMPANY}}}\n"
        if policy:
            text += "policy:\n" + "".join(f"  {line}\n" for line in policy.strip().splitlines())
        (self.root / "ghlops.yaml").write_text(text)

    def bundle(self, text: str) -> None:
        (self.root / "bundles" / "shop.yaml").write_text(text)

    def seed(self, data: dict[str, Any], *, company: bool = False) -> dict[str, list[str]]:
        with Sandbox(self.root / DB) as sb:
            owner = {"companies": {COMPANY: data}} if company else {"locations": {LOC: data}}
            return sb.seed(owner)

    def objects(self, kind: str, *, company: bool = False) -> list[dict[str, Any]]:
        with Sandbox(self.root / DB) as sb:
            return sb.objects(COMPANY if company else LOC, kind)

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(cli, ["-C", str(self.root), *args], catch_exceptions=False)

    def plan(self, *args: str) -> dict[str, Any]:
        """The ``--json`` plan of the location (``agency=True``: of the agency)."""
        result = self.run("plan", "--sandbox", "--json", *args)
        assert result.exit_code == 0, result.output
        data: dict[str, Any] = json.loads(result.stdout)
        return data

    def changes(self, *args: str, agency: bool = False) -> list[tuple[str, str, str]]:
        data = self.plan(*args)
        where = data["agency"] if agency else data["locations"][0]
        return [(c["action"], c["kind"], c["key"]) for c in where["changes"]]

    def apply(self, *args: str) -> Result:
        return self.run("apply", "--sandbox", "--auto-approve", *args)


@pytest.fixture
def shop(tmp_path: Path) -> Project:
    return Project(tmp_path / "shop")


def names(objects: list[dict[str, Any]], field: str = "name") -> list[str]:
    return sorted(str(o[field]) for o in objects)


# -- 1. policy globs match what users see ------------------------------------------------------


def test_1_ignore_matches_custom_field_names_as_the_readme_writes_them(shop: Project) -> None:
    shop.seed(
        {
            "customFields": [
                {
                    "name": "zapier id",
                    "dataType": "TEXT",
                    "model": "contact",
                    "fieldKey": "contact.zapier_id",
                }
            ]
        }
    )
    shop.configure('prune: [customFields]\nignore: {customFields: ["zapier *"]}')
    shop.bundle("customFields:\n  - {name: Pet Name, dataType: TEXT}\n")
    assert shop.changes() == [("create", "customFields", "contact:Pet Name")]
    assert shop.apply().exit_code == 0
    assert names(shop.objects("customFields")) == ["Pet Name", "zapier id"]


def test_1_a_protected_custom_field_is_never_replaced(shop: Project) -> None:
    shop.seed(
        {"customFields": [{"name": "Pet Name", "dataType": "TEXT", "fieldKey": "contact.pet_name"}]}
    )
    shop.configure('protect: {customFields: ["Pet *"]}')
    shop.bundle("customFields:\n  - {name: Pet Name, dataType: LARGE_TEXT}\n")
    plan = shop.run("plan", "--sandbox", "--json")
    assert plan.exit_code == 1
    assert "customFields 'contact:Pet Name' is protected and would be replaced" in plan.stderr
    [change] = json.loads(plan.stdout)["locations"][0]["changes"]
    assert (change["action"], change["protected"]) == ("replace", True)
    assert shop.apply().exit_code == 1
    [field] = shop.objects("customFields")
    assert field["dataType"] == "TEXT"


def test_1_an_ignored_product_is_not_pruned(shop: Project) -> None:
    shop.seed(
        {"products": [{"name": "Legacy Kit", "slug": "legacy-kit", "productType": "SERVICE"}]}
    )
    shop.configure('prune: [products]\nignore: {products: ["Legacy *"]}')
    shop.bundle("tags: [{name: vip}]\n")
    assert shop.changes() == [("create", "tags", "vip")]
    assert shop.apply().exit_code == 0
    assert names(shop.objects("products")) == ["Legacy Kit"]


# -- 2. pruning a nested kind only under the parents the manifests manage -----------------------


def test_2_pruning_prices_spares_undeclared_and_ignored_products(shop: Project) -> None:
    ids = shop.seed(
        {
            "products": [
                {"name": "Cleaning", "productType": "SERVICE"},
                {"name": "Whitening", "productType": "SERVICE"},
                {"name": "Legacy Kit", "productType": "SERVICE"},
            ]
        }
    )
    cleaning, whitening, legacy = ids[f"{LOC}/products"]
    shop.seed(
        {
            "prices": [
                {"product": cleaning, "name": "Single", "amount": 80},
                {"product": cleaning, "name": "Old", "amount": 1},
                {"product": whitening, "name": "Single", "amount": 150},
                {"product": legacy, "name": "Single", "amount": 9},
            ]
        }
    )
    shop.configure('prune: [prices]\nignore: {products: ["Legacy *"]}')
    shop.bundle(
        "products:\n  - name: Cleaning\n    productType: SERVICE\n    prices:\n"
        "      - {name: Single, type: one_time, currency: USD, amount: 80}\n"
    )
    assert shop.changes() == [("delete", "prices", "cleaning/Old")]  # the live product's slug
    assert shop.apply().exit_code == 0
    left = {(p["product"], p["name"]) for p in shop.objects("prices")}
    assert left == {(cleaning, "Single"), (whitening, "Single"), (legacy, "Single")}


def test_2_pruning_rates_spares_the_rates_of_undeclared_zones(shop: Project) -> None:
    ids = shop.seed(
        {"shippingZones": [{"name": "Domestic", "countries": US}, {"name": "From the UI"}]}
    )
    domestic, other = ids[f"{LOC}/shippingZones"]
    shop.seed(
        {
            "shippingRates": [
                {"shippingZoneId": domestic, "name": "Old"},
                {"shippingZoneId": other, "name": "Express"},
            ]
        }
    )
    shop.configure("prune: [shippingRates]")
    shop.bundle("shippingZones:\n  - {name: Domestic, countries: [{code: US}], rates: []}\n")
    assert shop.changes() == [("delete", "shippingRates", "Domestic/Old")]
    assert shop.apply().exit_code == 0
    assert [r["name"] for r in shop.objects("shippingRates")] == ["Express"]


# -- 3. a parent's rename carries its children ------------------------------------------------


def test_3_renaming_a_zone_keeps_its_rates(shop: Project) -> None:
    ids = shop.seed({"shippingZones": [{"name": "Domestic", "countries": US}]})
    [zone] = ids[f"{LOC}/shippingZones"]
    [rate] = shop.seed({"shippingRates": [{"shippingZoneId": zone, "name": "Standard"}]})[
        f"{LOC}/shippingRates"
    ]
    shop.configure("prune: [shippingRates]")
    shop.bundle(
        "shippingZones:\n  - name: Home\n    renamedFrom: Domestic\n    countries: [{code: US}]\n"
        "    rates:\n      - {name: Standard, currency: USD, amount: 0}\n"
    )
    assert shop.changes() == [("update", "shippingZones", "Home")]
    assert shop.apply().exit_code == 0
    assert [r["_id"] for r in shop.objects("shippingRates")] == [rate]
    assert shop.changes() == []


def test_3_renaming_a_product_without_slug_keeps_its_prices(shop: Project) -> None:
    [product] = shop.seed({"products": [{"name": "Cleaning", "productType": "SERVICE"}]})[
        f"{LOC}/products"
    ]
    [price] = shop.seed({"prices": [{"product": product, "name": "Single", "amount": 80}]})[
        f"{LOC}/prices"
    ]
    shop.configure("prune: [prices]")
    shop.bundle(
        "products:\n  - name: Deep Cleaning\n    renamedFrom: Cleaning\n    productType: SERVICE\n"
        "    prices:\n      - {name: Single, type: one_time, currency: USD, amount: 80}\n"
    )
    assert shop.changes() == [("update", "products", "Deep Cleaning")]
    assert shop.apply().exit_code == 0
    assert [p["_id"] for p in shop.objects("prices")] == [price]


# -- 5. a custom field's model is part of its identity ----------------------------------------


def test_5_renamed_from_only_matches_a_field_of_the_same_model(shop: Project) -> None:
    shop.seed(
        {
            "customFields": [
                {
                    "name": "Budget",
                    "dataType": "TEXT",
                    "model": "opportunity",
                    "fieldKey": "opportunity.budget",
                }
            ]
        }
    )
    shop.bundle("customFields:\n  - {name: Deal Budget, renamedFrom: Budget, dataType: TEXT}\n")
    assert shop.changes() == [("create", "customFields", "contact:Deal Budget")]
    assert shop.apply().exit_code == 0
    fields = {(f["name"], f["model"]) for f in shop.objects("customFields")}
    assert fields == {("Budget", "opportunity"), ("Deal Budget", "contact")}


def test_5_a_changed_model_is_a_destructive_replace(shop: Project) -> None:
    shop.seed(
        {
            "customFields": [
                {"name": "Budget", "dataType": "TEXT", "model": "contact", "fieldKey": "budget"}
            ]
        }
    )
    shop.bundle(
        "customFields:\n  - {name: Budget, fieldKey: budget, model: opportunity, dataType: TEXT}\n"
    )
    [change] = shop.plan()["locations"][0]["changes"]
    assert (change["action"], change["destructive"]) == ("replace", True)
    assert "model" in change["reasons"][0]


# -- 6. declared and ignored is an error -------------------------------------------------------


def test_6_a_declared_item_that_policy_ignores_is_a_validation_error(shop: Project) -> None:
    shop.configure('ignore: {tags: ["zap-*"]}')
    shop.bundle("tags:\n  - name: vip\n  - name: zap-imported\n")
    result = shop.run("validate")
    assert result.exit_code == 1
    assert (
        "bundles/shop.yaml:3: tag 'zap-imported' is declared but policy.ignore.tags pattern "
        "'zap-*' (ghlops.yaml) names it" in result.stderr
    )
    plan = shop.run("plan", "--sandbox")
    assert plan.exit_code == 1 and "'zap-*'" in plan.stderr
    assert shop.objects("tags") == []


# -- 7. children of an ambiguous parent are not planned ----------------------------------------


def test_7_prices_of_an_ambiguous_product_are_not_planned_and_the_rest_applies(
    shop: Project,
) -> None:
    shop.seed(
        {
            "products": [
                {"name": "Cleaning", "productType": "SERVICE"},
                {"name": "Cleaning", "productType": "SERVICE"},
            ]
        }
    )
    shop.bundle(
        "tags: [{name: vip}]\nproducts:\n  - name: Cleaning\n    productType: SERVICE\n"
        "    prices:\n      - {name: Single, type: one_time, currency: USD, amount: 80}\n"
    )
    location = shop.plan()["locations"][0]
    assert [(c["action"], c["key"]) for c in location["changes"]] == [("create", "vip")]
    assert any(
        "1 prices of product 'Cleaning' are not planned: 2 live objects match it" in w
        for w in location["warnings"]
    )
    result = shop.apply()
    assert result.exit_code == 0, result.output
    assert names(shop.objects("tags")) == ["vip"]
    assert shop.objects("prices") == []


# -- 4. custom menu links: renamedFrom and protect survive the agency's gathering --------------

LINK = "{name: life-ring, fontFamily: fas}"


def test_4_a_renamed_menu_link_is_updated_not_duplicated(shop: Project) -> None:
    shop.seed(
        {
            "customMenus": [
                {
                    "title": "Help",
                    "url": "https://help.example.com",
                    "icon": {"name": "life-ring", "fontFamily": "fas"},
                    "locations": [LOC],
                }
            ]
        },
        company=True,
    )
    shop.configure(agency=True)
    shop.bundle(
        "customMenuLinks:\n  - title: Support\n    renamedFrom: Help\n    protect: true\n"
        f"    url: https://help.example.com\n    icon: {LINK}\n"
    )
    assert shop.changes(agency=True) == [("update", "customMenuLinks", "Support")]
    assert shop.apply().exit_code == 0
    assert names(shop.objects("customMenus", company=True), "title") == ["Support"]


def test_4_gathering_links_keeps_protect_and_renamed_from(shop: Project) -> None:
    from ghlops.manifest.agency import gather
    from ghlops.manifest.loader import load_all
    from ghlops.manifest.project import load_project

    shop.configure(agency=True)
    shop.bundle(
        "customMenuLinks:\n  - title: Support\n    renamedFrom: Help\n    protect: true\n"
        f"    url: https://help.example.com\n    icon: {LINK}\n"
    )
    project = load_project(shop.root)
    [link] = gather(project, load_all(project))["customMenuLinks"]
    assert (link.key, link.protect, link.renamed_from) == ("Support", True, "Help")
    assert link.fields["locations"] == [LOC]


# -- 8. --kind restricts what is planned and applied --------------------------------------------


def test_8_kind_prices_never_changes_products(shop: Project) -> None:
    [kept, old] = shop.seed(
        {
            "products": [
                {"name": "Cleaning", "productType": "SERVICE", "description": "old"},
                {"name": "Retired", "productType": "SERVICE"},
            ]
        }
    )[f"{LOC}/products"]
    shop.seed({"prices": [{"product": old, "name": "Single", "amount": 5}]})
    shop.configure("prune: [products, prices]")
    shop.bundle(
        "products:\n  - name: Cleaning\n    productType: SERVICE\n    description: new\n"
        "    prices:\n      - {name: Single, type: one_time, currency: USD, amount: 80}\n"
        "  - name: Whitening\n    productType: SERVICE\n"
        "    prices:\n      - {name: Single, type: one_time, currency: USD, amount: 150}\n"
    )
    data = shop.plan("--kind", "prices")
    location = data["locations"][0]
    # not the product update, the new product, the pruned product or its price
    assert [(c["action"], c["kind"], c["key"]) for c in location["changes"]] == [
        ("create", "prices", "Cleaning/Single")
    ]
    assert any(
        "1 prices of product 'Whitening' are not planned: its product is not changed in this run"
        in w
        for w in location["warnings"]
    )
    assert shop.apply("--kind", "prices").exit_code == 0
    products = {p["name"]: p for p in shop.objects("products")}
    assert sorted(products) == ["Cleaning", "Retired"]
    assert products["Cleaning"]["description"] == "old"
    assert {(p["product"], p["name"]) for p in shop.objects("prices")} == {
        (kept, "Single"),
        (old, "Single"),
    }


def test_8_kind_calendars_does_not_plan_calendar_groups(shop: Project) -> None:
    shop.seed({"calendarGroups": [{"name": "Old", "slug": "old", "description": "x"}]})
    shop.configure("prune: [calendarGroups]")
    shop.bundle(
        "calendarGroups:\n  - {name: General, slug: general, description: Everything}\n"
        "calendars:\n  - {name: Cleaning, slug: cleaning, calendarType: event, group: general}\n"
        "  - {name: Exam, slug: exam, calendarType: event}\n"
    )
    location = shop.plan("--kind", "calendars")["locations"][0]
    assert [(c["action"], c["key"]) for c in location["changes"]] == [("create", "exam")]
    assert any(
        "calendar 'cleaning' is not planned: its group 'general' (calendarGroups) does not exist"
        in w
        for w in location["warnings"]
    )
    assert shop.apply("--kind", "calendars").exit_code == 0
    assert names(shop.objects("calendarGroups")) == ["Old"]
    assert names(shop.objects("calendars")) == ["Exam"]


def test_8_a_saved_plan_of_one_kind_applies_that_kind_only(shop: Project) -> None:
    shop.seed({"products": [{"name": "Retired", "productType": "SERVICE"}]})
    shop.configure("prune: [products]")
    shop.bundle(
        "tags: [{name: vip}]\nproducts:\n  - name: Cleaning\n    productType: SERVICE\n"
        "    prices:\n      - {name: Single, type: one_time, currency: USD, amount: 80}\n"
    )
    out = shop.root / "prices.plan.json"
    assert shop.run("plan", "--sandbox", "--kind", "prices", "--out", str(out)).exit_code == 0
    result = shop.run("apply", "--sandbox", "--auto-approve", str(out))
    assert result.exit_code == 0, result.output
    assert names(shop.objects("products")) == ["Retired"] and shop.objects("tags") == []


# -- plans name unmanaged objects, and suggest renamedFrom -------------------------------------


def test_plans_name_unmanaged_objects_in_text_json_and_markdown(shop: Project) -> None:
    shop.seed({"tags": [{"name": "reactivation"}, {"name": "vip"}]})
    shop.bundle("tags: [{name: vip}]\n")
    text = shop.run("plan", "--sandbox")
    assert text.exit_code == 0, text.output
    assert '  ? tag "reactivation" (unmanaged: prune would delete it)' in text.stdout
    [obj] = shop.plan()["locations"][0]["unmanaged_objects"]
    assert (obj["kind"], obj["key"], obj["name"]) == ("tags", "reactivation", "reactivation")
    markdown = shop.run("plan", "--sandbox", "--markdown").stdout
    assert "### Unmanaged objects" in markdown and "- tag `reactivation`" in markdown


def test_a_create_that_looks_like_a_rename_suggests_renamed_from(shop: Project) -> None:
    shop.seed({"customValues": [{"name": "Booking Link", "value": "https://book.example.com"}]})
    shop.bundle(
        "customValues:\n  - {name: Booking URL, value: 'https://book.example.com'}\n"
        "  - {name: Brand, value: Acme}\n"
    )
    location = shop.plan()["locations"][0]
    assert location["hints"] == [
        'custom value "Booking URL" looks like a rename of the unmanaged custom value '
        '"Booking Link": add renamedFrom: "Booking Link" to keep the object (and its id) instead '
        "of creating a new one"
    ]
    assert (
        '  hint: custom value "Booking URL" looks like a rename'
        in shop.run("plan", "--sandbox").stdout
    )


def test_renamed_from_and_protect_work_for_prices_and_shipping_rates(shop: Project) -> None:
    [product] = shop.seed({"products": [{"name": "Cleaning", "productType": "SERVICE"}]})[
        f"{LOC}/products"
    ]
    [price] = shop.seed({"prices": [{"product": product, "name": "Single", "amount": 80}]})[
        f"{LOC}/prices"
    ]
    [zone] = shop.seed({"shippingZones": [{"name": "Domestic", "countries": US}]})[
        f"{LOC}/shippingZones"
    ]
    [rate] = shop.seed({"shippingRates": [{"shippingZoneId": zone, "name": "Standard"}]})[
        f"{LOC}/shippingRates"
    ]
    shop.configure("prune: [prices, shippingRates]")
    shop.bundle(
        "products:\n  - name: Cleaning\n    productType: SERVICE\n    prices:\n"
        "      - {name: One visit, renamedFrom: Single, type: one_time, currency: USD,"
        " amount: 80}\n"
        "shippingZones:\n  - name: Domestic\n    countries: [{code: US}]\n    rates:\n"
        "      - {name: Ground, renamedFrom: Standard, currency: USD, amount: 0}\n"
    )
    assert shop.changes() == [
        ("update", "shippingRates", "Domestic/Ground"),
        ("update", "prices", "Cleaning/One visit"),
    ]
    assert shop.apply().exit_code == 0
    assert [(p["_id"], p["name"]) for p in shop.objects("prices")] == [(price, "One visit")]
    assert [(r["_id"], r["name"]) for r in shop.objects("shippingRates")] == [(rate, "Ground")]
    # protect and renamedFrom are kept on nested items, as on the items they are declared in
    from ghlops.models.product import Product
    from ghlops.resources.products import ProductAdapter

    product_spec = Product.model_validate(
        {
            "name": "Cleaning",
            "productType": "SERVICE",
            "prices": [
                {
                    "name": "A",
                    "protect": True,
                    "renamedFrom": "B",
                    "type": "one_time",
                    "currency": "USD",
                    "amount": 1,
                }
            ],
        }
    )
    [child] = ProductAdapter().desired_item(product_spec).children
    assert (child.protect, child.renamed_from) == (True, "B")
