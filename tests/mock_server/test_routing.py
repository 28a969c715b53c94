"""The emulator's router picks the route, 404 or 405 that Starlette's own Router picks."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Route
from starlette.routing import Router as StarletteRouter
from starlette.types import Receive, Scope, Send

from nemo_mock.server.app import api_routes, control_routes
from nemo_mock.server.routing import Router

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


class _Recorder:
    """An ASGI endpoint that answers nothing (the test reads the route the router chose)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        return None


def _routes() -> list[BaseRoute]:
    """The emulator's paths and methods, each with a recorder as its endpoint."""
    out: list[BaseRoute] = []
    for route in [*api_routes(), *control_routes()]:
        assert isinstance(route, Route)
        out.append(Route(route.path, _Recorder(), methods=sorted(route.methods or ())))
    return out


def _paths() -> list[str]:
    """Every route path with its parameters filled, and near misses of each."""
    paths = {"/", "/api", "/api/", "/_mock", "/_mock/", "/media/renders/", "/nope"}
    for route in _routes():
        assert isinstance(route, Route)
        path = re.sub(r"\{[^}]+\}", "x1", route.path)
        paths |= {path, path + "/", path + "/x2", path[:-1], path.rsplit("/", 1)[0]}
        # what the regex's `[^/]+` and `$` allow: a final newline, a newline or a dot inside a
        # parameter, two newlines, an empty parameter
        paths |= {path + "\n", path + "\n\n", path + "\nx", "\n" + path}
        for value in ("x\n1", "x.1", "\n", "", "x 1"):
            paths.add(re.sub(r"\{[^}]+\}", value, route.path))
    return sorted(paths)


def _answer(router: StarletteRouter, method: str, path: str) -> tuple[str | None, int, Any]:
    scope: dict[str, Any] = {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "app": object(),  # as in the emulator: routing errors are raised, not answered
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    try:
        asyncio.run(router(scope, receive, send))
    except HTTPException as exc:  # Allow lists a set: its order is not stable
        allow = sorted((exc.headers or {}).get("Allow", "").split(", "))
        return None, exc.status_code, {"Allow": ", ".join(allow)}
    route = scope["route"]
    assert scope["endpoint"] is route.endpoint
    return route.path, 200, scope.get("path_params")


@pytest.mark.parametrize("method", METHODS)
def test_every_path_takes_the_route_starlette_takes(method: str) -> None:
    """One request path: the router only skips tries, never changes which route answers."""
    ours, theirs = Router(_routes()), StarletteRouter(_routes(), redirect_slashes=False)
    for path in _paths():
        assert _answer(ours, method, path) == _answer(theirs, method, path), (method, path)


def test_a_known_path_with_another_method_answers_405_with_allow() -> None:
    """A path that exists for other methods answers 405 and names them in Allow."""
    path, status, headers = _answer(Router(_routes()), "DELETE", "/api/credits/balance/simple")
    assert (path, status, sorted(headers["Allow"].split(", "))) == (None, 405, ["GET", "HEAD"])
