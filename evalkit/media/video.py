"""Decode the sampled frames of a video: decord first, PyAV as the fallback.

PyAV also takes the containers decord handles poorly (mkv, webm) and any file decord fails on.
Timestamps are the frames' own presentation times, shifted so the first frame is at 0 s.
Resizing happens inside the decoder (decord's width/height, PyAV's swscale reformat).

A video whose container asks for a display rotation is read by PyAV and turned upright by
evalkit (decord's own handling of it differs), so every backend gives the model the same
pixels; the record notes the rotation. A still image renamed to a video suffix is refused. The
decoders' own log lines are silenced: failures surface as errors on the sample instead.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple

import numpy as np

from ..errors import MediaError
from .sampling import SamplingSpec, select_frames, video_duration

PYAV_FIRST_SUFFIXES = {".mkv", ".webm"}
IMAGE_MAGIC = {b"\xff\xd8\xff": "a JPEG image", b"\x89PNG": "a PNG image", b"BM": "a BMP image"}


def quiet_decoders() -> None:
    """Keep the decoders' C-level log lines off the terminal (errors still raise)."""
    import av

    av.logging.set_level(None)
    if _decord_available():
        import decord

        decord.logging.set_level(decord.logging.QUIET)


@dataclass
class VideoInfo:
    path: Path
    n_frames: int
    fps: float
    pts: List[float]  # seconds, first frame at 0

    @property
    def duration(self) -> float:
        return video_duration(self.pts, self.fps)


@dataclass
class SampledVideo:
    """The frames a model sees, with where they came from."""

    frames: np.ndarray  # (n, height, width, 3) uint8 RGB
    indices: List[int]
    timestamps: List[float]
    duration: float
    backend: str
    decode_s: float = 0.0
    source: Optional[Path] = field(default=None, repr=False)
    rotation: int = 0  # degrees counter-clockwise the container asked for (applied to the frames)

    def facts(self) -> dict:
        """The media facts stored with each prediction."""
        out = {
            "n_frames": len(self.indices),
            "frame_indices": self.indices,
            "timestamps": [round(t, 3) for t in self.timestamps],
            "duration": round(self.duration, 3),
            "frame_size": list(self.frames.shape[1:3]),
            "decoder": self.backend,
        }
        if self.rotation:
            out["rotation"] = self.rotation
        return out


def _decord_available() -> bool:
    try:
        import decord  # noqa: F401
    except ImportError:
        return False
    return True


def _backends(path: Path, backend: str) -> List[str]:
    if backend != "auto":
        return [backend]
    if path.suffix.lower() in PYAV_FIRST_SUFFIXES or not _decord_available():
        return ["pyav"]
    return ["decord", "pyav"]


# --- decord -------------------------------------------------------------------------------

def _decord_reader(path: Path, size: Optional[Tuple[int, int]]):
    import decord

    kwargs = {"ctx": decord.cpu(0), "num_threads": min(4, os.cpu_count() or 1)}
    if size:
        kwargs.update(height=size[0], width=size[1])
    return decord.VideoReader(str(path), **kwargs)


def _decord_info(path: Path, vr) -> VideoInfo:
    n = len(vr)
    if n == 0:
        raise MediaError(f"{path}: no video frames")
    starts = vr.get_frame_timestamp(np.arange(n))[:, 0].astype(float)
    pts = (starts - starts[0]).tolist()
    return VideoInfo(path, n, float(vr.get_avg_fps()), pts)


def _decord_read(path: Path, spec: SamplingSpec) -> Tuple[VideoInfo, List[int], np.ndarray]:
    vr = _decord_reader(path, spec.size)
    info = _decord_info(path, vr)
    idx = select_frames(info.pts, info.duration, spec)
    return info, idx, vr.get_batch(idx).asnumpy()


# --- PyAV ---------------------------------------------------------------------------------

