"""pytest layer of the server contract suite (options, the target fixture, the report).

Usage: `pytest tests/contract_suite --base-url URL [--capability NAME[=VALUE] ...]
[--capabilities FILE]`.
Without --base-url the suite starts our own emulator (127.0.0.1, free port) once per
error_status mode and checks it with every capability declared.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from nemo_contract.report import render, rows
from nemo_contract.selfhost import emulator_target, runs_sse, start_emulator
from nemo_contract.target import Capabilities, CapabilityError, Target, is_loopback

SELF_MODES = ("body", "http")
REMOTE_PACE = 0.5  # seconds between requests against a non-loopback target
REMOTE_EXAMPLES = 5


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract", "nemo_agent server contract suite")
    group.addoption(
        "--base-url", default=None, help="server to check (default: start our emulator)"
    )
    group.addoption(
        "--capability",
        action="append",
        default=[],
        metavar="NAME[=VALUE]",
        help="declare a capability: control_plane, virtual_clock, credits_topup, spend_credits, "
        "error_status=body|http, admin_token=..., heartbeat_interval=SECONDS (repeatable)",
    )
    group.addoption(
        "--capabilities", default=None, metavar="FILE", help="YAML file declaring capabilities"
    )
    group.addoption(
        "--allow-remote",
        action="store_true",
        default=False,
        help="allow a non-loopback --base-url (paced, fewer examples, no credits spent)",
    )
    group.addoption(
        "--spend-credits",
        action="store_true",
        default=False,
        help="allow checks that spend credits on a remote target",
    )
    group.addoption(
        "--fuzz-examples", type=int, default=None, help="schemathesis examples per operation"
    )
    group.addoption("--junit", default=None, metavar="PATH", help="alias of --junitxml")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "contract: a server contract check (DESIGN §9)")
    config.addinivalue_line(
        "markers", "should: a SHOULD-level check: a failure is reported (xfail), never fatal"
    )
    junit = config.getoption("--junit", None)
    if junit and not getattr(config.option, "xmlpath", None):
        config.option.xmlpath = junit
    base_url = config.getoption("--base-url", None)
    if base_url and not is_loopback(base_url) and not config.getoption("--allow-remote", False):
        raise pytest.UsageError(
            f"refusing to check non-loopback {base_url}: pass --allow-remote (the suite then paces "
            f"itself to one request per {REMOTE_PACE} s and spends no credits unless "
            "--spend-credits)"
        )
    try:
        Capabilities.parse(
            config.getoption("--capability", None) or [], config.getoption("--capabilities", None)
        )
    except CapabilityError as exc:
        raise pytest.UsageError(str(exc)) from exc


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target_name" in metafunc.fixturenames:
        names = (
            ["target"]
            if metafunc.config.getoption("--base-url", None)
            else [f"emulator-{m}" for m in SELF_MODES]
        )
        metafunc.parametrize("target_name", names, scope="session")


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest, target_name: str) -> Iterator[Target]:
    """The server under test (the --base-url one, or our emulator in one error_status mode)."""
    config = request.config
    base_url = config.getoption("--base-url", None)
    examples = config.getoption("--fuzz-examples", None)
    if base_url:
        caps = Capabilities.parse(
            config.getoption("--capability", None) or [], config.getoption("--capabilities", None)
        )
        remote = not is_loopback(base_url)
        if not remote or config.getoption("--spend-credits", False):
            caps = Capabilities(
                caps.names | {"spend_credits"},
                caps.error_status,
                caps.admin_token,
                caps.heartbeat_interval,
            )
        t = Target(
            base_url,
            caps,
            pace=REMOTE_PACE if remote else 0.0,
            fuzz_examples=examples or (REMOTE_EXAMPLES if remote else 15),
            label="target",
        )
        yield t
        t.close()
        return
    mode = target_name.removeprefix("emulator-")
    server = start_emulator(mode)
    t = emulator_target(server.url, mode, fuzz_examples=examples or 12)
    t.label = target_name
    t.self_hosted = True  # type: ignore[attr-defined]
    try:
        yield t
    finally:
        t.close()
        server.stop()


_SSE_WORKS: dict[str, bool] = {}


@pytest.fixture
def known_gap(request: pytest.FixtureRequest, target: Target) -> None:
    """On our own emulator, an SSE check is a known gap (strict xfail).

    It stays one while /run_sse answers 501.
    """
    spec = request.node.callspec.params.get("spec")
    if spec is None or not spec.sse or not getattr(target, "self_hosted", False):
        return
    if target.label not in _SSE_WORKS:
        _SSE_WORKS[target.label] = runs_sse(target)
    if not _SSE_WORKS[target.label]:
        request.node.add_marker(
            pytest.mark.xfail(
                reason="known gap: the emulator's /run_sse answers 501 (turn engine not landed); "
                "checked against the documented contract anyway",
                strict=True,
            )
        )
        request.node.user_properties.append(("contract_result", "known gap"))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    reports = [
        rep
        for key in terminalreporter.stats
        for rep in terminalreporter.stats[key]
        if hasattr(rep, "when")
    ]
    table = rows(reports)
    if not table:
        return
    terminalreporter.section("nemo_agent contract report")
    for line in render(table, width=terminalreporter._tw.fullwidth or 160):
        terminalreporter.write_line(line)
    terminalreporter.write_line(
        "exit status is 0 exactly when every MUST check passed or was not applicable"
    )
