"""Recording bundles: what the proxy saw, as HAR 1.2 plus every SSE frame with its timing.

A bundle is a directory:

    bundle.json      format, upstream, when, the emulator's seed/settings/clock when the upstream
                     is our emulator (probed at /_mock/config), the violations found
    recording.har    HAR 1.2; custom fields `_seq`, `_end`, `_tail`, `_requestBase64`
    frames.ndjson    one line per SSE block: {"seq", "kind", "at" (real s), "raw"}

Everything in it is redacted (tokens as fingerprints). `load_bundle` reads one back.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

from nemo_mock.proxy._exchange import Exchange, Frame
from nemo_mock.proxy._rules import Violation

FORMAT = "nemo-mock-recording/1"


class BundleError(ValueError):
    """A directory is not a readable recording bundle."""


@dataclass
class Bundle:
    """A recording read back: its manifest and its exchanges in order."""

    meta: dict[str, Any]
    exchanges: list[Exchange] = field(default_factory=list)

    @property
    def emulator(self) -> dict[str, Any] | None:
        """The upstream emulator's settings and clock, when it was ours."""
        value = self.meta.get("emulator")
        return value if isinstance(value, dict) else None


def probe_emulator(
    upstream: str, admin_token: str | None = None, timeout: float = 3.0
) -> dict[str, Any] | None:
    """The upstream's seed, settings and clock when it is our emulator (None otherwise)."""
    headers = {"X-Admin-Token": admin_token} if admin_token else {}
    try:
        with httpx.Client(base_url=upstream, timeout=timeout, headers=headers) as http:
            config = http.get("/_mock/config").json()
            clock = http.get("/_mock/clock").json()
    except (httpx.HTTPError, ValueError):
        return None
    if not isinstance(config, dict) or config.get("code") != 0:
        return None
    settings = config.get("data")
    if not isinstance(settings, dict) or "seed" not in settings:
        return None
    return {"seed": settings["seed"], "settings": settings, "clock": clock.get("data")}


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat(timespec="milliseconds")


def _text_or_b64(body: bytes) -> tuple[str, bool]:
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode(), True


def har_entry(ex: Exchange, host: str) -> dict[str, Any]:
    """One exchange as a HAR 1.2 entry (bodies as far as they were kept)."""
    query = ex.query
    request: dict[str, Any] = {
        "method": ex.method,
        "url": f"{host}{ex.path}" + (f"?{query}" if query else ""),
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": [{"name": k, "value": v} for k, v in ex.request_headers.items()],
        "queryString": [{"name": k, "value": v} for k, v in parse_qsl(query, True)],
        "headersSize": -1,
        "bodySize": ex.request_size,
    }
    if ex.request_body:
        text, b64 = _text_or_b64(ex.request_body)
        mime = ex.request_headers.get("content-type", "application/octet-stream")
        request["postData"] = {"mimeType": mime, "text": text}
        if b64:
            request["postData"]["_base64"] = True
    if ex.frames is not None:
        body = "".join(f.raw + "\n\n" for f in ex.frames).encode()
    else:
        body = ex.response_body
    text, b64 = _text_or_b64(body)
    content: dict[str, Any] = {
        "size": ex.response_size,
        "mimeType": ex.response_headers.get("content-type", ""),
        "text": text,
    }
    if b64:
        content["encoding"] = "base64"
    try:
        reason = HTTPStatus(ex.status).phrase
    except ValueError:
        reason = ""
    ms = round(ex.seconds * 1000, 3)
    return {
        "startedDateTime": _iso(ex.started),
        "time": ms,
        "request": request,
        "response": {
            "status": ex.status,
            "statusText": reason,
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": [{"name": k, "value": v} for k, v in ex.response_headers.items()],
            "content": content,
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": ex.response_size,
        },
        "cache": {},
        "timings": {"send": 0, "wait": ms, "receive": 0},
        "_seq": ex.seq,
        "_end": ex.end,
        "_tail": ex.tail,
        "_started": ex.started,
        "_vtime": ex.vtime,
    }


