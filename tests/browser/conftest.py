"""Headless Chromium from the OS packages, driven by Playwright for Python.

Playwright's own browser download is not reachable here, so the tests launch the Debian
`chromium` binary. Where it (or the playwright package) is missing they skip, saying how to
install it. Screenshots land in build/screenshots/ (a CI artifact; not committed).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("NEMO_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
WAIT_MS = 10_000  # every wait in the page has this deadline


@pytest.fixture
def browser() -> Iterator[Any]:
    """A headless Chromium (skips when chromium or playwright is missing).

    Per test, not per session: while Playwright's sync API runs, its event loop counts as running
    in the main thread, and other tests of the same worker that call asyncio.run() would fail.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed: pip install -e '.[test]'")
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed: apt-get install -y chromium (or set NEMO_CHROMIUM)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page; every request it makes to a non-local host is recorded in `page.outside`."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(WAIT_MS)
    outside: list[str] = []

    def watch(request: Any) -> None:
        url = request.url
        if not url.startswith(("file://", "http://127.0.0.1", "data:", "about:")):
            outside.append(url)

    pg.on("request", watch)
    pg.outside = outside
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture
def screenshot() -> Any:
    """`screenshot(page, name)`: a full-page PNG in build/screenshots/ (a test artifact)."""

    def take(pg: Any, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        pg.screenshot(path=str(path), full_page=True)
        return path

    return take
