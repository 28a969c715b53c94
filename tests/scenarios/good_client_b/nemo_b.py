"""Good client B: a second, independent client of the nemo_agent API, for the scenario runner.

Written from the seeds and the vendor's v1.9 skill document alone; it imports nothing of
nemo_mock. It makes the other choices those documents allow: it checks a file's format before
uploading, treats 10 polls without completion as a failed render (new id, one retry), follows
v1.9 §3.6 after a heartbeat-only timeout, words everything itself in English or Chinese, and
exits 3 when the user has to act and 4 when it gave up (the adapter protocol: non-zero).

Usage (the adapter protocol): python nemo_b.py "<utterance>"
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from b_texts import language, say, summary
from b_wire import API, WEB, ApiError, Http, Saved, client_id, envelope, sleep

OK, ACT, GAVE_UP = 0, 3, 4
# seeds §API: Supported formats: mp4, mov, avi, webm, mkv, jpg, png, gif, webp, mp3, wav, m4a, aac.
SUPPORTED = frozenset(
    ("mp4", "mov", "avi", "webm", "mkv", "jpg", "png", "gif", "webp", "mp3", "wav", "m4a", "aac")
)


class Stop(Exception):
    """End the step: a message for the user and an exit status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class B:
    def __init__(self, lang: str) -> None:
        self.lang, self.saved, self.http = lang, Saved(), Http()
        self.registered = bool(os.environ.get("NEMO_TOKEN"))

    def t(self, key: str, **values: object) -> str:
        return say(self.lang, key, **values)

    # -- connection: token, session, claim link ------------------------------------------------
    def token(self) -> str:
        if self.registered:
            return os.environ["NEMO_TOKEN"]
        return self.saved.get("token") or self.mint()

    def mint(self) -> str:
        cid = client_id()
        for attempt in (1, 2):
            code, data, _ = envelope(self.http.mint(cid))
            if code == 0:
                self.saved.put(token=data["token"])
                return str(data["token"])
            if attempt == 1 and code == 400:  # seeds: generate a Client-Id and retry
                cid = client_id(fresh=True)
            elif attempt == 1 and code == 429:  # seeds: retry in 30s once
                sleep(30)
            else:
                break
        raise Stop(self.t("busy") if code == 429 else self.t("failed", code=code), GAVE_UP)

    def session(self) -> str:
        return self.saved.get("session_id") or self.new_session()

    def new_session(self) -> str:
        print(self.t("connecting"))
        body = {"task_name": "project", "language": self.lang}
        data = self.call("POST", "/api/tasks/me/with-session/nemo_agent", json=body, fresh=False)
        self.saved.put(session_id=data["session_id"], task_id=data.get("task_id"))
        try:  # v1.9 §3.0: a claim token for the browser link (never the real token in a URL)
            claim = self.call("POST", "/api/auth/claim-token", json=data, fresh=False)
            self.saved.put(claim=claim.get("claim_token"))
        except (ApiError, httpx.HTTPError):
            self.saved.put(claim=None)
        return str(data["session_id"])

    def link(self) -> str:
        claim = self.saved.get("claim")
        return self.t("link", url=f"{WEB}/workspace/claim?ct={claim}") if claim else ""

    def call(self, method: str, path: str, fresh: bool = True, **kw: Any) -> Any:
        """One API call; 1001 → re-auth (same client id), 1002 → new session, 429 → 30 s, once."""
        for attempt in (1, 2):
            sid = self.session() if "{sid}" in path else ""
            response = self.http.request(method, path.format(sid=sid), self.token(), **kw)
            code, data, message = envelope(response)
            if code == 0:
                return data if data is not None else {}
            if attempt == 2:
                raise ApiError(code, message, data)
            if code == 1001 and not self.registered:
                self.saved.put(token=None)
                self.mint()
            elif code == 1002 and fresh:
                self.saved.put(session_id=None)
                self.new_session()
                print(self.t("new_project"))
            elif code == 429:
                sleep(30)
            else:
                raise ApiError(code, message, data)
        raise AssertionError("unreachable")

    def state(self) -> dict[str, Any]:
        data = self.call("GET", "/api/state/nemo_agent/me/{sid}/latest")
        return data if isinstance(data, dict) else {}

    # -- the routes ----------------------------------------------------------------------------
    def handle(self, text: str) -> int:
        low = text.lower().strip()
        if re.search(r"\bexport\b|导出|\bdownload\b|send me the video", low):
            return self.export()
        if re.search(r"\bcredits?\b|积分|\bbalance\b|余额", low):
            c = self.call("GET", "/api/credits/balance/simple")
            print(self.t("credits", **{k: c.get(k) for k in ("available", "frozen", "total")}))
            return OK
        if re.search(r"\bstatus\b|状态|show tracks", low):
            print(summary((self.state().get("state") or {}).get("draft")))
            return OK
        if low.startswith(("upload ", "上传")):
            return self.upload(text.split(None, 1)[1].strip() if " " in text else "")
        if not low:
            print(self.t("empty"))
            return ACT
        from b_chat import chat  # the SSE turn lives in its own module

        return chat(self, text)

    def upload(self, target: str) -> int:
        path = "/api/upload-video/nemo_agent/me/{sid}"
        if re.match(r"https?://", target):
            self.call("POST", path, json={"urls": [target], "source_type": "url"})
            print(self.t("uploaded", name=target.rsplit("/", 1)[-1]))
            return OK
        name = Path(target).name
        ext = Path(target).suffix.lower().lstrip(".")
        if ext not in SUPPORTED:  # checked here, before any upload: seeds "Show supported formats"
            print(self.t("bad_format", ext=ext or "these", formats=", ".join(sorted(SUPPORTED))))
            return ACT
        with open(target, "rb") as fh:
            self.call("POST", path, files={"files": (name, fh)})
        print(self.t("uploaded", name=name))
        return OK

    def export(self) -> int:
        from b_export import export

        return export(self)

    def explain(self, err: ApiError) -> Stop:
        """The seeds' error table, in B's words."""
        if err.code == 2001:
            if self.registered:
                return Stop(self.t("no_credits_reg", web=WEB), ACT)
            try:  # seeds: get <id> from create-session or state response when needed
                data = self.state()
                bind = data.get("task_id") or data.get("session_id") or self.saved.get("task_id")
            except (ApiError, httpx.HTTPError):
                bind = self.saved.get("task_id") or self.saved.get("session_id")
            return Stop(self.t("no_credits_anon", url=f"{WEB}/register?bind={bind}"), ACT)
        if err.code == 402:
            return Stop(self.t("plan", web=WEB), ACT)
        if err.code == 4001:
            return Stop(self.t("bad_format", ext="this", formats=", ".join(sorted(SUPPORTED))), ACT)
        if err.code == 4002:
            most = err.data.get("max_bytes")
            limit = f" ({int(most) // (1024 * 1024)} MB)" if isinstance(most, int) else ""
            return Stop(self.t("too_big", name="The file", limit=limit), ACT)
        if err.code == 429:
            return Stop(self.t("busy"), GAVE_UP)
        return Stop(self.t("failed", code=err.code), GAVE_UP)


def main(argv: list[str]) -> int:
    text = argv[-1] if len(argv) > 1 else ""
    client = B(language(text))
    started = time.monotonic()
    try:
        status = client.handle(text)
    except ApiError as err:
        stop = client.explain(err)
        print(stop)
        status = stop.status
    except Stop as stop:
        print(stop)
        status = stop.status
    except httpx.HTTPError as exc:
        print(client.t("failed", code=type(exc).__name__))
        status = GAVE_UP
    finally:
        client.http.close()
    print(f"nemo-b: exit {status} after {time.monotonic() - started:.2f}s ({API})", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
