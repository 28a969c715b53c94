"""Evaluate expectations against what a run produced: outputs, exit codes and the journal.

The checks on the output, the exit status and secrets live here; every check on the journal
(request/count, order, spacing, gap, headers, same_header, distinct, sent_once) is the emulator's
one expectation engine (`nemo_mock.server.verify`), the same one `/_mock/verify` and the pytest
plugin's `expect()` run. Pure functions over plain data, so every check can be tested with a
hand-written journal; each returns a `Verdict` whose evidence explains itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from nemo_mock.scenarios._model import JOURNAL_CHECKS, Expectation
from nemo_mock.scenarios._records import RunRecord, StepRecord, Verdict
from nemo_mock.server import verify

__all__ = ["RunRecord", "StepRecord", "Verdict", "evaluate", "evaluate_all"]

_TOKEN_SHAPE = re.compile(r"nmv_usr_[0-9A-Za-z]{6,}")


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


#: A negation just before a phrase ("not a credits problem", "isn't about credits", "不是积分问题")
#: or just after it ("credits are not the issue") means the output denies it, not says it.
#: Only denials count: "no credits", "don't have enough credits" or "没有积分" assert a lack of
#: credits, so they still show the phrase.
_NEG_BEFORE = re.compile(
    r"(\b(is|are|was|it's|that's)\s+not\b|\b(isn't|aren't|wasn't)\b"
    r"|\bnot\s+(a|an|about|due to|related to|because of|caused by|the|your)\b"
    r"|\bunrelated to\b|\bnothing to do with\b|不是|并非|无关)"
    r"[^.!?。！？:;,，：；\n]{0,24}$",
    re.IGNORECASE,
)
_NEG_AFTER = re.compile(
    r"^\W{0,3}(\w+\s+){0,2}(is|are|was)\s+not\b|^\W{0,3}(\w+\s+){0,2}(is|are|was)n't\b|^[^。！？\n]{0,6}(无关|不是问题)",
    re.IGNORECASE,
)


def affirmed(hay: str, phrase: str) -> int | None:
    """Where `phrase` occurs in `hay` without a negation around it (None if it never does)."""
    start = 0
    while (i := hay.find(phrase, start)) >= 0:
        before, after = hay[max(0, i - 40) : i], hay[i + len(phrase) : i + len(phrase) + 40]
        if not (_NEG_BEFORE.search(before) or _NEG_AFTER.search(after)):
            return i
        start = i + 1
    return None


def check_output(
    spec: Mapping[str, Any],
    steps: list[StepRecord],
    _journal: list[dict[str, Any]],
    _run: RunRecord,
) -> Verdict:
    o = spec["output"]
    text = "\n".join(s.output for s in steps if s.is_client)
    ignore = o.get("ignore_case", True)
    hay = text.lower() if ignore else text

    def norm(s: str) -> str:
        return s.lower() if ignore else s

    flags = re.IGNORECASE if ignore else 0
    problems: list[str] = []
    for want in _as_list(o.get("contains", [])):
        if norm(want) not in hay:
            problems.append(f"missing {want!r}")
    groups = [o["contains_any"]] if "contains_any" in o else []
    for group in groups + list(o.get("contains_groups", [])):
        if not any(norm(w) in hay for w in group):
            problems.append(f"none of {group!r}")
    for bad in _as_list(o.get("not_contains", [])):
        if o.get("negation", True):
            where = affirmed(hay, norm(bad))
        else:
            where = hay.find(norm(bad)) if norm(bad) in hay else None
        if where is not None:
            problems.append(f"shows {bad!r}: …{text[max(0, where - 40) : where + 40]!r}…")
    if "matches" in o and not re.search(o["matches"], text, flags):
        problems.append(f"no match for /{o['matches']}/")
    if "not_matches" in o:
        found = re.search(o["not_matches"], text, flags)
        if found:
            problems.append(f"matches /{o['not_matches']}/: {found.group(0)!r}")
    if problems:
        return Verdict(False, "; ".join(problems) + f" in output {_excerpt(text)}")
    return Verdict(True, f"output ok ({len(text)} chars)")


def _excerpt(text: str, limit: int = 160) -> str:
    flat = " ⏎ ".join(line for line in text.splitlines() if line.strip())
    return repr(flat if len(flat) <= limit else flat[:limit] + "…")


def check_exit(
    spec: Mapping[str, Any],
    steps: list[StepRecord],
    _journal: list[dict[str, Any]],
    _run: RunRecord,
) -> Verdict:
    e = spec["exit"]
    client = [s for s in steps if s.is_client]
    if not client:
        return Verdict(False, "no client step in scope")
    bad = []
    for s in client:
        code = s.exit_code
        if code is None:
            ok = False
        elif "equals" in e:
            ok = code == e["equals"]
        elif "not" in e:
            ok = code != e["not"]
        else:
            ok = code in e["in"]
        if not ok:
            bad.append(f"{s.id}: {'timed out' if s.timed_out else f'exit {code}'}")
    codes = ", ".join(f"{s.id}={s.exit_code}" for s in client)
    return Verdict(not bad, ("; ".join(bad) + f" (want {e})") if bad else f"exit codes {codes}")


def check_secrets(
    spec: Mapping[str, Any], steps: list[StepRecord], journal: list[dict[str, Any]], run: RunRecord
) -> Verdict:
    s = spec["secrets"]
    secrets = [t for t in run.secrets if t]
    bad = []
    if s.get("output") or s.get("stderr"):
        for step in steps:
            text = "\n".join(
                t
                for t, on in ((step.output, s.get("output")), (step.stderr, s.get("stderr")))
                if on
            )
            leaked = [t for t in secrets if t in text] or _TOKEN_SHAPE.findall(text)
            if leaked:
                bad.append(f"{step.id} shows a token ({leaked[0][:12]}…)")
    if s.get("urls"):
        for e in journal:
            url = f"{e.get('path', '')}?{e.get('query', '')}"
            if any(t in url for t in secrets) or _TOKEN_SHAPE.search(url):
                bad.append(f"#{e.get('seq')} {e.get('method')} carries a token in its URL")
    where = " and ".join(k for k in ("output", "stderr", "urls") if s.get(k))
    return Verdict(
        not bad,
        "; ".join(bad[:3]) if bad else f"no token in {where} ({len(secrets)} token(s) known)",
    )


CHECKERS: dict[
    str, Callable[[Mapping[str, Any], list[StepRecord], list[dict[str, Any]], RunRecord], Verdict]
] = {"output": check_output, "exit": check_exit, "secrets": check_secrets}


def check_journal(spec: Mapping[str, Any], journal: list[dict[str, Any]]) -> Verdict:
    """A journal expectation, judged by the emulator's expectation engine."""
    result = verify.parse(spec).judge(journal)
    return Verdict(result.ok, result.message, tuple(result.seqs))


def evaluate(expectation: Expectation, run: RunRecord) -> Verdict:
    """Run one expectation against a run."""
    steps, journal = run.scope(expectation.steps)
    try:
        if expectation.check in JOURNAL_CHECKS:
            return check_journal(expectation.spec, journal)
        return CHECKERS[expectation.check](expectation.spec, steps, journal, run)
    except (KeyError, TypeError, ValueError) as exc:  # a journal without a field we need
        return Verdict(False, f"could not evaluate: {type(exc).__name__}: {exc}")


def evaluate_all(
    expectations: Iterable[Expectation], run: RunRecord
) -> list[tuple[Expectation, Verdict]]:
    """Every expectation, in order."""
    return [(e, evaluate(e, run)) for e in expectations]
