"""The contract documents (openapi.yaml, schemas/*.json): valid, complete, in line with the data."""

from __future__ import annotations

import copy
import datetime
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest
import referencing
import schemathesis
from hypothesis import HealthCheck, Phase, find, settings
from referencing.jsonschema import DRAFT202012
from schemathesis import GenerationMode
from schemathesis.core.result import Err
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.definitions import OPENAPI_31

from nemo_mock import contracts

DOC = contracts.openapi()
DOC_URI = "urn:nemo-mock:openapi"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

# contracts/README.md's table, plus the emulator's discovery and media endpoints.
OPERATIONS: dict[str, tuple[str, str]] = {
    "anonymousToken": ("post", "/api/auth/anonymous-token"),
    "claimToken": ("post", "/api/auth/claim-token"),
    "createSession": ("post", "/api/tasks/me/with-session/nemo_agent"),
    "creditsBalance": ("get", "/api/credits/balance/simple"),
    "upload": ("post", "/api/upload-video/nemo_agent/me/{session_id}"),
    "sessionState": ("get", "/api/state/nemo_agent/me/{session_id}/latest"),
    "runSse": ("post", "/run_sse"),
    "renderSubmit": ("post", "/api/render/proxy/lambda"),
    "renderStatus": ("get", "/api/render/proxy/lambda/{render_id}"),
    "renderDownload": ("get", "/api/render/proxy/{render_id}/download"),
    "claimPage": ("get", "/workspace/claim"),
    "openapiJson": ("get", "/openapi.json"),
    "media": ("get", "/media/renders/{name}"),
}
PUBLIC = {"anonymousToken", "claimPage", "openapiJson", "media"}
LINKS = {
    ("anonymousToken", "createSession"),
    ("createSession", "upload"),
    ("createSession", "sessionState"),
    ("createSession", "runSse"),
    ("createSession", "claimToken"),
    ("sessionState", "renderSubmit"),
    ("renderSubmit", "renderStatus"),
    ("renderStatus", "renderDownload"),
}
SEEDS_SUMMARY = (
    "Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) "
    '3. Title: "Urban Dreams" (0-3s)'
)
ATTRIBUTION = ("X-Skill-Source", "X-Skill-Version", "X-Skill-Platform")


