"""Location custom fields (apps/locations.json): CRUD, fieldKey rules, hidden request fields,
the ``model`` filter, and validation; every answer spec-checked."""

from __future__ import annotations

import httpx
import pytest

from ghlops.sandbox import Sandbox
from tests.helpers.sandbox import LOC

FIELDS = f"/locations/{LOC}/customFields"


def create(client: httpx.Client, **body: object) -> dict[str, object]:
    response = client.post(FIELDS, json=body)
    assert response.status_code == 201, response.text
    field = response.json()["customField"]
    assert isinstance(field, dict)
    return field


def test_create_returns_201_with_schema_fields_and_defaults(client: httpx.Client) -> None:
    field = create(client, name="Pin Code", dataType="TEXT", placeholder="Pin")
    assert field == {
        "id": field["id"],
        "name": "Pin Code",
        "fieldKey": "contact.pin_code",
        "placeholder": "Pin",
        "dataType": "TEXT",
        "position": 0,
        "picklistOptions": [],
        "picklistImageOptions": [],
        "isAllowedCustomOption": False,
        "isMultiFileAllowed": False,
        "locationId": LOC,
        "model": "contact",
    }
    assert "maxFileLimit" not in field  # omitted unless maxNumberOfFiles was sent


def test_file_options_are_mapped_and_write_only_fields_hidden(
    client: httpx.Client, sb: Sandbox
) -> None:
    field = create(
        client,
        name="Contract",
        dataType="FILE_UPLOAD",
        model="opportunity",
        position=3,
        isMultipleFile=True,
        maxNumberOfFiles=4,
        acceptedFormat=[".pdf", ".docx"],
        textBoxListOptions=[{"label": "a", "prefillValue": "b"}],
    )
    assert field["fieldKey"] == "opportunity.contract"
    assert field["model"] == "opportunity"
    assert field["position"] == 3
    assert field["isMultiFileAllowed"] is True
    assert field["maxFileLimit"] == 4
    for hidden in ("acceptedFormat", "textBoxListOptions", "isMultipleFile", "maxNumberOfFiles"):
        assert hidden not in field
    stored = sb.objects(LOC, "customFields")
    assert stored == [field]
    assert client.get(f"{FIELDS}/{field['id']}").json() == {"customField": field}


def test_field_key_collision_gets_suffixes(client: httpx.Client) -> None:
    keys = [create(client, name="Pin code", dataType="TEXT")["fieldKey"] for _ in range(3)]
    assert keys == ["contact.pin_code", "contact.pin_code_1", "contact.pin_code_2"]
    # Keys are per model: the same name on opportunities does not collide.
    assert create(client, name="Pin code", dataType="TEXT", model="opportunity")["fieldKey"] == (
        "opportunity.pin_code"
    )


def test_field_key_snake_cases_punctuation(client: httpx.Client) -> None:
    field = create(client, name="  Favourite Colour (2nd)?! ", dataType="TEXT")
    assert field["fieldKey"] == "contact.favourite_colour_2nd"


def test_undocumented_create_properties_are_accepted(client: httpx.Client) -> None:
    # GHL issue #300: parentId, fieldKey and description work although undocumented.
    field = create(
        client,
        name="Test Field",
        dataType="TEXT",
        fieldKey="test_field_custom",
        parentId="OBtitTvkSkS5SOneXRzL",
        description="Just a test field.",
    )
    assert field["fieldKey"] == "contact.test_field_custom"
    assert "parentId" not in field and "description" not in field  # not in CustomFieldSchema
    explicit = create(client, name="Other", dataType="TEXT", fieldKey="contact.explicit_key")
    assert explicit["fieldKey"] == "contact.explicit_key"


def test_requested_field_key_collision_is_400(client: httpx.Client) -> None:
    create(client, name="Pin", dataType="TEXT")
    response = client.post(FIELDS, json={"name": "X", "dataType": "TEXT", "fieldKey": "pin"})
    assert response.status_code == 400
    assert "contact.pin" in response.json()["message"]


def test_get_by_id_and_by_field_key(client: httpx.Client) -> None:
    field = create(client, name="Pincode", dataType="TEXT")
    assert client.get(f"{FIELDS}/{field['id']}").json() == {"customField": field}
    by_key = client.get(f"{FIELDS}/contact.pincode")
    assert by_key.status_code == 200
    assert by_key.json() == {"customField": field}
    missing = client.get(f"{FIELDS}/contact.nothing")
    assert missing.status_code == 404
    assert missing.json() == {"statusCode": 404, "message": "Custom field not found"}


