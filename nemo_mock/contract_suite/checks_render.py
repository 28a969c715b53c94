"""The render lifecycle and the MP4 it serves (DESIGN §3.5).

A status answer may be enveloped (`data.status`) or bare (top-level `status`, as v1.9 words it):
both readings pass. With a virtual clock the target's time is frozen for the check and moved
by explicit advances, so the lifecycle is observed step by step in milliseconds.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

import httpx

from nemo_mock import contracts

from . import citations as C
from .checks_errors import render_body
from .registry import MUST, SHOULD, CheckFailed, check, expect
from .target import Target

ORDER = {"pending": 0, "processing": 1, "completed": 2, "failed": 2}
RENDER_MAX = float(contracts.facts()["render"]["seconds"][1])
STEP = 5.0  # virtual seconds per poll with a virtual clock
REAL_POLL = 2.0  # real seconds per poll without one


def job_of(t: Target, r: httpx.Response, what: str) -> dict[str, Any]:
    """The render job in `r`: `data` of a success envelope, `{success, data}`, or a bare object
    with `status` (contracts/README.md, Readings: render_status_shape)."""
    try:
        body = r.json()
    except ValueError as exc:
        raise CheckFailed(f"{what}: not JSON (HTTP {r.status_code}): {r.text[:120]!r}") from exc
    if isinstance(body, dict) and "status" in body and not isinstance(body.get("data"), dict):
        expect(r.status_code == 200, f"{what}: HTTP {r.status_code}")
        return body
    return t.job(r, what)  # the envelope's data, or {success: true, data} (the vendor CLI's)


def poll(t: Target, token: str, render_id: str) -> dict[str, Any]:
    r = t.request("GET", f"/api/render/proxy/lambda/{render_id}", headers=t.headers(token))
    return job_of(t, r, "render status")


def wait_render(t: Target, token: str, render_id: str) -> list[dict[str, Any]]:
    """Every status seen until the job ends (bounded: twice the documented 90 s)."""
    seen: list[dict[str, Any]] = []
    virtual = t.caps.has("virtual_clock")
    if virtual:
        t.time_scale(0.0)  # frozen: only our advances move it
    elapsed, budget = 0.0, RENDER_MAX * 2
    while True:
        job = poll(t, token, render_id)
        seen.append(job)
        if job.get("status") in ("completed", "failed"):
            return seen
        expect(
            elapsed <= budget,
            f"render not finished after {elapsed:g} s (documented 30-90 s): {job!r}",
        )
        if virtual:
            t.advance(STEP)
            elapsed += STEP
        else:
            time.sleep(max(REAL_POLL, t.pace))
            elapsed += REAL_POLL


def submit(t: Target, token: str, sid: str) -> tuple[dict[str, Any], dict[str, Any]]:
    body = render_body(sid)
    r = t.request("POST", "/api/render/proxy/lambda", headers=t.headers(token), json=body)
    return body, job_of(t, r, "render submit")


def completed_render(t: Target) -> tuple[str, dict[str, Any]]:
    """A fixture: the seed draft rendered to completion (one retry with a new id, as v1.9 says)."""
    token = t.token()
    sid = t.session(token)["session_id"]
    with t.fixture("a completed render"):
        for _attempt in range(2):
            body, _ = submit(t, token, sid)
            seen = wait_render(t, token, body["id"])
            if seen[-1]["status"] == "completed":
                return token, seen[-1]
        raise CheckFailed(f"two renders in a row failed: {seen[-1]!r}")


@check("render.lifecycle", MUST, cites=(C.RENDER_STATUS, C.RENDER_POLL))
def lifecycle(t: Target) -> None:
    """Statuses go pending → processing → completed|failed, never back, with a non-final one
    seen before the end; completed carries output.url."""
    token = t.token()
    sid = t.session(token)["session_id"]
    body, _ = submit(t, token, sid)
    seen = wait_render(t, token, body["id"])
    statuses = [j.get("status") for j in seen]
    t.note(f"statuses: {statuses}")
    for status in statuses:
        expect(status in ORDER, f"unknown status {status!r} (documented: {sorted(ORDER)})")
    for a, b in itertools.pairwise(statuses):
        expect(ORDER[str(b)] >= ORDER[str(a)], f"status went backwards: {statuses}")
    expect(
        statuses[0] in ("pending", "processing"),
        f"the first poll right after submit must find the job pending or processing "
        f"(renders take 30-90 s): {statuses}",
    )
    last = seen[-1]
    if last["status"] == "completed":
        output = last.get("output")
        expect(
            isinstance(output, dict) and isinstance(output.get("url"), str) and output["url"],
            f"completed without output.url: {last!r}",
        )


@check("render.progress", SHOULD, cites=(C.RENDER_PROGRESS,))
def progress(t: Target) -> None:
    """Each poll carries a progress within 0..1 that never decreases and is 1 when completed."""
    token = t.token()
    sid = t.session(token)["session_id"]
    body, _ = submit(t, token, sid)
    seen = wait_render(t, token, body["id"])
    values = [j.get("progress") for j in seen]
    t.note(f"progress: {values}")
    for p in values:
        expect(
            isinstance(p, (int, float)) and not isinstance(p, bool) and 0 <= p <= 1,
            f"progress must be a number within 0..1: {values}",
        )
    for a, b in itertools.pairwise(values):
        expect(b >= a, f"progress decreased: {values}")  # type: ignore[operator]
    if seen[-1].get("status") == "completed":
        expect(values[-1] == 1, f"a completed job has progress 1: {values}")


def _mp4(r: httpx.Response, what: str) -> bytes:
    expect(r.status_code == 200, f"{what}: expected HTTP 200, got {r.status_code}")
    expect(
        r.headers.get("content-type", "").startswith("video/mp4"),
        f"{what}: content-type {r.headers.get('content-type')!r}",
    )
    length = r.headers.get("content-length")
    expect(length is not None and length.isdigit(), f"{what}: no Content-Length")
    expect(
        int(str(length)) == len(r.content),
        f"{what}: Content-Length {length} but {len(r.content)} bytes",
    )
    expect(
        r.content[4:8] == b"ftyp",
        f"{what}: not an MP4 (bytes 4..8 are {r.content[4:8]!r}, not b'ftyp')",
    )
    return r.content


def _relative(t: Target, url: str) -> str:
    return url[len(t.base_url) :] if url.startswith(t.base_url) else url


@check("render.output_mp4", MUST, cites=(C.RENDER_STATUS, C.NEVER_IN_URL))
def output_mp4(t: Target) -> None:
    """output.url serves an MP4 (ftyp box) with a true Content-Length, without a token."""
    token, job = completed_render(t)
    url = job["output"]["url"]
    expect(token not in url, "a token must never appear in output.url")
    content = _mp4(t.request("GET", _relative(t, url)), "output.url")
    size = job["output"].get("size")  # undocumented: noted, never judged by this MUST
    t.note(f"served {len(content)} bytes; output.size {size!r}")


@check(
    "render.range",
    MUST,
    cites=(
        C.RENDER_STATUS,
        C.v19("**d)** Download from `output.url` → send to user."),
        C.Cite(
            "declared",
            "output.url's own `Accept-Ranges: bytes` — RFC 9110 §14.3: the field \"indicates "
            'whether an upstream server supports range requests for the target resource"',
        ),
    ),
)
def output_range(t: Target) -> None:
    """When output.url advertises byte ranges, `Range: bytes=0-15` answers 206 with 16 bytes."""
    _token, job = completed_render(t)
    url = _relative(t, job["output"]["url"])
    full = t.request("GET", url)
    content = _mp4(full, "output.url")
    advertised = "bytes" in full.headers.get("accept-ranges", "").lower()
    part = t.request("GET", url, headers={"Range": "bytes=0-15"})
    if not advertised and part.status_code == 200:
        t.note("output.url does not advertise Accept-Ranges and ignores Range: allowed")
        return
    expect(part.status_code == 206, f"Range bytes=0-15: expected 206, got {part.status_code}")
    expect(part.content == content[:16], "Range bytes=0-15 must serve the first 16 bytes")
    expect(
        part.headers.get("content-range", "") == f"bytes 0-15/{len(content)}",
        f"Content-Range must be 'bytes 0-15/{len(content)}': {part.headers.get('content-range')!r}",
    )


@check("render.download_fallback", MUST, cites=(C.RENDER_FALLBACK,))
def download_fallback(t: Target) -> None:
    """/api/render/proxy/{id}/download serves the same MP4 as output.url (same bytes)."""
    token, job = completed_render(t)
    primary = _mp4(t.request("GET", _relative(t, job["output"]["url"])), "output.url")
    r = t.request("GET", f"/api/render/proxy/{job['id']}/download", headers=t.headers(token))
    fallback = _mp4(r, "download fallback")
    expect(
        fallback == primary,
        f"the fallback serves other bytes ({len(fallback)}) than output.url ({len(primary)})",
    )
