"""Capability discovery: ask the target what it offers before any check runs.

Probes (all GETs, none changes state): `/_mock/openapi.json` (which control-plane operations
exist), `/_mock/health`, `/_mock/config` (error_status, heartbeat_interval) and
`/workspace/claim?ct=...` (does the target serve the claim page). What answers is declared; the
printout says which probe found it. `--no-discover` skips all of this.
"""

from __future__ import annotations

from typing import Any

import httpx

from .capabilities import Capabilities, is_loopback

CLAIM_PROBE = "/workspace/claim?ct=clm_contract_discovery_probe"


def _get(http: httpx.Client, path: str, headers: dict[str, str]) -> httpx.Response | None:
    try:
        return http.get(path, headers=headers)
    except httpx.HTTPError:
        return None


def _data(r: httpx.Response | None) -> Any:
    if r is None or r.status_code != 200 or "json" not in r.headers.get("content-type", ""):
        return None
    try:
        body = r.json()
    except ValueError:
        return None
    if isinstance(body, dict) and body.get("code") == 0 and "data" in body:
        return body["data"]
    return body


def discover(
    base_url: str, admin_token: str | None = None, timeout: float = 5.0
) -> tuple[Capabilities, list[str]]:
    """What the target at `base_url` answers, and one note per probe (for the printout)."""
    caps = Capabilities()
    notes: list[str] = []
    headers = {"X-Admin-Token": admin_token} if admin_token else {}
    with httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout) as http:
        doc = _get(http, "/_mock/openapi.json", headers)
        paths = _data(doc)
        paths = set(paths.get("paths", {})) if isinstance(paths, dict) else set()
        if doc is not None and doc.status_code in (401, 403):
            notes.append(
                f"GET /_mock/openapi.json -> HTTP {doc.status_code}: the control plane is guarded; "
                "pass --capability admin_token=TOKEN to use it"
            )
        health = _data(_get(http, "/_mock/health", headers)) if not paths else None
        if {"/_mock/reset", "/_mock/config"} <= paths or (
            isinstance(health, dict) and health.get("status") == "ok"
        ):
            caps = caps.with_flag("control_plane", "discovered: GET /_mock/openapi.json")
            if "/_mock/clock/advance" in paths:
                caps = caps.with_flag("virtual_clock", "discovered: /_mock/clock/advance")
            if "/_mock/users" in paths:
                caps = caps.with_flag("credits_topup", "discovered: /_mock/users")
            config = _data(_get(http, "/_mock/config", headers))
            if isinstance(config, dict):
                caps = _from_config(caps, config)
        page = _get(http, CLAIM_PROBE, {})
        if page is not None and "text/html" in page.headers.get("content-type", ""):
            caps = caps.with_flag(
                "claim_page", f"discovered: GET /workspace/claim -> HTML (HTTP {page.status_code})"
            )
    if is_loopback(base_url):
        caps = caps.with_flag("spend_credits", "implied: loopback target")
    return caps, notes


def _from_config(caps: Capabilities, config: dict[str, Any]) -> Capabilities:
    values: dict[str, Any] = {}
    origin = dict(caps.origin)
    if config.get("error_status") in ("body", "http"):
        values["error_status"] = config["error_status"]
        origin["error_status"] = "discovered: GET /_mock/config"
    interval = config.get("heartbeat_interval")
    if isinstance(interval, (int, float)) and not isinstance(interval, bool) and interval > 0:
        values["heartbeat_interval"] = float(interval)
        origin["heartbeat_interval"] = "discovered: GET /_mock/config"
    return Capabilities(
        caps.names,
        values.get("error_status"),
        values.get("heartbeat_interval"),
        caps.admin_token,
        origin,
    )
