"""`python -m bench.proxy [--requests N] [--rounds R]`: what the validating proxy costs a client.

Sequential GET /api/credits/balance/simple against the emulator, direct and through
`nemo-mock proxy` (its own process, as users run it), in interleaved rounds; medians per request
and the ratio proxied / direct, both measured in the same run (this machine is shared and noisy:
read the ratio, not the milliseconds).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time

import httpx

from nemo_mock.server import LiveServer, Settings

HEADERS = {"X-Skill-Source": "video-create", "X-Skill-Version": "1", "X-Skill-Platform": "unknown"}


def _start_proxy(upstream: str) -> tuple[subprocess.Popen[str], str]:
    cmd = [sys.executable, "-m", "nemo_mock", "proxy", "--upstream", upstream, "--port", "0"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, line.split(" on ", 1)[1].split()[0]


def _per_request_ms(url: str, headers: dict[str, str], n: int) -> float:
    with httpx.Client(base_url=url, timeout=30) as http:
        http.get("/api/credits/balance/simple", headers=headers)  # connection warm
        t0 = time.perf_counter()
        for _ in range(n):
            http.get("/api/credits/balance/simple", headers=headers)
        return (time.perf_counter() - t0) / n * 1000


def run(requests: int = 300, rounds: int = 3) -> dict[str, float]:
    """Medians of ms per request, direct and proxied, and their ratio."""
    with LiveServer(Settings(seed=1, time_scale=600)) as live:
        mint = {**HEADERS, "X-Client-Id": "bench-proxy"}
        token = httpx.post(live.url + "/api/auth/anonymous-token", headers=mint).json()["data"]
        headers = {**HEADERS, "Authorization": f"Bearer {token['token']}"}
        proc, proxy_url = _start_proxy(live.url)
        try:
            direct, proxied = [], []
            for _ in range(rounds):
                direct.append(_per_request_ms(live.url, headers, requests))
                proxied.append(_per_request_ms(proxy_url, headers, requests))
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(30)
    d, p = statistics.median(direct), statistics.median(proxied)
    return {"direct_ms": d, "proxied_ms": p, "ratio": p / d}


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.proxy")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    r = run(args.requests, args.rounds)
    print(f"{'direct':<10} {r['direct_ms']:7.2f} ms/request")
    print(f"{'proxied':<10} {r['proxied_ms']:7.2f} ms/request  ({r['ratio']:.2f}x direct)")


if __name__ == "__main__":
    main()
