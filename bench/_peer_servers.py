"""How each peer mock server is installed (on demand, into bench/peers/) and started.

Every peer serves the same credits endpoint as the emulator, so one load run compares them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bench import _proc
from bench.apps import CREDITS, JSON_PATH

PEERS = Path(__file__).resolve().parent / "peers"
NODE = PEERS / "node"
PYDIR = PEERS / "py"
NPM_PACKAGES = {
    "wiremock": "wiremock",
    "prism": "@stoplight/prism-cli",
    "mountebank": "mountebank",
    "mockoon": "@mockoon/cli",
}


class Skip(Exception):
    """A peer cannot run here; the message says why."""


def _npm(package: str) -> None:
    if not shutil.which("npm") or not shutil.which("node"):
        raise Skip("node/npm not installed")
    marker = NODE / "node_modules" / package / "package.json"
    if marker.exists():
        return
    NODE.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(
        [
            "npm",
            "install",
            "--prefix",
            str(NODE),
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            package,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if r.returncode != 0 or not marker.exists():
        raise Skip(f"npm install {package} failed: {(r.stderr or r.stdout).strip()[-200:]}")


def _bin(name: str) -> str:
    path = NODE / "node_modules" / ".bin" / name
    if not path.exists():
        raise Skip(f"{name} not found after install")
    return str(path)


def _version(package: str) -> str:
    try:
        return str(
            json.loads((NODE / "node_modules" / package / "package.json").read_text())["version"]
        )
    except (OSError, ValueError, KeyError):
        return "?"


# -- one function per peer: install, write its config, return a Server that serves CREDITS ------
def wiremock(port: int) -> tuple[_proc.Server, str]:
    if not shutil.which("java"):
        raise Skip("WireMock needs Java (java not on PATH)")
    _npm("wiremock")
    jars = sorted((NODE / "node_modules" / "wiremock").rglob("*.jar"))
    if not jars:
        raise Skip("no WireMock jar in the npm package")
    root = PEERS / "wiremock-root"
    (root / "mappings").mkdir(parents=True, exist_ok=True)
    (root / "mappings" / "credits.json").write_text(
        json.dumps(
            {
                "request": {"method": "GET", "url": JSON_PATH},
                "response": {
                    "status": 200,
                    "body": CREDITS.decode(),
                    "headers": {"Content-Type": "application/json"},
                },
            }
        )
    )
    # the JVM directly (not the npm launcher), so stopping our PID stops the server
    argv = [
        "java",
        "-jar",
        str(jars[-1]),
        "--port",
        str(port),
        "--bind-address",
        "127.0.0.1",
        "--root-dir",
        str(root),
        "--disable-banner",
    ]
    return _proc.Server("wiremock", argv, url=f"http://127.0.0.1:{port}"), _version("wiremock")


def prism(port: int) -> tuple[_proc.Server, str]:
    _npm("@stoplight/prism-cli")
    spec = PEERS / "prism-openapi.json"
    spec.write_text(
        json.dumps(
            {
                "openapi": "3.0.3",
                "info": {"title": "bench", "version": "1"},
                "paths": {
                    JSON_PATH: {
                        "get": {
                            "responses": {
                                "200": {
                                    "description": "credits",
                                    "content": {
                                        "application/json": {"example": json.loads(CREDITS)}
                                    },
                                }
                            }
                        }
                    }
                },
            }
        )
    )
    argv = [_bin("prism"), "mock", "-h", "127.0.0.1", "-p", str(port), str(spec)]
    return _proc.Server("prism", argv, url=f"http://127.0.0.1:{port}"), _version(
        "@stoplight/prism-cli"
    )


def mountebank(port: int) -> tuple[_proc.Server, str]:
    _npm("mountebank")
    admin = _proc.free_port()
    imposter = PEERS / "mountebank-imposters.json"
    imposter.write_text(
        json.dumps(
            {
                "imposters": [
                    {
                        "port": port,
                        "protocol": "http",
                        "host": "127.0.0.1",
                        "stubs": [
                            {
                                "predicates": [{"equals": {"method": "GET", "path": JSON_PATH}}],
                                "responses": [
                                    {
                                        "is": {
                                            "statusCode": 200,
                                            "headers": {"Content-Type": "application/json"},
                                            "body": CREDITS.decode(),
                                        }
                                    }
                                ],
                            }
                        ],
                    }
                ]
            }
        )
    )
    argv = [
        _bin("mb"),
        "start",
        "--port",
        str(admin),
        "--host",
        "127.0.0.1",
        "--configfile",
        str(imposter),
        "--loglevel",
        "warn",
        "--nologfile",
    ]
    return _proc.Server("mountebank", argv, url=f"http://127.0.0.1:{port}"), _version("mountebank")


def mockoon(port: int) -> tuple[_proc.Server, str]:
    _npm("@mockoon/cli")
    env = PEERS / "mockoon-env.json"
    route = "3f1b1a52-0000-4000-8000-000000000001"
    env.write_text(
        json.dumps(
            {
                "uuid": "3f1b1a52-0000-4000-8000-000000000000",
                "lastMigration": 33,
                "name": "bench",
                "endpointPrefix": "",
                "latency": 0,
                "port": port,
                "hostname": "127.0.0.1",
                "folders": [],
                "rootChildren": [{"type": "route", "uuid": route}],
                "routes": [
                    {
                        "uuid": route,
                        "type": "http",
                        "documentation": "",
                        "method": "get",
                        "endpoint": JSON_PATH.lstrip("/"),
                        "responseMode": None,
                        "streamingMode": None,
                        "streamingInterval": 0,
                        "responses": [
                            {
                                "uuid": "3f1b1a52-0000-4000-8000-000000000002",
                                "body": CREDITS.decode(),
                                "latency": 0,
                                "statusCode": 200,
                                "label": "",
                                "headers": [{"key": "Content-Type", "value": "application/json"}],
                                "bodyType": "INLINE",
                                "filePath": "",
                                "databucketID": "",
                                "sendFileAsBody": False,
                                "rules": [],
                                "rulesOperator": "OR",
                                "disableTemplating": True,
                                "fallbackTo404": False,
                                "default": True,
                                "crudKey": "id",
                                "callbacks": [],
                            }
                        ],
                    }
                ],
                "proxyMode": False,
                "proxyHost": "",
                "proxyRemovePrefix": False,
                "tlsOptions": {
                    "enabled": False,
                    "type": "CERT",
                    "pfxPath": "",
                    "certPath": "",
                    "keyPath": "",
                    "caPath": "",
                    "passphrase": "",
                },
                "cors": False,
                "headers": [],
                "proxyReqHeaders": [],
                "proxyResHeaders": [],
                "data": [],
                "callbacks": [],
            }
        )
    )
    argv = [
        _bin("mockoon-cli"),
        "start",
        "--data",
        str(env),
        "--port",
        str(port),
        "--disable-log-to-file",
    ]
    return _proc.Server("mockoon", argv, url=f"http://127.0.0.1:{port}"), _version("@mockoon/cli")


_HTTPSERVER = f"""
import sys, time
sys.path.insert(0, {str(PYDIR)!r})
from pytest_httpserver import HTTPServer
server = HTTPServer(host="127.0.0.1", port=int(sys.argv[1]))
server.expect_request({JSON_PATH!r}, method="GET").respond_with_data(
    {CREDITS.decode()!r}, content_type="application/json")
server.start()
while True:
    time.sleep(3600)
"""


def pytest_httpserver(port: int) -> tuple[_proc.Server, str]:
    if not (PYDIR / "pytest_httpserver").exists():
        PYDIR.mkdir(parents=True, exist_ok=True)
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "-q",
                "--target",
                str(PYDIR),
                "pytest-httpserver",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if r.returncode != 0:
            raise Skip(f"pip install pytest-httpserver failed: {r.stderr.strip()[-200:]}")
    version = next(
        (
            p.name.removesuffix(".dist-info").split("-")[1]
            for p in PYDIR.glob("pytest_httpserver-*.dist-info")
        ),
        "?",
    )
    argv = [sys.executable, "-c", _HTTPSERVER, str(port)]
    return _proc.Server("pytest-httpserver", argv, url=f"http://127.0.0.1:{port}"), version


ALL: dict[str, Callable[[int], tuple[_proc.Server, str]]] = {
    "wiremock": wiremock,
    "prism": prism,
    "mountebank": mountebank,
    "mockoon": mockoon,
    "pytest-httpserver": pytest_httpserver,
}
