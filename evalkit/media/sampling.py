"""The frame-sampling rule, as pure functions of a video's frame timestamps.

Rule with T = ``max_frames`` and D = duration in seconds:

* D < T: one frame per second, at the times t_k = k for k = 0 .. ceil(D) - 1;
* D >= T: T frames, at the centres of T equal segments, t_k = (k + 0.5) * D / T.

Each target time is mapped to the frame on screen at that time: the last frame whose
presentation timestamp is <= t_k + 1 us (the first frame if t_k precedes it; the microsecond
absorbs containers whose time base cannot state a frame's time exactly, e.g. 1/1000 at 30 fps).
Given exact rational timestamps (``fractions.Fraction``, as the video reader passes them) the
arithmetic is exact, so the frame count and targets never depend on float rounding or on the
decoder: a 60.000 s video at 1 fps gives 60 targets, not 61. Working in time rather
than in frame indices makes the rule correct for variable-frame-rate video too. When a video has
fewer distinct frames than targets (very low frame rates) repeated indices are dropped, so the
model never sees the same frame twice; ``len(indices)`` is the number of frames actually sampled.
"""
from __future__ import annotations

import bisect
import math
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import List, Optional, Sequence, Tuple, TypeVar

from ..errors import ConfigError


@dataclass(frozen=True)
class SamplingSpec:
    """What a model asks of the video reader. Recorded in run.json and every prediction."""

    max_frames: int = 120
    fps_below_max: float = 1.0  # rate used for videos shorter than max_frames seconds
    size: Optional[Tuple[int, int]] = None  # (height, width) to resize to at decode time

    def __post_init__(self) -> None:
        if not isinstance(self.max_frames, int) or self.max_frames < 1:
            raise ConfigError(f"max_frames must be an integer >= 1, got {self.max_frames!r}")
        if not self.fps_below_max > 0:
            raise ConfigError(f"fps_below_max must be > 0, got {self.fps_below_max!r}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["size"] = list(self.size) if self.size else None
        d["rule"] = "1fps-below-T-else-T-segment-centres"
        return d


TOLERANCE = Fraction(1, 1_000_000)  # seconds
Time = TypeVar("Time", float, Fraction)


def sample_times(duration: Time, spec: SamplingSpec) -> List[Time]:
    """Target times in seconds for a video of ``duration`` seconds (exact for a Fraction)."""
    if not isinstance(duration, Fraction):
        duration = float(duration)
    if duration <= 0:
        return [type(duration)(0)]
    t = spec.max_frames
    rate = Fraction(spec.fps_below_max)
    if duration < t / rate:
        n = math.ceil(duration * rate)
        return [type(duration)(k / rate) for k in range(n)]
    return [(2 * k + 1) * duration / (2 * t) for k in range(t)]


def select_frames(pts: Sequence[Time], duration: Time, spec: SamplingSpec) -> List[int]:
    """Frame indices (ascending, distinct) sampled from a video whose frames start at ``pts``."""
    if not pts:
        return []
    chosen: List[int] = []
    for target in sample_times(duration, spec):
        i = max(bisect.bisect_right(pts, target + type(target)(TOLERANCE)) - 1, 0)
        if not chosen or i != chosen[-1]:
            chosen.append(i)
    return chosen


def video_duration(pts: Sequence[Time], fps: "float | Fraction") -> Time:
    """Duration as the end of the last frame: its start plus the mean frame interval (for a
    single frame, one interval of ``fps``); exact when the timestamps are Fractions."""
    if not pts:
        return 0.0  # type: ignore[return-value]  # no frames: no duration, whatever the time type
    if len(pts) > 1:
        return pts[-1] + (pts[-1] - pts[0]) / (len(pts) - 1)
    zero = pts[0] - pts[0]
    return pts[0] + (type(zero)(1 / Fraction(fps)) if fps else zero)
