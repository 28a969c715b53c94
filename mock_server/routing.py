"""Starlette's router, trying only the routes a path can match: same answers, fewer tries.

Starlette's Router asks every route in turn whether it matches (a function call, the route path
computed again, a regex, a child scope merged). Here each route's literal start (its path up to
the first `{`) is known once, and a route is tried only when the request path starts with it: a
route whose path cannot start that way cannot match. Order, partial matches (405) and the 404
stay Starlette's; tests/mock_server/test_routing.py holds the two routers to the same answers.
"""

from __future__ import annotations

from starlette import routing
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Receive, Scope, Send


def literal_start(route: BaseRoute) -> str:
    """The part of `route`'s path every matching request path starts with ("" when unknown)."""
    if isinstance(route, Route):
        return route.path.split("{", 1)[0]
    return ""


class Router(routing.Router):
    """A Router (no trailing-slash redirects) that skips routes whose literal start differs.

    For a plain `Route` the match is Route.matches inlined (its regex, its convertors, the same
    `endpoint`, `path_params` and `route` in the scope) and a full match calls the route's app
    directly, as Route.handle does once the method is allowed; any other route is asked itself.
    """

    def __init__(self, routes: list[BaseRoute]) -> None:
        # no trailing-slash redirects: Starlette builds them from the Host header (any client sets
        # it); an unknown path answers 404 instead
        super().__init__(routes, redirect_slashes=False)
        self._count = len(self.routes)
        self._table: list[tuple[str, BaseRoute, Route | None]] = [
            (literal_start(route), route, route if type(route) is Route else None)
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
        for start, route, plain in self._table:
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
