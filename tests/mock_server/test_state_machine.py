"""A Hypothesis state machine over tokens, sessions, credits and renders (sync client).

Invariants: credits never negative and available + frozen == total; render status never goes
backwards and progress never decreases; another user's ids answer 1002 (sessions) or 404 (renders);
an expired token never works.
"""

from __future__ import annotations

from typing import Any

from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, initialize, invariant, rule
from starlette.testclient import TestClient

from nemo_mock.server import World, create_app
from tests.conftest import ATTRIBUTION, make_settings

ORDER = {"pending": 0, "processing": 1, "completed": 2, "failed": 2}
DRAFT = {"t": [{"tt": 0, "sg": [{"st": 0, "d": 5000, "m": {"name": "c"}}]}], "d": 5000}


class EmulatorMachine(RuleBasedStateMachine):
    tokens = Bundle("tokens")
    sessions = Bundle("sessions")
    renders = Bundle("renders")

    @initialize(mode=st.sampled_from(["body", "http"]), failure=st.sampled_from([0.0, 0.5]))
    def start(self, mode: str, failure: float) -> None:
        self.world = World(
            make_settings(error_status=mode, render_failure_rate=failure, tokens_per_ip=10_000)
        )
        self.http = TestClient(create_app(world=self.world))
        self.n = 0
        self.owner: dict[str, str] = {}  # session or render key -> token
        self.last: dict[str, tuple[int, float]] = {}
        self.expired: set[str] = set()

    def _h(self, token: str) -> dict[str, str]:
        return {**ATTRIBUTION, "Authorization": f"Bearer {token}"}

    def _live(self, token: str) -> bool:
        t = self.world.tokens[token]
        return t.live(self.world.now())

    @rule(target=tokens)
    def mint(self) -> str:
        self.n += 1
        r = self.http.post("/api/auth/anonymous-token", headers={"X-Client-Id": f"c{self.n}"})
        assert r.json()["code"] == 0
        token: str = r.json()["data"]["token"]
        return token

    @rule(target=sessions, token=tokens)
    def create_session(self, token: str) -> Any:
        r = self.http.post(
            "/api/tasks/me/with-session/nemo_agent", headers=self._h(token), json={"task_name": "p"}
        )
        if not self._live(token):
            assert r.json()["code"] == 1001
            return None
        sid: str = r.json()["data"]["session_id"]
        self.owner[sid] = token
        return sid

    @rule(seconds=st.sampled_from([1, 20, 45, 3600, 86400, 604800]))
    def advance(self, seconds: int) -> None:
        self.world.clock.advance(seconds)

    @rule(
        session=sessions, cost=st.integers(0, 150), outcome=st.sampled_from(["consume", "release"])
    )
    def turn_credits(self, session: Any, cost: int, outcome: str) -> None:
        if session is None:
            return
        user = self.world.users[self.world.tokens[self.owner[session]].user_id]
        from nemo_mock.server.errors import ApiError

        try:
            self.world.freeze(user, cost, self.world.sessions[session])
        except ApiError as exc:
            assert exc.code == 2001 and cost > user.available
            return
        getattr(self.world, outcome)(user, cost)

    @rule(target=renders, session=sessions)
    def submit(self, session: Any) -> Any:
        if session is None:
            return None
        token = self.owner[session]
        self.n += 1
        rid = f"render_{self.n}"
        r = self.http.post(
            "/api/render/proxy/lambda",
            headers=self._h(token),
            json={"id": rid, "sessionId": session, "draft": DRAFT},
        )
        code = r.json()["code"]
        if not self._live(token):
            assert code == 1001
            return None
        if code == 1002:  # the session went idle
            return None
        assert code == 0
        self.owner[rid] = token
        return rid

    @rule(render=renders)
    def poll(self, render: Any) -> None:
        if render is None:
            return
        token = self.owner[render]
        r = self.http.get(f"/api/render/proxy/lambda/{render}", headers=self._h(token)).json()
        if not self._live(token):
            assert r["code"] == 1001
            return
        data = r["data"]
        rank, progress = ORDER[data["status"]], data["progress"]
        old = self.last.get(render, (0, 0.0))
        assert rank >= old[0], f"status went backwards: {data}"
        assert data["status"] == "failed" or progress >= old[1], f"progress decreased: {data}"
        self.last[render] = (rank, progress)

    @rule(session=sessions, other=tokens)
    def foreign_session(self, session: Any, other: str) -> None:
        if session is None or self.owner[session] == other or not self._live(other):
            return
        r = self.http.get(f"/api/state/nemo_agent/me/{session}/latest", headers=self._h(other))
        assert r.json()["code"] == 1002

    @rule(render=renders, other=tokens)
    def foreign_render(self, render: Any, other: str) -> None:
        if render is None or self.owner[render] == other or not self._live(other):
            return
        r = self.http.get(f"/api/render/proxy/lambda/{render}", headers=self._h(other))
        assert r.json()["code"] == 404

    @rule(token=consumes(tokens))
    def expired_token_never_works(self, token: str) -> None:
        if self._live(token):
            return
        r = self.http.get("/api/credits/balance/simple", headers=self._h(token))
        assert r.json()["code"] == 1001

    @invariant()
    def credits_balance(self) -> None:
        if not hasattr(self, "world"):
            return
        for user in self.world.users.values():
            assert user.available >= 0 and user.frozen >= 0 and user.total >= 0
            assert user.available + user.frozen == user.total


EmulatorMachine.TestCase.settings = hsettings(stateful_step_count=25)
TestEmulatorStateMachine = EmulatorMachine.TestCase
