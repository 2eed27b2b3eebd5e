"""The frame-sampling rule, as pure functions of a video's frame timestamps.

Rule with T = ``max_frames`` and D = duration in seconds:

* D < T: one frame per second, at the times t_k = k for k = 0 .. ceil(D) - 1;
* D >= T: T frames, at the centres of T equal segments, t_k = (k + 0.5) * D / T.

Each target time is mapped to the frame on screen at that time: the last frame whose
presentation timestamp is <= t_k (the first frame if t_k precedes it). Working in time rather
than in frame indices makes the rule correct for variable-frame-rate video too. When a video has
fewer distinct frames than targets (very low frame rates) repeated indices are dropped, so the
model never sees the same frame twice; ``len(indices)`` is the number of frames actually sampled.
"""
from __future__ import annotations

import bisect
import math
from dataclasses import asdict, dataclass
from typing import List, Optional, Sequence, Tuple

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


def sample_times(duration: float, spec: SamplingSpec) -> List[float]:
    """Target times in seconds for a video of ``duration`` seconds."""
    if duration <= 0:
        return [0.0]
    t = spec.max_frames
    if duration < t / spec.fps_below_max:
        step = 1.0 / spec.fps_below_max
        return [k * step for k in range(math.ceil(duration / step))]
    return [(k + 0.5) * duration / t for k in range(t)]


def select_frames(pts: Sequence[float], duration: float, spec: SamplingSpec) -> List[int]:
    """Frame indices (ascending, distinct) sampled from a video whose frames start at ``pts``."""
    if not pts:
        return []
    chosen: List[int] = []
    for target in sample_times(duration, spec):
        # a tiny tolerance keeps float noise in container timestamps from picking the previous frame
        i = max(bisect.bisect_right(pts, target + 1e-6) - 1, 0)
        if not chosen or i != chosen[-1]:
            chosen.append(i)
    return chosen


def video_duration(pts: Sequence[float], fps: float) -> float:
    """Duration as the end of the last frame: its start plus one frame interval."""
    if not pts:
        return 0.0
    if len(pts) > 1:
        interval = (pts[-1] - pts[0]) / (len(pts) - 1)
    else:
        interval = 1.0 / fps if fps > 0 else 0.0
    return float(pts[-1] + interval)
