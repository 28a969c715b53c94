"""ApiError carries its wire code; one renderer turns it into the envelope from the catalogue."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from nemo_mock import contracts
from nemo_mock.server import strict_json


class ApiError(Exception):
    """An error answer: `code` from contracts/errors.yaml, an optional message and data."""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        data: dict[str, Any] | None = None,
        *,
        http_status: int | None = None,
    ) -> None:
        spec = contracts.errors().get(code)
        if spec is None:
            raise ValueError(f"code {code} is not in the error catalogue")
        self.code = code
        self.message = message or spec.message
        self.data = data
        self.http_status = http_status
        super().__init__(f"{code}: {self.message}")

    def status(self, mode: str) -> int:
        """HTTP status under `error_status` mode (an explicit status wins)."""
        if self.http_status is not None:
            return self.http_status
        return contracts.errors()[self.code].http_status(mode)


def json_bytes(obj: Any) -> bytes:
    """Compact UTF-8 JSON (separators `,` `:`, text not escaped), the one encoder of the wire.

    orjson writes it in a tenth of the standard library's time; what orjson refuses (keys that are
    not strings, integers beyond 64 bits, lone surrogates) goes through `strict_json.dumps`, so the
    wire is always strict JSON.
    """
    try:
        return orjson.dumps(obj)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return strict_json.dumps(obj)


def envelope_bytes(code: int, message: str, data: Any) -> bytes:
    """The envelope `{"code", "message", "data"}` as compact UTF-8 JSON."""
    return json_bytes({"code": code, "message": message, "data": data})


class Envelope(Response):
    """A JSON envelope response."""

    media_type = "application/json"

    def __init__(
        self, data: Any = None, code: int = 0, message: str = "success", status: int = 200
    ):
        self.code = code
        super().__init__(envelope_bytes(code, message, data), status_code=status)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope.setdefault("state", {})["code"] = self.code  # read by the journal middleware
        await super().__call__(scope, receive, send)


def error_response(exc: ApiError, mode: str) -> Envelope:
    """The envelope for `exc` with the HTTP status of `mode`."""
    return Envelope(exc.data, code=exc.code, message=exc.message, status=exc.status(mode))
