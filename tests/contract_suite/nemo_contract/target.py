"""The server under test: base URL, declared capabilities, a paced httpx client, evidence.

Capabilities a target may declare (everything else is assumed absent):
- `control_plane`  — the emulator's /_mock/* (reset, config); checks reset state before they run
- `virtual_clock`  — POST /_mock/clock/advance {"seconds": n}
- `error_status=body|http` — which HTTP status app errors ride on (contracts/errors.yaml)
- `credits_topup`  — POST /_mock/users {"credits": n} creates a registered user with credits
- `spend_credits`  — the suite may run turns that cost credits (on by default on loopback)
"""

from __future__ import annotations

import ipaddress
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml

from nemo_mock import contracts

from .registry import CheckFailed, NotApplicable, expect

KNOWN = ("control_plane", "virtual_clock", "error_status", "credits_topup", "spend_credits")
ALL_CAPABILITIES = ("control_plane", "virtual_clock", "credits_topup", "spend_credits")
APP_CODES = (1001, 1002, 2001, 4001, 4002)
ATTRIBUTION = {
    "X-Skill-Source": "video-create",
    "X-Skill-Version": "1.0.0",
    "X-Skill-Platform": "unknown",
}


class CapabilityError(ValueError):
    """A capability flag or file that cannot be read."""


@dataclass(frozen=True)
class Capabilities:
    """What the target declared it supports."""

    names: frozenset[str] = frozenset()
    error_status: str | None = None
    admin_token: str | None = None
    heartbeat_interval: float | None = None

    def has(self, name: str) -> bool:
        if name == "error_status":
            return self.error_status is not None
        return name in self.names

    @classmethod
    def parse(cls, items: Iterable[str], file: str | None = None) -> Capabilities:
        """From `--capability NAME[=VALUE]` flags and an optional YAML file (flags win)."""
        values: dict[str, Any] = {}
        names: set[str] = set()
        if file:
            try:
                raw = yaml.safe_load(Path(file).read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError) as exc:
                raise CapabilityError(f"cannot read capabilities file {file}: {exc}") from exc
            raw = raw.get("capabilities", raw) if isinstance(raw, dict) else raw
            if isinstance(raw, list):
                raw = {str(k): True for k in raw}
            if not isinstance(raw, dict):
                raise CapabilityError(f"{file}: expected a mapping or a list of capability names")
            for key, value in raw.items():
                _one(str(key), value, names, values)
        for item in items:
            for part in str(item).split(","):
                part = part.strip()
                if part:
                    key, _, value = part.partition("=")
                    _one(key.strip(), value.strip() or True, names, values)
        return cls(
            frozenset(names),
            values.get("error_status"),
            values.get("admin_token"),
            values.get("heartbeat_interval"),
        )


def _one(key: str, value: Any, names: set[str], values: dict[str, Any]) -> None:
    if key == "error_status":
        if value not in ("body", "http"):
            raise CapabilityError("error_status must be body or http")
        values[key] = value
    elif key == "admin_token":
        values[key] = str(value)
    elif key == "heartbeat_interval":
        values[key] = float(value)
    elif key in KNOWN:
        if value is True or str(value).lower() in ("1", "true", "yes", "on"):
            names.add(key)
    else:
        raise CapabilityError(f"unknown capability {key!r}; known: {', '.join(KNOWN)}")


