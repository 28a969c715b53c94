"""Upload: multipart `files` (or `file`) streamed and counted, never held; or URLs (DESIGN §3.3).

The size limit comes from the request's profile (X-Skill-Source). It is decided from Content-Length
when the client sends one, and otherwise while streaming. After a refusal the rest of the body is
read and discarded (up to a bound) so the client gets the envelope instead of a reset connection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from nemo_mock import contracts
from nemo_mock.server.errors import ApiError
from nemo_mock.server.http import note, ok, read_json, session_of, user_of, world_of
from nemo_mock.server.settings import Settings

FILE_FIELDS = ("files", "file")
MULTIPART_SLACK = 64 * 1024  # boundaries and part headers on top of the files themselves
DRAIN_LIMIT = 1024 * 1024 * 1024  # read at most this much of a refused body before giving up
# ASSUMPTION (contracts/README.md, limits): the vendor documents none of these; each bounds
# memory or work a single client could otherwise grow without end
MAX_URLS = 100  # URLs in one JSON upload
MAX_URL_LENGTH = 2048  # characters of one URL
MAX_PARTS = 100  # parts of one multipart body
MAX_PART_HEADER_BYTES = 16 * 1024  # header bytes of one multipart part
MAX_FILES_PER_SESSION = 1000  # entries of a session's video_infos


def media_type(filename: str) -> str:
    """The media type of `filename` by extension (case-insensitive); 4001 when unsupported."""
    ext = PurePosixPath(filename).suffix.lower().lstrip(".")
    kind = contracts.supported_formats().get(ext)
    if kind is None:
        formats = ", ".join(sorted(set(contracts.supported_formats()) - {"jpeg"}))
        raise ApiError(
            4001,
            f"Unsupported file type '.{ext or '?'}'. Supported formats: {formats}.",
            {"filename": filename, "supported": sorted(contracts.supported_formats())},
        )
    return kind


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    size: int = 0


@dataclass
class _Collector:
    """Multipart callbacks: part headers parsed, data counted and dropped."""

    limit: int
    parts: list[_Part] = field(default_factory=list)
    error: ApiError | None = None
    _header_bytes: int = 0
    _field: bytes = b""
    _value: bytes = b""
    _headers: dict[bytes, bytes] = field(default_factory=dict)

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda d, s, e: self._add("_field", d[s:e]),
            "on_header_value": lambda d, s, e: self._add("_value", d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_done,
            "on_part_data": self._data,
        }

    def _add(self, attr: str, data: bytes) -> None:
        self._header_bytes += len(data)
        if self._header_bytes > MAX_PART_HEADER_BYTES:
            if self.error is None:
                self.error = ApiError(
                    400, f"A multipart part has more than {MAX_PART_HEADER_BYTES} header bytes."
                )
            return
        setattr(self, attr, getattr(self, attr) + data)

    def _begin(self) -> None:
        self._headers = {}
        self._header_bytes = 0
        if len(self.parts) >= MAX_PARTS and self.error is None:
            self.error = ApiError(400, f"At most {MAX_PARTS} parts in one multipart upload.")
        self.parts.append(_Part())

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field, self._value = b"", b""

    def _headers_done(self) -> None:
        part = self.parts[-1]
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        part.name = options.get(b"name", b"").decode("utf-8", "replace")
        raw = options.get(b"filename")
        part.filename = raw.decode("utf-8", "replace") if raw is not None else None
        if part.name in FILE_FIELDS and part.filename is not None and self.error is None:
            try:
                media_type(part.filename)
            except ApiError as exc:
                self.error = exc

    def _data(self, data: bytes, start: int, end: int) -> None:
        part = self.parts[-1]
        part.size += end - start
        if part.name in FILE_FIELDS and part.size > self.limit and self.error is None:
            self.error = _too_large(self.limit)


def _too_large(limit: int) -> ApiError:
    mb = limit // (1024 * 1024)
    return ApiError(
        4002,
        f"File too large: this skill accepts files up to {mb} MB. Compress or trim it and retry.",
        {"max_bytes": limit},
    )


def _profile(settings: Settings, source: str | None) -> int:
    """The upload limit: the forced `profile`, else the source's own, else `default_profile`."""
    table = contracts.profiles()
    name = settings.profile or (source if source in table else settings.default_profile)
    return table[name].max_upload_bytes


