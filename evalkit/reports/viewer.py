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
import functools
import hashlib
import html
import json
import re
import urllib.parse
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from ..errors import ConfigError, EvalkitError
from ..jsonsafe import dumps, escape_surrogates
from ..media.video import SampledVideo
from ..scoring.choice import letters
from ..scoring.metrics import groups_of
from .plots import duration_key, length_bucket, order_groups, scored_records
from .thumbnails import CONTEXT_FRAMES, MAX_THUMBS, THUMB_HEIGHT, StripJob, Thumbs, make_strips

if TYPE_CHECKING:
    from ..schema import RunInfo
    from ..store import RunDir

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


def json_key(value: Any) -> str:
    """Equal JSON values are one entry, whatever their keys' order."""
    return json.dumps(value, sort_keys=True)


class Interner:
    """A list of distinct values, referred to by index (prompts, subtitles and strips repeat across
    runs and samples); ``key`` says when two values are the same."""

    def __init__(self, key: Callable[[Any], Any] = json_key) -> None:
        self.items: List[Any] = []
        self.index: Dict[Any, int] = {}
        self.key = key

    def add(self, value: Any) -> int:
        key = self.key(value)
        if key not in self.index:
            self.index[key] = len(self.items)
            self.items.append(value)
        return self.index[key]


def open_runs(paths: Sequence[str], only: Optional[Sequence[str]]
              ) -> Tuple[List[Path], List[RunDir], List[RunInfo], List[str]]:
    """(run folders, their RunDirs, their run.json contents, the tasks to show): ``only``, else
    every task of any run, in the runs' order. The page tells runs apart by name, so two runs of
    one name are refused."""
    from ..store import RunDir

    dirs = run_dirs(paths)
    runs = [RunDir(d) for d in dirs]
    infos = [r.load_run() for r in runs]
    names = [i["run_name"] for i in infos]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"two runs are named {', '.join(dupes)}: view runs with distinct names")
    tasks = list(dict.fromkeys(t for i in infos for t in i["config"]["tasks"]))
    if only:
        missing = [t for t in only if t not in tasks]
        if missing:
            raise ConfigError(f"task(s) {', '.join(missing)} in none of the runs (they have {', '.join(tasks)})")
        tasks = list(only)
    return dirs, runs, infos, tasks


def task_records(run: RunDir, info: Mapping[str, Any], task: str) -> Dict[str, Dict[str, Any]]:
    """The run's scored records of ``task`` by id; {} when the run did not run the task (yet)."""
    if task in info["config"]["tasks"] and (run.predictions_path(task).exists() or run.shard_paths(task)):
        return {r["id"]: r for r in scored_records(run.path, task)}
    return {}


@dataclass
class TaskRecords:
    """One task as the runs recorded it, while its samples are put on the page."""

    index: int  # in the page's list of tasks
    name: str
    plugin: Any
    keys: List[str]  # the task's breakdown fields
    facets: List[str]  # those, and the video length where no field is a duration
    per_run: List[Dict[str, Dict[str, Any]]]  # each run's records by id
    judged: Dict[str, bool] = field(init=False)

    def __post_init__(self) -> None:
        self.judged = {p.name: p.kind == "judged" for p in self.plugin.protocols}


