"""The shared fleet generator: a project of N locations whose live state equals its manifests."""

from __future__ import annotations

import contextlib
import json
import math
import random
import re
import sqlite3
import string
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from benchmarks.fleetbench.common import (
    CARRIER,
    COLLECTION,
    COUNTRIES,
    DATA_TYPES,
    LEAD_EMAIL,
    LOC,
    PAGE_SIZE,
    STAGES,
    V_LOCATIONS,
    log,
)
from ghlops.client import DEFAULT_BASE_URL
from ghlops.engine import Session, Target
from ghlops.manifest.loader import load_location
from ghlops.manifest.project import load_project
from ghlops.sandbox import Sandbox


@dataclass(frozen=True)
class Mix:
    """How many resources of each kind one location declares."""

    tags: int
    custom_fields: int
    custom_values: int
    calendar_groups: int
    calendars: int
    redirects: int
    pipelines: int
    zones: int
    rates_per_zone: int
    products: int
    prices_per_product: int

    def counts(self) -> dict[str, int]:
        """Resources by kind (nested kinds counted in total)."""
        return {
            "tags": self.tags,
            "customFields": self.custom_fields,
            "customValues": self.custom_values,
            "calendarGroups": self.calendar_groups,
            "calendars": self.calendars,
            "redirects": self.redirects,
            "pipelines": self.pipelines,
            "shippingZones": self.zones,
            "shippingRates": self.zones * self.rates_per_zone,
            "products": self.products,
            "prices": self.products * self.prices_per_product,
        }

    @property
    def total(self) -> int:
        return sum(self.counts().values())


def make_mix(resources: int, *, pipelines: bool = True) -> Mix:
    """``resources`` resources in the proportions of a typical location; 60 gives 14 tags, 10
    custom fields, 10 custom values, 2 calendar groups, 4 calendars, 3 redirects, 2 pipelines,
    2 shipping zones with 2 rates each and 3 products with 2 prices each."""
    scale = resources / 60

    def some(base: float) -> int:
        return max(1, round(base * scale))

    groups, calendars, redirects = some(2), some(4), some(3)
    pipes = some(2) if pipelines else 0
    zones, products = some(2), some(3)
    rest = resources - (groups + calendars + redirects + pipes + zones * 3 + products * 3)
    if rest < 3:
        raise ValueError(f"{resources} resources are too few for every kind (at least 20)")
    fields = values = rest * 3 // 10
    return Mix(
        tags=rest - fields - values,
        custom_fields=fields,
        custom_values=values,
        calendar_groups=groups,
        calendars=calendars,
        redirects=redirects,
        pipelines=pipes,
        zones=zones,
        rates_per_zone=2,
        products=products,
        prices_per_product=2,
    )


Items = dict[str, list[dict[str, Any]]]


def manifest(m: Mix, loc: str, *, lookups: bool = True) -> Items:
    """The bundle of one location, by kind, in GHL's field names. ``loc`` is the location's name
    (or the jinja2 expression for it). ``lookups``: calendars name a team member by email, a rate
    names a carrier and a product a collection (each costs the plan one lookup call)."""
    out: Items = {}
    out["tags"] = [{"name": f"{loc}-patient"}] + [{"name": f"tag-{i}"} for i in range(1, m.tags)]
    out["customFields"] = [
        {
            "name": f"Field {i}",
            "model": "opportunity" if i % 4 == 3 else "contact",
            "dataType": DATA_TYPES[i % len(DATA_TYPES)],
            **({"placeholder": f"Field {i} here"} if i % len(DATA_TYPES) == 0 else {}),
        }
        for i in range(m.custom_fields)
    ]
    out["customValues"] = [
        {"name": f"Value {i}", "value": f"https://{loc}.bench.example/v/{i}"}
        for i in range(m.custom_values)
    ]
    out["calendarGroups"] = [
        {"name": f"Group {i}", "slug": f"{loc}-group-{i}", "description": f"Bench group {i}"}
        for i in range(m.calendar_groups)
    ]
    calendars: list[dict[str, Any]] = []
    for i in range(m.calendars):
        calendar: dict[str, Any] = {
            "name": f"Calendar {i}",
            "slug": f"{loc}-cal-{i}",
            "group": f"{loc}-group-{i % m.calendar_groups}",
            "calendarType": "event",
            "slotDuration": 30,
            "description": f"Calendar {i} of {loc}",
        }
        if lookups and i % 2 == 1:
            calendar["calendarType"] = "round_robin"
            calendar["teamMembers"] = [{"user": LEAD_EMAIL, "priority": 1, "isPrimary": True}]
        calendars.append(calendar)
    out["calendars"] = calendars
    out["redirects"] = [
        {
            "domain": f"{loc}.bench.example",
            "path": f"/offer-{i}",
            "target": f"https://bench.example/offer-{i}",
            "action": "url",
        }
        for i in range(m.redirects)
    ]
    if m.pipelines:
        out["pipelines"] = [
            {"name": f"Pipeline {i}", "stages": list(STAGES)} for i in range(m.pipelines)
        ]
    zones: list[dict[str, Any]] = []
    for i in range(m.zones):
        rates: list[dict[str, Any]] = []
        for j in range(m.rates_per_zone):
            rate: dict[str, Any] = {"name": f"Rate {j}", "currency": "USD", "amount": 5 + j}
            if j == 1 and lookups:
                rate["carrier"] = CARRIER
            elif j == 1:
                rate.update(conditionType="price", minCondition=100)
            rates.append(rate)
        code = COUNTRIES[i % len(COUNTRIES)]
        zones.append({"name": f"Zone {i}", "countries": [{"code": code}], "rates": rates})
    out["shippingZones"] = zones
    products: list[dict[str, Any]] = []
    for i in range(m.products):
        prices: list[dict[str, Any]] = []
        for j in range(m.prices_per_product):
            price: dict[str, Any] = {
                "name": f"Price {j}",
                "type": "one_time",
                "currency": "USD",
                "amount": 100 + j,
            }
            if j == 1:
                price.update(type="recurring", recurring={"interval": "month", "intervalCount": 1})
            prices.append(price)
        product: dict[str, Any] = {
            "name": f"Product {i}",
            "slug": f"product-{i}",
            "productType": ["SERVICE", "PHYSICAL", "DIGITAL"][i % 3],
            "description": f"Bench product {i}",
            "prices": prices,
        }
        if lookups and i == 0:
            product["collections"] = [COLLECTION]
        products.append(product)
    out["products"] = products
    return out


