"""A minimal command-line client of the nemo_agent API (httpx only), with switchable defects.

Each `broken_*.py` next to this file runs `main(breaks={...})` with one rule broken; `mini_ok.py`
runs it with none, so a test can show that the defect alone makes a MUST fail. Usage, as the
scenario runner's command adapter calls it: `python broken_x.py "<utterance>"`.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

API = os.environ.get("NEMO_API_URL", "http://127.0.0.1:8765").rstrip("/")
SCALE = float(os.environ.get("NEMO_TIME_SCALE") or 1)
STATE = (
    Path(os.environ.get("NEMO_STATE_DIR") or Path.home() / ".config" / "nemo-mini") / "mini.json"
)
#: Every broken client has its own deadline too: loops it was built to run "forever" stop here.
FOREVER = 60
GUI = re.compile(r"click|点击|drag|拖拽|export button|导出按钮|preview it in the timeline", re.I)


BREAKS: set[str] = set()  # the defects of this run, for the module-level helpers


class Fail(Exception):
    """A user-facing failure."""


class Mini:
    def __init__(self, breaks: set[str]) -> None:
        self.breaks = breaks
        self.saved: dict[str, Any] = json.loads(STATE.read_text()) if STATE.exists() else {}
        headers = (
            {}
            if "no_attribution" in breaks
            else {
                "X-Skill-Source": "mini",
                "X-Skill-Version": "1.0.0",
                "X-Skill-Platform": os.environ.get("SKILL_SOURCE", "unknown"),
            }
        )
        self.http = httpx.Client(base_url=API, headers=headers, timeout=30)

    def save(self) -> None:
        STATE.parent.mkdir(parents=True, exist_ok=True)
        STATE.write_text(json.dumps(self.saved))

    def wait(self, seconds: float) -> None:
        time.sleep(seconds / SCALE)

    # -- plumbing ------------------------------------------------------------------------
    def mint(self, reauth: bool = False) -> None:
        self.saved.setdefault("client_id", str(uuid.uuid4()))
        if reauth and "new_client_id_on_reauth" in self.breaks:
            self.saved["client_id"] = str(uuid.uuid4())
        for attempt in range(FOREVER):
            r = self.http.post(
                "/api/auth/anonymous-token", headers={"X-Client-Id": self.saved["client_id"]}
            )
            body = r.json()
            if body["code"] == 0:
                self.saved["token"] = body["data"]["token"]
                self.save()
                if "print_token" in self.breaks:
                    print(f"Connected with token {self.saved['token']}")
                return
            if body["code"] == 429 and "429_forever" in self.breaks:
                self.wait(30)
                continue
            if body["code"] == 429 and attempt == 0 and "no_429_retry" not in self.breaks:
                self.wait(0 if "429_immediately" in self.breaks else 30)
                continue
            if body["code"] == 400 and attempt == 0:
                self.saved["client_id"] = str(uuid.uuid4())
                continue
            raise Fail(f"Could not connect ({body['code']}): please wait and try again later.")

    def ready(self) -> None:
        token = os.environ.get("NEMO_TOKEN")
        if token:
            self.saved["token"] = token
        if not self.saved.get("token"):
            self.mint()
        if not self.saved.get("session_id"):
            data = self.call(
                "POST",
                "/api/tasks/me/with-session/nemo_agent",
                json={"task_name": "project", "language": "en"},
            )
            self.saved.update(session_id=data["session_id"], task_id=data["task_id"])
            self.save()

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.saved['token']}"}

    def call(self, method: str, path: str, **kw: Any) -> Any:
        for attempt in range(2):
            body = self.http.request(method, path, headers=self.auth(), **kw).json()
            code = body["code"]
            if code == 0:
                return body["data"]
            if code == 1001 and attempt == 0:
                self.mint(reauth=True)
                continue
            if code == 429 and attempt == 0 and "no_429_retry" not in self.breaks:
                self.wait(30)
                continue
            raise Fail(explain(code, body))
        raise Fail("Please try again later.")

    @property
    def sid(self) -> str:
        return str(self.saved["session_id"])

    def state(self) -> dict[str, Any]:
        return dict(self.call("GET", f"/api/state/nemo_agent/me/{self.sid}/latest"))

    # -- routes ------------------------------------------------------------------------------
    def handle(self, text: str) -> None:
        self.ready()
        low = text.lower()
        if re.search(r"\bexport\b|导出|\bdownload\b", low):
            return self.export()
        if re.search(r"\bcredits?\b|积分|\bbalance\b|余额", low):
            c = self.call("GET", "/api/credits/balance/simple")
            return print(f"Credits: {c['available']} available of {c['total']}.")
        if re.search(r"\bstatus\b|状态|show tracks", low):
            return print(f"Timeline version {self.state()['version']}.")
        if low.startswith("upload"):
            target = text.split(None, 1)[1]
            path = f"/api/upload-video/nemo_agent/me/{self.sid}"
            if target.startswith("http"):
                self.call("POST", path, json={"urls": [target], "source_type": "url"})
            else:
                with open(target, "rb") as fh:
                    self.call("POST", path, files={"files": (Path(target).name, fh)})
            return print(f"Uploaded {Path(target).name}.")
        return self.chat(text)

    def turn(self, text: str) -> tuple[list[str], str]:
        body = {
            "app_name": "nemo_agent",
            "user_id": "me",
            "session_id": self.sid,
            "new_message": {"parts": [{"text": text}]},
        }
        texts: list[str] = []
        last_news = time.monotonic()
        try:
            with self.http.stream(
                "POST",
                "/run_sse",
                json=body,
                headers={**self.auth(), "Accept": "text/event-stream"},
                timeout=httpx.Timeout(30, read=max(2.0, 120 / SCALE)),
            ) as r:
                if "text/event-stream" not in r.headers.get("content-type", ""):
                    r.read()
                    raise Fail(explain(r.json()["code"], r.json()))
                for line in r.iter_lines():
                    if not line.startswith("data:") or not line[5:].strip():
                        if line and (time.monotonic() - last_news) * SCALE >= 600:
                            return texts, "timeout"  # v1.9: 10 min heartbeats-only
                        continue
                    last_news = time.monotonic()
                    event = json.loads(line[5:])
                    if "error" in event:
                        raise Fail(f"The backend reported an error: {event['error']}")
                    if event.get("partial"):
                        continue
                    for part in (event.get("content") or {}).get("parts") or []:
                        call = part.get("functionCall")
                        if call and "show_tool_calls" in self.breaks:
                            print(f"[functionCall] {call.get('name')}({call.get('args')})")
                        if part.get("text") and "temporary issue" not in part["text"]:
                            texts.append(part["text"])
        except (httpx.TransportError, json.JSONDecodeError):
            return texts, "dropped"
        return texts, "closed"

    def chat(self, text: str) -> None:
        before = self.state()
        texts, ended = self.turn(text)
        if ended == "timeout":
            if "resend_after_timeout" not in self.breaks:
                raise Fail("That took too long (timed out); please try again.")
            texts, ended = self.turn(text)
        if ended == "dropped" and "resend_after_drop" in self.breaks:
            texts, ended = self.turn(text)
        if ended == "dropped":
            for seconds in (30, 60, 60, 60, 60):
                self.wait(seconds)
                if self.state()["version"] != before["version"]:
                    return print("Done — your timeline was updated.")
            raise Fail("Your request did not go through; say it again to retry.")
        if not texts:
            if "resend_after_silent_close" in self.breaks:
                texts, ended = self.turn(text)
            if "no_state_after_silent_close" in self.breaks:
                return print("Done.")
            after = self.state()
            if after["version"] != before["version"]:
                return print("Done — your timeline was updated.")
            return print("The request finished, but nothing changed.")
        for t in texts:
            if "gui_passthrough" not in self.breaks:
                t = " ".join(s for s in re.split(r"(?<=[.!?。])\s*", t) if s and not GUI.search(s))
            print(t)

    def export(self) -> None:
        draft = self.state()["state"]["draft"]
        every = 1 if "fast_render_poll" in self.breaks else 30
        rid = ""
        for _attempt in range(2):
            if not rid or "reuse_render_id" not in self.breaks:
                rid = f"render_{time.time_ns()}"
            job = self.call(
                "POST",
                "/api/render/proxy/lambda",
                json={
                    "id": rid,
                    "sessionId": self.sid,
                    "draft": draft,
                    "output": {"format": "mp4", "quality": "high"},
                },
            )
            polls = 0
            most = FOREVER if "render_poll_forever" in self.breaks else 10
            while job["status"] not in ("completed", "failed") and polls < most:
                self.wait(every)
                job = self.call("GET", f"/api/render/proxy/lambda/{rid}")
                polls += 1
            if job["status"] == "completed":
                return print(f"Your video is ready: {job['output']['url']}")
            if job["status"] != "failed":
                raise Fail("The render is taking too long; try again later.")
        raise Fail("The render failed twice.")


def explain(code: int, body: dict[str, Any]) -> str:
    if code == 2001:
        bind = (body.get("data") or {}).get("bind_id", "")
        web = os.environ.get("NEMO_WEB_URL", API)
        return f"Out of credits: register at {web}/register?bind={bind} (or top up your credits)."
    if code == 402 and "402_as_credits" in BREAKS:
        return "You have run out of credits for exporting. Buy more credits to continue."
    if code == 402:
        return "Register or upgrade your plan to unlock export."
    if code == 4001:
        return (
            "Unsupported file. Supported formats: "
            "mp4, mov, avi, webm, mkv, jpg, png, gif, webp, mp3, wav, m4a, aac."
        )
    if code == 4002:
        return "File too large: compress or trim it."
    return f"Request failed ({code}). Please try again later."


def main(breaks: set[str] | frozenset[str] = frozenset()) -> int:
    text = sys.argv[-1] if len(sys.argv) > 1 else ""
    BREAKS.update(breaks)
    mini = Mini(set(breaks))
    try:
        mini.handle(text)
    except Fail as exc:
        print(exc)
        return 1
    finally:
        mini.http.close()
    return 0
