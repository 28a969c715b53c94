"""The checker's rules on hand-built exchanges: each rule fires on what breaks it and accepts
every reading its source sentence allows."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nemo_mock.proxy import Checker, Exchange, Frame
from nemo_mock.proxy._rules import MUST, RULES, SHOULD
from nemo_mock.server.journal import fingerprint

TOKEN_OK = {"code": 0, "message": "success", "data": {"token": "nmv_usr_abc", "credits": 100,
            "expires_in": 604800, "user_id": "usr_1"}}  # fmt: skip


def _json(
    method: str,
    path: str,
    body: Any,
    status: int = 200,
    ctype: str = "application/json",
    request: bytes = b"",
    headers: dict[str, str] | None = None,
    seq: int = 1,
) -> Exchange:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Exchange(
        seq=seq,
        started=0.0,
        method=method,
        path=path,
        request_headers=headers or {},
        request_body=request,
        request_size=len(request),
        status=status,
        response_headers={"content-type": ctype},
        response_body=raw,
        response_size=len(raw),
    )


def _rules(*exchanges: Exchange) -> list[str]:
    checker = Checker(heartbeat_seconds=None)
    for ex in exchanges:
        checker.finish(ex)
    return [v.rule for v in checker.violations]


def test_every_must_rule_cites_the_seeds_or_v19() -> None:
    """A MUST cites a sentence of the seeds or of v1.9; everything else is a SHOULD."""
    for rule in RULES.values():
        assert rule.level in (MUST, SHOULD)
        if rule.level == MUST:
            assert rule.source.startswith(("seeds", "v1.9")), rule.id


def test_a_documented_success_passes() -> None:
    """The token answer of v1.9 §2 raises nothing."""
    assert _rules(_json("POST", "/api/auth/anonymous-token", TOKEN_OK)) == []


def test_a_body_without_code_breaks_the_envelope() -> None:
    """v1.9: every answer carries `code`."""
    body = {"message": "ok", "data": {"token": "nmv_usr_abc"}}
    assert "envelope.json" in _rules(_json("POST", "/api/auth/anonymous-token", body))


def test_a_renamed_message_key_is_a_should() -> None:
    """v1.9's examples show only code and data: `message` is our envelope's (ASSUMPTION)."""
    body = {**TOKEN_OK}
    body["msg"] = body.pop("message")
    ex = _json("POST", "/api/auth/anonymous-token", body)
    assert _rules(ex) == ["envelope.message", "schema.response"]
    assert RULES["envelope.message"].level == SHOULD


def test_a_plain_text_500_breaks_the_envelope() -> None:
    """A crash page is not a JSON envelope."""
    ex = _json("POST", "/api/tasks/me/with-session/nemo_agent", b"KeyError", 500, "text/plain")
    assert _rules(ex) == ["envelope.json"]


@pytest.mark.parametrize(("status"), [200, 415])
def test_4001_is_accepted_in_both_error_status_modes(status: int) -> None:
    """An app code on HTTP 200 (body mode) or on its mapped status (http mode) are both fine."""
    body = {"code": 4001, "message": "Unsupported file type.", "data": None}
    request = b'--b\r\nContent-Disposition: form-data; name="files"; filename="a.heic"\r\n\r\nx'
    ex = _json("POST", "/api/upload-video/nemo_agent/me/s1", body, status, request=request)
    assert _rules(ex) == []


def test_4001_on_http_500_breaks_the_pairing() -> None:
    """Neither mode maps 4001 to 500."""
    body = {"code": 4001, "message": "Unsupported file type.", "data": None}
    ex = _json("POST", "/api/upload-video/nemo_agent/me/s1", body, 500)
    assert "status.pairing" in _rules(ex)


def test_an_unsupported_file_answered_400_breaks_the_4001_rule() -> None:
    """seeds: | 4001 | Unsupported file |."""
    body = {"code": 400, "message": "Bad request.", "data": None}
    request = b'--b\r\nContent-Disposition: form-data; name="files"; filename="a.heic"\r\n\r\nx'
    ex = _json("POST", "/api/upload-video/nemo_agent/me/s1", body, 400, request=request)
    assert "upload.unsupported" in _rules(ex)


def test_a_jpeg_answered_4001_is_not_judged() -> None:
    """jpeg = jpg is only our ASSUMPTION: either answer is accepted."""
    body = {"code": 4001, "message": "Unsupported file type.", "data": None}
    request = b'Content-Disposition: form-data; name="files"; filename="a.JPEG"\r\n\r\nx'
    ex = _json("POST", "/api/upload-video/nemo_agent/me/s1", body, request=request)
    assert _rules(ex) == []


def _poll(status: str, progress: float, seq: int, bare: bool = False) -> Exchange:
    job = {"id": "render_1", "status": status, "progress": progress, "output": None, "error": None}
    body = job if bare else {"code": 0, "message": "success", "data": job}
    headers = {"authorization": "Bearer tok_1"}
    return _json("GET", "/api/render/proxy/lambda/render_1", body, headers=headers, seq=seq)


@pytest.mark.parametrize("bare", [False, True], ids=["enveloped", "bare"])
def test_render_status_going_forward_passes(bare: bool) -> None:
    """v1.9: pending → processing → completed, enveloped or at top level."""
    polls = [_poll("pending", 0.0, 1, bare), _poll("processing", 0.5, 2, bare)]
    assert _rules(*polls, _poll("processing", 0.5, 3, bare)) == []


def test_render_status_going_back_breaks_the_order() -> None:
    """v1.9: pending → processing → completed / failed, never back."""
    assert _rules(_poll("processing", 0.5, 1), _poll("pending", 0.0, 2)) == ["render.status_order"]


def test_render_progress_going_back_is_a_should() -> None:
    """DESIGN: progress never decreases (ASSUMPTION)."""
    rules = _rules(_poll("processing", 0.6, 1), _poll("processing", 0.4, 2))
    assert rules == ["render.progress"] and RULES["render.progress"].level == SHOULD


def _bearer(name: str) -> dict[str, str]:
    # the proxy sees headers redacted (a fingerprint) and bodies as they were (the token itself)
    return {"authorization": f"Bearer {fingerprint('nmv_usr_' + name)}"}


def _mint(client: str, name: str, seq: int) -> Exchange:
    body = {**TOKEN_OK, "data": {**TOKEN_OK["data"], "token": "nmv_usr_" + name}}
    return _json(
        "POST", "/api/auth/anonymous-token", body, headers={"x-client-id": client}, seq=seq
    )


def _state(name: str, seq: int) -> Exchange:
    body = {"code": 0, "message": "success", "data": {"task_id": "t", "session_id": "s1",
            "version": 1, "state": {"draft": {"t": [], "d": 0}, "video_infos": [],
                                    "generated_media": [],
                                    "canvas_config": {}}}}  # fmt: skip
    return _json(
        "GET",
        "/api/state/nemo_agent/me/s1/latest",
        body,
        headers=_bearer(name),
        seq=seq,
    )


def _create(name: str, seq: int) -> Exchange:
    body = {"code": 0, "message": "success", "data": {"task_id": "t", "session_id": "s1"}}
    return _json(
        "POST", "/api/tasks/me/with-session/nemo_agent", body, headers=_bearer(name), seq=seq
    )


def test_another_users_session_answered_is_flagged() -> None:
    """Another client's token reading the session gets a success: session.owner."""
    checker = Checker()
    for ex in (_mint("a", "a", 1), _mint("b", "b", 2), _create("a", 3)):
        checker.finish(ex)
    assert checker.violations == []
    checker.finish(_state("b", 4))
    assert [v.rule for v in checker.violations] == ["session.owner"]