def seed_data(m: Mix) -> dict[str, list[dict[str, Any]]]:
    """What the GHL UI holds in every location: the objects the API cannot create."""
    data: dict[str, list[dict[str, Any]]] = {
        "users": [{"email": LEAD_EMAIL, "firstName": "Lee", "lastName": "Bench"}],
        "shippingCarriers": [{"name": CARRIER, "callbackUrl": "https://carrier.bench.example"}],
        "productCollections": [{"name": "Bench", "slug": COLLECTION}],
    }
    if m.pipelines:
        data["pipelines"] = [
            {"name": f"Pipeline {i}", "stages": list(STAGES)} for i in range(m.pipelines)
        ]
    return data


def minimum_calls(m: Mix) -> dict[str, int]:
    """The fewest calls that read one location of this fleet: one list call per kind, per parent
    for nested kinds and per lookup the manifests need, plus the extra pages of paginated
    lists (tags, custom fields and values, calendars and their groups, pipelines, users and
    carriers come in one answer)."""

    def pages(n: int) -> int:
        return max(1, math.ceil(n / PAGE_SIZE))

    calls = {
        "tags": 1,
        "customFields": 1,
        "customValues": 1,
        "calendarGroups": 1,
        "calendars": 1,
        "redirects": pages(m.redirects),
        "pipelines": 1,
        "shippingZones": pages(m.zones),
        "shippingRates": m.zones * pages(m.rates_per_zone),
        "products": pages(m.products),
        "prices": m.products * pages(m.prices_per_product),
    }
    if m.calendars >= 2:  # a round-robin calendar names its member by email
        calls["users (lookup)"] = 1
    if m.rates_per_zone >= 2:  # a rate names its carrier
        calls["shippingCarriers (lookup)"] = 1
    calls["productCollections (lookup)"] = pages(1)  # a product names its collection
    return calls


@dataclass(frozen=True)
class Location:
    name: str
    id: str
    token_env: str
    token: str


def fleet_locations(n: int, prefix: str = "Bench") -> list[Location]:
    width = max(4, len(str(n - 1)))
    rng = random.Random(n)
    out = []
    for i in range(n):
        name = f"clinic-{i:0{width}d}"
        loc_id = f"{prefix}{i:0{20 - len(prefix)}d}"
        token = f"pit-bench-{i}-{rng.getrandbits(64):016x}"
        out.append(Location(name, loc_id, f"GHL_TOKEN_{name.upper().replace('-', '_')}", token))
    return out