def is_loopback(url: str) -> bool:
    """True when `url` points at this machine (127.0.0.0/8, ::1, localhost)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Minted:
    token: str
    user_id: str | None
    client_id: str
    data: dict[str, Any]


@dataclass
class Target:
    """A server to check; one per base URL and mode. Not thread-safe (checks run one at a time)."""

    base_url: str
    caps: Capabilities = field(default_factory=Capabilities)
    pace: float = 0.0  # minimum seconds between requests (remote targets)
    fuzz_examples: int = 15
    timeout: float = 10.0
    label: str = "target"

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        self.http = httpx.Client(base_url=self.base_url, timeout=httpx.Timeout(self.timeout))
        self._last = 0.0
        self._log: list[str] = []
        self._tokens: dict[str, Minted] = {}
        self._config_backup: dict[str, Any] | None = None

    # -- capabilities ------------------------------------------------------------------------
    def require(self, capability: str) -> None:
        """NotApplicable unless the target declared `capability`."""
        if not self.caps.has(capability):
            hint = " (--spend-credits)" if capability == "spend_credits" else ""
            raise NotApplicable(f"not applicable: needs {capability}{hint}")

    def expected_statuses(self, code: int) -> set[int]:
        """HTTP statuses the catalogue allows for `code` under the declared error_status."""
        spec = contracts.errors()[code]
        if self.caps.error_status:
            return {spec.http_status(self.caps.error_status)}
        return {spec.http_status("body"), spec.http_status("http")}

    # -- evidence ----------------------------------------------------------------------------
    def note(self, line: str) -> None:
        self._log.append(line)

    def begin_check(self, check_id: str) -> None:
        """Isolate: reset the target's state when it has a control plane; forget cached tokens."""
        self._log = []
        if self.caps.has("control_plane"):
            self._tokens = {}  # reset below invalidates them
            self.control("POST", "/_mock/reset")
        # without a control plane tokens are shared by all checks: the per-IP budget is 10 a week

    def end_check(self) -> list[str]:
        if self._config_backup is not None:
            try:
                self.control("PATCH", "/_mock/config", self._config_backup)
            finally:
                self._config_backup = None
        log, self._log = self._log, []
        return log[-12:]

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
            f"expected a JSON envelope, got content-type {ctype!r} (HTTP {r.status_code})",
        )
        try:
            body = r.json()
        except ValueError as exc:
            raise CheckFailed(f"body is not JSON: {r.text[:200]!r}") from exc
        problems = envelope_problems(body)
        expect(not problems, f"malformed envelope ({'; '.join(problems)}): {r.text[:300]}")
        if body["code"] == 0:
            expect(r.status_code == 200, f"code 0 came with HTTP {r.status_code}")
        return body

    def ok(self, r: httpx.Response, what: str) -> dict[str, Any]:
        """The `data` of a success envelope (fails the check otherwise)."""
        body = self.envelope(r)
        expect(
            body["code"] == 0,
            f"{what}: expected code 0, got {body['code']} {body.get('message')!r}",
        )
        data: dict[str, Any] = body["data"]
        expect(isinstance(data, dict), f"{what}: success data must be an object, got {data!r}")
        return data

    def expect_error(self, r: httpx.Response, code: int, what: str) -> dict[str, Any]:
        """The envelope of `r`, which must carry `code` with the catalogue's HTTP status."""
        body = self.envelope(r)
        expect(
            body["code"] == code,
            f"{what}: expected code {code}, got code {body['code']} "
            f"(HTTP {r.status_code}) {body.get('message')!r}",
        )
        allowed = self.expected_statuses(code)
        expect(
            r.status_code in allowed,
            f"{what}: code {code} must come with HTTP {sorted(allowed)} "
            f"(error_status={self.caps.error_status or 'undeclared'}), got HTTP {r.status_code}",
        )
        return body

    # -- the common chain --------------------------------------------------------------------
    def mint(self, client_id: str | None = None) -> Minted:
        """A new anonymous token for a fresh (or the given) client id."""
        client_id = client_id or f"contract-{uuid.uuid4()}"
        r = self.request(
            "POST", "/api/auth/anonymous-token", headers=self.headers(**{"X-Client-Id": client_id})
        )
        if r.status_code == 429 and not self.caps.has("control_plane"):
            raise NotApplicable(
                "not applicable: needs a new token but the target's token budget is spent "
                "(429: 10 per IP per 7 days); declare control_plane or run later"
            )
        data = self.ok(r, "anonymous token")
        expect(isinstance(data.get("token"), str) and data["token"], f"no token in {data!r}")
        return Minted(data["token"], data.get("user_id"), client_id, data)

    def token(self, who: str = "a") -> str:
        """A token for user `who`: minted once per check with a control plane, else once per run."""
        if who not in self._tokens:
            self._tokens[who] = self.mint()
        return self._tokens[who].token

    def session(self, token: str, name: str = "contract") -> dict[str, Any]:
        r = self.request(
            "POST",
            "/api/tasks/me/with-session/nemo_agent",
            headers=self.headers(token),
            json={"task_name": name},
        )
        data = self.ok(r, "create session")
        expect(
            isinstance(data.get("session_id"), str) and data["session_id"],
            f"no session_id in {data!r}",
        )
        return data

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

    # -- control plane -----------------------------------------------------------------------
    def control(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """Call the control plane (needs control_plane); its `data`."""
        if not path.startswith("/_mock/clock"):
            self.require("control_plane")
        headers = {"X-Admin-Token": self.caps.admin_token} if self.caps.admin_token else {}
        r = self.http.request(method, path, json=body, headers=headers)
        if r.status_code != 200 or r.json().get("code") != 0:
            raise RuntimeError(
                f"control plane {method} {path}: HTTP {r.status_code} {r.text[:200]}"
            )
        return r.json()["data"]

    def configure(self, **changes: Any) -> dict[str, Any]:
        """PATCH /_mock/config for this check only (restored by end_check)."""
        current = self.control("GET", "/_mock/config")
        if self._config_backup is None:
            self._config_backup = {k: current[k] for k in changes if k in current}
        return dict(self.control("PATCH", "/_mock/config", changes))

    def advance(self, seconds: float) -> None:
        """Move the target's virtual clock (needs virtual_clock)."""
        self.require("virtual_clock")
        self.control("POST", "/_mock/clock/advance", {"seconds": seconds})
        self.note(f"(virtual clock advanced {seconds:g} s)")

    def close(self) -> None:
        self.http.close()


def envelope_problems(body: Any) -> list[str]:
    """What is wrong with an envelope (empty when it is well-formed and its code is catalogued)."""
    if not isinstance(body, dict):
        return [f"not an object: {type(body).__name__}"]
    problems = [f"missing key {k!r}" for k in ("code", "message", "data") if k not in body]
    code = body.get("code")
    if "code" in body and (not isinstance(code, int) or isinstance(code, bool)):
        problems.append(f"code is not an integer: {code!r}")
    elif isinstance(code, int) and code != 0 and code not in contracts.errors():
        problems.append(f"code {code} is not in the error catalogue")
    if "message" in body and not isinstance(body["message"], str):
        problems.append("message is not a string")
    if "data" in body and body["data"] is not None and not isinstance(body["data"], dict):
        problems.append("data is neither an object nor null")
    return problems


def _code_of(r: httpx.Response) -> str:
    if "json" not in r.headers.get("content-type", ""):
        return f" ({r.headers.get('content-type', '?')})"
    try:
        body = r.json()
    except ValueError:
        return " (bad JSON)"
    return f" code {body.get('code')!r}" if isinstance(body, dict) else ""
