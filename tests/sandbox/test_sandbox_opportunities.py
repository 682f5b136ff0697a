"""Pipelines and opportunities (apps/opportunities.json): the list, seeding as the GHL UI would,
the v3 pipeline writes (extension operations: not in the vendored spec) and opportunity search.

The spec mis-types ``PipelinesResponseSchema.stages`` as an array of arrays and documents no
stage object. The sandbox answers stage objects ``{id (uuid), name, position, showInFunnel,
showInPieChart, stageWinProbability?}`` (ghlops' documented decision), so list answers are
checked in two parts: everything but the stages (and the v3 ``useOpportunityProbability``)
against the spec, each stage against :data:`STAGE_SCHEMA`. The write answers, which no vendored
spec documents, are checked against the schemas the handler module declares for them.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

from ghlops.sandbox import Sandbox
from ghlops.sandbox.handlers import all_extensions, all_routes
from ghlops.sandbox.handlers.opportunities import DELETE_ANSWER, PIPELINE_ANSWER
from ghlops.sandbox.routing import Router, RouteTable
from ghlops.sandbox.spec import default_library
from tests.helpers.sandbox import LOC, OTHER_LOC, VERSION
from tests.helpers.spec_check import check_response

PIPELINES = "/opportunities/pipelines"
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
STAGE_SCHEMA = {
    "type": "object",
    "required": ["id", "name", "position", "showInFunnel", "showInPieChart"],
    "properties": {
        "id": {"type": "string", "pattern": UUID},
        "name": {"type": "string", "minLength": 1},
        "position": {"type": "integer", "minimum": 0},
        "showInFunnel": {"type": "boolean"},
        "showInPieChart": {"type": "boolean"},
        "stageWinProbability": {"type": "number", "minimum": 0, "maximum": 100},
    },
    "additionalProperties": False,
}


def check_pipelines(body: Any) -> None:
    """The list answer matches the spec except for the stage shape, which matches ours, and
    the v3 ``useOpportunityProbability`` (a boolean, present once a write set it)."""
    without_stages = copy.deepcopy(body)
    for pipeline in without_stages["pipelines"]:
        pipeline["stages"] = []
        assert isinstance(pipeline.pop("useOpportunityProbability", False), bool)
    check_response("GET", PIPELINES, 200, without_stages)
    validator = Draft202012Validator(STAGE_SCHEMA)
    for pipeline in body["pipelines"]:
        for stage in pipeline["stages"]:
            errors = list(validator.iter_errors(stage))
            assert not errors, errors[0].message


@pytest.fixture
def http(sb: Sandbox, token: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=sb.transport(),
        base_url="https://services.leadconnectorhq.com",
        headers={"Authorization": f"Bearer {token}", "Version": VERSION},
    ) as c:
        yield c


def pipelines(http: httpx.Client, location: str = LOC) -> list[dict[str, Any]]:
    response = http.get(PIPELINES, params={"locationId": location})
    assert response.status_code == 200, response.text
    check_pipelines(response.json())
    found: list[dict[str, Any]] = response.json()["pipelines"]
    return found


def seed(sb: Sandbox, *items: dict[str, Any], location: str = LOC) -> list[str]:
    return sb.seed({"locations": {location: {"pipelines": list(items)}}})[f"{location}/pipelines"]


def test_empty_list(http: httpx.Client) -> None:
    assert pipelines(http) == []


def test_seeded_pipeline_has_uuid_stages_in_order(sb: Sandbox, http: httpx.Client) -> None:
    [pid] = seed(
        sb, {"name": "Patient Journey", "stages": ["New Lead", "Consult", "Treatment", "Won"]}
    )
    [pipeline] = pipelines(http)
    stage_ids = [s["id"] for s in pipeline["stages"]]
    assert len(set(stage_ids)) == 4
    assert pipeline == {
        "id": pid,
        "name": "Patient Journey",
        "stages": [
            {
                "id": stage_ids[i],
                "name": name,
                "position": i,
                "showInFunnel": True,
                "showInPieChart": True,
            }
            for i, name in enumerate(["New Lead", "Consult", "Treatment", "Won"])
        ],
        "showInFunnel": True,
        "showInPieChart": True,
        "locationId": LOC,
    }
    assert len(pid) == 20 and pid.isalnum()
    assert sb.objects(LOC, "pipelines") == [pipeline]


def test_seeded_options_are_kept(sb: Sandbox, http: httpx.Client) -> None:
    stage_id = "7915dedc-8f18-44d5-8bc3-77c04e994a10"
    seed(
        sb,
        {
            "id": "aWdODOBVOlH1RUFKWQke",
            "name": "Recall",
            "stages": [{"name": "Due", "id": stage_id, "showInFunnel": False}, "Booked"],
            "showInFunnel": False,
            "showInPieChart": False,
            "colorRenderMode": "bg-tint",
        },
        {"name": "Sales", "stages": ["Open"]},
    )
    recall, sales = pipelines(http)
    assert recall["id"] == "aWdODOBVOlH1RUFKWQke"
    assert recall["stages"][0] == {
        "id": stage_id,
        "name": "Due",
        "position": 0,
        "showInFunnel": False,
        "showInPieChart": True,
    }
    assert (recall["showInFunnel"], recall["showInPieChart"]) == (False, False)
    assert recall["colorRenderMode"] == "bg-tint"
    assert sales["name"] == "Sales" and "colorRenderMode" not in sales


def test_seeding_refuses_what_ghl_refuses(sb: Sandbox) -> None:
    seed(sb, {"name": "Sales", "stages": ["Open"]})
    with pytest.raises(ValueError, match="already has a pipeline named 'SALES'"):
        seed(sb, {"name": "SALES", "stages": ["Open"]})
    with pytest.raises(ValueError, match="stage names must be unique"):
        seed(sb, {"name": "Other", "stages": ["Open", "open"]})
    with pytest.raises(ValueError, match="needs a name"):
        seed(sb, {"stages": ["Open"]})
    with pytest.raises(ValueError, match="a stage must be a name"):
        seed(sb, {"name": "Third", "stages": [{"id": "x"}]})
    assert [p["name"] for p in sb.objects(LOC, "pipelines")] == ["Sales"]


def test_the_spec_mis_types_stages(sb: Sandbox, http: httpx.Client) -> None:
    """Documents the deviation: the spec's own schema rejects stage objects, and only them."""
    seed(sb, {"name": "Sales", "stages": ["Open"]})
    body = http.get(PIPELINES, params={"locationId": LOC}).json()
    with pytest.raises(AssertionError, match=r"is not of type 'array' at \['pipelines', 0, 'stag"):
        check_response("GET", PIPELINES, 200, body)
    check_pipelines(body)


