"""Evaluate expectations against what a run produced: outputs, exit codes and the journal.

Pure functions over plain data (journal entries are the emulator's dicts), so every check can be
tested with a hand-written journal. Each check returns a `Verdict` whose evidence quotes the
journal (sequence numbers, paths, virtual-time gaps) or the output, so a failure explains itself.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from itertools import pairwise
from typing import Any

from nemo_mock.scenarios._model import Expectation
from nemo_mock.scenarios._records import (
    _TOKEN_SHAPE,
    Entry,
    RunRecord,
    StepRecord,
    Verdict,
    _as_list,
    _end,
    _labels,
    describe,
    label,
    matches,
    refused_before_stream,
    sse_text,
)

__all__ = ["RunRecord", "StepRecord", "Verdict", "evaluate", "evaluate_all", "sse_text"]


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


def check_request(
    spec: Mapping[str, Any],
    _steps: list[StepRecord],
    journal: list[dict[str, Any]],
    _run: RunRecord,
) -> Verdict:
    m = spec["request"]
    count = spec.get("count", {"min": 1})
    lo, hi = (count, count) if isinstance(count, int) else (count.get("min", 0), count.get("max"))
    found = [e for e in journal if matches(e, m)]
    want = f"{lo}" if lo == hi else f"{lo}..{'' if hi is None else hi}"
    if "per" in spec:  # the count holds for each value of a field (e.g. each render id)
        groups: dict[str, list[Entry]] = {}
        for e in found:
            groups.setdefault(str(_field(e, spec["per"])), []).append(e)
        bad = {k: v for k, v in groups.items() if len(v) < lo or (hi is not None and len(v) > hi)}
        if not groups and lo > 0:
            return Verdict(False, f"no {describe(m)} (want {want} per {spec['per']})")
        shown = ", ".join(f"{k}: {len(v)}" for k, v in groups.items())
        return Verdict(
            not bad, f"{describe(m)} per {spec['per']} (want {want} each): {shown or 'none'}"
        )
    ok = len(found) >= lo and (hi is None or len(found) <= hi)
    return Verdict(
        ok, f"{len(found)} × {describe(m)} (want {want})" + (f": {_labels(found)}" if found else "")
    )


def check_order(
    spec: Mapping[str, Any],
    _steps: list[StepRecord],
    journal: list[dict[str, Any]],
    _run: RunRecord,
) -> Verdict:
    seen: list[dict[str, Any]] = []
    rest = list(journal)
    for m in spec["order"]:
        for i, e in enumerate(rest):
            if matches(e, m):
                seen.append(e)
                rest = rest[i + 1 :]
                break
        else:
            got = " < ".join(label(e) for e in seen) or "nothing"
            return Verdict(False, f"after {got}: no {describe(m)}")
    return Verdict(True, " < ".join(label(e) for e in seen))


def check_headers(
    spec: Mapping[str, Any],
    _steps: list[StepRecord],
    journal: list[dict[str, Any]],
    _run: RunRecord,
) -> Verdict:
    h = spec["headers"]
    found = [e for e in journal if matches(e, h.get("where"))]
    if not found:
        return Verdict(False, f"no {describe(h.get('on'))} to check")
    names = [n.lower() for n in h["names"]]
    lacking = [(e, [n for n in names if not (e.get("headers") or {}).get(n)]) for e in found]
    lacking = [(e, miss) for e, miss in lacking if miss]
    if lacking:
        first = "; ".join(f"{label(e)} lacks {', '.join(miss)}" for e, miss in lacking[:3])
        return Verdict(False, f"{len(lacking)}/{len(found)} requests lack headers: {first}")
    return Verdict(True, f"all {len(found)} requests carry {', '.join(h['names'])}")


def check_same_header(
    spec: Mapping[str, Any],
    _steps: list[StepRecord],
    journal: list[dict[str, Any]],
    _run: RunRecord,
) -> Verdict:
    s = spec["same_header"]
    name = s["name"].lower()
    found = [e for e in journal if matches(e, s.get("where"))]
    if not found:
        return Verdict(False, f"no {describe(s.get('where'))} to compare")
    values = [(e.get("headers") or {}).get(name) for e in found]
    distinct = set(values)
    if None in distinct or len(distinct) != 1:
        return Verdict(
            False,
            f"{s['name']} differs across {_labels(found)}: {len(distinct)} values"
            + (" (missing on some)" if None in distinct else ""),
        )
    return Verdict(True, f"{len(found)} × {describe(s.get('where'))} share one {s['name']}")


def _gaps(points: list[tuple[float, float]]) -> list[float]:
    """Gaps between consecutive exchanges: next start − previous `_end` (virtual seconds)."""
    return [round(b[0] - a[1], 3) for a, b in pairwise(points)]


def check_spacing(
    spec: Mapping[str, Any],
    _steps: list[StepRecord],
    journal: list[dict[str, Any]],
    _run: RunRecord,
) -> Verdict:
    s = spec["spacing"]
    found = [e for e in journal if matches(e, s["requests"])]
    if "from" in s:
        anchors = [e for e in journal if matches(e, s["from"])]
        if not anchors:
            return Verdict(False, f"no {describe(s['from'])} to measure from")
        anchor = anchors[0]
        found = [e for e in found if e["seq"] > anchor["seq"]]
        found.insert(0, anchor)
    points = [(float(e["vtime"]), _end(e)) for e in found]
    gaps = _gaps(points)
    if not gaps:
        return Verdict(False, f"fewer than two exchanges to space ({_labels(found) or 'none'})")
    tol = float(s.get("tolerance", 5.0))
    bad = []
    for i, g in enumerate(gaps):
        if "min" in s and g < s["min"]:
            bad.append(f"gap {i + 1} = {g}s < {s['min']}s")
        if "max" in s and g > s["max"]:
            bad.append(f"gap {i + 1} = {g}s > {s['max']}s")
        if "schedule" in s:
            want = s["schedule"][min(i, len(s["schedule"]) - 1)]
            if not want - tol <= g <= want + tol:
                bad.append(f"gap {i + 1} = {g}s, want {want}±{tol}s")
    shown = ", ".join(f"{g}s" for g in gaps)
    return Verdict(
        not bad,
        ("; ".join(bad[:3]) + f" (gaps {shown})")
        if bad
        else f"gaps {shown} over {len(found)} × {describe(s['requests'])}",
    )


def check_gap(
    spec: Mapping[str, Any],
    _steps: list[StepRecord],
    journal: list[dict[str, Any]],
    _run: RunRecord,
) -> Verdict:
    g = spec["gap"]
    starts = [e for e in journal if matches(e, g["from"])]
    if not starts:
        return Verdict(False, f"no {describe(g['from'])}")
    out, bad = [], []
    for a in starts:
        later = [e for e in journal if e["seq"] > a["seq"] and matches(e, g["to"])]
        if not later:
            bad.append(f"nothing matching {describe(g['to'])} after {label(a)}")
            continue
        b = later[0]
        d = round(float(b["vtime"]) - _end(a), 3)
        out.append(f"{label(a)} → {label(b)}: {d}s")
        if "min" in g and d < g["min"]:
            bad.append(f"{label(b)} only {d}s after {label(a)} (want ≥ {g['min']}s)")
        if "max" in g and d > g["max"]:
            bad.append(f"{label(b)} {d}s after {label(a)} (want ≤ {g['max']}s)")
    return Verdict(not bad, "; ".join(bad) if bad else "; ".join(out))


def _field(entry: Entry, dotted: str) -> Any:
    value: Any = entry
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def check_distinct(
    spec: Mapping[str, Any],
    _steps: list[StepRecord],
    journal: list[dict[str, Any]],
    _run: RunRecord,
) -> Verdict:
    d = spec["distinct"]
    found = [e for e in journal if matches(e, d.get("where"))]
    if not found:
        return Verdict(False, f"no {describe(d.get('where'))} to compare")
    values = [_field(e, d["field"]) for e in found]
    dupes = [v for v, n in Counter(map(str, values)).items() if n > 1]
    if None in values or dupes:
        return Verdict(False, f"{d['field']} repeats or is missing: {values} ({_labels(found)})")
    return Verdict(True, f"{len(found)} distinct {d['field']}: {values}")


def check_sent_once(
    spec: Mapping[str, Any],
    _steps: list[StepRecord],
    journal: list[dict[str, Any]],
    _run: RunRecord,
) -> Verdict:
    m = dict(spec["sent_once"]) or {"method": "POST", "path": "/run_sse"}
    # a request refused before any stream (1001, 1002, 2001 as JSON) never reached the agent
    found = [e for e in journal if matches(e, m) and not refused_before_stream(e)]
    texts = Counter(sse_text(e) or "" for e in found)
    dupes = {t: n for t, n in texts.items() if n > 1}
    if dupes:
        shown = "; ".join(f"{t!r} sent {n}×" for t, n in dupes.items())
        return Verdict(False, f"re-sent: {shown} ({_labels(found)})")
    return Verdict(True, f"{len(found)} message(s), each sent once")


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
                bad.append(f"{label(e)} carries a token in its URL")
    where = " and ".join(k for k in ("output", "stderr", "urls") if s.get(k))
    return Verdict(
        not bad,
        "; ".join(bad[:3]) if bad else f"no token in {where} ({len(secrets)} token(s) known)",
    )


CHECKERS: dict[
    str, Callable[[Mapping[str, Any], list[StepRecord], list[dict[str, Any]], RunRecord], Verdict]
] = {
    "output": check_output,
    "exit": check_exit,
    "request": check_request,
    "order": check_order,
    "headers": check_headers,
    "same_header": check_same_header,
    "spacing": check_spacing,
    "gap": check_gap,
    "distinct": check_distinct,
    "sent_once": check_sent_once,
    "secrets": check_secrets,
}


def evaluate(expectation: Expectation, run: RunRecord) -> Verdict:
    """Run one expectation against a run."""
    steps, journal = run.scope(expectation.steps)
    try:
        return CHECKERS[expectation.check](expectation.spec, steps, journal, run)
    except (KeyError, TypeError, ValueError) as exc:  # a journal without a field we need
        return Verdict(False, f"could not evaluate: {type(exc).__name__}: {exc}")


def evaluate_all(
    expectations: Iterable[Expectation], run: RunRecord
) -> list[tuple[Expectation, Verdict]]:
    """Every expectation, in order."""
    return [(e, evaluate(e, run)) for e in expectations]
