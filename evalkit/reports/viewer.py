"""``evalkit view RUN [RUN ...]``: every sample of every task of the runs on one page a browser
opens from disk, offline (no server; nothing is fetched from the web: the page's policy allows
no connection and only its own thumbnails).

Per sample: the question, the options with the gold marked, each run's response, what every
protocol read from it and its score, judge verdicts with the judge's reply, the subtitle lines
and the prompt the model got (rebuilt through the task plugin from the task's data, checked
against the prompt hash the record holds), the run's media and model facts, and a strip of the
frames the model saw with their timestamps. Filters: task, protocol, every breakdown field (and
the recorded video length where a task has no duration field), outcome (right, wrong, unparsed,
failed, unscored) of one run, of any or of every run, flips between any two runs (A right and B
wrong, or the reverse; judged tasks: B's judge score lower or higher), free text and a sample id;
the counts beside every choice follow the other filters. The filters live in the URL's fragment
(``view.html#task=videomme&duration=long&outcome=wrong&run=<name>``), which is how the
leaderboard and ``compare`` pages link to a cell's samples.

Thumbnails (small JPEG strips, one per video and set of frames, in ``<page>_files/`` beside the
page, loaded lazily) are made once: from the run's frame cache when it holds the frames, else
decoded at thumbnail size, exactly the recorded frame indices; a strip already in the folder is
reused, never decoded again. For a run that read no pixels (e.g. ``replay``) the strip shows
``context_frames`` frames spread over the video, marked as not seen by the model.

Everything from run files reaches the page as JSON inside a ``<script type="application/json">``
block with ``<``, ``>`` and ``&`` escaped, and is put on screen with ``textContent`` only: a
response holding HTML or script is shown as text. The page's Content-Security-Policy admits its
one inline script by hash, so markup that got in some other way would not run either.
"""
from __future__ import annotations

import base64
import concurrent.futures
import hashlib
import html
import json
import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from ..errors import ConfigError, EvalkitError
from ..jsonsafe import dumps, escape_surrogates
from ..media.sampling import (
    PAPER_RULE, ExactSize, FpsFrames, FrameRule, PaperFrames, PixelBudget, Resize, SamplingSpec, SideSize,
    UniformFrames,
)
from ..media.video import SampledVideo, VideoSource
from ..scoring.choice import letters
from ..scoring.metrics import groups_of
from .plots import duration_key, length_bucket, order_groups, scored_records

THUMB_FORMAT = 1  # bump when strips are drawn differently: old ones are then made again
THUMB_HEIGHT = 54
MAX_THUMBS = 32
CONTEXT_FRAMES = 8
STRIP_GAP = 2  # white pixels between two thumbnails of a strip
LENGTH_FACET = "video length"
OUTCOMES = {"right": "r", "wrong": "w", "unparsed": "u", "failed": "f", "unscored": "n"}
PAGE_SIZE = 40


# --- what the page shows of a record (pure) ---------------------------------------------------------

def outcome(record: Mapping[str, Any], protocol: str) -> str:
    """right | wrong | unparsed | failed | unscored: a record under ``protocol``. Failed: no
    response (media or model error); unparsed: the protocol read no answer (judged tasks: no
    verdict yet); unscored: no public answer, or the protocol left the item out; right: score 1."""
    if record.get("error") is not None:
        return "failed"
    if not (record.get("parsed") or {}).get(protocol):
        return "unparsed"
    score = (record.get("score") or {}).get(protocol)
    if score is None or not record.get("target"):
        return "unscored"
    return "right" if score >= 1 else "wrong"


def paired_value(record: Mapping[str, Any], protocol: str, judged: bool) -> Optional[float]:
    """The per-sample value ``evalkit compare`` pairs: the score under ``protocol`` (0/1), or for
    a judged protocol the primary (oldest) judge's 0-5 score; None leaves the sample unpaired."""
    if not judged:
        return (record.get("score") or {}).get(protocol)
    verdicts = record.get("judgements") or {}
    v = next(iter(verdicts.values()), None)
    if v is None or v.get("error") or v.get("score") is None:
        return None
    return float(v["score"])


def flip(a: Optional[float], b: Optional[float]) -> str:
    """'down' (B below A: right in A, wrong in B), 'up' (the reverse) or '' (equal, or unpaired):
    the rule the page's flips filter applies."""
    if a is None or b is None or a == b:
        return ""
    return "down" if b < a else "up"


def media_line(media: Optional[Mapping[str, Any]]) -> str:
    """One line of what a record says the model was shown."""
    if not media:
        return "no pixels read"
    if "n_images" in media:
        sizes = media.get("sizes") or []
        return f"{media['n_images']} image(s)" + (f", {sizes[0][0]}x{sizes[0][1]} px" if sizes else "")
    parts = [f"{media.get('n_frames', len(media.get('frame_indices') or []))} frames"]
    if media.get("duration") is not None:
        parts[0] += f" of {media['duration']:.1f} s"
    if media.get("frame_size"):
        parts.append(f"{media['frame_size'][0]}x{media['frame_size'][1]} px")
    for key in ("sampling", "decoder"):
        if media.get(key):
            parts.append(str(media[key]))
    if media.get("frame_cache") not in (None, "off"):
        parts.append(f"frame cache {media['frame_cache']}")
    if media.get("clip"):
        parts.append(f"clip {media['clip'][0]:g}-{media['clip'][1]:g} s")
    if media.get("decoder_fallback"):
        parts.append(f"fallback: {media['decoder_fallback']}")
    return ", ".join(parts)


def small_facts(facts: Optional[Mapping[str, Any]], limit: int = 16) -> Dict[str, Any]:
    """The scalar facts of a record's ``model`` block (at most ``limit``), for one line."""
    out: Dict[str, Any] = {}
    for k, v in (facts or {}).items():
        if isinstance(v, (str, int, float, bool)) or v is None:
            out[str(k)] = v if not isinstance(v, str) else v[:200]
        if len(out) >= limit:
            break
    return out


def option_rows(options: Sequence[Any], target: str) -> Tuple[List[List[str]], Optional[int]]:
    """([letter, text] per option, index of the gold option or None). Options that already begin
    with their letter ('A. One.') keep their text whole."""
    keys = letters(len(options))
    rows = []
    for k, o in zip(keys, options):
        text = str(o)
        rows.append(["", text] if re.match(rf"^\s*\(?{k}[.):]\s", text) else [k, text])
    gold = keys.index(target) if target in keys else None
    return rows, gold


