"""A plan reads only what it manages: the call sets of plans over HTTP, through the CLI.

Declared kinds, pruned kinds and the kinds they need (references, parents) are read; nested
kinds only under declared parents unless the parent or the nested kind is pruned; lookups only
when a manifest refers to them. The plan names the kinds it did not read.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ghlops.resources import registry
from ghlops.sandbox.app import CallNext, SandboxRequest, SandboxResponse
from tests.helpers.cli import HttpSandbox, Runner

LOCATIONS = [f"R3adSetL0cat10n{i:05d}" for i in range(3)]
TOKENS = {f"GHL_READSET_{i}": f"pit-readset-token-{i:04d}" for i in range(3)}


class Recorder:
    """Every request the sandbox serves: (method, path, query, location of the token)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        with self._lock:
            self.seen.append((request.method, request.path, request.query_string))
        return call_next(request)

    def gets(self, location: str) -> list[str]:
        return [p for m, p, q in self.seen if m == "GET" and location in p + q]


@pytest.fixture
def recorder(http_sandbox: HttpSandbox) -> Recorder:
    for i, loc in enumerate(LOCATIONS):
        http_sandbox.sandbox.provision_location(loc, token=TOKENS[f"GHL_READSET_{i}"])
    rec = Recorder()
    http_sandbox.sandbox.middleware.append(rec)
    return rec


def project(root: Path, bundle: str, prune: str = "[]") -> Runner:
    (root / "bundles" / "base").mkdir(parents=True, exist_ok=True)
    (root / "bundles" / "base" / "main.yaml").write_text(bundle)
    locations = "".join(
        f"  - name: loc{i}\n    id: {loc}\n    tokenEnv: GHL_READSET_{i}\n"
        for i, loc in enumerate(LOCATIONS)
    )
    (root / "ghlops.yaml").write_text(
        "version: 1\ndefaults:\n  bundles: [bundles/base]\n"
        f"policy:\n  prune: {prune}\nlocations:\n{locations}"
    )
    return Runner(root)


THREE_KINDS = """\
tags: [{name: vip}]
customFields:
  - {name: Pet Name, model: contact, dataType: TEXT}
customValues:
  - {name: Brand, value: Acme}
"""


def plan(runner: Runner, sandbox: HttpSandbox) -> str:
    result = runner("plan", "--base-url", sandbox.url, env=dict(TOKENS))
    assert result.exit_code == 0, result.output
    return result.stdout


def plan_data(runner: Runner, sandbox: HttpSandbox, *, refused: bool = False) -> dict[str, Any]:
    """The plan as ``--json`` prints it (``refused``: past the safety thresholds, exit 1)."""
    result = runner("plan", "--json", "--base-url", sandbox.url, env=dict(TOKENS))
    assert result.exit_code == (1 if refused else 0), result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_a_three_kind_project_makes_three_list_calls_per_location(
    tmp_path: Path, http_sandbox: HttpSandbox, recorder: Recorder
) -> None:
    runner = project(tmp_path, THREE_KINDS)
    result = runner("apply", "--base-url", http_sandbox.url, "--auto-approve", env=dict(TOKENS))
    assert result.exit_code == 0, result.output
    recorder.seen.clear()

    out = plan(runner, http_sandbox)
    assert "No changes." in out
    for loc in LOCATIONS:
        assert sorted(recorder.gets(loc)) == sorted(
            [
                "/locations/" + loc + "/tags",
                "/locations/" + loc + "/customFields",
                "/locations/" + loc + "/customValues",
            ]
        ), recorder.gets(loc)
    assert len(recorder.seen) == 3 * len(LOCATIONS)
    not_read = [
        kind
        for kind, adapter in registry.ADAPTERS.items()
        if adapter.scope == "location" and kind not in ("tags", "customFields", "customValues")
    ]
    assert "calendarGroups" in not_read and "prices" in not_read
    assert (
        "Not read (no manifest declares them and policy.prune does not name them): "
        + ", ".join(not_read)
    ) in out


def seed_products(sandbox: HttpSandbox, n: int = 5, prices: int = 3) -> None:
    """``n`` products per location (P000 … ), each with ``prices`` prices and in a collection
    (which no manifest here names: the collections are never looked up)."""
    for loc in LOCATIONS:
        summer = sandbox.sandbox.seed(
            {"locations": {loc: {"productCollections": [{"name": "Summer", "slug": "summer"}]}}}
        )[f"{loc}/productCollections"]
        ids = sandbox.sandbox.seed(
            {
                "locations": {
                    loc: {
                        "products": [
                            {"name": f"P{i:03}", "productType": "SERVICE", "collectionIds": summer}
                            for i in range(n)
                        ]
                    }
                }
            }
        )[f"{loc}/products"]
        sandbox.sandbox.seed(
            {
                "locations": {
                    loc: {
                        "prices": [
                            {"product": pid, "name": f"T{j}", "amount": j}
                            for pid in ids
                            for j in range(prices)
                        ]
                    }
                }
            }
        )


