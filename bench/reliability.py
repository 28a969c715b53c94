"""Reliability: memory under a header flood, event-loop stalls, autosave lag and kill -9 losses.

- RSS (/proc VmRSS of the server) at start, after 2,000 requests with 30 KB of headers (kept by
  the journal, which is bounded in bytes), after 500 with 400 KB (refused with 431, nothing kept)
  and after DELETE /_mock/journal.
- Loop stall: a probe GETs /_mock/health every 5 ms; max and p99 latency while idle (the baseline
  of the same run), during a 200 MB upload, a PUT /_mock/state of a large snapshot, and autosaves
  of that large state under a light write load.
- Autosave lag: a sequential write load (session creations) against `--state-file`, then kill -9;
  acknowledged writes missing from the file are the loss; loss / write rate estimates the lag.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench import _api, _proc
from bench._report import table
from bench.upload import FREE_SOURCE, multipart

ATTR = {"X-Skill-Source": "video-create", "X-Skill-Version": "1", "X-Skill-Platform": "bench"}


class Probe:
    """GET /_mock/health every 5 ms in a thread; latencies in ms."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=60) as c:
            while not self._stop.is_set():
                t0 = time.perf_counter()
                c.get("/_mock/health")
                self.samples.append((time.perf_counter() - t0) * 1000)
                time.sleep(0.005)

    @contextlib.contextmanager
    def running(self) -> Iterator[Probe]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join(60)

    def stats(self) -> dict[str, float]:
        s = sorted(self.samples) or [0.0]
        return {
            "n": len(s),
            "p99_ms": round(s[min(len(s) - 1, int(len(s) * 0.99))], 1),
            "max_ms": round(s[-1], 1),
        }


