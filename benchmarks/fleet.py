#!/usr/bin/env python3
"""Fleet benchmark of ghlops (issue 4, "Benchmark").

Run it with the interpreter that has ghlops' dependencies (``pip install -e .``; the script puts
its own checkout first on the path, so it benchmarks the code next to it)::

    python benchmarks/fleet.py            # 500 locations x 60 resources, 50 ms latency (~3.5 min)
    python benchmarks/fleet.py --quick    # 20 locations x 30 resources, 10 ms latency (~35 s)

It prints a table (each target met or MISSED) with notes, and writes every figure as JSON
(``--out``, default ``benchmarks/results.json``). Everything runs on loopback (127.0.0.1) and
stops by itself; temporary files are removed unless ``--keep``. Exit status 1 when a figure is
meaningless (the fleet did not plan "no changes", counts disagree), not when a target is missed.

What is measured:

1. **API calls of a no-change plan.** A fleet is generated: a project folder (``ghlops.yaml``
   with N locations, each with its own ``tokenEnv``) whose bundle declares ~R resources of every
   location-level kind (tags, custom fields and values, calendar groups, calendars with a team
   member, redirects, read-only pipelines, shipping zones with rates, products with prices) and
   the objects the API cannot create are seeded (users, a shipping carrier, a product
   collection, the pipelines). The first location is applied in-process to an embedded sandbox;
   its stored objects are then copied to every other location (new ids, the location's own
   names), so the live state already equals the manifests and no time goes into applying them.
   ``ghlops sandbox serve`` then serves that database with GHL's limits (100 per 10 s, 200,000 a
   day) and the given latency, and ``ghlops plan --json`` plans the whole fleet. Each
   location's ``api_calls`` is compared with the minimum computed from the generated fleet: one
   list call per kind, per parent for nested kinds (rates per zone, prices per product) and per
   lookup the manifests need (users, carriers, collections), plus extra pages of paginated
   lists. Target: ratio 1.00. (Custom menu links are agency-level, planned once per agency, and
   not part of the fleet.)
2. **Fleet plan wall time** (the whole ``ghlops plan`` process: start-up, loading and rendering
   the project, reading, planning) against the floor ``total calls x latency / parallelism``.
   Target: <= 1.5x. 429 answers during the plan come from the server's own count (printed when
   it stops). Target: 0. The notes add what one call really took on one connection (a probe
   against a location outside the project) and the CPU time of the ghlops process.
3. **Apply of C creates in one location** (default 300) against the rate-limit floor
   ``calls / limit x window`` on an in-thread sandbox whose time axis is scaled down 10x
   (100 per 1 s, latency / 10) to keep it short; plan and apply run through ``ghlops.engine``
   exactly as ``ghlops apply`` does. Target: <= 1.15x with zero 429s.
4. **Planner CPU per resource**: ``plan_location`` on 100,000 synthetic resources built through
   the adapters (a no-change plan), best of 3 (fewer when one takes longer than
   ``--planner-budget``), in a process of its own whose peak RSS is reported too. Target:
   <= 20 us per resource.
5. **Start-up**: ``ghlops --help`` and ``ghlops -C ghlops/examples/dental validate``, best of 5.
   Target: <= 0.3 s for ``--help``.
6. **Naive baseline**: the same fleet read location after location with plain httpx, listing
   each kind and then GETting every object by id where the API has a GET-by-id. It runs on a
   sample of the locations (``--baseline-locations``, 0 = all) and is extrapolated linearly to
   the fleet (it is strictly sequential, so its time is proportional to the locations read);
   the speed-up is that time over ghlops' fleet plan time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import queue
import random
import re
import signal
import sqlite3
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a fresh clone without installing the package
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import yaml  # noqa: E402

from ghlops.apply.applier import Status  # noqa: E402
from ghlops.client import DEFAULT_BASE_URL  # noqa: E402
from ghlops.engine import Session, Target  # noqa: E402
from ghlops.manifest.loader import load_location  # noqa: E402
from ghlops.manifest.project import load_project  # noqa: E402
from ghlops.plan.planner import plan_location  # noqa: E402
from ghlops.resources import registry  # noqa: E402
from ghlops.resources.base import JSON, Ctx, DesiredItem, LiveItem  # noqa: E402
from ghlops.sandbox import RateLimit, Sandbox, make_server  # noqa: E402

PAGE_SIZE = 100  # the page size of GHL's paginated list endpoints that ghlops asks for
GHL_LIMIT = (100, 10.0)  # requests per window (seconds), per app and location
GHL_DAILY = 200_000
DEFAULT_PARALLELISM = 8  # ghlops' own default for --parallelism
LOC = "{{ location.name }}"  # the templated part of location-specific names
LEAD_EMAIL = "lead@bench.example"
CARRIER = "ShipFast"
COLLECTION = "bench"
STAGES = ["New", "Contacted", "Qualified", "Won"]
COUNTRIES = ["US", "CA", "GB", "DE", "FR", "ES", "IT", "NL", "BE", "SE", "NO", "DK", "FI", "IE"]
COUNTRIES += ["AT", "CH", "PT", "PL", "CZ", "AU", "NZ", "JP", "MX", "BR", "AR", "CL", "ZA", "IN"]
DATA_TYPES = ["TEXT", "LARGE_TEXT", "NUMERICAL", "DATE", "MONETORY"]

# API Versions of the endpoints the naive baseline calls (as in GHL's specs).
V_LOCATIONS = "2021-07-28"
V_CALENDARS = "2021-04-15"


# -- the generated fleet -----------------------------------------------------------------------


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
    (root / "bundles" / "base").mkdir(parents=True, exist_ok=True)
    project = {
        "version": 1,
        "defaults": {"bundles": ["bundles/base"]},
        "locations": [{"name": x.name, "id": x.id, "tokenEnv": x.token_env} for x in locations],
    }
    (root / "ghlops.yaml").write_text(yaml.dump(project, Dumper=_Dumper, sort_keys=False))
    items = manifest(m, LOC, lookups=lookups)
    bundle = yaml.dump(items, Dumper=_Dumper, sort_keys=False, width=1000)
    (root / "bundles" / "base" / "fleet.yaml").write_text(bundle)


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
    project = load_project(project_dir)
    first = locations[0]
    tokens = {x.id: x.token for x in locations}
    sb = Sandbox(db)
    index_objects_by_seq(db)
    try:
        for x in [*locations, PROBE]:
            sb.provision_location(x.id, name=x.name, token=x.token)
        sb.seed({"locations": {first.id: seed_data(m)}})
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
    return time.perf_counter() - started


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


# -- the sandbox server (a subprocess, as a user would run it) ---------------------------------


def ghlops_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "ghlops", *args]


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env["NO_COLOR"] = "1"
    env.pop("GHLOPS_BASE_URL", None)
    env.update(extra or {})
    return env


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str
    lines: queue.Queue[str] = field(default_factory=queue.Queue)

    def stop(self) -> tuple[int | None, int | None]:
        """Interrupt the server and return its own count of (requests, 429 answers)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            found = re.search(r"Stopped\. (\d+) requests, (\d+) refused", line)
            if found:
                return int(found.group(1)), int(found.group(2))
        return None, None


