"""Small real videos written with PyAV, for the bundled samples and the tests.

Frame ``i`` is a flat grey of level ``level_of(i)``, so a decoded frame tells which source frame
it was even after lossy H.264 compression (neighbouring levels differ by 16). With
``numbered=True`` the left half carries ``i % 15`` and the right half ``i // 15 % 15`` the same
way, so 225 frames in a row are told apart (:func:`number_of`).
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

LEVEL_STEP = 16


def level_of(i: int) -> int:
    return 8 + (i * LEVEL_STEP) % 240


def frame_of(level: float) -> int:
    """Inverse of level_of modulo its period of 15 frames."""
    return int(round((level - 8) / LEVEL_STEP)) % (240 // LEVEL_STEP)


def number_of(frame: np.ndarray) -> int:
    """The source frame number of a decoded ``numbered`` frame (modulo 225)."""
    half = frame.shape[1] // 2
    low, high = frame[:, : half - 2].mean(), frame[:, half + 2:].mean()
    return frame_of(low) + 15 * frame_of(high)


def write_video(
    path: Path,
    n_frames: int,
    fps: float | Fraction = 2,
    size: tuple = (48, 64),
    pts_seconds: Optional[Sequence[float]] = None,
    codec: str = "libx264",
    gop: int = 12,
    numbered: bool = False,
    options: Optional[dict] = None,
) -> Path:
    """Write an ``n_frames`` video. ``pts_seconds`` gives variable frame timing (ms precision);
    ``options`` are the encoder's (e.g. ``{"x264-params": "open-gop=1:bframes=3"}``)."""
    import av

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rate = Fraction(fps).limit_denominator(1001)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=rate)
        stream.height, stream.width = size
        stream.pix_fmt = "yuv420p"
        stream.codec_context.gop_size = gop
        if options:
            stream.options = dict(options)
        if pts_seconds is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        for i in range(n_frames):
            img = np.full((size[0], size[1], 3), level_of(i), dtype=np.uint8)
            if numbered:
                img[:, size[1] // 2:] = level_of(i // 15)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            if pts_seconds is not None:
                frame.pts = int(round(pts_seconds[i] * 1000))
                frame.time_base = Fraction(1, 1000)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def write_srt(path: Path, cues: Sequence[tuple]) -> Path:
    """Write (start_s, end_s, text) cues as SRT, the text wrapped in a font tag like Video-MME's."""

    def stamp(t: float) -> str:
        ms = int(round(t * 1000))
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    blocks = [
        f"{n}\n{stamp(a)} --> {stamp(b)}\n<font color=\"#ffffff\">{text}</font>\n"
        for n, (a, b, text) in enumerate(cues, 1)
    ]
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def write_textured_video(path: Path, seconds: float, fps: int = 25, size: tuple = (360, 640), seed: int = 0,
                         preset: str = "veryfast", keyint: int = 250, codec: str = "libx264",
                         params: str = "", frame_times: Optional[Sequence[float]] = None, rotation: int = 0) -> Path:
    """A video with camera-like motion over a noise texture, encoded as ordinary H.264 (B-frames,
    a keyframe every ``keyint`` frames): decoding it costs about what a real video's does, which
    flat grey clips do not. ``codec`` libx265 and ``params`` (e.g. ``open-gop=1``, added to the
    encoder's own parameters) make the harder structures decoders disagree on."""
    import av

    rng = np.random.default_rng(seed)
    h, w = size
    texture = rng.integers(0, 256, (h // 8 + 64, w // 8 + 64, 3), dtype=np.uint8).repeat(8, 0).repeat(8, 1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.height, stream.width = h, w
        stream.pix_fmt = "yuv420p"
        key = "x265-params" if codec == "libx265" else "x264-params"
        extra = ":log-level=none" if codec == "libx265" else ""
        stream.options = {"preset": preset, key: f"keyint={keyint}:min-keyint={keyint}:scenecut=0{extra}"
                          + (f":{params}" if params else "")}
        if frame_times is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        if rotation:
            stream.set_display_rotation(rotation)
        n = len(frame_times) if frame_times is not None else int(round(seconds * fps))
        for i in range(n):
            dy, dx = (i // 3) % 512, i % 512  # a slow pan, wrapping
            img = np.roll(texture, (-dy, -dx), axis=(0, 1))[:h, :w]
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")
            if frame_times is not None:
                frame.pts, frame.time_base = int(round(frame_times[i] * 1000)), Fraction(1, 1000)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path
