"""The one layer around the router: journal, fault rules, error envelopes and autosave (pure ASGI).

Every request takes this one path, the control plane (/_mock) included:
1. an API request gets its journal entry at arrival (the control plane is not journalled);
2. when fault rules exist, the matching ones are applied around the router
   (mock_server/fault_actions.py; never to the control plane);
3. an ApiError, a routing error (404, 405) or an emulator bug raised before the answer started
   is answered with its envelope (a bug: code 500, logged, then re-raised for the server);
4. the entry gets the status, body code and content type the client got (an endpoint that knows
   them before it answers, endpoints.ScopeEndpoint, writes them itself and sends through
   DIRECT_SEND, a wrapper fewer per message), and its end times;
5. with `--state-file`, the autosaver is asked to save soon.
One layer instead of four (Starlette's two exception layers, the journal, the faults) is what
keeps the routed path within reach of bare Starlette: `python -m bench asgi` shows the cost.
"""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nemo_mock.server.errors import ApiError, Envelope, error_response
from nemo_mock.server.fault_actions import ConnectionDropped, FaultedExchange, pick
from nemo_mock.server.journal_middleware import (
    CONTROL_PREFIX,
    close_entry,
    open_entry,
    record_start,
)
from nemo_mock.server.snapshot import control_read
from nemo_mock.server.world import World

log = logging.getLogger("nemo_mock")

# scope key: the `send` below the exchange layer, for an endpoint that writes the journal's
# status, code and content type itself (endpoints.ScopeEndpoint); set only when no fault rule
# applies, since a rule's wrapper must see every message
DIRECT_SEND = "nemo_mock.direct_send"

_HTTP_TO_CODE = {404: 404, 405: 405}


class ExchangeMiddleware:
    """Journal, fault rules, error envelopes and autosave around `app` (Starlette's router)."""

    def __init__(self, app: ASGIApp, world: World) -> None:
        self.app = app
        self.world = world

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        world = self.world
        if "state" not in scope:  # uvicorn gives every request one; a bare ASGI caller may not
            scope["state"] = {}
        api = not scope["path"].startswith(CONTROL_PREFIX)
        if api:
            entry = open_entry(world, scope)
        else:  # the control plane's entry is a scratch dict, never journalled
            entry = scope["state"]["journal_entry"] = {"status": None}

        async def send_and_record(message: Message) -> None:
            if message["type"] == "http.response.start":
                record_start(entry, scope, message)
            await send(message)

        try:
            if api and world.faults:
                applied, headers = pick(world, scope)
                if applied:
                    exchange = FaultedExchange(world, self._answer, headers)
                    await exchange.run(scope, receive, send_and_record, applied)
                    return
            scope[DIRECT_SEND] = send
            await self.app(scope, receive, send_and_record)
        except ConnectionDropped:
            raise  # a dropped connection answers nothing
        except Exception as exc:
            await self._answer_error(scope, receive, send_and_record, exc)
        finally:
            # uvicorn's send is bound to the request cycle, which holds this scope: left in the
            # scope it would make a reference cycle of every exchange (freed only by the GC)
            scope.pop(DIRECT_SEND, None)
            if api:
                close_entry(world, entry)
            saver = world.runtime.autosaver  # set with --state-file (snapshot.attach)
            if saver is not None and (api or not control_read(scope)):
                saver.touch()

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The router's answer, or the envelope of what it raised (for fault wrappers' `send`)."""
        try:
            await self.app(scope, receive, send)
        except ConnectionDropped:
            raise
        except Exception as exc:
            await self._answer_error(scope, receive, send, exc)

    async def _answer_error(
        self, scope: Scope, receive: Receive, send: Send, exc: Exception
    ) -> None:
        """Answer `exc` with its envelope unless the answer started; re-raise what is not ours."""
        if scope["state"]["journal_entry"]["status"] is not None:
            raise exc  # the answer started: nothing more can be said on this connection
        await self._error(scope, exc)(scope, receive, send)
        if not isinstance(exc, ApiError | HTTPException):
            raise exc  # an emulator bug: the server logs it too

    def _error(self, scope: Scope, exc: Exception) -> Envelope:
        """The envelope answering `exc`."""
        if isinstance(exc, ApiError):
            return error_response(exc, self.world.settings.error_status)
        if isinstance(exc, HTTPException):
            code = _HTTP_TO_CODE.get(exc.status_code, 400)
            message = "No such endpoint." if exc.status_code == 404 else str(exc.detail)
            resp = Envelope(None, code=code, message=message, status=exc.status_code)
            if exc.headers:
                resp.headers.update(exc.headers)
            return resp
        log.exception("emulator bug on %s %s", scope["method"], scope["path"])
        return Envelope(None, code=500, message=f"Emulator error: {type(exc).__name__}", status=500)
