"""`ghlops sandbox serve` and `ghlops sandbox seed` as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from ghlops.sandbox import Sandbox
from tests.helpers.cli import Runner

DOWNTOWN = "ve9EPM428h8vShlRW1KT"


def test_seed_by_location_name(ghlops: Runner, tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("locations:\n  downtown:\n    tags:\n      - {name: made-in-ui}\n")
    result = ghlops("sandbox", "seed", str(seed))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"seeded 1 tags in location {DOWNTOWN}"
    with Sandbox(ghlops.directory / ".ghlops" / "sandbox.sqlite3") as sb:
        assert [t["name"] for t in sb.objects(DOWNTOWN, "tags")] == ["made-in-ui"]
    plan = ghlops("plan", "--sandbox", "-l", "downtown")
    assert "unmanaged: 1 (tags 1)" in plan.stdout


def test_seed_errors_are_clear(ghlops: Runner, tmp_path: Path) -> None:
    seed = tmp_path / "seed.yaml"
    seed.write_text("locations:\n  downtown:\n    widgets: [{name: x}]\n")
    result = ghlops("sandbox", "seed", str(seed))
    assert result.exit_code == 1
    assert "cannot seed unknown kind 'widgets'" in result.stderr
    seed.write_text("locations: [\n")
    result = ghlops("sandbox", "seed", str(seed))
    assert result.exit_code == 1
    assert "seed.yaml:2:1: invalid YAML" in result.stderr
    assert "Traceback" not in result.output


def test_serve_over_http_with_curl_like_client(quickstart: Path) -> None:
    env = {**os.environ, "GHL_TOKEN_DOWNTOWN": "pit-serve-test-1"}
    env.pop("GHL_TOKEN_UPTOWN", None)
    command = [sys.executable, "-m", "ghlops", "-C", str(quickstart), "sandbox", "serve"]
    with subprocess.Popen(
        [*command, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    ) as proc:
        try:
            check_served(proc)
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def check_served(proc: subprocess.Popen[str]) -> None:
    assert proc.stdout is not None
    lines = []
    url = None
    for _ in range(10):
        line = proc.stdout.readline()
        lines.append(line)
        if "listening on" in line:
            url = line.split("listening on ")[1].split()[0]
            break
    assert url, lines
    assert f"location downtown ({DOWNTOWN}): token from $GHL_TOKEN_DOWNTOWN\n" in lines
    uptown_line = next(x for x in lines if x.startswith("location uptown"))
    assert "export GHL_TOKEN_UPTOWN=sbx-" in uptown_line
    assert not any("pit-serve-test-1" in x for x in lines)
    headers = {"Authorization": "Bearer pit-serve-test-1", "Version": "2021-07-28"}
    response = httpx.get(f"{url}/locations/{DOWNTOWN}/tags", headers=headers)
    assert response.status_code == 200
    assert response.json() == {"tags": []}
    unauthenticated = httpx.get(
        f"{url}/locations/{DOWNTOWN}/tags", headers={"Version": "2021-07-28"}
    )
    assert unauthenticated.status_code == 401


def test_serve_provisions_the_agency_and_takes_a_readings_mode(tmp_path: Path) -> None:
    import shutil

    from tests.helpers.cli import EXAMPLES

    project = tmp_path / "dental"
    shutil.copytree(EXAMPLES / "dental", project, ignore=shutil.ignore_patterns(".ghlops"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GHL_")}
    command = [sys.executable, "-m", "ghlops", "-C", str(project), "sandbox", "serve"]
    with subprocess.Popen(
        [*command, "--port", "0", "--readings", "alternative", "--rate-limit", "off"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    ) as proc:
        try:
            assert proc.stdout is not None
            lines = []
            for _ in range(20):
                lines.append(proc.stdout.readline())
                if lines[-1].startswith("Try:"):
                    break
            agency = next(x for x in lines if x.startswith("agency (SmileDentalAgency001)"))
            token = agency.strip().split("export GHL_AGENCY_TOKEN=")[1]
            url = next(x for x in lines if "listening on" in x).split("listening on ")[1].split()[0]
            assert any(x.startswith("readings: alternative (pages capped at 20") for x in lines)
            headers = {"Authorization": f"Bearer {token}", "Version": "2021-07-28"}
            menus = httpx.get(f"{url}/custom-menus/", headers=headers)
            assert menus.status_code == 200, menus.text
            missing = httpx.get(f"{url}/custom-menus/nope", headers=headers)
            assert missing.status_code == 400  # the alternative reading: not found is 400
        finally:
            proc.terminate()
            proc.wait(timeout=10)
