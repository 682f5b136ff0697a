"""Live objects back to manifest items: the generic rules and each adapter's own."""

from __future__ import annotations

from typing import Any

import pytest

from ghlops.export.single import ExportedItem, mask_item
from ghlops.export.values import Masked
from ghlops.models import Calendar, CustomMenuLink, Pipeline, ShippingRate
from ghlops.resources import registry
from ghlops.resources.base import ExportCtx, ExportSkip, LiveItem
from ghlops.resources.calendars import LIVE_DEFAULTS
from ghlops.resources.exporting import manifest_fields, same_value


def live(kind: str, fields: dict[str, Any], key: str = "k") -> LiveItem:
    return LiveItem(kind, key, "id1", fields, ())


def export(kind: str, fields: dict[str, Any], ctx: ExportCtx | None = None) -> dict[str, Any]:
    return registry.get(kind).export_item(live(kind, fields), ctx or ExportCtx())


def test_generic_rules_keep_model_fields_and_drop_defaults_nones_and_empties() -> None:
    fields = {
        "title": "Portal",
        "url": "https://p.example",
        "icon": {"name": "tooth", "fontFamily": "fas", "extra": 1},
        "openMode": "iframe",  # the model's default
        "showOnLocation": True,  # the model's default
        "showOnCompany": True,
        "allowCamera": None,
        "locations": ["X"],  # not a manifest field
        "order": 3,  # response only
    }
    assert manifest_fields(CustomMenuLink, fields) == {
        "title": "Portal",
        "url": "https://p.example",
        "icon": {"name": "tooth", "fontFamily": "fas"},
        "showOnCompany": True,
    }


def test_whole_floats_become_ints_and_nested_models_follow_the_rules() -> None:
    fields = {
        "name": "C",
        "slotDuration": 30.0,
        "teamMembers": [{"user": "u1", "priority": 0.5, "isPrimary": False}],
        "openHours": [],
        "description": "",
    }
    item = manifest_fields(Calendar, fields)
    assert item == {"name": "C", "slotDuration": 30, "teamMembers": [{"user": "u1"}]}
    assert type(item["slotDuration"]) is int
    Calendar.model_validate(item)


def test_defaults_compare_numbers_by_value_but_never_booleans_with_numbers() -> None:
    assert same_value(1, 1.0) and same_value(0.5, 0.5)
    assert not same_value(True, 1) and not same_value(0, False)
    zero = {"name": "r", "currency": "USD", "amount": 1.0, "minCondition": 0.0}
    assert manifest_fields(ShippingRate, zero) == {"name": "r", "currency": "USD", "amount": 1}


def test_calendars_drop_documented_defaults_and_name_members_by_email() -> None:
    ctx = ExportCtx(
        lookups={"groups": {"general"}, "emails": {"u1": "ana@x.example"}},
    )
    item = export(
        "calendars",
        {
            **LIVE_DEFAULTS,
            "name": "Cleaning",
            "slug": "cleaning",
            "slotDuration": 45,
            "group": "general",
            "teamMembers": [
                {"user": "u1", "priority": 1, "isPrimary": True},
                {"user": "u9", "priority": 0.5, "isPrimary": False},
            ],
        },
        ctx,
    )
    assert item == {
        "name": "Cleaning",
        "slug": "cleaning",
        "group": "general",
        "teamMembers": [
            {"user": "ana@x.example", "priority": 1, "isPrimary": True},
            {"user": "u9"},
        ],
        "slotDuration": 45,
    }
    assert ctx.notes == []


def test_a_calendar_group_that_is_gone_is_left_out_with_a_note() -> None:
    ctx = ExportCtx(lookups={"groups": {"general"}})
    item = export("calendars", {"name": "C", "group": "Zx81groupIdThatIsGone"}, ctx)
    assert "group" not in item
    assert ctx.notes == [
        "calendar 'k': its group Zx81groupIdThatIsGone is not a calendar group of the location; "
        "left out"
    ]


def test_custom_fields_drop_the_field_key_ghl_derives_and_keep_a_chosen_one() -> None:
    base = {"model": "contact", "dataType": "TEXT", "position": 0, "isMultipleFile": False}
    derived = export("customFields", {**base, "name": "Pet Name!", "fieldKey": "contact.pet_name"})
    assert derived == {"name": "Pet Name!", "dataType": "TEXT"}
    chosen = export("customFields", {**base, "name": "Pet", "fieldKey": "contact.animal"})
    assert chosen == {"name": "Pet", "dataType": "TEXT", "fieldKey": "contact.animal"}
    other = export(
        "customFields",
        {**base, "model": "opportunity", "name": "Value", "fieldKey": "opportunity.value"},
    )
    assert other == {"name": "Value", "model": "opportunity", "dataType": "TEXT"}