def _pump(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


@contextlib.contextmanager
def sandbox_server(
    db: Path, cwd: Path, latency: float, rate: tuple[int, float]
) -> Iterator[Server]:
    """``ghlops sandbox serve --port 0`` on ``db``; yields once it listens."""
    cmd = ghlops_cmd(
        "-C",
        str(cwd),
        "sandbox",
        "serve",
        "--port",
        "0",
        "--db",
        str(db),
        "--rate-limit",
        f"{rate[0]}/{rate[1]:g}s",
        "--daily-limit",
        str(GHL_DAILY),
        "--latency",
        f"{latency * 1000:g}ms",
    )
    process = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=child_env(),
        start_new_session=True,  # a Ctrl-C of the benchmark is ours to forward
    )
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + 60
    url = None
    while url is None and time.monotonic() < deadline and process.poll() is None:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        seen.append(line)
        found = re.search(r"listening on (http://\S+)", line)
        url = found.group(1) if found else None
    if url is None:
        process.kill()
        process.wait()
        raise RuntimeError("ghlops sandbox serve did not start:\n" + "".join(seen))
    server = Server(process, url, lines)
    try:
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


# -- 1 and 2: the fleet plan -------------------------------------------------------------------


def fleet_plan(
    project_dir: Path, url: str, locations: Sequence[Location], parallelism: int
) -> tuple[float, float, dict[str, Any]]:
    """``ghlops plan --json`` of the whole fleet: (wall seconds, CPU seconds of the ghlops
    process, the JSON plan)."""
    tokens = {x.token_env: x.token for x in locations}
    cmd = ghlops_cmd(
        "-C", str(project_dir), "plan", "--base-url", url, "--json", "-p", str(parallelism)
    )
    cpu_before = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        cmd, capture_output=True, text=True, env=child_env(tokens), timeout=3600, check=False
    )
    elapsed = time.perf_counter() - started
    cpu = _children_cpu() - cpu_before
    if done.returncode != 0:
        raise RuntimeError(
            f"ghlops plan exited {done.returncode}:\n{done.stderr[-3000:]}{done.stdout[-3000:]}"
        )
    plan: dict[str, Any] = json.loads(done.stdout)
    return elapsed, cpu, plan


def _children_cpu() -> float:
    """User + system CPU seconds of the finished child processes."""
    import resource  # POSIX only

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# -- 6: the naive baseline ---------------------------------------------------------------------