def _flood(url: str, count: int, header_bytes: int, threads: int = 4) -> dict[int, int]:
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    pad = {f"X-Pad-{i}": "a" * 4000 for i in range(header_bytes // 4000)}

    def worker(n: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as c:
            for _ in range(n):
                r = c.get("/api/credits/balance/simple", headers=pad)
                with lock:
                    statuses[r.status_code] = statuses.get(r.status_code, 0) + 1

    ts = [threading.Thread(target=worker, args=(count // threads,)) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return statuses


def memory(quick: bool) -> dict[str, Any]:
    """RSS under the header flood and after clearing the journal."""
    n = 500 if quick else 2000
    with _proc.emulator("flood") as srv:
        rows: list[list[Any]] = [["start", srv.rss_kb() // 1024, "", ""]]
        st = _flood(srv.url, n, 30_000)
        with httpx.Client(base_url=srv.url, timeout=60) as c:
            j = c.get("/_mock/journal", params={"since": 10**9}).json()["data"]
        rows.append([f"{n} x 30 KB headers", srv.rss_kb() // 1024, st, j["dropped"]])
        st = _flood(srv.url, n // 4, 400_000)
        rows.append([f"{n // 4} x 400 KB headers", srv.rss_kb() // 1024, st, ""])
        with httpx.Client(base_url=srv.url, timeout=60) as c:
            c.delete("/_mock/journal")
        time.sleep(0.5)
        rows.append(["after DELETE /_mock/journal", srv.rss_kb() // 1024, "", ""])
    print(table("RSS of the server (MB)", ["after", "RSS MB", "statuses", "dropped"], rows))
    return {"rss_mb": {r[0]: r[1] for r in rows}}


def _snapshot(sessions: int) -> bytes:
    user = {"id": "usr_bench", "client_id": None, "registered": True, "total": 10**6, "frozen": 0}
    token = {
        "value": "nmv_usr_bench",
        "user_id": "usr_bench",
        "client_id": None,
        "ip": "control-plane",
        "issued_at": 1.8e9,
        "expires_at": 1.9e9,
        "revoked": False,
    }
    draft = {"t": [{"tt": 0, "sg": [{"st": 0, "d": 10000, "m": {"name": "clip " * 20}}]}]}
    draft["d"] = 10000
    rows = [
        {
            "id": f"s{i}",
            "task_id": f"task_{i}",
            "user_id": "usr_bench",
            "name": f"session {i}",
            "language": "en",
            "created_at": 1.8e9,
            "last_active": 1.8e9,
            "draft": draft,
        }
        for i in range(sessions)
    ]
    snap = {
        "format": "nemo-mock-state/1",
        "clock": {"now": 1.8e9, "time_scale": 1.0},
        "users": [user],
        "tokens": [token],
        "sessions": rows,
    }
    return orjson.dumps(snap)


def _upload(url: str, size: int) -> None:
    with httpx.Client(base_url=url, timeout=600) as c:
        tok = _api.token(c, "uploader")
        sid = _api.session(c, tok)
        length, body = multipart(size, "benchboundary")
        c.post(
            f"/api/upload-video/nemo_agent/me/{sid}",
            headers={
                **_api.headers(tok),
                "X-Skill-Source": FREE_SOURCE,
                "Content-Type": "multipart/form-data; boundary=benchboundary",
                "Content-Length": str(length),
            },
            content=body,
        )


def stalls(quick: bool) -> dict[str, Any]:
    """Max and p99 /_mock/health latency: idle, during an upload, a restore, autosaves."""
    sessions = 5000 if quick else 20000
    snap = _snapshot(sessions)
    out: dict[str, Any] = {"snapshot_mb": round(len(snap) / 2**20, 1), "sessions": sessions}
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "state.json"
        with _proc.emulator("stall", flags=["--state-file", str(state)]) as srv:
            probe = Probe(srv.url)
            with probe.running():
                time.sleep(2)
            out["idle"] = probe.stats()
            probe = Probe(srv.url)
            with probe.running():
                _upload(srv.url, (50 if quick else 190) * 2**20)
            out["upload"] = probe.stats()
            probe = Probe(srv.url)
            with probe.running(), httpx.Client(base_url=srv.url, timeout=600) as c:
                t0 = time.monotonic()
                r = c.put("/_mock/state", content=snap)
                out["restore_seconds"] = round(time.monotonic() - t0, 2)
                assert r.json()["code"] == 0, r.text[:300]
            out["restore"] = probe.stats()
            probe = Probe(srv.url)
            with probe.running(), httpx.Client(base_url=srv.url, timeout=60) as c:
                h = {**ATTR, "Authorization": "Bearer nmv_usr_bench"}
                end = time.monotonic() + (3 if quick else 6)
                while time.monotonic() < end:
                    c.post(
                        "/api/tasks/me/with-session/nemo_agent", headers=h, json={"task_name": "w"}
                    )
                    time.sleep(0.05)
                saver = c.get("/_mock/health").json()["data"]["autosave"]
            out["autosave"] = {**probe.stats(), **saver}
    rows = [
        [k, out[k]["n"], out[k]["p99_ms"], out[k]["max_ms"]]
        for k in ("idle", "upload", "restore", "autosave")
    ]
    print(
        table(f"/_mock/health latency ({sessions} sessions)", ["during", "n", "p99", "max"], rows)
    )
    print(
        f"restore of {out['snapshot_mb']} MB took {out['restore_seconds']} s; "
        f"last autosave took {out['autosave']['last_duration'] * 1000:.0f} ms"
    )
    return out


def _kill9_round(tmp: Path, seconds: float, preload: bytes | None) -> dict[str, Any]:
    state = tmp / f"state-{time.monotonic_ns()}.json"
    srv = _proc.emulator("kill9", flags=["--state-file", str(state)])
    srv.start()
    acked: list[str] = []
    with httpx.Client(base_url=srv.url, timeout=60) as c:
        if preload is not None:
            c.put("/_mock/state", content=preload)
            tok = "nmv_usr_bench"
        else:
            tok = _api.token(c, "writer")
        h = {**ATTR, "Authorization": f"Bearer {tok}"}
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            r = c.post("/api/tasks/me/with-session/nemo_agent", headers=h, json={"task_name": "k"})
            acked.append(r.json()["data"]["session_id"])
        elapsed = time.monotonic() - t0
    os.kill(srv.pid, signal.SIGKILL)
    assert srv.proc is not None
    srv.proc.wait(10)
    srv.stop()
    saved = (
        {s["id"] for s in orjson.loads(state.read_bytes())["sessions"]} if state.exists() else set()
    )
    lost = len(set(acked) - saved)
    rate = len(acked) / elapsed
    temps = list(tmp.glob(".state-*.tmp"))
    return {
        "acked": len(acked),
        "lost": lost,
        "rate": round(rate),
        "lag_s": round(lost / rate, 2),
        "temps": len(temps),
    }


def autosave(quick: bool) -> dict[str, Any]:
    """kill -9 under a write load: acknowledged writes lost, lag estimate; small and large state."""
    rounds = 2 if quick else 3
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, preload in (("small", None), ("large", _snapshot(5000 if quick else 20000))):
            out[label] = [_kill9_round(Path(tmp), 3.0, preload) for _ in range(rounds)]
    rows = [
        [label, i + 1, r["acked"], r["lost"], r["rate"], r["lag_s"], r["temps"]]
        for label in out
        for i, r in enumerate(out[label])
    ]
    heads = ["state", "round", "acked", "lost", "writes/s", "lag s", "temp files"]
    print(table("kill -9 under a write load", heads, rows))
    return out


def run(quick: bool = False) -> dict[str, Any]:
    """All three parts; a one-line summary."""
    res: dict[str, Any] = {"memory": memory(quick), "stalls": stalls(quick)}
    res["autosave"] = autosave(quick)
    st = res["stalls"]
    worst = max(r["lost"] for v in res["autosave"].values() for r in v)
    rss = res["memory"]["rss_mb"]
    res["summary"] = (
        f"reliability: RSS peak {max(rss.values())} MB, after clear {list(rss.values())[-1]} MB; "
        f"health max {st['idle']['max_ms']} idle / {st['upload']['max_ms']} upload / "
        f"{st['restore']['max_ms']} restore / {st['autosave']['max_ms']} autosave ms; "
        f"kill -9 lost at most {worst} acknowledged writes"
    )
    return res