def test_a_re_minted_token_of_the_same_client_keeps_its_sessions() -> None:
    """v1.9 §1: re-auth with the same client id is the same user: no owner violation."""
    checker = Checker()
    for ex in (_mint("a", "a", 1), _create("a", 2), _mint("a", "a2", 3)):
        checker.finish(ex)
    checker.finish(_state("a2", 4))
    assert checker.violations == []


def _stream(frames: list[Frame], end: str = "closed", tail: str = "") -> Exchange:
    return Exchange(
        seq=1,
        started=0.0,
        method="POST",
        path="/run_sse",
        status=200,
        response_headers={"content-type": "text/event-stream; charset=utf-8"},
        frames=frames,
        end=end,
        tail=tail,
        seconds=frames[-1].at if frames else 0.0,
    )


EVENT = {"id": "e1", "invocationId": "e-1", "author": "nemo_agent", "timestamp": 1.0,
         "content": {"role": "model", "parts": [{"text": "hi"}]}}  # fmt: skip


def _check_stream(ex: Exchange, heartbeat: float | None = None) -> list[str]:
    checker = Checker(heartbeat_seconds=heartbeat)
    for f in ex.frames or []:
        checker.frame(ex, f)
    checker.finish(ex)
    return [v.rule for v in checker.violations]


