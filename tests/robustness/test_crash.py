"""Crash tests: SIGTERM, SIGINT and kill -9 under a write load, counting acknowledged writes
lost."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.robustness._proc import DEADLINE, Served, WriteLoad, saved_sessions

pytestmark = [pytest.mark.live, pytest.mark.slow]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_under_write_load_loses_no_acknowledged_write(tmp_path: Path, sig: int) -> None:
    """'SIGTERM and SIGINT both shut down cleanly and save': 0 acknowledged writes lost."""
    state = tmp_path / "state.json"
    served = Served(state)
    with WriteLoad(served.url) as load:
        load.wait_for(30)
        code = served.signal(sig)
    assert code == 0
    assert "nemo-mock stopped" in served.output()
    lost = set(load.acked) - saved_sessions(state)
    assert len(lost) == 0, f"{len(lost)} of {len(load.acked)} acknowledged writes lost"


def _wait_saved(url: str) -> None:
    deadline = time.monotonic() + DEADLINE
    with httpx.Client(base_url=url, timeout=10) as c:
        while time.monotonic() < deadline:
            if not c.get("/_mock/health").json()["data"]["autosave"]["pending"]:
                return
            time.sleep(0.05)
    raise AssertionError("the autosave never caught up")


def test_autosave_keeps_saving_under_continuous_load(tmp_path: Path) -> None:
    """'autosave has a bounded lag under continuous load': saves go on while writes never stop."""
    state = tmp_path / "state.json"
    served = Served(state)
    try:
        with WriteLoad(served.url) as load, httpx.Client(base_url=served.url, timeout=10) as c:
            load.wait_for(20)
            first = c.get("/_mock/health").json()["data"]["autosave"]["saves"]
            deadline = time.monotonic() + DEADLINE
            while c.get("/_mock/health").json()["data"]["autosave"]["saves"] < first + 3:
                assert time.monotonic() < deadline, "no save while the load ran"
                time.sleep(0.05)
            assert not load.stop.is_set() and load.thread.is_alive()
    finally:
        served.kill9()


def test_kill_9_after_the_autosave_caught_up_loses_nothing(tmp_path: Path) -> None:
    """kill -9 once /_mock/health reports no pending save: 0 acknowledged writes lost, the file
    restores, and the temp files a killed save left behind are removed on the next start."""
    state = tmp_path / "state.json"
    served = Served(state)
    with WriteLoad(served.url) as load:
        load.wait_for(50)
    _wait_saved(served.url)
    served.kill9()
    assert set(load.acked) <= saved_sessions(state)
    leftover = tmp_path / ".state.json.killed.tmp"
    leftover.write_bytes(b'{"half": ')
    again = Served(state)
    try:
        with httpx.Client(base_url=again.url, timeout=10) as c:
            snap = c.get("/_mock/state").json()["data"]
        assert {s["id"] for s in snap["sessions"]} >= set(load.acked)
        assert not leftover.exists()
    finally:
        again.signal(signal.SIGTERM)


def test_kill_9_under_write_load_leaves_a_restorable_file(tmp_path: Path) -> None:
    """kill -9 mid-load: the file is whole (atomic replace) and a restart serves it."""
    state = tmp_path / "state.json"
    served = Served(state)
    with WriteLoad(served.url) as load:
        load.wait_for(100)
        served.kill9()
    saved = saved_sessions(state) if state.exists() else set()  # parsed strictly: whole
    again = Served(state)
    try:
        with httpx.Client(base_url=again.url, timeout=10) as c:
            assert len(c.get("/_mock/state").json()["data"]["sessions"]) == len(saved)
    finally:
        again.signal(signal.SIGTERM)
