"""The frame strips of the ``evalkit view`` page: which frames a strip shows, getting them (from a
run's frame cache, else decoded at thumbnail size) and writing each strip once as a JPEG with a
JSON description beside it, reused by later pages. Kept apart from the page's data because this is
the part that reads pixels: video decoding, the frame cache, PIL and worker threads.
"""
from __future__ import annotations

import concurrent.futures
import hashlib
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from ..errors import EvalkitError
from ..media.sampling import (
    PAPER_RULE, ExactSize, FpsFrames, FrameRule, PaperFrames, PixelBudget, Resize, SamplingSpec, SideSize,
    UniformFrames,
)
from ..media.video import VideoSource

THUMB_FORMAT = 1  # bump when strips are drawn differently: old ones are then made again
THUMB_HEIGHT = 54
MAX_THUMBS = 32
CONTEXT_FRAMES = 8
STRIP_GAP = 2  # white pixels between two thumbnails of a strip


@dataclass(frozen=True)
class GivenFrames(FrameRule):
    """Exactly the given frame indices (those the video has): the frames a record says a model saw."""

    indices: Tuple[int, ...]
    name = "given"

    def select(self, pts: Sequence[Any], duration: Any, fps: float) -> List[int]:
        return [i for i in self.indices if 0 <= i < len(pts)]


@dataclass(frozen=True)
class ThumbSize(Resize):
    """Frames ``height`` px high; the width by ``aspect`` (width / height: the size the model saw),
    else by the video's own aspect."""

    height: int
    aspect: Optional[float] = None
    backend: str = "decoder"
    name = "thumb"

    def size_for(self, height: int, width: int, n_frames: int) -> Tuple[int, int]:
        aspect = self.aspect or (width / height if height else 1.0)
        return self.height, max(2, int(round(self.height * aspect / 2)) * 2)


def spec_from_dict(sampling: Optional[Mapping[str, Any]]) -> Optional[SamplingSpec]:
    """The SamplingSpec a run.json ``sampling`` records (for the frame cache's key), or None when
    it is not one this evalkit writes."""
    if not sampling:
        return None
    try:
        if sampling.get("rule") == PAPER_RULE and "resize" not in sampling:
            size = sampling.get("size")
            return SamplingSpec.paper(int(sampling["max_frames"]), float(sampling.get("fps_below_max", 1.0)),
                                      (int(size[0]), int(size[1])) if size else None)
        rules: Dict[str, Callable[..., FrameRule]] = {PAPER_RULE: PaperFrames, "uniform": UniformFrames,
                                                      "fps": FpsFrames}
        resizes: Dict[str, Callable[..., Resize]] = {"exact": ExactSize, "side": SideSize,
                                                     "pixel-budget": PixelBudget}
        frames = rules[sampling["rule"]](**{k: v for k, v in sampling.items() if k not in ("rule", "resize")})
        r = sampling.get("resize")
        resize = resizes[r["resize"]](**{k: v for k, v in r.items() if k != "resize"}) if r else None
        return SamplingSpec(frames, resize)
    except (KeyError, TypeError, ValueError, EvalkitError):
        return None


def spread(n: int, m: int) -> List[int]:
    """``m`` positions spread evenly over ``range(n)``, ends included (all of them when m <= 0 or
    m >= n)."""
    if m <= 0 or m >= n:
        return list(range(n))
    if m == 1:
        return [0]
    return sorted({round(i * (n - 1) / (m - 1)) for i in range(m)})


@dataclass
class StripJob:
    """One strip to show: what it shows and how to make it when it is not in the folder yet."""

    kind: str  # "seen" (frames a run saw) | "context" (frames for a run that read none) | "images"
    source: Optional[VideoSource] = None
    indices: Tuple[int, ...] = ()  # seen: the recorded frame indices (all of them)
    timestamps: Tuple[float, ...] = ()
    aspect: Optional[float] = None
    images: Tuple[Path, ...] = ()
    cache: Optional[Tuple[str, Mapping[str, Any], str]] = None  # (frame cache dir, sampling, decoder)

    def key(self) -> Tuple[Any, ...]:
        return (self.kind, self.source, self.indices, self.images)


