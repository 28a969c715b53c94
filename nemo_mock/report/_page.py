"""The report as one self-contained HTML page: inline CSS, inline SVG, a few lines of inline JS.

Nothing is fetched: no CDN, no font, no image, no external URL of any kind (the tests check),
so the page opens from a CI artifact on any machine. Tokens never appear: the input is redacted
(fingerprints) before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from nemo_mock.report._data import (
    expectations_failing_first,
    failing_first,
    redact,
    run_counts,
    run_failed,
    status_of,
)
from nemo_mock.report._svg import DEFS, diagram

CSS = """
:root{--fail:#c62828;--pass:#2e7d32;--warn:#b26a00;--ink:#1d232b;--mute:#5f6b7a;--line:#d5dbe3}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--ink);margin:0;
 background:#f6f8fa}
header{background:#1d232b;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;color:#c9d1d9}
main{padding:16px 24px;max-width:1040px}
table{border-collapse:collapse;width:100%;background:#fff;margin:8px 0 16px}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef1f5;font-weight:600}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-weight:600;color:#fff}
.badge.fail{background:var(--fail)}.badge.pass{background:var(--pass)}
.badge.warn{background:var(--warn)}.badge.na{background:#8a94a3}
tr.fail td{background:#fdecea}tr.warn td{background:#fff6e0}
section.run{background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px 16px;
 margin:16px 0}
section.run h2{font-size:17px;margin:6px 0}
.rule{color:var(--mute);font-size:12px}.evidence-text{font-family:ui-monospace,monospace;
 font-size:12px;white-space:pre-wrap;word-break:break-word}
svg.sequence{display:block;background:#fff;font:12px system-ui,sans-serif;margin:8px 0}
svg .lane{stroke:#9aa5b1;stroke-width:2;stroke-dasharray:6 4}
svg .lane-head{fill:#1d232b}svg .lane-label{fill:#fff;font-weight:600}
svg .axis-label,svg .time{fill:var(--mute);font-size:11px}
svg .req{stroke:#1d4ed8;stroke-width:1.6}svg .res{stroke:#6b7280;stroke-dasharray:4 3}
svg .arrowhead{fill:#374151}svg .req-label{fill:#1d4ed8;font-weight:600}
svg .note{fill:#374151}svg .note.bad{fill:var(--fail);font-weight:600}
svg .note.fault{fill:#a21caf;font-weight:600}svg .note.dropped{fill:var(--fail);font-weight:700}
svg .cross{fill:var(--fail);font-size:16px;font-weight:700}
svg .activation{fill:#dbeafe;stroke:#1d4ed8}svg .rail{stroke:#93c5fd;stroke-width:3}
svg .frame-heartbeat{fill:#9ca3af}
svg .frame line{stroke:#cbd5e1}svg .frame rect{stroke:#111;stroke-width:.6}
svg .frame-text rect,svg .frame-partial rect{fill:#22c55e}
svg .frame-tool_call rect{fill:#f59e0b}svg .frame-tool_result rect{fill:#8b5cf6}
svg .frame-error rect,svg .frame-no_content rect{fill:var(--fail)}
svg .frame-label{fill:#111827;font-size:11px}
svg .end line{stroke:#111;stroke-width:2}svg .end-label{font-weight:700;fill:#111}
svg .end-silent .end-label,svg .end-truncated .end-label,svg .end-error .end-label{fill:var(--fail)}
svg .end-silent line,svg .end-truncated line{stroke:var(--fail)}
svg .step line{stroke:#1d232b;stroke-width:1}svg .step-label{font-weight:700;fill:#1d232b}
svg .step-output{fill:var(--mute);font-style:italic}
svg .step-fail line{stroke:var(--fail);stroke-width:2}svg .step-fail .step-output{fill:var(--fail)}
svg .break line{stroke:#9aa5b1;stroke-dasharray:2 3}svg .break-label{fill:var(--mute)}
svg .evidence rect{fill:#e8f5e9;stroke:#a5d6a7}
svg .evidence-fail rect{fill:#fdecea;stroke:var(--fail);stroke-width:1.5}
svg .ev-label{font-weight:700;fill:var(--pass)}svg .evidence-fail .ev-label{fill:var(--fail)}
svg .step-fail .ev-label{fill:var(--fail)}
svg .step-warn line{stroke:var(--warn);stroke-width:2}svg .step-warn .ev-label,
svg .step-warn .step-output{fill:var(--warn)}
svg .evidence-warn rect{fill:#fff6e0;stroke:var(--warn);stroke-width:1.5}
svg .evidence-warn .ev-label{fill:var(--warn)}
svg .exchange:target .req,svg .exchange.hot .req{stroke:var(--fail);stroke-width:3}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:10px;
 height:10px;margin-right:4px;border:1px solid #111;vertical-align:-1px}
details{margin:6px 0}pre{background:#f6f8fa;padding:6px;white-space:pre-wrap}
"""

# hovering an expectation row lights up the exchanges its evidence names
JS = """
document.querySelectorAll('tr[data-seqs]').forEach(function (row) {
  var ids = row.getAttribute('data-seqs').split(' ').filter(Boolean);
  var prefix = row.getAttribute('data-run');
  function mark(on) {
    ids.forEach(function (s) {
      var el = document.getElementById(prefix + '-x' + s);
      if (el) { el.classList.toggle('hot', on); }
    });
  }
  row.addEventListener('mouseenter', function () { mark(true); });
  row.addEventListener('mouseleave', function () { mark(false); });
});
"""

LEGEND = (
    '<p class="legend"><span><i style="background:#9ca3af;border-radius:5px"></i>heartbeat</span>'
    '<span><i style="background:#22c55e"></i>text</span>'
    '<span><i style="background:#f59e0b"></i>functionCall</span>'
    '<span><i style="background:#8b5cf6"></i>functionResponse</span>'
    '<span><i style="background:#c62828"></i>error / no content</span>'
    '<span><i style="background:#fdecea"></i>evidence of a failed MUST</span>'
    '<span><i style="background:#fff6e0"></i>of a failed SHOULD</span>'
    '<span><i style="background:#e8f5e9"></i>of a passed one</span></p>'
)


def _badge(status: str, must: bool = True) -> str:
    if status == "pass":
        return '<span class="badge pass">pass</span>'
    if status == "n/a":
        return '<span class="badge na">n/a</span>'
    return (
        '<span class="badge fail">FAIL</span>' if must else '<span class="badge warn">warn</span>'
    )


def _summary(runs: list[dict[str, Any]]) -> str:
    rows = []
    for i, run in enumerate(runs):
        c = run_counts(run)
        failed = run_failed(run)
        cls = "fail" if failed else "warn" if c["should_fail"] else ""
        verdict = _badge("fail" if failed else "pass")
        rows.append(
            f'<tr class="{cls}"><td><a href="#run{i}">{escape(str(run.get("id")))}</a></td>'
            f"<td>{escape(str(run.get('variant') or ''))}</td><td>{verdict}</td>"
            f"<td>{c['must_pass']}</td><td>{c['must_fail']}</td>"
            f"<td>{c['should_pass']}</td><td>{c['should_fail']}</td><td>{c['na']}</td></tr>"
        )
    return (
        '<table class="summary"><thead><tr><th>run</th><th>variant</th><th>verdict</th>'
        "<th>MUST pass</th><th>MUST fail</th><th>SHOULD pass</th><th>SHOULD fail</th>"
        "<th>n/a</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _expectations(run: dict[str, Any], prefix: str) -> str:
    from nemo_mock.report._data import evidence_seqs

    rows = []
    if run.get("error"):
        rows.append(
            f'<tr class="fail"><td>MUST</td><td>(set-up)</td><td>{_badge("fail")}</td>'
            f'<td class="evidence-text">{escape(str(run["error"]))}</td></tr>'
        )
    for e in expectations_failing_first(run):
        status = status_of(e)
        must = e.get("level") == "MUST"
        cls = "fail" if status == "fail" and must else "warn" if status == "fail" else ""
        seqs = evidence_seqs(e)
        links = " ".join(f'<a href="#{prefix}-x{s}">#{s}</a>' for s in seqs)
        rule = f'<div class="rule">{escape(str(e["rule"]))}</div>' if e.get("rule") else ""
        rows.append(
            f'<tr class="{cls} expectation" data-run="{prefix}" data-status="{status}" '
            f'data-id="{escape(str(e.get("id")))}" data-seqs="{" ".join(map(str, seqs))}">'
            f"<td>{escape(str(e.get('level')))}</td><td>{escape(str(e.get('id')))}{rule}</td>"
            f"<td>{_badge(status, must)}</td>"
            f'<td><div class="evidence-text">{escape(str(e.get("evidence", "")))}</div>'
            f"{links}</td></tr>"
        )
    return (
        '<table class="expectations"><thead><tr><th>level</th><th>expectation</th>'
        "<th>result</th><th>evidence</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _steps(run: dict[str, Any]) -> str:
    items = []
    for s in run.get("steps") or []:
        text = str(s.get("output") or "") + (
            f"\n[stderr/error] {s['error']}" if s.get("error") else ""
        )
        items.append(
            f"<details><summary>step {escape(str(s.get('id')))}: "
            f"{escape(str(s.get('label', '')))}</summary><pre>{escape(text or '(nothing)')}</pre>"
            "</details>"
        )
    return "".join(items)


def _fold(failed: bool, body: str) -> str:
    """A failing run shows its diagram open; a passing one folds it (one click away)."""
    if failed or not body:
        return body
    return f'<details class="diagram"><summary>sequence diagram</summary>{body}</details>'


def _run(run: dict[str, Any], i: int) -> str:
    prefix = f"run{i}"
    failed = run_failed(run)
    title = f" — {escape(str(run['title']))}" if run.get("title") else ""
    has_diagram = bool(run.get("exchanges")) or bool(run.get("steps"))
    return (
        f'<section class="run {"failed" if failed else "passed"}" id="{prefix}" '
        f'data-run="{escape(str(run.get("id")))}">'
        f"<h2>{_badge('fail' if failed else 'pass')} {escape(str(run.get('id')))}{title}</h2>"
        + _expectations(run, prefix)
        + _fold(failed, (diagram(run, prefix) + LEGEND if has_diagram else "") + _steps(run))
        + "</section>"
    )


def render(report: dict[str, Any], secrets: Iterable[str] = ()) -> str:
    """The report (see `_data` for its shape) as one HTML page; secrets become fingerprints."""
    data = redact(report, secrets)
    runs = failing_first(data.get("runs") or [])
    failed = sum(run_failed(r) for r in runs)
    title = escape(str(data.get("title") or "nemo-mock report"))
    subtitle = escape(str(data.get("subtitle") or ""))
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    verdict = f"{len(runs) - failed}/{len(runs)} runs passed every MUST"
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width'><link rel='icon' href='data:,'>"
        f"<title>{title}</title>"
        f"<style>{CSS}</style></head><body>{DEFS}"
        f"<header><h1>{title}</h1><p>{subtitle} · {verdict} · generated {stamp}</p></header>"
        f"<main>{_summary(runs)}"
        + "".join(_run(r, i) for i, r in enumerate(runs))
        + f"</main><script>{JS}</script></body></html>"
    )


def write(report: dict[str, Any], path: str | Path, secrets: Iterable[str] = ()) -> Path:
    """Write the page to `path` (UTF-8) and return the path."""
    out = Path(path)
    out.write_text(render(report, secrets), encoding="utf-8")
    return out
