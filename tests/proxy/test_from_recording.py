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