def test_locations_are_separate(sb: Sandbox, http: httpx.Client) -> None:
    seed(sb, {"name": "Mine", "stages": ["A"]})
    seed(sb, {"name": "Theirs", "stages": ["B"]}, location=OTHER_LOC)
    assert [p["name"] for p in pipelines(http)] == ["Mine"]
    response = http.get(PIPELINES, params={"locationId": OTHER_LOC})
    assert response.status_code == 403
    check_response("GET", PIPELINES, 403, response.json())


def test_location_id_and_version_are_required(http: httpx.Client) -> None:
    response = http.get(PIPELINES)
    assert response.status_code == 400  # the operation documents 400, not 422
    assert response.json()["message"] == ["locationId should not be empty"]
    response = http.get(PIPELINES, params={"locationId": LOC}, headers={"Version": ""})
    assert response.status_code == 400
    check_response("GET", PIPELINES, 400, response.json())


def test_no_token_is_401(sb: Sandbox) -> None:
    with httpx.Client(
        transport=sb.transport(), base_url="https://services.leadconnectorhq.com"
    ) as anonymous:
        response = anonymous.get(
            PIPELINES, params={"locationId": LOC}, headers={"Version": VERSION}
        )
    assert response.status_code == 401
    check_response("GET", PIPELINES, 401, response.json())


# -- the v3 pipeline writes: extension operations ---------------------------------------------

V3 = {"Version": "v3"}
UNPROCESSABLE = {
    "type": "object",
    "required": ["statusCode", "message", "error"],
    "properties": {
        "statusCode": {"const": 422},
        "message": {"type": "array", "items": {"type": "string"}},
        "error": {"const": "Unprocessable Entity"},
    },
    "additionalProperties": False,
}
WRITES = {
    ("POST", "/opportunities/pipelines"),
    ("PUT", "/opportunities/pipelines/{pipelineId}"),
    ("DELETE", "/opportunities/pipelines/{pipelineId}"),
}


def check(schema: dict[str, Any], body: Any) -> None:
    errors = list(Draft202012Validator(schema).iter_errors(body))
    assert not errors, errors[0].message


