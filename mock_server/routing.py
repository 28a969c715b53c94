"""Starlette's router, trying only the routes a path can match: same answers, fewer tries.

Starlette's Router asks every route in turn whether it matches (a function call, the route path
computed again, a regex). Here each route's literal start (its path up to the first `{`) is known
once, and a route is asked only when the request path starts with it: a route whose path cannot
start that way cannot match. Order, partial matches (405) and the 404 stay Starlette's.
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
    """A Router (no trailing-slash redirects) that skips routes whose literal start differs."""

    def __init__(self, routes: list[BaseRoute]) -> None:
        # no trailing-slash redirects: Starlette builds them from the Host header (any client sets
        # it); an unknown path answers 404 instead
        super().__init__(routes, redirect_slashes=False)
        self._starts = [(literal_start(route), route) for route in self.routes]

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("root_path")  # mounted: Starlette's own rules for the route path
            or len(self._starts) != len(self.routes)  # routes added later
        ):
            await super().app(scope, receive, send)
            return
        if "router" not in scope:
            scope["router"] = self
        path = scope["path"]
        partial = None
        for start, route in self._starts:
            if not path.startswith(start):
                continue
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                scope["route"] = route
                scope.update(child_scope)
                await route.handle(scope, receive, send)
                return
            if match is Match.PARTIAL and partial is None:
                partial, partial_scope = route, child_scope
        if partial is not None:  # the path matched with another method: 405
            scope["route"] = partial
            scope.update(partial_scope)
            await partial.handle(scope, receive, send)
            return
        await self.default(scope, receive, send)