class Recorder:
    """Writes a bundle as exchanges finish (frames at once; HAR and manifest on `close`)."""

    def __init__(self, directory: str | Path, upstream: str, emulator: dict[str, Any] | None):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.upstream = upstream.rstrip("/")
        self.emulator = emulator
        self.started = datetime.now(UTC).isoformat(timespec="seconds")
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []
        self._frames = (self.dir / "frames.ndjson").open("w", encoding="utf-8")

    def add(self, ex: Exchange) -> None:
        """Keep one finished exchange."""
        with self._lock:
            self._entries.append(har_entry(ex, self.upstream))
            for f in ex.frames or []:
                line = {"seq": ex.seq, **f.to_json()}
                self._frames.write(json.dumps(line, ensure_ascii=False) + "\n")
            self._frames.flush()

    def close(self, violations: Iterable[Violation]) -> Path:
        """Write recording.har and bundle.json; returns the directory."""
        with self._lock:
            self._frames.close()
            entries = sorted(self._entries, key=lambda e: e["_seq"])
            har = {
                "log": {
                    "version": "1.2",
                    "creator": {"name": "nemo-mock proxy", "version": "0.1.0"},
                    "entries": entries,
                }
            }
            _write_json(self.dir / "recording.har", har)
            meta = {
                "format": FORMAT,
                "upstream": self.upstream,
                "started": self.started,
                "exchanges": len(entries),
                "emulator": self.emulator,
                "violations": [v.to_json() for v in violations],
            }
            _write_json(self.dir / "bundle.json", meta)
        return self.dir


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def load_bundle(directory: str | Path) -> Bundle:
    """Read a bundle directory back (raises BundleError naming what is wrong)."""
    d = Path(directory)
    try:
        meta = json.loads((d / "bundle.json").read_text(encoding="utf-8"))
        har = json.loads((d / "recording.har").read_text(encoding="utf-8"))
        lines = (d / "frames.ndjson").read_text(encoding="utf-8").splitlines()
    except (OSError, ValueError) as exc:
        raise BundleError(f"{d}: not a recording bundle ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise BundleError(f"{d}/bundle.json: `format` must be {FORMAT!r}")
    frames: dict[int, list[Frame]] = {}
    for line in lines:
        item = json.loads(line)
        frames.setdefault(int(item["seq"]), []).append(Frame.from_json(item))
    try:
        exchanges = [_exchange(e, frames) for e in har["log"]["entries"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleError(f"{d}/recording.har: malformed entry ({exc})") from exc
    return Bundle(meta, exchanges)


def _exchange(e: dict[str, Any], frames: dict[int, list[Frame]]) -> Exchange:
    req, resp = e["request"], e["response"]
    url = httpx.URL(req["url"])
    post = req.get("postData") or {}
    body = post.get("text", "").encode()
    if post.get("_base64"):
        body = base64.b64decode(body)
    content = resp.get("content") or {}
    rbody = content.get("text", "").encode()
    if content.get("encoding") == "base64":
        rbody = base64.b64decode(rbody)
    rheaders = {h["name"]: h["value"] for h in resp.get("headers", [])}
    seq = int(e["_seq"])
    sse = "text/event-stream" in rheaders.get("content-type", "")
    return Exchange(
        seq=seq,
        started=float(e.get("_started", 0.0)),
        method=req["method"],
        path=url.path,
        query=url.query.decode(),
        request_headers={h["name"]: h["value"] for h in req.get("headers", [])},
        request_body=body,
        request_size=int(req.get("bodySize", len(body))),
        status=int(resp["status"]),
        response_headers=rheaders,
        response_body=b"" if sse else rbody,
        response_size=int(content.get("size", len(rbody))),
        frames=frames.get(seq, []) if sse else None,
        end=str(e.get("_end", "")),
        tail=str(e.get("_tail", "")),
        seconds=float(e.get("time", 0.0)) / 1000,
        vtime=e.get("_vtime"),
    )
