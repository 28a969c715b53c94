"""Restoring a snapshot: validated in full before anything is replaced.

`parse` checks a snapshot against contracts/schemas/snapshot.json, every session's draft against
the draft schema, the references between entities and the fault rules, and builds the new state
aside; only then does `apply` swap it into the World (which cannot fail). An invalid snapshot
changes nothing, and the error names the first wrong place (`sessions[2].user_id: ...`).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import jsonschema

from nemo_mock import contracts
from nemo_mock.server import strict_json
from nemo_mock.server.faults import Faults, RuleError
from nemo_mock.server.model import Claim, Render, Session, Token, User, load
from nemo_mock.server.world import World, render_key

FORMAT = "nemo-mock-state/1"


class SnapshotError(ValueError):
    """A snapshot cannot be restored; the message says where and why."""


@dataclass
class Parsed:
    """A validated snapshot, built aside from the World."""

    users: dict[str, User]
    tokens: dict[str, Token]
    sessions: dict[str, Session]
    renders: dict[str, Render]
    claims: dict[str, Claim]
    mints: deque[tuple[str, float]]
    ids: Counter[str]
    faults: dict[str, Any]  # validated by loading them into a scratch Faults
    seed: int | None
    now: float
    time_scale: float | None


def _where(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _validator(name: str) -> jsonschema.protocols.Validator:
    schema = contracts.json_schema(name)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def _check(validator: jsonschema.protocols.Validator, data: Any, prefix: str) -> None:
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        first = errors[0]
        where = _where([*([prefix] if prefix else []), *first.absolute_path])
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise SnapshotError(f"{where}: {first.message}{more}")


def parse_bytes(raw: bytes, where: str = "snapshot") -> Parsed:
    """A snapshot from bytes: strict JSON first (UTF-8, no NaN, no lone surrogates)."""
    try:
        data = strict_json.loads(raw)
    except strict_json.StrictJsonError as exc:
        raise SnapshotError(f"{where} is not valid JSON: {exc}") from exc
    return parse(data)


def parse(data: Any) -> Parsed:
    """Validate `data` in full and build the state it describes (SnapshotError otherwise)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SnapshotError(f"not a snapshot: `format` must be {FORMAT!r}")
    _check(_validator("snapshot"), data, "")
    draft = _validator("draft")
    for i, s in enumerate(data.get("sessions", [])):
        if "draft" in s:
            _check(draft, s["draft"], f"sessions[{i}].draft")
    users = _unique("users", "id", [load(User, x) for x in data.get("users", [])])
    tokens = _unique("tokens", "value", [load(Token, x) for x in data.get("tokens", [])])
    sessions = _unique("sessions", "id", [load(Session, x) for x in data.get("sessions", [])])
    claims = _unique("claims", "value", [load(Claim, x) for x in data.get("claims", [])])
    render_list = [load(Render, x) for x in data.get("renders", [])]
    renders = _unique("renders", "key", render_list, key=lambda r: render_key(r.user_id, r.id))
    for i, u in enumerate(users.values()):
        if u.frozen > u.total:
            raise SnapshotError(f"users[{i}].frozen: {u.frozen} is more than total {u.total}")
    _refs("tokens", tokens.values(), "user_id", users)
    _refs("sessions", sessions.values(), "user_id", users)
    _refs("renders", render_list, "user_id", users)
    _refs("renders", render_list, "session_id", sessions)
    _refs("claims", claims.values(), "user_id", users)
    _refs("claims", claims.values(), "session_id", sessions)
    faults = data.get("faults") or {}
    try:
        Faults().load(faults)
    except RuleError as exc:
        raise SnapshotError(f"faults.rules: {exc}") from exc
    clock = data["clock"]
    return Parsed(
        users=users,
        tokens=tokens,
        sessions=sessions,
        renders=renders,
        claims=claims,
        mints=deque((str(ip), float(t)) for ip, t in data.get("mints", [])),
        ids=Counter({str(k): int(v) for k, v in (data.get("ids") or {}).items()}),
        faults=faults,
        seed=data.get("seed"),
        now=float(clock["now"]),
        time_scale=float(clock["time_scale"]) if "time_scale" in clock else None,
    )


def _unique(kind: str, name: str, items: list[Any], key: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, item in enumerate(items):
        k = key(item) if key else getattr(item, name)
        if k in out:
            raise SnapshotError(f"{kind}[{i}].{name}: {k!r} appears twice")
        out[k] = item
    return out


def _refs(kind: str, items: Iterable[Any], field: str, targets: dict[str, Any]) -> None:
    for i, item in enumerate(items):
        value = getattr(item, field)
        if value not in targets:
            raise SnapshotError(f"{kind}[{i}].{field}: {value!r} names nothing in the snapshot")


def apply(world: World, parsed: Parsed) -> None:
    """Swap a validated snapshot into `world` (settings other than seed and time_scale kept)."""
    seed = world.settings.seed if parsed.seed is None else parsed.seed
    scale = world.clock.time_scale if parsed.time_scale is None else parsed.time_scale
    if seed != world.settings.seed or scale != world.settings.time_scale:
        world.settings = world.settings.merged({"seed": seed, "time_scale": scale})
    world.reset()
    world.users, world.tokens, world.sessions = parsed.users, parsed.tokens, parsed.sessions
    world.renders, world.claims, world.mints = parsed.renders, parsed.claims, parsed.mints
    world.ids.counts = parsed.ids
    if parsed.faults:
        world.faults.load(parsed.faults)
    world.clock.restore(parsed.now, scale)
