"""Good client B, the wire: settings from the environment, persisted state, HTTP calls, SSE lines.

Written from the seeds and the vendor's v1.9 skill document only (no code of nemo_mock).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

NAME, VERSION = "nemo-b", "0.3.0"  # v1.9 §3: X-Skill-Source is this skill's own name
API = (os.environ.get("NEMO_API_URL") or "https://mega-api-prod.nemovideo.ai").rstrip("/")
WEB = (os.environ.get("NEMO_WEB_URL") or "https://nemovideo.com").rstrip("/")
SCALE = max(float(os.environ.get("NEMO_TIME_SCALE") or 1), 1e-9)
HOME = Path(os.environ.get("HOME") or Path.home())
CONFIG = HOME / ".config" / "nemovideo"
STATE_FILE = Path(os.environ.get("NEMO_STATE_DIR") or CONFIG) / "nemo-b-state.json"
# error_status "http" answers without a body code on some paths: the status says it
STATUS_CODES = {401: 1001, 404: 1002, 413: 4002, 415: 4001, 400: 400, 402: 402, 429: 429}


def platform() -> str:
    """v1.9 §3: env SKILL_SOURCE, else the install path (~/.clawhub/, ~/.cursor/skills/)."""
    if os.environ.get("SKILL_SOURCE"):
        return os.environ["SKILL_SOURCE"]
    here = str(Path(__file__).resolve())
    for folder, name in ((".clawhub", "clawhub"), (".cursor/skills", "cursor")):
        if here.startswith(str(HOME / folder)):
            return name
    return "unknown"


def sleep(virtual_seconds: float) -> None:
    """A documented wait, on the emulator's clock."""
    time.sleep(virtual_seconds / SCALE)


def vnow() -> float:
    """Virtual seconds on a monotonic clock."""
    return time.monotonic() * SCALE


class ApiError(Exception):
    """The API answered with a non-zero code."""

    def __init__(self, code: int, message: str = "", data: Any = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.data = code, data if isinstance(data, dict) else {}


class Saved:
    """What B keeps between runs: token, session, task and claim token (a JSON file)."""

    def __init__(self) -> None:
        try:
            self.data: dict[str, Any] = json.loads(STATE_FILE.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.data = {}

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def put(self, **values: Any) -> None:
        self.data.update(values)
        STATE_FILE.parent.mkdir(parents=True, exist_ok=True)
        STATE_FILE.write_text(json.dumps(self.data), encoding="utf-8")


def client_id(fresh: bool = False) -> str:
    """v1.9 §1: NEMO_CLIENT_ID, else ~/.config/nemovideo/client_id, else a new UUID saved there."""
    path = CONFIG / "client_id"
    if not fresh:
        if os.environ.get("NEMO_CLIENT_ID"):
            return os.environ["NEMO_CLIENT_ID"]
        try:
            saved = path.read_text(encoding="utf-8").strip()
        except OSError:
            saved = ""
        if saved:
            return saved
    value = str(uuid.uuid4())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value, encoding="utf-8")
    return value


def envelope(response: httpx.Response) -> tuple[int, Any, str]:
    """(code, data, message) of an answer; an HTTP error status without a body code maps."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("code"), int):
        return body["code"], body.get("data"), str(body.get("message") or "")
    if response.status_code >= 400:
        return STATUS_CODES.get(response.status_code, response.status_code), None, ""
    return 0, body, ""


class Http:
    """An httpx client that sends the attribution headers (v1.9 §3) with every API request."""

    def __init__(self) -> None:
        headers = {
            "X-Skill-Source": NAME,
            "X-Skill-Version": VERSION,
            "X-Skill-Platform": platform(),
        }
        self.client = httpx.Client(base_url=API, headers=headers, timeout=httpx.Timeout(30.0))
        self.plain = httpx.Client(base_url=API, timeout=httpx.Timeout(30.0))  # no attribution

    def close(self) -> None:
        self.client.close()
        self.plain.close()

    def request(self, method: str, path: str, token: str | None, **kw: Any) -> httpx.Response:
        headers = dict(kw.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.client.request(method, path, headers=headers, **kw)

    def mint(self, cid: str) -> httpx.Response:
        """The anonymous-token request, as v1.9 §1 writes it: X-Client-Id only."""
        return self.plain.post("/api/auth/anonymous-token", headers={"X-Client-Id": cid})


def sse_events(lines: Iterator[str]) -> Iterator[tuple[str, Any]]:
    """("heartbeat", None) | ("event", dict) | ("truncated", raw) from the stream's lines."""
    data: list[str] = []
    for line in lines:
        if line.startswith(":"):
            yield "heartbeat", None
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
        elif line == "" and data:
            raw, data = "\n".join(data), []
            if not raw.strip():
                yield "heartbeat", None
                continue
            try:
                yield "event", json.loads(raw)
            except ValueError:
                yield "truncated", raw
    if data and "".join(data).strip():
        yield "truncated", "\n".join(data)  # the stream closed inside a frame