def create(http: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"locationId": LOC, "name": "Sales", "stages": [{"name": "Open"}], **fields}
    response = http.post(PIPELINES, json=body, headers=V3)
    assert response.status_code == 201, response.text
    check(PIPELINE_ANSWER, response.json())
    created: dict[str, Any] = response.json()["pipeline"]
    return created


def update(http: httpx.Client, pipeline_id: str, **fields: Any) -> dict[str, Any]:
    response = http.put(f"{PIPELINES}/{pipeline_id}", json=fields, headers=V3)
    assert response.status_code == 200, response.text
    check(PIPELINE_ANSWER, response.json())
    updated: dict[str, Any] = response.json()["pipeline"]
    return updated


def refused(response: httpx.Response, *messages: str) -> None:
    assert response.status_code == 422, response.text
    check(UNPROCESSABLE, response.json())
    assert response.json()["message"] == list(messages)


def stage_ids(pipeline: dict[str, Any]) -> dict[str, str]:
    return {s["name"]: s["id"] for s in pipeline["stages"]}


def test_pipeline_writes_are_extensions_not_in_the_spec() -> None:
    """The three writes come from the handler's extension list, not from the vendored spec,
    and the router refuses an extension that the spec has (it must never shadow the spec)."""
    library = default_library()
    spec_ops = {(op.method, op.path) for op in library.all_operations()}
    extensions = {(r.method, r.path) for r in all_extensions()}
    assert extensions == WRITES
    assert not extensions & spec_ops
    assert not {(r.method, r.path) for r in all_routes()} & WRITES
    for route in all_extensions():
        assert route.operation is not None
        assert route.operation.version_values == ("v3",)
        assert route.operation.requires_auth
    table = RouteTable("opportunities")
    table.extension(
        "GET",
        "/opportunities/pipelines",
        operation_id="shadow",
        versions=("v3",),
        security=({"bearer": ()},),
    )(lambda ctx: {})
    with pytest.raises(ValueError, match="is in the vendored spec now"):
        Router(library.all_operations(), table.extensions)


def test_writes_need_version_v3_and_a_token(sb: Sandbox, http: httpx.Client) -> None:
    body = {"locationId": LOC, "name": "Sales", "stages": [{"name": "Open"}]}
    response = http.post(PIPELINES, json=body)  # the client's default 2021-07-28
    assert response.status_code == 400
    assert "accepted: v3" in response.json()["message"]
    with httpx.Client(
        transport=sb.transport(), base_url="https://services.leadconnectorhq.com"
    ) as anonymous:
        response = anonymous.post(PIPELINES, json=body, headers=V3)
    assert response.status_code == 401
    assert sb.objects(LOC, "pipelines") == []
    response = http.patch(f"{PIPELINES}/x", json={}, headers=V3)
    assert response.status_code == 404
    assert response.json()["message"] == f"Cannot PATCH {PIPELINES}/x"


def test_create_pipeline(sb: Sandbox, http: httpx.Client) -> None:
    created = create(
        http,
        name="Patient Journey",
        stages=[
            {"name": "Won", "position": 2, "stageWinProbability": 100},
            {"name": "New Lead", "position": 0, "stageWinProbability": 10},
            {"name": "Consult", "position": 1, "stageWinProbability": 40.5},
        ],
        useOpportunityProbability=True,
        showInPieChart=False,
    )
    assert len(created["id"]) == 20 and created["id"].isalnum()
    assert [(s["name"], s["position"], s["stageWinProbability"]) for s in created["stages"]] == [
        ("New Lead", 0, 10),
        ("Consult", 1, 40.5),
        ("Won", 2, 100),
    ]
    assert len({s["id"] for s in created["stages"]}) == 3
    assert created["useOpportunityProbability"] is True
    assert (created["showInFunnel"], created["showInPieChart"]) == (True, False)
    assert created["locationId"] == LOC
    assert pipelines(http) == [created]
    assert sb.objects(LOC, "pipelines") == [created]


def test_create_orders_stages_by_array_order_without_positions(http: httpx.Client) -> None:
    created = create(http, stages=[{"name": "B"}, {"name": "A"}])
    assert [(s["name"], s["position"]) for s in created["stages"]] == [("B", 0), ("A", 1)]
    assert "useOpportunityProbability" not in created
    assert all("stageWinProbability" not in s for s in created["stages"])


