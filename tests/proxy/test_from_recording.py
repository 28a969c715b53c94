"""A recording of a failure becomes a scenario whose server block reproduces it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from conftest import Pair

from nemo_mock.cli import main
from nemo_mock.client import Agent, Config
from nemo_mock.proxy import Exchange, Frame, load_bundle
from nemo_mock.proxy._record import Bundle
from nemo_mock.scenarios import ReferenceAdapter, load_file, run_scenario
from nemo_mock.scenarios._from_recording import scenario_from_bundle


def _record_silent_close(proxied: Callable[..., Pair], tmp_path: Path) -> Path:
    pair = proxied(record=True, silent_close_rate=1.0, starter_credits=1000)
    config = Config(
        api_url=pair.proxy.url,
        web_url=pair.proxy.url,
        state_dir=tmp_path / "state",
        time_scale=pair.live.settings.time_scale,
    )
    with Agent(config) as agent:
        assert agent.handle("add background music").exit_code == 0
    pair.proxy.stop()
    return tmp_path / "bundle"


@pytest.mark.live
def test_silent_close_recording_becomes_a_reproducing_scenario(
    proxied: Callable[..., Pair], tmp_path: Path
) -> None:
    """'a recording of a silent close becomes a scenario that reproduces it'."""
    bundle = _record_silent_close(proxied, tmp_path)
    out = tmp_path / "my-silent-close.yaml"
    assert main(["scenarios", "from-recording", str(bundle), "-o", str(out)]) == 0
    data = yaml.safe_load(out.read_text())
    assert data["steps"] == [{"id": "say-1", "say": "add background music"}]
    assert [
        (f["match"], f["after"], f["times"], f["action"]) for f in data["server"]["faults"]
    ] == [({"method": "POST", "path": "/run_sse"}, 0, 1, {"type": "sse_silent_close"})]
    assert data["server"]["settings"]["silent_close_rate"] == 0.0
    result = run_scenario(load_file(out), ReferenceAdapter(), "body")
    verdicts = {e.id: v.passed for e, v in result.verdicts}
    # the fault fired on that /run_sse and the client took the same path: state polled after
    assert verdicts == {
        "say-1-fault-injected": True,
        "say-1-not-re-sent": True,
        "say-1-state-polled": True,
    }
    assert result.passed


def _sse(seq: int, text: str, frames: list[Frame], end: str = "closed") -> Exchange:
    body = (
        '{"app_name":"nemo_agent","user_id":"me","session_id":"s1",'
        f'"new_message":{{"parts":[{{"text":"{text}"}}]}}}}'
    )
    return Exchange(
        seq=seq,
        started=float(seq),
        method="POST",
        path="/run_sse",
        request_body=body.encode(),
        status=200,
        response_headers={"content-type": "text/event-stream"},
        frames=frames,
        end=end,
    )


def _event(part: str) -> Frame:
    return Frame("json", 0.1, "", {"id": "e", "content": {"parts": [{part: "x"}]}})


def _json(seq: int, method: str, path: str, status: int, body: bytes) -> Exchange:
    return Exchange(
        seq=seq,
        started=float(seq),
        method=method,
        path=path,
        status=status,
        response_headers={"content-type": "application/json"},
        response_body=body,
        response_size=len(body),
    )


def test_each_recorded_failure_maps_to_its_fault_rule() -> None:
    """Cut after N frames → sse_truncate; error frame → sse_error; 429 at call k → after k-1."""
    text = _event("text")
    exchanges = [
        _sse(1, "hello", [text]),
        _sse(2, "add a title", [_event("functionCall"), _event("functionCall")], end="cut"),
        _sse(3, "make it blue", [Frame("json", 0.1, "", {"error": "boom", "error_details": {}})]),
        _json(4, "GET", "/api/credits/balance/simple", 200, b'{"code":0,"message":"","data":{}}'),
        _json(
            5, "GET", "/api/credits/balance/simple", 429, b'{"code":429,"message":"","data":null}'
        ),
    ]
    data = scenario_from_bundle(Bundle({"format": "x"}, exchanges), "mapped")
    rules = [(f["match"]["path"], f["after"], f["action"]) for f in data["server"]["faults"]]
    assert rules == [
        ("/run_sse", 1, {"type": "sse_truncate", "after_frames": 2}),
        ("/run_sse", 2, {"type": "sse_error", "message": "boom"}),
        ("/api/credits/balance/simple", 1, {"type": "error", "code": 429}),
    ]
    assert [s["say"] for s in data["steps"]] == ["hello", "add a title", "make it blue"]
    assert all(e["level"] == "SHOULD" for e in data["expect"])


def test_from_recording_refuses_a_name_the_schema_forbids(tmp_path: Path) -> None:
    """-o Bad_Name.yaml is a usage error (2) with a message, not a traceback."""
    bundle = tmp_path / "b"
    bundle.mkdir()
    assert main(["scenarios", "from-recording", str(bundle), "-o", "x.yaml"]) == 2


def test_load_bundle_reads_back_what_the_recorder_wrote(tmp_path: Path) -> None:
    """A bundle round-trips: exchanges, frames and their kinds."""
    from nemo_mock.proxy import Recorder

    rec = Recorder(tmp_path / "b", "http://127.0.0.1:1", None)
    ex = _sse(1, "hi", [])
    ex.frames = [
        Frame("comment", 0.5, ": ping"),
        Frame("json", 0.7, 'data: {"id":"e1"}', {"id": "e1"}),
    ]
    rec.add(ex)
    rec.close([])
    back = load_bundle(tmp_path / "b").exchanges
    assert [(f.kind, f.at, f.data) for f in back[0].frames or []] == [
        ("comment", 0.5, None),
        ("json", 0.7, {"id": "e1"}),
    ]
    assert back[0].request_json()["new_message"]["parts"][0]["text"] == "hi"


def _submit(seq: int, render_id: str) -> Exchange:
    ex = _json(seq, "POST", "/api/render/proxy/lambda", 200, b'{"code":0,"message":"","data":{}}')
    ex.request_body = f'{{"id":"{render_id}","sessionId":"s1","draft":{{}}}}'.encode()
    return ex


def _poll(seq: int, render_id: str, status: str) -> Exchange:
    body = f'{{"code":0,"message":"","data":{{"id":"{render_id}","status":"{status}"}}}}'
    return _json(seq, "GET", f"/api/render/proxy/lambda/{render_id}", 200, body.encode())


def test_a_failed_render_maps_to_render_fail_and_its_retry_is_one_export() -> None:
    """A failed render → render_fail on its submit; the retry with a new id is the same export."""
    exchanges = [
        _submit(1, "render_1"),
        _poll(2, "render_1", "failed"),
        _submit(3, "render_2"),
        _poll(4, "render_2", "completed"),
    ]
    data = scenario_from_bundle(Bundle({"format": "x"}, exchanges), "render")
    assert [(f["match"], f["after"], f["action"]) for f in data["server"]["faults"]] == [
        ({"method": "POST", "path": "/api/render/proxy/lambda"}, 0, {"type": "render_fail"})
    ]
    assert data["steps"] == [{"id": "export-1", "say": "export"}]
    assert [e["id"] for e in data["expect"]] == [
        "export-1-fault-injected",
        "export-1-new-id-on-retry",
    ]


@pytest.mark.live
def test_failed_render_recording_reproduces_through_the_scenario(
    proxied: Callable[..., Pair], tmp_path: Path
) -> None:
    """A render that failed in the recording fails again in the scenario; the client retries."""
    pair = proxied(record=True, starter_credits=1000)
    rule = {
        "match": {"method": "POST", "path": "/api/render/proxy/lambda"},
        "times": 1,
        "action": {"type": "render_fail"},
    }
    pair.http.post("/_mock/faults", json=rule)  # the control plane passes through
    config = Config(
        api_url=pair.proxy.url,
        web_url=pair.proxy.url,
        state_dir=tmp_path / "state",
        time_scale=pair.live.settings.time_scale,
        download_dir=tmp_path / "downloads",
    )
    with Agent(config) as agent:
        assert agent.handle("generate a 10-second clip of a city timelapse").exit_code == 0
        assert agent.handle("export").exit_code == 0
    pair.proxy.stop()
    out = tmp_path / "render-failed.yaml"
    assert main(["scenarios", "from-recording", str(tmp_path / "bundle"), "-o", str(out)]) == 0
    data = yaml.safe_load(out.read_text())
    assert [f["action"] for f in data["server"]["faults"]] == [{"type": "render_fail"}]
    result = run_scenario(load_file(out), ReferenceAdapter(), "body")
    verdicts = {e.id: v.passed for e, v in result.verdicts}
    assert verdicts == {"export-2-fault-injected": True, "export-2-new-id-on-retry": True}


def _text(text: str) -> Frame:
    return Frame("json", 0.1, "", {"id": "e", "content": {"parts": [{"text": text}]}})


@pytest.mark.parametrize(
    ("frames", "end", "action"),
    [
        pytest.param(
            [Frame("comment", 0.1, ": ping"), Frame("empty", 0.2, "data:")],
            "client_gone",
            {"type": "sse_stall"},
            id="heartbeats-only-until-the-client-left",
        ),
        pytest.param(
            [_text("Added music."), _text("I encountered a temporary issue.")],
            "closed",
            {"type": "sse_trailing_text"},
            id="trailing-temporary-issue",
        ),
        pytest.param([_text("Added music.")], "closed", None, id="a-normal-answer"),
    ],
)
def test_stalls_and_trailing_texts_map_to_their_faults(
    frames: list[Frame], end: str, action: dict[str, str] | None
) -> None:
    """A heartbeat-only stream → sse_stall; a trailing temporary issue → sse_trailing_text."""
    data = scenario_from_bundle(Bundle({"format": "x"}, [_sse(1, "hi", frames, end)]), "m")
    assert [f["action"] for f in data["server"]["faults"]] == ([action] if action else [])
