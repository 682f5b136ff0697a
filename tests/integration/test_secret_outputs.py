"""The token, the OAuth secrets and secret-looking live values, through every output.

The sandbox echoes the location's token (and, for OAuth, the client secret and the refresh token)
in error bodies in every encoding a server might use: raw, JSON-escaped (``\\u0070…``),
URL-encoded, HTML-escaped, cut short to a prefix. A live custom value holds a Stripe key that
exists only in GHL, another is a door code. Every output is then searched for every encoding of
them: the text plan, ``--json``, ``--markdown``, the plan file (and its mode), the apply log,
``--debug`` logs and error messages. ``--show-secrets`` is the one way to see the live values.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from click.testing import CliRunner, Result

from ghlops.cli.main import cli
from ghlops.plan import planfile
from ghlops.sandbox import SandboxRequest, SandboxResponse, json_response
from ghlops.sandbox.app import CallNext
from ghlops.secrets import MIN_PREFIX, forget_secrets
from tests.helpers.cli import HttpSandbox
from tests.integration.fleet import (
    COMPANY,
    location_id,
    seed_fleet,
    token,
    tokens,
    use_agency_oauth,
    use_fast_retries,
    write_fleet,
)

LOC = location_id(0)
_RNG = random.Random(1414)
STRIPE = "sk_live_" + "".join(
    _RNG.choice("abcdefghijkmnopqrstuvwxyzABCDEFGH0123456789") for _ in range(24)
)
DOOR = "48213"
SMTP = "smtp://mailer:Hunter2Hunter2@mail.example.com:587"
CLIENT_SECRET = "oauth-client-secret-" + "".join(_RNG.choice("0123456789abcdef") for _ in range(16))


def _key(name: str) -> str:
    return "{{ custom_values." + name + " }}"


def encodings(secret: str) -> dict[str, str]:
    """Every way a server might echo ``secret``."""
    return {
        "raw": secret,
        "json-escaped": "".join(f"\\u{ord(c):04x}" for c in secret),
        "json-some-escaped": "\\u" + f"{ord(secret[0]):04x}" + secret[1:],
        "url-encoded": quote(secret, safe=""),
        "url-encoded-all": "".join(f"%{ord(c):02X}" for c in secret),
        "html": "".join(f"&#{ord(c)};" for c in secret),
        "prefix": secret[: MIN_PREFIX + 2],
    }


def leaks(text: str, secret: str) -> list[str]:
    """The encodings of ``secret`` found in ``text`` (a decoded JSON-escaped echo counts)."""
    found = [name for name, form in encodings(secret).items() if form.lower() in text.lower()]
    decoded = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    if secret[: MIN_PREFIX + 2] in decoded and "prefix" not in found:
        found.append("decoded")
    return found


@pytest.fixture(autouse=True)
def fresh_secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    use_fast_retries(monkeypatch)
    forget_secrets()
    yield
    forget_secrets()


@pytest.fixture
def project(tmp_path: Path, http_sandbox: HttpSandbox) -> Path:
    root = write_fleet(tmp_path / "secrets", 1, kinds="core")
    crm = root / "bundles" / "base" / "crm.yaml"
    crm.write_text(
        crm.read_text()
        + "  - name: Door Code\n    value: '11111'\n"
        + f"  - name: Mail Relay\n    value: '{SMTP.replace('Hunter2Hunter2', 'Other9Other9')}'\n"
    )
    sb = http_sandbox.sandbox
    seed_fleet(sb, 1, kinds="core")
    sb.seed(
        {
            "locations": {
                LOC: {
                    "customValues": [
                        {
                            "name": "Stripe Secret",
                            "value": STRIPE,
                            "fieldKey": _key("stripe_secret"),
                        },  # live only: pruned
                        {
                            "name": "Door Code",
                            "value": DOOR,
                            "fieldKey": _key("door_code"),
                        },  # updated
                        {
                            "name": "Mail Relay",
                            "value": SMTP,
                            "fieldKey": _key("mail_relay"),
                        },  # updated
                    ]
                }
            }
        }
    )
    return root


def echo_token(sb: HttpSandbox, form: Callable[[str], str], path_part: str = "/tags") -> None:
    """Answer the location's tag reads with a 400 echoing its token as ``form`` gives it."""

    def middleware(request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        if request.method == "GET" and request.path.endswith(path_part):
            sent = (request.header("authorization") or "").removeprefix("Bearer ")
            body = '{"message": "bad token ' + form(sent) + ' (check it)"}'
            return SandboxResponse(400, {"Content-Type": "application/json"}, body.encode())
        return call_next(request)

    sb.sandbox.middleware.append(middleware)


def run(project: Path, url: str, *args: str, env: dict[str, str | None] | None = None) -> Result:
    environ: dict[str, str | None] = {**tokens(1), **(env or {})}
    return CliRunner(env=environ).invoke(
        cli, ["-C", str(project), "--debug", *args, "--base-url", url], catch_exceptions=False
    )


def everything(result: Result, *files: Path) -> str:
    return result.output + result.stderr + "".join(f.read_text() for f in files if f.exists())


@pytest.mark.parametrize("encoding", list(encodings("x" * 20)))
def test_the_token_echoed_in_any_encoding_never_gets_out(
    encoding: str, project: Path, http_sandbox: HttpSandbox
) -> None:
    echo_token(http_sandbox, lambda t: encodings(t)[encoding])
    out = project / "plan.json"
    results = [
        run(project, http_sandbox.url, "plan"),
        run(project, http_sandbox.url, "plan", "--json"),
        run(project, http_sandbox.url, "plan", "--markdown"),
        run(project, http_sandbox.url, "plan", "--out", "plan.json"),
        run(project, http_sandbox.url, "apply", "--auto-approve"),
        run(project, http_sandbox.url, "export", "--out", "exported", "--show-secrets"),
    ]
    exported = sorted((project / "exported").rglob("*.yaml"))
    for result in results:
        assert "internal error" not in result.output
        assert "bad token" in result.output + result.stderr, result.output  # the error is shown
        assert leaks(everything(result, out, *exported), token(0)) == [], everything(result, out)
    for args in (("show", "plan.json"), ("show", "plan.json", "--json"), ("show", "plan.json",
                 "--markdown")):  # fmt: skip
        shown = CliRunner().invoke(cli, ["-C", str(project), *args])
        assert "bad token" in shown.output, (args, shown.output)
        assert leaks(shown.output, token(0)) == [], (args, shown.output)


def test_live_secret_values_are_masked_in_every_output(
    project: Path, http_sandbox: HttpSandbox
) -> None:
    out = project / "plan.json"
    outputs = {
        "text": run(project, http_sandbox.url, "plan"),
        "json": run(project, http_sandbox.url, "plan", "--json"),
        "markdown": run(project, http_sandbox.url, "plan", "--markdown"),
        "plan file": run(project, http_sandbox.url, "plan", "--out", "plan.json"),
    }
    for name, result in outputs.items():
        assert result.exit_code == 0, (name, result.output)
        text = everything(result, out)
        assert "Door Code" in text and "Mail Relay" in text, name  # the changes are shown
        for secret in (STRIPE, DOOR, "Hunter2Hunter2", "Other9Other9"):
            assert leaks(text, secret) == [], (name, secret, text)
    assert out.stat().st_mode & 0o777 == 0o600
    document = json.loads(out.read_text())
    assert re.fullmatch(r"[0-9a-f]{32}", document["digest_salt"])
    applied = run(project, http_sandbox.url, "apply", "plan.json")
    assert applied.exit_code == 0, applied.output
    for secret in (STRIPE, DOOR, "Hunter2Hunter2", "Other9Other9"):
        assert leaks(everything(applied, out), secret) == [], secret
    assert out.stat().st_mode & 0o777 == 0o600


def test_show_secrets_is_the_one_way_to_see_them(project: Path, http_sandbox: HttpSandbox) -> None:
    for args in (("plan",), ("plan", "--json"), ("plan", "--markdown")):
        shown = run(project, http_sandbox.url, *args, "--show-secrets")
        assert "Hunter2Hunter2" in shown.output, args
        assert DOOR in shown.output, args


def test_salted_digests_differ_between_plan_files_of_one_plan(
    project: Path, http_sandbox: HttpSandbox
) -> None:
    digests = []
    for name in ("a.json", "b.json"):
        assert run(project, http_sandbox.url, "plan", "--out", name).exit_code == 0
        saved = planfile.load(project / name)
        (loc,) = saved.locations()
        digests.append((loc.desired_digest, loc.changes_checksum, dict(loc.live_digests)))
    assert digests[0][0] != digests[1][0] and digests[0][1] != digests[1][1]
    assert set(digests[0][2].values()).isdisjoint(digests[1][2].values())


def test_oauth_secrets_echoed_by_the_token_endpoint_stay_secret(
    tmp_path: Path, http_sandbox: HttpSandbox
) -> None:
    """A 400 from /oauth/token that echoes its form, URL-encoded and JSON-escaped."""
    sb = http_sandbox.sandbox
    root = write_fleet(tmp_path / "oauth", 1, kinds="core")
    use_agency_oauth(root)
    sb.provision_location(LOC, company_id=COMPANY)
    token_file = root / ".secrets" / "refresh"
    token_file.parent.mkdir()
    refresh = "refresh-" + "".join(_RNG.choice("0123456789abcdef") for _ in range(32))
    token_file.write_text(refresh + "\n")
    token_file.chmod(0o600)

    def echo_form(request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        if request.path == "/oauth/token":
            form = request.body.decode()
            escaped = "".join(f"\\u{ord(c):04x}" for c in form)
            return json_response(400, {"message": f"invalid grant for {form}", "error": escaped})
        return call_next(request)

    sb.middleware.append(echo_form)
    environ: dict[str, str | None] = {"CID": "cid", "CSECRET": CLIENT_SECRET}
    result = CliRunner(env=environ).invoke(
        cli,
        ["-C", str(root), "--debug", "plan", "--base-url", http_sandbox.url],
        catch_exceptions=False,
    )
    assert result.exit_code == 1, result.output
    assert "invalid grant for" in result.output + result.stderr
    for secret in (CLIENT_SECRET, refresh):
        assert leaks(result.output + result.stderr, secret) == [], result.output + result.stderr


# -- text from GHL cannot drive the terminal or forge plan lines -------------------------------

HOSTILE_TEXT = '\x1b]0;pwned\x07\x1b[2J\x9b31m\nLocation forged (x)\n  + tag "forged"\u202e'


@pytest.mark.parametrize("args", [("plan",), ("--no-color", "plan"), ("plan", "--markdown")])
def test_control_characters_from_the_api_are_shown_escaped(
    args: tuple[str, ...], project: Path, http_sandbox: HttpSandbox
) -> None:
    sb = http_sandbox.sandbox

    def hostile(request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        answer = call_next(request)
        if request.method == "GET" and request.path == f"/locations/{LOC}/tags":
            return json_response(400, {"message": HOSTILE_TEXT})
        if request.method == "GET" and request.path == f"/locations/{LOC}/customFields":
            fields = answer.json()
            for f in fields.get("customFields", []):
                f["name"] = f["name"] + HOSTILE_TEXT
            return json_response(200, fields)
        return answer

    sb.middleware.append(hostile)
    result = CliRunner(env={**tokens(1)}).invoke(
        cli, ["-C", str(project), *args, "--base-url", http_sandbox.url], catch_exceptions=False
    )
    text = result.output + result.stderr
    assert result.exit_code == 1, text
    for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert raw not in text, (raw, text)
    assert "\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\nLocation forged (x)\\n" in text.replace(
        "\\\\", "\\"
    ), text
    lines = text.splitlines()
    assert not any(line.startswith(("Location forged", '  + tag "forged"')) for line in lines)


def test_plan_file_digests_are_keyed_by_a_key_kept_outside_the_file(
    project: Path, http_sandbox: HttpSandbox, tmp_path: Path
) -> None:
    assert run(project, http_sandbox.url, "plan", "--out", "plan.json").exit_code == 0
    key_file = project / ".ghlops" / "plan-key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    key = key_file.read_text().strip()
    plan_text = (project / "plan.json").read_text()
    assert key not in plan_text and leaks(plan_text, key) == []
    assert json.loads(plan_text)["plan_key_id"] not in key
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(project, elsewhere, ignore=shutil.ignore_patterns(".ghlops"))
    refused = run(elsewhere, http_sandbox.url, "apply", "plan.json")
    assert refused.exit_code == 1
    assert "plan.json cannot be applied here: its digests are keyed with a plan key" in (
        refused.stderr
    )
    values = {v["name"]: v["value"] for v in http_sandbox.sandbox.objects(LOC, "customValues")}
    assert values["Door Code"] == DOOR  # untouched
    shared = {"GHLOPS_PLAN_KEY": "k" * 40}
    assert run(project, http_sandbox.url, "plan", "--out", "ci.json", env=shared).exit_code == 0
    shutil.copy(project / "ci.json", elsewhere / "ci.json")
    applied = run(elsewhere, http_sandbox.url, "apply", "ci.json", env=shared)
    assert applied.exit_code == 0, applied.output
    assert not (elsewhere / ".ghlops" / "plan-key").exists()


def test_a_masked_live_value_changed_after_the_plan_is_caught(
    project: Path, http_sandbox: HttpSandbox
) -> None:
    assert run(project, http_sandbox.url, "plan", "--out", "plan.json").exit_code == 0
    (door,) = [v for v in http_sandbox.sandbox.objects(LOC, "customValues") if v["value"] == DOOR]
    changed = httpx.put(
        f"{http_sandbox.url}/locations/{LOC}/customValues/{door['id']}",
        json={"name": "Door Code", "value": "48214"},
        headers={"Authorization": f"Bearer {token(0)}", "Version": "2021-07-28"},
    )
    assert changed.status_code == 200, changed.text
    applied = run(project, http_sandbox.url, "apply", "plan.json")
    assert applied.exit_code != 0
    assert "its live state changed since the plan (customValues)" in applied.stderr
    assert leaks(everything(applied, project / "plan.json"), "48214") == []


RAW_CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e")


def test_refusals_are_masked_and_escaped_in_every_output(
    project: Path, http_sandbox: HttpSandbox
) -> None:
    """A location whose read fails with an error quoting a live secret and control characters
    is refused; the refusal is at the top of every output, masked and escaped."""

    def failing(request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        if request.method == "GET" and request.path == f"/locations/{LOC}/tags":
            return json_response(400, {"message": f"bad value {STRIPE} {HOSTILE_TEXT}"})
        return call_next(request)

    http_sandbox.sandbox.middleware.append(failing)
    out = project / "plan.json"
    outputs = {
        "text": run(project, http_sandbox.url, "plan"),
        "json": run(project, http_sandbox.url, "plan", "--json"),
        "markdown": run(project, http_sandbox.url, "plan", "--markdown"),
        "plan file": run(project, http_sandbox.url, "plan", "--out", "plan.json"),
    }
    http_sandbox.sandbox.middleware.remove(failing)
    saved = json.loads(out.read_text())
    assert saved["refusals"] and "could not be planned" in saved["refusals"][0]["message"]
    for args in (("show", "plan.json"), ("show", "plan.json", "--json")):
        outputs[" ".join(args)] = CliRunner().invoke(cli, ["-C", str(project), *args])
    for name, result in outputs.items():
        text = everything(result, out)
        assert "could not be planned" in text, (name, text)
        assert leaks(text, STRIPE) == [], (name, text)
        for raw in RAW_CONTROLS:
            assert raw not in text, (name, raw, text)
        refusal = [line for line in text.splitlines() if "could not be planned" in line]
        assert all("bad value" in line for line in refusal), (name, refusal)


def test_exported_files_hold_no_known_secret_in_any_encoding(
    project: Path, http_sandbox: HttpSandbox, tmp_path: Path
) -> None:
    """A live value quoting the token (URL-encoded, cut short) under an innocent name: the
    exported bundle files never hold it, even with --show-secrets."""
    sb = http_sandbox.sandbox
    echoed = {
        "Portal Note": f"login with {quote(token(0), safe='')}",
        "Portal Hint": f"starts {token(0)[: MIN_PREFIX + 2]}",
    }
    sb.seed(
        {
            "locations": {
                LOC: {
                    "customValues": [
                        {
                            "name": name,
                            "value": value,
                            "fieldKey": _key(name.lower().replace(" ", "_")),
                        }
                        for name, value in echoed.items()
                    ]
                }
            }
        }
    )
    for flags in ((), ("--show-secrets",)):
        folder = tmp_path / f"export{len(flags)}"
        result = run(project, http_sandbox.url, "export", "--out", str(folder), *flags)
        assert result.exit_code == 0, result.output
        files = sorted(folder.rglob("*.yaml"))
        written = "".join(f.read_text() for f in files)
        assert "value: starts ***" in written, written
        assert ("login with ***" in written) == bool(flags), written  # else masked by its look
        assert leaks(written + result.output, token(0)) == [], (flags, written)


def test_json_outputs_hold_no_raw_control_character_and_decode_exactly(
    project: Path, http_sandbox: HttpSandbox
) -> None:
    """--json and plan files are for programs: the names decode to what GHL holds, control
    and direction characters included; their text holds none of them raw (JSON escapes)."""

    def hostile(request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        answer = call_next(request)
        if request.method == "GET" and request.path == f"/locations/{LOC}/tags":
            tags = answer.json()
            for tag in tags.get("tags", []):
                tag["name"] = tag["name"] + HOSTILE_TEXT
            return json_response(200, tags)
        return answer

    http_sandbox.sandbox.middleware.append(hostile)
    out = project / "plan.json"
    shown = run(project, http_sandbox.url, "plan", "--json")
    saved = run(project, http_sandbox.url, "plan", "--out", "plan.json")
    http_sandbox.sandbox.middleware.remove(hostile)
    assert saved.exit_code == 0, saved.output
    for text in (shown.stdout, out.read_text()):
        for raw in (*RAW_CONTROLS, "\x7f", "\u2028"):
            assert raw not in text, (raw, text)
        assert "\\u001b]0;pwned\\u0007\\u001b[2J\\u009b31m\\n" in text, text
        assert any(HOSTILE_TEXT in value for value in _strings(json.loads(text)))  # decodes exactly


def _strings(data: object) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)
