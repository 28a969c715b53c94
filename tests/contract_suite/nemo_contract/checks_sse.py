"""/run_sse: framing, events, heartbeats, pre-stream errors, silent closes (DESIGN §3.4).

Streams are read as raw bytes (httpx-sse hides comment lines) with a per-read timeout and an
overall deadline, so a server that stalls fails the check instead of hanging the suite.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import jsonschema

from nemo_mock import contracts

from .registry import MUST, SHOULD, CheckFailed, check, expect
from .target import Target

TEXT_TURN = "what can you do?"
EDIT_TURN = "add lo-fi background music at 35% volume"
FACTS = contracts.facts()


@dataclass
class Item:
    kind: str  # json | empty | comment
    at: float  # real seconds since the request was sent
    raw: bytes
    data: Any = None


@dataclass
class Stream:
    status: int
    content_type: str
    items: list[Item] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    envelope: dict[str, Any] | None = None
    closed: bool = False
    seconds: float = 0.0

    @property
    def events(self) -> list[dict[str, Any]]:
        return [i.data for i in self.items if i.kind == "json"]

    def texts(self) -> list[str]:
        out = []
        for ev in self.events:
            for part in (ev.get("content") or {}).get("parts") or []:
                if (
                    isinstance(part, dict)
                    and isinstance(part.get("text"), str)
                    and part["text"].strip()
                ):
                    out.append(part["text"])
        return out


def body(session_id: str, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "app_name": "nemo_agent",
        "user_id": "me",
        "session_id": session_id,
        "new_message": {"role": "user", "parts": [{"text": text}]},
        **extra,
    }


def read_stream(
    t: Target, token: str | None, payload: Any, deadline: float = 60.0, gap: float = 30.0
) -> Stream:
    """POST /run_sse and read the answer: a JSON envelope, or every frame with its arrival time."""
    t.wait_pace()
    start = time.monotonic()
    headers = {**t.headers(token), "Accept": "text/event-stream"}
    timeout = httpx.Timeout(t.timeout, read=gap)
    with t.http.stream("POST", "/run_sse", headers=headers, json=payload, timeout=timeout) as r:
        ctype = r.headers.get("content-type", "")
        out = Stream(r.status_code, ctype)
        if "text/event-stream" not in ctype:
            r.read()
            t.note(f"POST /run_sse -> HTTP {r.status_code} ({ctype})")
            try:
                out.envelope = r.json()
            except ValueError:
                out.envelope = None
            return out
        buf = b""
        try:
            for chunk in r.iter_raw():
                buf += chunk
                while b"\n\n" in buf:
                    block, buf = buf.split(b"\n\n", 1)
                    _frame(out, block, time.monotonic() - start)
                if time.monotonic() - start > deadline:
                    out.violations.append(f"stream still open after the {deadline:g} s deadline")
                    break
            else:
                out.closed = True
        except httpx.ReadTimeout:
            out.violations.append(f"nothing received for {gap:g} s (stall)")
        if out.closed and buf.strip():
            out.violations.append(f"stream ended inside a frame: {buf[:80]!r}")
    out.seconds = time.monotonic() - start
    kinds = [i.kind for i in out.items]
    t.note(
        f"POST /run_sse -> HTTP {out.status} stream: {kinds.count('json')} events, "
        f"{kinds.count('comment') + kinds.count('empty')} heartbeats, {out.seconds:.2f} s"
    )
    return out


def _frame(out: Stream, block: bytes, at: float) -> None:
    if b"\r" in block:
        out.violations.append(f"CR in a frame (frames must use LF only): {block[:60]!r}")
    lines = block.replace(b"\r", b"").split(b"\n")
    data_lines = []
    for line in lines:
        if line.startswith(b":"):
            out.items.append(Item("comment", at, line))
        elif line.startswith(b"data:"):
            data_lines.append(line[5:].removeprefix(b" "))
        elif line.startswith((b"event:", b"id:", b"retry:")):
            out.violations.append(f"forbidden SSE field (no event:/id: lines): {line[:60]!r}")
        elif line:
            out.violations.append(f"unexpected line: {line[:60]!r}")
    if not data_lines:
        return
    if len(data_lines) > 1:
        out.violations.append(f"a frame must be one 'data: <compact JSON>' line: {block[:80]!r}")
    raw = b"\n".join(data_lines)
    if not raw.strip():
        out.items.append(Item("empty", at, raw))
        return
    try:
        data = json.loads(raw)
    except ValueError:
        out.violations.append(f"data frame is not JSON: {raw[:80]!r}")
        return
    out.items.append(Item("json", at, raw, data))


def _validate_events(stream: Stream) -> None:
    schema = contracts.json_schema("adk_event")
    for ev in stream.events:
        try:
            jsonschema.validate(ev, schema)
        except jsonschema.ValidationError as exc:
            raise CheckFailed(
                f"frame does not match adk_event.json: {exc.message} in {json.dumps(ev)[:200]}"
            ) from exc
        expect(
            (ev.get("content") or {}).get("role") != "user", "the user's message must not be echoed"
        )


def _stream_ok(stream: Stream, what: str) -> None:
    expect(
        stream.envelope is None,
        f"{what}: expected an event stream, got HTTP {stream.status} envelope {stream.envelope!r}",
    )
    expect(stream.status == 200, f"{what}: HTTP {stream.status}")
    expect(
        stream.content_type.startswith("text/event-stream"),
        f"{what}: content-type {stream.content_type!r}",
    )
    expect(not stream.violations, f"{what}: framing violations: {stream.violations[:3]}")
    expect(stream.closed, f"{what}: the stream must end by closing")
    _validate_events(stream)


def _session(t: Target) -> tuple[str, str]:
    token = t.token()
    return token, t.session(token)["session_id"]


@check("sse.framing", MUST, sse=True)
def framing(t: Target) -> None:
    """A text turn streams `data: <compact JSON>` frames (LF only, no event:/id:)
    of ADK events, then closes.
    """
    token, sid = _session(t)
    stream = read_stream(t, token, body(sid, TEXT_TURN))
    _stream_ok(stream, "text turn")
    expect(stream.events, "a text turn must send at least one event")
    expect(
        "charset=utf-8" in stream.content_type.replace(" ", "").lower(),
        f"content-type must declare charset=utf-8: {stream.content_type!r}",
    )
    for item in stream.items:
        if item.kind == "json":
            compact = {
                json.dumps(item.data, separators=(",", ":"), ensure_ascii=a).encode()
                for a in (False, True)
            }
            expect(item.raw in compact, f"frames carry compact JSON: {item.raw[:80]!r}")
    expect(stream.texts(), "a text turn answers with a text part")


@check("sse.camel_case_body", SHOULD, sse=True)
def camel_case(t: Target) -> None:
    """The camelCase request keys of ADK (appName, userId, sessionId, newMessage) are accepted."""
    token, sid = _session(t)
    payload = {
        "appName": "nemo_agent",
        "userId": "me",
        "sessionId": sid,
        "newMessage": {"role": "user", "parts": [{"text": TEXT_TURN}]},
    }
    _stream_ok(read_stream(t, token, payload), "camelCase body")


@check("sse.prestream_errors", MUST, sse=True)
def prestream_errors(t: Target) -> None:
    """Bad token (1001), unknown session (1002) and a malformed body (400)
    answer JSON, not a stream.
    """
    token, sid = _session(t)
    for tok, payload, code, what in (
        ("nmv_usr_not_a_real_token_0000", body(sid, TEXT_TURN), 1001, "bad token"),
        (token, body(str(uuid.uuid4()), TEXT_TURN), 1002, "unknown session"),
        (token, {"app_name": "nemo_agent", "session_id": sid}, 400, "body without new_message"),
    ):
        stream = read_stream(t, tok, payload, deadline=15)
        expect(
            stream.envelope is not None,
            f"{what}: expected a JSON envelope before any stream, got {stream.content_type!r}",
        )
        env = stream.envelope
        expect(
            isinstance(env, dict) and env.get("code") == code,
            f"{what}: expected code {code}, got {env!r}",
        )
        allowed = t.expected_statuses(code)
        expect(
            stream.status in allowed,
            f"{what}: code {code} must come with HTTP {sorted(allowed)}, got {stream.status}",
        )


def _timing(t: Target) -> tuple[float, float]:
    """(time_scale, heartbeat_interval in virtual seconds) of the target."""
    interval = t.caps.heartbeat_interval or float(FACTS["turn"]["heartbeat_interval_seconds"])
    scale = 1.0
    if t.caps.has("control_plane"):
        cfg = t.control("GET", "/_mock/config")
        scale = float(cfg.get("time_scale") or 1.0)
        interval = float(cfg.get("heartbeat_interval") or interval)
    return scale, interval


@check("sse.edit_turn", MUST, sse=True, spends_credits=True, timeout=120.0)
def edit_turn(t: Target) -> None:
    """An edit turn streams valid events, heartbeats at least every interval,
    and changes the state.
    """
    token, sid = _session(t)
    before = t.state(token, sid)
    scale, interval = _timing(t)
    real_interval = interval / scale if scale > 0 else interval
    limit = FACTS["turn"]["edit_seconds"][1] / (scale or 1) * 3 + 10
    stream = read_stream(
        t, token, body(sid, EDIT_TURN), deadline=limit, gap=max(real_interval * 3, 2.0)
    )
    _stream_ok(stream, "edit turn")
    times = [0.0, *(i.at for i in stream.items), stream.seconds]
    widest = max(b - a for a, b in itertools.pairwise(times))
    slack = real_interval * 1.5 + 0.25
    expect(
        widest <= slack,
        f"{widest:.2f} s without any frame or heartbeat (interval {real_interval:.2f} s real)",
    )
    if stream.seconds > real_interval * 1.2:
        expect(
            any(i.kind in ("comment", "empty") for i in stream.items),
            f"no heartbeat in a {stream.seconds:.2f} s turn (interval {real_interval:.2f} s)",
        )
    after = t.state(token, sid)
    expect(
        after["version"] > before["version"],
        f"an edit turn must change the state: version {before['version']} -> {after['version']}",
    )
    bal = t.balance(token)
    expect(
        bal["available"] + bal["frozen"] == bal["total"],
        f"available + frozen != total after a turn: {bal!r}",
    )


@check("sse.no_credits", MUST, sse=True, needs=("control_plane",))
def no_credits(t: Target) -> None:
    """Not enough credits answers 2001 before any stream,
    with data.bind_id for an anonymous user.
    """
    token, sid = _session(t)
    t.configure(cost_edit=10_000)
    stream = read_stream(t, token, body(sid, EDIT_TURN), deadline=15)
    expect(
        stream.envelope is not None,
        f"2001 must come before any stream, got {stream.content_type!r}",
    )
    env = stream.envelope or {}
    expect(env.get("code") == 2001, f"expected code 2001, got {env!r}")
    expect(stream.status in t.expected_statuses(2001), f"2001 came with HTTP {stream.status}")
    expect(
        isinstance(env.get("data"), dict) and env["data"].get("bind_id"),
        f"2001 for an anonymous user carries data.bind_id: {env!r}",
    )


@check("sse.silent_close_rate", SHOULD, sse=True, needs=("control_plane",), timeout=180.0, turns=30)
def silent_close_rate(t: Target, turns: int) -> None:
    """About 30% of edit turns close without a text part (seeds); the state changes anyway."""
    t.configure(cost_edit=0, time_scale=2000.0)
    token, sid = _session(t)
    silent = 0
    for n in range(turns):
        before = t.state(token, sid)["version"]
        stream = read_stream(t, token, body(sid, f"{EDIT_TURN} #{n}"), deadline=30)
        _stream_ok(stream, f"edit turn {n}")
        if not stream.texts():
            silent += 1
            expect(
                t.state(token, sid)["version"] > before,
                f"silently closed turn {n} did not change the state",
            )
    rate = FACTS["turn"]["silent_close_rate"]
    sd = (turns * rate * (1 - rate)) ** 0.5
    low, high = turns * rate - 3 * sd, turns * rate + 3 * sd
    t.note(f"{silent}/{turns} edit turns closed silently (expected about {rate:.0%})")
    expect(
        low <= silent <= high,
        f"{silent}/{turns} silent closes is outside {low:.1f}..{high:.1f} (about {rate:.0%})",
    )
