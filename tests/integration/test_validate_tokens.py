"""`ghlops validate` checks that every location can get a token, and names the variables a live
plan needs, without reading them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ghlops.cli.main import cli

ID = "ve9EPM428h8vShlRW1KT"


def project(root: Path, text: str) -> Path:
    (root / "bundles").mkdir(parents=True, exist_ok=True)
    (root / "bundles" / "t.yaml").write_text("tags: [{name: vip}]\n")
    (root / "ghlops.yaml").write_text(text)
    return root


def run(root: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(root), *args], catch_exceptions=False)


def test_a_location_without_any_token_source_fails_validate(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        "version: 1\ndefaults: {bundles: [bundles]}\nlocations:\n"
        f"  - {{name: north-shore, id: {ID}}}\n",
    )
    result = run(root, "validate")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 1 problem in the manifests:\n"
        "  ghlops.yaml:4: location north-shore: no way to get a token: add 'tokenEnv: "
        "GHL_TOKEN_NORTH_SHORE' (the variable holding its Private Integration Token), or "
        "agency.oauth to exchange the agency's token\n"
    )


def test_agency_oauth_names_its_variables_and_reads_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project(
        tmp_path,
        "version: 1\ndefaults: {bundles: [bundles]}\n"
        "agency: {companyId: AbCdEfGhIjKlMnOpQrSt, oauth: {clientIdEnv: GHL_CLIENT_ID, "
        "clientSecretEnv: GHL_CLIENT_SECRET, refreshTokenFile: .ghl-refresh}}\n"
        "locations:\n"
        f"  - {{name: a, id: {ID}}}\n"
        "  - {name: b, id: Xk3pQ9wRt7LmN2bV5cZa, tokenEnv: GHL_TOKEN_B}\n",
    )
    read: list[str] = []
    real_get = os.environ.get

    def spy(key: str, default: str | None = None) -> str | None:
        read.append(key)
        return real_get(key, default)

    monkeypatch.setattr(os.environ, "get", spy)
    result = run(root, "validate")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "OK: 2 location(s), 2 item(s) valid.\n"
        "A live plan needs these environment variables:\n"
        "  GHL_CLIENT_ID  (a (agency OAuth exchange))\n"
        "  GHL_CLIENT_SECRET  (a (agency OAuth exchange))\n"
        "  GHL_TOKEN_B  (b)\n"
    )
    assert not {"GHL_CLIENT_ID", "GHL_CLIENT_SECRET", "GHL_TOKEN_B"} & set(read)


def test_custom_menu_links_need_an_agency_token(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        "version: 1\ndefaults: {bundles: [bundles]}\n"
        "agency: {companyId: AbCdEfGhIjKlMnOpQrSt}\n"
        f"locations:\n  - {{name: a, id: {ID}, tokenEnv: GHL_TOKEN_A}}\n",
    )
    (root / "bundles" / "m.yaml").write_text(
        "customMenuLinks: [{title: Portal, url: 'https://portal.example.com', "
        "icon: {name: tooth, fontFamily: fas}}]\n"
    )
    result = run(root, "validate")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: 1 problem in the manifests:\n"
        "  ghlops.yaml:3: agency: custom menu links and location settings need an agency "
        "token: set agency.tokenEnv or agency.oauth\n"
    )


def test_the_placeholder_id_of_init_is_a_warning(tmp_path: Path) -> None:
    assert run(tmp_path, "init").exit_code == 0
    result = run(tmp_path, "validate")
    assert result.exit_code == 0
    assert result.stderr == (
        "Warning: location main has the placeholder id REPLACEwithYOURlocID from ghlops init: "
        "--sandbox works with it, a live plan refuses it\n"
    )
    assert result.stdout.endswith("  GHL_TOKEN_MAIN  (main)\n")
