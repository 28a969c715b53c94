"""The nemo-client command (client/cli.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from client_fakes import API, MediaAwareBackend, text

from nemo_mock import client
from nemo_mock.client import Agent, Config, cli


@pytest.fixture
def run(
    backend: MediaAwareBackend, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Callable[..., int]:
    """Run main() against the fake API with the documented environment."""
    for name in ("NEMO_TOKEN", "NEMO_CLIENT_ID", "NEMO_WEB_URL", "SKILL_SOURCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NEMO_API_URL", API)
    monkeypatch.setenv("NEMO_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("NEMO_DOWNLOAD_DIR", str(tmp_path / "dl"))
    monkeypatch.setenv("NEMO_TIME_SCALE", "1000000")

    def agent(config: Config, **kwargs: Any) -> Agent:
        return Agent(config, backend.transport, sleep=lambda _s: None, **kwargs)

    monkeypatch.setattr(cli, "Agent", agent)
    return lambda *argv: cli.main(list(argv))


def test_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    """Documented exit codes: 0 ok, 1 API/user-facing failure, 2 usage, 3 timeout/network."""
    with pytest.raises(SystemExit) as info:
        cli.main(["--help"])
    assert info.value.code == 0
    help_text = capsys.readouterr().out
    for line in ("0  done", "1  the API", "2  usage", "3  timeout or network"):
        assert line in help_text


def test_usage_error_exits_2(run: Callable[..., int]) -> None:
    """Exit code 2 for usage errors."""
    with pytest.raises(SystemExit) as info:
        run("upload")
    assert info.value.code == 2


def test_say_routes_and_prints_the_answer(
    run: Callable[..., int], backend: MediaAwareBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    """`say "<text>"` routes as the table says; stdout is what the user sees."""
    backend.stream(text("Added music. Click Export to download."))
    assert run("say", "add background music") == 0
    out = capsys.readouterr().out
    assert "Added music." in out and "Click" not in out
    assert len(backend.calls("POST", "/run_sse")) == 1


def test_bare_utterance_is_said(
    run: Callable[..., int], backend: MediaAwareBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bare utterance (first word not a subcommand) is `say`: nemo-client "add music"."""
    assert run("add music") == 0
    assert len(backend.calls("POST", "/run_sse")) == 1
    assert run("show tracks") == 0
    assert "Timeline (1 track)" in capsys.readouterr().out


def test_subcommands(
    run: Callable[..., int],
    backend: MediaAwareBackend,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """credits, status, upload PATH, export -o FILE."""
    clip = tmp_path / "a.mp4"
    clip.write_bytes(b"x")
    assert run("credits") == 0
    assert run("status") == 0
    assert run("upload", str(clip)) == 0
    assert run("export", "-o", str(tmp_path / "v.mp4")) == 0
    out = capsys.readouterr().out
    assert "Credits: 70 available" in out
    assert "Uploaded a.mp4" in out
    assert (tmp_path / "v.mp4").read_bytes() == b"MP4-BYTES"
    assert "Rendering... 100%" in out  # no progress bar when stdout is not a TTY


def test_api_failure_exits_1_and_network_failure_exits_3(
    run: Callable[..., int], backend: MediaAwareBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1 API/user-facing failure, 3 timeout/network."""
    backend.once("POST", "/api/render/proxy/lambda", backend.error(402))
    assert run("export") == 1
    monkeypatch.setenv("NEMO_API_URL", "http://127.0.0.1:9")
    monkeypatch.setattr(cli, "Agent", Agent)
    assert run("credits") == 3


def test_token_is_never_printed(
    run: Callable[..., int], backend: MediaAwareBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    """The token is never printed to stdout or stderr."""
    for argv in (("credits",), ("status",), ("add music",), ("export",)):
        run(*argv)
    captured = capsys.readouterr()
    assert backend.minted == 1
    assert "SECRET" not in captured.out + captured.err


def test_interactive_prompt(
    run: Callable[..., int], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Run without arguments: an interactive prompt until EOF or "exit"."""
    lines = iter(["credits", "exit"])
    monkeypatch.setattr("builtins.input", lambda _prompt: next(lines))
    assert run() == 0
    assert "Credits: 70 available" in capsys.readouterr().out


def test_public_surface() -> None:
    """The package re-exports a short, sorted __all__, and every name exists."""
    assert client.__all__ == sorted(client.__all__)
    assert all(hasattr(client, name) for name in client.__all__)


def test_client_never_imports_the_emulator() -> None:
    """The client must never import mock_server."""
    root = Path(client.__file__).parent
    for source in root.glob("*.py"):
        assert "mock_server" not in source.read_text(), source.name


def test_progress_bar_on_a_terminal() -> None:
    """A progress bar on export when stdout is a terminal."""
    import io

    from rich.console import Console

    buf = io.StringIO()
    bar = cli._Bar(Console(file=buf, force_terminal=True, width=80))
    for fraction in (0.1, 0.5, 1.0):
        bar.update(fraction)
    bar.stop()
    assert "100%" in buf.getvalue() and "━" in buf.getvalue()
