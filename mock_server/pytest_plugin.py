"""pytest plugin (entry point `nemo_mock`): the emulator as a fixture.

    def test_export_retries_once(nemo_mock):
        nemo_mock.faults.add({"match": {"method": "POST", "path": "/api/render/proxy/lambda"},
                              "times": 1, "action": {"type": "render_fail"}})
        run_my_client(base_url=nemo_mock.url)
        nemo_mock.journal.expect().request("POST", "/api/render/proxy/lambda").count(2)

One emulator per test session on a free loopback port (in-process, uvicorn in a thread); every
test gets it reset: no state, no journal, no fault rules, the session's settings. Change settings
for one test with `nemo_mock.configure(...)` or `@pytest.mark.nemo_mock(error_status="http")`;
for the whole session override the `nemo_mock_settings` fixture or set the ini option
`nemo_mock_settings` (lines of NAME=VALUE). Defaults: seed 0, time_scale 600.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from nemo_mock.server.faults import FaultRule
    from nemo_mock.server.journal import Journal
    from nemo_mock.server.model import Token, User
    from nemo_mock.server.serving import LiveServer
    from nemo_mock.server.settings import Settings
    from nemo_mock.server.verify import Expect
    from nemo_mock.server.world import World

DEFAULTS: dict[str, Any] = {"seed": 0, "time_scale": 600.0}
INI = "nemo_mock_settings"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        INI,
        "nemo_mock fixture: session-wide emulator settings (NAME=VALUE lines)",
        type="linelist",
        default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "nemo_mock(**settings): emulator settings for one test (nemo_mock fixture)"
    )


class JournalView:
    """The emulator's journal with the verify helpers."""

    def __init__(self, world: World) -> None:
        self._world = world

    @property
    def raw(self) -> Journal:
        """The Journal object itself."""
        return self._world.journal

    def entries(self, **filters: Any) -> list[dict[str, Any]]:
        """Entries filtered like GET /_mock/journal (method, path, code, status, since)."""
        return self._world.journal.query(filters)

    def __len__(self) -> int:
        return len(self._world.journal)

    def expect(self, since: int | None = None) -> Expect:
        """The one expectation engine (as POST /_mock/verify): `.holds({...})` for any
        expectation of the language, `.request(method, path).count(n)`, `.spaced(...)`,
        `.in_order([...])`."""
        from nemo_mock.server.verify import expect

        return expect(self._world.journal, since)

    def clear(self) -> None:
        """Forget every entry."""
        self._world.journal.clear()


class ClockView:
    """The virtual clock."""

    def __init__(self, world: World) -> None:
        self._world = world

    def now(self) -> float:
        """Virtual time."""
        return self._world.clock.now()

    def advance(self, seconds: float) -> float:
        """Jump forward; returns the new virtual time."""
        return self._world.clock.advance(seconds)


class FaultsView:
    """Fault rules from Python (same JSON shape as POST /_mock/faults)."""

    def __init__(self, world: World) -> None:
        self._world = world

    def add(self, rule: Mapping[str, Any] | None = None, **fields: Any) -> FaultRule:
        """Add a rule (a mapping, or keyword fields: match=..., times=..., action=...)."""
        return self._world.faults.add({**(rule or {}), **fields})

    def rules(self) -> list[FaultRule]:
        """Every rule with its counters."""
        return self._world.faults.rules()

    def remove(self, rule_id: str) -> bool:
        """Remove one rule."""
        return self._world.faults.remove(rule_id)

    def clear(self) -> None:
        """Remove every rule."""
        self._world.faults.clear()


class NemoMock:
    """What the `nemo_mock` fixture gives a test."""

    def __init__(self, server: LiveServer, base: Settings) -> None:
        self._server = server
        self._base = base
        self.url: str = server.url
        self.world: World = server.world
        self.journal = JournalView(self.world)
        self.clock = ClockView(self.world)
        self.faults = FaultsView(self.world)

    @property
    def settings(self) -> Settings:
        """The settings in force."""
        return self.world.settings

    def configure(self, **overrides: Any) -> Settings:
        """Change settings for this test only, e.g. `configure(error_status="http")`."""
        self.world.configure(self.world.settings.merged(overrides))
        return self.world.settings

    def register_user(self, credits: int = 100) -> tuple[Token, User]:
        """A registered user with `credits` and a token for it."""
        return self.world.register_user(credits)

    def expire_token(self, token: str) -> None:
        """Expire a token now (its next use answers 1001)."""
        self.world.expire_token(self.world.tokens[token])

    def revoke_token(self, token: str) -> None:
        """Revoke a token (its next use answers 1001)."""
        self.world.revoke_token(self.world.tokens[token])

    def scenario(self, block: Mapping[str, Any]) -> None:
        """Apply a scenario's server block (seed, settings, faults)."""
        from nemo_mock.server.server_block import apply_server_block, server_block

        apply_server_block(self.world, server_block(block))

    def reset(self, **overrides: Any) -> None:
        """Back to a fresh emulator with the session's settings (plus `overrides`)."""
        self.world.reset(self._base.merged(overrides) if overrides else self._base)


def _parse_ini(lines: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in lines:
        name, sep, value = item.partition("=")
        if not sep:
            raise pytest.UsageError(f"{INI}: expected NAME=VALUE, got {item!r}")
        out[name.strip().replace("-", "_")] = value.strip()
    return out


@pytest.fixture(scope="session")
def nemo_mock_settings(pytestconfig: pytest.Config) -> dict[str, Any]:
    """Session-wide emulator settings (override this fixture, or use the ini option)."""
    return {**DEFAULTS, **_parse_ini(list(pytestconfig.getini(INI)))}


@pytest.fixture(scope="session")
def _nemo_mock_server(nemo_mock_settings: dict[str, Any]) -> Iterator[LiveServer]:
    from nemo_mock.server.serving import LiveServer
    from nemo_mock.server.settings import Settings

    server = LiveServer(Settings().merged(nemo_mock_settings))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def nemo_mock(_nemo_mock_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[NemoMock]:
    """The emulator, reset for this test: `.url`, `.journal`, `.clock`, `.faults`, `.world`."""
    server = _nemo_mock_server
    base = server.settings
    marker = request.node.get_closest_marker("nemo_mock")
    per_test = dict(marker.kwargs) if marker else {}
    server.world.reset(base.merged(per_test) if per_test else base)
    try:
        yield NemoMock(server, base)
    finally:
        server.world.reset(base)