ONE_PRODUCT = """\
tags: [{name: vip}]
products:
  - name: P000
    productType: SERVICE
    prices:
      - {name: T0, type: one_time, currency: USD, amount: 0}
"""


def price_reads(recorder: Recorder) -> Counter[str]:
    """Price list calls by product id."""
    return Counter(
        p.split("/")[2] for m, p, _ in recorder.seen if m == "GET" and p.endswith("/price")
    )


def test_prices_of_unmanaged_products_are_never_read(
    tmp_path: Path, http_sandbox: HttpSandbox, recorder: Recorder
) -> None:
    seed_products(http_sandbox)
    data = plan_data(project(tmp_path, ONE_PRODUCT), http_sandbox)
    managed = {
        str(p["_id"])
        for loc in LOCATIONS
        for p in http_sandbox.sandbox.objects(loc, "products")
        if p["name"] == "P000"
    }
    assert price_reads(recorder) == Counter({pid: 1 for pid in managed})
    assert all("/collections" not in p and "/users" not in p for _, p, _ in recorder.seen)
    for loc in LOCATIONS:  # tags, products, the managed product's prices
        assert len(recorder.gets(loc)) == 3, recorder.gets(loc)
    for loc_plan in data["locations"]:
        # unmanaged counts cover what was read: 4 other products, 2 other prices of P000
        assert loc_plan["unmanaged"] == {"products": 4, "prices": 2}
        assert [c["kind"] for c in loc_plan["changes"]] == ["tags"]
        assert "prices" not in loc_plan["not_read"] and "calendars" in loc_plan["not_read"]


def test_pruning_products_reads_every_products_prices(
    tmp_path: Path, http_sandbox: HttpSandbox, recorder: Recorder
) -> None:
    seed_products(http_sandbox)
    data = plan_data(project(tmp_path, ONE_PRODUCT, prune="[products]"), http_sandbox, refused=True)
    every = {
        str(p["_id"]) for loc in LOCATIONS for p in http_sandbox.sandbox.objects(loc, "products")
    }
    assert price_reads(recorder) == Counter({pid: 1 for pid in every})
    for loc_plan in data["locations"]:
        deleted = Counter(c["kind"] for c in loc_plan["changes"] if c["action"] == "delete")
        # the other products, with their prices; P000's other prices are unmanaged
        assert deleted == {"products": 4, "prices": 4 * 3}


def test_pruning_prices_reads_and_prunes_only_under_managed_products(
    tmp_path: Path, http_sandbox: HttpSandbox, recorder: Recorder
) -> None:
    seed_products(http_sandbox)
    data = plan_data(project(tmp_path, ONE_PRODUCT, prune="[prices]"), http_sandbox)
    managed = {
        str(p["_id"])
        for loc in LOCATIONS
        for p in http_sandbox.sandbox.objects(loc, "products")
        if p["name"] == "P000"
    }
    assert price_reads(recorder) == Counter({pid: 1 for pid in managed})
    for loc_plan in data["locations"]:
        deleted = Counter(c["kind"] for c in loc_plan["changes"] if c["action"] == "delete")
        assert deleted == {"prices": 2}  # P000's other prices; other products' are not managed


def test_pruning_a_kind_reads_it_without_declaring_it(
    tmp_path: Path, http_sandbox: HttpSandbox, recorder: Recorder
) -> None:
    out = plan(project(tmp_path, "tags: [{name: vip}]\n", prune="[redirects]"), http_sandbox)
    for loc in LOCATIONS:
        assert len(recorder.gets(loc)) == 2, recorder.gets(loc)  # tags and redirects
    assert "redirects" not in out.split("Not read")[1].splitlines()[0]


def test_references_and_parents_are_read_with_the_kinds_that_need_them(
    tmp_path: Path, http_sandbox: HttpSandbox, recorder: Recorder
) -> None:
    bundle = "calendars:\n  - {name: Cleaning, slug: cleaning, calendarType: event}\n"
    out = plan(project(tmp_path, bundle), http_sandbox)
    for loc in LOCATIONS:  # calendars need their groups (ids become slugs)
        reads = recorder.gets(loc)
        assert len(reads) == 2, reads
    assert any("/calendars/groups" in p for _, p, _ in recorder.seen)
    assert "calendarGroups" not in out.split("Not read")[1].splitlines()[0]
