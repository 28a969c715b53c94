"""POST /run_sse: the agent turn. Placeholder until the turn engine lands."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from mock_server.errors import ApiError
from mock_server.http import user_of


async def run_sse(request: Request) -> Response:
    """Not implemented yet: answers 501 in the envelope after authentication."""
    user_of(request)
    raise ApiError(501, "/run_sse is not implemented by this emulator build yet.")