def test_shipping_rates_say_is_carrier_rate_only_when_it_disagrees() -> None:
    defaults = {"conditionType": "none", "minCondition": 0, "maxCondition": 0}
    flat = {"name": "F", "currency": "USD", "amount": 5, **defaults, "isCarrierRate": False}
    assert export("shippingRates", flat) == {"name": "F", "currency": "USD", "amount": 5}
    carrier = {**flat, "isCarrierRate": True, "carrier": "ShipFast"}
    assert export("shippingRates", carrier)["carrier"] == "ShipFast"
    assert "isCarrierRate" not in export("shippingRates", carrier)
    with pytest.raises(ExportSkip, match="carrier 0123abc is not installed"):
        export("shippingRates", {**carrier, "carrier": "(missing 0123abc)"})


def test_products_leave_out_collections_they_cannot_name() -> None:
    ctx = ExportCtx()
    item = export(
        "products",
        {"name": "P", "productType": "SERVICE", "collections": ["id:0a1b", "summer"]},
        ctx,
    )
    assert item == {"name": "P", "productType": "SERVICE"}
    assert ctx.notes == [
        "product 'k': collections left out: id:0a1b match no product collection of the location"
    ]


def test_pipelines_leave_out_the_default_chart_flags() -> None:
    fields = {
        "name": "Sales",
        "stages": ["New", "Won"],
        "showInFunnel": True,
        "showInPieChart": False,
    }
    assert export("pipelines", fields) == {
        "name": "Sales",
        "stages": ["New", "Won"],
        "showInPieChart": False,
    }


def test_calendar_groups_and_links_drop_api_defaults() -> None:
    group = {"name": "G", "slug": "g", "description": "d", "isActive": True}
    assert export("calendarGroups", group) == {"name": "G", "slug": "g", "description": "d"}
    link = {
        "title": "T",
        "url": "https://t.example",
        "icon": {"name": "a", "fontFamily": "fas"},
        "allowCamera": False,
        "allowMicrophone": True,
    }
    assert export("customMenuLinks", link) == {
        "title": "T",
        "url": "https://t.example",
        "icon": {"name": "a", "fontFamily": "fas"},
        "allowMicrophone": True,
    }


def test_secret_looking_values_are_masked_and_the_rest_is_kept() -> None:
    item = ExportedItem(
        "customValues",
        "Stripe API Key",
        {"name": "Stripe API Key", "value": "not-random-at-all"},
    )
    masked, paths = mask_item(item)
    assert isinstance(masked.fields["value"], Masked)
    assert masked.fields["name"] == "Stripe API Key"
    assert paths == ["value"]
    hook = ExportedItem(
        "customValues", "Hook", {"name": "Hook", "value": "https://h.example/x?token=abc123"}
    )
    assert mask_item(hook)[1] == ["value"]
    plain = ExportedItem("customValues", "Site", {"name": "Site", "value": "https://s.example/a"})
    assert mask_item(plain) == (plain, [])
    nested = ExportedItem(
        "calendars",
        "c",
        {"name": "c", "formSubmitRedirectURL": "https://f.example/?sig=0123456789abcdef"},
    )
    assert mask_item(nested)[1] == ["formSubmitRedirectURL"]


def test_equal_secrets_mask_equal_and_different_ones_do_not() -> None:
    assert Masked.of("s3cr3t") == Masked.of("s3cr3t")
    assert Masked.of("s3cr3t") != Masked.of("other")
    assert "s3cr3t" not in repr(Masked.of("s3cr3t"))


def test_pipelines_with_probabilities_write_stage_mappings_the_model_accepts() -> None:
    fields = {
        "name": "Sales",
        "stages": ["New", "Won"],
        "useOpportunityProbability": True,
        "stageWinProbabilities": {"New": 10.0, "Won": 100.0},
    }
    item = export("pipelines", fields)
    assert item == {
        "name": "Sales",
        "stages": [
            {"name": "New", "stageWinProbability": 10},
            {"name": "Won", "stageWinProbability": 100},
        ],
        "useOpportunityProbability": True,
    }
    Pipeline.model_validate(item)
    # probabilities GHL keeps while the pipeline does not use them are not written
    off = export("pipelines", {**fields, "useOpportunityProbability": False})
    assert off == {"name": "Sales", "stages": ["New", "Won"]}
    Pipeline.model_validate(off)


def test_a_key_holding_a_secret_is_masked_in_reports_too() -> None:
    token = "pit-7f3c2a91-0b4e-4d5f-9a8b-1c2d3e4f5a6b"
    masked, paths = mask_item(ExportedItem("tags", token, {"name": token}))
    assert paths == ["name"]
    assert isinstance(masked.fields["name"], Masked)
    assert token not in masked.key and token[:-4] not in masked.key
