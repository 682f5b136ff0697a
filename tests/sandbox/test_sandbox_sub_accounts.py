"""A location's own record (apps/locations.json): GET /locations/{locationId} with a location or
an agency token, PUT only with the agency's; bodies validated and answers checked by the spec."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ghlops.sandbox import Sandbox
from tests.helpers.sandbox import (
    BASE_URL,
    LOC,
    OTHER_LOC,
    VERSION,
    check_unprocessable,
    make_client,
)

COMPANY = "PawsomePetsAgency01"
RECORD = f"/locations/{LOC}"


@pytest.fixture
def agency(sb: Sandbox) -> Iterator[httpx.Client]:
    sb.provision_location(LOC, name="Main", company_id=COMPANY)
    with make_client(sb.transport(), token=sb.provision_agency(COMPANY)) as c:
        yield c


def test_a_location_reads_its_own_record(client: httpx.Client, sb: Sandbox) -> None:
    answer = client.get(RECORD)
    assert answer.status_code == 200
    location = answer.json()["location"]
    assert location["id"] == LOC and location["name"] == "Main"
    assert location["business"] == {"name": "Main"}
    assert location["settings"] == {
        "allowDuplicateContact": False,
        "allowDuplicateOpportunity": False,
        "allowFacebookNameMerge": False,
        "disableContactTimezone": False,
    }
    sb.provision_location(OTHER_LOC)
    assert client.get(f"/locations/{OTHER_LOC}").status_code == 403


def test_only_an_agency_token_may_update_it(client: httpx.Client, agency: httpx.Client) -> None:
    body = {"companyId": COMPANY, "name": "Pawsome Springfield"}
    refused = client.put(RECORD, json=body)
    assert refused.status_code == 401
    assert refused.json()["message"] == "Token's user type mismatch!"
    done = agency.put(RECORD, json=body)
    assert done.status_code == 200
    assert done.json() == {"id": LOC, "companyId": COMPANY, "name": "Pawsome Springfield"}


def test_the_update_sets_fields_and_merges_settings(
    client: httpx.Client, agency: httpx.Client, sb: Sandbox
) -> None:
    first = {
        "companyId": COMPANY,
        "name": "Pawsome Springfield",
        "address": "742 Evergreen Terrace",
        "country": "US",
        "postalCode": "62704",
        "timezone": "America/Chicago",
        "website": "https://pawsomepets.example",
        "settings": {"allowDuplicateContact": True},
        "social": {"instagram": "https://instagram.com/pawsome"},
    }
    assert agency.put(RECORD, json=first).status_code == 200
    second = {"companyId": COMPANY, "settings": {"disableContactTimezone": True}}
    assert agency.put(RECORD, json=second).status_code == 200
    location = client.get(RECORD).json()["location"]
    assert location["address"] == "742 Evergreen Terrace" and location["postalCode"] == "62704"
    assert location["business"]["timezone"] == "America/Chicago"
    assert location["settings"]["allowDuplicateContact"] is True
    assert location["settings"]["disableContactTimezone"] is True
    assert location["social"] == {"instagram": "https://instagram.com/pawsome"}
    # a later provisioning (each embedded-sandbox run) keeps the name the PUT set
    sb.provision_location(LOC, name="Main", company_id=COMPANY)
    assert client.get(RECORD).json()["location"]["name"] == "Pawsome Springfield"


def test_bodies_are_validated_by_the_spec(sb: Sandbox, agency: httpx.Client) -> None:
    token = sb.provision_agency(COMPANY)
    with httpx.Client(
        transport=sb.transport(),
        base_url=BASE_URL,
        headers={"Authorization": f"Bearer {token}", "Version": VERSION},
        event_hooks={"response": [check_unprocessable]},
    ) as invalid:
        refused_bodies(invalid)


def refused_bodies(agency: httpx.Client) -> None:
    no_company = agency.put(RECORD, json={"name": "X"})
    assert no_company.status_code == 400
    assert "companyId should not be empty" in no_company.json()["message"]
    bad_country = agency.put(RECORD, json={"companyId": COMPANY, "country": "USA"})
    assert bad_country.status_code == 400
    assert bad_country.json()["message"][0].startswith("country must be one of the following")
    other = agency.put(RECORD, json={"companyId": "AnotherAgency", "name": "X"})
    assert other.status_code == 400
    assert other.json()["message"] == "companyId is not the agency of this location"
    extra = agency.put(RECORD, json={"companyId": COMPANY, "brandColor": "red"})
    assert extra.status_code == 400
    assert extra.json()["message"] == ["property brandColor should not exist"]
