"""Starlette's router, trying only the routes a path can match: same answers, fewer tries.

Starlette's Router asks every route in turn whether it matches (a function call, the route path
computed again, a regex, a child scope merged). Here each route's literal start (its path up to
the first `{`) is known once, and a route is tried only when the request path starts with it: a
route whose path cannot start that way cannot match. Order, partial matches (405) and the 404
stay Starlette's; tests/mock_server/test_routing.py holds the two routers to the same answers.
"""

from __future__ import annotations

from typing import Any

from starlette import routing
from starlette.convertors import StringConvertor
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Receive, Scope, Send


def literal_start(route: BaseRoute) -> str:
    """The part of `route`'s path every matching request path starts with ("" when unknown)."""
    if isinstance(route, Route):
        return route.path.split("{", 1)[0]
    return ""


def one_parameter(route: BaseRoute) -> tuple[str, str] | None:
    """(name, literal end) of `route`'s only parameter when it is a plain string between the
    route's literal start and a literal end (`/renders/{id}`, `/state/{id}/latest`), else None.

    Starlette matches such a route with the regex `^start(?P<name>[^/]+)end$`: the parameter is
    any non-empty text without a slash, and `$` also matches before a final newline. So the path
    matches when it is start + parameter + end, or that and one newline (which, when `end` is
    empty, the greedy class has already taken into the parameter); `match_one` says so by
    slicing the path, without the regex engine.
    """
    if type(route) is not Route or len(route.param_convertors) != 1:
        return None
    ((name, convertor),) = route.param_convertors.items()
    if type(convertor) is not StringConvertor:
        return None
    start = literal_start(route)
    for written in (f"{{{name}}}", f"{{{name}:str}}"):
        if route.path.startswith(start + written):
            end = route.path[len(start) + len(written) :]
            return None if "{" in end else (name, end)
    return None


def match_one(rest: str, end: str) -> str | None:
    """The parameter's value when `rest` (the path after the literal start) is a value and then
    `end` (see one_parameter), else None."""
    if end:
        if rest.endswith(end):
            rest = rest[: -len(end)]
        elif rest.endswith(end + "\n"):
            rest = rest[: -len(end) - 1]
        else:
            return None
    if not rest or "/" in rest:
        return None
    return rest


class Router(routing.Router):
    """A Router (no trailing-slash redirects) that skips routes whose literal start differs.

    For a plain `Route` the match is Route.matches inlined (its regex, its convertors, the same
    `endpoint`, `path_params` and `route` in the scope; a route with no parameter, or with one
    string parameter (`one_parameter`), is matched by comparing and slicing the path) and a full
    match calls the route's app directly, as Route.handle does once the method is allowed; any
    other route is asked itself.
    """

    def __init__(self, routes: list[BaseRoute]) -> None:
        # no trailing-slash redirects: Starlette builds them from the Host header (any client sets
        # it); an unknown path answers 404 instead
        super().__init__(routes, redirect_slashes=False)
        self._count = len(self.routes)
        self._table: list[tuple[str, BaseRoute, Route | None, bool, tuple[str, str] | None]] = [
            (
                literal_start(route),
                route,
                route if type(route) is Route else None,
                type(route) is Route and not route.param_convertors,
                one_parameter(route),
            )
            for route in self.routes
        ]

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("root_path")  # mounted: Starlette's own rules for the route path
            or "path_params" in scope  # inside a mount: Starlette merges the outer parameters
            or len(self.routes) != self._count  # routes added later
        ):
            await super().app(scope, receive, send)
            return
        if "router" not in scope:
            scope["router"] = self
        path, method = scope["path"], scope["method"]
        partial = None
        for start, route, plain, literal, one in self._table:
            if not path.startswith(start):
                continue
            if plain is None:
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope["route"] = route
                    scope.update(child_scope)
                    await route.handle(scope, receive, send)
                    return
                if match is Match.PARTIAL and partial is None:
                    partial, partial_scope = route, child_scope
                continue
            if literal:  # no parameter: the path itself, or it and a newline (`$`)
                if len(path) != len(start) and path[len(start) :] != "\n":
                    continue
                params: dict[str, Any] = {}
            elif one is not None:  # one string parameter: sliced out (one_parameter)
                value = match_one(path[len(start) :], one[1])
                if value is None:
                    continue
                params = {one[0]: value}
            else:
                found = plain.path_regex.match(path)
                if found is None:
                    continue
                params = found.groupdict()
                for key, value in params.items():
                    params[key] = plain.param_convertors[key].convert(value)
            child_scope = {"endpoint": plain.endpoint, "path_params": params}
            if plain.methods and method not in plain.methods:
                if partial is None:
                    partial, partial_scope = route, child_scope
                continue
            scope["route"] = route
            scope.update(child_scope)
            await plain.app(scope, receive, send)
            return
        if partial is not None:  # the path matched with another method: 405
            scope["route"] = partial
            scope.update(partial_scope)
            await partial.handle(scope, receive, send)
            return
        await self.default(scope, receive, send)
