"""Decode the sampled frames of a video.

Which frames are sampled never depends on the decoder: PyAV reads the container's packet index
first (exact rational presentation times, keyframes, open groups of pictures), the sampling
rule picks frame indices from those times, and only then does a decoder fetch the pixels.

Decoders (``decoder=`` / ``--decoder``):

* ``pyav`` decodes by presentation time. When the targets are sparse next to the keyframe
  interval (long videos) it seeks to the keyframe before each needed group of pictures and
  decodes forward only to its last target; when they are dense it makes one sequential pass.
  Both give the same frames (tested on B-frame, open-GOP, x265, VFR and rotated videos).
* ``decord`` fetches by frame index. On open-GOP videos (x265's default) it returned frames
  late after its seeks, so those, rotated videos and any whose frame count decord sees
  differently go to PyAV, and the record says why (``decoder_fallback``).
* ``torchcodec`` fetches by index in its exact seek mode, where it loads (its wheels need a
  matching torch build and FFmpeg libraries); where it cannot load, the reason is recorded and
  PyAV decodes.

``auto`` is PyAV, by measurement (25 fps 360p H.264, a keyframe every 10 s, 120 frames at 336
px, 2 cores): against the decord-first reader of earlier versions it took 0.98x on a 1-minute
video, 1.0x on a 5-minute one and 0.51x on a 30-minute one; ``scripts/decode_bench.py`` puts
decord at 0.92x / 1.18x / 0.82x of one PyAV pass where evalkit's PyAV plan takes 0.84x / 1.07x /
0.41x (the short-video figures are within run-to-run noise). It is also exact where decord is
not, and needs no fallback for rotated or open-GOP files.
A still image renamed to a video suffix is refused. The decoders' own log lines are silenced:
failures surface as errors on the sample instead.
"""
from __future__ import annotations

import bisect
import functools
import os
import re
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import numpy as np

from ..errors import ConfigError, MediaError
from .sampling import TOLERANCE, SamplingSpec, video_duration

DECODERS = ("auto", "pyav", "decord", "torchcodec")
IMAGE_MAGIC = {b"\xff\xd8\xff": "a JPEG image", b"\x89PNG": "a PNG image", b"BM": "a BMP image"}
SEEK_COST_FRAMES = 24  # a seek costs about as much as decoding this many frames (measured, 360p H.264)
SPARSE_BELOW = 0.75  # seek per group of pictures when that decodes < 75% of the frames a pass would
# measured (scripts/decode_bench.py, 2 cores, 360p H.264): slice threading beat FFmpeg's frame
# threading by 10-18% on both plans; frame threads also pay a pipeline refill after every seek
THREAD_TYPE = "SLICE"


def quiet_decoders() -> None:
    """Keep the decoders' C-level log lines off the terminal (errors still raise)."""
    import av

    av.logging.set_level(None)
    if decoder_unavailable("decord") is None:
        import decord

        decord.logging.set_level(decord.logging.QUIET)


@functools.lru_cache(maxsize=None)
def decoder_unavailable(name: str) -> Optional[str]:
    """None when ``name`` can decode here, else why not (recorded when a run falls back).
    Asked once per process: a wheel that cannot load is not tried again for every video."""
    try:
        if name == "decord":
            import decord  # noqa: F401
        elif name == "torchcodec":
            from torchcodec.decoders import VideoDecoder  # noqa: F401
    except Exception as exc:  # ImportError, or OSError/RuntimeError from a wheel that cannot load
        return f"{name} cannot load here: {str(exc).splitlines()[-1] if str(exc) else type(exc).__name__}"
    return None


@dataclass
class VideoInfo:
    """A video's frames as its container lists them, in presentation order."""

    path: Path
    ticks: List[int]  # presentation timestamps in stream time-base units
    time_base: Fraction
    keyframes: List[int]  # presentation indices of the keyframes (seek points)
    open_gop: bool = False  # frames after a keyframe in decode order are shown before it
    rotation: int = 0  # degrees counter-clockwise the container asks a player to apply
    rate: Optional[Fraction] = None  # the stream's average frame rate, when it says
    coded: Tuple[int, int] = (0, 0)  # (height, width) of the coded pictures
    files: List[Path] = field(default_factory=list)  # a frame folder's images, in frame order

    @property
    def upright(self) -> Tuple[int, int]:
        """(height, width) of a frame once turned upright."""
        return self.coded if self.rotation % 180 == 0 else self.coded[::-1]

    @property
    def n_frames(self) -> int:
        return len(self.ticks)

    @functools.cached_property
    def pts(self) -> List[Fraction]:
        """Exact seconds from the first frame (computed once: an hour of video is 100k Fractions)."""
        return [(t - self.ticks[0]) * self.time_base for t in self.ticks]

    @property
    def fps(self) -> float:
        if self.rate:
            return float(self.rate)
        span = float(self.pts[-1]) if self.n_frames > 1 else 0.0
        return (self.n_frames - 1) / span if span > 0 else 0.0

    @property
    def duration(self) -> Fraction:
        return video_duration(self.pts, self.rate or self.fps)