async def upload(request: Request) -> Response:
    """Accept files (multipart) or URLs (JSON) into the session's video_infos."""
    try:
        user = user_of(request)
        session = session_of(request, user, request.path_params["session_id"])
        limit = _profile(world_of(request).settings, request.headers.get("x-skill-source"))
        ctype, options = parse_options_header(request.headers.get("content-type", ""))
        if ctype == b"multipart/form-data":
            items = await _multipart(request, options.get(b"boundary"), limit)
        elif ctype == b"application/json":
            items = _urls(await read_json(request))
        else:
            raise ApiError(400, "Send multipart/form-data (field `files`) or JSON {urls: [...]}.")
    except ApiError:
        await _drain(request)
        raise
    world = world_of(request)
    if len(session.video_infos) + len(items) > MAX_FILES_PER_SESSION:
        raise ApiError(
            400, f"A session holds at most {MAX_FILES_PER_SESSION} files: start a new session."
        )
    files, infos = [], list(session.video_infos)
    for filename, kind, size, source in items:
        file_id = "file_" + world.ids.hex("file", 20)
        item: dict[str, Any] = {
            "file_id": file_id,
            "filename": filename,
            "type": kind,
            "size": size,
        }
        if source:  # ASSUMPTION: bytes are counted, not kept, so only a URL upload has a url
            item["url"] = source
        files.append(item)
        infos.append({**item, "source": "url" if source else "upload"})
    world.change(session, video_infos=infos)
    note(
        request, "body", {"files": [{k: f[k] for k in ("filename", "type", "size")} for f in files]}
    )
    return ok({"files": files})


async def _multipart(
    request: Request, boundary: bytes | None, limit: int
) -> list[tuple[str, str, int, str | None]]:
    if not boundary:
        raise ApiError(400, "multipart/form-data without a boundary.")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + MULTIPART_SLACK:
        raise _too_large(limit)  # decided from Content-Length, before reading the body
    collector = _Collector(limit)
    parser = MultipartParser(boundary, collector.callbacks())  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            if collector.error is not None:
                raise collector.error
        parser.finalize()
    except ClientDisconnect as exc:
        raise ApiError(400, "The client went away during the upload.") from exc
    except ApiError:
        raise
    except Exception as exc:  # python-multipart raises its own errors on malformed bodies
        raise ApiError(400, f"Malformed multipart body: {exc}") from exc
    files = [p for p in collector.parts if p.name in FILE_FIELDS and p.filename is not None]
    if not files:
        raise ApiError(400, "No file in the upload: use the multipart field `files`.")
    names = [base_name(p.filename or "") for p in files]
    return [(n, media_type(n), p.size, None) for n, p in zip(names, files, strict=True)]


def base_name(filename: str) -> str:
    """The file's own name: directories (either slash) are dropped, never echoed back."""
    return filename.replace("\\", "/").rsplit("/", 1)[-1]


def _urls(body: dict[str, Any]) -> list[tuple[str, str, int, str | None]]:
    urls = body.get("urls")
    if not isinstance(urls, list) or not urls or not all(isinstance(u, str) for u in urls):
        raise ApiError(400, "`urls` must be a non-empty list of URLs.")
    if len(urls) > MAX_URLS:
        raise ApiError(400, f"`urls` has {len(urls)} entries; at most {MAX_URLS} per upload.")
    if any(len(u) > MAX_URL_LENGTH for u in urls):
        raise ApiError(400, f"A URL is longer than {MAX_URL_LENGTH} characters.")
    if body.get("source_type", "url") != "url":
        raise ApiError(400, "`source_type` must be 'url'.")
    out = []
    for url in urls:
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ApiError(400, f"Not an http(s) URL: {url!r}")
        name = base_name(unquote(PurePosixPath(parsed.path).name)) or parsed.netloc
        # ASSUMPTION: a URL without an extension is accepted as a video (it is never fetched)
        kind = media_type(name) if PurePosixPath(name).suffix else "video"
        out.append((name, kind, 0, url))
    return out


async def _drain(request: Request) -> None:
    """Read and drop the rest of a refused body (bounded), so the client sees the answer."""
    seen = 0
    try:
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > DRAIN_LIMIT:
                return
    except Exception:  # already consumed, or the client left: nothing more to do
        return
