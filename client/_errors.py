"""One exception tree for the client; every error carries a code, an HTTP status and a hint.

::

    NemoError
    ├── ApiError                 an error envelope (or an HTTP error status without one)
    │   ├── TokenInvalid         1001  bad or expired token
    │   ├── SessionNotFound      1002
    │   ├── NoCredits            2001  (``bind_id`` from data.bind_id)
    │   ├── UnsupportedFile      4001
    │   ├── FileTooLarge         4002
    │   ├── BadRequest           400   (missing X-Client-Id, malformed request)
    │   ├── ExportBlocked        402   free plan; not a credits problem
    │   ├── NotFound             404
    │   └── RateLimited          429
    ├── NetworkError             could not reach the API, or the connection broke
    ├── TurnTimeout              the agent only sent heartbeats for too long
    ├── RenderFailed             the export render failed twice
    │   └── RenderTimeout        ... or was still running after the last poll
    └── UsageError               the user asked for something impossible (no file, empty draft)
"""

from __future__ import annotations

from typing import Any

from nemo_mock import contracts


class NemoError(Exception):
    """Base of every client error: ``code`` (wire code or 0), ``status`` (HTTP or 0), ``hint``."""

    exit_code = 1
    default_hint = "Try again later."

    def __init__(
        self, message: str = "", *, code: int = 0, status: int = 0, hint: str | None = None
    ) -> None:
        self.code = code
        self.status = status
        self.hint = self.default_hint if hint is None else hint
        super().__init__(message or self.hint)

    @property
    def message(self) -> str:
        """The human message (never contains a token)."""
        return str(self)


class ApiError(NemoError):
    """The API answered with an error envelope (``code != 0``) or an HTTP error status."""

    def __init__(
        self,
        message: str = "",
        *,
        code: int = 0,
        status: int = 0,
        data: Any = None,
        hint: str | None = None,
    ) -> None:
        spec = contracts.errors().get(code)
        super().__init__(
            message or (spec.message if spec else f"API error {code}"),
            code=code,
            status=status,
            hint=hint or (spec.action if spec else None),
        )
        self.data = data if isinstance(data, dict) else {}


class TokenInvalid(ApiError):
    """1001: the token is missing, invalid or expired; re-authenticate and retry once."""


class SessionNotFound(ApiError):
    """1002: the session is gone; create a new one (the old timeline is lost)."""


class NoCredits(ApiError):
    """2001: not enough credits; anonymous users register, registered users top up."""

    @property
    def bind_id(self) -> str | None:
        """The id for ``/register?bind=<id>`` (data.bind_id), when the API sent one."""
        value = self.data.get("bind_id")
        return str(value) if value else None


class UnsupportedFile(ApiError):
    """4001: the file type is not supported."""


class FileTooLarge(ApiError):
    """4002: the file is over the upload limit; compress or trim it."""


class BadRequest(ApiError):
    """400: missing X-Client-Id or a malformed request."""


class ExportBlocked(ApiError):
    """402: free plan export blocked (or missing attribution headers) — not a credits problem."""

    default_hint = "Register or upgrade your plan to unlock export."


class NotFound(ApiError):
    """404: unknown render id or route."""


class RateLimited(ApiError):
    """429: rate limited; wait 30 seconds and retry once."""


class NetworkError(NemoError):
    """The API could not be reached, or the connection broke mid-answer."""

    exit_code = 3
    default_hint = "Check your connection (NEMO_API_URL) and try again."

    def __init__(self, message: str = "", *, sent: bool = True, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        #: False when the request certainly never reached the server (connect failed).
        self.sent = sent


class TurnTimeout(NemoError):
    """The agent sent only heartbeats for too long (or the turn ran past its cap)."""

    exit_code = 3
    default_hint = "The backend is taking too long. Say 'status' to check your timeline."


class RenderFailed(NemoError):
    """The export render failed twice or did not finish in time."""

    default_hint = "Say 'export' to try again."


class RenderTimeout(RenderFailed):
    """The render was still running after the documented number of polls."""

    exit_code = 3
    default_hint = "The render is taking unusually long. Say 'export' to try again later."


class UsageError(NemoError):
    """Something the user asked for cannot be done as asked (the message says what to do)."""

    default_hint = ""


_BY_CODE: dict[int, type[ApiError]] = {
    1001: TokenInvalid,
    1002: SessionNotFound,
    2001: NoCredits,
    4001: UnsupportedFile,
    4002: FileTooLarge,
    400: BadRequest,
    402: ExportBlocked,
    404: NotFound,
    429: RateLimited,
}

# Without an envelope only the HTTP status is left; `http` mode maps app codes to these.
_BY_STATUS = {401: 1001, 413: 4002, 415: 4001}


def error_for(code: int, status: int, message: str = "", data: Any = None) -> ApiError:
    """The exception for a wire code (from the envelope) answered with HTTP ``status``."""
    cls = _BY_CODE.get(code, ApiError)
    return cls(message, code=code, status=status, data=data)


def error_for_status(status: int, message: str = "") -> ApiError:
    """The exception for an HTTP error status that came without a JSON envelope."""
    code = _BY_STATUS.get(status, status)
    return error_for(code, status, message)