def test_create_refuses_what_ghl_refuses(sb: Sandbox, http: httpx.Client) -> None:
    create(http, name="Sales")

    def post(**fields: Any) -> httpx.Response:
        body = {"locationId": LOC, "name": "Other", "stages": [{"name": "Open"}], **fields}
        return http.post(PIPELINES, json=body, headers=V3)

    refused(post(name="SALES"), "a pipeline named 'SALES' already exists (names ignore case)")
    refused(
        post(stages=[{"name": "Open"}, {"name": "OPEN"}]),
        "stage name 'OPEN' is used twice (names ignore case)",
    )
    refused(post(stages=[]), "stages must contain at least 1 elements")
    refused(
        post(
            useOpportunityProbability=True,
            stages=[{"name": "A", "stageWinProbability": 5}, {"name": "B"}],
        ),
        "stageWinProbability is required on every stage when useOpportunityProbability is true",
    )
    refused(
        post(stages=[{"name": "A", "stageWinProbability": 101}]),
        "stages.0.stageWinProbability must not be greater than 100",
    )
    refused(post(stages=[{"name": "A", "id": "x"}]), "stages.0.property id should not exist")
    refused(post(colour="red"), "property colour should not exist")
    response = http.post(
        PIPELINES,
        json={"locationId": OTHER_LOC, "name": "X", "stages": [{"name": "A"}]},
        headers=V3,
    )
    assert response.status_code == 403
    assert [p["name"] for p in sb.objects(LOC, "pipelines")] == ["Sales"]
    assert sb.objects(OTHER_LOC, "pipelines") == []


def seed_opportunities(sb: Sandbox, *items: tuple[str, str, str]) -> list[str]:
    created = sb.seed(
        {
            "locations": {
                LOC: {
                    "opportunities": [
                        {"pipeline": pipeline, "stage": stage, "name": name}
                        for pipeline, stage, name in items
                    ]
                }
            }
        }
    )
    return created[f"{LOC}/opportunities"]


def where(sb: Sandbox) -> dict[str, tuple[str, str]]:
    """Each opportunity's pipeline and stage, by name."""
    names = {p["id"]: p for p in sb.objects(LOC, "pipelines")}
    found = {}
    for opportunity in sb.objects(LOC, "opportunities"):
        pipeline = names[opportunity["pipelineId"]]
        stage = next(s for s in pipeline["stages"] if s["id"] == opportunity["pipelineStageId"])
        found[opportunity["name"]] = (pipeline["name"], stage["name"])
    return found


@pytest.fixture
def journey(sb: Sandbox) -> dict[str, Any]:
    """A seeded pipeline with an opportunity in each stage, plus one in another pipeline."""
    seed(
        sb,
        {"name": "Journey", "stages": ["New", "Consult", "Treatment", "Won"]},
        {"name": "Recall", "stages": ["Due"]},
    )
    seed_opportunities(
        sb,
        ("Journey", "New", "ann"),
        ("Journey", "Consult", "bob"),
        ("Journey", "Treatment", "cy"),
        ("journey", "won", "di"),
        ("Recall", "Due", "ed"),
    )
    pipeline: dict[str, Any] = sb.objects(LOC, "pipelines")[0]
    return pipeline


def test_update_renames_reorders_and_adds_keeping_stage_ids(
    sb: Sandbox, http: httpx.Client, journey: dict[str, Any]
) -> None:
    ids = stage_ids(journey)
    updated = update(
        http,
        journey["id"],
        name="Patient Journey",
        stages=[
            {"id": ids["Consult"], "name": "Consult Booked"},
            {"id": ids["New"], "name": "New"},
            {"name": "Follow-up"},
            {"id": ids["Treatment"], "name": "Treatment"},
            {"id": ids["Won"], "name": "won"},
        ],
        showInFunnel=False,
    )
    assert [(s["name"], s["position"]) for s in updated["stages"]] == [
        ("Consult Booked", 0),
        ("New", 1),
        ("Follow-up", 2),
        ("Treatment", 3),
        ("won", 4),
    ]
    new_ids = stage_ids(updated)
    assert new_ids["Consult Booked"] == ids["Consult"]
    assert new_ids["won"] == ids["Won"]
    assert new_ids["Follow-up"] not in ids.values()
    assert (updated["name"], updated["showInFunnel"], updated["showInPieChart"]) == (
        "Patient Journey",
        False,
        True,
    )
    assert pipelines(http)[0] == updated
    # nothing was removed, so every opportunity stays in its (renamed) stage
    assert where(sb) == {
        "ann": ("Patient Journey", "New"),
        "bob": ("Patient Journey", "Consult Booked"),
        "cy": ("Patient Journey", "Treatment"),
        "di": ("Patient Journey", "won"),
        "ed": ("Recall", "Due"),
    }