def test_list_and_model_filter(client: httpx.Client) -> None:
    contact = create(client, name="A", dataType="TEXT")
    opportunity = create(client, name="B", dataType="TEXT", model="opportunity")
    assert client.get(FIELDS).json() == {"customFields": [contact, opportunity]}
    assert client.get(FIELDS, params={"model": "all"}).json()["customFields"] == [
        contact,
        opportunity,
    ]
    assert client.get(FIELDS, params={"model": "contact"}).json()["customFields"] == [contact]
    assert client.get(FIELDS, params={"model": "opportunity"}).json()["customFields"] == [
        opportunity
    ]


def test_model_query_enum_is_validated(client: httpx.Client) -> None:
    response = client.get(FIELDS, params={"model": "company"})
    assert response.status_code == 422
    assert response.json() == {
        "statusCode": 422,
        "message": ["model must be one of the following values: contact, opportunity, all"],
        "error": "Unprocessable Entity",
    }


def test_update_is_partial_and_rename_keeps_field_key(client: httpx.Client, sb: Sandbox) -> None:
    field = create(client, name="Pin Code", dataType="TEXT", placeholder="old", position=2)
    response = client.put(
        f"{FIELDS}/{field['id']}", json={"name": "Postal Code", "maxNumberOfFiles": 1}
    )
    assert response.status_code == 200
    updated = response.json()["customField"]
    assert updated == {**field, "name": "Postal Code", "maxFileLimit": 1}
    assert updated["fieldKey"] == "contact.pin_code"
    assert sb.objects(LOC, "customFields") == [updated]


def test_update_rejects_data_type(client: httpx.Client) -> None:
    field = create(client, name="Pin", dataType="TEXT")
    response = client.put(f"{FIELDS}/{field['id']}", json={"name": "Pin", "dataType": "NUMERICAL"})
    assert response.status_code == 422
    assert response.json()["message"] == ["property dataType should not exist"]
    assert client.get(f"{FIELDS}/{field['id']}").json()["customField"]["dataType"] == "TEXT"


def test_update_requires_name(client: httpx.Client) -> None:
    field = create(client, name="Pin", dataType="TEXT")
    response = client.put(f"{FIELDS}/{field['id']}", json={"placeholder": "x"})
    assert response.status_code == 422
    assert response.json()["message"] == ["name should not be empty", "name must be a string"]


def test_update_and_delete_do_not_accept_field_keys(client: httpx.Client) -> None:
    create(client, name="Pin", dataType="TEXT")
    assert client.put(f"{FIELDS}/contact.pin", json={"name": "x"}).status_code == 404
    assert client.delete(f"{FIELDS}/contact.pin").status_code == 404


def test_delete(client: httpx.Client, sb: Sandbox) -> None:
    field = create(client, name="Pin", dataType="TEXT")
    response = client.delete(f"{FIELDS}/{field['id']}")
    assert response.status_code == 200
    assert response.json() == {"succeded": True}
    assert client.get(FIELDS).json() == {"customFields": []}
    assert sb.objects(LOC, "customFields") == []
    assert client.delete(f"{FIELDS}/{field['id']}").status_code == 404


@pytest.mark.parametrize(
    ("body", "messages"),
    [
        (
            {"dataType": "TEXT"},
            ["name should not be empty", "name must be a string"],
        ),
        (
            {"name": "x"},
            ["dataType should not be empty", "dataType must be a string"],
        ),
        (
            {"name": "x", "dataType": "TEXT", "model": "company"},
            ["model must be one of the following values: contact, opportunity"],
        ),
        (
            {"name": "x", "dataType": "TEXT", "position": "1", "isMultipleFile": "yes"},
            [
                "isMultipleFile must be a boolean value",
                "position must be a number conforming to the specified constraints",
            ],
        ),
        (
            {"name": "x", "dataType": "TEXT", "acceptedFormat": [".pdf", 3]},
            ["each value in acceptedFormat must be a string"],
        ),
        (
            {"name": "x", "dataType": "TEXT", "textBoxListOptions": [{"label": 1, "x": 2}]},
            [
                "textBoxListOptions.0.property x should not exist",
                "textBoxListOptions.0.label must be a string",
            ],
        ),
        (
            {"name": "x", "dataType": "SINGLE_OPTIONS", "options": ["a", 2]},
            ["each value in options must be a string"],
        ),
    ],
)
def test_create_validation(
    client: httpx.Client, body: dict[str, object], messages: list[str]
) -> None:
    response = client.post(FIELDS, json=body)
    assert response.status_code == 422
    assert response.json() == {
        "statusCode": 422,
        "message": messages,
        "error": "Unprocessable Entity",
    }
