"""The rendered MP4: drawn from the draft with PyAV, cached by content, made off the event loop.

What the file shows (contracts/README.md, "The rendered MP4"): as long as the draft (to the frame,
at `render_fps`; at most `render_media_max_seconds`), the canvas scaled down so its longest side is
`render_max_side`, one flat colour per video segment (black where no segment runs), the title
drawn in white block letters on a dark band while a text segment runs, and an AAC track carrying a
250 Hz tone at each BGM segment's volume when the draft has an audio track. H.264 in MP4.

`spec_for` turns a draft into a `Spec` (pure); `MediaCache.ensure` draws a spec once per content
hash (per-key lock, written to a temporary name then renamed) and is called in a worker thread.
"""

from __future__ import annotations

import array
import hashlib
import json
import math
import os
import shutil
import tempfile
import threading
import weakref
import zlib
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from nemo_mock.server.media_font import ink
from nemo_mock.server.settings import Settings

VERSION = 1  # bump when the drawing changes: cached files are keyed by it
RATE = 8_000  # audio samples per second (AAC's lowest common rate: encoding time is the cost)
TONE_HZ = 250  # 32 samples per period: a 1024-sample chunk holds whole periods
CHUNK = 1024
VIDEO, AUDIO, TEXT = 0, 1, 7


@dataclass(frozen=True)
class Spec:
    """Everything the MP4 shows; equal specs make identical files."""

    width: int
    height: int
    fps: int
    frames: int
    colours: tuple[tuple[int, int, int], ...]  # (first frame, end frame, Y of the colour)
    titles: tuple[tuple[int, int, str], ...]  # (first frame, end frame, text)
    audio: tuple[tuple[int, int, float], ...] | None  # (first sample, end sample, volume)

    @property
    def seconds(self) -> float:
        """The video's duration (what output.duration reports)."""
        return self.frames / self.fps

    def key(self) -> str:
        """Content hash: the cache's file name (computed once per spec: every poll asks)."""
        known: str | None = self.__dict__.get("_key")
        if known is None:
            raw = json.dumps([VERSION, asdict(self)], sort_keys=True).encode()
            known = hashlib.sha256(raw).hexdigest()[:32]
            object.__setattr__(self, "_key", known)  # not a field: equality and hash ignore it
        return known

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Spec:
        """A spec from `asdict` output (e.g. kept in a snapshot)."""
        audio = data.get("audio")
        return cls(
            width=int(data["width"]),
            height=int(data["height"]),
            fps=int(data["fps"]),
            frames=int(data["frames"]),
            colours=tuple((int(a), int(b), int(y)) for a, b, y in data["colours"]),
            titles=tuple((int(a), int(b), str(t)) for a, b, t in data["titles"]),
            audio=None if audio is None else tuple((int(a), int(b), float(v)) for a, b, v in audio),
        )


def _int(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError, OverflowError):
        return 0


def _meta(seg: dict[str, Any]) -> dict[str, Any]:
    meta = seg.get("m")
    return meta if isinstance(meta, dict) else {}


def _segments(draft: dict[str, Any], kind: int) -> list[dict[str, Any]]:
    raw = draft.get("t")
    tracks = raw if isinstance(raw, list) else []
    return [
        s
        for t in tracks
        if isinstance(t, dict) and t.get("tt") == kind and isinstance(t.get("sg"), list)
        for s in t["sg"]
        if isinstance(s, dict)
    ]


def draft_ms(draft: dict[str, Any]) -> int:
    """The draft's length: `d` when given, else the end of its last segment."""
    if _int(draft.get("d")):
        return _int(draft.get("d"))
    ends = [
        _int(s.get("st")) + _int(s.get("d"))
        for kind in (VIDEO, AUDIO, TEXT)
        for s in _segments(draft, kind)
    ]
    return max(ends, default=0)