def test_removed_stages_move_their_opportunities_to_the_lowest_kept_stage(
    sb: Sandbox, http: httpx.Client, journey: dict[str, Any]
) -> None:
    ids = stage_ids(journey)
    updated = update(
        http,
        journey["id"],
        stages=[
            {"name": "Intake"},  # new and first: not a stage that remains, so not the target
            {"id": ids["Treatment"], "name": "Treatment"},
            {"id": ids["Consult"], "name": "Consult"},
        ],
    )
    assert [s["name"] for s in updated["stages"]] == ["Intake", "Treatment", "Consult"]
    assert where(sb) == {
        "ann": ("Journey", "Treatment"),
        "bob": ("Journey", "Consult"),
        "cy": ("Journey", "Treatment"),
        "di": ("Journey", "Treatment"),
        "ed": ("Recall", "Due"),
    }


def test_stages_are_a_full_replacement_that_keeps_at_least_one_stage(
    sb: Sandbox, http: httpx.Client, journey: dict[str, Any]
) -> None:
    ids = stage_ids(journey)
    url = f"{PIPELINES}/{journey['id']}"
    everything_new = {"stages": [{"name": "A"}, {"name": "B"}]}
    message = "all stages cannot be removed at once: keep at least one existing stage (by its id)"
    refused(http.put(url, json=everything_new, headers=V3), message)
    refused(http.put(url, json={"stages": []}, headers=V3), message)
    refused(
        http.put(url, json={"stages": [{"id": "nope", "name": "X"}]}, headers=V3),
        "stages.0.id 'nope' is not a stage of this pipeline",
    )
    refused(
        http.put(
            url,
            json={"stages": [{"id": ids["New"], "name": "New"}, {"id": ids["New"], "name": "X"}]},
            headers=V3,
        ),
        f"stages.1.id '{ids['New']}' is sent twice",
    )
    refused(
        http.put(
            url,
            json={"stages": [{"id": ids["New"], "name": "New"}, {"name": "NEW"}]},
            headers=V3,
        ),
        "stage name 'NEW' is used twice (names ignore case)",
    )
    refused(
        http.put(url, json={"name": "RECALL"}, headers=V3),
        "a pipeline named 'RECALL' already exists (names ignore case)",
    )
    assert sb.objects(LOC, "pipelines")[0] == journey  # nothing changed
    # a PUT without stages leaves them alone
    assert update(http, journey["id"], name="JOURNEY")["stages"] == journey["stages"]


def test_probabilities_on_update(sb: Sandbox, http: httpx.Client) -> None:
    created = create(http, stages=[{"name": "Open"}, {"name": "Won"}])
    ids = stage_ids(created)
    url = f"{PIPELINES}/{created['id']}"
    refused(
        http.put(url, json={"useOpportunityProbability": True}, headers=V3),
        "stageWinProbability is required on every stage when useOpportunityProbability is true",
    )
    both = [
        {"id": ids["Open"], "name": "Open", "stageWinProbability": 20},
        {"id": ids["Won"], "name": "Won", "stageWinProbability": 100},
    ]
    updated = update(http, created["id"], useOpportunityProbability=True, stages=both)
    assert [s.get("stageWinProbability") for s in updated["stages"]] == [20, 100]
    # a kept stage sent without a probability keeps the one it had
    again = update(http, created["id"], stages=[{"id": ids["Open"], "name": "Open"}, both[1]])
    assert [s.get("stageWinProbability") for s in again["stages"]] == [20, 100]
    assert again["useOpportunityProbability"] is True


def test_update_and_delete_of_unknown_or_foreign_pipelines_are_404(
    sb: Sandbox, http: httpx.Client
) -> None:
    [theirs] = seed(sb, {"name": "Theirs", "stages": ["A"]}, location=OTHER_LOC)
    for pipeline_id in (theirs, "NoSuchPipeline000000"):
        response = http.put(f"{PIPELINES}/{pipeline_id}", json={"name": "X"}, headers=V3)
        assert response.status_code == 404
        assert response.json() == {"statusCode": 404, "message": "Pipeline not found"}
        response = http.delete(f"{PIPELINES}/{pipeline_id}", headers=V3)
        assert response.status_code == 404
    assert [p["name"] for p in sb.objects(OTHER_LOC, "pipelines")] == ["Theirs"]