class NaiveReader:
    """Reads locations one after another with plain httpx: every list, then every object by id
    where the API has a GET-by-id. Waits out 429s (Retry-After) and counts them."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=60)
        self.calls = 0
        self.throttled = 0

    def close(self) -> None:
        self.http.close()

    def get(
        self, token: str, path: str, version: str, params: Mapping[str, Any] | None = None
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}", "Version": version}
        while True:
            self.calls += 1
            response = self.http.get(path, params=dict(params or {}), headers=headers)
            if response.status_code == 429:
                self.throttled += 1
                time.sleep(float(response.headers.get("Retry-After") or 1))
                continue
            response.raise_for_status()
            return response.json()

    def pages(
        self,
        token: str,
        path: str,
        version: str,
        params: Mapping[str, Any],
        items: Callable[[Any], list[Any]],
    ) -> list[Any]:
        found: list[Any] = []
        while True:
            body = self.get(
                token, path, version, {**params, "limit": PAGE_SIZE, "offset": len(found)}
            )
            page = items(body)
            found += page
            if len(page) < PAGE_SIZE:
                return found

    def read_location(self, loc: Location) -> int:
        """Every object of the location; returns how many managed objects it read."""
        tok, lid = loc.token, loc.id
        store = {"altId": lid, "altType": "location"}
        read = 0
        for kind, key in (("tags", "tags"), ("customFields", "customFields")):
            for obj in self.get(tok, f"/locations/{lid}/{kind}", V_LOCATIONS)[key]:
                self.get(tok, f"/locations/{lid}/{kind}/{obj['id']}", V_LOCATIONS)
                read += 1
        for obj in self.get(tok, f"/locations/{lid}/customValues", V_LOCATIONS)["customValues"]:
            self.get(tok, f"/locations/{lid}/customValues/{obj['id']}", V_LOCATIONS)
            read += 1
        at = {"locationId": lid}
        read += len(self.get(tok, "/calendars/groups", V_CALENDARS, at)["groups"])
        for obj in self.get(tok, "/calendars/", V_CALENDARS, at)["calendars"]:
            self.get(tok, f"/calendars/{obj['id']}", V_CALENDARS)
            read += 1
        self.get(tok, "/users/", V_LOCATIONS, at)
        redirect_path = "/funnels/lookup/redirect/list"
        read += len(self.pages(tok, redirect_path, V_LOCATIONS, at, lambda b: b["data"]["data"]))
        read += len(self.get(tok, "/opportunities/pipelines", V_LOCATIONS, at)["pipelines"])
        zone_path = "/store/shipping-zone"
        for zone in self.pages(tok, zone_path, V_LOCATIONS, store, lambda b: b["data"]):
            self.get(tok, f"{zone_path}/{zone['_id']}", V_LOCATIONS, store)
            rate_path = f"{zone_path}/{zone['_id']}/shipping-rate"
            for rate in self.pages(tok, rate_path, V_LOCATIONS, store, lambda b: b["data"]):
                self.get(tok, f"{rate_path}/{rate['_id']}", V_LOCATIONS, store)
                read += 1
            read += 1
        self.get(tok, "/store/shipping-carrier", V_LOCATIONS, store)
        for product in self.pages(tok, "/products/", V_LOCATIONS, at, lambda b: b["products"]):
            self.get(tok, f"/products/{product['_id']}", V_LOCATIONS, at)
            price_path = f"/products/{product['_id']}/price"
            for price in self.pages(tok, price_path, V_LOCATIONS, at, lambda b: b["prices"]):
                self.get(tok, f"{price_path}/{price['_id']}", V_LOCATIONS, at)
                read += 1
            read += 1
        collections = {"altId": lid, "altType": "location"}
        self.pages(tok, "/products/collections", V_LOCATIONS, collections, lambda b: b["data"])
        return read


def naive_baseline(url: str, sample: Sequence[Location]) -> dict[str, Any]:
    reader = NaiveReader(url)
    objects = 0
    started = time.perf_counter()
    try:
        for loc in sample:
            objects += reader.read_location(loc)
    finally:
        reader.close()
    elapsed = time.perf_counter() - started
    return {
        "locations": len(sample),
        "seconds": elapsed,
        "calls": reader.calls,
        "throttled": reader.throttled,
        "objects_read": objects,
    }


# -- 3: apply of C creates in one location -----------------------------------------------------


def apply_bench(
    work: Path, creates: int, limit: int, window: float, latency: float
) -> dict[str, Any]:
    """Plan and apply ``creates`` creates in one empty location through an in-thread sandbox
    that enforces ``limit`` requests per ``window`` seconds."""
    m = make_mix(creates, pipelines=False)
    loc = fleet_locations(1, prefix="Apply")[0]
    project_dir = work / "apply"
    write_project(project_dir, [loc], m)
    sb = Sandbox(None, rate_limit=RateLimit(limit, window, daily_limit=GHL_DAILY), latency=latency)
    for x in (loc, PROBE):
        sb.provision_location(x.id, name=x.name, token=x.token)
    sb.seed({"locations": {loc.id: seed_data(m)}})
    server = make_server(sb, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        per_call = probe(url, PROBE)
        project = load_project(project_dir)
        state = load_location(project, project.locations[0])
        target = Target(url, lambda _loc: loc.token, lambda _agency: "", describe=url)
        session = Session(project, target, parallelism=1)
        started = time.perf_counter()
        plan = session.plan([state])
        results = session.apply(plan)
        elapsed = time.perf_counter() - started
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    calls = sb.request_count(loc.id)
    throttled = sb.throttled_count(loc.id)
    sb.close()
    done = sum(r.count(Status.DONE) for r in results)
    floor = calls / limit * window
    effective = max(floor, calls * per_call)
    return {
        "creates_planned": plan.counts()["create"],
        "creates_done": done,
        "failed": [r.error or r.name for r in results if r.failed],
        "calls": calls,
        "throttled": throttled,
        "seconds": elapsed,
        "limit": limit,
        "window_seconds": window,
        "latency_ms": latency * 1000,
        "floor_seconds": floor,
        "latency_floor_seconds": calls * latency,
        "seconds_per_call_probed": per_call,
        "floor_effective_seconds": effective,
        "ratio": elapsed / floor,
        "ratio_effective": elapsed / effective,
    }


# -- 4: the planner on 100,000 in-memory resources ---------------------------------------------


class NoApi:
    """The planner benchmark's Api: any call is a bug (the synthetic items need no lookups)."""

    def request(
        self,
        method: str,
        path: str,
        *,
        version: str | None,
        params: Mapping[str, Any] | None = None,
        json: JSON = None,
    ) -> JSON:
        raise AssertionError(f"unexpected API call {method} {path}")

    def paginate(
        self,
        path: str,
        *,
        version: str | None,
        items: str,
        params: Mapping[str, Any] | None = None,
        page_size: int = 100,
        style: str = "offset",
    ) -> list[JSON]:
        raise AssertionError(f"unexpected API call GET {path}")


