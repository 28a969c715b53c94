"""The server under test: base URL, capabilities, a paced httpx client, fixtures, evidence.

Fixtures (a token, a session, the control plane) raise `FixtureError` when the target refuses
them: the check then errors with that evidence instead of passing or being "not applicable".
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from nemo_mock import contracts

from .capabilities import Capabilities
from .registry import CheckFailed, FixtureError, NotApplicable, expect

APP_CODES = (1001, 1002, 2001, 4001, 4002)
ATTRIBUTION = {
    "X-Skill-Source": "video-create",
    "X-Skill-Version": "1.0.0",
    "X-Skill-Platform": "unknown",
}


@dataclass
class Minted:
    token: str
    user_id: str | None
    client_id: str
    data: dict[str, Any]


@dataclass
class Target:
    """A server to check. Not thread-safe: checks run one at a time."""

    base_url: str
    caps: Capabilities = field(default_factory=Capabilities)
    pace: float = 0.0  # minimum seconds between requests (remote targets)
    fuzz_examples: int = 10
    timeout: float = 10.0
    label: str = "target"
    fast_scale: float = 1000.0  # time_scale for time-dependent checks (virtual clock)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.http = httpx.Client(base_url=self.base_url, timeout=httpx.Timeout(self.timeout))
        self._last = 0.0
        self._log: list[str] = []
        self._tokens: dict[str, Minted] = {}
        self._config: dict[str, Any] | None = None
        self._config_backup: dict[str, Any] = {}
        self.memo: dict[Any, Any] = {}  # what one check observed that a later one may judge

    # -- capabilities ------------------------------------------------------------------------
    def require(self, capability: str) -> None:
        """NotApplicable unless the target declared `capability`."""
        if not self.caps.has(capability):
            hint = " (--capability spend_credits)" if capability == "spend_credits" else ""
            raise NotApplicable(f"not applicable: needs {capability}{hint}")

    def allowed_statuses(self, code: int) -> set[int]:
        """HTTP statuses the documents allow for `code`: every error_status reading."""
        spec = contracts.errors()[code]
        return {spec.http_status("body"), spec.http_status("http")}

    def declared_status(self, code: int) -> int:
        """The HTTP status for `code` under the target's declared error_status."""
        self.require("error_status")
        return contracts.errors()[code].http_status(self.caps.error_status or "body")

    # -- evidence ----------------------------------------------------------------------------
    def note(self, line: str) -> None:
        self._log.append(line)

    def begin_check(self, check_id: str) -> None:
        """Isolate: reset the target's state when it has a control plane; forget cached tokens."""
        self._log = []
        self._config = None
        if self.caps.has("control_plane"):
            self._tokens = {}  # the reset below invalidates them
            self.control("POST", "/_mock/reset")
        # without a control plane tokens are shared by all checks: the per-IP budget is 10 a week

    def end_check(self) -> list[str]:
        """The evidence of the check that ends; restores any setting it changed."""
        log, self._log = self._log, []
        if self._config_backup:
            backup, self._config_backup = self._config_backup, {}
            self.control("PATCH", "/_mock/config", backup)
        return log[-15:]

    @contextmanager
    def fixture(self, what: str) -> Iterator[None]:
        """Inside: a failure to get `what` errors the check (it is not the rule under check)."""
        try:
            yield
        except CheckFailed as exc:
            raise FixtureError(f"could not get {what}: {exc}") from exc
        except httpx.HTTPError as exc:
            raise FixtureError(f"could not get {what}: {type(exc).__name__}: {exc}") from exc

    # -- HTTP --------------------------------------------------------------------------------
    def wait_pace(self) -> None:
        if self.pace:
            delay = self._last + self.pace - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._last = time.monotonic()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One exchange, paced and written to the evidence log."""
        self.wait_pace()
        r = self.http.request(method, path, **kwargs)
        self.note(f"{method} {path} -> HTTP {r.status_code}{_code_of(r)}")
        return r

    def headers(self, token: str | None = None, **extra: str) -> dict[str, str]:
        h = dict(ATTRIBUTION)
        if token:
            h["Authorization"] = f"Bearer {token}"
        h.update(extra)
        return h

    def envelope(self, r: httpx.Response) -> dict[str, Any]:
        """The JSON envelope of `r`, checked for shape ({code:int, message:str, data:obj|null})."""
        ctype = r.headers.get("content-type", "")
        expect(
            "json" in ctype,
            f"expected a JSON envelope, got HTTP {r.status_code} content-type {ctype!r}: "
            f"{r.text[:120]!r}",
        )
        try:
            body = r.json()
        except ValueError as exc:
            raise CheckFailed(f"body is not JSON: {r.text[:200]!r}") from exc
        problems = envelope_problems(body)
        expect(not problems, f"malformed envelope ({'; '.join(problems)}): {r.text[:300]}")
        if body["code"] == 0:
            expect(r.status_code == 200, f"code 0 came with HTTP {r.status_code}")
        return dict(body)

    def ok(self, r: httpx.Response, what: str) -> dict[str, Any]:
        """The `data` of a success envelope (fails the check otherwise)."""
        body = self.envelope(r)
        expect(
            body["code"] == 0,
            f"{what}: expected code 0, got code {body['code']} (HTTP {r.status_code}) "
            f"{body.get('message')!r}",
        )
        data: dict[str, Any] = body["data"]
        expect(isinstance(data, dict), f"{what}: success data must be an object, got {data!r}")
        return data

    def job(self, r: httpx.Response, what: str) -> dict[str, Any]:
        """A render job from a poll in any shape the sources allow (v1.9 §3.5 "Status at
        top-level `status`"; the vendor CLI reads all three): bare, `{success, data}` or the
        envelope's `data` (contracts/README.md, Readings)."""
        try:
            body = r.json()
        except ValueError:
            body = None
        if r.status_code == 200 and isinstance(body, dict) and "code" not in body:
            if body.get("success") is True and isinstance(body.get("data"), dict):
                return dict(body["data"])
            if isinstance(body.get("status"), str):
                return body
        return self.ok(r, what)

    def expect_error(self, r: httpx.Response, code: int, what: str) -> dict[str, Any]:
        """The envelope of `r`, which must carry `code` on an HTTP status the catalogue allows.

        Both error_status readings pass here; `error.status_mode` holds a target to the mode
        it declared.
        """
        body = self.envelope(r)
        expect(
            body["code"] == code,
            f"{what}: expected code {code}, got code {body['code']} "
            f"(HTTP {r.status_code}) {body.get('message')!r}",
        )
        allowed = self.allowed_statuses(code)
        expect(
            r.status_code in allowed,
            f"{what}: code {code} must come with HTTP {sorted(allowed)}, got HTTP {r.status_code}",
        )
        return body

    # -- the common chain --------------------------------------------------------------------
    def mint(self, client_id: str | None = None) -> Minted:
        """A new anonymous token for a fresh (or the given) client id (the rule under check)."""
        client_id = client_id or f"contract-{uuid.uuid4()}"
        r = self.request(
            "POST", "/api/auth/anonymous-token", headers=self.headers(**{"X-Client-Id": client_id})
        )
        data = self.ok(r, "anonymous token")
        expect(isinstance(data.get("token"), str) and data["token"], f"no token in {data!r}")
        return Minted(data["token"], data.get("user_id"), client_id, data)

    def token(self, who: str = "a") -> str:
        """A token for user `who` (a fixture): minted once per check with a control plane,
        else once per run."""
        if who not in self._tokens:
            with self.fixture("an anonymous token"):
                self._tokens[who] = self.mint()
        return self._tokens[who].token

    def create_session(self, token: str, name: str = "contract") -> dict[str, Any]:
        """POST createSession (the rule under check): its data."""
        r = self.request(
            "POST",
            "/api/tasks/me/with-session/nemo_agent",
            headers=self.headers(token),
            json={"task_name": name, "language": "en"},
        )
        data = self.ok(r, "create session")
        expect(
            isinstance(data.get("session_id"), str) and data["session_id"],
            f"no session_id in {data!r}",
        )
        return data

    def session(self, token: str, name: str = "contract") -> dict[str, Any]:
        """A new session (a fixture)."""
        with self.fixture("a session"):
            return self.create_session(token, name)

    def state(self, token: str, session_id: str) -> dict[str, Any]:
        r = self.request(
            "GET", f"/api/state/nemo_agent/me/{session_id}/latest", headers=self.headers(token)
        )
        return self.ok(r, "session state")

    def balance(self, token: str) -> dict[str, Any]:
        return self.ok(
            self.request("GET", "/api/credits/balance/simple", headers=self.headers(token)),
            "balance",
        )

    # -- control plane and virtual time -------------------------------------------------------
    def control(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """Call the control plane (a fixture: a refusal errors the check); its `data`."""
        if path.startswith("/_mock/clock"):
            self.require("virtual_clock")
        else:
            self.require("control_plane")
        headers = {"X-Admin-Token": self.caps.admin_token} if self.caps.admin_token else {}
        try:
            r = self.http.request(method, path, json=body, headers=headers)
            answer = r.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise FixtureError(f"control plane {method} {path}: {exc}") from exc
        if r.status_code != 200 or not isinstance(answer, dict) or answer.get("code") != 0:
            raise FixtureError(
                f"control plane {method} {path}: HTTP {r.status_code} {r.text[:200]}"
            )
        return answer["data"]

    def config(self) -> dict[str, Any]:
        """GET /_mock/config (cached for the check); empty without a control plane."""
        if not self.caps.has("control_plane"):
            return {}
        if self._config is None:
            self._config = dict(self.control("GET", "/_mock/config"))
        return self._config

    def configure(self, **changes: Any) -> dict[str, Any]:
        """PATCH /_mock/config for this check only (restored by end_check)."""
        current = self.config()
        for key in changes:
            if key in current and key not in self._config_backup:
                self._config_backup[key] = current[key]
        self._config = dict(self.control("PATCH", "/_mock/config", changes))
        self.note(f"(config for this check: {changes})")
        return self._config

    def time_scale(self, wanted: float | None = None) -> float:
        """The target's time scale; with a control plane first set to `wanted` for this check."""
        config = self.config()
        if wanted is not None and "time_scale" in config:
            config = self.configure(time_scale=wanted)
        scale = config.get("time_scale", 1.0)
        return float(scale) if isinstance(scale, (int, float)) else 1.0

    def advance(self, seconds: float) -> None:
        """Move the target's virtual clock (needs virtual_clock)."""
        self.control("POST", "/_mock/clock/advance", {"seconds": seconds})
        self.note(f"(virtual clock advanced {seconds:g} s)")

    def close(self) -> None:
        self.http.close()


def envelope_problems(body: Any) -> list[str]:
    """What is wrong with an envelope (empty when it is well-formed and its code is catalogued)."""
    if not isinstance(body, dict):
        return [f"not an object: {type(body).__name__}"]
    # `message` is not in the documented answers ({"code":0,"data":{...}}): optional, a string
    problems = [f"missing key {k!r}" for k in ("code",) if k not in body]
    code = body.get("code")
    if "code" in body and (not isinstance(code, int) or isinstance(code, bool)):
        problems.append(f"code is not an integer: {code!r}")
    elif isinstance(code, int) and code != 0 and code not in contracts.errors():
        problems.append(f"code {code} is not in the error catalogue")
    if "message" in body and not isinstance(body["message"], str):
        problems.append("message is not a string")
    if body.get("data") is not None and not isinstance(body["data"], dict):
        problems.append("data is neither an object nor null")
    if code == 0 and not isinstance(body.get("data"), dict):
        problems.append("a success (code 0) carries no data object")
    return problems


def _code_of(r: httpx.Response) -> str:
    if "json" not in r.headers.get("content-type", ""):
        return f" ({r.headers.get('content-type', '?')})"
    try:
        body = r.json()
    except ValueError:
        return " (bad JSON)"
    return f" code {body.get('code')!r}" if isinstance(body, dict) else ""
