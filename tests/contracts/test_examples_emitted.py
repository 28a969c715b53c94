"""Every success example of openapi.yaml has the shape the emulator really emits (issue 15: the
documents and the emulator agree): the same keys at every level, values of the same JSON types."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from nemo_mock import contracts
from tests.conftest import Api

DOC = contracts.openapi()
DATA_DEPENDENT = {"draft", "video_infos", "generated_media"}  # their content is the test's own


def shape(value: Any) -> Any:
    """Keys and JSON types of `value` (numbers are one type; lists by their first item)."""
    if isinstance(value, dict):
        return {k: "…" if k in DATA_DEPENDENT else shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool) or value is None:
        return type(value).__name__
    return "number" if isinstance(value, int | float) else type(value).__name__


def example(path: str, method: str, name: str, status: str = "200") -> Any:
    media = DOC["paths"][path][method]["responses"][status]["content"]["application/json"]
    return media["examples"][name]["value"]


def chain(api: Api) -> dict[str, Any]:
    """One pass over the API, answers keyed like the document's examples."""
    out: dict[str, Any] = {}
    h = api.http
    r = h.post("/api/auth/anonymous-token", headers={**api.headers(), "X-Client-Id": "c"})
    out["anonymousToken"] = r.json()
    token = r.json()["data"]["token"]
    headers = api.headers(token)
    r = h.post("/api/tasks/me/with-session/nemo_agent", headers=headers, json={"task_name": "p"})
    out["createSession"] = r.json()
    sid, task = r.json()["data"]["session_id"], r.json()["data"]["task_id"]
    state = f"/api/state/nemo_agent/me/{sid}/latest"
    out["emptySession"] = h.get(state, headers=headers).json()
    out["claimToken"] = h.post(
        "/api/auth/claim-token", headers=headers, json={"task_id": task, "session_id": sid}
    ).json()
    out["creditsBalance"] = h.get("/api/credits/balance/simple", headers=headers).json()
    out["upload"] = h.post(
        f"/api/upload-video/nemo_agent/me/{sid}",
        headers=headers,
        files={"files": ("city_timelapse.mp4", b"\0" * 8, "video/mp4")},
    ).json()
    api.add_clip(sid, seconds=2)
    out["sessionState"] = h.get(state, headers=headers).json()
    draft = out["sessionState"]["data"]["state"]["draft"]
    body = {"id": "render_1", "sessionId": sid, "draft": draft}
    out["renderSubmit"] = h.post("/api/render/proxy/lambda", headers=headers, json=body).json()
    api.advance(20)
    status = "/api/render/proxy/lambda/render_1"
    out["processing"] = h.get(status, headers=headers).json()
    api.advance(100)
    out["completed"] = h.get(status, headers=headers).json()
    api.world.authenticate(f"Bearer {token}").total = 0
    run = {
        "app_name": "nemo_agent",
        "user_id": "me",
        "session_id": sid,
        "new_message": {"parts": [{"text": "add a title"}]},
    }
    out["noCredits"] = h.post("/run_sse", headers=headers, json=run).json()
    return out


CASES = [
    ("anonymousToken", "/api/auth/anonymous-token", "post", "success"),
    ("createSession", "/api/tasks/me/with-session/nemo_agent", "post", "success"),
    ("claimToken", "/api/auth/claim-token", "post", "success"),
    ("creditsBalance", "/api/credits/balance/simple", "get", "success"),
    ("upload", "/api/upload-video/nemo_agent/me/{session_id}", "post", "success"),
    ("emptySession", "/api/state/nemo_agent/me/{session_id}/latest", "get", "emptySession"),
    ("sessionState", "/api/state/nemo_agent/me/{session_id}/latest", "get", "success"),
    ("renderSubmit", "/api/render/proxy/lambda", "post", "success"),
    ("processing", "/api/render/proxy/lambda/{render_id}", "get", "processing"),
    ("completed", "/api/render/proxy/lambda/{render_id}", "get", "completed"),
    ("noCredits", "/run_sse", "post", "noCredits"),
]


@pytest.fixture
def emitted(make_api: Callable[..., Api]) -> dict[str, Any]:
    return chain(make_api())


@pytest.mark.parametrize(("key", "path", "method", "name"), CASES, ids=[c[0] for c in CASES])
def test_example_has_the_shape_the_emulator_emits(
    emitted: dict[str, Any], key: str, path: str, method: str, name: str
) -> None:
    """The documented example and the emulator's answer have the same keys and JSON types."""
    assert shape(example(path, method, name)) == shape(emitted[key])


def test_stream_example_heartbeats_are_the_emitted_forms() -> None:
    """The runSse stream example's heartbeats are byte for byte the forms the emulator sends."""
    media = DOC["paths"]["/run_sse"]["post"]["responses"]["200"]["content"]["text/event-stream"]
    blocks = [b + "\n\n" for b in media["example"].split("\n\n") if b]
    beats = [b for b in blocks if b.startswith(":") or b == "data: \n\n"]
    assert beats and set(beats) <= set(contracts.facts()["turn"]["heartbeats"])
    assert "turnComplete" not in media["example"]
