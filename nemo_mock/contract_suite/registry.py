"""Checks as plain functions: `@check(id, MUST|SHOULD, cites=...)` registers, `run_check` runs.

A check function takes a Target and returns nothing when the server conforms. It raises
`CheckFailed` (via `expect`) when the server broke the rule it checks, `FixtureError` when it
could not get what it needed to check at all (a token refused, a 429, a 5xx: the verdict is
`error`, with that evidence) and `NotApplicable` only when the target did not declare a
capability the check needs. `run_check` turns that into a `Result`, plain data that the command,
the reports and the tests all read, so the verdicts never depend on pytest.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from .citations import Cite

if TYPE_CHECKING:
    from .target import Target

MUST = "MUST"
SHOULD = "SHOULD"
PASS, FAIL, ERROR, NA = "pass", "fail", "error", "not applicable"
VERDICTS = (PASS, FAIL, ERROR, NA)


class CheckFailed(AssertionError):
    """The server broke the rule the check enforces; the message says how."""


class FixtureError(Exception):
    """The check could not get what it needed (token, session, render): it errored, not passed."""


class NotApplicable(Exception):
    """The target did not declare a capability the check needs."""


def expect(condition: Any, message: str) -> None:
    """Fail the running check with `message` unless `condition` holds."""
    if not condition:
        raise CheckFailed(message)


@dataclass(frozen=True)
class CheckSpec:
    """One registered check: its id, level, the rule it states and the sentences it enforces."""

    id: str
    level: str
    func: Callable[..., None]
    doc: str
    cites: tuple[Cite, ...]
    needs: tuple[str, ...] = ()
    spends_credits: bool = False
    kwargs: tuple[tuple[str, Any], ...] = ()


@dataclass
class Result:
    """The verdict of one check against one target, as plain data (`as_dict` is JSON-ready)."""

    id: str
    level: str
    rule: str
    cites: list[dict[str, str]]
    verdict: str
    reason: str = ""
    evidence: list[str] = field(default_factory=list)
    seconds: float = 0.0
    target: str = ""

    @property
    def passed(self) -> bool:
        return self.verdict == PASS

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


REGISTRY: dict[str, CheckSpec] = {}


def check(
    id: str,
    level: str,
    *,
    cites: tuple[Cite, ...],
    needs: tuple[str, ...] = (),
    spends_credits: bool = False,
    doc: str | None = None,
    **kwargs: Any,
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register `func(target, **kwargs)` as check `id` at `level`, enforcing `cites`.

    A MUST cites at least one sentence of the seeds or of v1.9 (or the target's own declaration);
    an ASSUMPTION may only back a SHOULD.
    """
    if level not in (MUST, SHOULD):
        raise ValueError(f"level must be MUST or SHOULD, not {level!r}")
    if not cites:
        raise ValueError(f"check {id} cites nothing")
    if level == MUST and not any(c.binding for c in cites):
        raise ValueError(f"MUST check {id} cites only assumptions: make it a SHOULD")

    def register(func: Callable[..., None]) -> Callable[..., None]:
        if id in REGISTRY:
            raise ValueError(f"check {id} registered twice")
        rule = doc or " ".join((func.__doc__ or id).strip().split("\n\n")[0].split())
        REGISTRY[id] = CheckSpec(
            id, level, func, rule, cites, needs, spends_credits, tuple(sorted(kwargs.items()))
        )
        return func

    return register


def run_check(spec: CheckSpec | str, target: Target) -> Result:
    """Run one check against `target` and return its verdict (never raises for a verdict)."""
    spec = REGISTRY[spec] if isinstance(spec, str) else spec
    start = time.monotonic()
    result = Result(
        spec.id, spec.level, spec.doc, [c.as_dict() for c in spec.cites], PASS, target=target.label
    )
    try:
        for capability in spec.needs:
            target.require(capability)
        if spec.spends_credits:
            target.require("spend_credits")
        target.begin_check(spec.id)
        spec.func(target, **dict(spec.kwargs))
    except NotApplicable as exc:
        result.verdict, result.reason = NA, str(exc)
    except CheckFailed as exc:
        result.verdict, result.reason = FAIL, str(exc)
    except FixtureError as exc:
        result.verdict, result.reason = ERROR, f"could not check: {exc}"
    except Exception as exc:  # a crash talking to the server: errored, with its trace
        tb = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        result.verdict, result.reason = ERROR, f"error while checking: {tb}"
    finally:
        try:
            result.evidence = target.end_check()
        except Exception as exc:  # restoring the target's config failed: say so
            result.evidence = [f"could not restore the target's config: {exc}"]
            if result.verdict == PASS:
                result.verdict, result.reason = ERROR, str(exc)
        result.seconds = round(time.monotonic() - start, 3)
    return result
