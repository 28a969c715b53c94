"""Upload: a 500 MB multipart upload accepted and a 300 MB one refused (4002), streamed both ways.

The client is a raw asyncio socket that writes the multipart body from a generator (one 1 MiB
random chunk reused, so the client never holds the file either) with a declared Content-Length,
while it reads the answer concurrently. The server's RSS (/proc/<pid>/status VmRSS) is sampled every
20 ms during each upload; growth = peak - before. The baseline is the same bytes POSTed to a bare
Starlette route that streams the body and drops it, on the same uvicorn configuration.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx

from bench import _api, _proc
from bench._report import table

MiB = 1024 * 1024
TARGET_MB = 50.0
CHUNK = os.urandom(MiB)
FREE_SOURCE = "create-a-free-ai-video"  # the 200 MB profile


def multipart(size: int, boundary: str, filename: str = "big.mp4") -> tuple[int, Iterator[bytes]]:
    """(Content-Length, body chunks) of a `files` part of `size` bytes, never built in memory."""
    pre = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
        f'filename="{filename}"\r\nContent-Type: video/mp4\r\n\r\n'
    ).encode()
    post = f"\r\n--{boundary}--\r\n".encode()

    def chunks() -> Iterator[bytes]:
        yield pre
        left = size
        while left > 0:
            n = min(left, MiB)
            yield CHUNK if n == MiB else CHUNK[:n]
            left -= n
        yield post

    return len(pre) + size + len(post), chunks()


class RssSampler:
    """Samples a PID's VmRSS every 20 ms in a thread; `peak` is the highest seen."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.before = _proc.status_kb(pid, "VmRSS")
        self.peak = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _proc.status_kb(self.pid, "VmRSS"))

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _proc.status_kb(self.pid, "VmRSS"))


async def _post(url: str, path: str, headers: dict[str, str], size: int) -> dict[str, Any]:
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    boundary = "bench" + os.urandom(12).hex()
    length, chunks = multipart(size, boundary)
    head = [
        f"POST {path} HTTP/1.1",
        f"Host: {host}:{port}",
        f"Content-Type: multipart/form-data; boundary={boundary}",
        f"Content-Length: {length}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    reader, writer = await asyncio.open_connection(host, int(port))
    t0 = time.monotonic()
    sent = 0

    async def send() -> None:
        nonlocal sent
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        try:
            for chunk in chunks:
                writer.write(chunk)
                sent += len(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            pass  # the server answered and closed: stop sending

    sender = asyncio.create_task(send())
    status = await reader.readuntil(b"\r\n\r\n")
    answered = time.monotonic() - t0
    clen = 0
    for line in status.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            clen = int(line.split(b":", 1)[1])
    body = await reader.readexactly(clen)
    done = time.monotonic() - t0
    sender.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await sender
    writer.close()
    env = json.loads(body)
    return {
        "http": int(status[9:12]),
        "code": env.get("code"),
        "message": env.get("message"),
        "declared_mb": length / MiB,
        "sent_mb": sent / MiB,
        "answered_s": answered,
        "seconds": done,
        "mb_per_s": (sent / MiB) / done if done else float("nan"),
    }


def _one(server: _proc.Server, path: str, headers: dict[str, str], size: int) -> dict[str, Any]:
    hwm0 = _proc.status_kb(server.pid, "VmHWM")
    with RssSampler(server.pid) as rss:
        res = asyncio.run(_post(server.url, path, headers, size))
    res["rss_before_mb"] = rss.before / 1024
    res["rss_growth_mb"] = (rss.peak - rss.before) / 1024
    res["hwm_growth_mb"] = (_proc.status_kb(server.pid, "VmHWM") - hwm0) / 1024
    return res


def run(quick: bool = False) -> dict[str, Any]:
    accept_mb, refuse_mb = (500, 300)
    bare, emu = _proc.bench_app("json"), _proc.emulator()
    rows: list[tuple[str, dict[str, Any]]] = []
    try:
        bare.start()
        emu.start()
        with httpx.Client(base_url=emu.url, timeout=10) as http:
            tok = _api.token(http)
            sid = _api.session(http, tok)
        auth = {
            "Authorization": f"Bearer {tok}",
            "X-Skill-Version": "1.0.0",
            "X-Skill-Platform": "bench",
        }
        path = f"/api/upload-video/nemo_agent/me/{sid}"
        rows.append(
            (
                f"bare Starlette sink, {accept_mb} MB (baseline)",
                _one(bare, "/sink", {}, accept_mb * MiB),
            )
        )
        rows.append(
            (f"emulator {accept_mb} MB, default profile", _one(emu, path, auth, accept_mb * MiB))
        )
        rows.append(
            (
                f"emulator {refuse_mb} MB, {FREE_SOURCE} (200 MB)",
                _one(emu, path, {**auth, "X-Skill-Source": FREE_SOURCE}, refuse_mb * MiB),
            )
        )
    finally:
        bare.stop()
        emu.stop()
    base = rows[0][1]["mb_per_s"]
    print(
        table(
            "Upload (multipart `files`, streamed from a generator; server RSS sampled every 20 ms)",
            [
                "case",
                "answer",
                "sent MB",
                "answered s",
                "total s",
                "MB/s",
                "vs bare",
                "RSS growth MB",
                "HWM growth MB",
            ],
            [
                [
                    label,
                    f"{r['http']} code {r['code']}",
                    r["sent_mb"],
                    r["answered_s"],
                    r["seconds"],
                    r["mb_per_s"],
                    f"{r['mb_per_s'] / base:.2f}x",
                    r["rss_growth_mb"],
                    r["hwm_growth_mb"],
                ]
                for label, r in rows
            ],
        )
    )
    accepted, refused = rows[1][1], rows[2][1]
    ok = (
        accepted["code"] == 0
        and refused["code"] == 4002
        and max(accepted["rss_growth_mb"], refused["rss_growth_mb"]) <= TARGET_MB
    )
    summary = (
        f"upload: 500 MB accepted (code {accepted['code']}, {accepted['mb_per_s']:.0f} MB/s = "
        f"{accepted['mb_per_s'] / base:.2f}x bare sink, RSS +{accepted['rss_growth_mb']:.1f} MB); "
        f"300 MB refused (code {refused['code']}, RSS +{refused['rss_growth_mb']:.1f} MB) - "
        f"target code 0 / 4002 and <= {TARGET_MB:.0f} MB growth: {'PASS' if ok else 'FAIL'}"
    )
    print(summary)
    return {"rows": [{"case": label, **r} for label, r in rows], "pass": ok, "summary": summary}
