"""The API layer: one method per endpoint over an injectable httpx transport.

Each method returns a typed result or raises from the exception tree. The error is decided by
the envelope's ``code`` whenever a JSON envelope is present (both ``error_status`` modes), and
by the HTTP status otherwise. The token travels only in the Authorization header.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from nemo_mock import contracts
from nemo_mock.client._config import Config
from nemo_mock.client._errors import ApiError, NetworkError, error_for, error_for_status
from nemo_mock.client._models import (
    Credits,
    RenderJob,
    Session,
    SessionState,
    TokenGrant,
    UploadedFile,
)

APP = "nemo_agent"


def api_path(operation_id: str, **params: str) -> str:
    """The path of an operation of contracts/openapi.yaml, its `{params}` filled (URL-quoted)."""
    template = contracts.openapi_path(operation_id)
    return template.format_map({k: quote(v, safe="") for k, v in params.items()})


JSON_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
UPLOAD_TIMEOUT = httpx.Timeout(30.0, connect=10.0, write=600.0)
DOWNLOAD_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


def decode(response: httpx.Response) -> Any:
    """The envelope's ``data`` on ``code == 0``; raise the matching error otherwise."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict) and isinstance(body.get("code"), int):
        code = body["code"]
        if code == 0:
            return body.get("data")
        message = body.get("message")
        raise error_for(code, response.status_code, str(message or ""), body.get("data"))
    if response.status_code >= 400:
        raise error_for_status(response.status_code)
    raise ApiError(
        "The API answered with something that is not a JSON envelope.",
        code=500,
        status=response.status_code,
        hint="Check NEMO_API_URL points at the nemo API.",
    )


