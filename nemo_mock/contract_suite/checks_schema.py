"""schemathesis over contracts/openapi.yaml: positive, negative and stateful (links) fuzzing.

MUST, per operation (`schema.positive[op]`, `schema.negative[op]`) and along the links
(`schema.stateful`): no 5xx, and every JSON answer is the documented envelope (integer `code`
from the catalogue, 0 exactly on success with HTTP 200, `data` an object or null) on an HTTP
status one of the two error_status readings allows. SHOULD: invalid input is refused
(`schema.reject[op]`, the 400 is an ASSUMPTION) and answers match our OpenAPI document's
statuses, content types, schemas and per-operation codes (`schema.document`).
The SSE operation (`x-sse: true`) is never fuzzed: a turn costs credits and minutes.
"""

from __future__ import annotations

from typing import Any

from nemo_mock import contracts

from . import citations as C
from .registry import MUST, SHOULD, CheckFailed, NotApplicable, check
from .target import Target

ENVELOPE = C.v19('# → {"code":0,"data":{"task_id":"...","session_id":"..."}}')
DOCUMENT = C.assumption(
    "contracts/openapi.yaml: statuses, content types, response schemas and x-error-codes per "
    "operation (partly ASSUMPTION where the documents are silent)"
)


def operations() -> list[tuple[str, dict[str, Any]]]:
    """(operationId, definition) of every operation the fuzzer may call (not x-sse)."""
    out = []
    for item in contracts.openapi()["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and "operationId" in op and not op.get("x-sse"):
                out.append((op["operationId"], op))
    return out


def _negatable(raw: dict[str, Any]) -> bool:
    """Whether invalid input exists: a body, or a required header/query parameter to break.

    (Path strings and optional headers cannot be made invalid on the wire; finding that out by
    generation costs schemathesis ~10 s per operation, so it is decided here.)"""
    if "requestBody" in raw:
        return True
    params = contracts.openapi()["components"]["parameters"]
    for p in raw.get("parameters", []):
        p = params[p["$ref"].rsplit("/", 1)[-1]] if "$ref" in p else p
        if p.get("in") in ("header", "query") and p.get("required"):
            return True
    return False


def _fuzz(t: Target, operation_id: str, mode: str, examples: int | None = None) -> None:
    """Fuzz one operation (schemathesis is imported only when a schema check runs)."""
    from .fuzzing import fuzz

    fuzz(t, operation_id, mode, examples)


def short(text: str, limit: int = 1500) -> str:
    return text if len(text) <= limit else text[:limit] + " ..."


MODE_RULES = {
    "positive": "Valid input to {op} never answers 5xx; JSON answers are well-formed envelopes.",
    "negative": "Invalid input to {op} never answers 5xx; JSON answers are well-formed envelopes.",
    "reject": "Invalid input to {op} is refused (never code 0 or HTTP 2xx).",
}

for _op_id, _raw in operations():
    _modes = [("positive", MUST, ENVELOPE)]
    if _negatable(_raw):  # only operations whose input can be made invalid get these
        _modes += [("negative", MUST, ENVELOPE), ("reject", SHOULD, C.MALFORMED_400)]
    for _mode, _level, _cite in _modes:
        check(
            f"schema.{_mode}[{_op_id}]",
            _level,
            cites=(_cite, C.BAD_TOKEN),
            doc=MODE_RULES[_mode].format(op=_op_id),
            operation_id=_op_id,
            mode=_mode,
        )(_fuzz)


@check("schema.document", SHOULD, cites=(DOCUMENT,))
def document(t: Target) -> None:
    """Answers to valid input match contracts/openapi.yaml (status, content type, schema, codes)."""
    failures = []
    for op_id, _ in operations():
        try:
            _fuzz(t, op_id, "document", examples=max(3, t.fuzz_examples // 3))
        except CheckFailed as exc:
            failures.append(f"{op_id}: {exc}")
        except NotApplicable:
            continue
    if failures:
        raise CheckFailed(short("\n".join(failures)))


@check("schema.stateful", MUST, cites=(ENVELOPE, C.BAD_TOKEN))
def stateful(t: Target) -> None:
    """Sequences along the OpenAPI links (token → session → upload/state → render) answer no
    5xx and well-formed envelopes."""
    from .fuzzing import run_stateful

    run_stateful(t, [op for op, d in operations() if d.get("x-sse")] + ["runSse"])