@dataclass
class Thumbs:
    """Makes (or finds) the strips of one page in its ``folder``."""

    folder: Path
    height: int = THUMB_HEIGHT
    max_thumbs: int = MAX_THUMBS
    context_frames: int = CONTEXT_FRAMES
    made: int = 0
    reused: int = 0
    from_cache: int = 0
    problems: List[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # strips are made on threads

    def count(self, what: str) -> None:
        with self.lock:
            setattr(self, what, getattr(self, what) + 1)

    def file_key(self, job: StripJob, shown: Sequence[int]) -> str:
        """The strip's file name: the media's identity (path, size, modification time), the frames
        shown and the thumbnail size."""
        paths = [job.source.path] if job.source else list(job.images)
        ident: List[Any] = []
        for p in paths:
            try:
                st = p.stat()
                ident.append([str(p.resolve()), st.st_size, st.st_mtime_ns])
            except OSError:
                ident.append([str(p), None, None])
        facts = job.source.facts() if job.source else {}
        blob = json.dumps({"v": THUMB_FORMAT, "kind": job.kind, "media": ident, "facts": facts, "shown": list(shown),
                           "of": len(job.indices),
                           "n": self.context_frames if job.kind == "context" else None, "h": self.height,
                           "aspect": round(job.aspect, 4) if job.aspect else None}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:24]

    def make(self, job: StripJob) -> Optional[Dict[str, Any]]:
        """The strip's description for the page ({file, ws, h, t, n, ctx}), made now or found."""
        shown = [job.indices[i] for i in spread(len(job.indices), self.max_thumbs)] if job.kind == "seen" else []
        name = self.file_key(job, shown)
        jpg, meta = self.folder / f"{name}.jpg", self.folder / f"{name}.json"
        if jpg.is_file() and meta.is_file():
            try:
                found = json.loads(meta.read_text(encoding="utf-8"))
                self.count("reused")
                return {**found, "file": jpg.name}
            except (OSError, ValueError):
                pass
        try:
            frames, times = self.pixels(job, shown)
        except Exception as exc:  # a missing or unreadable video costs its strip, not the page
            where = job.source.path if job.source else ", ".join(str(p) for p in job.images)
            with self.lock:
                self.problems.append(f"{where}: {str(exc) or type(exc).__name__}")
            return None
        if not frames:
            return None
        desc = write_strip(frames, jpg, meta, times)
        desc["n"] = len(job.indices) if job.kind == "seen" else len(frames)
        desc["ctx"] = job.kind == "context"
        meta.write_text(json.dumps({k: v for k, v in desc.items() if k != "file"}), encoding="utf-8")
        self.count("made")
        return desc

    def pixels(self, job: StripJob, shown: Sequence[int]) -> Tuple[List[Any], List[Optional[float]]]:
        """(thumbnail frames as HxWx3 arrays, their times in seconds or None)."""
        from ..media.video import read_video

        if job.kind == "images":
            return [thumb_image(p, self.height) for p in job.images], [None] * len(job.images)
        assert job.source is not None
        if job.kind == "context":
            spec = SamplingSpec(UniformFrames(self.context_frames), ThumbSize(self.height))
            video = read_video(job.source, spec)
            return list(video.frames), [round(t, 3) for t in video.timestamps]
        times = [job.timestamps[job.indices.index(i)] if i in job.indices else None for i in shown]
        cached = self.cached_frames(job, shown)
        if cached is not None:
            self.count("from_cache")
            return cached, list(times)
        # the recorded indices count from the video's first frame, also for a clip: read the whole
        # source (a frame folder stays one) and take exactly those frames
        whole = VideoSource(job.source.path, None, job.source.frame_rate)
        video = read_video(whole, SamplingSpec(GivenFrames(tuple(shown)), ThumbSize(self.height, job.aspect)))
        if list(video.indices) != list(shown):
            raise EvalkitError(f"the video has {video.source_frames} frames, the record names frame "
                               f"{max(shown)}: it changed since the run")
        return list(video.frames), list(times)

    def cached_frames(self, job: StripJob, shown: Sequence[int]) -> Optional[List[Any]]:
        """The shown frames from the run's frame cache (at the model's size, scaled down), or None."""
        if job.cache is None or job.source is None:
            return None
        from ..media.frame_cache import FrameCache

        folder, sampling, decoder = job.cache
        spec = spec_from_dict(sampling)
        if spec is None or not Path(folder).is_dir():
            return None
        try:
            cache = FrameCache(Path(folder))
            video = cache.get(cache.key(job.source, spec, decoder))
        except (EvalkitError, OSError):
            return None
        if video is None or list(video.indices) != list(job.indices):
            return None
        return [scale(video.frames[job.indices.index(i)], self.height) for i in shown]


def scale(frame: Any, height: int) -> Any:
    """An HxWx3 frame scaled to ``height`` px high (aspect kept)."""
    import numpy as np
    from PIL import Image

    im = Image.fromarray(np.ascontiguousarray(frame))
    width = max(2, int(round(im.width * height / max(im.height, 1))))
    return np.asarray(im.resize((width, height), Image.Resampling.BILINEAR))


def thumb_image(path: Path, height: int) -> Any:
    import numpy as np
    from PIL import Image

    with Image.open(path) as im:
        return scale(np.asarray(im.convert("RGB")), height)


def write_strip(frames: Sequence[Any], jpg: Path, meta: Path, times: Sequence[Optional[float]]) -> Dict[str, Any]:
    """The frames side by side (``STRIP_GAP`` white pixels apart) as one JPEG."""
    import numpy as np
    from PIL import Image

    height = max(f.shape[0] for f in frames)
    widths = [int(f.shape[1]) for f in frames]
    canvas = np.full((height, sum(widths) + STRIP_GAP * (len(frames) - 1), 3), 255, dtype=np.uint8)
    x = 0
    for f, w in zip(frames, widths):
        canvas[:f.shape[0], x:x + w] = f[..., :3]
        x += w + STRIP_GAP
    jpg.parent.mkdir(parents=True, exist_ok=True)
    tmp = jpg.with_suffix(".tmp")
    Image.fromarray(canvas).save(tmp, format="JPEG", quality=72, optimize=True)
    tmp.replace(jpg)
    return {"file": jpg.name, "ws": widths, "h": height, "gap": STRIP_GAP, "t": list(times)}


def make_strips(jobs: Sequence[StripJob], thumbs: Thumbs, workers: int, folder_href: str
                ) -> List[Optional[Dict[str, Any]]]:
    """Every strip (on ``workers`` threads: decoding releases the GIL), with its href."""
    if not jobs:
        return []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        made = list(pool.map(thumbs.make, jobs))
    out: List[Optional[Dict[str, Any]]] = []
    for job, desc in zip(jobs, made):
        if desc is None:
            out.append(None)
            continue
        d = {k: v for k, v in desc.items() if k != "file"}
        d["src"] = f"{folder_href}/{desc['file']}"
        if job.kind == "images":
            d["ctx"] = False
        out.append(d)
    return out
