"""Every buffer a client can grow has a documented bound with a clear error."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import httpx
import pytest

from nemo_mock.server.guarded_http import MAX_HEADER_BYTES
from nemo_mock.server.journal import ENTRY_BYTES, Journal
from nemo_mock.server.serving import LiveServer
from tests.conftest import Api, make_settings

TOKEN = "/api/auth/anonymous-token"


def test_request_head_over_32_kib_answers_431(make_api: Callable[..., Api]) -> None:
    """'431 for headers': names and values over 32 KiB in all are refused, with the limit."""
    api = make_api()
    r = api.http.post(TOKEN, headers={"X-Client-Id": "c", "X-Pad": "a" * MAX_HEADER_BYTES})
    assert r.status_code == 431 and r.json()["data"] == {"max_header_bytes": 32 * 1024}
    assert len(api.world.journal) == 0  # nothing of it is kept


def test_request_head_under_the_bound_is_served(make_api: Callable[..., Api]) -> None:
    """Heads under the bound are served as before."""
    api = make_api()
    r = api.http.post(TOKEN, headers={"X-Client-Id": "c", "X-Pad": "a" * 16_000})
    assert r.status_code == 200 and r.json()["code"] == 0


def test_live_server_answers_431_to_an_8_mb_head(live_server: Callable[..., LiveServer]) -> None:
    """The live protocol stops keeping headers past the bound (8 MB used to be accepted)."""
    live = live_server()
    headers = {"X-Client-Id": "c", **{f"X-Pad-{i}": "a" * 8000 for i in range(1000)}}
    with httpx.Client(base_url=live.url, timeout=30) as c:
        r = c.post(TOKEN, headers=headers)
        assert r.status_code == 431
        assert c.get("/_mock/health").json()["code"] == 0


def test_journal_keeps_a_byte_bound_besides_its_count_bound() -> None:
    """'the journal has a byte bound besides its count bound'; what it drops is counted."""
    journal = Journal(size=10_000, max_bytes=100_000)
    for _ in range(100):
        journal.add({}, header_bytes=20_000)
    assert journal.bytes <= 100_000 and len(journal) == 100_000 // (20_000 + ENTRY_BYTES)
    assert journal.dropped == 100 - len(journal)


def test_cleared_journal_holds_no_bytes() -> None:
    """'memory returns when cleared': the journal forgets its entries and its byte count."""
    journal = Journal(size=100, max_bytes=10**6)
    for _ in range(50):
        journal.add({}, header_bytes=1000)
    journal.clear()
    assert (len(journal), journal.bytes) == (0, 0)


def test_journal_byte_bound_is_a_setting(make_api: Callable[..., Api]) -> None:
    """journal_max_bytes bounds the live journal of an app."""
    api = make_api(journal_max_bytes=65_536)
    for i in range(40):
        api.http.post(TOKEN, headers={"X-Client-Id": f"c{i}", "X-Pad": "a" * 8000})
    assert api.world.journal.bytes <= 65_536 and api.world.journal.dropped > 0


def test_upload_of_more_than_100_urls_answers_400(make_api: Callable[..., Api]) -> None:
    """'caps on URLs per upload': 101 URLs are refused before any work."""
    api = make_api()
    token = api.token()
    sid = api.session(token)["session_id"]
    urls = [f"https://example.com/{i}.mp4" for i in range(101)]
    r = api.http.post(
        f"/api/upload-video/nemo_agent/me/{sid}",
        headers=api.headers(token),
        json={"urls": urls, "source_type": "url"},
    )
    assert r.json()["code"] == 400 and "100" in r.json()["message"]
    assert api.world.sessions[sid].video_infos == []


def test_upload_url_longer_than_2048_answers_400(make_api: Callable[..., Api]) -> None:
    """A URL is at most 2,048 characters."""
    api = make_api()
    token = api.token()
    sid = api.session(token)["session_id"]
    r = api.http.post(
        f"/api/upload-video/nemo_agent/me/{sid}",
        headers=api.headers(token),
        json={"urls": ["https://example.com/" + "a" * 2048 + ".mp4"]},
    )
    assert r.json()["code"] == 400


def _connect(live: LiveServer) -> socket.socket:
    """A raw connection to `live`, every read bounded by 10 s."""
    host, port = live.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


@pytest.mark.live
@pytest.mark.parametrize(
    "sent",
    [b"GET /_mock/health HTTP/1.1\r\nHost: x\r\n", b""],  # no blank line: unfinished; nothing
    ids=["trickled head", "silent connection"],
)
def test_a_request_head_not_finished_in_time_closes_the_connection(
    live_server: Callable[..., LiveServer], sent: bytes
) -> None:
    """'a header-read timeout': a trickled head loses its connection after header_timeout, and
    so does a connection that never sends a byte (the deadline runs from its start)."""
    live = live_server(header_timeout=0.3)
    with _connect(live) as sock:
        sock.sendall(sent)
        assert sock.recv(1024) == b""  # closed by the server, well before the 10 s deadline


def test_settings_default_header_timeout_is_ten_seconds() -> None:
    """The documented default header-read deadline."""
    assert make_settings().header_timeout == 10.0


def _head_bytes_sent(client: httpx.Client, headers: dict[str, str]) -> int:
    """Names and values of the head httpx sends for a POST of TOKEN with `headers`."""
    request = client.build_request("POST", TOKEN, headers=headers)
    return sum(len(k) + len(v) for k, v in request.headers.raw)


@pytest.mark.live
def test_live_bound_counts_names_and_values_up_to_exactly_32_kib(
    live_server: Callable[..., LiveServer],
) -> None:
    """The protocol's bound is inclusive: a head of exactly MAX_HEADER_BYTES is served, one byte
    more answers 431 (counted by the protocol as the head arrives, not by the app)."""
    live = live_server()
    with httpx.Client(base_url=live.url, timeout=30) as c:
        base = _head_bytes_sent(c, {"X-Client-Id": "c", "X-Pad": ""})
        at_bound = {"X-Client-Id": "c", "X-Pad": "a" * (MAX_HEADER_BYTES - base)}
        assert _head_bytes_sent(c, at_bound) == MAX_HEADER_BYTES
        assert c.post(TOKEN, headers=at_bound).json()["code"] == 0
        over = {"X-Client-Id": "c", "X-Pad": "a" * (MAX_HEADER_BYTES - base + 1)}
        assert c.post(TOKEN, headers=over).status_code == 431


def _recv_until(sock: socket.socket, marker: bytes) -> bytes:
    """Bytes read until `marker` arrives or the peer closes (the socket's timeout bounds each
    read)."""
    got = b""
    while marker not in got:
        chunk = sock.recv(65536)
        if not chunk:
            break
        got += chunk
    return got


@pytest.mark.live
def test_live_protocol_keeps_uvicorns_header_handling(
    live_server: Callable[..., LiveServer],
) -> None:
    """The guarded protocol hands every header on as uvicorn does: `Expect: 100-continue` gets
    its interim answer before the body is sent, and names reach the journal lower-cased, in
    the order sent."""
    live = live_server()
    body = b'{"seconds": 0}'
    with _connect(live) as sock:
        sock.sendall(
            b"POST /_mock/clock/advance HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body)
        )
        assert _recv_until(sock, b"\r\n\r\n").startswith(b"HTTP/1.1 100 Continue\r\n")
        sock.sendall(body)
        assert _recv_until(sock, b'"code":0').startswith(b"HTTP/1.1 200 ")
        sock.sendall(
            b"POST " + TOKEN.encode() + b" HTTP/1.1\r\nHost: x\r\nX-Client-Id: c\r\n"
            b"X-Second: 2\r\nContent-Length: 0\r\n\r\n"
        )
        assert _recv_until(sock, b'"code":0').startswith(b"HTTP/1.1 200 ")
    with httpx.Client(base_url=live.url, timeout=10) as c:
        (entry,) = c.get("/_mock/journal").json()["data"]["entries"]
    assert list(entry["headers"]) == ["host", "x-client-id", "x-second", "content-length"]


_HEALTH = b"GET /_mock/health HTTP/1.1\r\nHost: x\r\n"


@pytest.mark.live
def test_the_deadline_of_a_later_head_runs_from_that_heads_first_byte(
    live_server: Callable[..., LiveServer],
) -> None:
    """On a keep-alive connection each head gets its own `header_timeout` from its first byte:
    a head begun after an earlier request, and finished in time, is served even though it is
    still unfinished when the connection's first deadline passes; the idle time between
    requests counts for nothing."""
    live = live_server(header_timeout=2.0)
    with _connect(live) as sock:
        sock.sendall(_HEALTH + b"\r\n")  # at once: the connection's deadline is t0 + 2 s
        assert _recv_until(sock, b'"code":0').startswith(b"HTTP/1.1 200 ")
        time.sleep(1.4)  # idle between requests
        sock.sendall(_HEALTH)  # a head begun at about t0 + 1.4 s, unfinished at t0 + 2 s
        time.sleep(1.0)
        sock.sendall(b"\r\n")  # finished at about t0 + 2.4 s: 1 s into its own 2 s
        assert _recv_until(sock, b'"code":0').startswith(b"HTTP/1.1 200 ")
        sock.sendall(_HEALTH)  # a third head, never finished, is still closed on time
        assert _recv_until(sock, b"never sent") == b""