def live_raws(items: Items) -> dict[str, list[dict[str, Any]]]:
    """The objects GHL's list endpoints return for these manifest items (no lookups)."""
    counter = iter(range(10**9))

    def new_id(hex24: bool = False) -> str:
        n = next(counter)
        return f"{n:024x}" if hex24 else f"Syn{n:017d}"

    raws: dict[str, list[dict[str, Any]]] = {kind: [] for kind in registry.kinds()}
    raws["tags"] = [{"id": new_id(), "name": t["name"]} for t in items["tags"]]
    raws["customFields"] = [
        {"id": new_id(), "fieldKey": f"{f['model']}.field_{i}", **f}
        for i, f in enumerate(items["customFields"])
    ]
    raws["customValues"] = [{"id": new_id(), **v} for v in items["customValues"]]
    groups = {g["slug"]: new_id() for g in items["calendarGroups"]}
    raws["calendarGroups"] = [
        {"id": groups[g["slug"]], "isActive": True, **g} for g in items["calendarGroups"]
    ]
    raws["calendars"] = [
        {
            "id": new_id(),
            "groupId": groups[c["group"]],
            **{k: v for k, v in c.items() if k != "group"},
        }
        for c in items["calendars"]
    ]
    raws["redirects"] = [
        {"id": new_id(), "pathLowercase": r["path"].lower(), **r} for r in items["redirects"]
    ]
    raws["pipelines"] = [
        {
            "id": new_id(),
            "name": p["name"],
            "stages": [
                {"id": new_id(), "name": s, "position": n} for n, s in enumerate(p["stages"])
            ],
        }
        for p in items.get("pipelines", [])
    ]
    for zone in items["shippingZones"]:
        zone_id = new_id(hex24=True)
        raws["shippingZones"].append(
            {"_id": zone_id, "name": zone["name"], "countries": zone["countries"]}
        )
        for rate in zone["rates"]:
            raws["shippingRates"].append(
                {
                    "_id": new_id(hex24=True),
                    "shippingZoneId": zone_id,
                    "conditionType": "none",
                    "minCondition": 0,
                    "maxCondition": 0,
                    "isCarrierRate": False,
                    **rate,
                }
            )
    for product in items["products"]:
        product_id = new_id(hex24=True)
        raws["products"].append(
            {"_id": product_id, **{k: v for k, v in product.items() if k != "prices"}}
        )
        for price in product["prices"]:
            raws["prices"].append({"_id": new_id(hex24=True), "product": product_id, **price})
    return raws


def synthetic_location(
    resources: int,
) -> tuple[dict[str, list[DesiredItem]], dict[str, list[LiveItem]]]:
    """One location of ``resources`` resources, desired and live, built through the adapters
    (manifest models -> ``desired_item``; API objects -> ``live_items``), live equal to desired."""
    m = make_mix(resources)
    items = manifest(m, "synthetic", lookups=False)
    desired: dict[str, list[DesiredItem]] = {kind: [] for kind in registry.kinds()}
    for kind, specs in items.items():
        adapter = registry.get(kind)
        for fields in specs:
            item = adapter.desired_item(adapter.model.model_validate(fields))
            desired[kind].append(item)
            for child in item.children:
                desired[child.kind].append(child)
    live: dict[str, list[LiveItem]] = {}
    ctx = Ctx(NoApi(), "synthetic", live=live, desired=desired)
    raws = live_raws(items)
    for adapter in location_adapters():
        live[adapter.kind] = adapter.live_items(ctx, raws[adapter.kind])
    return desired, live


