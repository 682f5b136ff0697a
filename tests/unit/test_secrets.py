"""ghlops.secrets: what looks secret (and what does not), and how it is masked."""

from __future__ import annotations

import json
import uuid
from types import MappingProxyType

import pytest

from ghlops.plan.changes import Action, Change, FieldDiff, LocationPlan, Plan, frozen
from ghlops.plan.planfile import plan_document
from ghlops.secrets import (
    MASK,
    looks_secret,
    mask,
    mask_change_data,
    mask_secrets,
    mask_text,
    random_string,
    secret_name,
)

PIT = "pit-0c4a9e7f-1d2b-4c3a-9f8e-7d6c5b4a3f9a"
# fixed outputs of secrets.token_urlsafe(32), token_urlsafe(24), token_hex(16), token_hex(32)
URLSAFE_32 = "Kqsqh6t7iaKPlrwse0mRUafqQsq8eddUk4-Dg4f8zq0"
URLSAFE_24 = "T0oEK6RaBDjjffXzmbsVGDZt3jha3Z5q"
HEX_16 = "e5604b55c5bdc7626f5d0b5b7e9b13bd"
HEX_32 = "9273a3fbfc3a5ed9225074d75f093159c218fc794cc6c391b31f3ec6e39a2a3a"


@pytest.mark.parametrize(
    "name",
    [
        "token",
        "accessToken",
        "refresh_token",
        "clientSecret",
        "webhook-secret",
        "password",
        "smtpPasswd",
        "apiKey",
        "api_key",
        "APIKey",
        "x-api-key",
        "key",
        "licenseKey",
        "private_key",
        "auth",
        "Authorization",
        "oauth",
        "basicAuth",
        "signature",
        "emailSignature",
        "sig",
        "credentials",
        "awsCredential",
        "smtpPass",
        "pwd",
        "hmac",
        "sessionCookie",
        "Zapier API Key",
        "Google Maps Key",
    ],
)
def test_secret_names(name: str) -> None:
    assert secret_name(name)
    assert looks_secret(name, "anything")


@pytest.mark.parametrize(
    "name",
    [
        "name",
        "value",
        "url",
        "fieldKey",
        "field_key",
        "keyword",
        "keywords",
        "monkey",
        "publicKey",
        "sortKey",
        "author",
        "authorName",
        "signal",
        "assignedTo",
        "passenger",
        "compass",
        "Booking URL",
        "description",
        "slug",
    ],
)
def test_plain_names(name: str) -> None:
    assert not secret_name(name)
    assert not looks_secret(name, "hello")


@pytest.mark.parametrize(
    "value",
    [
        "https://x.com/?token=abc",
        "https://x.com/hook?src=ghl&token=abc",
        "https://x.com/a?key=abc",
        "https://x.com/a?api_key=abc",
        "https://x.com/a?apiKey=abc",
        "https://x.com/a?secret=abc",
        "https://x.com/a?sig=abc",
        "https://x.com/a?signature=abc",
        "https://x.com/a?access_token=abc",
        "https://x.com/a?password=abc",
        "https://x.com/a?X-Amz-Signature=abc",
        "https://x.com/callback#access_token=abc&state=1",
        "https://user:hunter2@x.com/",
        "https://x.com/a?id=" + URLSAFE_32,
        "https://hooks.slack.com/services/T000/B000/aB3dE5fG7hJ9kL1mN3pQ5rS7",
        PIT,
        "sbx-" + URLSAFE_24,
        "Bearer abcdefghij0123456789",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl",
        "sk_live_" + "a1" * 12,
        "ghp_" + "A1b2" * 9,
        HEX_16,
        HEX_32,
        URLSAFE_32,
        URLSAFE_24,
        "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z",
    ],
)
def test_secret_values(value: str) -> None:
    assert looks_secret("value", value)
    assert mask(value) != value


@pytest.mark.parametrize(
    "value",
    [
        "https://book.example.com/downtown",
        "https://api.leadconnectorhq.com/widget/booking/ve9EPM428h8vShlRW1KT",
        "https://x.com/?utm_source=newsletter&id=123",
        "https://x.com/?keyword=shoes",
        "https://x.com/?token=",
        "https://shop.example.com/products/summer-sale-2024-special-offer-for-new-customers",
        "ve9EPM428h8vShlRW1KT",  # a 20-character GHL id
        str(uuid.UUID("7d444840-9dc0-11d1-b245-5ffdce74fad2")),
        "0c4a9e7f-1d2b-4c3a-9f8e-7d6c5b4a3f9a",
        "summer-sale-2024-special-offer-for-new-customers",
        "contact.favourite_pet_name_for_the_form",
        "ProductDescriptionWithoutSpacesInCamelCase",
        "Call us at 555-0100 to book your appointment today, or visit our site",
        "/locations/Zx1cV2bN3mM4nB5vC6xZ/tags",
        "LARGE_TEXT",
        "",
        "a" * 40,
    ],
)
def test_plain_values(value: str) -> None:
    assert not looks_secret("value", value)


@pytest.mark.parametrize("value", [None, True, False, ""])
def test_nothing_to_hide(value: object) -> None:
    assert not looks_secret("password", value)
    assert mask_secrets(value, "password") == value


def test_mask_keeps_the_last_four_of_long_values_only() -> None:
    assert mask(PIT) == MASK + "3f9a"
    assert mask("short-secret") == MASK
    assert mask(12345) == MASK
    assert mask({"a": 1}) == MASK