class _Dumper(yaml.SafeDumper):
    """Plain YAML: ghlops refuses anchors and aliases, which PyYAML writes for shared objects."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


PROBE = Location("probe", "Probe000000000000000", "GHL_TOKEN_PROBE", "pit-bench-probe")


def probe(url: str, loc: Location, calls: int = 20) -> float:
    """Seconds per call of one client on one keep-alive connection (the tags list of ``loc``,
    a location outside the project, so no measured rate-limit bucket is touched)."""
    headers = {"Authorization": f"Bearer {loc.token}", "Version": V_LOCATIONS}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
        http.get(f"/locations/{loc.id}/tags").raise_for_status()  # connect, warm up
        started = time.perf_counter()
        for _ in range(calls):
            http.get(f"/locations/{loc.id}/tags").raise_for_status()
        return (time.perf_counter() - started) / calls


def write_project(root: Path, locations: Sequence[Location], m: Mix, lookups: bool = True) -> None:
    """ghlops.yaml and bundles/base/fleet.yaml for these locations."""
    write_files(root, locations, {"fleet.yaml": manifest(m, LOC, lookups=lookups)})


def write_files(
    root: Path, locations: Sequence[Location], bundles: Mapping[str, Mapping[str, Any]]
) -> None:
    """ghlops.yaml (every location with its own tokenEnv, bundles/base for all) and the files of
    bundles/base, by name."""
    (root / "bundles" / "base").mkdir(parents=True, exist_ok=True)
    project = {
        "version": 1,
        "defaults": {"bundles": ["bundles/base"]},
        "locations": [{"name": x.name, "id": x.id, "tokenEnv": x.token_env} for x in locations],
    }
    (root / "ghlops.yaml").write_text(yaml.dump(project, Dumper=_Dumper, sort_keys=False))
    for name, items in bundles.items():
        text = yaml.dump(dict(items), Dumper=_Dumper, sort_keys=False, width=1000)
        (root / "bundles" / "base" / name).write_text(text)


def embedded_target(sb: Sandbox, tokens: Mapping[str, str]) -> Target:
    return Target(
        DEFAULT_BASE_URL,
        lambda loc: tokens[loc.id],
        lambda _agency: "",
        transport=sb.transport(),
        paced=False,
        describe="embedded sandbox (benchmark)",
    )


def build_fleet(db: Path, project_dir: Path, locations: Sequence[Location], m: Mix) -> float:
    """Provision, seed and fill the fleet's sandbox database so every location's live state
    equals its manifests: apply the first location in-process, copy it to the others.

    Returns:
        Seconds spent.
    """
    started = time.perf_counter()
    write_project(project_dir, locations, m)
    fill_fleet(
        db,
        project_dir,
        locations,
        lambda sb, first: sb.seed({"locations": {first.id: seed_data(m)}}),
        extra=(PROBE,),
    )
    return time.perf_counter() - started


def fill_fleet(
    db: Path,
    project_dir: Path,
    locations: Sequence[Location],
    seed_first: Callable[[Sandbox, Location], object],
    extra: Sequence[Location] = (),
) -> None:
    """The sandbox database of the project in ``project_dir``: every location (and ``extra``)
    provisioned, the first seeded by ``seed_first`` and applied in-process (it must then plan
    "no changes"), and its objects copied to the others."""
    project = load_project(project_dir)
    first = locations[0]
    tokens = {x.id: x.token for x in locations}
    sb = Sandbox(db)
    index_objects_by_seq(db)
    try:
        for x in [*locations, *extra]:
            sb.provision_location(x.id, name=x.name, token=x.token)
        seed_first(sb, first)
        session = Session(project, embedded_target(sb, tokens), parallelism=1)
        state = load_location(project, project.locations[0])
        results = session.apply(session.plan([state]))
        failed = [r for r in results if r.failed]
        if failed:
            raise RuntimeError(f"applying the template location failed: {failed}")
        again = session.plan([state])
        if again.has_changes or again.failed:
            raise RuntimeError("the template location does not plan 'no changes' after apply")
        clone_location(sb, first, locations[1:])
    finally:
        sb.close()


def index_objects_by_seq(db: Path) -> None:
    """Index the sandbox's objects by creation order in this (temporary) database: the store
    finds each new object's place with ``MAX(seq)``, a full scan without it, which makes copying
    tens of thousands of objects quadratic. An index changes no answer of the sandbox."""
    try:
        with contextlib.closing(sqlite3.connect(db)) as conn:
            conn.execute("CREATE INDEX IF NOT EXISTS bench_objects_by_seq ON objects (seq)")
            conn.commit()
    except sqlite3.Error as exc:  # another schema: copying is slower, the figures the same
        log(f"note: could not index the sandbox's objects ({exc}); the set-up will be slower")


def clone_location(sb: Sandbox, source: Location, targets: Sequence[Location]) -> None:
    """Copy every stored object of ``source`` to each target: new ids (references follow), the
    target's id and name wherever the source's appear."""
    store = sb.store
    rows = [obj for kind in sb.renderers for obj in store.list(source.id, kind)]
    ids = [obj.id for obj in rows]
    rng = random.Random(len(targets))
    with store.transaction():
        for target in targets:
            mapping = {source.id: target.id, source.name: target.name}
            mapping.update({old: _new_id(old, rng) for old in ids})
            swap = _swapper(mapping)
            for obj in rows:
                data = json.loads(swap(json.dumps(obj.data)))
                parent = mapping.get(obj.parent_id, obj.parent_id) if obj.parent_id else None
                store.insert(target.id, obj.kind, mapping[obj.id], data, parent_id=parent)


def _swapper(mapping: Mapping[str, str]) -> Callable[[str], str]:
    """Replace every key of ``mapping`` in a text by its value, in one pass (longest first)."""
    pattern = re.compile("|".join(re.escape(k) for k in sorted(mapping, key=len, reverse=True)))
    return lambda text: pattern.sub(lambda match: mapping[match.group(0)], text)


def _new_id(old: str, rng: random.Random) -> str:
    hexdigits = set(string.hexdigits.lower())
    alphabet = "0123456789abcdef" if set(old) <= hexdigits else string.ascii_letters + string.digits
    return "".join(rng.choices(alphabet, k=len(old)))