def test_delete_pipeline_deletes_its_opportunities(
    sb: Sandbox, http: httpx.Client, journey: dict[str, Any]
) -> None:
    response = http.delete(f"{PIPELINES}/{journey['id']}", headers=V3)
    assert response.status_code == 200
    check(DELETE_ANSWER, response.json())
    assert response.json() == {"succeded": True}
    assert [p["name"] for p in pipelines(http)] == ["Recall"]
    assert where(sb) == {"ed": ("Recall", "Due")}
    assert http.delete(f"{PIPELINES}/{journey['id']}", headers=V3).status_code == 404


# -- opportunities: seeding and search ----------------------------------------------------------

SEARCH = "/opportunities/search"


def test_search_opportunities(sb: Sandbox, client: httpx.Client, journey: dict[str, Any]) -> None:
    """Answers are spec-checked by the ``client`` fixture."""
    response = client.get(SEARCH, params={"location_id": LOC})
    assert response.status_code == 200
    body = response.json()
    assert [o["name"] for o in body["opportunities"]] == ["ann", "bob", "cy", "di", "ed"]
    assert body["meta"] == {"total": 5, "currentPage": 1}
    first = body["opportunities"][0]
    assert first["pipelineId"] == journey["id"]
    assert first["pipelineStageId"] == stage_ids(journey)["New"]
    assert (first["status"], first["locationId"]) == ("open", LOC)
    assert body["opportunities"] == sb.objects(LOC, "opportunities")

    response = client.get(
        SEARCH, params={"location_id": LOC, "pipeline_id": journey["id"], "limit": 3}
    )
    assert [o["name"] for o in response.json()["opportunities"]] == ["ann", "bob", "cy"]
    assert response.json()["meta"] == {"total": 4, "currentPage": 1, "nextPage": 2}
    response = client.get(
        SEARCH, params={"location_id": LOC, "pipeline_id": journey["id"], "limit": 3, "page": 2}
    )
    assert [o["name"] for o in response.json()["opportunities"]] == ["di"]
    assert response.json()["meta"] == {"total": 4, "currentPage": 2, "prevPage": 1}
    stage = stage_ids(journey)["Consult"]
    response = client.get(SEARCH, params={"location_id": LOC, "pipeline_stage_id": stage})
    assert [o["name"] for o in response.json()["opportunities"]] == ["bob"]


def test_search_checks_the_location_and_limits(client: httpx.Client) -> None:
    response = client.get(SEARCH)
    assert response.status_code == 422
    assert response.json()["message"] == ["location_id should not be empty"]
    response = client.get(SEARCH, params={"location_id": OTHER_LOC})
    assert response.status_code == 403
    response = client.get(SEARCH, params={"location_id": LOC, "limit": 101})
    assert response.status_code == 422
    assert response.json()["message"] == ["limit must not be greater than 100"]


def test_seeding_opportunities_needs_a_known_pipeline_and_stage(sb: Sandbox) -> None:
    seed(sb, {"name": "Sales", "stages": ["Open", "Won"]})
    [first] = seed_opportunities(sb, ("sales", "WON", "x"))
    [default] = sb.seed(
        {"locations": {LOC: {"opportunities": [{"pipeline": "Sales", "name": "y"}]}}}
    )[f"{LOC}/opportunities"]
    stages = stage_ids(sb.objects(LOC, "pipelines")[0])
    got = {o["id"]: o["pipelineStageId"] for o in sb.objects(LOC, "opportunities")}
    assert got == {first: stages["Won"], default: stages["Open"]}
    with pytest.raises(ValueError, match="has no pipeline 'Nope'"):
        seed_opportunities(sb, ("Nope", "Open", "z"))
    with pytest.raises(ValueError, match="has no stage 'Lost'"):
        seed_opportunities(sb, ("Sales", "Lost", "z"))
    with pytest.raises(ValueError, match="needs a name"):
        sb.seed({"locations": {LOC: {"opportunities": [{"pipeline": "Sales"}]}}})
    assert len(sb.objects(LOC, "opportunities")) == 2
