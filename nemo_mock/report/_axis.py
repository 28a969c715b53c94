"""The virtual-time axis of a sequence diagram: time goes down, long gaps are compressed.

Scenario runs mix seconds (a heartbeat every few seconds) with days (a token expiring after 7 days),
so a linear scale cannot show both. The axis is piecewise linear through "anchors" (the times that
carry a label): each gap is drawn at `px_per_second`, at least the anchor's `min_gap` (labels never
overlap) and at most `cap` pixels; a longer gap is marked as a break with its real length.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

PX_PER_SECOND = 1.6
CAP = 110.0


@dataclass
class Axis:
    """Maps virtual seconds to y pixels (monotone; compressed gaps listed in `breaks`)."""

    times: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)
    breaks: list[tuple[float, float, float]] = field(default_factory=list)  # (y0, y1, seconds)

    def y(self, t: float) -> float:
        """The y of virtual time `t` (interpolated between anchors, clamped at the ends)."""
        if not self.times:
            return 0.0
        i = bisect_right(self.times, t)
        if i == 0:
            return self.ys[0]
        if i >= len(self.times):
            return self.ys[-1]
        t0, t1, y0, y1 = self.times[i - 1], self.times[i], self.ys[i - 1], self.ys[i]
        return y0 if t1 == t0 else y0 + (y1 - y0) * (t - t0) / (t1 - t0)

    @property
    def height(self) -> float:
        """The y of the last anchor."""
        return self.ys[-1] if self.ys else 0.0


def build(anchors: list[tuple[float, float]], top: float = 0.0) -> tuple[Axis, list[float]]:
    """An axis through `anchors` ([(virtual time, the least pixels before it)]) from `top`, and
    the y of each anchor in the order given (anchors at the same time get their own rows)."""
    axis = Axis()
    order = sorted(range(len(anchors)), key=lambda i: anchors[i][0])
    placed = [0.0] * len(anchors)
    y = top
    prev: float | None = None
    for i in order:
        t, gap = anchors[i]
        if prev is not None:
            dt = t - prev
            natural = dt * PX_PER_SECOND
            step = max(gap, min(natural, CAP))
            if natural > CAP:
                axis.breaks.append((y, y + step, dt))
            y += step
        else:
            y += gap
        axis.times.append(t)
        axis.ys.append(y)
        placed[i] = y
        prev = t
    return axis, placed


def duration(seconds: float) -> str:
    """A virtual duration in a few characters: `42s`, `5m 10s`, `3h 20m`, `7d 0h`."""
    s = round(seconds)
    if s < 120:
        return f"{seconds:.1f}s" if seconds < 10 else f"{s}s"
    if s < 7200:
        return f"{s // 60}m {s % 60}s"
    if s < 172800:
        return f"{s // 3600}h {s % 3600 // 60}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"
