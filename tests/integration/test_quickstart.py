"""End to end through the CLI against the embedded sandbox: plan → apply → plan converges."""

from __future__ import annotations

import json
from pathlib import Path

from ghlops.sandbox import Sandbox
from tests.helpers.cli import Runner

DOWNTOWN = "ve9EPM428h8vShlRW1KT"
UPTOWN = "Xk3pQ9wRt7LmN2bV5cZa"


def store(project: Path) -> Sandbox:
    return Sandbox(project / ".ghlops" / "sandbox.sqlite3")


def test_plan_apply_plan_converges(ghlops: Runner) -> None:
    first = ghlops("plan", "--sandbox", "--detailed-exitcode")
    assert first.exit_code == 2, first.output
    assert "Location downtown (ve9EPM428h8vShlRW1KT)" in first.stdout
    assert '  + tag "springfield-lead"' in first.stdout
    assert '  + tag "shelbyville-lead"' in first.stdout
    assert '  + custom value "Brand Name"' in first.stdout
    assert "Plan: 19 to create, 0 to update, 0 to replace, 0 to delete." in first.stdout

    applied = ghlops("apply", "--sandbox", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert "Apply: 19 change(s) made, 0 failed, 0 not attempted." in applied.stdout

    again = ghlops("plan", "--sandbox", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes." in again.stdout

    sb = store(ghlops.directory)
    try:
        downtown_tags = sorted(t["name"] for t in sb.objects(DOWNTOWN, "tags"))
        assert downtown_tags == ["new-patient", "parking-validated", "springfield-lead", "vip"]
        uptown_values = {v["name"]: v["value"] for v in sb.objects(UPTOWN, "customValues")}
        assert uptown_values == {
            "Brand Name": "Acme Dental",
            "Booking URL": "https://book.example.com/shelbyville-uptown",
            "Clinic City": "Shelbyville",
        }
        values = {v["name"]: v["value"] for v in sb.objects(DOWNTOWN, "customValues")}
        assert values["Brand Name"] == "Acme Dental Downtown"
        fields = {
            (f["model"], f["name"]): f["dataType"] for f in sb.objects(UPTOWN, "customFields")
        }
        assert fields == {
            ("contact", "Pet Name"): "TEXT",
            ("contact", "Insurance Provider"): "TEXT",
            ("opportunity", "Treatment Value"): "MONETORY",
        }
    finally:
        sb.close()


def test_json_plan(ghlops: Runner) -> None:
    result = ghlops("plan", "--sandbox", "--json", "--location", "uptown")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["format_version"] == "1"
    assert [loc["name"] for loc in data["locations"]] == ["uptown"]
    changes = data["locations"][0]["changes"]
    assert {(c["action"], c["kind"], c["key"]) for c in changes} >= {
        ("create", "tags", "vip"),
        ("create", "customFields", "contact:Pet Name"),
        ("create", "customValues", "Booking URL"),
    }
    assert all(c["id"] is None and c["before"] is None for c in changes)
    assert data["summary"]["create"] == len(changes) == 9


def test_apply_asks_for_confirmation(ghlops: Runner) -> None:
    refused = ghlops("apply", "--sandbox", input="no\n")
    assert refused.exit_code == 1
    assert "Apply cancelled; nothing was changed." in refused.stderr
    assert ghlops("plan", "--sandbox", "--detailed-exitcode").exit_code == 2

    accepted = ghlops("apply", "--sandbox", "--location", "uptown", input="yes\n")
    assert accepted.exit_code == 0, accepted.output
    assert "Do you want to apply these changes?" in accepted.stdout
    plan = ghlops("plan", "--sandbox", "--json")
    counts = {loc["name"]: loc["summary"]["create"] for loc in json.loads(plan.stdout)["locations"]}
    assert counts == {"downtown": 10, "uptown": 0}


def test_validate_is_offline_and_counts(ghlops: Runner) -> None:
    result = ghlops("validate")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "OK: 2 location(s), 19 item(s) valid.\n"
        "A live plan needs these environment variables:\n"
        "  GHL_TOKEN_DOWNTOWN  (downtown)\n"
        "  GHL_TOKEN_UPTOWN  (uptown)\n"
    )
    assert not (ghlops.directory / ".ghlops").exists()


def test_unknown_location_is_a_clear_error(ghlops: Runner) -> None:
    result = ghlops("plan", "--sandbox", "--location", "midtown")
    assert result.exit_code == 1
    assert "Error: no location matches 'midtown' (known: downtown, uptown)" in result.stderr
    assert "Traceback" not in result.output
