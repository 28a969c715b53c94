"""Good client B, one agent turn over /run_sse, and v1.9 §3.6 recovery when it goes wrong."""

from __future__ import annotations

from typing import Any

import httpx
from b_texts import summary, translate
from b_wire import SCALE, ApiError, envelope, sleep, sse_events, vnow

STILL_WORKING_EVERY = 120  # seeds: "⏳ Still working..." every 2 minutes
HEARTBEATS_ONLY_LIMIT = 600  # v1.9 §3.1: 10 min heartbeats-only → assume timeout
RECOVERY_WAITS = (30, 60, 60, 60, 60)  # v1.9 §3.6: 30 s, then 60 s; 5 unchanged queries


def _draft(state: dict[str, Any]) -> Any:
    return (state.get("state") or {}).get("draft")


def _changed(before: dict[str, Any], after: dict[str, Any]) -> bool:
    return _draft(before) != _draft(after) or before.get("version") != after.get("version")


def stream(b: Any, text: str) -> tuple[list[str], str]:
    """Send once; (final texts, how it ended: closed | dropped | timeout | error)."""
    body = {
        "app_name": "nemo_agent",
        "user_id": "me",
        "session_id": b.session(),
        "new_message": {"parts": [{"text": text}]},
    }
    texts: list[str] = []
    partials: list[str] = []
    started = last_news = last_notice = vnow()
    timeout = httpx.Timeout(30.0, read=max(5.0, 150 / SCALE))
    try:
        with b.http.client.stream(
            "POST",
            "/run_sse",
            json=body,
            headers={"Authorization": f"Bearer {b.token()}", "Accept": "text/event-stream"},
            timeout=timeout,
        ) as response:
            if "text/event-stream" not in response.headers.get("content-type", ""):
                response.read()
                code, data, message = envelope(response)
                raise ApiError(code, message, data)  # refused before any stream
            for kind, event in sse_events(response.iter_lines()):
                now = vnow()
                if now - last_notice >= STILL_WORKING_EVERY:
                    print(b.t("working"), flush=True)
                    last_notice = now
                if kind == "truncated":
                    return texts, "dropped"
                if kind == "heartbeat":
                    if now - last_news >= HEARTBEATS_ONLY_LIMIT:
                        return texts, "timeout"
                    continue
                last_news = now
                if "error" in event:
                    return texts, "error"
                parts = (event.get("content") or {}).get("parts") or []
                for part in parts:  # tool calls and results stay internal
                    if isinstance(part, dict) and isinstance(part.get("text"), str):
                        (partials if event.get("partial") else texts).append(part["text"])
    except (httpx.TransportError, httpx.DecodingError):
        return texts, "dropped"
    del started
    return texts or (["".join(partials)] if partials else []), "closed"


def _without_trailing_issue(texts: list[str]) -> list[str]:
    """v1.9 §3.1: ignore a trailing "I encountered a temporary issue" after normal answers."""
    issue = ("temporary issue", "临时问题")
    while len(texts) > 1 and any(w in texts[-1].lower() for w in issue):
        texts = texts[:-1]
    return texts


def recover(b: Any, before: dict[str, Any]) -> int:
    """v1.9 §3.6: don't re-send; 30 s → state; unchanged → 60 s, again; 5 unchanged → failure."""
    for wait in RECOVERY_WAITS:
        sleep(wait)
        after = b.state()
        if _changed(before, after):
            print(b.t("changed", summary=summary(_draft(after))))
            return 0
    print(b.t("lost"))
    return 4


def chat(b: Any, text: str) -> int:
    """Everything else goes to the agent (seeds: → §3.1 SSE)."""
    before = b.state()  # v1.9 §3.1: "Query state §3.4, compare with previous"
    print(b.t("few_minutes"), flush=True)
    for attempt in (1, 2):
        try:
            texts, ended = stream(b, text)
            break
        except ApiError as err:  # refused before any stream: nothing reached the agent
            if attempt == 2 or err.code not in (1001, 1002):
                raise
            if err.code == 1001 and not b.registered:
                b.saved.put(token=None)
                b.mint()
            elif err.code == 1002:
                b.saved.put(session_id=None)
                b.new_session()
                print(b.t("new_project"))
                before = b.state()
            else:
                raise
    if ended == "error":
        print(b.t("stream_error"))
        return 4
    if ended == "timeout":
        print(b.t("timeout"), flush=True)
        return recover(b, before)  # v1.9 §7: SSE timeout → §3.6
    if ended == "dropped":
        return recover(b, before)
    shown = [translate(t, b.lang) for t in _without_trailing_issue(texts)]
    shown = [s for s in shown if s]
    if shown:
        print("\n".join(shown))
        return 0
    after = b.state()  # seeds: a silent close → poll the state, tell the user what changed
    key = "changed" if _changed(before, after) else "unchanged"
    print(b.t(key, summary=summary(_draft(after))))
    return 0
