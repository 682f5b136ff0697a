"""Product collections end to end through the CLI on the embedded sandbox: created before the
products that name them in the same apply, renamed in place by slug, pruned (and taken out of
their products), every page of the list, and the list calls of an unchanged plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.integration.kind_project import Calls, KindProject, recording

LOC = "PrDc0LLect10nsL0cAbC"
BUNDLE = """\
productCollections:
  - {name: Summer Sale, slug: summer, seo: {title: "Summer at {{ location.name }}"}}
  - {name: Gifts, slug: gifts, image: "https://cdn.example/gifts.png"}
products:
  - {name: Whitening Kit, slug: whitening-kit, productType: PHYSICAL, collections: [summer, gifts]}
"""


@pytest.fixture
def project(tmp_path: Path) -> KindProject:
    return KindProject(tmp_path, LOC, BUNDLE)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Calls:
    return recording(monkeypatch)


def collections(project: KindProject) -> dict[str, dict[str, Any]]:
    return {c["slug"]: c for c in project.objects("productCollections")}


def kit(project: KindProject) -> dict[str, Any]:
    [product] = [p for p in project.objects("products") if p["slug"] == "whitening-kit"]
    return product


def test_collections_are_created_before_the_product_naming_them(project: KindProject) -> None:
    plan = project("plan", "--sandbox")
    lines = plan.stdout.splitlines()
    summer = lines.index('  + product collection "summer"')
    assert lines.index('  + product "whitening-kit"') > summer
    assert "Plan: 3 to create, 0 to update, 0 to replace, 0 to delete." in plan.stdout
    project.converges()
    made = collections(project)
    assert made["summer"]["seo"] == {"title": "Summer at main"}
    assert made["gifts"]["image"] == "https://cdn.example/gifts.png"
    assert sorted(kit(project)["collectionIds"]) == sorted(c["_id"] for c in made.values())


def test_a_new_name_keeps_the_collection_and_its_products(project: KindProject) -> None:
    project.converges()
    before = collections(project)["summer"]
    project.write(BUNDLE.replace("name: Summer Sale", "name: Summer Deals"))
    plan = project("plan", "--sandbox", "--detailed-exitcode")
    assert plan.exit_code == 2
    assert f'  ~ product collection "summer" (id {before["_id"]})' in plan.stdout
    assert "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete." in plan.stdout
    assert project("apply", "--sandbox", "--auto-approve").exit_code == 0
    after = collections(project)["summer"]
    assert (after["_id"], after["name"]) == (before["_id"], "Summer Deals")
    assert before["_id"] in kit(project)["collectionIds"]
    project.no_changes()


def test_pruned_collection_is_deleted_and_leaves_its_products(project: KindProject) -> None:
    project.converges()
    gifts = collections(project)["gifts"]["_id"]
    project.write(
        BUNDLE.replace(
            '  - {name: Gifts, slug: gifts, image: "https://cdn.example/gifts.png"}\n', ""
        ).replace("[summer, gifts]", "[summer]")
    )
    (project.directory / "ghlops.yaml").write_text(
        (project.directory / "ghlops.yaml").read_text() + "policy:\n  prune: [productCollections]\n"
    )
    plan = project("plan", "--sandbox")
    assert f'  - product collection "gifts" (id {gifts})  DESTRUCTIVE' in plan.stdout
    assert "takes it out of every product in it" in plan.stdout
    assert project("apply", "--sandbox", "--auto-approve").exit_code == 0
    assert set(collections(project)) == {"summer"}
    assert kit(project)["collectionIds"] == [collections(project)["summer"]["_id"]]
    project.no_changes()


def test_an_undeclared_collection_made_in_ghl_can_still_be_named(project: KindProject) -> None:
    project.seed({"productCollections": [{"name": "Winter", "slug": "winter"}]})
    project.write(
        "products:\n  - {name: Kit, slug: kit, productType: PHYSICAL, collections: [winter]}\n"
    )
    project.converges()
    [product] = project.objects("products")
    assert product["collectionIds"] == [collections(project)["winter"]["_id"]]


def test_a_slug_neither_live_nor_declared_fails_the_plan(project: KindProject) -> None:
    project.write(BUNDLE.replace("[summer, gifts]", "[summer, autumn]"))
    plan = project("plan", "--sandbox")
    assert plan.exit_code == 1
    assert (
        "product 'whitening-kit': unknown product collection 'autumn' (collections of this "
        "location: none); declare it in productCollections or make it in GHL"
    ) in plan.output


def test_every_page_and_one_list_call_when_unchanged(project: KindProject, calls: Calls) -> None:
    project.seed(
        {"productCollections": [{"name": f"C{i:03}", "slug": f"c{i:03}"} for i in range(120)]}
    )
    project.converges()
    calls.seen.clear()
    project.no_changes()
    gets = [t.split("&offset=")[1] for m, t in calls.under("/products/collections")]
    assert gets == ["0", "100"]  # every page, once: no second lookup for the product
    plan = project("plan", "--sandbox")
    assert "unmanaged: 120 (productCollections 120)" in plan.stdout


def test_kind_products_alone_looks_collections_up_once(project: KindProject, calls: Calls) -> None:
    project.converges()
    calls.seen.clear()
    plan = project("plan", "--sandbox", "--kind", "products", "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output
    assert len(calls.under("/products/collections")) == 1