def _pyav_info(path: Path, container) -> VideoInfo:
    stream = container.streams.video[0]
    tb = float(stream.time_base)
    pts = sorted(p.pts for p in container.demux(stream) if p.pts is not None and p.size > 0)
    if not pts:
        raise MediaError(f"{path}: no video frames")
    secs = [(p - pts[0]) * tb for p in pts]
    rate = stream.average_rate
    fps = float(rate) if rate else (len(secs) - 1) / max(secs[-1], 1e-9)
    return VideoInfo(path, len(secs), fps, secs)


def display_rotation(path: Path) -> Optional[int]:
    """The rotation (degrees counter-clockwise, a multiple of 90) the container asks a player to
    apply to the first frame; None when PyAV cannot read the file at all."""
    import av

    try:
        with av.open(str(path)) as container:
            frame = next(container.decode(video=0), None)
            return int(round((frame.rotation if frame is not None else 0) / 90)) * 90 % 360
    except Exception:  # unreadable: the error comes from the (quiet) PyAV read below
        return None


def _pyav_read(path: Path, spec: SamplingSpec) -> Tuple[VideoInfo, List[int], np.ndarray]:
    import av

    with av.open(str(path)) as container:
        info = _pyav_info(path, container)
    idx = select_frames(info.pts, info.duration, spec)
    wanted = set(idx)
    last = idx[-1]
    out = {}
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        # frames come out of the decoder in presentation order: count them to get the index
        for i, frame in enumerate(container.decode(stream)):
            if i in wanted:
                turns = int(round(frame.rotation / 90)) % 4  # upright, as a player shows it
                if spec.size:  # the coded frame is resized so that, once turned, it has the size asked
                    h, w = spec.size if turns % 2 == 0 else spec.size[::-1]
                    frame = frame.reformat(width=w, height=h)
                out[i] = np.ascontiguousarray(np.rot90(frame.to_ndarray(format="rgb24"), k=turns))
            if i >= last:
                break
    missing = [i for i in idx if i not in out]
    if missing:
        raise MediaError(f"{path}: decoding stopped before frame {missing[0]} of {info.n_frames}")
    return info, idx, np.stack([out[i] for i in idx])


_READERS = {"decord": _decord_read, "pyav": _pyav_read}


def probe_video(path: Path, backend: str = "auto") -> VideoInfo:
    """Frame count, rate and timestamps, without decoding pictures."""
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"video not found: {path}")
    errors = []
    for name in _backends(path, backend):
        try:
            if name == "decord":
                return _decord_info(path, _decord_reader(path, None))
            import av

            with av.open(str(path)) as container:
                return _pyav_info(path, container)
        except MediaError:
            raise
        except Exception as exc:  # decoder libraries raise many types for corrupt files
            errors.append(f"{name}: {exc}")
    raise MediaError(f"cannot read video {path} ({'; '.join(errors)})")


def read_video(path: Path, spec: SamplingSpec, backend: str = "auto") -> SampledVideo:
    """Decode the frames ``spec`` selects from the video at ``path``."""
    import time

    path = Path(path)
    if not path.is_file():
        raise MediaError(f"video not found: {path}")
    with path.open("rb") as fh:
        head = fh.read(8)
    kind = next((what for magic, what in IMAGE_MAGIC.items() if head.startswith(magic)), None)
    if kind:
        raise MediaError(f"{path} is {kind}, not a video: replace it with the video file")
    rotation = display_rotation(path)
    backends = _backends(path, backend)
    if (rotation is None or rotation) and backend == "auto":
        # rotated: evalkit turns the frames itself (decord's handling differs); unreadable: PyAV
        # says why without decord's C++ log lines on the terminal
        backends = ["pyav"]
    errors = []
    for name in backends:
        start = time.perf_counter()
        try:
            info, idx, frames = _READERS[name](path, spec)
        except Exception as exc:
            errors.append(f"{name}: {str(exc) or type(exc).__name__}")
            continue
        return SampledVideo(
            frames=frames,
            indices=idx,
            timestamps=[info.pts[i] for i in idx],
            duration=info.duration,
            backend=name,
            decode_s=time.perf_counter() - start,
            source=path,
            rotation=(rotation or 0) if name == "pyav" else 0,
        )
    raise MediaError(f"cannot decode video {path} ({'; '.join(errors)})")