def test_mask_keeps_urls_but_their_secret_parts() -> None:
    long = "abcdefghijklmnop1234"
    assert mask(f"https://x.com/in?src=ghl&token={long}#top") == (
        f"https://x.com/in?src=ghl&token={MASK}1234#top"
    )
    assert (
        mask("https://x.com/?token=abc&utm=a+b%20c") == f"https://x.com/?token={MASK}&utm=a+b%20c"
    )
    assert mask("https://me:hunter2@x.com:8443/p") == f"https://me:{MASK}@x.com:8443/p"
    assert mask("https://x.com/a#access_token=abc&state=1") == (
        f"https://x.com/a#access_token={MASK}&state=1"
    )
    # a URL under a secret name without secret parts is masked whole
    assert mask_secrets("https://x.com/hook", "webhookSecret") == MASK + "hook"


def test_mask_secrets_walks_nested_values() -> None:
    data = MappingProxyType(
        {
            "name": "Consult",
            "url": "https://x.com/?sig=abc",
            "notifications": [
                {"type": "webhook", "signingSecret": "s3cr3t"},
                {"type": "email", "to": "ops@example.com"},
            ],
            "auth": {"user": "bob", "scheme": "basic"},
            "count": 3,
        }
    )
    assert mask_secrets(data) == {
        "name": "Consult",
        "url": f"https://x.com/?sig={MASK}",
        "notifications": [
            {"type": "webhook", "signingSecret": MASK},
            {"type": "email", "to": "ops@example.com"},
        ],
        "auth": {"user": MASK, "scheme": MASK},
        "count": 3,
    }
    assert looks_secret("notifications", data["notifications"])
    assert not looks_secret("notifications", [{"type": "email", "to": "ops@example.com"}])


def test_a_value_named_secret_is_masked() -> None:
    assert mask_secrets({"name": "Zapier API Key", "value": "zap-123"}) == {
        "name": "Zapier API Key",
        "value": MASK,
    }
    assert mask_secrets({"title": "Stripe secret", "value": "x"})["value"] == MASK
    assert mask_secrets({"name": "Booking URL", "value": "https://book.example.com/a"}) == {
        "name": "Booking URL",
        "value": "https://book.example.com/a",
    }


def test_mask_text_masks_inside_free_text() -> None:
    text = (
        f"GET https://x.com/a?access_token=abcdefghijklmnopqrstu&b=1 failed with {PIT}; "
        "Authorization: Bearer abcdefghij0123456789 was sent to /locations/ve9EPM428h8vShlRW1KT/tags"
    )
    masked = mask_text(text)
    assert "abcdefghijklmnopqrstu" not in masked and f"access_token={MASK}rstu&b=1" in masked
    assert PIT not in masked and f"{MASK}3f9a" in masked
    assert "abcdefghij0123456789" not in masked
    assert "/locations/ve9EPM428h8vShlRW1KT/tags" in masked
    assert (
        mask_text("nothing to see: tag 'vip' in downtown")
        == "nothing to see: tag 'vip' in downtown"
    )


def test_random_string_needs_length() -> None:
    assert random_string(URLSAFE_32)
    assert not random_string(URLSAFE_32[:20])
    assert not random_string(URLSAFE_32[:24])
    assert random_string(URLSAFE_32[:24], min_length=24)
    assert not random_string("1234567890" * 4), "no letters: a number, not a token"


def test_mask_change_data_masks_values_but_not_what_identifies_the_change() -> None:
    change = Change(
        Action.UPDATE,
        "customValues",
        "Mailer key",
        "bbbbbbbbbbbbbbbbbbb1",
        frozen({"name": "Mailer key", "value": "old-value", "apiKey": "abc"}),
        frozen({"name": "Mailer key", "value": "new-value", "apiKey": "xyz"}),
        (FieldDiff("value", "old-value", "new-value"), FieldDiff("apiKey", "abc", "xyz")),
        reasons=(f"sent with {PIT}",),
    )
    data = mask_change_data(change.to_data())
    assert (data["action"], data["kind"], data["key"], data["id"]) == (
        "update",
        "customValues",
        "Mailer key",
        "bbbbbbbbbbbbbbbbbbb1",
    )
    assert data["before"] == {"name": "Mailer key", "value": MASK, "apiKey": MASK}
    assert data["diffs"] == [
        {"field": "value", "before": MASK, "after": MASK},
        {"field": "apiKey", "before": MASK, "after": MASK},
    ]
    assert data["reasons"] == [f"sent with {MASK}3f9a"]
    assert change.to_data()["diffs"][1]["before"] == "abc", "the input is left alone"


def test_plan_files_mask_values_and_keep_keys() -> None:
    tag = Change(Action.CREATE, "tags", "vip", None, None, frozen({"name": "vip"}))
    hook = Change(
        Action.UPDATE,
        "customValues",
        "Lead Webhook",
        "bbbbbbbbbbbbbbbbbbb2",
        frozen({"name": "Lead Webhook", "value": "https://h.example.com/in"}),
        frozen({"name": "Lead Webhook", "value": f"https://h.example.com/in?token={URLSAFE_24}"}),
        (
            FieldDiff(
                "value", "https://h.example.com/in", f"https://h.example.com/in?token={URLSAFE_24}"
            ),
        ),
    )
    plan = Plan((LocationPlan("downtown", "ve9EPM428h8vShlRW1KT", (tag, hook)),))
    document = plan_document(plan, {})
    changes = document["locations"][0]["changes"]
    assert [c["key"] for c in changes] == ["vip", "Lead Webhook"]
    assert URLSAFE_24 not in json.dumps(document)
    assert changes[1]["diffs"][0]["after"] == f"https://h.example.com/in?token={MASK}3Z5q"
    assert URLSAFE_24 in json.dumps(plan_document(plan, {}, show_secrets=True))
