"""Secrets: canary tokens run through every command and error path and show up nowhere.

A canary (``pit-CANARY-<uuid>``) is the token of a location, another the agency's, a third the
OAuth client secret. They go through plan (text, --json, --markdown, --out), apply (planned and
from a file), export, ``--debug`` with HTTP logging, and the error paths (401, 422 and 500 whose
bodies echo the token, timeouts, a bad manifest, an unusable token, an internal error); no
stdout, stderr, log record, plan file, exported file or exception text may contain one.
"""

from __future__ import annotations

import logging
import os
import random
import subprocess
import sys
import traceback
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from ghlops.cli.main import cli
from ghlops.client import GhlClient
from ghlops.client.errors import ApiError
from ghlops.errors import ConfigError
from ghlops.resources.tags import TagAdapter
from ghlops.sandbox import ConnectionFault, SandboxRequest, SandboxResponse, json_response
from ghlops.sandbox.app import CallNext, Middleware
from ghlops.tokens import read_token_file
from tests.helpers.cli import HttpSandbox
from tests.integration.fleet import (
    AGENCY_ENV,
    COMPANY,
    location_id,
    seed_fleet,
    token_env,
    tokens,
    use_agency_oauth,
    use_fast_retries,
    write_fleet,
)

# random-looking but fixed: test ids (parametrized by the canary) must be the same in every
# pytest-xdist worker
_UUIDS = random.Random(20261203)
CANARY = f"pit-CANARY-{uuid.UUID(int=_UUIDS.getrandbits(128))}"
AGENCY_CANARY = f"pit-CANARY-{uuid.UUID(int=_UUIDS.getrandbits(128))}"
SECRET_CANARY = f"CANARY-secret-{uuid.UUID(int=_UUIDS.getrandbits(128))}"
CANARIES = (CANARY, AGENCY_CANARY, SECRET_CANARY)
LOC = location_id(0)


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    use_fast_retries(monkeypatch)


