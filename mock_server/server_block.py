"""A scenario's server block: load it (YAML or JSON, a whole scenario file is fine) and apply it.

The block (under the key `server` of a scenario; every key optional):

    server:
      seed: 7                  # a new seed: the World is reset (state, journal, faults) with it
      settings:                # merged into the settings in force (Settings.merged), e.g.
        error_status: http     #   error_status, silent_close_rate, render_failure_rate,
        time_scale: 600        #   heartbeat_interval, costs... (not host, port, admin_token,
                               #   allow_remote_admin, state_file: those need a restart)
      faults:                  # fault rules (mock_server/faults.py), added after the reset
        - {match: {method: POST, path: /run_sse}, times: 1, action: {type: sse_silent_close}}

Used by `POST /_mock/scenario`, `nemo-mock serve --scenario FILE` and the scenario runner.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from nemo_mock.server import strict_json
from nemo_mock.server.faults import RuleError, parse_rule
from nemo_mock.server.settings import Settings, SettingsError
from nemo_mock.server.world import World

BLOCK_KEYS = ("seed", "settings", "faults")
RESTART_ONLY = ("host", "port", "admin_token", "allow_remote_admin", "state_file", "store")


class ScenarioError(ValueError):
    """The server block is malformed; the message names the key."""


def parse_text(text: str, where: str = "scenario") -> dict[str, Any]:
    """A scenario document from YAML (JSON is YAML too)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{where}: not valid YAML or JSON: {exc}") from exc
    except RecursionError as exc:  # hostile nesting: a clear 400, never a crash
        raise ScenarioError(f"{where}: nested too deeply") from exc
    if not isinstance(data, dict):
        raise ScenarioError(f"{where}: must be a mapping")
    return data


def load_file(path: str | Path) -> dict[str, Any]:
    """The server block of a scenario file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario {path}: {exc.strerror}") from exc
    return server_block(parse_text(text, str(path)))


def server_block(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The `server` block of a scenario document, or the document itself when it is a block."""
    if "server" in doc:
        block = doc["server"]
        if block is None:
            return {}
        if not isinstance(block, Mapping):
            raise ScenarioError("server: must be a mapping")
        return dict(block)
    if set(doc) <= set(BLOCK_KEYS):
        return dict(doc)
    return {}  # a scenario without a server block: nothing to apply


def validate(block: Mapping[str, Any], base: Settings) -> tuple[Settings, list[Any]]:
    """The settings the block asks for (on top of `base`) and its fault rules, validated."""
    unknown = sorted(set(block) - set(BLOCK_KEYS))
    if unknown:
        raise ScenarioError(f"server.{unknown[0]}: unknown key (expected {', '.join(BLOCK_KEYS)})")
    overrides: dict[str, Any] = {}
    raw = block.get("settings") or {}
    if not isinstance(raw, Mapping):
        raise ScenarioError("server.settings: must be a mapping")
    overrides.update(raw)
    if block.get("seed") is not None:
        seed = block["seed"]
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ScenarioError("server.seed: must be an integer")
        overrides["seed"] = seed
    try:
        settings = base.merged(overrides)
    except (SettingsError, TypeError) as exc:
        raise ScenarioError(f"server.settings: {exc}") from exc
    faults = block.get("faults") or []
    if not isinstance(faults, list):
        raise ScenarioError("server.faults: must be a list of fault rules")
    for i, rule in enumerate(faults):
        try:
            parse_rule(rule, f"check{i}")
        except RuleError as exc:
            raise ScenarioError(f"server.faults[{i}].{exc}") from exc
    return settings, list(faults)


def apply_server_block(world: World, block: Mapping[str, Any]) -> None:
    """Apply a server block to a running World (see the module docstring); atomic on errors."""
    settings, faults = validate(block, world.settings)
    frozen = sorted(k for k in RESTART_ONLY if getattr(settings, k) != getattr(world.settings, k))
    if frozen:
        raise ScenarioError(f"server.settings.{frozen[0]}: cannot change on a running emulator")
    if block.get("seed") is not None:
        world.reset(settings)
    elif settings != world.settings:
        world.configure(settings)
    if faults:
        world.faults.add_many(faults)


def block_from_json(body: bytes) -> dict[str, Any]:
    """The server block of a JSON (or YAML) request body."""
    try:
        doc = strict_json.loads(body)
    except strict_json.StrictJsonError:
        doc = parse_text(body.decode("utf-8", "replace"), "body")
    if not isinstance(doc, dict):
        raise ScenarioError("body: must be an object")
    return server_block(doc)