class PageSamples:
    """The page's tasks and samples, gathered task by task. What repeats across runs and samples
    (prompts, subtitle lines, strips) is kept once and referred to by index; each facet's values
    are kept in the order first met."""

    def __init__(self, options: ViewOptions, infos: Sequence[Mapping[str, Any]]):
        self.options = options
        self.infos = infos
        self.datas = TaskDataCache(options)
        self.prompts, self.subs = Interner(), Interner()
        self.strips = Interner(StripJob.key)
        self.facet_values: Dict[str, List[str]] = {}
        self.mismatched: Dict[str, int] = {}  # task -> prompts that differ from the recorded hash
        self.tasks: List[Dict[str, Any]] = []
        self.samples: List[Dict[str, Any]] = []

    def add_task(self, index: int, task: str, runs: Sequence[RunDir]) -> None:
        """Every sample of ``task`` that any run recorded, in the order the runs met them."""
        from ..registry import TASKS

        plugin = TASKS.get(task)()
        keys = list(plugin.breakdown_keys)
        t = TaskRecords(index, task, plugin, keys, keys + ([] if duration_key(keys) else [LENGTH_FACET]),
                        [task_records(run, info, task) for run, info in zip(runs, self.infos)])
        order: Dict[str, int] = {}
        for recs in t.per_run:
            for r in recs.values():
                order[r["id"]] = min(order.get(r["id"], r["index"]), r["index"])
        loaded = [self.datas.samples(task, info) if any(t.per_run[j]) else None for j, info in enumerate(self.infos)]
        data = next((d for d in loaded if d is not None), None)
        self.tasks.append({"name": task, "headline": plugin.headline.name,
                           "protocols": [{"name": p.name, "kind": p.kind} for p in plugin.protocols],
                           "keys": t.facets, "n": len(order), "description": getattr(plugin, "description", "")})
        for sid in sorted(order, key=lambda i: (order[i], i)):
            self.samples.append(self.sample(t, sid, data.get(sid) if data else None))

    def sample(self, t: TaskRecords, sid: str, sample: Any) -> Dict[str, Any]:
        """One sample on the page: question, options and fields as the first run that has it
        recorded them, then each run's row and the strips. ``sample``: the task data's sample, or
        None when the data was not found (no prompts, subtitles or frames then)."""
        first = next(recs[sid] for recs in t.per_run if sid in recs)
        fields = first.get("fields") or {}
        out: Dict[str, Any] = {"t": t.index, "id": sid, "g": first.get("target") or ""}
        if isinstance(fields.get("question"), str):
            out["q"] = fields["question"]
        if isinstance(fields.get("options"), list):
            out["o"], out["gi"] = option_rows(fields["options"], out["g"])
        out["f"] = self.facets_of(t, sid, fields)
        extra = {k: v for k, v in fields.items() if k not in ("question", "options", *t.keys)
                 and isinstance(v, (str, int, float)) and len(str(v)) <= 200}
        if extra:
            out["x"] = extra
        if sample is not None and sample.video is not None:
            out["vid"] = sample.video.name
        out["R"], strips = self.rows(t, sid, sample)
        if strips:
            out["S"] = [[k, v] for k, v in strips.items()]
        return out

    def facets_of(self, t: TaskRecords, sid: str, fields: Mapping[str, Any]) -> Dict[str, Any]:
        """The sample's value of each facet (a list for a field with several), noting the values
        not met before for the facet filters."""
        facet: Dict[str, Any] = {}
        for key in t.keys:
            value = fields.get(key)
            if value is not None:
                groups = groups_of(value)
                facet[key] = groups if isinstance(value, (list, tuple)) else groups[0]
        if LENGTH_FACET in t.facets:
            seconds = next(((recs[sid].get("media") or {}).get("duration") for recs in t.per_run
                            if sid in recs and (recs[sid].get("media") or {}).get("duration")), None)
            bucket = length_bucket(seconds)
            if bucket:
                facet[LENGTH_FACET] = bucket
        for key, value in facet.items():
            seen = self.facet_values.setdefault(key, [])
            for v in (value if isinstance(value, list) else [value]):
                if v not in seen:
                    seen.append(v)
        return facet

    def rows(self, t: TaskRecords, sid: str, sample: Any
             ) -> Tuple[List[Optional[Dict[str, Any]]], Dict[int, List[int]]]:
        """(each run's row, None for a run without the sample; strip index -> the runs it is
        shown for). Where no run read pixels, frames spread over the video stand in, for context."""
        rows: List[Optional[Dict[str, Any]]] = []
        strips: Dict[int, List[int]] = {}
        for j, recs in enumerate(t.per_run):
            r = recs.get(sid)
            if r is None:
                rows.append(None)
                continue
            row = run_row(r, t.plugin.protocols, t.judged)
            if sample is not None:
                self.add_prompt(row, t, sample, r)
                job = seen_job(r, sample, self.infos[j]) if self.options.thumbs else None
                if job is not None:
                    strips.setdefault(self.strips.add(job), []).append(j)
            rows.append(row)
        if self.options.thumbs and sample is not None and not strips:
            job = context_job(sample, self.options.context_frames)
            if job is not None:
                strips[self.strips.add(job)] = [j for j, r in enumerate(rows) if r is not None]
        return rows, strips

    def add_prompt(self, row: Dict[str, Any], t: TaskRecords, sample: Any, record: Mapping[str, Any]) -> None:
        """The subtitle lines and prompt one run's model got, rebuilt from the data, into its row."""
        sb, pr, match = prompt_facts(t.plugin, sample, record, self.prompts, self.subs)
        if sb is not None:
            row["sb"] = sb
        if pr is not None:
            row["pr"], row["pm"] = pr, match
            if match is False:
                self.mismatched[t.name] = self.mismatched.get(t.name, 0) + 1


