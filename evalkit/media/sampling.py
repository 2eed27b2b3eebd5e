"""What a model sees of a video: which frames (a frame rule) at what size (a resize rule), as pure
functions of the video's exact frame timestamps and coded size, computed before any decoder runs.

A :class:`SamplingSpec` pairs one frame rule with an optional resize rule. It is what an adapter
asks of the media stage; it is recorded in run.json, labelled on every record, and part of the
frame-cache key. The rules state published recipes exactly:

Frame rules
    :class:`PaperFrames` (Dynamic-VLM's rule, ``1fps-below-T-else-T-segment-centres``): with
    T = ``max_frames`` and D the duration, a video shorter than T seconds gives one frame per
    second at t_k = k (k = 0 .. ceil(D) - 1); a longer one T frames at the centres of T equal
    segments, t_k = (k + 0.5) D / T. Each target time maps to the frame on screen then: the last
    frame whose timestamp is <= t_k + 1 us (the microsecond absorbs containers whose time base
    cannot state a frame's time exactly). On exact rational timestamps the arithmetic is exact: a
    60.000 s video at 1 fps gives 60 targets, not 61; variable frame rates are handled by time.
    :class:`UniformFrames`: N frames by index over the video's T frames, in one of the spacings
    published recipes use (``linspace``: np.linspace(0, T-1, N), ends included, truncated or
    rounded half-to-even; ``arange``: floor(k T / N), the start included and the end not;
    ``centres``: InternVL's segment centres over T-1).
    :class:`FpsFrames` (qwen-vl-utils' ``smart_nframes``): N = T / fps_native * fps, clamped to
    [ceil2(min_frames), floor2(min(max_frames, T))] and T, floored to a multiple of ``multiple``;
    indices np.linspace(0, T-1, N) rounded half-to-even.

Resize rules (``None``: frames as decoded)
    :class:`ExactSize` (H, W); :class:`SideSize` (longest or shortest side to N px, aspect kept,
    optionally rounded to a multiple); :class:`PixelBudget` (qwen-vl-utils' ``smart_resize``: sides
    rounded to a multiple of ``factor`` within [min_pixels, max_pixels] per frame, the maximum
    lowered by a per-clip ``total_pixels`` budget shared by the N frames).
    ``backend``: ``decoder`` resizes while decoding (FFmpeg's bilinear scaler, evalkit's default);
    ``bicubic-aa`` decodes at the coded size and resizes with antialiased bicubic interpolation
    computed in float and rounded back, as torchvision's (v1) tensor resize does for qwen-vl-utils;
    ``torchvision`` uses torchvision's v2 resize on the uint8 frames, as transformers' processors
    do (the two differ by a few levels when shrinking a lot).

When a video has fewer distinct frames than targets (very low frame rates) repeated indices are
dropped, so the model never sees the same frame twice; ``len(indices)`` is the number sampled.
"""
from __future__ import annotations

import bisect
import math
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any, Dict, List, Optional, Sequence, Tuple, TypeVar

import numpy as np

from ..errors import ConfigError

TOLERANCE = Fraction(1, 1_000_000)  # seconds
Time = TypeVar("Time", float, Fraction)
PAPER_RULE = "1fps-below-T-else-T-segment-centres"
BACKENDS = ("decoder", "bicubic-aa", "torchvision")


