"""Every paged list read through the real client over HTTP, when GHL serves fewer items per page
than asked for: ghlops pages by the total the answer reports, so nothing is missed.

The sandbox here serves at most ``CAP`` items per page whatever ``limit`` says (a middleware
rewrites the limit), so every list of more than ``CAP`` objects needs second and later pages:
limit/offset with a numeric total (prices, collections, shipping zones and rates), with the
products list's ``[{"total": n}]``, with the redirects' nested ``data.count``, and skip/limit
with ``totalLinks`` (custom menu links).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from ghlops.client import GhlClient
from ghlops.resources import registry
from ghlops.resources.base import Ctx, LiveItem
from ghlops.resources.reading import read_kind
from ghlops.sandbox import Sandbox, SandboxRequest, SandboxResponse
from tests.helpers.cli import HttpSandbox

LOC = "PagingLocation000001"
COMPANY = "PagingCompany0000001"
CAP = 3
N = 7  # objects of each kind: three pages of at most CAP
RATES = "/store/shipping-zone/{shippingZoneId}/shipping-rate"


def capped(
    request: SandboxRequest, call_next: Callable[[SandboxRequest], SandboxResponse]
) -> SandboxResponse:
    """Serve at most CAP items per page, as a GHL that caps pages silently would."""
    if request.method == "GET" and "limit=" in request.target:
        target = re.sub(r"limit=\d+", f"limit={CAP}", request.target)
        request = SandboxRequest(request.method, target, request.headers, request.body)
    return call_next(request)


def seed(sb: Sandbox) -> dict[str, str]:
    token = sb.provision_location(LOC, company_id=COMPANY)
    agency = sb.provision_agency(COMPANY)
    created = sb.seed(
        {
            "locations": {
                LOC: {
                    "products": [{"name": f"Product {i}"} for i in range(N)],
                    "productCollections": [
                        {"name": f"Collection {i}", "slug": f"collection-{i}"} for i in range(N)
                    ],
                    "shippingZones": [{"name": f"Zone {i}"} for i in range(2)],
                    "redirects": [
                        {"domain": "example.com", "path": f"/old-{i}", "target": "https://x.io"}
                        for i in range(N)
                    ],
                }
            },
            "companies": {COMPANY: {"customMenus": [{"title": f"Link {i}"} for i in range(N)]}},
        }
    )
    product = created[f"{LOC}/products"][0]
    zone = created[f"{LOC}/shippingZones"][1]
    sb.seed(
        {
            "locations": {
                LOC: {
                    "prices": [{"product": product, "name": f"Price {i}"} for i in range(N)],
                    "shippingRates": [
                        {"shippingZoneId": zone, "name": f"Rate {i}"} for i in range(N)
                    ],
                }
            }
        }
    )
    return {"location": token, "agency": agency}


def read(client: GhlClient, owner: str, kinds: list[str]) -> dict[str, list[LiveItem]]:
    live: dict[str, list[LiveItem]] = {}
    ctx = Ctx(client, owner, live=live)
    for kind in kinds:
        live[kind] = read_kind(registry.ADAPTERS[kind], ctx)
    return live


@pytest.fixture
def paged(http_sandbox: HttpSandbox) -> tuple[HttpSandbox, dict[str, str]]:
    tokens = seed(http_sandbox.sandbox)
    http_sandbox.sandbox.middleware.append(capped)
    return http_sandbox, tokens


@pytest.mark.parametrize(
    ("kinds", "route", "calls"),
    [
        (["products"], "GET /products/", 3),  # 3 + 3 + 1, by the reported total
        # 3 pages for the first product's prices, 1 for each of the 6 others
        (["products", "prices"], "GET /products/{productId}/price", 3 + 6),
        (["shippingZones"], "GET /store/shipping-zone", 1),
        # 1 page for the first (empty) zone, 3 for the second
        (["shippingZones", "shippingRates"], f"GET {RATES}", 1 + 3),
        (["redirects"], "GET /funnels/lookup/redirect/list", 3),
    ],
)
def test_every_page_of_a_location_list_is_read(
    paged: tuple[HttpSandbox, dict[str, str]], kinds: list[str], route: str, calls: int
) -> None:
    served, tokens = paged
    with GhlClient(tokens["location"], base_url=served.url) as client:
        live = read(client, LOC, kinds)
    kind = kinds[-1]
    if kind == "shippingZones":
        assert len(live[kind]) == 2
    else:
        assert len(live[kind]) == N, [i.key for i in live[kind]]
        assert len({i.id for i in live[kind]}) == N
    assert served.sandbox.request_count(route=route) == calls


def test_every_page_of_the_collections_is_read(paged: tuple[HttpSandbox, dict[str, str]]) -> None:
    from ghlops.resources.products import list_collections

    served, tokens = paged
    with GhlClient(tokens["location"], base_url=served.url) as client:
        collections = list_collections(Ctx(client, LOC))
    assert sorted(str(c["slug"]) for c in collections) == [f"collection-{i}" for i in range(N)]
    assert served.sandbox.request_count(route="GET /products/collections") == 3


def test_every_page_of_the_agency_menu_links_is_read(
    paged: tuple[HttpSandbox, dict[str, str]],
) -> None:
    served, tokens = paged
    with GhlClient(tokens["agency"], base_url=served.url) as client:
        live = read(client, COMPANY, ["customMenuLinks"])
    assert sorted(i.key for i in live["customMenuLinks"]) == sorted(f"Link {i}" for i in range(N))
    assert served.sandbox.request_count(route="GET /custom-menus/") == 3


def test_custom_fields_are_listed_with_model_all(http_sandbox: HttpSandbox) -> None:
    token = http_sandbox.sandbox.provision_location(LOC)
    targets: list[str] = []

    def record(
        request: SandboxRequest, call_next: Callable[[SandboxRequest], SandboxResponse]
    ) -> SandboxResponse:
        targets.append(request.target)
        return call_next(request)

    http_sandbox.sandbox.middleware.append(record)
    with GhlClient(token, base_url=http_sandbox.url) as client:
        read(client, LOC, ["customFields"])
    assert targets == [f"/locations/{LOC}/customFields?model=all"]


def test_requests_carry_a_ghlops_user_agent(http_sandbox: HttpSandbox) -> None:
    from ghlops import __version__

    token = http_sandbox.sandbox.provision_location(LOC)
    agents: list[str | None] = []

    def record(
        request: SandboxRequest, call_next: Callable[[SandboxRequest], SandboxResponse]
    ) -> SandboxResponse:
        agents.append(request.header("user-agent"))
        return call_next(request)

    http_sandbox.sandbox.middleware.append(record)
    with GhlClient(token, base_url=http_sandbox.url) as client:
        read(client, LOC, ["tags"])
    assert agents == [f"ghlops/{__version__}"]


def test_endless_shipping_zone_paging_fails_that_location_only(
    tmp_path: Path, http_sandbox: HttpSandbox
) -> None:
    """A zone list reporting a huge total and answering the same page forever (issue 14): the
    read ends at once with an error naming the call, inside that location; the others plan."""
    from ghlops.manifest.project import load_project
    from ghlops.sandbox import json_response
    from tests.helpers.cli import Runner, dental_project

    sb = http_sandbox.sandbox
    project, env = dental_project(sb, tmp_path)
    loaded = load_project(project)
    hostile = loaded.locations[0]
    zone = {"_id": "0123456789abcdef01234567", "name": "Loop", "altId": hostile.id}

    def endless(
        request: SandboxRequest, call_next: Callable[[SandboxRequest], SandboxResponse]
    ) -> SandboxResponse:
        if (
            request.method == "GET"
            and request.path == "/store/shipping-zone"
            and hostile.id in (request.target)
        ):
            return json_response(200, {"total": 10**12, "data": [zone]})
        return call_next(request)

    sb.middleware.append(endless)
    result = Runner(project)("plan", "--base-url", http_sandbox.url, env=env)
    assert result.exit_code == 1, result.output
    assert (
        "GET /store/shipping-zone → 200: the list reports 1000000000000 items, more than "
        "100000: paging looks broken"
    ) in result.stdout
    assert f"Failed to plan 1 location(s): {hostile.name}" in result.stdout
    # the hostile list read 3 times (a broken answer is read again twice), the others once
    assert sb.request_count(route="GET /store/shipping-zone") == 3 + 2
