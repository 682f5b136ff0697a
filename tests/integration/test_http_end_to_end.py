"""End to end over real HTTP: pacing under a small rate limit (fake clock) and the second page
of every paged list, checked by what the sandbox server saw, not by the client's internals.

Both survive a rewrite of the pacer or of the paging helper: the pacing test only injects the
fake clock into whatever ``RateLimiter`` the run builds; the paging test reads through the
adapters and the real client.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from ghlops.client.client import GhlClient
from ghlops.client.ratelimit import RateLimiter
from ghlops.engine import read_live
from ghlops.resources import registry
from ghlops.resources.base import Adapter
from ghlops.sandbox import FaultInjector, RateLimit, Sandbox, SandboxRequest, SandboxResponse
from ghlops.sandbox.app import CallNext
from tests.helpers.cli import HttpSandbox, Runner
from tests.helpers.clock import FakeClock
from tests.helpers.sandbox import served
from tests.integration.fleet import check_fleet, seed_fleet, use_fast_retries, write_fleet
from tests.integration.fleet import tokens as fleet_tokens

DOWNTOWN = "ve9EPM428h8vShlRW1KT"
UPTOWN = "Xk3pQ9wRt7LmN2bV5cZa"
TOKENS = {
    "GHL_TOKEN_DOWNTOWN": "pit-test-downtown-0001",
    "GHL_TOKEN_UPTOWN": "pit-test-uptown-0002",
}


def pace_with(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    """Every RateLimiter the run builds reads ``clock`` and sleeps on it."""
    original = RateLimiter.__init__
    accepted = inspect.signature(original).parameters
    assert "clock" in accepted and "sleep" in accepted, "the pacer takes no clock: update this"

    def init(self: RateLimiter, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("sleep", clock.sleep)
        original(self, *args, **kwargs)

    monkeypatch.setattr(RateLimiter, "__init__", init)


@pytest.mark.parametrize("limit", [4, 5])
def test_a_paced_run_waits_for_the_window_and_meets_no_429(
    ghlops: Runner, http_sandbox: HttpSandbox, monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    """A plan and an apply of two locations need several windows' worth of requests each; the
    client waits (on the fake clock) and the server refuses none. A client that does not pace
    (``RateLimiter.acquire`` returning at once) meets 429s here."""
    clock = FakeClock()
    sb = http_sandbox.sandbox
    sb.provision_location(DOWNTOWN, token=TOKENS["GHL_TOKEN_DOWNTOWN"])
    sb.provision_location(UPTOWN, token=TOKENS["GHL_TOKEN_UPTOWN"])
    sb.rate_limit = RateLimit(max_requests=limit, window_seconds=1.0, daily_limit=None, clock=clock)
    pace_with(monkeypatch, clock)

    result = ghlops("apply", "--base-url", http_sandbox.url, "--auto-approve", env=dict(TOKENS))
    assert result.exit_code == 0, result.output
    assert sb.throttled_count() == 0, result.output
    per_location = min(sb.request_count(DOWNTOWN), sb.request_count(UPTOWN))
    assert per_location > 2 * limit  # more than two windows' worth each
    # the client waited: at least one window per window's worth of requests after the first
    assert clock.elapsed >= (per_location // limit - 1) * 1.0, (clock.elapsed, per_location)
    # a new run starts with a new pacer; the server's window of the last one has passed (two
    # runs back to back within one window are issue 16's)
    clock.sleep(1.0)
    again = ghlops("plan", "--base-url", http_sandbox.url, "--detailed-exitcode", env=dict(TOKENS))
    assert again.exit_code == 0, again.output
    assert sb.throttled_count() == 0, again.output


# -- second pages of every paged list -------------------------------------------------------------

COMPANY = "PagingAgencyCompany1"
EXTRA = 3  # items past the first page


class Queries:
    """Records the query of every GET the sandbox serves."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict[str, list[str]]]] = []

    def __call__(self, request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        if request.method == "GET":
            parts = urlsplit(request.target)
            self.seen.append((parts.path, parse_qs(parts.query)))
        return call_next(request)

    def pages(self, path_part: str) -> list[dict[str, list[str]]]:
        return [query for path, query in self.seen if path_part in path]


def page_size(kind: str) -> int:
    module = inspect.getmodule(type(registry.get(kind)))
    size = getattr(module, "PAGE_SIZE", None)
    assert isinstance(size, int), f"{kind}: no PAGE_SIZE"
    return size


@pytest.fixture
def paged() -> Iterator[tuple[Sandbox, str, Queries]]:
    """A sandbox over HTTP holding more than a page of every paged kind, default limits."""
    sb = Sandbox(rate_limit=RateLimit())
    queries = Queries()
    sb.middleware.append(queries)
    sb.provision_location(DOWNTOWN, token=TOKENS["GHL_TOKEN_DOWNTOWN"], company_id=COMPANY)
    sb.provision_agency(COMPANY, token="pit-paging-agency-token-01")
    n = {kind: page_size(kind) + EXTRA for kind in ("redirects", "products", "prices")}
    n["shippingRates"] = page_size("shippingRates") + EXTRA
    n["customMenuLinks"] = page_size("customMenuLinks") + EXTRA
    ids = sb.seed(
        {
            "locations": {
                DOWNTOWN: {
                    "redirects": [
                        {
                            "domain": "www.example.com",
                            "path": f"/old-{i}",
                            "target": "https://www.example.com/new",
                            "action": "url",
                        }
                        for i in range(n["redirects"])
                    ],
                    "products": [
                        {"name": f"Product {i}", "productType": "SERVICE"}
                        for i in range(n["products"])
                    ],
                    "productCollections": [
                        {"name": f"Collection {i}", "slug": f"collection-{i}"}
                        for i in range(page_size("products") + EXTRA)
                    ],
                    "shippingZones": [{"name": "Domestic", "countries": [{"code": "US"}]}],
                }
            },
            "companies": {
                COMPANY: {
                    "customMenus": [
                        {"title": f"Link {i}", "url": f"https://example.com/{i}"}
                        for i in range(n["customMenuLinks"])
                    ]
                }
            },
        }
    )
    product = ids[f"{DOWNTOWN}/products"][-1]  # the last product, itself on the second page
    zone = ids[f"{DOWNTOWN}/shippingZones"][0]
    sb.seed(
        {
            "locations": {
                DOWNTOWN: {
                    "prices": [
                        {
                            "product": product,
                            "name": f"Price {i}",
                            "type": "one_time",
                            "currency": "USD",
                            "amount": i + 1,
                        }
                        for i in range(n["prices"])
                    ],
                    "shippingRates": [
                        {
                            "shippingZoneId": zone,
                            "name": f"Rate {i}",
                            "currency": "USD",
                            "amount": i,
                        }
                        for i in range(n["shippingRates"])
                    ],
                }
            }
        }
    )
    with served(sb) as (_server, url):
        yield sb, url, queries
    sb.close()


def read(url: str, token: str, principal: str, kinds: list[str]) -> dict[str, list[Any]]:
    adapters: list[Adapter] = [registry.get(kind) for kind in kinds]
    with GhlClient(token, base_url=url) as client:
        return read_live(client, principal, adapters)


@pytest.mark.parametrize(
    ("kinds", "path", "style"),
    [
        (["redirects"], "/funnels/lookup/redirect/list", "offset"),
        (["products"], "/products/", "offset"),
        (["products", "prices"], "/price", "offset"),
        (["shippingZones", "shippingRates"], "/shipping-rate", "offset"),
    ],
    ids=["redirects", "products", "prices", "shipping-rates"],
)
def test_every_location_list_is_read_past_its_first_page(
    paged: tuple[Sandbox, str, Queries], kinds: list[str], path: str, style: str
) -> None:
    sb, url, queries = paged
    live = read(url, TOKENS["GHL_TOKEN_DOWNTOWN"], DOWNTOWN, kinds)
    kind = kinds[-1]
    assert len(live[kind]) == page_size(kind) + EXTRA
    assert len({item.id for item in live[kind]}) == len(live[kind])  # no page read twice
    second = [q for q in queries.pages(path) if q.get(style) not in (None, ["0"])]
    assert second, queries.pages(path)
    assert sb.throttled_count() == 0


def test_collections_are_read_past_their_first_page(paged: tuple[Sandbox, str, Queries]) -> None:
    from ghlops.resources.base import Ctx
    from ghlops.resources.products import list_collections

    _sb, url, _queries = paged
    with GhlClient(TOKENS["GHL_TOKEN_DOWNTOWN"], base_url=url) as client:
        collections = list_collections(Ctx(client, DOWNTOWN))
    slugs = {str(c["slug"]) for c in collections}
    assert slugs == {f"collection-{i}" for i in range(page_size("products") + EXTRA)}


def test_skip_style_menu_links_are_read_past_their_first_page(
    paged: tuple[Sandbox, str, Queries],
) -> None:
    """Custom menu links page with ``skip``: a client that sent ``offset`` there would read the
    first page again."""
    _sb, url, queries = paged
    live = read(url, "pit-paging-agency-token-01", COMPANY, ["customMenuLinks"])
    titles = {item.fields["title"] for item in live["customMenuLinks"]}
    assert titles == {f"Link {i}" for i in range(page_size("customMenuLinks") + EXTRA)}
    pages = queries.pages("/custom-menus")
    assert any(q.get("skip") == [str(page_size("customMenuLinks"))] for q in pages), pages
    assert not any("offset" in q for q in pages), pages


# -- every kind over HTTP with GHL's default limits ------------------------------------------------


@pytest.mark.parametrize(
    "kinds",
    [
        ["tags", "customFields", "customValues"],
        ["calendarGroups", "calendars"],
        ["redirects"],
        ["pipelines"],
        ["shippingZones", "shippingRates"],
        ["products", "prices"],
        ["customMenuLinks"],
    ],
    ids=lambda kinds: kinds[-1],
)
def test_each_kind_converges_over_http_with_the_default_limits(
    tmp_path: Path, http_sandbox: HttpSandbox, kinds: list[str]
) -> None:
    """The kind files test each kind on the embedded sandbox; here each kind goes through the
    whole stack once more over a socket, with real tokens from the environment, GHL's
    documented rate limits and the client's default pacing."""
    sb = http_sandbox.sandbox
    sb.rate_limit = RateLimit()
    project = write_fleet(tmp_path / "fleet", 1)
    keep = seed_fleet(sb, 1)
    env: dict[str, str | None] = dict(fleet_tokens(1))
    selection = [arg for kind in kinds for arg in ("--kind", kind)]
    url = ("--base-url", http_sandbox.url)
    runner = Runner(project)

    first = runner("plan", *url, *selection, "--detailed-exitcode", env=env)
    assert first.exit_code == 2, first.output
    applied = runner("apply", *url, *selection, "--auto-approve", "--force", env=env)
    assert applied.exit_code == 0, applied.output
    last = runner("plan", *url, *selection, "--detailed-exitcode", env=env)
    assert last.exit_code == 0, last.output
    assert sb.throttled_count() == 0
    assert sb.request_count() > 3
    for where, object_id in keep.items():  # seeded objects of these kinds kept their ids
        loc, kind, _name = where.split("/", 2)
        if kind in kinds and kind != "tags" and kind != "customValues":  # those two are pruned
            assert object_id in {str(o.get("id") or o.get("_id")) for o in sb.objects(loc, kind)}
    for token in fleet_tokens(1).values():
        assert token not in first.output + applied.output + last.output


def test_a_fleet_converges_under_faults_at_the_default_parallelism(
    tmp_path: Path, http_sandbox: HttpSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three clinics, every kind, 10% faulty answers over a socket, with the CLI's default
    parallelism (locations and reads at the same time; the other fault tests go one request at
    a time so that a seed always hits the same requests): the store ends exactly as desired."""
    use_fast_retries(monkeypatch)
    sb = http_sandbox.sandbox
    project = write_fleet(tmp_path / "fleet", 3)
    keep = seed_fleet(sb, 3)
    sb.rate_limit = RateLimit(1_000_000, 0.2, daily_limit=None)
    sb.faults = FaultInjector("all=0.10", seed=11, timeout_after=0.7, slow_seconds=0.02)
    env: dict[str, str | None] = {**fleet_tokens(3), "GHLOPS_TIMEOUT": "0.5"}
    args = ("apply", "--auto-approve", "--force", "--base-url", http_sandbox.url)
    runner = Runner(project)
    for _ in range(3):  # an apply cut short by faults is finished by the next one
        result = runner(*args, env=env)
        assert result.exit_code in (0, 3), result.output
        if result.exit_code == 0:
            break
    injected = sb.faults.injected()
    sb.faults = None
    assert sum(injected.values()) >= 10, injected
    assert check_fleet(sb, 3, keep) == []
    last = runner("plan", "--base-url", http_sandbox.url, "--detailed-exitcode", env=env)
    assert last.exit_code == 0, last.output