def collect(paths: Sequence[str], options: ViewOptions, page: Path) -> Tuple[Dict[str, Any], View]:
    """The page's data for the runs at ``paths`` (thumbnails written into the page's folder)."""
    dirs, runs, infos, tasks = open_runs(paths, options.tasks)
    found = PageSamples(options, infos)
    for index, task in enumerate(tasks):
        found.add_task(index, task, runs)
    thumbs = Thumbs(files_folder(page), options.thumb_height, options.max_thumbs, options.context_frames)
    strip_out = make_strips(found.strips.items, thumbs, options.workers, urllib.parse.quote(files_folder(page).name))
    for s in found.samples:  # strips that could not be made are dropped from their samples
        if "S" in s:
            s["S"] = [x for x in s["S"] if strip_out[x[0]] is not None]
            if not s["S"]:
                del s["S"]
    notes = page_notes(found, thumbs, runs, infos)
    view = View(page, len(found.samples), len(runs), tasks, strips=sum(1 for s in strip_out if s), made=thumbs.made,
                reused=thumbs.reused, from_cache=thumbs.from_cache, notes=notes)
    data_out = {
        "format": 1, "title": options.title or "evalkit samples: " + ", ".join(i["run_name"] for i in infos),
        "runs": [{"name": i["run_name"], "model": i["model"].get("name"), "untrained": bool(i["model"].get("untrained")),
                  "toy": bool(i["model"].get("toy")),
                  "sampling": sampling_label(i.get("sampling")), "dir": str(d)} for i, d in zip(infos, dirs)],
        "tasks": found.tasks, "facets": [{"key": k, "values": order_groups(v)} for k, v in found.facet_values.items()],
        "samples": found.samples, "strips": strip_out, "prompts": found.prompts.items, "subs": found.subs.items,
        "notes": notes, "page": PAGE_SIZE,
    }
    return data_out, view


def page_notes(found: PageSamples, thumbs: Thumbs, runs: Sequence[RunDir], infos: Sequence[Mapping[str, Any]]
               ) -> List[str]:
    """What the reader should know the page lacks or may show wrong: task data not found, prompts
    that differ from what the run recorded, strips not made, runs still being written."""
    notes = list(found.datas.problems)
    for task, n in found.mismatched.items():
        notes.append(f"{task}: {n} prompt(s) rebuilt from the data differ from the recorded prompt hash (the data "
                     "or the task's prompt changed since the run); they are shown marked")
    if thumbs.problems:
        notes.append(f"{len(thumbs.problems)} strip(s) could not be made: " + "; ".join(thumbs.problems[:5])
                     + (" ..." if len(thumbs.problems) > 5 else ""))
    for info, run in zip(infos, runs):
        if run.busy():
            notes.append(f"run {info['run_name']} is still being written: it shows the samples recorded so far")
    return notes


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
    page, style, script = assets()
    parts = {"CSP": html.escape(csp(script), quote=False), "STYLE": style, "SCRIPT": script, "DATA": embed_json(data),
             "TITLE": html.escape(escape_surrogates(str(data.get("title") or "evalkit samples")))}
    # one pass over the template: text from the runs is never scanned for placeholders
    return re.sub(r"%(CSP|TITLE|STYLE|DATA|SCRIPT)%", lambda m: parts[m.group(1)], page)


@functools.lru_cache(maxsize=1)
def assets() -> Tuple[str, str, str]:
    """The page's skeleton, style and script (package data in ``viewer_assets/``, read once, when a
    page is first rendered). The CSS and JS files begin with a newline that is part of the text
    placed in the page; the CSP hash is taken of the script exactly as it goes in the <script>,
    which gets the filter names from RESERVED, so the page reads the fragments hash_link writes."""
    def read(name: str) -> str:
        return resources.files("evalkit.reports").joinpath(f"viewer_assets/{name}").read_text(encoding="utf-8")

    return read("page.html"), read("viewer.css"), read("viewer.js").replace("%RESERVED%", json.dumps(list(RESERVED)))


def page_size_note(view: View) -> str:
    """A line for the terminal: what was written."""
    strips = (f", {view.strips} frame strip(s) ({view.made} made now"
              + (f", {view.from_cache} from the frame cache" if view.from_cache else "")
              + f", {view.reused} reused)" if view.strips else "")
    return (f"wrote {view.path}: {view.n_samples} sample(s) of {len(view.tasks)} task(s) from {view.n_runs} run(s)"
            + strips)