def location_adapters() -> list[Any]:
    return [a for a in registry.ADAPTERS.values() if a.scope == "location"]


def planner_child(resources: int, budget: float) -> dict[str, Any]:
    """The planner benchmark proper; run in a fresh process so its peak RSS is its own."""
    adapters = location_adapters()
    rss_before = _maxrss_mb()
    build_started = time.perf_counter()
    desired, live = synthetic_location(resources)
    build_seconds = time.perf_counter() - build_started
    rss_items = _maxrss_mb()
    count = sum(len(v) for v in desired.values())
    cpu: list[float] = []
    changes = 0
    while len(cpu) < 3 and sum(cpu) < budget:  # best of 3, or of what fits in the budget
        started = time.process_time()
        plan = plan_location("synthetic", "synthetic", adapters, desired, live)
        cpu.append(time.process_time() - started)
        changes = len(plan.changes)
        del plan
    rss_after = _maxrss_mb()
    best = min(cpu)
    return {
        "resources": count,
        "changes": changes,
        "build_seconds": build_seconds,
        "cpu_seconds": cpu,
        "us_per_resource": best / count * 1e6,
        "peak_rss_mb": rss_after,
        "rss_mb_after_imports": rss_before,
        "rss_mb_items": rss_items - rss_before,
        "rss_mb_items_and_plan": rss_after - rss_before,
    }


def planner_bench(resources: int, budget: float) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--planner-child",
            str(resources),
            "--planner-budget",
            str(budget),
        ],
        env=child_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the planner benchmark failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _maxrss_mb() -> float:
    import resource  # POSIX only

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 2**10


# -- 5: start-up -------------------------------------------------------------------------------


def best_of(cmd: Sequence[str], repeats: int, cwd: Path | None = None) -> float:
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, env=child_env(), capture_output=True, check=True, timeout=120)
        best = min(best, time.perf_counter() - started)
    return best


