"""The schemathesis side of the schema checks (imported only when one of them runs)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from nemo_mock import contracts

from .checks_errors import render_body
from .checks_render import job_of
from .checks_schema import short
from .registry import CheckFailed, NotApplicable
from .target import Target, envelope_problems

NO_ENVELOPE = ("openapiJson",)  # answers the OpenAPI document itself
BARE_ALLOWED = ("renderStatus", "renderSubmit")  # the render job may come bare (v1.9 §3.5)
BURNS_TOKENS = ("anonymousToken",)  # each call spends the per-IP budget (10 per 7 days)


@functools.cache
def schema() -> Any:
    return schemathesis.openapi.from_dict(contracts.openapi())


def envelope_check(t: Target, document: bool, reject: bool = False) -> Callable[..., None]:
    """A schemathesis check: the envelope rules of DESIGN §3.1 for one response."""

    def envelope(ctx: Any, response: Any, case: Any) -> None:
        op = case.operation.definition.raw
        ctype = (
            response.headers.get("content-type", [""])[0]
            if isinstance(response.headers.get("content-type"), list)
            else response.headers.get("content-type", "")
        )
        if op.get("operationId") in NO_ENVELOPE or "json" not in (ctype or ""):
            if (
                reject
                and 200 <= response.status_code < 300
                and op.get("operationId") not in NO_ENVELOPE
            ):
                raise AssertionError(f"invalid input answered HTTP {response.status_code} {ctype}")
            return
        try:
            body = response.json()
        except ValueError as exc:
            raise AssertionError(
                f"JSON content-type but the body is not JSON: {response.content[:120]!r}"
            ) from exc
        if (
            op.get("operationId") in BARE_ALLOWED
            and isinstance(body, dict)
            and "status" in body
            and "code" not in body
        ):  # v1.9: "Status at top-level `status`": a bare job object is one allowed reading
            if response.status_code != 200:
                raise AssertionError(f"a bare render job came with HTTP {response.status_code}")
            if reject:
                raise AssertionError("invalid input was accepted (a render job answered)")
            return
        problems = envelope_problems(body)
        if problems:
            raise AssertionError(f"malformed envelope: {'; '.join(problems)}")
        code, status = body["code"], response.status_code
        if code == 0:
            if status != 200:
                raise AssertionError(f"code 0 (success) came with HTTP {status}")
            if reject:
                raise AssertionError("invalid input was accepted (code 0)")
            return
        if status < 300 and code not in (1001, 1002, 2001, 4001, 4002):
            raise AssertionError(
                f"error code {code} came with HTTP {status}: only app codes may ride on 200"
            )
        documented = set(op.get("x-error-codes", [])) | {429, 405}
        if document and code not in documented:
            raise AssertionError(
                f"code {code} is not documented for {op.get('operationId')} ({sorted(documented)})"
            )
        allowed = t.allowed_statuses(code)
        if status not in allowed:
            raise AssertionError(f"code {code} must come with HTTP {sorted(allowed)}, got {status}")

    return envelope


def _checks(t: Target, mode: str) -> list[Callable[..., Any]]:
    if mode == "reject":  # only the question "was invalid input refused?"
        return [envelope_check(t, document=False, reject=True)]
    if mode == "document":
        return [
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            envelope_check(t, document=True),
        ]
    return [not_a_server_error, envelope_check(t, document=False)]


def _settings(t: Target, examples: int | None = None, **extra: Any) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=examples or t.fuzz_examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        **extra,
    )


def _fixtures(t: Target, path: str) -> dict[str, Any]:
    """Real ids for path parameters, so positive cases reach the success paths too."""
    out: dict[str, Any] = {}
    if "{session_id}" not in path and "{render_id}" not in path:
        return out  # nothing to fetch: public operations never mint a token
    token = t.token()
    if "{session_id}" in path or "{render_id}" in path:
        out["session_id"] = t.session(token)["session_id"]
    if "{render_id}" in path:
        body = render_body(out["session_id"])
        with t.fixture("a render id"):
            r = t.request("POST", "/api/render/proxy/lambda", headers=t.headers(token), json=body)
            job_of(t, r, "render submit")
        out["render_id"] = body["id"]
    return out


def fuzz(t: Target, operation_id: str, mode: str, examples: int | None = None) -> None:
    if operation_id in BURNS_TOKENS and not t.caps.has("control_plane"):
        raise NotApplicable(
            "not applicable: needs control_plane "
            "(fuzzing anonymousToken burns the per-IP token budget)"
        )
    key = ("reject", operation_id)
    if mode == "reject" and key in t.memo:  # judged from schema.negative's cases (same input)
        refused, taken = t.memo.pop(key)
        t.note(f"{operation_id} reject: judged from the {refused + len(taken)} negative cases")
        if taken:
            raise CheckFailed(f"{len(taken)} invalid inputs accepted, e.g. {taken[0]}")
        return
    op = schema().include(operation_id=operation_id)
    (result,) = list(op.get_all_operations())
    operation = result.ok()
    raw = operation.definition.raw
    negative = mode in ("negative", "reject")
    headers = {}
    if raw.get("security", [{}]) != []:
        headers["Authorization"] = f"Bearer {t.token()}"
    gen = GenerationMode.NEGATIVE if negative else GenerationMode.POSITIVE
    free = operation.as_strategy(generation_mode=gen, headers=headers or None)
    strategy = free
    if not negative:
        fixed = {
            k: v for k, v in _fixtures(t, operation.path).items() if f"{{{k}}}" in operation.path
        }
        if fixed:
            strategy = st.one_of(
                operation.as_strategy(
                    generation_mode=gen, headers=headers or None, path_parameters=fixed
                ),
                free,
            )
    checks = _checks(t, mode)
    seen: dict[str, int] = {}
    reject = envelope_check(t, document=False, reject=True)
    accepted: list[str] = []

    @_settings(t, examples)
    @given(strategy)
    def run(case: Any) -> None:
        t.wait_pace()
        response = case.call(base_url=t.base_url, timeout=t.timeout)
        status = f"HTTP {response.status_code}"
        seen[status] = seen.get(status, 0) + 1
        if mode == "negative":
            try:
                reject(None, response, case)
            except AssertionError as exc:
                accepted.append(f"{case.method} {case.formatted_path}: {exc}")
        case.validate_response(response, checks=checks)

    try:
        run()
        if mode == "negative":
            t.memo[key] = (sum(seen.values()) - len(accepted), accepted)
    except Unsatisfiable as exc:  # _negatable said it could be negated: a bug of ours
        raise RuntimeError(f"{operation_id}: no invalid input could be generated") from exc
    except FailureGroup as exc:
        raise CheckFailed(short(str(exc))) from None
    finally:
        t.note(f"{operation_id} {mode}: {sum(seen.values())} cases, {dict(sorted(seen.items()))}")


def run_stateful(t: Target, excluded: list[str]) -> None:
    """Sequences along the OpenAPI links, with the MUST-level response checks."""
    base = schema().exclude(operation_id=excluded)
    if not t.caps.has("control_plane"):
        base = base.exclude(operation_id=list(BURNS_TOKENS))
    token = t.token()
    checks = _checks(t, "positive")
    calls: dict[str, int] = {}

    class Machine(base.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Any) -> None:
            secured = case.operation.definition.raw.get("security", [{}]) != []
            current = (case.headers or {}).get("Authorization", "")
            if secured and not str(current).startswith("Bearer nmv_usr_"):
                case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            t.wait_pace()
            return {"base_url": t.base_url, "timeout": t.timeout}

        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kw: Any
        ) -> None:
            calls[case.operation.label] = calls.get(case.operation.label, 0) + 1
            case.validate_response(response, checks=checks, transport_kwargs=kw)

    try:
        Machine.run(settings=_settings(t, max(3, t.fuzz_examples // 3), stateful_step_count=5))
    except FailureGroup as exc:
        raise CheckFailed(short(str(exc))) from None
    finally:
        t.note(f"stateful: {sum(calls.values())} calls over {len(calls)} operations")