@pytest.mark.parametrize("beat", [": ping", ": heartbeat", ":", "data:"])
def test_any_heartbeat_form_keeps_the_stream_alive(beat: str) -> None:
    """Any comment text, or an empty data: frame, is a heartbeat."""
    kind = "empty" if beat.startswith("data") else "comment"
    frames = [Frame(kind, t / 10, beat) for t in range(1, 10)]
    frames.append(Frame("json", 1.0, "data: {}", EVENT))
    assert _check_stream(_stream(frames), heartbeat=0.2) == []


def test_a_long_silence_breaks_heartbeat_spacing() -> None:
    """seeds: heartbeats mean the backend is still working (interval an ASSUMPTION: SHOULD)."""
    frames = [Frame("json", 0.1, "data: {}", EVENT), Frame("json", 2.0, "data: {}", EVENT)]
    assert _check_stream(_stream(frames), heartbeat=0.2) == ["sse.heartbeat_spacing"]


def test_a_frame_that_is_not_json_breaks_data_json() -> None:
    """v1.9: frames are text, tool calls or heartbeats."""
    assert _check_stream(_stream([Frame("bad", 0.1, "data: {oops")])) == ["sse.data_json"]


def test_an_event_without_invocation_id_breaks_the_event_schema() -> None:
    """adk_event.json requires invocationId."""
    event = {k: v for k, v in EVENT.items() if k != "invocationId"}
    assert _check_stream(_stream([Frame("json", 0.1, "", event)])) == ["sse.event_schema"]


def test_a_stream_cut_inside_a_frame_is_reported() -> None:
    """A stream that ends mid-frame did not close."""
    ex = _stream([Frame("json", 0.1, "", EVENT)], end="cut", tail='data: {"id"')
    assert _check_stream(ex) == ["sse.cut"]


def test_a_silent_close_is_not_a_violation() -> None:
    """seeds: about 30% of edits close with no text: documented behaviour."""
    call = {**EVENT, "content": {"role": "model", "parts": [{"functionCall": {"id": "c",
            "name": "add_bgm", "args": {}}}]}}  # fmt: skip
    assert _check_stream(_stream([Frame("json", 0.1, "", call)])) == []


def _at(ex: Exchange, vtime: float) -> Exchange:
    ex.vtime = vtime
    return ex


def _balance(name: str, code: int, seq: int, vtime: float) -> Exchange:
    data = {"available": 1, "frozen": 0, "total": 1} if code == 0 else None
    body = {"code": code, "message": "m", "data": data}
    ex = _json("GET", "/api/credits/balance/simple", body, headers=_bearer(name), seq=seq)
    return _at(ex, vtime)


@pytest.mark.parametrize(
    ("code", "after", "expected"),
    [
        pytest.param(0, 604_800 + 60, ["token.expiry"], id="accepted-after-7-days"),
        pytest.param(1001, 604_800 + 60, [], id="refused-after-7-days"),
        pytest.param(0, 604_800 - 60, [], id="accepted-within-7-days"),
    ],
)
def test_a_token_used_after_its_lifetime_must_be_refused(
    code: int, after: float, expected: list[str]
) -> None:
    """v1.9 §7: 1001 Bad/expired token (tokens expire after 7 days)."""
    rules = _rules(_at(_mint("a", "a", 1), 1000.0), _balance("a", code, 2, 1000.0 + after))
    assert rules == expected