def import_breakdown(module: str, count: int = 6) -> dict[str, Any]:
    """Where the import time of ``module`` goes (``python -X importtime``): its direct imports
    and the third-party packages it pulls in, by cumulative milliseconds."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        env=child_env(),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    rows = []
    for line in done.stderr.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)", line)
        if found:
            depth = len(found.group(3)) // 2
            rows.append((found.group(4), depth, int(found.group(2)) / 1000))
    total = next((ms for name, depth, ms in rows if name == module and depth == 0), None)
    subtree: list[tuple[str, int, float]] = []
    pending: list[tuple[str, int, float]] = []
    for row in rows:  # post-order: a module's imports are listed just before it
        if row[1] == 0:
            if row[0] == module:
                subtree = pending
            pending = []
        else:
            pending.append(row)
    direct = [(name, ms) for name, depth, ms in subtree if depth == 1]
    skip = set(sys.stdlib_module_names) | {"ghlops"}
    third: dict[str, float] = {}
    for name, _depth, ms in subtree:
        top = name.split(".")[0]
        if name == top and top not in skip and not top.startswith("_") and ms >= 1:
            third[top] = max(third.get(top, 0.0), ms)

    def biggest(pairs: Sequence[tuple[str, float]]) -> list[dict[str, Any]]:
        ranked = sorted(pairs, key=lambda pair: -pair[1])[:count]
        return [{"module": name, "cumulative_ms": round(ms, 1)} for name, ms in ranked]

    return {
        "module": module,
        "total_ms": total,
        "direct": biggest(direct),
        "third_party": biggest(list(third.items())),
    }


def startup_bench(repeats: int, fleet_dir: Path) -> dict[str, Any]:
    dental = ROOT / "ghlops" / "examples" / "dental"
    fleet_started = time.perf_counter()
    subprocess.run(
        ghlops_cmd("-C", str(fleet_dir), "validate"),
        env=child_env(),
        capture_output=True,
        check=True,
        timeout=600,
    )
    fleet_validate = time.perf_counter() - fleet_started
    return {
        "python_bare_seconds": best_of([sys.executable, "-c", "pass"], repeats),
        "help_seconds": best_of(ghlops_cmd("--help"), repeats),
        "validate_seconds": best_of(ghlops_cmd("-C", str(dental), "validate"), repeats),
        "validate_project": "ghlops/examples/dental",
        "fleet_validate_seconds": fleet_validate,
        "repeats": repeats,
        "imports": import_breakdown("ghlops.cli.main"),
    }


# -- the report --------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor() or None
    return {
        "machine": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
        "cpu_model": model,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def verdict(met: bool | None) -> str:
    return "-" if met is None else ("met" if met else "MISSED")


def render_table(results: Mapping[str, Any]) -> str:
    head = ("measure", "value", "target", "")
    rows = [head] + [
        (r["measure"], r["value"], r["target"], verdict(r["met"])) for r in results["table"]
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def table_rows(r: Mapping[str, Any]) -> list[dict[str, Any]]:
    p, a, pl, s, b = r["plan"], r["apply"], r["planner"], r["startup"], r["baseline"]
    cfg = r["config"]
    throttled = p["throttled"]
    baseline_how = f"extrapolated from {b['locations']}" if b["extrapolated"] else "measured"
    return [
        {
            "measure": "API calls per location, no-change plan",
            "value": f"{p['calls_per_location_mean']:.2f} / minimum {p['minimum_per_location']}"
            f" = {p['calls_ratio']:.2f}",
            "target": "1.00",
            "met": p["calls_ratio_max"] <= 1.0 + 1e-9,
        },
        {
            "measure": f"Fleet plan wall time, {cfg['locations']} locations, -p {cfg['parallelism']}",
            "value": f"{p['seconds']:.1f} s / floor {p['floor_seconds']:.1f} s"
            f" = {ratio(p['wall_ratio'])}",
            "target": "<= 1.5",
            "met": None if p["wall_ratio"] is None else p["wall_ratio"] <= 1.5,
        },
        {
            "measure": "429 answers during the fleet plan",
            "value": "unknown" if throttled is None else str(throttled),
            "target": "0",
            "met": None if throttled is None else throttled == 0,
        },
        {
            "measure": f"Apply, {a['creates_planned']} creates in one location",
            "value": f"{a['seconds']:.2f} s / floor {a['floor_seconds']:.2f} s"
            f" = {a['ratio']:.2f}; {a['throttled']} x 429",
            "target": "<= 1.15, no 429",
            "met": a["ratio"] <= 1.15 and a["throttled"] == 0 and not a["failed"],
        },
        {
            "measure": f"Planner CPU per resource, {pl['resources']:,} resources",
            "value": f"{pl['us_per_resource']:.1f} us; peak RSS {pl['peak_rss_mb']:.0f} MB",
            "target": "<= 20 us",
            "met": pl["us_per_resource"] <= 20,
        },
        {
            "measure": f"ghlops --help start-up, best of {s['repeats']}",
            "value": f"{s['help_seconds']:.3f} s",
            "target": "<= 0.3 s",
            "met": s["help_seconds"] <= 0.3,
        },
        {
            "measure": f"ghlops validate start-up ({s['validate_project']})",
            "value": f"{s['validate_seconds']:.3f} s",
            "target": "-",
            "met": None,
        },
        {
            "measure": f"Naive baseline, the same fleet ({baseline_how})",
            "value": f"{b['fleet_seconds']:.0f} s = {b['speedup']:.1f} x ghlops' time",
            "target": "-",
            "met": None,
        },
    ]


def notes(r: Mapping[str, Any]) -> list[str]:
    """The details behind the table."""
    p, a, pl, s, b, cfg = (
        r["plan"],
        r["apply"],
        r["planner"],
        r["startup"],
        r["baseline"],
        r["config"],
    )
    imports = s["imports"]
    heavy = ", ".join(f"{i['module']} {i['cumulative_ms']:.0f}" for i in imports["third_party"][:4])
    return [
        f"plan floor: {p['total_calls']} calls x {cfg['latency_ms']:g} ms / {cfg['parallelism']};"
        f" a call took {p['seconds_per_call_probed'] * 1000:.1f} ms on one connection (probe),"
        f" so {p['floor_effective_seconds']:.1f} s at that pace (ratio"
        f" {p['wall_ratio_effective']:.2f}); the ghlops process used {p['cpu_seconds']:.1f} s CPU;"
        f" loading the fleet alone (ghlops validate) takes {s['fleet_validate_seconds']:.1f} s",
        f"apply floor: {a['calls']} calls / {a['limit']} per {a['window_seconds']:g} s (latency"
        f" {a['latency_ms']:g} ms); a call took {a['seconds_per_call_probed'] * 1000:.1f} ms, so"
        f" {a['floor_effective_seconds']:.2f} s at that pace one call after another (ratio"
        f" {a['ratio_effective']:.2f})",
        f"planner: best of {len(pl['cpu_seconds'])} run(s), {pl['build_seconds']:.1f} s to build"
        f" the items; {pl['rss_mb_items_and_plan']:.0f} MB RSS over the imports",
        f"start-up: bare python {s['python_bare_seconds']:.3f} s; import ghlops.cli.main"
        f" {imports['total_ms']:.0f} ms (heaviest packages, ms: {heavy})",
        f"baseline: {b['calls_per_location']:.1f} calls per location (ghlops:"
        f" {p['calls_per_location_mean']:.1f}), {b['seconds'] / b['locations']:.2f} s per location,"
        f" {b['throttled']} x 429",
    ]


# -- main --------------------------------------------------------------------------------------

FULL = {
    "locations": 500,
    "resources": 60,
    "latency": "50ms",
    "baseline_locations": 10,
    "planner_resources": 100_000,
    "apply_creates": 300,
    "repeats": 5,
    "planner_budget": 20.0,
}
QUICK = {
    "locations": 20,
    "resources": 30,
    "latency": "10ms",
    "baseline_locations": 5,
    "planner_resources": 5_000,
    "apply_creates": 100,
    "repeats": 3,
    "planner_budget": 3.0,
}
APPLY_WINDOW = 1.0  # seconds: GHL's 10 s window scaled down 10x (latency too)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark ghlops on a generated fleet against the sandbox (loopback only).",
    )
    parser.add_argument("--quick", action="store_true", help="a small run: " + str(QUICK))
    parser.add_argument(
        "--locations", type=int, help=f"locations in the fleet ({FULL['locations']})"
    )
    parser.add_argument(
        "--resources", type=int, help=f"resources per location ({FULL['resources']})"
    )
    parser.add_argument("--latency", help=f"sandbox latency per answer ({FULL['latency']})")
    parser.add_argument(
        "--parallelism", type=int, default=DEFAULT_PARALLELISM, help="ghlops plan -p (8)"
    )
    parser.add_argument(
        "--baseline-locations",
        type=int,
        help=f"locations the naive baseline reads, extrapolated to the fleet; 0 = all "
        f"({FULL['baseline_locations']})",
    )
    parser.add_argument(
        "--planner-resources",
        type=int,
        help=f"resources of the planner benchmark ({FULL['planner_resources']})",
    )
    parser.add_argument(
        "--apply-creates",
        type=int,
        help=f"creates of the apply benchmark ({FULL['apply_creates']})",
    )
    parser.add_argument("--repeats", type=int, help="start-up runs, best of (5)")
    parser.add_argument(
        "--planner-budget",
        type=float,
        help="seconds of planner CPU for its best-of-3 (stops early past it) (20)",
    )
    parser.add_argument("--planner-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "results.json", help="the JSON file"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary fleet folder")
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else FULL
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.locations < 1 or args.parallelism < 1:
        parser.error("--locations and --parallelism must be at least 1")
    for option, value in (
        ("--resources", args.resources),
        ("--apply-creates", args.apply_creates),
        ("--planner-resources", args.planner_resources),
    ):
        try:
            make_mix(value, pipelines=option != "--apply-creates")
        except ValueError as exc:
            parser.error(f"{option}: {exc}")
    return args


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    from ghlops.sandbox.middleware import parse_duration

    latency = parse_duration(args.latency)
    host = machine()  # the load average before the run
    m = make_mix(args.resources)
    locations = fleet_locations(args.locations)
    fleet_dir, db, empty = work / "fleet", work / "fleet.sqlite3", work / "empty"
    empty.mkdir()
    config = {
        "locations": args.locations,
        "resources_per_location": m.total,
        "resources_by_kind": m.counts(),
        "latency_ms": latency * 1000,
        "rate_limit": f"{GHL_LIMIT[0]}/{GHL_LIMIT[1]:g}s",
        "daily_limit": GHL_DAILY,
        "parallelism": args.parallelism,
        "quick": args.quick,
    }

    log(f"building a fleet of {args.locations} locations x {m.total} resources")
    setup_seconds = build_fleet(db, fleet_dir, locations, m)
    log(f"fleet ready in {setup_seconds:.1f} s; starting ghlops sandbox serve")

    sample_size = args.baseline_locations or args.locations
    sample = locations[: min(sample_size, args.locations)]
    probe_calls = 21
    with sandbox_server(db, empty, latency, GHL_LIMIT) as server:
        per_call = probe(server.url, PROBE, probe_calls - 1)
        log(
            f"sandbox at {server.url}: {per_call * 1000:.1f} ms per call (latency "
            f"{latency * 1000:g} ms); ghlops plan of the fleet (-p {args.parallelism})"
        )
        plan_seconds, plan_cpu, plan = fleet_plan(
            fleet_dir, server.url, locations, args.parallelism
        )
        log(f"plan took {plan_seconds:.1f} s; naive baseline on {len(sample)} location(s)")
        baseline = naive_baseline(server.url, sample)
        log(f"baseline took {baseline['seconds']:.1f} s")
        server_requests, server_throttled = server.stop()

    minimum = minimum_calls(m)
    per_min = sum(minimum.values())
    calls = [int(loc["api_calls"]) for loc in plan["locations"]]
    total_calls = sum(calls)
    floor = total_calls * latency / args.parallelism
    floor_effective = total_calls * per_call / args.parallelism
    throttled = None if server_throttled is None else server_throttled - baseline["throttled"]
    plan_result = {
        "seconds": plan_seconds,
        "cpu_seconds": plan_cpu,
        "total_calls": total_calls,
        "calls_per_location_mean": total_calls / len(calls),
        "calls_per_location_min": min(calls),
        "calls_per_location_max": max(calls),
        "minimum_per_location": per_min,
        "minimum_by_kind": minimum,
        "calls_ratio": total_calls / (per_min * len(calls)),
        "calls_ratio_max": max(calls) / per_min,
        "floor_seconds": floor,
        "wall_ratio": plan_seconds / floor if floor else None,
        "seconds_per_call_probed": per_call,
        "floor_effective_seconds": floor_effective,
        "wall_ratio_effective": plan_seconds / floor_effective,
        "probe_calls": probe_calls,
        "throttled": throttled,
        "server_requests": server_requests,
        "locations_planned": plan["summary"]["locations"],
        "locations_with_changes": plan["summary"]["locations_with_changes"],
        "locations_failed": plan["summary"]["locations_failed"],
        "summary": plan["summary"],
    }
    fleet_baseline = baseline["seconds"] / len(sample) * args.locations
    baseline_result = {
        **baseline,
        "objects_expected": m.total * len(sample),
        "calls_per_location": baseline["calls"] / len(sample),
        "extrapolated": len(sample) < args.locations,
        "fleet_seconds": fleet_baseline,
        "speedup": fleet_baseline / plan_seconds,
    }

    window_scale = APPLY_WINDOW / GHL_LIMIT[1]
    log(
        f"apply of {args.apply_creates} creates at {GHL_LIMIT[0]}/{APPLY_WINDOW:g}s, "
        f"latency {latency * window_scale * 1000:g} ms"
    )
    apply_result = apply_bench(
        work, args.apply_creates, GHL_LIMIT[0], APPLY_WINDOW, latency * window_scale
    )
    log(f"planner on {args.planner_resources:,} resources")
    planner = planner_bench(args.planner_resources, args.planner_budget)
    log("start-up times")
    startup = startup_bench(args.repeats, fleet_dir)

    results: dict[str, Any] = {
        "format_version": 1,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {**host, "load_average_after": machine()["load_average"]},
        "config": config,
        "setup_seconds": setup_seconds,
        "plan": plan_result,
        "apply": apply_result,
        "planner": planner,
        "startup": startup,
        "baseline": baseline_result,
    }
    results["table"] = table_rows(results)
    results["targets_met"] = all(r["met"] for r in results["table"] if r["met"] is not None)
    problems = sanity_problems(results)
    results["problems"] = problems
    return results


def sanity_problems(r: Mapping[str, Any]) -> list[str]:
    """What makes the figures meaningless (rather than merely slow)."""
    p, a, b, pl = r["plan"], r["apply"], r["baseline"], r["planner"]
    problems = []
    if p["locations_with_changes"] or p["locations_failed"]:
        problems.append(
            f"the fleet plan is not a no-change plan: {p['locations_with_changes']} location(s) "
            f"with changes, {p['locations_failed']} failed"
        )
    expected = p["total_calls"] + b["calls"] + p["probe_calls"]
    if p["server_requests"] is not None and p["server_requests"] != expected:
        problems.append(
            f"the server counted {p['server_requests']} requests; the plan reported "
            f"{p['total_calls']}, the baseline made {b['calls']} and the probe {p['probe_calls']}"
        )
    if b["objects_read"] != b["objects_expected"]:
        problems.append(
            f"the baseline read {b['objects_read']} objects, expected {b['objects_expected']}"
        )
    if a["creates_done"] != a["creates_planned"] or a["failed"]:
        problems.append(f"the apply did {a['creates_done']} of {a['creates_planned']} creates")
    if pl["changes"]:
        problems.append(f"the synthetic planner location is not unchanged ({pl['changes']})")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.planner_child:
        print(json.dumps(planner_child(args.planner_child, args.planner_budget)))
        return 0
    if args.keep:
        work = Path(tempfile.mkdtemp(prefix="ghlops-bench-"))
        log(f"working in {work} (kept)")
        results = run(args, work)
    else:
        with tempfile.TemporaryDirectory(prefix="ghlops-bench-") as tmp:
            results = run(args, Path(tmp))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    mach = results["machine"]
    print()
    print(
        f"ghlops fleet benchmark: {mach['machine']}, {mach['cpu_model']} ({mach['cpus']} CPUs), "
        f"Python {mach['python']}"
    )
    cfg = results["config"]
    print(
        f"fleet: {cfg['locations']} locations x {cfg['resources_per_location']} resources, "
        f"latency {cfg['latency_ms']:g} ms, limits {cfg['rate_limit']} and {cfg['daily_limit']}/day"
    )
    print()
    print(render_table(results))
    print()
    for line in notes(results):
        print(f"- {line}")
    print()
    for problem in results["problems"]:
        print(f"PROBLEM: {problem}")
    print(f"Written to {args.out}")
    return 1 if results["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
