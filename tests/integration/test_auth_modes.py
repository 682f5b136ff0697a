"""Every way ghlops gets tokens, against the sandbox over real HTTP: per-location PITs (elsewhere),
an agency PIT, and an agency OAuth installation whose refresh token rotates on use and whose
token is exchanged for the tokens of locations that have none."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ghlops.cli.main import cli
from tests.helpers.cli import HttpSandbox

COMPANY = "AgencyOAuthCompany01"
A, B = "OauthLocAAAAAAAAAAA1", "OauthLocBBBBBBBBBBB2"
CLIENT_ID, CLIENT_SECRET = "app123-client", "s3cr3t-client-secret"

PROJECT = f"""
version: 1
agency:
  companyId: {COMPANY}
  oauth: {{clientIdEnv: GHL_CLIENT_ID, clientSecretEnv: GHL_CLIENT_SECRET,
          refreshTokenFile: .secrets/refresh-token}}
defaults: {{bundles: [bundles]}}
locations:
  - {{name: a, id: {A}}}
  - {{name: b, id: {B}}}
"""
ENV: dict[str, str | None] = {"GHL_CLIENT_ID": CLIENT_ID, "GHL_CLIENT_SECRET": CLIENT_SECRET}


@pytest.fixture
def project(tmp_path: Path, http_sandbox: HttpSandbox) -> Path:
    root = tmp_path / "oauth"
    (root / "bundles").mkdir(parents=True)
    (root / ".secrets").mkdir()
    (root / "ghlops.yaml").write_text(PROJECT)
    (root / "bundles" / "b.yaml").write_text(
        "tags: [{name: vip}]\n"
        "customMenuLinks:\n"
        "  - {title: Portal, url: 'https://portal.example.com', icon: {name: tooth, fontFamily: fas}}\n"
    )
    sb = http_sandbox.sandbox
    sb.provision_agency(COMPANY)
    sb.provision_location(A, company_id=COMPANY)
    sb.provision_location(B, company_id=COMPANY)
    sb.register_oauth_client(CLIENT_ID, CLIENT_SECRET)
    token_file = root / ".secrets" / "refresh-token"
    token_file.write_text(sb.issue_refresh_token(CLIENT_ID, COMPANY) + "\n")
    token_file.chmod(0o600)
    return root


def run(root: Path, url: str, *args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner(env=env if env is not None else ENV).invoke(
        cli, ["-C", str(root), *args, "--base-url", url], catch_exceptions=False
    )


def test_oauth_refresh_rotates_and_locations_get_exchanged_tokens(
    project: Path, http_sandbox: HttpSandbox
) -> None:
    token_file = project / ".secrets" / "refresh-token"
    first_refresh = token_file.read_text().strip()

    applied = run(project, http_sandbox.url, "apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    rotated = token_file.read_text().strip()
    assert rotated and rotated != first_refresh, "the new refresh token was written back"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert [t["name"] for t in http_sandbox.sandbox.objects(A, "tags")] == ["vip"]
    links = http_sandbox.sandbox.objects(COMPANY, "customMenus")
    assert [sorted(link["locations"]) for link in links] == [[A, B]]

    again = run(project, http_sandbox.url, "plan", "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert token_file.read_text().strip() not in (first_refresh, rotated)
    for secret in (first_refresh, rotated, CLIENT_SECRET):
        assert secret not in applied.output + again.output


def test_a_used_refresh_token_fails_clearly(project: Path, http_sandbox: HttpSandbox) -> None:
    token_file = project / ".secrets" / "refresh-token"
    old = token_file.read_text()
    assert run(project, http_sandbox.url, "plan").exit_code == 0
    token_file.write_text(old)  # someone restored the old, already rotated token
    result = run(project, http_sandbox.url, "plan")
    assert result.exit_code == 1
    assert "agency: refreshing the OAuth token with the refresh token in" in result.output
    assert "POST /oauth/token → 400 Bad Request" in result.output
    assert old.strip() not in result.output


def test_missing_settings_and_loose_permissions(project: Path, http_sandbox: HttpSandbox) -> None:
    result = run(project, http_sandbox.url, "plan", env={"GHL_CLIENT_ID": CLIENT_ID})
    assert result.exit_code == 1
    assert "agency.oauth: environment variable GHL_CLIENT_SECRET is not set" in result.output

    token_file = project / ".secrets" / "refresh-token"
    token_file.chmod(0o644)
    result = run(project, http_sandbox.url, "plan")
    assert result.exit_code == 0, result.output
    assert "is readable by other users (mode -rw-r--r--); chmod 600 it" in result.stderr

    token_file.unlink()
    result = run(project, http_sandbox.url, "plan")
    assert result.exit_code == 1
    assert "refresh token file" in result.output and "does not exist" in result.output


def test_an_agency_pit_cannot_be_exchanged_for_location_tokens(
    project: Path, http_sandbox: HttpSandbox
) -> None:
    pit = http_sandbox.sandbox.provision_agency(COMPANY)
    text = (project / "ghlops.yaml").read_text()
    start = text.index("  oauth:")
    end = text.index("defaults:")
    (project / "ghlops.yaml").write_text(
        text[:start] + "  tokenEnv: GHL_AGENCY_TOKEN\n" + text[end:]
    )
    result = run(project, http_sandbox.url, "plan", env={"GHL_AGENCY_TOKEN": pit})
    assert result.exit_code == 1
    assert "location a: no tokenEnv in ghlops.yaml, and no agency.oauth" in result.stdout
    # the agency itself plans fine with its PIT: custom menu links are Agency-Access
    assert f"Agency {COMPANY}" in result.stdout
    assert '+ custom menu link "Portal"' in result.stdout
    assert pit not in result.output