@dataclass(frozen=True)
class VideoSource:
    """Where a sample's frames come from: a video file, or a folder of frame images at a stated
    rate (a video of that many frames per second, in file-name order); optionally only the clip
    between two times, which the sampling rule then sees as the whole video."""

    path: Path
    clip: Optional[Tuple[float, float]] = None  # (start, end) in seconds of the source
    frame_rate: Optional[float] = None  # set: ``path`` is a folder of frames at this rate

    def facts(self) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        if self.clip:
            out["clip"] = [round(t, 3) for t in self.clip]
        if self.frame_rate:
            out["frame_folder_fps"] = self.frame_rate
        return out


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
    fallback: Optional[str] = None  # why the decoder asked for was not the one used
    frame_cache: str = "off"  # hit | miss | off: what the on-disk frame cache did
    source_fps: Optional[float] = None  # the video's average frame rate (what processors call fps)
    source_frames: Optional[int] = None  # frames in the video, or in its clip (what the rule chose among)
    sampling: Optional[str] = None  # the spec's label: which rule chose these frames, at what size
    clip_first: int = 0  # index of the clip's first frame in the video (0: the whole video)
    decoder_version: Optional[str] = None  # the decoding library's version, e.g. "av 18.1.0 (libavcodec 62.28.102)"
    origin: Dict[str, Any] = field(default_factory=dict)  # the clip bounds or frame folder rate, if any

    @property
    def clip_indices(self) -> List[int]:
        """The frames' indices within the clip (what a processor's frame indices mean)."""
        return [i - self.clip_first for i in self.indices]

    def facts(self) -> dict:
        """The media facts stored with each prediction."""
        out = {
            "n_frames": len(self.indices),
            "frame_indices": self.indices,
            "timestamps": [round(t, 3) for t in self.timestamps],
            "duration": round(self.duration, 3),
            "frame_size": list(self.frames.shape[1:3]),
            "decoder": self.backend,
            "frame_cache": self.frame_cache,
        }
        if self.rotation:
            out["rotation"] = self.rotation
        if self.fallback:
            out["decoder_fallback"] = self.fallback
        if self.source_fps is not None:
            out["source_fps"] = round(self.source_fps, 6)
            out["source_frames"] = self.source_frames
        if self.sampling:
            out["sampling"] = self.sampling
        if self.decoder_version:
            out["decoder_version"] = self.decoder_version
        out.update(self.origin)
        return out


# --- the packet index ---------------------------------------------------------------------

def probe_video(path: Path) -> VideoInfo:
    """Frame times, keyframes and rotation from the container, without decoding pictures
    (one decoded frame, for the rotation)."""
    import av

    path = Path(path)
    if not path.is_file():
        raise MediaError(f"video not found: {path}")
    refuse_images(path)
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise MediaError(f"{path} has no video stream (only {describe_streams(container)}): "
                                 "replace it with the video file")
            stream = container.streams.video[0]
            packets = [(p.pts, p.is_keyframe) for p in container.demux(stream) if p.pts is not None and p.size > 0]
            time_base, rate = stream.time_base, stream.average_rate
            container.seek(0)
            first = next(container.decode(stream), None)
            rotation = int(round((first.rotation if first is not None else 0) / 90)) * 90 % 360
            coded = (first.height, first.width) if first is not None else (0, 0)
    except MediaError:
        raise
    except Exception as exc:  # the decoder libraries raise many types for corrupt files
        raise MediaError(f"cannot decode video {path} ({str(exc) or type(exc).__name__})") from None
    if not packets or time_base is None:
        raise MediaError(f"cannot decode video {path} (no video frames)")
    ticks = sorted(p for p, _ in packets)
    where = {t: i for i, t in enumerate(ticks)}
    keyframes = sorted(where[p] for p, key in packets if key)
    return VideoInfo(path, ticks, Fraction(time_base), keyframes or [0], leading_pictures(packets), rotation,
                     Fraction(rate) if rate else None, coded)