RESERVED = ("task", "protocol", "run", "outcome", "a", "b", "flip", "q", "id", "page")


def hash_link(page: str, facets: Optional[Mapping[str, Any]] = None, **filters: Any) -> str:
    """``page`` with a fragment that sets the viewer's filters: ``filters`` by name (task,
    protocol, run, outcome, a, b, flip, q, id), ``facets`` by breakdown field (a field named like
    a filter is written ``f.<field>``). Values URL-encoded; None and '' left out."""
    params = {k: v for k, v in filters.items() if k in RESERVED}
    unknown = sorted(set(filters) - set(RESERVED))
    if unknown:
        raise ValueError(f"no viewer filter {', '.join(unknown)}; breakdown fields go in facets")
    for key, value in (facets or {}).items():
        params["f." + key if key in RESERVED else key] = value
    query = urllib.parse.urlencode({k: str(v) for k, v in params.items() if v not in (None, "")},
                                   quote_via=urllib.parse.quote)
    return f"{page}#{query}" if query else page


def href_to(target: Path, from_page: Path) -> str:
    """A relative URL from the page ``from_page`` to the file ``target``."""
    import os

    rel = os.path.relpath(Path(target).resolve(), Path(from_page).resolve().parent)
    return "/".join(urllib.parse.quote(part) for part in Path(rel).parts)


def embed_json(data: Any) -> str:
    """JSON to place inside ``<script type="application/json">``: ``<``, ``>`` and ``&`` are
    written as JSON escapes (so '</script>' in a response cannot end the block), unpaired
    surrogates escaped, U+2028/2029 escaped."""
    text = dumps(data, separators=(",", ":"), allow_nan=False)
    for ch, esc in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


# --- thumbnails ---------------------------------------------------------------------------------------

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


# --- collecting the page's data ---------------------------------------------------------------------

@dataclass
class ViewOptions:
    tasks: Optional[List[str]] = None
    data: Optional[str] = None  # like run's --data: where the tasks' data is when not where run.json says
    media: Optional[str] = None
    thumbs: bool = True
    max_thumbs: int = MAX_THUMBS
    thumb_height: int = THUMB_HEIGHT
    context_frames: int = CONTEXT_FRAMES
    workers: int = 4
    title: str = ""


@dataclass
class View:
    """What ``write_view`` wrote."""

    path: Path
    n_samples: int
    n_runs: int
    tasks: List[str]
    strips: int = 0
    made: int = 0
    reused: int = 0
    from_cache: int = 0
    notes: List[str] = field(default_factory=list)


def run_dirs(paths: Sequence[str]) -> List[Path]:
    """Run folders: each path that holds a run.json, or the runs directly below a folder."""
    from ..store import RUN_JSON

    found: List[Path] = []
    for p in map(Path, paths):
        if (p / RUN_JSON).is_file():
            found.append(p)
        elif p.is_dir() and sorted(p.glob(f"*/{RUN_JSON}")):
            found.extend(x.parent for x in sorted(p.glob(f"*/{RUN_JSON}")))
        else:
            raise ConfigError(f"{p}: not a run dir (no run.json) or a folder of runs")
    return list(dict.fromkeys(found))


def default_page(runs: Sequence[Path], names: Sequence[str]) -> Path:
    """Beside the run: ``<run>/view.html``; for several runs, in the first one's parent folder,
    named after them."""
    if len(runs) == 1:
        return runs[0] / "view.html"
    joined = "_vs_".join(re.sub(r"[^A-Za-z0-9._-]+", "-", n) for n in names)
    if len(joined) > 80:
        joined = f"{len(names)}runs-{hashlib.sha256(joined.encode()).hexdigest()[:8]}"
    return runs[0].parent / f"view_{joined}.html"


def files_folder(page: Path) -> Path:
    return page.with_name(page.stem + "_files")