def node_ref_parts(ref: str) -> list[str]:
    """The JSON Pointer segments of a local reference (`#/a/b~1c` -> ['a', 'b/c'])."""
    assert ref.startswith("#/"), ref
    return [p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")]


def resolve(node: Any) -> Any:
    """`node` with its local `$ref` chain followed."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = DOC
        for part in node_ref_parts(node["$ref"]):
            target = target[part]
        node = target
    return node


def operations() -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(operationId, method, path, operation) for every operation of the document."""
    for path, item in DOC["paths"].items():
        for method in METHODS:
            if method in item:
                yield item[method]["operationId"], method, path, item[method]


APP_CODES = DOC["components"]["schemas"]["AppError"]["allOf"][1]["properties"]["code"]["enum"]
OPS = {op_id: (method, path, op) for op_id, method, path, op in operations()}


def parameters(op_id: str) -> list[dict[str, Any]]:
    """The operation's parameters, path-level ones included, references resolved."""
    _, path, op = OPS[op_id]
    return [resolve(p) for p in DOC["paths"][path].get("parameters", []) + op.get("parameters", [])]


def walk(node: Any, pointer: str = "") -> Iterator[tuple[str, Any]]:
    """Every (JSON Pointer, node) of a JSON value, depth first."""
    yield pointer, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{pointer}/{i}")


def validator_at(pointer: str) -> jsonschema.Draft202012Validator:
    """A 2020-12 validator for the schema at `pointer` in the document, its `$ref`s resolvable."""
    resource = referencing.Resource.from_contents(DOC, default_specification=DRAFT202012)
    registry: referencing.Registry[Any] = referencing.Registry().with_resource(DOC_URI, resource)
    return jsonschema.Draft202012Validator({"$ref": f"{DOC_URI}#{pointer}"}, registry=registry)


def documented_examples() -> Iterator[Any]:
    """pytest params (schema pointer, example) for every example the document gives."""
    for pointer, node in walk(DOC):
        if not isinstance(node, dict):
            continue
        if "schema" in node and ("example" in node or "examples" in node):
            if pointer.endswith("/text~1event-stream"):
                continue  # a whole stream, checked by test_sse_stream_example_conforms
            values = [("example", node["example"])] if "example" in node else []
            values += [(name, ex["value"]) for name, ex in node.get("examples", {}).items()]
            for name, value in values:
                yield pytest.param(f"{pointer}/schema", value, id=f"{pointer}:{name}")
        elif isinstance(node.get("examples"), list) and pointer.startswith("/components/schemas"):
            for i, value in enumerate(node["examples"]):
                yield pytest.param(pointer, value, id=f"{pointer}:examples[{i}]")


def loaded_schema() -> Any:
    """The document as schemathesis loads it."""
    return schemathesis.openapi.from_dict(copy.deepcopy(DOC))


def fake_response(status: int, content: bytes, content_type: str) -> Response:
    """A schemathesis response object for an in-memory answer."""
    raw = httpx.Response(
        status,
        headers={"content-type": content_type, "content-length": str(len(content))},
        content=content,
        request=httpx.Request("GET", "http://127.0.0.1:8765/"),
    )
    raw.elapsed = datetime.timedelta(0)
    return Response.from_httpx(raw, verify=True)


def conforms(op_id: str, response: Response) -> bool:
    """True when schemathesis finds `response` conformant to the operation's documented answers."""
    schema = loaded_schema()
    try:
        schema.validate_response(schema.find_operation_by_id(op_id), response)
    except AssertionError:
        return False
    return True


# Any one request will do: no shrinking (a draft shrinks slowly) and no example database.
FIND = settings(
    database=None,
    max_examples=25,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


# --- the document is valid ---------------------------------------------------------------------


def test_openapi_document_is_valid_oas_3_1() -> None:
    """openapi.yaml validates against the OpenAPI 3.1 meta-schema."""
    errors = [e.message for e in jsonschema.Draft202012Validator(OPENAPI_31).iter_errors(DOC)]
    assert errors == []
    assert DOC["openapi"] == "3.1.0"


@pytest.mark.parametrize(
    "pointer",
    [p for p, _ in walk(DOC) if re.fullmatch(r"/components/schemas/[^/]+|/paths/.*/schema", p)],
)
def test_every_schema_is_a_valid_2020_12_schema(pointer: str) -> None:
    """Every schema of the document is a valid JSON Schema 2020-12."""
    node: Any = DOC
    for part in node_ref_parts("#" + pointer):
        node = node[part]
    jsonschema.Draft202012Validator.check_schema(node)


@pytest.mark.parametrize("name", ["draft", "adk_event"])
def test_schema_files_are_valid_2020_12_schemas(name: str) -> None:
    """contracts/schemas/*.json are valid JSON Schema 2020-12 documents."""
    schema = contracts.json_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_schemathesis_loads_every_operation() -> None:
    """schemathesis loads every operation without a schema error."""
    results = list(loaded_schema().get_all_operations())
    errors = [str(r.err()) for r in results if isinstance(r, Err)]
    assert errors == []
    assert len(results) == len(OPERATIONS)


def test_info_description_names_the_sources() -> None:
    """info.description summarises the sources: seeds, v1.9, ADK and ASSUMPTION."""
    text = DOC["info"]["description"]
    for source in ("seeds", "v1.9", "ADK", "ASSUMPTION"):
        assert source in text


# --- operations, parameters, security ----------------------------------------------------------


def test_operation_ids_are_exactly_the_documented_ones() -> None:
    """The document has exactly the README's operations plus openapiJson and media."""
    assert set(OPS) == set(OPERATIONS)


@pytest.mark.parametrize(("op_id", "where"), OPERATIONS.items(), ids=list(OPERATIONS))
def test_operation_has_the_readme_method_and_path(op_id: str, where: tuple[str, str]) -> None:
    """contracts.openapi_path(operationId) finds the README's path, under the README's method."""
    method, path = where
    assert contracts.openapi_path(op_id) == path
    assert OPS[op_id][0] == method


@pytest.mark.parametrize("path", list(DOC["paths"]))
def test_every_path_parameter_is_declared(path: str) -> None:
    """Each `{name}` of a path template is a declared, required path parameter, and no other is."""
    names = set(re.findall(r"{([^}]+)}", path))
    for op_id in [i for i, (_, p, _) in OPS.items() if p == path]:
        declared = {p["name"] for p in parameters(op_id) if p["in"] == "path"}
        assert declared == names
        assert all(p["required"] for p in parameters(op_id) if p["in"] == "path")


@pytest.mark.parametrize("op_id", list(OPERATIONS))
def test_security_is_bearer_except_on_public_operations(op_id: str) -> None:
    """All operations but anonymousToken, claimPage, openapiJson and media need the bearer token."""
    effective = OPS[op_id][2].get("security", DOC["security"])
    assert effective == ([] if op_id in PUBLIC else [{"bearer": []}])
    assert DOC["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": DOC["components"]["securitySchemes"]["bearer"]["description"],
    }


@pytest.mark.parametrize("op_id", list(OPERATIONS))
def test_every_operation_accepts_the_attribution_headers(op_id: str) -> None:
    """The three attribution headers are parameters of every operation (seeds)."""
    headers = {p["name"] for p in parameters(op_id) if p["in"] == "header"}
    assert set(ATTRIBUTION) <= headers


def test_attribution_headers_are_optional_except_on_export() -> None:
    """Only renderSubmit requires the attribution headers: export without them answers 402."""
    required = {
        op_id
        for op_id in OPS
        for p in parameters(op_id)
        if p["in"] == "header" and p["name"] in ATTRIBUTION and p.get("required")
    }
    assert required == {"renderSubmit"}
    assert "402" in OPS["renderSubmit"][2]["responses"]


def test_anonymous_token_requires_a_non_blank_client_id() -> None:
    """anonymousToken requires X-Client-Id, and a missing one is documented as 400."""
    (client_id,) = [p for p in parameters("anonymousToken") if p["name"] == "X-Client-Id"]
    assert client_id["required"] is True
    assert jsonschema.Draft202012Validator(client_id["schema"]).is_valid("   ") is False
    assert 400 in OPS["anonymousToken"][2]["x-error-codes"]


# --- responses and the error catalogue ---------------------------------------------------------


def test_error_code_enum_is_the_catalogue() -> None:
    """components.schemas.ErrorCode lists exactly the catalogue's non-zero codes."""
    enum = DOC["components"]["schemas"]["ErrorCode"]["enum"]
    assert sorted(enum) == sorted(c for c in contracts.errors() if c != 0)


def test_every_catalogue_code_is_documented_by_a_response() -> None:
    """Each non-zero catalogue code appears in some documented response's x-error-codes."""
    documented = {
        code
        for _, node in walk(DOC)
        if isinstance(node, dict) and isinstance(node.get("x-error-codes"), list)
        for code in node["x-error-codes"]
    }
    assert {c for c in contracts.errors() if c != 0} <= documented


def test_app_error_codes_are_those_that_ride_on_http_200() -> None:
    """AppError (the error half of every 200) has exactly the codes body mode answers with 200."""
    assert sorted(APP_CODES) == sorted(
        e.code for e in contracts.errors().values() if e.code and e.http_status("body") == 200
    )


@pytest.mark.parametrize("op_id", list(OPERATIONS))
def test_every_operation_documents_400_404_and_429(op_id: str) -> None:
    """Every operation documents 400, 404 and 429 (a rate limit may apply anywhere)."""
    assert {"400", "404", "429"} <= set(OPS[op_id][2]["responses"])


@pytest.mark.parametrize("op_id", sorted(set(OPERATIONS) - PUBLIC))
def test_authenticated_operations_document_401(op_id: str) -> None:
    """Every operation behind the bearer token documents 401 (1001 in `http` mode)."""
    assert "401" in OPS[op_id][2]["responses"]


@pytest.mark.parametrize("op_id", list(OPERATIONS))
@pytest.mark.parametrize("mode", ["body", "http"])
def test_each_listed_code_has_its_status_documented(op_id: str, mode: str) -> None:
    """For each code an operation lists, the status of either error_status mode is documented."""
    responses = OPS[op_id][2]["responses"]
    for code in OPS[op_id][2]["x-error-codes"]:
        status = str(contracts.errors()[code].http_status(mode))
        assert status in responses, (code, status)
        if status == "200":
            assert code in APP_CODES
        else:
            assert code in resolve(responses[status])["x-error-codes"], (code, status)


@pytest.mark.parametrize("op_id", sorted(set(OPERATIONS) - {"claimPage", "openapiJson", "media"}))
def test_json_200_is_success_or_app_error(op_id: str) -> None:
    """Every enveloped operation's 200 JSON answer is its success envelope or an AppError."""
    content = resolve(OPS[op_id][2]["responses"]["200"])["content"]["application/json"]["schema"]
    refs = [b["$ref"] for b in content.get("oneOf", [content])]
    assert "#/components/schemas/AppError" in refs


def test_app_error_inside_http_200_conforms() -> None:
    """schemathesis accepts an app error (1001) answered with HTTP 200 (`body` mode)."""
    body = json.dumps({"code": 1001, "message": "Token expired.", "data": None}).encode()
    assert conforms("createSession", fake_response(200, body, "application/json"))


def test_transport_code_inside_http_200_does_not_conform() -> None:
    """schemathesis rejects code 400 inside HTTP 200: 400/402/404/429 travel with their status."""
    body = json.dumps({"code": 400, "message": "Bad request.", "data": None}).encode()
    assert not conforms("createSession", fake_response(200, body, "application/json"))


def test_mapped_app_error_conforms_in_http_mode() -> None:
    """schemathesis accepts 1002 answered with HTTP 404 (`http` mode)."""
    body = json.dumps({"code": 1002, "message": "Session not found.", "data": None}).encode()
    assert conforms("sessionState", fake_response(404, body, "application/json"))


def test_success_envelope_missing_a_field_does_not_conform() -> None:
    """schemathesis rejects a success envelope whose data lacks session_id."""
    body = json.dumps({"code": 0, "message": "success", "data": {"task_id": "t"}}).encode()
    assert not conforms("createSession", fake_response(200, body, "application/json"))


# --- examples -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("pointer", "example"), list(documented_examples()))
def test_every_example_validates_against_its_schema(pointer: str, example: Any) -> None:
    """Every example of the document is valid under the schema it illustrates."""
    errors = [e.message for e in validator_at(pointer).iter_errors(example)]
    assert errors == []


@pytest.mark.parametrize("op_id", list(OPERATIONS))
def test_every_operation_has_a_success_example(op_id: str) -> None:
    """Every operation gives an example of its success answer (and of its body, if any)."""
    op = OPS[op_id][2]
    success = resolve(op["responses"]["200"])["content"]
    for media_type, media in success.items():
        if media_type != "video/mp4":  # bytes: an example would say nothing
            assert "example" in media or "examples" in media, media_type
    for media in op.get("requestBody", {}).get("content", {}).values():
        assert "example" in media or "examples" in media


def test_example_ids_have_the_documented_prefixes() -> None:
    """Examples use the documented token prefixes: nmv_usr_ (v1.9) and clm_ (v1.9)."""
    token = OPS["anonymousToken"][2]["responses"]["200"]["content"]["application/json"]
    claim = OPS["claimToken"][2]["responses"]["200"]["content"]["application/json"]
    assert token["examples"]["success"]["value"]["data"]["token"].startswith("nmv_usr_")
    assert claim["examples"]["success"]["value"]["data"]["claim_token"].startswith("clm_")


# --- the draft ----------------------------------------------------------------------------------


def test_draft_example_summarises_as_the_seeds() -> None:
    """The draft schema's first example summarises to the seeds' timeline string."""
    assert contracts.summary(contracts.json_schema("draft")["examples"][0]) == SEEDS_SUMMARY


def test_empty_draft_is_a_draft_but_not_exportable() -> None:
    """The empty draft is a valid Draft but not an ExportableDraft (no content -> 400)."""
    empty = contracts.empty_draft()
    assert validator_at("/components/schemas/Draft").is_valid(empty)
    assert not validator_at("/components/schemas/ExportableDraft").is_valid(empty)


def test_draft_component_is_the_schema_file() -> None:
    """components.schemas.Draft is schemas/draft.json (without $schema and $id)."""
    expected = {
        k: v for k, v in contracts.json_schema("draft").items() if k not in ("$schema", "$id")
    }
    assert DOC["components"]["schemas"]["Draft"] == expected


def test_draft_rejects_a_negative_duration() -> None:
    """A segment's duration is a non-negative integer of milliseconds (seeds: d in ms)."""
    bad = {"t": [{"tt": 0, "sg": [{"st": 0, "d": -1}]}], "d": 0}
    assert not jsonschema.Draft202012Validator(contracts.json_schema("draft")).is_valid(bad)


# --- /run_sse -----------------------------------------------------------------------------------


def test_adk_components_are_the_schema_file() -> None:
    """AdkEvent and ErrorFrame are the two branches of schemas/adk_event.json."""
    branches = contracts.json_schema("adk_event")["oneOf"]
    assert DOC["components"]["schemas"]["AdkEvent"] == branches[0]
    assert DOC["components"]["schemas"]["ErrorFrame"] == branches[1]


@pytest.mark.parametrize("op_id", list(OPERATIONS))
def test_only_run_sse_is_marked_sse(op_id: str) -> None:
    """runSse carries x-sse: true (excluded from fuzzing); no other operation does."""
    assert OPS[op_id][2].get("x-sse", False) is (op_id == "runSse")


def test_run_sse_streams_frames_of_the_event_schema() -> None:
    """runSse's 200 is text/event-stream whose frames' JSON is an SseFrame (x-event-schema)."""
    content = OPS["runSse"][2]["responses"]["200"]["content"]
    stream = content["text/event-stream"]
    assert stream["x-event-schema"] == {"$ref": "#/components/schemas/SseFrame"}
    data = resolve(stream["schema"])["properties"]["data"]["anyOf"][1]
    assert data["contentSchema"] == {"$ref": "#/components/schemas/SseFrame"}
    assert "application/json" in content  # pre-stream failures answer the envelope


@pytest.mark.parametrize("example", contracts.json_schema("adk_event")["examples"])
def test_adk_examples_are_frames(example: dict[str, Any]) -> None:
    """Every example of schemas/adk_event.json is one valid frame."""
    jsonschema.validate(example, contracts.json_schema("adk_event"))


def test_a_frame_carrying_error_is_never_an_adk_event() -> None:
    """A frame carrying `error` is read as an ErrorFrame only, so oneOf stays unambiguous."""
    frame = {"id": "x", "invocationId": "e-1", "author": "nemo_agent", "timestamp": 1.0}
    frame |= {"error": "boom", "error_details": {}}
    event, error_frame = contracts.json_schema("adk_event")["oneOf"]
    assert not jsonschema.Draft202012Validator(event).is_valid(frame)
    assert jsonschema.Draft202012Validator(error_frame).is_valid(frame)


def test_sse_stream_example_conforms() -> None:
    """schemathesis accepts the documented stream (comment, empty data: and JSON frames)."""
    example = OPS["runSse"][2]["responses"]["200"]["content"]["text/event-stream"]["example"]
    response = fake_response(200, example.encode(), "text/event-stream; charset=utf-8")
    assert conforms("runSse", response)


def test_sse_frame_that_is_not_an_event_does_not_conform() -> None:
    """schemathesis rejects a stream frame whose JSON is neither an ADK event nor an error frame."""
    response = fake_response(200, b'data: {"text":"hi"}\n\n', "text/event-stream; charset=utf-8")
    assert not conforms("runSse", response)


@pytest.mark.parametrize("name", ["snakeCase", "camelCase"])
def test_run_sse_body_accepts_snake_case_and_adk_aliases(name: str) -> None:
    """The /run_sse body is valid in the seeds' snake_case and ADK's camelCase."""
    media = OPS["runSse"][2]["requestBody"]["content"]["application/json"]
    assert validator_at("/components/schemas/RunSseRequest").is_valid(
        media["examples"][name]["value"]
    )


def test_run_sse_body_without_session_is_invalid() -> None:
    """A /run_sse body without session_id (or sessionId) is invalid (answers 400)."""
    body = {"app_name": "nemo_agent", "user_id": "me", "new_message": {"parts": [{"text": "hi"}]}}
    assert not validator_at("/components/schemas/RunSseRequest").is_valid(body)


# --- fuzzing and links --------------------------------------------------------------------------


@pytest.mark.parametrize("op_id", sorted(set(OPERATIONS) - {"runSse"}))
def test_every_operation_but_run_sse_is_fuzzable(op_id: str) -> None:
    """schemathesis generates a valid request for every operation except runSse."""
    operation = loaded_schema().find_operation_by_id(op_id)
    case = find(operation.as_strategy(), lambda _: True, settings=FIND)
    assert case.operation.label == operation.label
    if case.media_type == "application/json":
        pointer = f"/paths/{OPS[op_id][1].replace('/', '~1')}/{OPS[op_id][0]}"
        pointer += "/requestBody/content/application~1json/schema"
        assert validator_at(pointer).is_valid(case.body)


@pytest.mark.parametrize(
    "op_id", sorted(i for i, (_, _, op) in OPS.items() if "requestBody" in op and i != "runSse")
)
def test_operations_with_a_body_have_invalid_cases(op_id: str) -> None:
    """schemathesis can generate invalid bodies for every fuzzed operation that takes one."""
    operation = loaded_schema().find_operation_by_id(op_id)
    strategy = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    case = find(strategy, lambda _: True, settings=FIND)
    assert case.operation.label == operation.label


def test_links_chain_token_session_upload_state_render() -> None:
    """schemathesis loads the links token -> session -> upload/state/run -> render -> download."""
    schema = loaded_schema()
    label = {schema.find_operation_by_id(i).label: i for i in OPERATIONS}
    transitions = schema.as_state_machine()._transitions.operations
    pairs = {
        (label[source], label[link.target.label])
        for source, item in transitions.items()
        for link in item.outgoing
    }
    assert pairs >= LINKS


# --- assumptions and profiles -------------------------------------------------------------------


def assumption_nodes() -> Iterator[Any]:
    """pytest params for every node carrying x-assumption, in the document and the schema files."""
    documents = {"openapi": DOC} | {n: contracts.json_schema(n) for n in ("draft", "adk_event")}
    for doc_name, doc in documents.items():
        for pointer, node in walk(doc):
            if isinstance(node, dict) and "x-assumption" in node:
                yield pytest.param(node, id=f"{doc_name}:{pointer or '/'}")


@pytest.mark.parametrize("node", list(assumption_nodes()))
def test_every_assumption_is_explained(node: dict[str, Any]) -> None:
    """Every x-assumption is a non-empty reason, and its node's description says ASSUMPTION."""
    assert isinstance(node["x-assumption"], str)
    assert node["x-assumption"].strip()
    assert "ASSUMPTION" in node.get("description", "")


def test_upload_description_states_each_profile_limit() -> None:
    """upload's description gives every skill profile's upload limit (profiles.yaml)."""
    text = OPS["upload"][2]["description"]
    for profile in contracts.profiles().values():
        megabytes = profile.max_upload_bytes // (1024 * 1024)
        label = f"`{profile.source}`" if profile.seed else "any other or missing source"
        assert re.search(rf"{re.escape(label)}[^\n]*: {megabytes} MB", text), profile.source


def test_upload_accepts_multipart_files_and_json_urls() -> None:
    """upload takes multipart `files` (or `file`) and JSON {urls, source_type: url} (seeds)."""
    content = OPS["upload"][2]["requestBody"]["content"]
    multipart = resolve(content["multipart/form-data"]["schema"])
    urls = resolve(content["application/json"]["schema"])
    assert {"files", "file"} <= set(multipart["properties"])
    assert urls["properties"]["source_type"]["const"] == "url"