def describe_streams(container) -> str:
    kinds = [s.type for s in container.streams]
    return ", ".join(f"{kinds.count(k)} {k}" for k in dict.fromkeys(kinds)) or "no streams"


def leading_pictures(packets: List[Tuple[int, bool]]) -> bool:
    """Open GOP: some picture decoded after a keyframe is shown before it (it references the
    previous group of pictures, so decoding from that keyframe alone cannot make it)."""
    key_pts = None
    for pts, key in packets:
        if key:
            key_pts = pts
        elif key_pts is not None and pts < key_pts:
            return True
    return False


def read_plan(info: VideoInfo, indices: List[int]) -> List[Tuple[int, List[int]]]:
    """How PyAV fetches ``indices``: runs of (keyframe index to seek to, targets decoded forward
    from it). One run from the first frame is a sequential pass; several runs skip the groups of
    pictures that hold no target. Sparse only when it saves a quarter of the decoding."""
    sequential = [(0, list(indices))]
    if not indices or len(info.keyframes) < 2:
        return sequential
    runs: List[Tuple[int, List[int]]] = []
    for i in indices:
        key = info.keyframes[bisect.bisect_right(info.keyframes, i) - 1]
        if runs and key - runs[-1][1][-1] <= SEEK_COST_FRAMES:  # cheaper to decode on than to seek
            runs[-1][1].append(i)
        else:
            runs.append((key, [i]))
    sparse_cost = sum(targets[-1] - key + 1 + SEEK_COST_FRAMES for key, targets in runs)
    return runs if sparse_cost < SPARSE_BELOW * (indices[-1] + 1) else sequential


Size = Optional[Tuple[int, int]]  # (height, width) to resize to at decode, or None


def _upright(frame, size: Size, turns: int) -> np.ndarray:
    if size:  # the coded frame is resized so that, once turned, it has the size asked
        h, w = size if turns % 2 == 0 else size[::-1]
        return np.ascontiguousarray(np.rot90(to_rgb(frame, frame.reformat(width=w, height=h)), k=turns))
    return np.ascontiguousarray(np.rot90(to_rgb(frame), k=turns))


BT709, FULL_RANGE = 1, 2  # FFmpeg's AVCOL_SPC_BT709 and AVCOL_RANGE_JPEG


def to_rgb(frame, pixels=None) -> np.ndarray:
    """RGB of a decoded frame (or of ``pixels``, its resized copy) by the colour matrix and range the
    stream is tagged with, stated explicitly: BT.709 when tagged so, else BT.601; full range when
    tagged so (or a yuvj format), else limited. PyAV 18 and decord convert this way by themselves,
    PyAV 15 always used BT.601 (up to 35 levels apart on BT.709 video); stating the conversion
    makes the pixels the same whichever PyAV is installed. (The destination matrix means nothing
    for RGB; naming one makes PyAV <= 15 apply the source's.)"""
    space = "ITU709" if int(frame.colorspace) == BT709 else "ITU601"
    full = int(frame.color_range) == FULL_RANGE or frame.format.name.startswith("yuvj")
    return (pixels or frame).reformat(format="rgb24", src_colorspace=space, dst_colorspace="ITU601",
                                      src_color_range="JPEG" if full else "MPEG",
                                      dst_color_range="JPEG").to_ndarray()


