"""Checks as plain functions: `@check(id, MUST|SHOULD, needs=...)` registers, `run_check` runs.

A check function takes a Target and returns nothing when the server conforms; it raises
`CheckFailed` (via `expect`) when it does not, and `NotApplicable` when the target lacks a
capability it needs. `run_check` turns that into a `Result` the pytest layer and the power
test both read, so the suite's verdicts never depend on pytest.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .target import Target

MUST = "MUST"
SHOULD = "SHOULD"
PASS, FAIL, NA = "pass", "fail", "not applicable"


class CheckFailed(AssertionError):
    """The server broke the contract; the message says how."""


class NotApplicable(Exception):
    """The target did not declare what the check needs."""


def expect(condition: Any, message: str) -> None:
    """Fail the running check with `message` unless `condition` holds."""
    if not condition:
        raise CheckFailed(message)


@dataclass(frozen=True)
class CheckSpec:
    """One registered check."""

    id: str
    level: str
    func: Callable[..., None]
    doc: str
    needs: tuple[str, ...] = ()
    sse: bool = False  # exercises /run_sse (reported as a known gap while the emulator lacks it)
    spends_credits: bool = False
    timeout: float = 60.0
    kwargs: tuple[tuple[str, Any], ...] = ()


@dataclass
class Result:
    """The verdict of one check against one target."""

    id: str
    level: str
    status: str
    reason: str = ""
    evidence: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == PASS


REGISTRY: dict[str, CheckSpec] = {}


def check(
    id: str,
    level: str,
    *,
    needs: tuple[str, ...] = (),
    sse: bool = False,
    spends_credits: bool = False,
    timeout: float = 60.0,
    **kwargs: Any,
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register `func(target, **kwargs)` as check `id` at `level` (MUST or SHOULD)."""

    def register(func: Callable[..., None]) -> Callable[..., None]:
        if id in REGISTRY:
            raise ValueError(f"check {id} registered twice")
        doc = (func.__doc__ or "").strip().splitlines()[0] if func.__doc__ else id
        REGISTRY[id] = CheckSpec(
            id, level, func, doc, needs, sse, spends_credits, timeout, tuple(sorted(kwargs.items()))
        )
        return func

    return register


def run_check(spec: CheckSpec | str, target: Target) -> Result:
    """Run one check against `target` and return its verdict (never raises for a verdict)."""
    spec = REGISTRY[spec] if isinstance(spec, str) else spec
    start = time.monotonic()
    result = Result(spec.id, spec.level, PASS)
    try:
        for capability in spec.needs:
            target.require(capability)
        if spec.spends_credits:
            target.require("spend_credits")
        target.begin_check(spec.id)
        spec.func(target, **dict(spec.kwargs))
    except NotApplicable as exc:
        result.status, result.reason = NA, str(exc)
    except CheckFailed as exc:
        result.status, result.reason = FAIL, str(exc)
    except Exception as exc:  # a crash talking to the server is a failure, with its trace
        tb = traceback.format_exception_only(type(exc), exc)
        result.status, result.reason = FAIL, f"error while checking: {''.join(tb).strip()}"
    finally:
        result.evidence = target.end_check()
        result.seconds = round(time.monotonic() - start, 3)
    return result
