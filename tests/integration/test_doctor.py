"""``ghlops doctor`` against the sandbox over HTTP: a healthy fleet, a token lacking a scope, a
revoked token, an agency token on a location, a missing variable, and the opt-in write probe."""

from __future__ import annotations

from pathlib import Path

from ghlops.access import ACCESS
from tests.helpers.cli import HttpSandbox, Runner, dental_project
from tests.integration.test_over_http import DOWNTOWN, TOKENS, UPTOWN, provision

ALL_SCOPES = sorted({s for a in ACCESS.values() for s in (*a.read, *a.write, *a.extra_read)})


def doctor(
    ghlops: Runner, http_sandbox: HttpSandbox, *args: str, **env: str | None
) -> tuple[int, str]:
    result = ghlops("doctor", "--base-url", http_sandbox.url, *args, env={**TOKENS, **env})
    for token in TOKENS.values():
        assert token not in result.output
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout


def test_a_healthy_fleet(ghlops: Runner, http_sandbox: HttpSandbox) -> None:
    provision(http_sandbox)
    code, out = doctor(ghlops, http_sandbox)
    assert code == 0, out
    assert (
        f"Location downtown ({DOWNTOWN})\n  ✓ token: from $GHL_TOKEN_DOWNTOWN, accepted by GHL\n"
        in out
    )
    assert "  ✓ tags: read (0 found); apply also needs locations/tags.write (not probed)\n" in out
    assert "  ✓ customFields: read (0 found)" in out
    assert f"Location uptown ({UPTOWN})" in out
    assert "✗" not in out
    assert out.endswith("Doctor: all good (2 checked).\n")
    # reads only: nothing was written
    assert http_sandbox.sandbox.objects(DOWNTOWN, "tags") == []


def test_a_token_lacking_a_scope(ghlops: Runner, http_sandbox: HttpSandbox) -> None:
    provision(http_sandbox)
    scopes = [s for s in ALL_SCOPES if s != "locations/customValues.readonly"]
    http_sandbox.sandbox.provision_location(UPTOWN, token=TOKENS["GHL_TOKEN_UPTOWN"], scopes=scopes)
    code, out = doctor(ghlops, http_sandbox)
    assert code == 1
    uptown = out.split(f"Location uptown ({UPTOWN})\n", 1)[1]
    assert "  ✓ token: from $GHL_TOKEN_UPTOWN, accepted by GHL\n" in uptown
    assert "  ✓ tags: read" in uptown
    assert (
        f"  ✗ customValues: GET /locations/{UPTOWN}/customValues → 401 Unauthorized: The token "
        "is not authorized for this scope. (while reading customValues)\n"
        "      fix: add the scope locations/customValues.readonly to the token in "
        "$GHL_TOKEN_UPTOWN (Private Integration or app scopes), then use the new token\n"
    ) in uptown
    assert "✗" not in out.split("Location uptown", 1)[0]  # downtown is fine
    assert "Doctor: 1 problem(s) in 1 of 2 checked." in out


def test_a_revoked_token(ghlops: Runner, http_sandbox: HttpSandbox) -> None:
    provision(http_sandbox)
    http_sandbox.sandbox.revoke_token(TOKENS["GHL_TOKEN_DOWNTOWN"])
    code, out = doctor(ghlops, http_sandbox, "--location", "down*")
    assert code == 1
    assert "Location uptown" not in out  # --location selects
    assert "  ✗ token: GET /locations/" in out and "401 Unauthorized: Invalid JWT" in out
    assert (
        "      fix: the token in $GHL_TOKEN_DOWNTOWN is revoked, expired or not a GHL token: "
        "create a new one (Settings > Private Integrations) and put it in $GHL_TOKEN_DOWNTOWN\n"
    ) in out
    assert "  ✓" not in out and out.count("✗") == 1  # the token's refusal is one line


def test_an_agency_token_on_a_location(ghlops: Runner, http_sandbox: HttpSandbox) -> None:
    provision(http_sandbox)
    agency = http_sandbox.sandbox.provision_agency("QuickstartAgency0001")
    code, out = doctor(ghlops, http_sandbox, GHL_TOKEN_UPTOWN=agency)
    assert code == 1
    assert "  ✗ token: GET" in out and "Token's user type mismatch!" in out
    assert (
        "      fix: $GHL_TOKEN_UPTOWN holds an agency token; sub-account calls need location "
        f"{UPTOWN}'s own token (a sub-account Private Integration token)\n"
    ) in out
    assert agency not in out


def test_a_token_variable_not_set(ghlops: Runner, http_sandbox: HttpSandbox) -> None:
    provision(http_sandbox)
    code, out = doctor(ghlops, http_sandbox, GHL_TOKEN_UPTOWN=None)
    assert code == 1
    assert "  ✗ token: location uptown: environment variable GHL_TOKEN_UPTOWN is not set" in out
    assert "      fix: export GHL_TOKEN_UPTOWN=<the sub-account's Private Integration token>" in out


def test_probe_writes_creates_and_deletes_and_reports_a_missing_write_scope(
    ghlops: Runner, http_sandbox: HttpSandbox
) -> None:
    provision(http_sandbox)
    scopes = [s for s in ALL_SCOPES if s != "locations/tags.write"]
    http_sandbox.sandbox.provision_location(UPTOWN, token=TOKENS["GHL_TOKEN_UPTOWN"], scopes=scopes)
    code, out = doctor(ghlops, http_sandbox, "--probe-writes")
    assert code == 1
    downtown, uptown = out.split(f"Location uptown ({UPTOWN})\n", 1)
    assert "  ✓ write tags: created and deleted 'ghlops-probe-" in downtown
    assert "  ✓ write customValues: created and deleted 'ghlops-probe-" in downtown
    assert "  ✗ write tags: POST /locations/" in uptown
    assert "fix: add the scope locations/tags.write to the token in $GHL_TOKEN_UPTOWN" in uptown
    assert "  ✓ write customValues: created and deleted" in uptown
    for loc in (DOWNTOWN, UPTOWN):
        for kind in ("tags", "customValues"):
            assert http_sandbox.sandbox.objects(loc, kind) == []  # nothing left behind


def test_the_all_kinds_fleet_and_its_agency(tmp_path: Path, http_sandbox: HttpSandbox) -> None:
    project, env = dental_project(http_sandbox.sandbox, tmp_path)
    result = Runner(project)("doctor", "--base-url", http_sandbox.url, env=env)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert (
        "Agency (SmileDentalAgency001)\n  ✓ token: from $GHL_AGENCY_TOKEN, accepted by GHL\n" in out
    )
    assert "  ✓ customMenuLinks: read" in out
    for kind in ("calendars", "pipelines", "products", "prices", "redirects", "shippingRates"):
        assert f"  ✓ {kind}: read" in out, kind
    for kind in ("customObjects", "customObjectFields", "associations"):
        assert f"  ✓ {kind}: read (0 found)" in out, kind
    assert (
        "  ✓ customObjects: read (0 found); apply also needs objects/schema.write (not probed); "
        "create takes the agency's token\n" in out
    )
    assert "Doctor: all good (4 checked)." in out
    for value in env.values():
        assert value and value not in result.output
