"""Run the registered checks against one target and decide the exit status."""

from __future__ import annotations

import fnmatch
import importlib
from collections.abc import Callable, Iterable

from .registry import ERROR, FAIL, MUST, NA, REGISTRY, CheckSpec, Result, run_check
from .target import Target

CHECK_MODULES = (
    "checks_auth",
    "checks_session",
    "checks_claim",
    "checks_errors",
    "checks_render",
    "checks_sse",
    "checks_heartbeat",
    "checks_schema",
)


def load() -> dict[str, CheckSpec]:
    """Every check, registered by importing the check modules (schemathesis is needed)."""
    for name in CHECK_MODULES:
        importlib.import_module(f"{__package__}.{name}")
    return REGISTRY


def select(patterns: Iterable[str] = ()) -> list[CheckSpec]:
    """The checks whose id matches one of the glob `patterns` (all when none is given)."""
    specs = list(load().values())
    wanted = list(patterns)
    if not wanted:
        return specs
    return [s for s in specs if any(fnmatch.fnmatchcase(s.id, p) for p in wanted)]


def run_suite(
    target: Target,
    specs: Iterable[CheckSpec],
    on_result: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Each check in turn (they share the target's state, so never in parallel)."""
    results = []
    for spec in specs:
        result = run_check(spec, target)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def exit_status(results: Iterable[Result], strict: bool = False) -> int:
    """0 when every MUST passed (or was not applicable, unless `strict`); 1 otherwise."""
    bad = {FAIL, ERROR} | ({NA} if strict else set())
    return int(any(r.level == MUST and r.verdict in bad for r in results))