@pytest.fixture(autouse=True)
def every_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Capture every log record of the run (ghlops, httpx, the sandbox) at DEBUG."""
    caplog.set_level(logging.DEBUG)
    yield caplog
    assert_clean(caplog.text, "the log")


def assert_clean(text: str, where: str) -> None:
    for canary in CANARIES:
        assert canary not in text, f"a canary token leaked into {where}"
        assert canary[12:] not in text, f"part of a canary token leaked into {where}"


@pytest.fixture
def project(tmp_path: Path, http_sandbox: HttpSandbox) -> Path:
    """Two clinics and the agency, every kind; clinic-0 and the agency use canary tokens."""
    root = write_fleet(tmp_path / "secrets", 2)
    sb = http_sandbox.sandbox
    seed_fleet(sb, 2)
    sb.provision_location(LOC, token=CANARY)
    sb.provision_agency(COMPANY, token=AGENCY_CANARY)
    return root


def env(**extra: str | None) -> dict[str, str | None]:
    return {**tokens(2), token_env(0): CANARY, AGENCY_ENV: AGENCY_CANARY, **extra}


def run(
    project: Path, url: str, *args: str, environ: dict[str, str | None] | None = None
) -> Result:
    """Run the CLI in ``project`` against ``url``; fail if a canary shows in its output."""
    where = ["--base-url", url] if {"plan", "apply", "export"} & set(args) else []
    result = CliRunner(env=environ or env()).invoke(
        cli, ["-C", str(project), *args, *where], catch_exceptions=False
    )
    assert_clean(result.output, f"the output of {' '.join(args)}")
    assert_clean(result.stderr, f"the stderr of {' '.join(args)}")
    return result


def files_under(root: Path) -> Iterator[tuple[Path, str]]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix != ".sqlite3" and "sqlite3" not in path.name:
            yield path, path.read_text(errors="replace")


# -- every command -----------------------------------------------------------------------------


def test_no_command_shows_a_token(project: Path, http_sandbox: HttpSandbox) -> None:
    url = http_sandbox.url
    assert run(project, url, "validate").exit_code == 0
    for args in (
        ("plan",),
        ("plan", "--json"),
        ("plan", "--markdown"),
        ("plan", "--markdown", "--show-secrets"),
        ("plan", "--detailed-exitcode", "--expand"),
        ("plan", "--out", "plan.json", "--force"),
    ):
        result = run(project, url, *args)
        assert result.exit_code in (0, 2), result.output
    assert_clean((project / "plan.json").read_text(), "the plan file")
    applied = run(project, url, "apply", "plan.json", "--force")
    assert applied.exit_code == 0, applied.output
    assert_clean((project / "plan.json").read_text(), "the applied plan file")

    (project / "bundles" / "base" / "extra.yaml").write_text("tags: [{name: canary-check}]\n")
    assert run(project, url, "apply", "--auto-approve").exit_code == 0
    out = str(project / "exported")
    exported = run(project, url, "export", "--out", out, "--write-project")
    assert exported.exit_code == 0, exported.output
    assert run(project, url, "export", "--out", out, "--common", "--force").exit_code == 0
    for path, text in files_under(project):
        assert_clean(text, str(path))


def test_debug_logs_every_call_with_the_authorization_masked(
    project: Path, http_sandbox: HttpSandbox, every_log: pytest.LogCaptureFixture
) -> None:
    result = run(project, http_sandbox.url, "--debug", "apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    calls = [r.getMessage() for r in every_log.records if r.name == "ghlops.http"]
    assert len(calls) > 20
    line = next(c for c in calls if c.startswith("GET ") and f"/locations/{LOC}/tags" in c)
    assert " -> 200 (" in line and " ms) [" in line
    assert "Authorization: Bearer ***" in line and "Version: 2021-07-28" in line
    assert any(c.startswith("POST ") and " -> 201 (" in c for c in calls)


def test_debug_output_of_a_real_process(project: Path, http_sandbox: HttpSandbox) -> None:
    """The same through a subprocess: logging goes to its stderr as configured by --debug."""
    environ = {**os.environ, **{k: v for k, v in env().items() if v is not None}}
    command = [sys.executable, "-m", "ghlops", "-C", str(project), "--debug", "plan"]
    done = subprocess.run(
        [*command, "--base-url", http_sandbox.url],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert_clean(done.stdout + done.stderr, "a --debug process")
    assert "ghlops.http: GET http://127.0.0.1:" in done.stderr
    assert "Authorization: Bearer ***" in done.stderr


# -- error paths -------------------------------------------------------------------------------


def echo_authorization(status: int, method: str) -> Middleware:
    """A middleware answering ``method`` with ``status`` and the request's Authorization header
    in the message, as a careless API or proxy might."""

    def middleware(request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        if request.method != method:
            return call_next(request)
        header = request.header("authorization") or ""
        message = f"request with {header} refused (token={header.removeprefix('Bearer ')})"
        return json_response(status, {"statusCode": status, "message": [message]})

    return middleware


@pytest.mark.parametrize(("status", "method"), [(401, "GET"), (422, "POST"), (500, "GET")])
def test_error_bodies_echoing_the_token_are_redacted(
    status: int, method: str, project: Path, http_sandbox: HttpSandbox
) -> None:
    http_sandbox.sandbox.middleware.append(echo_authorization(status, method))
    for debug in ((), ("--debug",)):
        result = run(project, http_sandbox.url, *debug, "apply", "--auto-approve")
        assert result.exit_code in (1, 3), result.output
        assert f"{status} " in result.output + result.stderr
        assert "token=***" in result.output + result.stderr


def test_a_refused_token_is_named_by_its_variable_only(
    project: Path, http_sandbox: HttpSandbox
) -> None:
    wrong = f"pit-CANARY-{uuid.uuid4()}"
    result = CliRunner(env=env(**{token_env(0): wrong})).invoke(
        cli, ["-C", str(project), "plan", "--base-url", http_sandbox.url], catch_exceptions=False
    )
    assert result.exit_code == 1
    assert "401 Unauthorized" in result.output
    assert f"(token from ${token_env(0)})" in result.output
    assert wrong not in result.output + result.stderr


def test_timeouts(project: Path, http_sandbox: HttpSandbox) -> None:
    def hang(request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        if request.method == "GET" and "/customValues" in request.path:
            raise ConnectionFault("timeout", reset=False, applied=False, hold=0.3)
        return call_next(request)

    http_sandbox.sandbox.middleware.append(hang)
    result = run(project, http_sandbox.url, "--debug", "plan", environ=env(GHLOPS_TIMEOUT="0.1"))
    assert result.exit_code == 1
    assert "timed out (ReadTimeout) (after 5 tries)" in result.output


def test_a_bad_manifest(project: Path, http_sandbox: HttpSandbox) -> None:
    (project / "bundles" / "base" / "bad.yaml").write_text("tags: [{name: '{{ vars.nope }}'}]\n")
    for args in (("plan",), ("--debug", "apply", "--auto-approve"), ("validate",)):
        result = run(project, http_sandbox.url, *args)
        assert result.exit_code == 1
        assert "undefined" in result.stderr


@pytest.mark.parametrize(
    "bad",
    [f"{CANARY} x", f"{CANARY}\tx", f"{CANARY}\x7f", f"{CANARY}é"],
    ids=["space", "tab", "del", "non-ascii"],  # stable ids: the canary is random per process
)
def test_a_token_that_cannot_be_sent_is_refused_without_showing_it(
    bad: str, project: Path, http_sandbox: HttpSandbox
) -> None:
    result = run(project, http_sandbox.url, "--debug", "plan", environ=env(**{token_env(0): bad}))
    assert result.exit_code == 1
    assert "contains characters that cannot be sent in an HTTP header" in result.output


def test_an_internal_error_with_debug(
    project: Path, http_sandbox: HttpSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: TagAdapter, ctx: object) -> list[object]:
        raise RuntimeError("something unexpected")

    monkeypatch.setattr(TagAdapter, "list_live", broken)
    result = run(project, http_sandbox.url, "--debug", "plan")
    assert result.exit_code == 1
    assert "internal error (RuntimeError)" in result.stderr
    assert "Traceback" in result.stderr


# -- exception texts, reprs, OAuth secrets, token files, TLS ------------------------------------


def test_exceptions_and_reprs_hold_no_token(http_sandbox: HttpSandbox) -> None:
    sb = http_sandbox.sandbox
    sb.middleware.append(echo_authorization(401, "GET"))
    with GhlClient(CANARY, base_url=http_sandbox.url) as client:
        assert_clean(repr(client) + repr(vars(client)) + repr(vars(client.connection)), "reprs")
        assert client.connection.http.auth is None  # the pool holds no token
        assert "authorization" not in client.connection.http.headers
        with pytest.raises(ApiError) as info:
            client.request("GET", f"/locations/{LOC}/tags", version="2021-07-28")
    error = info.value
    text = "".join(traceback.format_exception(error)) + repr(error) + repr(vars(error))
    assert_clean(text, "the exception")
    with pytest.raises(ConfigError) as bad:
        GhlClient(f"{CANARY}\n")
    assert_clean("".join(traceback.format_exception(bad.value)), "the exception")


def test_oauth_secrets_stay_secret(tmp_path: Path, http_sandbox: HttpSandbox) -> None:
    """The client secret (a canary) and the refresh and access tokens the sandbox issues."""
    sb = http_sandbox.sandbox
    root = write_fleet(tmp_path / "oauth", 1, kinds="core")
    use_agency_oauth(root)
    sb.provision_location(LOC, company_id=COMPANY)
    sb.register_oauth_client("cid", SECRET_CANARY)
    refresh = sb.issue_refresh_token("cid", COMPANY)
    token_file = root / ".secrets" / "refresh"
    token_file.parent.mkdir()
    token_file.write_text(refresh + "\n")
    token_file.chmod(0o644)
    environ: dict[str, str | None] = {"CID": "cid", "CSECRET": SECRET_CANARY}
    result = CliRunner(env=environ).invoke(
        cli,
        ["-C", str(root), "--debug", "apply", "--auto-approve", "--base-url", http_sandbox.url],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "is readable by other users (mode -rw-r--r--); chmod 600 it" in result.stderr
    rotated = token_file.read_text().strip()
    assert rotated != refresh and token_file.stat().st_mode & 0o777 == 0o600
    for secret in (SECRET_CANARY, refresh, rotated):
        assert secret not in result.output + result.stderr


def test_token_files_readable_by_others_give_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "refresh-token"
    path.write_text("r-token\n")
    for mode, warned in ((0o600, False), (0o640, True), (0o604, True), (0o400, False)):
        path.chmod(mode)
        warnings: list[str] = []
        assert read_token_file(path, warnings.append, root=tmp_path) == "r-token"
        assert bool(warnings) is warned, (oct(mode), warnings)
        if warned:
            assert "r-token" not in warnings[0] and "chmod 600" in warnings[0]


def test_tls_cannot_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every client verifies certificates; no option or variable of ghlops turns it off."""
    made: list[dict[str, object]] = []
    original = httpx.Client.__init__

    def spy(self: httpx.Client, *args: object, **kwargs: object) -> None:
        made.append(kwargs)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(httpx.Client, "__init__", spy)
    monkeypatch.setenv("GHLOPS_INSECURE", "1")
    monkeypatch.setenv("GHLOPS_VERIFY", "0")
    with GhlClient(CANARY) as client:
        assert not client.connection.http.is_closed  # the pool is made on first use
    assert made and all(kwargs.get("verify", True) is True for kwargs in made)
    help_text = CliRunner().invoke(cli, ["plan", "--help"]).output
    for word in ("insecure", "verify", "no-tls", "ssl"):
        assert word not in help_text.lower()


def test_plain_http_is_refused_for_other_hosts(project: Path) -> None:
    for url in ("http://api.example.com", "http://10.1.2.3:8787"):
        refused = run(project, url, "plan")
        assert refused.exit_code == 1
        assert "plain http is allowed only for loopback hosts" in refused.stderr