def decode_job(response: httpx.Response) -> Any:
    """A render job from any of the shapes a backend may use (v1.9 §3.5 "Status at top-level
    `status`"; the vendor CLI accepts all three): the envelope's ``data``, ``{"success": true,
    "data": job}``, or the job itself at top level. Errors come as envelopes (``decode``)."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if response.status_code == 200 and isinstance(body, dict) and "code" not in body:
        if body.get("success") is True and isinstance(body.get("data"), dict):
            return body["data"]
        if isinstance(body.get("status"), str):
            return body
    return decode(response)


def sse_read_timeout(config: Config) -> float:
    """Read deadline between two stream chunks: heartbeats arrive far more often (real seconds)."""
    return max(2.0, 120.0 / config.time_scale)


class Api:
    """One method per endpoint. ``token`` is set by the caller; it is never logged or printed."""

    def __init__(self, config: Config, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        self.token: str | None = None
        self._http = httpx.Client(
            base_url=config.api_url,
            transport=transport,
            headers=config.attribution(),
            timeout=JSON_TIMEOUT,
            follow_redirects=True,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # -- plumbing ---------------------------------------------------------------------------

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def _send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        try:
            return self._http.send(request, stream=stream)
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise NetworkError(
                f"Could not reach the API ({type(exc).__name__}).", sent=False
            ) from exc
        except httpx.TransportError as exc:
            raise NetworkError(f"The connection broke ({type(exc).__name__}).") from exc

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self._auth(), **kwargs.pop("headers", {})}
        request = self._http.build_request(method, path, headers=headers, **kwargs)
        return decode(self._send(request))

    # -- endpoints ----------------------------------------------------------------------------

    def anonymous_token(self, client_id: str) -> TokenGrant:
        """POST /api/auth/anonymous-token with header X-Client-Id (no Authorization)."""
        request = self._http.build_request(
            "POST", api_path("anonymousToken"), headers={"X-Client-Id": client_id}
        )
        return TokenGrant.parse(decode(self._send(request)))

    def claim_token(self, task_id: str, session_id: str) -> str:
        """POST /api/auth/claim-token: a claim token for the web workspace (not the real token)."""
        data = self._call(
            "POST", api_path("claimToken"), json={"task_id": task_id, "session_id": session_id}
        )
        return str((data or {}).get("claim_token") or "")

    def create_session(self, language: str | None = None) -> Session:
        """POST /api/tasks/me/with-session/nemo_agent."""
        body: dict[str, Any] = {"task_name": "project"}
        if language:
            body["language"] = language
        return Session.parse(self._call("POST", api_path("createSession"), json=body))

    def credits(self) -> Credits:
        """GET /api/credits/balance/simple."""
        return Credits.parse(self._call("GET", api_path("creditsBalance")))

    def upload_file(self, session_id: str, path: Path) -> list[UploadedFile]:
        """POST a local file as multipart field ``files`` (streamed from disk)."""
        with path.open("rb") as fh:
            data = self._call(
                "POST",
                api_path("upload", session_id=session_id),
                files={"files": (path.name, fh)},
                timeout=UPLOAD_TIMEOUT,
            )
        return UploadedFile.parse_all(data)

    def upload_urls(self, session_id: str, urls: list[str]) -> list[UploadedFile]:
        """POST ``{"urls": [...], "source_type": "url"}``."""
        body = {"urls": urls, "source_type": "url"}
        return UploadedFile.parse_all(
            self._call("POST", api_path("upload", session_id=session_id), json=body)
        )

    def state(self, session_id: str) -> SessionState:
        """GET /api/state/nemo_agent/me/<sid>/latest."""
        return SessionState.parse(
            self._call("GET", api_path("sessionState", session_id=session_id))
        )

    def open_turn(self, session_id: str, text: str) -> httpx.Response:
        """POST /run_sse; returns the open streaming response (the caller closes it).

        Pre-stream failures (1001, 1002, 2001, ...) come as JSON and are raised here.
        """
        body = {
            "app_name": APP,
            "user_id": "me",
            "session_id": session_id,
            "new_message": {"parts": [{"text": text}]},
        }
        timeout = httpx.Timeout(30.0, connect=10.0, read=sse_read_timeout(self.config))
        headers = {**self._auth(), "Accept": "text/event-stream"}
        request = self._http.build_request(
            "POST", api_path("runSse"), json=body, headers=headers, timeout=timeout
        )
        response = self._send(request, stream=True)
        content_type = response.headers.get("content-type", "")
        if response.status_code == 200 and "text/event-stream" in content_type:
            return response
        try:
            try:
                response.read()
            except httpx.TransportError as exc:
                raise NetworkError(f"The connection broke ({type(exc).__name__}).") from exc
            decode(response)
        finally:
            response.close()
        raise ApiError("The agent answered without a stream.", code=500, status=200)

    def submit_render(self, render_id: str, session_id: str, draft: dict[str, Any]) -> RenderJob:
        """POST /api/render/proxy/lambda (export is free)."""
        body = {
            "id": render_id,
            "sessionId": session_id,
            "draft": draft,
            "output": {"format": "mp4", "quality": "high"},
        }
        return RenderJob.parse(self._job("POST", api_path("renderSubmit"), json=body))

    def render_status(self, render_id: str) -> RenderJob:
        """GET /api/render/proxy/lambda/<id> (enveloped, ``{success, data}`` or bare)."""
        return RenderJob.parse(self._job("GET", api_path("renderStatus", render_id=render_id)))

    def _job(self, method: str, path: str, **kwargs: Any) -> Any:
        request = self._http.build_request(method, path, headers=self._auth(), **kwargs)
        return decode_job(self._send(request))

    def download(
        self,
        url: str,
        dest: Path,
        *,
        authed: bool,
        progress: Callable[[int, int | None], None] | None = None,
    ) -> int:
        """Stream ``url`` into ``dest`` (via ``dest.part``); returns the byte count.

        ``authed`` sends the Authorization header — only for the API's own fallback path, never
        for ``output.url`` (which may live on another host).
        """
        headers = self._auth() if authed else {}
        request = self._http.build_request("GET", url, headers=headers, timeout=DOWNLOAD_TIMEOUT)
        response = self._send(request, stream=True)
        part = dest.with_name(dest.name + ".part")
        try:
            is_json = "json" in response.headers.get("content-type", "")
            if response.status_code != 200 or is_json:
                response.read()
                decode(response)  # raises the envelope's error when there is one
                raise ApiError("Expected the video, got something else.", code=500, status=200)
            total_header = response.headers.get("content-length")
            total = int(total_header) if total_header and total_header.isdigit() else None
            written = 0
            dest.parent.mkdir(parents=True, exist_ok=True)
            with part.open("wb") as fh:
                for chunk in response.iter_bytes():
                    fh.write(chunk)
                    written += len(chunk)
                    if progress:
                        progress(written, total)
            os.replace(part, dest)
            return written
        except httpx.TransportError as exc:
            raise NetworkError(f"The download broke ({type(exc).__name__}).") from exc
        finally:
            response.close()
            part.unlink(missing_ok=True)
