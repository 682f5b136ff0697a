"""Hostile or buggy API responses: unexpected shapes, wrong types, unknown enum values, huge
pages, ids that change between calls, duplicate natural keys in live state, odd error bodies.

Each gives a clear error or warning, never a crash (no "internal error", no traceback) and never
a destructive action on what ghlops could not read or match unambiguously. Responses are
rewritten by a sandbox middleware.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ghlops.cli.main import cli
from ghlops.sandbox import RateLimit, Sandbox, SandboxRequest, SandboxResponse, json_response
from ghlops.sandbox.app import CallNext
from tests.helpers.cli import HttpSandbox
from tests.integration.fleet import (
    OLD_TAG,
    location_id,
    seed_fleet,
    tokens,
    use_fast_retries,
    write_fleet,
)

LOC = location_id(0)
TAGS = f"/locations/{LOC}/tags"
DELETE_TAG = "DELETE /locations/{locationId}/tags/{tagId}"


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    use_fast_retries(monkeypatch)


@pytest.fixture
def project(tmp_path: Path, http_sandbox: HttpSandbox) -> Path:
    """One clinic with tags (pruned), custom fields and custom values, seeded."""
    root = write_fleet(tmp_path / "hostile", 1, kinds="core")
    seed_fleet(http_sandbox.sandbox, 1, kinds="core")
    return root


def run(project: Path, url: str, *args: str) -> Result:
    env: dict[str, str | None] = {**tokens(1)}
    return CliRunner(env=env).invoke(
        cli, ["-C", str(project), *args, "--base-url", url], catch_exceptions=False
    )


def rewrite(
    sb: Sandbox, method: str, path: str, change: Callable[[Any], Any], status: int = 200
) -> None:
    """Answer ``method path`` (no query) with ``change(<the real JSON answer>)``."""

    def middleware(request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        answer = call_next(request)
        if request.method != method or request.path != path:
            return answer
        return json_response(status, change(answer.json()))

    sb.middleware.append(middleware)


def no_crash(result: Result) -> None:
    assert "internal error" not in result.output
    assert "Traceback" not in result.output


def tags_of(sb: Sandbox) -> list[str]:
    return sorted(str(t["name"]) for t in sb.objects(LOC, "tags"))


# -- unexpected shapes and wrong types: the location fails, nothing is deleted ------------------


def _first(body: Any, **fields: Any) -> Any:
    return {"tags": [{**body["tags"][0], **fields}, *body["tags"][1:]]}


SHAPES: dict[str, Callable[[Any], Any]] = {
    "object instead of list": lambda body: {"tags": {t["id"]: t for t in body["tags"]}},
    "string instead of list": lambda body: {"tags": "new-patient,old-promo"},
    "bare list": lambda body: body["tags"],
    "unknown wrapper": lambda body: {"data": {"items": body["tags"]}},
    "null": lambda body: None,
    "number": lambda body: 42,
    "name is a number": lambda body: _first(body, name=404),
    "name is null": lambda body: _first(body, name=None),
    "name is a list": lambda body: _first(body, name=["old-promo"]),
    "id is null": lambda body: _first(body, id=None),
    "id is missing": lambda body: {"tags": [{"name": t["name"]} for t in body["tags"]]},
    "same id twice": lambda body: {"tags": [*body["tags"], body["tags"][0]]},
    "items are strings": lambda body: {"tags": [t["name"] for t in body["tags"]]},
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_an_unusable_list_fails_the_location_and_deletes_nothing(
    shape: str, project: Path, http_sandbox: HttpSandbox
) -> None:
    sb = http_sandbox.sandbox
    rewrite(sb, "GET", TAGS, SHAPES[shape])
    plan = run(project, http_sandbox.url, "plan", "--detailed-exitcode")
    no_crash(plan)
    assert plan.exit_code == 1, plan.output
    assert "FAILED: reading tags: the API's answer does not have the documented shape" in (
        plan.stdout
    )
    assert "read 3 times" in plan.stdout
    applied = run(project, http_sandbox.url, "apply", "--auto-approve")
    no_crash(applied)
    assert applied.exit_code == 1, applied.output
    assert "FAILED: reading tags: the API's answer does not have" in applied.stdout
    assert OLD_TAG in tags_of(sb)  # pruned kind, live-only tag: still not deleted
    assert sb.request_count(LOC, route=DELETE_TAG) == 0
    assert sb.objects(LOC, "customValues")[0]["value"] == "+1 555 9999 (old)"  # no other write


def test_unknown_fields_and_extra_wrappers_are_ignored(
    project: Path, http_sandbox: HttpSandbox
) -> None:
    """Fields and keys ghlops does not know are not a problem: they are not compared."""

    def extra(body: Any) -> Any:
        return {
            **body,
            "meta": {"total": 99, "next": None},
            "tags": [{**t, "color": "#ff0000", "usage": {"contacts": 3}} for t in body["tags"]],
        }

    rewrite(http_sandbox.sandbox, "GET", TAGS, extra)
    result = run(project, http_sandbox.url, "plan", "--detailed-exitcode")
    no_crash(result)
    assert result.exit_code == 2, result.output
    assert f'- tag "{OLD_TAG}"' in result.stdout


# -- unknown enum values ---------------------------------------------------------------------


def test_an_unknown_enum_value_is_never_a_reason_to_replace(
    project: Path, http_sandbox: HttpSandbox
) -> None:
    """dataType cannot change, so a difference is a replace (delete + create: the data in the
    field is lost). A live dataType the API documents no such value for is left alone."""
    sb = http_sandbox.sandbox
    sb.seed(
        {
            "locations": {
                LOC: {
                    "customFields": [
                        {
                            "name": "Insurance Provider",
                            "model": "contact",
                            "dataType": "HOLOGRAM",
                            "fieldKey": "contact.insurance_provider",
                        },
                        {
                            "name": "Shoe Size",
                            "model": "contact",
                            "dataType": "QUANTUM_TEXT",
                            "fieldKey": "contact.shoe_size",
                        },
                    ]
                }
            }
        }
    )
    result = run(project, http_sandbox.url, "apply", "--auto-approve")
    no_crash(result)
    assert result.exit_code == 0, result.output
    assert (
        "custom field 'contact:Insurance Provider': the live object (" in result.stdout
        and "has dataType 'HOLOGRAM', which ghlops does not know; it is left untouched "
        "(not replaced)"
        in result.stdout
    )
    fields = {f["name"]: f for f in sb.objects(LOC, "customFields")}
    assert fields["Insurance Provider"]["dataType"] == "HOLOGRAM"  # not replaced
    assert fields["Shoe Size"]["dataType"] == "QUANTUM_TEXT"  # unmanaged: untouched
    assert sb.request_count(LOC, route="DELETE /locations/{locationId}/customFields/{id}") == 0


# -- huge pages ------------------------------------------------------------------------------


def _products(n: int) -> list[dict[str, Any]]:
    return [{"name": f"Product {i:04d}", "productType": "DIGITAL"} for i in range(n)]


def test_a_page_larger_than_asked_is_read_whole(tmp_path: Path, http_sandbox: HttpSandbox) -> None:
    project = write_fleet(tmp_path / "shop", 1)
    sb = http_sandbox.sandbox
    sb.rate_limit = RateLimit(100_000, 1.0, daily_limit=None)  # prices are read per product
    seed_fleet(sb, 1)
    sb.seed({"locations": {LOC: {"products": _products(300)}}})
    everything = [p for p in sb.objects(LOC, "products")]

    def huge(request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        if request.method == "GET" and request.path == "/products/":
            offset = int(dict(p.split("=") for p in request.query_string.split("&"))["offset"])
            page = [{**p, "_id": p["_id"]} for p in everything[offset:]]  # ignores limit
            return json_response(200, {"products": page, "total": [{"total": len(everything)}]})
        return call_next(request)

    sb.middleware.append(huge)
    result = run(project, http_sandbox.url, "plan")
    no_crash(result)
    assert result.exit_code == 0, result.output
    assert "unmanaged: 301" in result.stdout  # the 300 products and the legacy field
    assert sb.request_count(route="GET /products/") == 1  # 300 items: all the total reports


def test_paging_that_ignores_the_offset_fails_without_deleting(
    tmp_path: Path, http_sandbox: HttpSandbox
) -> None:
    project = write_fleet(tmp_path / "shop", 1)
    text = (project / "ghlops.yaml").read_text()
    (project / "ghlops.yaml").write_text(text.replace("prune: [tags", "prune: [products, tags"))
    sb = http_sandbox.sandbox
    seed_fleet(sb, 1)
    sb.seed({"locations": {LOC: {"products": _products(250)}}})
    first_page = sb.objects(LOC, "products")[:100]

    def stuck(request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        if request.method == "GET" and request.path == "/products/":
            return json_response(200, {"products": first_page, "total": [{"total": 250}]})
        return call_next(request)

    sb.middleware.append(stuck)
    result = run(project, http_sandbox.url, "apply", "--auto-approve", "--force")
    no_crash(result)
    assert result.exit_code == 3, result.output  # the agency's menu link went through
    assert "the same page came back for offset=100: the API ignores paging" in result.stderr
    assert len(sb.objects(LOC, "products")) == 250


# -- ids that change between calls -----------------------------------------------------------


def test_ids_that_change_between_calls_fail_clearly(
    project: Path, http_sandbox: HttpSandbox
) -> None:
    """The list names objects by ids that do not exist: writes to them answer 404, reported;
    nothing is created twice and nothing else is touched."""
    sb = http_sandbox.sandbox
    calls = {"n": 0}

    def shifting(body: Any) -> Any:
        calls["n"] += 1
        return {"tags": [{**t, "id": f"{t['id'][:-2]}{calls['n']:02d}"} for t in body["tags"]]}

    rewrite(sb, "GET", TAGS, shifting)
    before = tags_of(sb)
    result = run(project, http_sandbox.url, "apply", "--auto-approve")
    no_crash(result)
    assert result.exit_code in (1, 3), result.output
    assert f'- tag "{OLD_TAG}": FAILED: delete tag' in result.stderr
    assert "404 Not Found" in result.stderr
    assert tags_of(sb) == before  # the delete did not happen, nothing was created
    assert sb.request_count(LOC, route=DELETE_TAG) == 1  # a 404 at once is not retried


def test_a_saved_plan_is_refused_when_ids_moved(project: Path, http_sandbox: HttpSandbox) -> None:
    sb = http_sandbox.sandbox
    made = run(project, http_sandbox.url, "plan", "--out", "plan.json")
    assert made.exit_code == 0, made.output
    rewrite(
        sb, "GET", TAGS, lambda body: {"tags": [{**t, "id": t["id"][::-1]} for t in body["tags"]]}
    )
    result = run(project, http_sandbox.url, "apply", "plan.json")
    no_crash(result)
    assert result.exit_code == 1, result.output
    assert "Refused clinic-0 (" in result.stderr
    assert OLD_TAG in tags_of(sb)


# -- duplicate natural keys in live state ----------------------------------------------------


def test_duplicate_natural_keys_are_left_alone_with_a_warning(
    project: Path, http_sandbox: HttpSandbox
) -> None:
    sb = http_sandbox.sandbox
    sb.seed(
        {
            "locations": {
                LOC: {
                    "tags": [{"name": "new-patient"}],  # a second one, declared: ambiguous
                    "customValues": [
                        {
                            "name": "Clinic Phone",
                            "value": "+1 555 0000",
                            "fieldKey": "{{ custom_values.clinic_phone_2 }}",
                        }
                    ],
                }
            }
        }
    )
    result = run(project, http_sandbox.url, "apply", "--auto-approve")
    no_crash(result)
    assert result.exit_code == 0, result.output
    assert "tag 'new-patient': 2 live objects match (" in result.stdout
    assert "custom value 'Clinic Phone': 2 live objects match (" in result.stdout
    assert "left untouched until the duplicates are resolved by hand" in result.stdout
    assert tags_of(sb).count("new-patient") == 2  # pruning on: neither deleted
    phones = sorted(
        v["value"] for v in sb.objects(LOC, "customValues") if v["name"] == "Clinic Phone"
    )
    assert phones == ["+1 555 0000", "+1 555 9999 (old)"]  # neither updated


# -- odd answers to writes and odd error bodies ----------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        SandboxResponse(500, {"Content-Type": "application/json"}, b'{"message": {"a": [1, 2]}}'),
        SandboxResponse(400, {"Content-Type": "text/html"}, b"<html>" + b"x" * 100_000),
        SandboxResponse(422, {"Content-Type": "application/json"}, b'{"message": [{"f": 1}]}'),
        SandboxResponse(404, {}, b""),
        SandboxResponse(418, {"Content-Type": "application/json"}, b"[1, 2, 3]"),
        SandboxResponse(200, {"Content-Type": "application/json"}, b'"just a string"'),
    ],
    ids=["500-nested", "400-huge-html", "422-objects", "404-empty", "418-list", "200-string"],
)
def test_odd_answers_to_a_write_are_reported(
    answer: SandboxResponse, project: Path, http_sandbox: HttpSandbox
) -> None:
    sb = http_sandbox.sandbox

    def odd(request: SandboxRequest, call_next: CallNext) -> SandboxResponse:
        if request.method == "PUT":
            return answer
        return call_next(request)

    sb.middleware.append(odd)
    result = run(project, http_sandbox.url, "apply", "--auto-approve")
    no_crash(result)
    if answer.status == 200:  # a PUT's answer body is not used: the update is done
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 3, result.output
    failed = next(line for line in result.stderr.splitlines() if "FAILED" in line)
    assert 'custom value "Clinic Phone": FAILED: update custom value' in failed
    assert len(failed) < 600  # one readable line, not a 100 kB page
    assert "stopped at the first failure" in result.stderr


def test_a_create_answer_of_another_shape_is_adopted_not_duplicated(
    project: Path, http_sandbox: HttpSandbox
) -> None:
    sb = http_sandbox.sandbox
    rewrite(sb, "POST", TAGS, lambda body: {"tag": [body["tag"]]}, status=201)
    result = run(project, http_sandbox.url, "apply", "--auto-approve")
    no_crash(result)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("created (adopted after an ambiguous failure)") == 3
    names = tags_of(sb)
    assert len(names) == len(set(names))
