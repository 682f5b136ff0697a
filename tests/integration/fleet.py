"""A fleet project with every kind ghlops writes, for the fault, crash and secret tests.

``write_fleet`` writes ghlops.yaml (N locations and the agency; pipelines writable; tags and
custom values pruned) and the bundles of ghlops/examples/dental; ``seed_fleet`` puts into a sandbox what
the GHL UI would hold (users, carriers, collections) plus objects the apply must keep, update or
delete; ``check_fleet`` reads the sandbox's store directly and lists every duplicate, every
missing object and every object lost.
"""

from __future__ import annotations

import functools
import shutil
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

import ghlops.client.client
from ghlops.client.client import RetryPolicy
from ghlops.sandbox import Sandbox
from tests.helpers.cli import EXAMPLES

FAST = RetryPolicy(attempts=5, base_delay=0.01, max_delay=0.05, budget=10.0)


def use_fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default retry policy of every client made in this process, with short backoffs
    (the same attempts; only the waits are shorter), for CLI runs in the tests."""
    fast = functools.partial(
        RetryPolicy, base_delay=FAST.base_delay, max_delay=FAST.max_delay, budget=FAST.budget
    )
    monkeypatch.setattr(ghlops.client.client, "RetryPolicy", fast)


COMPANY = "FleetAgencyCompany01"
AGENCY_ENV = "GHL_FLEET_AGENCY"
AGENCY_TOKEN = "pit-fleet-agency-token-000001"
LEGACY_FIELD = "Legacy Intake Notes"  # unmanaged custom field: must survive every apply
OLD_TAG = "old-promo"  # live-only tag: pruned
KEPT_TAG = "new-patient"  # declared and already live: keeps its id


def location_id(i: int) -> str:
    return f"Fl33tL0cat10n{i:07d}"


def token_env(i: int) -> str:
    return f"GHL_FLEET_{i}"


def token(i: int) -> str:
    return f"pit-fleet-location-token-{i:06d}"


def tokens(n: int) -> dict[str, str]:
    """The environment a run over HTTP needs: every location's token and the agency's."""
    return {**{token_env(i): token(i) for i in range(n)}, AGENCY_ENV: AGENCY_TOKEN}


def write_fleet(root: Path, n: int, *, kinds: str = "all") -> Path:
    """A project of ``n`` clinics in ``root``; ``kinds="core"`` keeps tags, custom fields and
    custom values only (cheap, for loops that run it many times)."""
    root.mkdir(parents=True, exist_ok=True)
    bundles = root / "bundles" / "base"
    bundles.mkdir(parents=True, exist_ok=True)
    source = EXAMPLES / "dental" / "bundles" / "base"
    names = ["crm.yaml"] if kinds == "core" else ["crm.yaml", "scheduling.yaml", "store.yaml"]
    for name in names:
        shutil.copy(source / name, bundles / name)
    lines = [
        "version: 1",
        *(
            []
            if kinds == "core"
            else ["agency:", f"  companyId: {COMPANY}", f"  tokenEnv: {AGENCY_ENV}"]
        ),
        "defaults:",
        "  vars: {brand: Smile Dental, domain: smiledental.example}",
        "  bundles: [bundles/base]",
        "policy:",
        "  prune: [tags, customValues]",
        *([] if kinds == "core" else ["  pipelines: write"]),
        "locations:",
    ]
    for i in range(n):
        lines += [
            f"  - name: clinic-{i}",
            f"    id: {location_id(i)}",
            f"    tokenEnv: {token_env(i)}",
            f"    vars: {{city: City {i}, slug: clinic-{i}, phone: '+1 555 01{i:02d}', "
            f"lead_dentist: dentist{i}@smiledental.example}}",
        ]
    (root / "ghlops.yaml").write_text("\n".join(lines) + "\n")
    return root


def seed_fleet(sb: Sandbox, n: int, *, kinds: str = "all") -> dict[str, str]:
    """Provision the fleet (tokens as in :func:`tokens`) and seed it; returns the ids of the
    seeded objects that must survive, by ``"<location>/<kind>/<name>"``."""
    if kinds != "core":
        sb.provision_agency(COMPANY, token=AGENCY_TOKEN)
    locations: dict[str, Any] = {}
    for i in range(n):
        loc = location_id(i)
        sb.provision_location(
            loc, name=f"clinic-{i}", token=token(i), company_id=None if kinds == "core" else COMPANY
        )
        seeded: dict[str, Any] = {
            "tags": [{"name": KEPT_TAG}, {"name": OLD_TAG}],
            "customFields": [
                {
                    "name": LEGACY_FIELD,
                    "dataType": "LARGE_TEXT",
                    "model": "contact",
                    "fieldKey": "contact.legacy_intake_notes",
                }
            ],
            "customValues": [
                {
                    "name": "Clinic Phone",
                    "value": "+1 555 9999 (old)",
                    "fieldKey": "{{ custom_values.clinic_phone }}",
                }
            ],
        }
        if kinds != "core":
            seeded |= {
                "users": [{"email": f"dentist{i}@smiledental.example", "firstName": "D"}],
                "shippingCarriers": [{"name": "ShipFast", "callbackUrl": "https://ship.example"}],
                "productCollections": [{"name": "Cosmetic", "slug": "cosmetic"}],
            }
        locations[loc] = seeded
    created = sb.seed({"locations": locations})
    keep: dict[str, str] = {}
    for i in range(n):
        loc = location_id(i)
        keep[f"{loc}/tags/{KEPT_TAG}"] = created[f"{loc}/tags"][0]
        keep[f"{loc}/customFields/{LEGACY_FIELD}"] = created[f"{loc}/customFields"][0]
        keep[f"{loc}/customValues/Clinic Phone"] = created[f"{loc}/customValues"][0]
    return keep


# -- reading the store directly -----------------------------------------------------------------

KEYS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "tags": lambda o: str(o["name"]),
    "customFields": lambda o: f"{o.get('model', 'contact')}:{o['name']}",
    "customValues": lambda o: str(o["name"]),
    "calendarGroups": lambda o: str(o["slug"]),
    "calendars": lambda o: str(o["slug"]),
    "pipelines": lambda o: str(o["name"]),
    "redirects": lambda o: f"{o['domain']}{o['path']}",
    "shippingZones": lambda o: str(o["name"]),
    "products": lambda o: str(o["slug"]),
}


def store_keys(sb: Sandbox, loc: str, kinds: str = "all") -> dict[str, list[str]]:
    """Natural keys of every stored object of the location, by kind (duplicates kept)."""
    wanted = ["tags", "customFields", "customValues"] if kinds == "core" else list(KEYS)
    found = {kind: sorted(KEYS[kind](o) for o in sb.objects(loc, kind)) for kind in wanted}
    if kinds != "core":
        zones = {str(z["_id"]): str(z["name"]) for z in sb.objects(loc, "shippingZones")}
        products = {str(p["_id"]): str(p["slug"]) for p in sb.objects(loc, "products")}
        found["shippingRates"] = sorted(
            f"{zones.get(str(r['shippingZoneId']), '?')}/{r['name']}"
            for r in sb.objects(loc, "shippingRates")
        )
        found["prices"] = sorted(
            f"{products.get(str(p['product']), '?')}/{p['name']}" for p in sb.objects(loc, "prices")
        )
    return found


def expected_keys(i: int, kinds: str = "all") -> dict[str, list[str]]:
    """What the store must hold for clinic ``i`` once the fleet has converged."""
    slug = f"clinic-{i}"
    keys: dict[str, list[str]] = {
        "tags": sorted(["new-patient", "recall-due", "invisalign-lead", f"{slug}-patient"]),
        "customFields": sorted(
            [
                "contact:Date of Last Cleaning",
                "contact:Insurance Provider",
                "opportunity:Treatment Plan Value",
                f"contact:{LEGACY_FIELD}",
            ]
        ),
        "customValues": sorted(["Clinic Name", "Clinic Phone", "Booking URL"]),
    }
    if kinds == "core":
        return keys
    keys |= {
        "calendarGroups": [f"{slug}-general"],
        "calendars": sorted([f"{slug}-new-patient-exam", f"{slug}-cleaning"]),
        "pipelines": sorted(["Patient Journey", "Recall"]),
        "redirects": [f"{slug}.smiledental.example/whitening-offer"],
        "shippingZones": ["Domestic"],
        "products": sorted(["teeth-whitening", "smile-care-plan", "electric-toothbrush"]),
        "shippingRates": sorted(
            ["Domestic/Standard", "Domestic/Free over $100", "Domestic/Express"]
        ),
        "prices": sorted(
            [
                "teeth-whitening/Single session",
                "smile-care-plan/Monthly",
                "smile-care-plan/Yearly",
                "electric-toothbrush/Standard",
            ]
        ),
    }
    return keys


def check_fleet(sb: Sandbox, n: int, keep: Mapping[str, str], *, kinds: str = "all") -> list[str]:
    """Every way the store differs from the converged fleet: duplicates, missing objects,
    objects that should not be there, seeded objects lost or replaced. Empty when right."""
    problems: list[str] = []
    for i in range(n):
        loc = location_id(i)
        have = store_keys(sb, loc, kinds)
        want = expected_keys(i, kinds)
        for kind, keys in want.items():
            dupes = sorted(k for k, c in Counter(have[kind]).items() if c > 1)
            if dupes:
                problems.append(f"clinic-{i} {kind}: duplicates {dupes}")
            missing = sorted(set(keys) - set(have[kind]))
            extra = sorted(set(have[kind]) - set(keys))
            if missing:
                problems.append(f"clinic-{i} {kind}: missing {missing}")
            if extra:
                problems.append(f"clinic-{i} {kind}: unexpected {extra}")
        phone = [o for o in sb.objects(loc, "customValues") if o["name"] == "Clinic Phone"]
        if phone and phone[0]["value"] != f"+1 555 01{i:02d}":
            problems.append(f"clinic-{i}: Clinic Phone is {phone[0]['value']!r}")
    for where, object_id in keep.items():
        loc, kind, _name = where.split("/", 2)
        ids = {str(o.get("id") or o.get("_id")) for o in sb.objects(loc, kind)}
        if object_id not in ids:
            problems.append(f"{where}: the seeded object {object_id} was lost or replaced")
    if kinds != "core":
        menus = Counter(str(m["title"]) for m in sb.objects(COMPANY, "customMenus"))
        if menus != Counter({"Patient Portal": 1}):
            problems.append(f"agency custom menus: {dict(menus)}")
    return problems


def all_kinds() -> Sequence[str]:
    return [*KEYS, "shippingRates", "prices", "customMenus"]


def use_agency_oauth(root: Path) -> None:
    """Switch a one-clinic project (:func:`write_fleet`) to the agency's OAuth app: client id and
    secret from $CID and $CSECRET, the refresh token in .secrets/refresh, and the clinic's token
    exchanged from the agency's."""
    text = (root / "ghlops.yaml").read_text()
    (root / "ghlops.yaml").write_text(
        text.replace(
            "defaults:",
            f"agency:\n  companyId: {COMPANY}\n  oauth: {{clientIdEnv: CID, clientSecretEnv: "
            "CSECRET, refreshTokenFile: .secrets/refresh}\ndefaults:",
        ).replace(f"    tokenEnv: {token_env(0)}\n", "")
    )
