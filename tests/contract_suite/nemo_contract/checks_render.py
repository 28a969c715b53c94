"""The render lifecycle and the MP4 it serves (DESIGN §3.5)."""

from __future__ import annotations

import itertools
import time
from typing import Any

from nemo_mock import contracts

from .checks_errors import render_body
from .registry import MUST, check, expect
from .target import Target

ORDER = {"pending": 0, "processing": 1, "completed": 2, "failed": 2}
RENDER_MAX = float(contracts.facts()["render"]["seconds"][1])


def wait_render(
    t: Target, token: str, render_id: str, budget: float = RENDER_MAX * 2
) -> list[dict[str, Any]]:
    """Poll until the job ends.

    Virtual-clock steps of 5 s when declared, else real polls (bounded).
    """
    seen: list[dict[str, Any]] = []
    step = 5.0
    deadline = time.monotonic() + budget + 30
    elapsed = 0.0
    while True:
        job = t.ok(
            t.request("GET", f"/api/render/proxy/lambda/{render_id}", headers=t.headers(token)),
            "render status",
        )
        seen.append(job)
        if job.get("status") in ("completed", "failed"):
            return seen
        expect(
            elapsed <= budget,
            f"render not finished after {elapsed:g} s (documented 30-90 s): {job!r}",
        )
        if t.caps.has("virtual_clock"):
            t.advance(step)
            elapsed += step
        else:  # real time: poll every 2 s (the seeds poll every 30 s; we only need the order)
            expect(time.monotonic() < deadline, "render did not finish before the deadline")
            time.sleep(max(2.0, t.pace))
            elapsed += 2.0


def completed_render(t: Target) -> tuple[str, dict[str, Any]]:
    """Submit the seed draft and wait until the job completes.

    One retry with a new id, as v1.9 says.
    """
    token = t.token()
    sid = t.session(token)["session_id"]
    for _attempt in range(2):
        job = t.ok(
            t.request(
                "POST", "/api/render/proxy/lambda", headers=t.headers(token), json=render_body(sid)
            ),
            "render submit",
        )
        seen = wait_render(t, token, job["id"])
        if seen[-1]["status"] == "completed":
            return token, seen[-1]
    raise AssertionError("two renders in a row failed")


@check("render.lifecycle", MUST, timeout=300.0)
def lifecycle(t: Target) -> None:
    """pending -> processing -> completed|failed, never backwards;
    progress 0..1 never decreases (v1.9).
    """
    token = t.token()
    sid = t.session(token)["session_id"]
    body = render_body(sid)
    job = t.ok(
        t.request("POST", "/api/render/proxy/lambda", headers=t.headers(token), json=body),
        "render submit",
    )
    expect(
        job.get("id") == body["id"],
        f"the job must keep the client's id {body['id']!r}: {job.get('id')!r}",
    )
    seen = [job, *wait_render(t, token, job["id"])]
    statuses = [j.get("status") for j in seen]
    for j in seen:
        expect(
            j.get("status") in ORDER,
            f"unknown status {j.get('status')!r} (documented: {sorted(ORDER)})",
        )
        p = j.get("progress")
        expect(isinstance(p, (int, float)) and 0 <= p <= 1, f"progress must be within 0..1: {p!r}")
    for a, b in itertools.pairwise(seen):
        expect(ORDER[b["status"]] >= ORDER[a["status"]], f"status went backwards: {statuses}")
        expect(
            b["progress"] >= a["progress"], f"progress decreased: {[j['progress'] for j in seen]}"
        )
    last = seen[-1]
    if last["status"] == "completed":
        expect(last["progress"] == 1, f"a completed job has progress 1: {last['progress']!r}")
        expect(
            isinstance(last.get("output"), dict) and last["output"].get("url"),
            f"completed without output.url: {last!r}",
        )
    else:
        expect(last.get("error"), f"a failed job must say why (error): {last!r}")
    t.note(f"statuses: {statuses}")


def _mp4_checks(t: Target, r: Any, what: str) -> int:
    expect(r.status_code == 200, f"{what}: expected HTTP 200, got {r.status_code}")
    expect(
        r.headers.get("content-type", "").startswith("video/mp4"),
        f"{what}: content-type {r.headers.get('content-type')!r}",
    )
    length = r.headers.get("content-length")
    expect(length is not None and length.isdigit(), f"{what}: no Content-Length")
    expect(
        int(length) == len(r.content), f"{what}: Content-Length {length} but {len(r.content)} bytes"
    )
    expect(
        r.content[4:8] == b"ftyp",
        f"{what}: not an MP4 (bytes 4..8 are {r.content[4:8]!r}, not b'ftyp')",
    )
    return int(length)


@check("render.output_mp4", MUST, timeout=300.0)
def output_mp4(t: Target) -> None:
    """output.url serves an MP4 (ftyp box) with Content-Length and Range (206), no token needed."""
    token, job = completed_render(t)
    url = job["output"]["url"]
    expect(token not in url, "a token must never appear in output.url")
    r = t.request("GET", url)
    size = _mp4_checks(t, r, "output.url")
    if isinstance(job["output"].get("size"), int):
        expect(
            job["output"]["size"] == size,
            f"output.size {job['output']['size']} != served {size} bytes",
        )
    part = t.request("GET", url, headers={"Range": "bytes=0-15"})
    expect(part.status_code == 206, f"Range bytes=0-15: expected 206, got {part.status_code}")
    expect(part.content == r.content[:16], "Range bytes=0-15 must serve the first 16 bytes")
    expect(
        part.headers.get("content-range", "").startswith("bytes 0-15/"),
        f"Content-Range must be 'bytes 0-15/<size>': {part.headers.get('content-range')!r}",
    )


@check("render.download_fallback", MUST, timeout=300.0)
def download_fallback(t: Target) -> None:
    """GET /api/render/proxy/{id}/download serves the same MP4 (v1.9 fallback)."""
    token, job = completed_render(t)
    r = t.request("GET", f"/api/render/proxy/{job['id']}/download", headers=t.headers(token))
    _mp4_checks(t, r, "download fallback")