class TaskDataCache:
    """Each task's samples by id, loaded once per data location (None when not found: the page is
    made without prompts, subtitles or frames for it, and says so)."""

    def __init__(self, options: ViewOptions):
        from ..data import parse_data_arg

        self.options = options
        self.loaded: Dict[Tuple[str, Optional[str], Optional[str]], Optional[Dict[str, Any]]] = {}
        self.problems: List[str] = []
        self.parse = parse_data_arg

    def samples(self, task: str, info: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
        layout = ((info.get("tasks") or {}).get(task) or {}).get("layout") or {}
        data = self.parse(self.options.data, [task])[task] if self.options.data else None
        media = self.parse(self.options.media, [task], "--media")[task] if self.options.media else None
        where = (data or layout.get("annotations"), media or (None if data else layout.get("media")))
        key = (task, *where)
        if key not in self.loaded:
            self.loaded[key] = self._load(task, where[0], where[1], info)
        return self.loaded[key]

    def _load(self, task: str, data: Optional[str], media: Optional[str], info: Mapping[str, Any]
              ) -> Optional[Dict[str, Any]]:
        from ..registry import TASKS

        if data is None:
            data = (info.get("config") or {}).get("data")
            if isinstance(data, str) and "=" in data:
                data = self.parse(data, [task])[task] if task in data else None
        try:
            loaded = TASKS.get(task)().load(data, media)
        except (EvalkitError, OSError, ValueError) as exc:
            self.problems.append(f"{task}: its data was not found at {data or 'the default place'} "
                                 f"({' '.join(str(exc).split())[:300]}); give --data (and --media) to show "
                                 "prompts, subtitles and frames")
            return None
        return {s.id: s for s in loaded.samples}


def media_stub(record: Mapping[str, Any]) -> Optional[SampledVideo]:
    """What build_request needs of a video the record says was read: its frames' times."""
    import numpy as np

    media = record.get("media") or {}
    if "timestamps" not in media:
        return None
    return SampledVideo(frames=np.zeros((0, 1, 1, 3), dtype=np.uint8), indices=list(media.get("frame_indices") or []),
                        timestamps=list(media["timestamps"]), duration=float(media.get("duration") or 0.0),
                        backend=str(media.get("decoder") or ""))


def image_stub(record: Mapping[str, Any], sample: Any) -> Optional[Any]:
    from ..media.images import LoadedImages

    media = record.get("media") or {}
    if "n_images" not in media:
        return None
    import numpy as np

    return LoadedImages([np.zeros((1, 1, 3), dtype=np.uint8) for _ in sample.images], list(sample.images))


class Interner:
    """A list of distinct values, referred to by index (prompts and subtitles repeat across runs)."""

    def __init__(self) -> None:
        self.items: List[Any] = []
        self.index: Dict[str, int] = {}

    def add(self, value: Any) -> int:
        key = json.dumps(value, sort_keys=True)
        if key not in self.index:
            self.index[key] = len(self.items)
            self.items.append(value)
        return self.index[key]


def collect(paths: Sequence[str], options: ViewOptions, page: Path) -> Tuple[Dict[str, Any], View]:
    """The page's data for the runs at ``paths`` (thumbnails written into the page's folder)."""
    from ..registry import TASKS
    from ..store import RunDir

    dirs = run_dirs(paths)
    runs = [RunDir(d) for d in dirs]
    infos = [r.load_run() for r in runs]
    names = [i["run_name"] for i in infos]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"two runs are named {', '.join(dupes)}: view runs with distinct names")
    tasks = list(dict.fromkeys(t for i in infos for t in i["config"]["tasks"]))
    if options.tasks:
        missing = [t for t in options.tasks if t not in tasks]
        if missing:
            raise ConfigError(f"task(s) {', '.join(missing)} in none of the runs (they have {', '.join(tasks)})")
        tasks = list(options.tasks)
    view = View(page, 0, len(runs), tasks)
    datas = TaskDataCache(options)
    thumbs = Thumbs(files_folder(page), options.thumb_height, options.max_thumbs, options.context_frames)
    prompts, subs = Interner(), Interner()
    jobs: Dict[Tuple[Any, ...], int] = {}
    job_list: List[StripJob] = []
    samples_out: List[Dict[str, Any]] = []
    task_out: List[Dict[str, Any]] = []
    facet_values: Dict[str, List[str]] = {}
    mismatched: Dict[str, int] = {}

    def strip_of(job: StripJob) -> int:
        k = job.key()
        if k not in jobs:
            jobs[k] = len(job_list)
            job_list.append(job)
        return jobs[k]

    for t_index, task in enumerate(tasks):
        plugin = TASKS.get(task)()
        protocols = [{"name": p.name, "kind": p.kind} for p in plugin.protocols]
        judged = {p.name: p.kind == "judged" for p in plugin.protocols}
        keys = list(plugin.breakdown_keys)
        facets = keys + ([] if duration_key(keys) else [LENGTH_FACET])
        per_run: List[Dict[str, Any]] = []
        for run, info in zip(runs, infos):
            if task in info["config"]["tasks"] and (run.predictions_path(task).exists() or run.shard_paths(task)):
                per_run.append({r["id"]: r for r in scored_records(run.path, task)})
            else:
                per_run.append({})
        order: Dict[str, int] = {}
        for recs in per_run:
            for r in recs.values():
                order[r["id"]] = min(order.get(r["id"], r["index"]), r["index"])
        loaded = [datas.samples(task, info) if any(per_run[j]) else None for j, info in enumerate(infos)]
        data = next((d for d in loaded if d is not None), None)
        task_out.append({"name": task, "headline": plugin.headline.name, "protocols": protocols, "keys": facets,
                         "n": len(order), "description": getattr(plugin, "description", "")})
        for sid in sorted(order, key=lambda i: (order[i], i)):
            first = next(recs[sid] for recs in per_run if sid in recs)
            fields = first.get("fields") or {}
            sample = data.get(sid) if data else None
            out: Dict[str, Any] = {"t": t_index, "id": sid, "g": first.get("target") or ""}
            if isinstance(fields.get("question"), str):
                out["q"] = fields["question"]
            if isinstance(fields.get("options"), list):
                out["o"], out["gi"] = option_rows(fields["options"], out["g"])
            facet: Dict[str, Any] = {}
            for key in keys:
                value = fields.get(key)
                if value is not None:
                    groups = groups_of(value)
                    facet[key] = groups if isinstance(value, (list, tuple)) else groups[0]
            if LENGTH_FACET in facets:
                seconds = next(((recs[sid].get("media") or {}).get("duration") for recs in per_run
                                if sid in recs and (recs[sid].get("media") or {}).get("duration")), None)
                bucket = length_bucket(seconds)
                if bucket:
                    facet[LENGTH_FACET] = bucket
            for key, value in facet.items():
                seen = facet_values.setdefault(key, [])
                for v in (value if isinstance(value, list) else [value]):
                    if v not in seen:
                        seen.append(v)
            out["f"] = facet
            extra = {k: v for k, v in fields.items() if k not in ("question", "options", *keys)
                     and isinstance(v, (str, int, float)) and len(str(v)) <= 200}
            if extra:
                out["x"] = extra
            if sample is not None and sample.video is not None:
                out["vid"] = sample.video.name
            rows: List[Optional[Dict[str, Any]]] = []
            strips: Dict[int, List[int]] = {}
            for j, recs in enumerate(per_run):
                r = recs.get(sid)
                if r is None:
                    rows.append(None)
                    continue
                row = run_row(r, plugin.protocols, judged)
                if sample is not None:
                    sb, pr, match = prompt_facts(plugin, sample, r, prompts, subs)
                    if sb is not None:
                        row["sb"] = sb
                    if pr is not None:
                        row["pr"], row["pm"] = pr, match
                        if match is False:
                            mismatched[task] = mismatched.get(task, 0) + 1
                    if options.thumbs:
                        job = seen_job(r, sample, infos[j])
                        if job is not None:
                            strips.setdefault(strip_of(job), []).append(j)
                rows.append(row)
            if options.thumbs and sample is not None and not strips:
                job = context_job(sample, options.context_frames)
                if job is not None:
                    strips.setdefault(strip_of(job), []).extend(j for j, r in enumerate(rows) if r is not None)
            out["R"] = rows
            if strips:
                out["S"] = [[k, v] for k, v in strips.items()]
            samples_out.append(out)
    strip_out = make_strips(job_list, thumbs, options.workers, urllib.parse.quote(files_folder(page).name))
    for s in samples_out:  # strips that could not be made are dropped from their samples
        if "S" in s:
            s["S"] = [x for x in s["S"] if strip_out[x[0]] is not None]
            if not s["S"]:
                del s["S"]
    notes = list(datas.problems)
    for task, n in mismatched.items():
        notes.append(f"{task}: {n} prompt(s) rebuilt from the data differ from the recorded prompt hash (the data "
                     "or the task's prompt changed since the run); they are shown marked")
    if thumbs.problems:
        notes.append(f"{len(thumbs.problems)} strip(s) could not be made: " + "; ".join(thumbs.problems[:5])
                     + (" ..." if len(thumbs.problems) > 5 else ""))
    for info, run in zip(infos, runs):
        if run.busy():
            notes.append(f"run {info['run_name']} is still being written: it shows the samples recorded so far")
    view.n_samples, view.notes = len(samples_out), notes
    view.strips, view.made, view.reused, view.from_cache = (sum(1 for s in strip_out if s), thumbs.made,
                                                             thumbs.reused, thumbs.from_cache)
    facets_out = [{"key": k, "values": order_groups(v)} for k, v in facet_values.items()]
    data_out = {
        "format": 1, "title": options.title or "evalkit samples: " + ", ".join(names),
        "runs": [{"name": i["run_name"], "model": i["model"].get("name"), "untrained": bool(i["model"].get("untrained")),
                  "sampling": sampling_label(i.get("sampling")), "dir": str(d)} for i, d in zip(infos, dirs)],
        "tasks": task_out, "facets": facets_out, "samples": samples_out, "strips": strip_out,
        "prompts": prompts.items, "subs": subs.items, "notes": notes, "page": PAGE_SIZE,
    }
    return data_out, view