def _pyav_frames(info: VideoInfo, indices: List[int], size: Size) -> np.ndarray:
    import av

    turns = info.rotation // 90 % 4
    out: Dict[int, np.ndarray] = {}
    with av.open(str(info.path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = THREAD_TYPE
        for n, (key, targets) in enumerate(read_plan(info, indices)):
            wanted = {info.ticks[i]: i for i in targets}
            if n or key:
                container.seek(info.ticks[key], stream=stream, backward=True, any_frame=False)
            last = info.ticks[targets[-1]]
            for frame in container.decode(stream):
                if frame.pts is None:
                    raise MediaError(f"{info.path}: a decoded frame has no timestamp")
                if frame.pts in wanted:
                    out[wanted[frame.pts]] = _upright(frame, size, turns)
                if frame.pts >= last:
                    break
    missing = [i for i in indices if i not in out]
    if missing:
        raise MediaError(f"{info.path}: decoding stopped before frame {missing[0]} of {info.n_frames}")
    return np.stack([out[i] for i in indices])


def _decord_frames(info: VideoInfo, indices: List[int], size: Size) -> np.ndarray:
    import decord

    if info.open_gop:
        raise FallBack("open GOP: decord's seeks return later frames on such videos")
    if info.rotation:
        raise FallBack(f"rotated {info.rotation} degrees: evalkit turns frames upright itself")
    kwargs = {"ctx": decord.cpu(0), "num_threads": min(4, os.cpu_count() or 1)}
    if size:
        kwargs.update(height=size[0], width=size[1])
    vr = decord.VideoReader(str(info.path), **kwargs)
    if len(vr) != info.n_frames:
        raise FallBack(f"decord counts {len(vr)} frames where the container lists {info.n_frames}")
    return vr.get_batch(indices).asnumpy()


def _torchcodec_frames(info: VideoInfo, indices: List[int], size: Size) -> np.ndarray:
    import torch
    from torchcodec.decoders import VideoDecoder

    if info.rotation:
        raise FallBack(f"rotated {info.rotation} degrees: evalkit turns frames upright itself")
    decoder = VideoDecoder(str(info.path), seek_mode="exact", dimension_order="NCHW")
    if decoder.metadata.num_frames != info.n_frames:
        raise FallBack(f"torchcodec counts {decoder.metadata.num_frames} frames where the container lists "
                       f"{info.n_frames}")
    x = decoder.get_frames_at(indices=indices).data
    if size:
        x = torch.nn.functional.interpolate(x.float(), size=size, mode="bilinear", antialias=True,
                                            align_corners=False).round().clamp(0, 255).to(torch.uint8)
    return x.permute(0, 2, 3, 1).contiguous().numpy()


class FallBack(Exception):
    """This decoder is not exact for this video; the message says why (recorded)."""


# the decoders tried before PyAV, which is always the last resort
_DECODE: Dict[str, Callable[[VideoInfo, List[int], Size], np.ndarray]] = {
    "decord": _decord_frames, "torchcodec": _torchcodec_frames}


def check_decoder(name: str) -> str:
    if name not in DECODERS:
        raise ConfigError(f"--decoder {name!r}: use one of {', '.join(DECODERS)}")
    return name


def refuse_images(path: Path) -> None:
    with path.open("rb") as fh:
        head = fh.read(8)
    kind = next((what for magic, what in IMAGE_MAGIC.items() if head.startswith(magic)), None)
    if kind:
        raise MediaError(f"{path} is {kind}, not a video: replace it with the video file")


def read_video(path: Union[Path, VideoSource], spec: SamplingSpec, decoder: str = "auto") -> SampledVideo:
    """Decode the frames ``spec`` selects from a video (or its clip, or a folder of frames)."""
    source = path if isinstance(path, VideoSource) else VideoSource(Path(path))
    check_decoder(decoder)
    start = time.perf_counter()
    info = probe_frames(source.path, source.frame_rate) if source.frame_rate else probe_video(source.path)
    first, pts, duration = clip_of(info, source.clip)
    indices = [first + i for i in spec.select(pts, duration, info.fps)]
    target = spec.frame_size(*info.upright, len(indices)) if info.coded[0] else None
    size = target if spec.resize_backend == "decoder" else None  # else resized after decoding
    name = "pyav" if decoder == "auto" else decoder
    fallback = None
    frames = None
    if source.frame_rate:
        frames, name = _folder_frames(info, indices, size), "images"
    else:
        fallback = decoder_unavailable(name)
    if frames is None and fallback is None and name != "pyav":
        try:
            frames = _DECODE[name](info, indices, size)
        except FallBack as exc:
            fallback = str(exc)
        except Exception as exc:  # a decoder failing on a file PyAV may still read
            fallback = f"{name} failed: {str(exc) or type(exc).__name__}"
    if frames is None:
        try:
            frames = _pyav_frames(info, indices, size)
        except MediaError:
            raise
        except Exception as exc:
            raise MediaError(f"cannot decode video {source.path} ({str(exc) or type(exc).__name__})") from None
        name = "pyav"
    if target is not None and size is None and frames.shape[1:3] != target:
        frames = resize_frames(frames, target, spec.resize_backend)
    return SampledVideo(
        frames=frames,
        indices=indices,
        timestamps=[float(pts[i - first]) for i in indices],
        duration=float(duration),
        backend=name,
        decode_s=time.perf_counter() - start,
        source=source.path,
        rotation=info.rotation,
        fallback=fallback,
        source_fps=info.fps,
        source_frames=len(pts),
        sampling=spec.label(),
        clip_first=first,
        origin=source.facts(),
        decoder_version=library_version(name),
    )


@functools.lru_cache(maxsize=None)
def library_version(decoder: str) -> str:
    """The version of what decoded the frames (a PyAV upgrade may move pixels: recorded, and part
    of the frame-cache key)."""
    from importlib.metadata import PackageNotFoundError, version

    if decoder == "pyav":
        import av

        codec = ".".join(map(str, av.library_versions.get("libavcodec", ())))
        return f"av {av.__version__} (libavcodec {codec})"
    package = {"images": "pillow"}.get(decoder, decoder)
    try:
        return f"{package} {version(package)}"
    except PackageNotFoundError:
        return package


def clip_of(info: VideoInfo, clip: Optional[Tuple[float, float]]) -> Tuple[int, List[Fraction], Fraction]:
    """(index of the first frame, the frames' times from it, the duration) of the whole video or
    of the frames shown between ``clip``'s start and end (1 us tolerance, as the rules)."""
    if clip is None:
        return 0, info.pts, info.duration
    start, end = Fraction(clip[0]) - TOLERANCE, Fraction(clip[1]) + TOLERANCE
    inside = [i for i, t in enumerate(info.pts) if start <= t <= end]
    if not inside:
        raise MediaError(f"{info.path}: no frame between {clip[0]:g} s and {clip[1]:g} s (the video lasts "
                         f"{float(info.duration):.3f} s); check the clip bounds")
    first = inside[0]
    pts = [info.pts[i] - info.pts[first] for i in inside]
    return first, pts, video_duration(pts, info.rate or info.fps)


IMAGE_FILES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def frame_files(folder: Path) -> List[Path]:
    """A frame folder's images in frame order (numbers in names compared as numbers)."""
    files = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_FILES]
    return sorted(files, key=lambda p: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name)])