def positive_int(name: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{name} must be an integer >= 1, got {value!r}")


# --- frame rules ------------------------------------------------------------------------------

class FrameRule(ABC):
    """Which frames of a video a model sees."""

    name: str

    @abstractmethod
    def select(self, pts: Sequence[Time], duration: Time, fps: float) -> List[int]:
        """Frame indices (ascending, distinct) of a video whose frames start at ``pts`` (seconds,
        exact Fractions from the container), ``duration`` seconds long, ``fps`` its average rate."""

    def to_dict(self) -> Dict[str, Any]:
        return {"rule": self.name, **asdict(self)}  # type: ignore[call-overload]  # every rule is a dataclass

    def label(self) -> str:
        params = ", ".join(f"{k}={v}" for k, v in asdict(self).items())  # type: ignore[call-overload]
        return f"{self.name}({params})"


@dataclass(frozen=True)
class PaperFrames(FrameRule):
    """Dynamic-VLM's rule: 1 fps below T seconds, else T segment centres (by time)."""

    max_frames: int = 120
    fps_below_max: float = 1.0  # rate used for videos shorter than max_frames seconds
    name = PAPER_RULE

    def __post_init__(self) -> None:
        positive_int("max_frames", self.max_frames)
        if not self.fps_below_max > 0:
            raise ConfigError(f"fps_below_max must be > 0, got {self.fps_below_max!r}")

    def select(self, pts: Sequence[Time], duration: Time, fps: float) -> List[int]:
        return frames_at(pts, sample_times(duration, self))

    def label(self) -> str:
        return f"{self.name}(T={self.max_frames}" + (f", {self.fps_below_max:g} fps" if self.fps_below_max != 1 else "") + ")"


SPACINGS = ("linspace", "arange", "centres")
ROUNDINGS = ("floor", "round")


@dataclass(frozen=True)
class UniformFrames(FrameRule):
    """``n`` frames spread evenly by index over the video (fewer when it has fewer frames)."""

    n: int
    spacing: str = "linspace"  # linspace (ends included) | arange (end excluded) | centres (InternVL)
    rounding: str = "floor"  # linspace positions: floor (np.linspace(..., dtype=int)) or round (half-to-even)
    name = "uniform"

    def __post_init__(self) -> None:
        positive_int("frames", self.n)
        if self.spacing not in SPACINGS:
            raise ConfigError(f"spacing {self.spacing!r}: use one of {', '.join(SPACINGS)}")
        if self.rounding not in ROUNDINGS:
            raise ConfigError(f"rounding {self.rounding!r}: use one of {', '.join(ROUNDINGS)}")

    def select(self, pts: Sequence[Time], duration: Time, fps: float) -> List[int]:
        return distinct(uniform_indices(len(pts), self.n, self.spacing, self.rounding))


@dataclass(frozen=True)
class FpsFrames(FrameRule):
    """qwen-vl-utils' ``smart_nframes``: ``fps`` frames per second of video within frame limits,
    a multiple of ``multiple`` frames, spread by rounded linspace."""

    fps: float = 2.0
    min_frames: int = 4
    max_frames: int = 768
    multiple: int = 2
    name = "fps"

    def __post_init__(self) -> None:
        if not self.fps > 0:
            raise ConfigError(f"fps must be > 0, got {self.fps!r}")
        for key in ("min_frames", "max_frames", "multiple"):
            positive_int(key, getattr(self, key))

    def count(self, total: int, native_fps: float) -> int:
        m = self.multiple
        low = math.ceil(self.min_frames / m) * m
        high = math.floor(min(self.max_frames, total) / m) * m
        n = total / native_fps * self.fps if native_fps else float(low)
        n = min(min(max(n, low), high), total)
        return max(1, math.floor(n / m) * m) if total >= m else total

    def select(self, pts: Sequence[Time], duration: Time, fps: float) -> List[int]:
        total = len(pts)
        return distinct(uniform_indices(total, self.count(total, fps), "linspace", "round")) if total else []


def uniform_indices(total: int, n: int, spacing: str, rounding: str) -> List[int]:
    """Indices of ``n`` frames among ``total``, as the named recipe computes them (numpy's
    float64 arithmetic and half-to-even rounding, which torch's linspace().round() shares)."""
    if total <= 0:
        return []
    if spacing == "linspace":
        pos = np.linspace(0, total - 1, n)
        return [int(x) for x in (np.round(pos) if rounding == "round" else pos.astype(np.int64))]
    if spacing == "arange":
        return [int(x) for x in np.arange(0, total, total / n).astype(np.int64)][:n]
    seg = (total - 1) / n  # InternVL get_index: max_frame = T - 1, first index 0
    return [min(int(seg / 2 + np.round(seg * i)), total - 1) for i in range(n)]


def distinct(indices: Sequence[int]) -> List[int]:
    """Indices in ascending order without repeats (a short video has fewer frames than asked)."""
    return sorted(set(indices))


def sample_times(duration: Time, rule: PaperFrames) -> List[Time]:
    """The paper rule's target times in seconds for a video of ``duration`` seconds (exact for a
    Fraction)."""
    if not isinstance(duration, Fraction):
        duration = float(duration)
    if duration <= 0:
        return [type(duration)(0)]
    t = rule.max_frames
    rate = Fraction(rule.fps_below_max)
    if duration < t / rate:
        n = math.ceil(duration * rate)
        return [type(duration)(k / rate) for k in range(n)]
    return [(2 * k + 1) * duration / (2 * t) for k in range(t)]


def frames_at(pts: Sequence[Time], times: Sequence[Time]) -> List[int]:
    """The frame on screen at each of ``times`` (ascending), repeats dropped."""
    if not pts:
        return []
    chosen: List[int] = []
    for target in times:
        i = max(bisect.bisect_right(pts, target + type(target)(TOLERANCE)) - 1, 0)
        if not chosen or i != chosen[-1]:
            chosen.append(i)
    return chosen


def select_frames(pts: Sequence[Time], duration: Time, rule: PaperFrames) -> List[int]:
    """The paper rule's frame indices (ascending, distinct) of a video whose frames start at ``pts``."""
    return frames_at(pts, sample_times(duration, rule))


def video_duration(pts: Sequence[Time], fps: "float | Fraction") -> Time:
    """Duration as the end of the last frame: its start plus the mean frame interval (for a
    single frame, one interval of ``fps``); exact when the timestamps are Fractions."""
    if not pts:
        return 0.0  # type: ignore[return-value]  # no frames: no duration, whatever the time type
    if len(pts) > 1:
        return pts[-1] + (pts[-1] - pts[0]) / (len(pts) - 1)
    zero = pts[0] - pts[0]
    return pts[0] + (type(zero)(1 / Fraction(fps)) if fps else zero)


# --- resize rules -----------------------------------------------------------------------------

class Resize(ABC):
    """The size frames are brought to, from the video's upright size and the number of frames."""

    name: str
    backend: str

    @abstractmethod
    def size_for(self, height: int, width: int, n_frames: int) -> Tuple[int, int]:
        """(height, width) of every frame of a clip of ``n_frames`` frames coded at ``height`` x ``width``."""

    def to_dict(self) -> Dict[str, Any]:
        return {"resize": self.name, **asdict(self)}  # type: ignore[call-overload]

    def label(self) -> str:
        params = ", ".join(f"{k}={v}" for k, v in asdict(self).items() if k != "backend")  # type: ignore[call-overload]
        return f"{self.name}({params}, {self.backend})"


def check_backend(backend: str) -> None:
    if backend not in BACKENDS:
        raise ConfigError(f"resize backend {backend!r}: use one of {', '.join(BACKENDS)}")


@dataclass(frozen=True)
class ExactSize(Resize):
    height: int
    width: int
    backend: str = "decoder"
    name = "exact"

    def __post_init__(self) -> None:
        positive_int("height", self.height)
        positive_int("width", self.width)
        check_backend(self.backend)

    def size_for(self, height: int, width: int, n_frames: int) -> Tuple[int, int]:
        return self.height, self.width

    def label(self) -> str:
        return f"{self.height}x{self.width}" + ("" if self.backend == "decoder" else f" ({self.backend})")


@dataclass(frozen=True)
class SideSize(Resize):
    """One side to ``pixels``, the other scaled to keep the aspect ratio (rounded half-up to a
    whole pixel, or to a multiple of ``multiple``)."""

    pixels: int
    side: str = "longest"  # longest | shortest
    multiple: int = 1
    backend: str = "decoder"
    name = "side"

    def __post_init__(self) -> None:
        positive_int("pixels", self.pixels)
        positive_int("multiple", self.multiple)
        if self.side not in ("longest", "shortest"):
            raise ConfigError(f"side {self.side!r}: use longest or shortest")
        check_backend(self.backend)

    def size_for(self, height: int, width: int, n_frames: int) -> Tuple[int, int]:
        ref = max(height, width) if self.side == "longest" else min(height, width)
        scale = self.pixels / ref
        m = self.multiple
        return (max(m, int(height * scale / m + 0.5) * m), max(m, int(width * scale / m + 0.5) * m))


@dataclass(frozen=True)
class PixelBudget(Resize):
    """qwen-vl-utils' ``smart_resize`` with its video budget: sides multiples of ``factor``,
    min_pixels <= h*w <= max_pixels per frame, where a per-clip ``total_pixels`` lowers the
    maximum to max(min(max_pixels, total_pixels / n * 2), int(min_pixels * 1.05))."""

    min_pixels: int
    max_pixels: int
    factor: int = 28
    total_pixels: Optional[int] = None
    frame_factor: int = 2  # frames per temporal patch, in the per-clip budget
    max_ratio: int = 200
    backend: str = "bicubic-aa"
    name = "pixel-budget"

    def __post_init__(self) -> None:
        for key in ("min_pixels", "max_pixels", "factor", "frame_factor", "max_ratio"):
            positive_int(key, getattr(self, key))
        if self.max_pixels < self.min_pixels:
            raise ConfigError(f"max_pixels {self.max_pixels} is below min_pixels {self.min_pixels}")
        check_backend(self.backend)

    def frame_max(self, n_frames: int) -> float:
        if self.total_pixels is None:
            return self.max_pixels
        return max(min(self.max_pixels, self.total_pixels / max(n_frames, 1) * self.frame_factor),
                   int(self.min_pixels * 1.05))

    def size_for(self, height: int, width: int, n_frames: int) -> Tuple[int, int]:
        return smart_resize(height, width, self.factor, self.min_pixels, self.frame_max(n_frames), self.max_ratio)


def smart_resize(height: int, width: int, factor: int, min_pixels: float, max_pixels: float,
                 max_ratio: int = 200) -> Tuple[int, int]:
    """Sides rounded (half-to-even) to multiples of ``factor`` with the pixel count kept within
    [min_pixels, max_pixels], scaling from the original size (qwen-vl-utils' rule)."""
    if max(height, width) / min(height, width) > max_ratio:
        raise ConfigError(f"a {height}x{width} frame is more elongated than 1:{max_ratio}; the pixel-budget "
                          "rule (Qwen) refuses it")
    h = max(factor, round(height / factor) * factor)
    w = max(factor, round(width / factor) * factor)
    if h * w > max_pixels:
        beta = math.sqrt(height * width / max_pixels)
        h = max(factor, math.floor(height / beta / factor) * factor)
        w = max(factor, math.floor(width / beta / factor) * factor)
    elif h * w < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h = math.ceil(height * beta / factor) * factor
        w = math.ceil(width * beta / factor) * factor
    return h, w


# --- the spec ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class SamplingSpec:
    """What a model asks of the media stage: a frame rule and an optional resize rule for video
    frames, and one for still images (multi-image tasks), which families may size differently."""

    frames: FrameRule = PaperFrames()
    resize: Optional[Resize] = None
    image_resize: Optional[Resize] = None

    @classmethod
    def paper(cls, max_frames: int = 120, fps_below_max: float = 1.0,
              size: Optional[Tuple[int, int]] = None) -> "SamplingSpec":
        """Dynamic-VLM's rule, frames and images resized at decode to ``size`` (height, width) when given."""
        resize = ExactSize(*size) if size else None
        return cls(PaperFrames(max_frames, fps_below_max), resize, resize)

    def select(self, pts: Sequence[Time], duration: Time, fps: float) -> List[int]:
        return self.frames.select(pts, duration, fps)

    def frame_size(self, height: int, width: int, n_frames: int) -> Optional[Tuple[int, int]]:
        """The (height, width) frames are brought to, or None to keep the coded size."""
        return self.resize.size_for(height, width, n_frames) if self.resize else None

    def image_size(self, height: int, width: int) -> Optional[Tuple[int, int]]:
        """The (height, width) a still image is brought to, or None to keep its size."""
        return self.image_resize.size_for(height, width, 1) if self.image_resize else None

    @property
    def resize_backend(self) -> str:
        return self.resize.backend if self.resize else "decoder"

    def to_dict(self) -> Dict[str, Any]:
        """run.json's ``sampling``. Dynamic-VLM's rule with an exact resize (or none) keeps the
        shape earlier versions wrote, so their runs still resume and compare."""
        exact = self.resize is None or (isinstance(self.resize, ExactSize) and self.resize.backend == "decoder")
        if isinstance(self.frames, PaperFrames) and exact and self.image_resize == self.resize:
            size = [self.resize.height, self.resize.width] if isinstance(self.resize, ExactSize) else None
            return {"max_frames": self.frames.max_frames, "fps_below_max": self.frames.fps_below_max,
                    "size": size, "rule": PAPER_RULE}
        return {**self.frames.to_dict(), "resize": self.resize.to_dict() if self.resize else None,
                **({"image_resize": self.image_resize.to_dict()} if self.image_resize else {})}

    def label(self) -> str:
        """A short description of the frames' rule and size, stored on every record."""
        return self.frames.label() + (f", {self.resize.label()}" if self.resize else "")


def label_of(sampling: Optional[Dict[str, Any]]) -> str:
    """A short description of a recorded ``sampling`` dict (run.json, results.json)."""
    if not sampling:
        return "no pixels"
    if sampling.get("rule") == PAPER_RULE:
        size = f", {sampling['size'][0]}x{sampling['size'][1]} px" if sampling.get("size") else ""
        return f"up to {sampling['max_frames']} frames{size}"
    resize = sampling.get("resize") or {}
    params = ", ".join(f"{k}={v}" for k, v in sampling.items() if k not in ("rule", "resize"))
    return f"{sampling.get('rule')}({params})" + (f", resize {resize.get('resize')}" if resize else "")