def sampling_label(sampling: Optional[Mapping[str, Any]]) -> str:
    from ..media.sampling import label_of

    return label_of(dict(sampling) if sampling else None)


def run_row(record: Mapping[str, Any], protocols: Sequence[Any], judged: Mapping[str, bool]) -> Dict[str, Any]:
    """One run's part of a sample on the page."""
    names = [p.name for p in protocols]
    row: Dict[str, Any] = {
        "x": record.get("response"), "e": record.get("error"),
        "p": {n: (record.get("parsed") or {}).get(n, "") for n in names},
        "s": {n: (record.get("score") or {}).get(n) for n in names},
        "o": {n: OUTCOMES[outcome(record, n)] for n in names},
    }
    if any(judged.values()):
        row["v"] = {n: paired_value(record, n, judged[n]) for n in names}
    verdicts = record.get("judgements") or {}
    if verdicts:
        row["j"] = [[m, v.get("pred"), v.get("score"), v.get("reply"), v.get("error")] for m, v in verdicts.items()]
    row["m"] = media_line(record.get("media"))
    facts = small_facts(record.get("model"))
    if facts:
        row["k"] = facts
    warnings = (record.get("prompt") or {}).get("warnings")
    if warnings:
        row["w"] = [str(w) for w in warnings]
    return row


def prompt_facts(plugin: Any, sample: Any, record: Mapping[str, Any], prompts: Interner, subs: Interner
                 ) -> Tuple[Optional[int], Optional[int], Optional[bool]]:
    """(subtitle lines index, prompt index, whether the rebuilt prompt matches the record's hash)
    for one run's record, rebuilt through the task plugin with the frames' recorded times."""
    media: Any = image_stub(record, sample) if plugin.media_kind == "images" else media_stub(record)
    sb = None
    subtitle_text = getattr(plugin, "subtitle_text", None)
    try:
        if callable(subtitle_text) and plugin.media_kind == "video":
            lines = subtitle_text(sample, media)
            if lines is not None and (lines or sample.assets.get("subtitles")):
                sb = subs.add([str(x) for x in lines])
        text = plugin.build_request(sample, media).text
    except Exception:  # a task that cannot rebuild this prompt: shown without it
        return sb, None, None
    recorded = (record.get("prompt") or {}).get("sha256")
    match = None if not recorded else hashlib.sha256(text.encode()).hexdigest()[:16] == recorded
    return sb, prompts.add(text), match


def seen_job(record: Mapping[str, Any], sample: Any, info: Mapping[str, Any]) -> Optional[StripJob]:
    """The strip of what one run's record says its model saw, or None when it read no pixels."""
    media = record.get("media") or {}
    if media.get("frame_indices") and sample.video_source is not None:
        size = media.get("frame_size")
        aspect = size[1] / size[0] if size and size[0] else None
        run_media = info.get("media") or {}
        cache = run_media.get("frame_cache")
        return StripJob("seen", sample.video_source, tuple(int(i) for i in media["frame_indices"]),
                        tuple(float(t) for t in media.get("timestamps") or []), aspect,
                        cache=(cache["dir"], info.get("sampling") or {}, run_media.get("decoder") or "auto")
                        if isinstance(cache, dict) and cache.get("dir") else None)
    if media.get("n_images") and sample.images:
        return StripJob("images", images=tuple(sample.images))
    return None


def context_job(sample: Any, n: int) -> Optional[StripJob]:
    """Frames for context where no run read pixels (marked as such on the page)."""
    if sample.video_source is not None and n > 0:
        return StripJob("context", sample.video_source)
    if sample.images:
        return StripJob("images", images=tuple(sample.images))
    return None


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


# --- the page -----------------------------------------------------------------------------------------

def write_view(paths: Sequence[str], out: Optional[Path] = None, options: Optional[ViewOptions] = None) -> View:
    """Write the viewer page of the runs at ``paths`` (``out``: a file, or a folder to hold
    view.html; default beside the run); returns what was written."""
    options = options or ViewOptions()
    dirs = run_dirs(paths)
    if out is None:
        from ..store import RunDir

        page = default_page(dirs, [RunDir(d).load_run()["run_name"] for d in dirs])
    else:
        page = Path(out) / "view.html" if Path(out).is_dir() else Path(out)
    page.parent.mkdir(parents=True, exist_ok=True)
    data, view = collect([str(d) for d in dirs], options, page)
    page.write_text(render(data), encoding="utf-8")
    return view


