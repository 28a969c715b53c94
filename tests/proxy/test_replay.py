"""Drift replay: a recording re-played against a differently configured emulator lists the drift,
and against an identically configured one lists none."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from conftest import Pair, settings

from nemo_mock.cli import main
from nemo_mock.proxy import Exchange, load_bundle
from nemo_mock.proxy._replay import Replayer, diff, shape
from nemo_mock.server.serving import LiveServer

EDIT = "add lo-fi background music at 35% volume"


def _conversation(pair: Pair) -> None:
    token = pair.token()
    sid = pair.session(token)
    for name in ("photo.heic", "clip.mp4"):
        pair.http.post(
            f"/api/upload-video/nemo_agent/me/{sid}",
            headers=pair.headers(token),
            files={"files": (name, b"bytes", "application/octet-stream")},
        )
    body = {
        "app_name": "nemo_agent",
        "user_id": "me",
        "session_id": sid,
        "new_message": {"parts": [{"text": EDIT}]},
    }
    with pair.http.stream("POST", "/run_sse", headers=pair.headers(token), json=body) as r:
        r.read()
    pair.http.get(f"/api/state/nemo_agent/me/{sid}/latest", headers=pair.headers(token))


def _record(proxied: Callable[..., Pair], tmp_path: Path) -> Path:
    pair = proxied(record=True, silent_close_rate=0.0, error_status="body")
    _conversation(pair)
    pair.proxy.stop()
    return tmp_path / "bundle"


@pytest.mark.live
def test_replay_against_http_mode_lists_the_status_drift(
    proxied: Callable[..., Pair], tmp_path: Path
) -> None:
    """Recorded in error_status body, replayed against http: the 4001 upload drifts 200 → 415."""
    bundle = load_bundle(_record(proxied, tmp_path))
    with LiveServer(settings(silent_close_rate=0.0, error_status="http")) as other:
        drifts = Replayer(bundle, other.url, pace=False).run()
    assert [(d.request.split(" ")[0], d.kind, d.detail) for d in drifts] == [
        ("POST", "status", "HTTP 200 → 415")
    ]
    assert "/api/upload-video/" in drifts[0].request


@pytest.mark.live
def test_replay_against_the_same_configuration_lists_no_drift(
    proxied: Callable[..., Pair], tmp_path: Path
) -> None:
    """Fairness: ids and tokens are re-minted and mapped, so an identical backend shows no drift."""
    bundle = load_bundle(_record(proxied, tmp_path))
    assert any(ex.is_sse for ex in bundle.exchanges)
    with LiveServer(settings(silent_close_rate=0.0, error_status="body", seed=99)) as other:
        replayer = Replayer(bundle, other.url, pace=False)
        drifts = replayer.run()
    assert drifts == []
    assert replayer.checker.violations == []


@pytest.mark.live
def test_replay_judges_the_new_backends_answers(
    proxied: Callable[..., Pair], tmp_path: Path
) -> None:
    """Replayed against a broken server, its answers break the rule aimed at the breakage."""
    from broken.original import envelope_code_as_string

    bundle = load_bundle(_record(proxied, tmp_path))
    app, world = envelope_code_as_string(settings(silent_close_rate=0.0))
    with LiveServer(world.settings, world=world, app=app) as other:
        replayer = Replayer(bundle, other.url, pace=False)
        replayer.run()
    assert "envelope.json" in {v.rule for v in replayer.checker.violations}


@pytest.mark.live
def test_replay_cli_exits_1_on_drift(
    proxied: Callable[..., Pair], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`nemo-mock replay BUNDLE --against URL` prints the drift and exits 1."""
    path = _record(proxied, tmp_path)
    with LiveServer(settings(silent_close_rate=0.0, error_status="http")) as other:
        status = main(["replay", str(path), "--against", other.url, "--no-pace"])
    assert status == 1
    assert "status: HTTP 200 → 415" in capsys.readouterr().out


def test_replay_cli_refuses_a_directory_that_is_no_bundle(tmp_path: Path) -> None:
    """A directory without bundle.json is a usage error (2), not a traceback."""
    assert main(["replay", str(tmp_path), "--against", "http://127.0.0.1:9"]) == 2


def _ex(status: int, body: bytes, ctype: str = "application/json") -> Exchange:
    return Exchange(
        seq=1,
        started=0.0,
        method="GET",
        path="/x",
        status=status,
        response_headers={"content-type": ctype},
        response_body=body,
        response_size=len(body),
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            b'{"code":0,"data":{"a":1}}', b'{"code":0,"data":{"a":2}}', [], id="values-ignored"
        ),
        pytest.param(
            b'{"code":0,"data":{"a":1}}',
            b'{"code":0,"data":{"a":"1"}}',
            [("type", "data.a: number → string")],
            id="type-changed",
        ),
        pytest.param(
            b'{"code":0,"data":{"a":1,"b":2}}',
            b'{"code":0,"data":{"a":1}}',
            [("field_missing", "data.b")],
            id="field-missing",
        ),
        pytest.param(
            b'{"code":0,"data":{"output":null}}',
            b'{"code":0,"data":{"output":{"url":"u"}}}',
            [],
            id="null-on-one-side-is-not-drift",
        ),
        pytest.param(
            b'{"code":1001,"data":null}',
            b'{"code":1002,"data":null}',
            [("code", "1001 → 1002")],
            id="code-changed",
        ),
    ],
)
def test_diff_compares_structure_not_values(
    old: bytes, new: bytes, expected: list[tuple[str, str]]
) -> None:
    """Drift is fields, types and codes; values never count."""
    assert list(diff(_ex(200, old), _ex(200, new))) == expected


def test_shape_names_every_field_with_its_json_type() -> None:
    """Lists merge their items under `[]`."""
    assert shape({"a": [{"b": True}], "c": None}) == {
        ".": "object",
        "a": "array",
        "a[]": "object",
        "a[].b": "boolean",
        "c": "null",
    }


def test_a_body_larger_than_the_recording_kept_is_skipped_not_resent() -> None:
    """A recorded upload beyond the kept bytes is reported as skipped, never sent truncated."""
    from nemo_mock.proxy import Bundle
    from nemo_mock.proxy._exchange import BODY_CAP

    ex = _ex(200, b'{"code":0,"data":{}}')
    ex.method, ex.path, ex.request_size = "POST", "/api/upload-video/nemo_agent/me/s1", BODY_CAP + 1
    sent: list[object] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(500))
    drifts = Replayer(
        Bundle({"format": "x"}, [ex]), "http://x", pace=False, transport=transport
    ).run()
    assert [d.kind for d in drifts] == ["skipped"] and sent == []
