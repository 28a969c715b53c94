"""Two emulators on one redis:// world behave as one emulator (issue #19).

Each emulator here is a LiveServer with a World of its own (its own memory, event loop and
Redis connections): all they share is the Redis database, as two processes would. Requests go to
`a` and `b` in turn, so every rule is exercised across the two.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from nemo_mock.server.serving import LiveServer
from nemo_mock.server.stores import attach
from nemo_mock.server.stores import redis as redis_store
from nemo_mock.server.stores.redis import drop_world
from nemo_mock.server.stores.turn_queue import TurnQueue
from nemo_mock.server.world import World
from tests.conftest import ATTRIBUTION, make_settings
from tests.redis_server import fresh_redis

pytestmark = pytest.mark.live
DEADLINE = 20.0  # seconds any one request may take (streams included)
COST = 10  # every turn kind costs this here


def run_body(session_id: str, text: str) -> dict[str, Any]:
    """A run_sse body as the seeds write it."""
    return {
        "app_name": "nemo_agent",
        "user_id": "me",
        "session_id": session_id,
        "new_message": {"parts": [{"text": text}]},
    }


class Pair:
    """Two emulators sharing `url`, with a client for each."""

    def __init__(self, url: str, **settings: Any) -> None:
        self.url = url
        s = make_settings(
            store=url, cost_text=COST, cost_edit=COST, cost_generation=COST, **settings
        )
        self.servers = [LiveServer(s), LiveServer(s)]
        self.clients = [httpx.Client(base_url=x.start(), timeout=DEADLINE) for x in self.servers]
        self.a, self.b = self.clients

    def close(self) -> None:
        for c in self.clients:
            c.close()
        for srv in self.servers:
            srv.stop()

    @staticmethod
    def auth(token: str) -> dict[str, str]:
        return {**ATTRIBUTION, "Authorization": f"Bearer {token}"}

    def mint(self, http: httpx.Client, client_id: str) -> httpx.Response:
        return http.post(
            "/api/auth/anonymous-token", headers={**ATTRIBUTION, "X-Client-Id": client_id}
        )

    def session(self, http: httpx.Client, token: str) -> str:
        r = http.post(
            "/api/tasks/me/with-session/nemo_agent",
            headers=self.auth(token),
            json={"task_name": "project"},
        )
        assert r.json()["code"] == 0, r.text
        sid: str = r.json()["data"]["session_id"]
        return sid


@pytest.fixture
def pair_of(redis_url: str) -> Iterator[Callable[..., Pair]]:
    """Factory: two emulators on a fresh world of their own (its keys deleted after)."""
    made: list[Pair] = []

    def make(**settings: Any) -> Pair:
        p = Pair(fresh_redis(redis_url), **settings)
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()
        drop_world(p.url)


def together(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at the same moment (threads behind a barrier); their responses in order."""
    barrier = threading.Barrier(len(calls))
    out: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait(DEADLINE)
        out[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(DEADLINE * 2)
    assert all(r is not None for r in out), "a request did not finish in time"
    return out


def test_a_token_minted_through_one_works_through_the_other(pair_of: Callable[..., Pair]) -> None:
    """Read-your-writes across processes: the next request, on the other one, sees the token."""
    p = pair_of()
    token = p.mint(p.a, "c1").json()["data"]["token"]
    balance = p.b.get("/api/credits/balance/simple", headers=p.auth(token)).json()
    assert balance["data"] == {"available": 100, "frozen": 0, "total": 100}


def test_a_session_made_on_one_is_read_on_the_other(pair_of: Callable[..., Pair]) -> None:
    """A session created through `b` answers its state through `a` (version 0, empty draft)."""
    p = pair_of()
    token = p.mint(p.a, "c1").json()["data"]["token"]
    sid = p.session(p.b, token)
    state = p.a.get(f"/api/state/nemo_agent/me/{sid}/latest", headers=p.auth(token)).json()
    assert state["code"] == 0 and state["data"]["version"] == 0


def test_concurrent_mints_for_one_client_id_give_one_token(pair_of: Callable[..., Pair]) -> None:
    """v1.9 "1 token per client per 7 days": of two mints at once, one on each process, exactly
    one succeeds (the mint limit is read and written under one lock)."""
    p = pair_of()
    for n in range(8):
        cid = f"c{n}"
        ra, rb = together(lambda c=cid: p.mint(p.a, c), lambda c=cid: p.mint(p.b, c))
        codes = sorted([ra.json()["code"], rb.json()["code"]])
        assert codes == [0, 429], (n, ra.text, rb.text)


def test_concurrent_turns_never_freeze_more_credits_than_there_are(
    pair_of: Callable[..., Pair],
) -> None:
    """Credits for one turn (10), two turns at once on two processes: one streams, one gets
    2001 (the freeze is a read-modify-write under one lock)."""
    p = pair_of()
    for _ in range(4):
        user = p.a.post("/_mock/users", json={"credits": COST}).json()["data"]
        token = user["token"]
        s1, s2 = p.session(p.a, token), p.session(p.b, token)

        def turn(http: httpx.Client, sid: str, token: str = token) -> str:
            """ "stream" when the turn started, else the envelope's code."""
            with http.stream(
                "POST", "/run_sse", headers=p.auth(token), json=run_body(sid, "hello")
            ) as r:
                if r.headers["content-type"].startswith("text/event-stream"):
                    return "stream"  # (the turn runs on; the frozen clock keeps it frozen)
                return str(r.read() and r.json()["code"])

        kinds = sorted(together(lambda s=s1: turn(p.a, s), lambda s=s2: turn(p.b, s)))
        assert kinds == ["2001", "stream"], kinds
        balance = p.b.get("/api/credits/balance/simple", headers=p.auth(token)).json()["data"]
        assert balance["frozen"] + balance["available"] == COST


def test_a_fault_with_times_1_fires_once_across_processes(pair_of: Callable[..., Pair]) -> None:
    """A rule `times: 1` applies to exactly one request, whichever process serves it."""
    p = pair_of()
    token = p.mint(p.a, "c1").json()["data"]["token"]
    rule = {
        "match": {"method": "GET", "path": "/api/credits/balance/simple"},
        "times": 1,
        "action": {"type": "status", "status": 503},
    }
    assert p.b.post("/_mock/faults", json=rule).json()["code"] == 0
    calls = [
        (lambda http=http: http.get("/api/credits/balance/simple", headers=p.auth(token)))
        for http in (p.a, p.b) * 4
    ]
    statuses = [r.status_code for r in together(*calls)]
    assert sorted(statuses) == [200] * 7 + [503], statuses


def test_a_clock_advance_on_one_wakes_a_turn_on_the_other(pair_of: Callable[..., Pair]) -> None:
    """The virtual clock is one: a stalled turn streaming from `b` reaches its cap when the clock
    is advanced through `a` (the cap's error frame arrives; time_scale 0 moves nothing else)."""
    p = pair_of(stall_turns=True, turn_cap=100.0, heartbeat_interval=10.0)
    token = p.mint(p.a, "c1").json()["data"]["token"]
    sid = p.session(p.b, token)
    seen: list[bytes] = []

    def read() -> None:
        with p.b.stream("POST", "/run_sse", headers=p.auth(token), json=run_body(sid, "hi")) as r:
            for chunk in r.iter_bytes():
                seen.append(chunk)

    reader = threading.Thread(target=read)
    reader.start()
    journal: list[dict[str, Any]] = []
    for _ in range(200):  # until the turn is running on b (its entry is in the shared journal)
        journal = p.a.get("/_mock/journal", params={"path": "/run_sse"}).json()["data"]["entries"]
        if journal:
            break
        threading.Event().wait(0.02)
    assert journal, "the turn never started"
    p.a.post("/_mock/clock/advance", json={"seconds": 150})
    reader.join(DEADLINE)
    assert not reader.is_alive(), "the turn on b did not wake"
    assert b'"reason":"turn_cap"' in b"".join(seen).replace(b" ", b"")


def test_turns_of_one_session_run_one_at_a_time_across_processes(
    pair_of: Callable[..., Pair],
) -> None:
    """Turns of one session run one at a time in arrival order, even on two processes: the
    second (on `b`) waits for the first (on `a`) and starts when it ends."""
    p = pair_of(heartbeat_interval=1000.0, turn_cap=1_000_000.0)
    user = p.a.post("/_mock/users", json={"credits": 1000}).json()["data"]
    token = user["token"]
    sid = p.session(p.a, token)
    done: list[str] = []

    def turn(http: httpx.Client, name: str) -> None:
        with http.stream("POST", "/run_sse", headers=p.auth(token), json=run_body(sid, "hi")) as r:
            for _ in r.iter_bytes():
                pass
        done.append(name)

    first = threading.Thread(target=turn, args=(p.a, "first"))
    first.start()
    for _ in range(200):
        if p.b.get("/_mock/journal", params={"path": "/run_sse"}).json()["data"]["entries"]:
            break
        threading.Event().wait(0.02)
    second = threading.Thread(target=turn, args=(p.b, "second"))
    second.start()
    for _ in range(200):  # until the second turn has arrived too
        entries = p.b.get("/_mock/journal", params={"path": "/run_sse"}).json()["data"]["entries"]
        if len(entries) == 2:
            break
        threading.Event().wait(0.02)
    for _ in range(100):  # move the frozen clock until both turns are over
        if not (first.is_alive() or second.is_alive()):
            break
        p.a.post("/_mock/clock/advance", json={"seconds": 60})
        threading.Event().wait(0.05)
    first.join(DEADLINE)
    second.join(DEADLINE)
    assert done == ["first", "second"]
    entries = p.a.get("/_mock/journal", params={"path": "/run_sse"}).json()["data"]["entries"]
    t1, t2 = entries[0]["turn"], entries[1]["turn"]
    assert t2.get("queued") is True and t2["vstart"] >= t1["vend"]


def test_the_journal_numbers_each_exchange_once_across_processes(
    pair_of: Callable[..., Pair],
) -> None:
    """One journal, one sequence: both processes list the same exchanges, numbered in order,
    each by the process that served it."""
    p = pair_of()
    for n in range(6):
        p.mint((p.a, p.b)[n % 2], f"c{n}")
    ja = p.a.get("/_mock/journal").json()["data"]["entries"]
    jb = p.b.get("/_mock/journal").json()["data"]["entries"]
    assert ja == jb
    seqs = [e["seq"] for e in ja]
    assert len(seqs) == 6 and seqs == sorted(set(seqs))
    assert len({e["worker"] for e in ja}) == 2


def test_a_reset_on_one_empties_the_other(pair_of: Callable[..., Pair]) -> None:
    """POST /_mock/reset through `a` forgets the token on `b` too (1001 there)."""
    p = pair_of()
    token = p.mint(p.a, "c1").json()["data"]["token"]
    p.a.post("/_mock/reset")
    r = p.b.get("/api/credits/balance/simple", headers=p.auth(token)).json()
    assert r["code"] == 1001


def test_ids_do_not_depend_on_which_process_serves(
    pair_of: Callable[..., Pair], live_server: Callable[..., LiveServer]
) -> None:
    """Seeded decisions stay the same whatever process serves: the same requests give the same
    tokens and session ids on one memory emulator and on two alternating processes."""
    p = pair_of(deterministic_secrets=True)
    one = live_server(deterministic_secrets=True, cost_text=COST, cost_edit=COST)

    def script(clients: list[httpx.Client]) -> list[str]:
        out = []
        for n in range(4):
            http = clients[n % len(clients)]
            token = p.mint(http, f"c{n}").json()["data"]["token"]
            out += [token, p.session(clients[(n + 1) % len(clients)], token)]
        return out

    with httpx.Client(base_url=one.url, timeout=DEADLINE) as single:
        assert script([p.a, p.b]) == script([single])


def test_a_ticket_left_by_a_dead_process_does_not_block_the_session(redis_url: str) -> None:
    """A turn queued behind a ticket whose process is gone (no liveness key) runs at once."""
    url = fresh_redis(redis_url)
    client = redis_store.connect(url)
    keys = redis_store.Keys(redis_store.parse_url(url)[3])
    try:
        dead = TurnQueue(client, "deadproc", keys.turns, keys.alive)  # never calls alive()
        live = TurnQueue(client, "liveproc", keys.turns, keys.alive)
        live.alive()
        dead.enqueue("s1")
        mine = live.enqueue("s1")
        assert live.first("s1", mine)
    finally:
        client.close()
        drop_world(url)


def test_a_process_that_fell_behind_the_stream_reloads_the_world(
    redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the change stream was trimmed past what a process applied last, it reloads the whole
    world from the hashes instead of missing changes."""
    url = fresh_redis(redis_url)
    monkeypatch.setattr(redis_store, "STREAM_MAX", 1)
    settings = make_settings(store=url, tokens_per_ip=1000)
    behind = World(settings)
    attach(behind, url)  # attached, but it serves nothing: it does not follow the stream
    try:
        with (
            LiveServer(settings) as live,
            httpx.Client(base_url=live.url, timeout=DEADLINE) as http,
        ):
            mint = "/api/auth/anonymous-token"
            tokens = [
                http.post(mint, headers={**ATTRIBUTION, "X-Client-Id": f"c{n}"}).json()["data"][
                    "token"
                ]
                for n in range(250)
            ]
        shared = behind.runtime.shared
        assert shared is not None
        shared.catch_up()
        assert set(tokens) <= set(behind.tokens)
    finally:
        from nemo_mock.server.stores import detach

        detach(behind)
        drop_world(url)


def test_a_slow_large_upload_does_not_hold_up_the_other_processes(
    pair_of: Callable[..., Pair],
) -> None:
    """An upload's body (over 1 MiB) is read before the write lock is taken: while a client is
    still sending one to `a`, a mint on `b` goes through; the upload then lands for both."""
    p = pair_of()
    token = p.mint(p.a, "c1").json()["data"]["token"]
    sid = p.session(p.a, token)
    boundary = "nemo-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = 2 * 1024 * 1024
    minted = threading.Event()

    def body() -> Iterator[bytes]:
        yield head + b"x" * 65536
        minted.wait(DEADLINE)  # the client pauses mid-body until the other process wrote
        yield b"x" * (size - 65536) + tail

    headers = {
        **p.auth(token),
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(len(head) + size + len(tail)),
    }
    result: list[httpx.Response] = []
    up = threading.Thread(
        target=lambda: result.append(
            p.a.post(f"/api/upload-video/nemo_agent/me/{sid}", headers=headers, content=body())
        )
    )
    up.start()
    r = p.mint(p.b, "c2")  # would wait for the lock if the upload held it
    assert r.json()["code"] == 0 and up.is_alive()
    minted.set()
    up.join(DEADLINE)
    assert result and result[0].json()["code"] == 0, result
    state = p.b.get(f"/api/state/nemo_agent/me/{sid}/latest", headers=p.auth(token)).json()
    assert "big.mp4" in str(state["data"])


def test_a_setting_changed_on_one_applies_on_the_other(pair_of: Callable[..., Pair]) -> None:
    """PATCH /_mock/config {"error_status": "http"} through `a`: `b` answers a 1001 with
    HTTP 401 from then on (the settings are part of the shared world)."""
    p = pair_of()
    before = p.b.get("/api/credits/balance/simple", headers=p.auth("nmv_usr_unknown"))
    assert before.status_code == 200 and before.json()["code"] == 1001
    assert p.a.patch("/_mock/config", json={"error_status": "http"}).json()["code"] == 0
    after = p.b.get("/api/credits/balance/simple", headers=p.auth("nmv_usr_unknown"))
    assert after.status_code == 401 and after.json()["code"] == 1001


def test_a_delayed_request_does_not_hold_up_the_other_processes(
    pair_of: Callable[..., Pair],
) -> None:
    """A `delay` fault waits without the write lock: while a request waits its 100 virtual
    seconds on `a` (the clock frozen), a mint on `b` goes through; then the clock moves it on."""
    p = pair_of()
    token = p.mint(p.a, "c1").json()["data"]["token"]
    rule = {
        "match": {"method": "GET", "path": "/api/credits/balance/simple"},
        "times": 1,
        "action": {"type": "delay", "seconds": 100},
    }
    rule_id = p.a.post("/_mock/faults", json=rule).json()["data"]["id"]
    result: list[httpx.Response] = []
    slow = threading.Thread(
        target=lambda: result.append(p.a.get("/api/credits/balance/simple", headers=p.auth(token)))
    )
    slow.start()
    for _ in range(200):  # until the delayed request has matched the rule
        if p.b.get(f"/_mock/faults/{rule_id}").json()["data"]["matched"] == 1:
            break
        threading.Event().wait(0.02)
    assert p.mint(p.b, "c2").json()["code"] == 0 and slow.is_alive()
    p.b.post("/_mock/clock/advance", json={"seconds": 150})
    slow.join(DEADLINE)
    assert result and result[0].json()["code"] == 0


def test_a_lock_left_by_a_dead_process_is_taken_over(redis_url: str) -> None:
    """A process killed while holding the write lock (its liveness key lapsed) does not stall
    the others for the lock's 30 s lease: the next one takes the lock over at once."""
    url = fresh_redis(redis_url)
    dead, live = redis_store.RedisStore(url), redis_store.RedisStore(url)
    try:
        assert dead.try_lock() is not None
        assert live.try_lock() is None  # its holder is alive: the lock is not free
        dead.redis.delete(dead.keys.alive + dead.owner)  # as if killed: the key lapsed
        assert live.try_lock() is not None
    finally:
        live.close()
        dead.redis.close()
        drop_world(url)