def _size(canvas: dict[str, Any], max_side: int) -> tuple[int, int]:
    width, height = _int(canvas.get("width")), _int(canvas.get("height"))
    if not width or not height:
        width, height = 1080, 1920  # ASSUMPTION: the emulator's default canvas (portrait)
    scale = min(1.0, max_side / max(width, height))

    def even(v: int) -> int:  # H.264 wants even sizes
        return max(16, int(v * scale) // 2 * 2)

    return even(width), even(height)


def spec_for(draft: dict[str, Any], canvas: dict[str, Any], settings: Settings) -> Spec:
    """What the MP4 of `draft` on `canvas` shows."""
    fps = settings.render_fps
    ms = min(draft_ms(draft), int(settings.render_media_max_seconds * 1000))
    frames = max(1, round(ms * fps / 1000))

    def to_frame(ms: int) -> int:
        return min(frames, round(ms * fps / 1000))

    width, height = _size(canvas, settings.render_max_side)
    colours: list[tuple[int, int, int]] = []
    for seg in _segments(draft, VIDEO):
        start = _int(seg.get("st"))
        meta = _meta(seg)
        name = str(meta.get("name") or meta.get("file_id") or len(colours))
        luma = 60 + zlib.crc32(name.encode()) % 120  # a colour per clip, never white or black
        colours.append((to_frame(start), to_frame(start + _int(seg.get("d"))), luma))
    titles: list[tuple[int, int, str]] = []
    for seg in _segments(draft, TEXT):
        meta = _meta(seg)
        text = str(meta.get("text") or meta.get("name") or "").strip()
        start = _int(seg.get("st"))
        if text:
            titles.append((to_frame(start), to_frame(start + _int(seg.get("d"))), text[:80]))
    audio = None
    if _segments(draft, AUDIO):
        total = frames * RATE // fps
        audio = tuple(
            (
                min(total, _int(seg.get("st")) * RATE // 1000),
                min(total, (_int(seg.get("st")) + _int(seg.get("d"))) * RATE // 1000),
                _volume(seg),
            )
            for seg in _segments(draft, AUDIO)
        )
    return Spec(width, height, fps, frames, tuple(colours), tuple(titles), audio)


def _volume(seg: dict[str, Any]) -> float:
    try:
        volume = float(_meta(seg).get("volume", 0.5))
    except (TypeError, ValueError):
        volume = 0.5
    return round(min(1.0, max(0.0, volume)), 3) if math.isfinite(volume) else 0.5


class MediaCache:
    """Rendered files by content hash, in `directory` (a private temporary one when None)."""

    def __init__(self, directory: str | Path | None = None) -> None:
        if directory is None:
            # a private directory, removed with the cache (weakref.finalize, not TemporaryDirectory:
            # that one warns when collected, and the emulator's Worlds are collected, not closed)
            directory = tempfile.mkdtemp(prefix="nemo-mock-media-")
            weakref.finalize(self, shutil.rmtree, directory, True)
        self.directory = Path(directory)
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        #: drawn files known to exist, by name, with their sizes: a poll need not stat them
        self._drawn: dict[str, tuple[Path, int]] = {}
        #: each job's spec, parsed once (id(render) -> (render, spec)); see renders.spec_cached
        self.specs: dict[int, tuple[Any, Spec]] = {}
        #: each completed job's poll answer (id(render) -> (render, base URL, view)); see
        #: renders.completed_view
        self.outputs: dict[int, tuple[Any, str, dict[str, Any]]] = {}
        #: the encoded bodies of those answers (id(view) -> (view, {shape: body})); see
        #: renders.encoded
        self.bodies: dict[int, tuple[dict[str, Any], dict[str, bytes]]] = {}

    def path(self, spec: Spec) -> Path:
        """Where `spec`'s file lives (drawn or not)."""
        return self.directory / f"{spec.key()}.mp4"

    def ready(self, spec: Spec) -> Path | None:
        """The file when it is drawn, else None (never blocks)."""
        drawn = self.drawn(spec)
        return None if drawn is None else drawn[0]

    def drawn(self, spec: Spec) -> tuple[Path, int] | None:
        """(file, size in bytes) when the file is drawn, else None (stats a file once)."""
        name = f"{spec.key()}.mp4"
        hit = self._drawn.get(name)
        if hit is not None:
            return hit
        path = self.directory / name
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return None
        hit = self._drawn[name] = (path, size)
        return hit

    def ensure(self, spec: Spec) -> Path:
        """The file, drawn now if needed (blocking: call it from a worker thread)."""
        path = self.path(spec)
        with self._guard:
            lock = self._locks.setdefault(path.name, threading.Lock())
        with lock:
            if not path.exists():
                self.directory.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
                try:
                    draw(spec, tmp)
                    os.replace(tmp, path)
                finally:
                    tmp.unlink(missing_ok=True)
        return path


def draw(spec: Spec, path: Path) -> None:
    """Encode `spec` as an MP4 at `path` (H.264, plus AAC when the draft has audio)."""
    import av  # imported here: loading FFmpeg is not free, and only renders need it

    with av.open(str(path), "w", format="mp4") as out:
        video = out.add_stream("libx264", rate=spec.fps, options={"preset": "ultrafast"})
        video.width, video.height, video.pix_fmt = spec.width, spec.height, "yuv420p"
        sound = None
        if spec.audio is not None:  # FFmpeg's "fast" AAC coder: 4x quicker than the default
            sound = out.add_stream("aac", rate=RATE, options={"aac_coder": "fast", "b": "16k"})
            sound.layout = "mono"
        pictures: dict[tuple[int, str], list[bytes]] = {}
        for n in range(spec.frames):
            luma = next((y for a, b, y in spec.colours if a <= n < b), 16)
            title = next((t for a, b, t in spec.titles if a <= n < b), "")
            frame = av.VideoFrame(spec.width, spec.height, "yuv420p")
            planes = pictures.get((luma, title))
            if planes is None:
                planes = pictures[(luma, title)] = _picture(frame, luma, title)
            for plane, data in zip(frame.planes, planes, strict=True):
                plane.update(data)
            frame.pts, frame.time_base = n, Fraction(1, spec.fps)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if sound is not None and spec.audio is not None:
            _sound(out, sound, spec.audio, spec.frames * RATE // spec.fps)


def _picture(frame: Any, luma: int, title: str) -> list[bytes]:
    """The three planes' bytes (with their row padding) of one picture."""
    y_plane, u_plane, v_plane = frame.planes
    stride, width, height = y_plane.line_size, frame.width, frame.height
    luma_rows = bytearray([luma]) * (stride * height)
    if title:
        band_top, band_h = height * 3 // 8, height // 4
        for row in range(band_top, band_top + band_h):
            luma_rows[row * stride : row * stride + width] = bytes([24]) * width
        for x, y, w, h in ink(title, width, height):
            for row in range(max(0, y), min(height, y + h)):
                start = row * stride + max(0, x)
                luma_rows[start : row * stride + min(width, x + w)] = b"\xeb" * (
                    min(width, x + w) - max(0, x)
                )
    chroma = [bytes([128]) * p.buffer_size for p in (u_plane, v_plane)]
    return [bytes(luma_rows[: y_plane.buffer_size]), *chroma]


def _sound(out: Any, stream: Any, spans: tuple[tuple[int, int, float], ...], total: int) -> None:
    """A 250 Hz tone at each span's volume, silence elsewhere, `total` samples long."""
    import av

    # chunks start at multiples of CHUNK, which holds whole periods: sample i of any chunk is
    # the tone's sample i
    tones = {
        v: array.array(
            "f", [0.5 * v * math.sin(2 * math.pi * TONE_HZ * k / RATE) for k in range(CHUNK)]
        )
        for v in {volume for _, _, volume in spans}
    }
    for start in range(0, total, CHUNK):
        count = min(CHUNK, total - start)
        samples = array.array("f", bytes(4 * count))
        for a, b, volume in spans:
            lo, hi = max(a, start) - start, min(b, start + count) - start
            if lo < hi:
                samples[lo:hi] = tones[volume][lo:hi]
        frame = av.AudioFrame(format="fltp", layout="mono", samples=count)
        frame.sample_rate = RATE
        data = samples.tobytes()
        frame.planes[0].update(data + bytes(frame.planes[0].buffer_size - len(data)))
        frame.pts, frame.time_base = start, Fraction(1, RATE)
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))