def probe_frames(folder: Path, rate: float) -> VideoInfo:
    """A folder of frame images as a video at ``rate`` frames per second."""
    from PIL import Image

    if not Path(folder).is_dir():
        raise MediaError(f"frame folder not found: {folder}")
    files = frame_files(Path(folder))
    if not files:
        raise MediaError(f"frame folder {folder} holds no images ({', '.join(IMAGE_FILES)})")
    try:
        with Image.open(files[0]) as im:
            coded = (im.height, im.width)
    except OSError as exc:
        raise MediaError(f"cannot read frame {files[0]}: {exc}") from None
    fps = Fraction(rate).limit_denominator(1000)
    info = VideoInfo(Path(folder), list(range(len(files))), 1 / fps, list(range(len(files))), rate=fps, coded=coded)
    info.files = files
    return info


def _folder_frames(info: VideoInfo, indices: List[int], size: Size) -> np.ndarray:
    from PIL import Image

    out = []
    for i in indices:
        try:
            with Image.open(info.files[i]) as im:
                im = im.convert("RGB")
                if size:
                    im = im.resize((size[1], size[0]), Image.Resampling.BILINEAR)
                out.append(np.asarray(im))
        except OSError as exc:
            raise MediaError(f"cannot read frame {info.files[i]}: {exc}") from None
    return np.stack(out)


def resize_frames(frames: np.ndarray, size: Tuple[int, int], backend: str) -> np.ndarray:
    """(n, h, w, 3) uint8 frames resized to ``size`` by a backend of the sampling vocabulary."""
    if backend == "torchvision":
        return resize_torchvision(frames, size)
    return resize_bicubic_aa(frames, size)


def resize_torchvision(frames: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """torchvision's v2 bicubic resize with antialias on the uint8 frames: what transformers'
    image and video processors do, so that their own resize of the result is the identity."""
    import torch

    from ..torchvision_ops import prepare

    prepare()
    try:
        from torchvision.transforms import InterpolationMode
        from torchvision.transforms.v2 import functional as tvf
    except ImportError:
        raise ConfigError("the torchvision resize backend needs torchvision: pip install 'evalkit-video[hf]' "
                          "(the build that matches your torch)") from None
    x = torch.from_numpy(np.require(frames, requirements=["C", "W"])).permute(0, 3, 1, 2)
    y = tvf.resize(x, list(size), interpolation=InterpolationMode.BICUBIC, antialias=True)
    return y.permute(0, 2, 3, 1).contiguous().numpy()


def resize_bicubic_aa(frames: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """(n, h, w, 3) uint8 frames resized to ``size`` (height, width) with antialiased bicubic
    interpolation, rounded and clamped back to uint8: what torchvision's resize does to uint8
    tensors, which the Qwen and HF processors' preprocessing uses."""
    import torch

    x = torch.from_numpy(np.require(frames, requirements=["C", "W"])).permute(0, 3, 1, 2).float()
    y = torch.nn.functional.interpolate(x, size=size, mode="bicubic", antialias=True, align_corners=False)
    return y.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).contiguous().numpy()