def csp(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    return (f"default-src 'none'; img-src 'self' file: data:; style-src 'unsafe-inline'; "
            f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'")


def render(data: Mapping[str, Any]) -> str:
    """The standalone page (inline CSS and JS; the data as escaped JSON)."""
    parts = {"CSP": html.escape(csp(SCRIPT), quote=False), "STYLE": STYLE, "SCRIPT": SCRIPT, "DATA": embed_json(data),
             "TITLE": html.escape(escape_surrogates(str(data.get("title") or "evalkit samples")))}
    # one pass over the template: text from the runs is never scanned for placeholders
    return re.sub(r"%(CSP|TITLE|STYLE|DATA|SCRIPT)%", lambda m: parts[m.group(1)], PAGE)


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="%CSP%">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>%TITLE%</title>
<style>%STYLE%</style></head>
<body>
<header><h1 id="title">%TITLE%</h1><div id="runs"></div><ul id="notes"></ul></header>
<form id="filters" autocomplete="off">
<label>task <select id="f-task"></select></label>
<label>protocol <select id="f-protocol"></select></label>
<span id="f-facets"></span>
<span class="grp"><label>outcome of <select id="f-run"></select></label>
<select id="f-outcome" aria-label="outcome"></select></span>
<span class="grp" id="flipbox"><label>flips <select id="f-a" aria-label="run A"></select></label>
<span aria-hidden="true">&rarr;</span> <select id="f-b" aria-label="run B"></select>
<select id="f-flip" aria-label="flip"></select></span>
<label>search <input id="f-q" type="search" placeholder="question, option, response, id"></label>
<span id="f-idbox" hidden>id <code id="f-id"></code></span>
<button type="button" id="f-reset">reset</button>
</form>
<div id="summary"></div>
<nav class="pager" id="pager-top"></nav>
<main id="list"></main>
<nav class="pager" id="pager-bottom"></nav>
<noscript>This page needs JavaScript to show the samples.</noscript>
<script type="application/json" id="evalkit-data">%DATA%</script>
<script>%SCRIPT%</script>
</body></html>
"""

STYLE = """
body{font-family:system-ui,sans-serif;margin:0 1.5em 2em;color:#222;background:#fafafa}
h1{font-size:1.3em;margin:.8em 0 .3em} #runs{font-size:.9em;color:#444} #runs span{margin-right:1.2em}
#notes{font-size:.85em;color:#8a4b00;margin:.3em 0} #notes:empty{display:none}
#filters{position:sticky;top:0;z-index:2;background:#f0f3f7;border:1px solid #d6dde6;border-radius:6px;
 padding:.5em .7em;display:flex;flex-wrap:wrap;gap:.4em 1em;align-items:center;font-size:.88em}
#filters select,#filters input{font-size:1em;max-width:22em} #filters .grp{white-space:nowrap} #f-facets{display:contents}
#summary{margin:.6em 0;font-size:.9em} #summary .acc{margin-right:1.3em}
.pager{display:flex;gap:.6em;align-items:center;font-size:.88em;margin:.4em 0}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;margin:.7em 0;padding:.6em .8em}
.head{display:flex;flex-wrap:wrap;gap:.3em .8em;align-items:baseline;font-size:.85em;color:#555}
.head .sid{font-weight:600;color:#222} .chip{background:#eef2f7;border-radius:3px;padding:0 .35em}
.q{margin:.4em 0;white-space:pre-wrap;font-weight:500}
ol.opts{margin:.2em 0 .4em;padding-left:1.6em} ol.opts li{list-style:none;margin:.1em 0}
ol.opts li.gold{color:#1a6b2a;font-weight:600} .gold-mark{font-size:.8em;margin-left:.5em;color:#1a6b2a}
.answer{margin:.2em 0 .4em;color:#1a6b2a}
.runrow{border-top:1px dashed #e2e2e2;padding:.35em 0;display:grid;grid-template-columns:minmax(8em,14em) 1fr;gap:.2em .8em}
.runrow.is-a{background:#f4f8ff} .runrow.is-b{background:#fff8f0}
.rname{font-weight:600;font-size:.88em;word-break:break-all}
.badge{display:inline-block;border-radius:3px;padding:0 .4em;font-size:.78em;color:#fff;margin-left:.3em}
.o-r{background:#2e7d32}.o-w{background:#c62828}.o-u{background:#8d6e00}.o-f{background:#6a1b9a}.o-n{background:#777}
.resp{white-space:pre-wrap;word-break:break-word;font-family:ui-monospace,monospace;font-size:.86em;margin:0;
 background:#f7f7f7;padding:.2em .4em;border-radius:3px;max-height:16em;overflow:auto}
.err{color:#8b0000;font-size:.85em;white-space:pre-wrap}
.meta{font-size:.8em;color:#555;margin-top:.15em} .meta b{font-weight:600;color:#333}
.verdict{font-size:.82em;margin-top:.2em;white-space:pre-wrap}
.strip{margin:.45em 0 .1em} .strip .cap{font-size:.78em;color:#555}
.strip .scroll{overflow-x:auto;max-width:100%} .strip img{display:block;background:#eee}
.strip .times{display:flex;font-size:.68em;color:#666;font-family:ui-monospace,monospace}
.strip .times span{flex:none;overflow:hidden;text-align:center}
details{margin:.25em 0;font-size:.85em} details pre{white-space:pre-wrap;word-break:break-word;margin:.2em 0;
 background:#f7f7f7;padding:.3em .5em;border-radius:3px;max-height:24em;overflow:auto}
.mismatch{color:#8b0000} .empty{color:#777;margin:1.5em 0}
"""

SCRIPT = r"""
(function () {
"use strict";
var D = JSON.parse(document.getElementById("evalkit-data").textContent);
var OUT = {r: "right", w: "wrong", u: "unparsed", f: "failed", n: "unscored"};
var CODE = {right: "r", wrong: "w", unparsed: "u", failed: "f", unscored: "n"};
var FLIPS = {down: "right in A, wrong in B (B lower)", up: "wrong in A, right in B (B higher)", either: "either way"};
var RESERVED = %RESERVED%;
var N = D.samples.length, R = D.runs.length;
var $ = function (id) { return document.getElementById(id); };
var state;

function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
function fresh() {
  return {task: "", protocol: "", facets: {}, run: R > 0 ? "0" : "", outcome: "", a: "0", b: R > 1 ? "1" : "0",
          flip: "", q: "", id: "", page: 0};
}
function proto(s) {
  var t = D.tasks[s.t];
  for (var i = 0; i < t.protocols.length; i++) if (t.protocols[i].name === state.protocol) return state.protocol;
  return t.headline;
}
function value(row, p) {
  if (!row) return null;
  var v = row.v ? row.v[p] : row.s[p];
  return v === undefined ? null : v;
}
function flipOf(s, p) {
  var a = value(s.R[+state.a], p), b = value(s.R[+state.b], p);
  if (a === null || b === null || a === b) return "";
  return b < a ? "down" : "up";
}
function outcomeOk(s, p, want) {
  var code = CODE[want];
  if (state.run === "any" || state.run === "all") {
    var any = false, all = true, present = 0;
    for (var j = 0; j < R; j++) {
      var row = s.R[j];
      if (!row) continue;
      present++;
      if ((row.o[p] || "n") === code) any = true; else all = false;
    }
    return state.run === "any" ? any : (present > 0 && all);
  }
  var r = s.R[+state.run];
  return !!r && (r.o[p] || "n") === code;
}
var hay = null;
function haystack(i) {
  if (hay === null) {
    hay = D.samples.map(function (s) {
      var parts = [s.id, s.q || "", s.g || ""];
      (s.o || []).forEach(function (o) { parts.push(o[1]); });
      s.R.forEach(function (r) { if (r) { parts.push(r.x || ""); parts.push(r.e || ""); } });
      return parts.join("\n").toLowerCase();
    });
  }
  return hay[i];
}
function passes(i, skip) {
  var s = D.samples[i], p = proto(s);
  if (state.id && s.id !== state.id) return false;
  if (skip !== "task" && state.task && D.tasks[s.t].name !== state.task) return false;
  for (var k in state.facets) {
    if (skip === "f:" + k || !state.facets[k]) continue;
    var have = s.f[k], want = state.facets[k];
    if (have === undefined) return false;
    if (Array.isArray(have) ? have.indexOf(want) < 0 : have !== want) return false;
  }
  if (skip !== "outcome" && state.outcome && !outcomeOk(s, p, state.outcome)) return false;
  if (skip !== "flip" && state.flip && R > 1) {
    var f = flipOf(s, p);
    if (state.flip === "either" ? !f : f !== state.flip) return false;
  }
  if (skip !== "q" && state.q && haystack(i).indexOf(state.q) < 0) return false;
  return true;
}
function fill(select, options, current) {
  // options: [[value, label, count or null]]
  select.textContent = "";
  options.forEach(function (o) {
    var opt = el("option", null, o[2] === null || o[2] === undefined ? o[1] : o[1] + " (" + o[2] + ")");
    opt.value = o[0];
    if (o[2] === 0 && o[0] !== current) opt.disabled = true;
    select.appendChild(opt);
  });
  select.value = current;
}
function counts(skip, keyOf) {
  var c = {}, total = 0;
  for (var i = 0; i < N; i++) {
    if (!passes(i, skip)) continue;
    total++;
    var ks = keyOf(D.samples[i]);
    if (ks === null || ks === undefined) continue;
    if (!Array.isArray(ks)) ks = [ks];
    for (var j = 0; j < ks.length; j++) c[ks[j]] = (c[ks[j]] || 0) + 1;
  }
  c[""] = total;
  return c;
}
var facetSelects = {};
function buildControls() {
  $("f-facets").textContent = "";
  D.facets.forEach(function (f) {
    var label = el("label", null, f.key + " ");
    var sel = el("select");
    sel.id = "f-facet-" + D.facets.indexOf(f);
    sel.addEventListener("change", function () { state.facets[f.key] = sel.value; state.page = 0; update(); });
    label.appendChild(sel);
    $("f-facets").appendChild(label);
    facetSelects[f.key] = sel;
  });
  var runsOpts = D.runs.map(function (r, j) { return [String(j), r.name]; });
  fill($("f-run"), (R > 1 ? [["any", "any run"], ["all", "every run"]] : []).concat(runsOpts), state.run);
  fill($("f-a"), runsOpts, state.a);
  fill($("f-b"), runsOpts, state.b);
  $("flipbox").hidden = R < 2;
  var protos = [];
  D.tasks.forEach(function (t) { t.protocols.forEach(function (p) { if (protos.indexOf(p.name) < 0) protos.push(p.name); }); });
  fill($("f-protocol"), [["", "each task's headline"]].concat(protos.map(function (p) { return [p, p]; })), state.protocol);
  [["f-task", "task"], ["f-protocol", "protocol"], ["f-run", "run"], ["f-outcome", "outcome"], ["f-a", "a"],
   ["f-b", "b"], ["f-flip", "flip"]].forEach(function (x) {
    $(x[0]).addEventListener("change", function () { state[x[1]] = $(x[0]).value; state.page = 0; update(); });
  });
  var timer = null;
  $("f-q").addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { state.q = $("f-q").value.trim().toLowerCase(); state.page = 0; update(); }, 120);
  });
  $("filters").addEventListener("submit", function (e) { e.preventDefault(); });
  $("f-reset").addEventListener("click", function () { state = fresh(); $("f-q").value = ""; update(); });
}
function refreshControls() {
  var c = counts("task", function (s) { return D.tasks[s.t].name; });
  fill($("f-task"), [["", "all tasks", c[""]]].concat(D.tasks.map(function (t) { return [t.name, t.name, c[t.name] || 0]; })), state.task);
  D.facets.forEach(function (f) {
    var fc = counts("f:" + f.key, function (s) { return s.f[f.key]; });
    var cur = state.facets[f.key] || "";
    var opts = [["", "all", fc[""]]].concat(f.values.map(function (v) { return [v, v, fc[v] || 0]; }));
    if (cur && f.values.indexOf(cur) < 0) opts.push([cur, cur, 0]);
    fill(facetSelects[f.key], opts, cur);
  });
  var oc = counts("outcome", function (s) {
    var p = proto(s), out = [];
    for (var o in CODE) { if (outcomeOk(s, p, o)) out.push(o); }
    return out;
  });
  fill($("f-outcome"), [["", "any outcome", oc[""]]].concat(Object.keys(CODE).map(function (o) { return [o, o, oc[o] || 0]; })), state.outcome);
  if (R > 1) {
    var flc = counts("flip", function (s) { var f = flipOf(s, proto(s)); return f ? [f, "either"] : null; });
    fill($("f-flip"), [["", "no flip filter", flc[""]]].concat(["down", "up", "either"].map(function (f) { return [f, FLIPS[f], flc[f] || 0]; })), state.flip);
  }
  $("f-run").value = state.run;
  $("f-a").value = state.a;
  $("f-b").value = state.b;
  $("f-idbox").hidden = !state.id;
  $("f-id").textContent = state.id;
}
function readHash() {
  state = fresh();
  var h = location.hash.replace(/^#/, "");
  if (!h) return;
  h.split("&").forEach(function (kv) {
    var i = kv.indexOf("="), k, v;
    try {
      k = decodeURIComponent((i < 0 ? kv : kv.slice(0, i)).replace(/\+/g, " "));
      v = i < 0 ? "" : decodeURIComponent(kv.slice(i + 1).replace(/\+/g, " "));
    } catch (e) { return; }
    var runIndex = function (name) {
      for (var j = 0; j < R; j++) if (D.runs[j].name === name) return String(j);
      return null;
    };
    if (k === "task" || k === "protocol" || k === "id") state[k] = v;
    else if (k === "run") { state.run = (v === "any" || v === "all") ? v : (runIndex(v) || state.run); }
    else if (k === "a" || k === "b") { var ri = runIndex(v); if (ri !== null) state[k] = ri; }
    else if (k === "outcome") { if (CODE[v]) state.outcome = v; }
    else if (k === "flip") { if (FLIPS[v]) state.flip = v; }
    else if (k === "q") { state.q = v.trim().toLowerCase(); $("f-q").value = v; }
    else if (k === "page") { state.page = Math.max(0, (parseInt(v, 10) || 1) - 1); }
    else {
      var key = k.indexOf("f.") === 0 ? k.slice(2) : k;
      if (facetSelects[key]) state.facets[key] = v;
    }
  });
}
function writeHash() {
  var parts = [];
  var add = function (k, v) { if (v !== "" && v !== null && v !== undefined) parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(v)); };
  add("task", state.task);
  add("protocol", state.protocol);
  for (var k in state.facets) add(RESERVED.indexOf(k) >= 0 ? "f." + k : k, state.facets[k]);
  if (state.outcome) { add("outcome", state.outcome); add("run", /^\d+$/.test(state.run) ? D.runs[+state.run].name : state.run); }
  if (state.flip && R > 1) { add("flip", state.flip); add("a", D.runs[+state.a].name); add("b", D.runs[+state.b].name); }
  add("q", state.q);
  add("id", state.id);
  if (state.page > 0) add("page", state.page + 1);
  if (("#" + parts.join("&")) === (location.hash || "#")) return;
  try { history.replaceState(null, "", "#" + parts.join("&")); } catch (e) { /* a browser refusing it keeps the old URL */ }
}
function fmtTime(t) {
  if (t === null || t === undefined) return "";
  if (t < 60) return t.toFixed(2) + "s";
  var m = Math.floor(t / 60), s = t - 60 * m;
  return m + ":" + (s < 10 ? "0" : "") + s.toFixed(0);
}
function strip(idx, runs, s) {
  var st = D.strips[idx], box = el("div", "strip");
  var who = runs.length === R ? (R > 1 ? "every run" : "") : runs.map(function (j) { return D.runs[j].name; }).join(", ");
  var cap = st.ctx ? st.ws.length + " frames for context: the model read no pixels"
                   : (st.t[0] === null ? st.ws.length + " image(s)" : (st.ws.length < st.n ? st.ws.length + " of " + st.n : st.n) + " frames the model saw");
  box.appendChild(el("div", "cap", cap + (who ? " (" + who + ")" : "")));
  var sc = el("div", "scroll"), img = el("img");
  var width = st.ws.reduce(function (a, b) { return a + b; }, 0) + st.gap * (st.ws.length - 1);
  img.loading = "lazy"; img.decoding = "async"; img.width = width; img.height = st.h;
  img.alt = "frames of " + s.id;
  img.src = st.src;
  sc.appendChild(img);
  if (st.t.length && st.t[0] !== null) {
    var times = el("div", "times");
    times.style.width = width + "px";
    st.ws.forEach(function (w, k) {
      var sp = el("span", null, fmtTime(st.t[k]));
      sp.style.width = w + "px";
      if (k < st.ws.length - 1) sp.style.marginRight = st.gap + "px";
      times.appendChild(sp);
    });
    sc.appendChild(times);
  }
  box.appendChild(sc);
  return box;
}
function card(i) {
  var s = D.samples[i], t = D.tasks[s.t], p = proto(s), c = el("article", "card");
  c.dataset.id = s.id;
  c.dataset.task = t.name;
  var head = el("div", "head");
  head.appendChild(el("span", "task", t.name));
  head.appendChild(el("span", "sid", s.id));
  Object.keys(s.f).forEach(function (k) {
    head.appendChild(el("span", "chip", k + ": " + (Array.isArray(s.f[k]) ? s.f[k].join(", ") : s.f[k])));
  });
  if (s.vid) head.appendChild(el("span", "vid", s.vid));
  if (s.x) head.appendChild(el("span", "extra", Object.keys(s.x).map(function (k) { return k + "=" + s.x[k]; }).join("  ")));
  c.appendChild(head);
  if (s.q !== undefined) c.appendChild(el("div", "q", s.q));
  if (s.o) {
    var ol = el("ol", "opts");
    s.o.forEach(function (o, k) {
      var li = el("li", k === s.gi ? "gold" : null, (o[0] ? o[0] + ". " : "") + o[1]);
      if (k === s.gi) li.appendChild(el("span", "gold-mark", "\u2713 gold"));
      ol.appendChild(li);
    });
    c.appendChild(ol);
    if (s.gi === null && s.g) c.appendChild(el("div", "answer", "gold: " + s.g));
  } else if (s.g) {
    c.appendChild(el("div", "answer", "answer: " + s.g));
  }
  s.R.forEach(function (r, j) {
    if (!r) return;
    var row = el("div", "runrow");
    row.dataset.run = D.runs[j].name;
    if (state.flip && R > 1) { if (String(j) === state.a) row.className += " is-a"; else if (String(j) === state.b) row.className += " is-b"; }
    var name = el("div", "rname", D.runs[j].name);
    var code = r.o[p] || "n";
    var badge = el("span", "badge o-" + code, OUT[code]);
    badge.dataset.outcome = OUT[code];
    name.appendChild(badge);
    row.appendChild(name);
    var body = el("div");
    if (r.x !== null && r.x !== undefined) body.appendChild(el("pre", "resp", r.x === "" ? "(empty response)" : r.x));
    if (r.e) body.appendChild(el("div", "err", "failed: " + r.e));
    var read = el("div", "meta");
    t.protocols.forEach(function (pr, k) {
      if (k) read.appendChild(document.createTextNode("   "));
      read.appendChild(el("b", null, pr.name + (pr.name === t.headline ? "*" : "")));
      var sc = r.s[pr.name];
      read.appendChild(document.createTextNode(": read " + JSON.stringify(r.p[pr.name] || "") + " \u2192 " +
        (sc === null || sc === undefined ? "not scored" : sc) + " (" + OUT[r.o[pr.name] || "n"] + ")"));
    });
    body.appendChild(read);
    (r.j || []).forEach(function (v) {
      body.appendChild(el("div", "verdict", "judge " + v[0] + ": " + (v[4] ? "failed: " + v[4] :
        (v[1] === null ? "-" : v[1]) + ", score " + (v[2] === null ? "-" : v[2]) + (v[3] ? "; reason: " + v[3] : ""))));
    });
    var m = el("div", "meta", "media: " + r.m);
    body.appendChild(m);
    if (r.k) body.appendChild(el("div", "meta", "model: " + Object.keys(r.k).map(function (k) { return k + "=" + r.k[k]; }).join(", ")));
    if (r.w) body.appendChild(el("div", "meta mismatch", "input warnings: " + r.w.join("; ")));
    row.appendChild(body);
    c.appendChild(row);
  });
  (s.S || []).forEach(function (x) { c.appendChild(strip(x[0], x[1], s)); });
  var seenSb = {}, seenPr = {};
  s.R.forEach(function (r, j) {
    if (!r) return;
    if (r.sb !== undefined && !seenSb[r.sb]) {
      seenSb[r.sb] = 1;
      var lines = D.subs[r.sb], d = el("details");
      d.appendChild(el("summary", null, "subtitles the model got: " + lines.length + " line(s)" + (R > 1 ? " (" + whoHas(s, "sb", r.sb) + ")" : "")));
      d.appendChild(el("pre", null, lines.length ? lines.join("\n") : "(none at these frames)"));
      c.appendChild(d);
    }
    if (r.pr !== undefined && !seenPr[r.pr]) {
      seenPr[r.pr] = 1;
      var dp = el("details");
      var sum = el("summary", r.pm === false ? "mismatch" : null, "prompt, rebuilt from the data" +
        (r.pm === true ? " (matches the recorded hash)" : r.pm === false ? " (differs from the recorded prompt)" : "") +
        (R > 1 ? " (" + whoHas(s, "pr", r.pr) + ")" : ""));
      dp.appendChild(sum);
      dp.appendChild(el("pre", null, D.prompts[r.pr]));
      c.appendChild(dp);
    }
  });
  return c;
}
function whoHas(s, key, v) {
  var names = [];
  s.R.forEach(function (r, j) { if (r && r[key] === v) names.push(D.runs[j].name); });
  return names.length === R ? "every run" : names.join(", ");
}
function pager(nav, total, pages) {
  nav.textContent = "";
  var prev = el("button", null, "\u2039 previous"), next = el("button", null, "next \u203a");
  prev.type = next.type = "button";
  prev.disabled = state.page <= 0;
  next.disabled = state.page >= pages - 1;
  prev.addEventListener("click", function () { state.page--; update(true); });
  next.addEventListener("click", function () { state.page++; update(true); });
  var from = total ? state.page * D.page + 1 : 0, to = Math.min(total, (state.page + 1) * D.page);
  nav.appendChild(prev);
  nav.appendChild(el("span", "range", "samples " + from + "\u2013" + to + " of " + total + " (page " + (pages ? state.page + 1 : 0) + " of " + pages + ")"));
  nav.appendChild(next);
}
function summary(shown) {
  var box = $("summary");
  box.textContent = "";
  var head = el("span", "count", shown.length + " of " + N + " samples");
  head.id = "count";
  head.dataset.n = shown.length;
  box.appendChild(head);
  box.appendChild(document.createTextNode(" \u2014 accuracy on them: "));
  D.runs.forEach(function (run, j) {
    var right = 0, scored = 0, kinds = {};
    shown.forEach(function (i) {
      var s = D.samples[i], r = s.R[j];
      if (!r) return;
      var p = proto(s), sc = r.s[p];
      kinds[r.o[p] || "n"] = (kinds[r.o[p] || "n"] || 0) + 1;
      if (sc !== null && sc !== undefined && s.g) { scored++; right += sc; }
    });
    var present = Object.keys(OUT).filter(function (k) { return kinds[k]; });
    var txt = run.name + ": " + (!present.length ? "no sample" : (scored ? (100 * right / scored).toFixed(1) + "% of " + scored :
      "none scored") + " [" + present.map(function (k) { return OUT[k] + " " + kinds[k]; }).join(", ") + "]");
    box.appendChild(el("span", "acc", txt));
  });
}
var lastShown = [], timing = {};
function update(pageOnly) {
  var t0 = performance.now();
  if (!pageOnly) {
    lastShown = [];
    for (var i = 0; i < N; i++) if (passes(i, null)) lastShown.push(i);
    timing.filter_ms = performance.now() - t0;
    refreshControls();
    summary(lastShown);
    timing.counts_ms = performance.now() - t0 - timing.filter_ms;
  }
  var t1 = performance.now();
  var pages = Math.ceil(lastShown.length / D.page);
  if (state.page >= pages) state.page = Math.max(0, pages - 1);
  var list = $("list");
  list.textContent = "";
  var slice = lastShown.slice(state.page * D.page, (state.page + 1) * D.page);
  var frag = document.createDocumentFragment();
  slice.forEach(function (k) { frag.appendChild(card(k)); });
  list.appendChild(frag);
  if (!slice.length) list.appendChild(el("p", "empty", "No sample matches these filters."));
  pager($("pager-top"), lastShown.length, pages);
  pager($("pager-bottom"), lastShown.length, pages);
  if (pageOnly) window.scrollTo(0, 0);
  timing.render_ms = performance.now() - t1;
  writeHash();
  document.body.dataset.ready = "1";
}
function header() {
  D.runs.forEach(function (r, j) {
    var sp = el("span", null, (R > 1 ? String.fromCharCode(65 + (j % 26)) + ": " : "") + r.name + " (" + r.model + (r.untrained ? ", untrained" : "") + "; " + r.sampling + ")");
    sp.title = r.dir;
    $("runs").appendChild(sp);
  });
  D.notes.forEach(function (n) { $("notes").appendChild(el("li", null, n)); });
}
state = fresh();
header();
buildControls();
readHash();
update();
window.addEventListener("hashchange", function () { readHash(); update(); });
window.evalkitViewer = {state: function () { return JSON.parse(JSON.stringify(state)); },
                        shown: function () { return lastShown.slice(); },
                        timing: function () { return JSON.parse(JSON.stringify(timing)); }};
})();
""".replace("%RESERVED%", json.dumps(list(RESERVED)))


def page_size_note(view: View) -> str:
    """A line for the terminal: what was written."""
    strips = (f", {view.strips} frame strip(s) ({view.made} made now"
              + (f", {view.from_cache} from the frame cache" if view.from_cache else "")
              + f", {view.reused} reused)" if view.strips else "")
    return (f"wrote {view.path}: {view.n_samples} sample(s) of {len(view.tasks)} task(s) from {view.n_runs} run(s)"
            + strips)
