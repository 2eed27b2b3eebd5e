"""The run loop: load tasks, decode media ahead of the model, generate, append records, score.

Work is scheduled per video: a task's pending questions are grouped by their video (groups in
the order of their first question, dataset order within) and each video is decoded once (or read
from the frame cache). An adapter that reuses work across a video's questions
(``answers_groups``: Dynamic-VLM's encoded frames and prefilled prompt prefix) gets them
together through ``generate_group``; other questions are batched ``batch_size`` at a time. Media for the
next samples is decoded by worker threads while the model works (a bounded prefetch window,
consumed in that fixed order, so a resumed run writes the same records).
"""
from __future__ import annotations

import hashlib
from collections import Counter
import itertools
import json
import os
import platform
import subprocess
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Set, Tuple, Union, cast

from . import __version__
from .chat_api import redact_url
from .data import parse_data_arg
from .datacheck import check
from .errors import ConfigError, DataError, SampleError
from .media.frame_cache import ENV_DIR, FrameCache, read_cached
from .media.images import LoadedImages, load_images
from .media.video import SampledVideo, check_decoder, quiet_decoders
from .model import ModelAdapter, parse_model_args
from .registry import MODELS, TASKS
from .store import PredictionWriter, RunDir, config_differences, write_json
from .results import score_record
from .sharding import shard
from .schema import FORMAT_VERSION, Record, RunInfo
from .request import Request
from .samples import Sample, TaskData
from .task import Task


@dataclass
class RunConfig:
    tasks: List[str]
    model: str
    model_args: str = ""
    data: Optional[str] = None
    media: Optional[str] = None  # media folder(s), when apart from the annotations: DIR or task=DIR,...
    limit: Optional[int] = None
    seed: int = 0
    output: Path = Path("results/runs")
    run_name: Optional[str] = None
    overwrite: bool = False
    prefetch: int = 4
    decode_workers: int = 0  # 0: one per core, at most 4
    retry_failed: bool = False  # answer again the samples whose last record is a failure
    decoder: str = "auto"
    frame_cache: Optional[Path] = None  # None: $EVALKIT_FRAME_CACHE when set, else no cache
    frame_cache_max_gb: Optional[float] = None
    reuse_frames: bool = True  # False (bench baseline only): every question decodes its video

    def __post_init__(self) -> None:
        check_decoder(self.decoder)
        if self.decode_workers <= 0:
            self.decode_workers = min(4, os.cpu_count() or 1)
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"--limit {self.limit}: give a number of samples >= 1 (or no --limit for all)")
        if self.run_name is not None:
            check_run_name(self.run_name)

    def identity(self) -> Dict[str, Any]:
        """What must be unchanged for a rerun to resume instead of refusing."""
        return {
            "tasks": list(self.tasks),
            "model": self.model,
            # credentials in a URL (http://user:pass@host) are never written
            "model_args": {k: redact_url(v) if "://" in v else v for k, v in parse_model_args(self.model_args).items()},
            "data": self.data,
            "seed": self.seed,
            # only when given, so the names of runs made before --media existed do not change
            **({"media": self.media} if self.media else {}),
        }

    def name(self) -> str:
        """--run-name, or ``<model>_<first task>[+<more>]_<config hash>`` (a run dir made under
        the longer ``<model>_<all tasks>_<hash>`` name of earlier versions is still resumed)."""
        if self.run_name:
            return self.run_name
        digest = hashlib.sha256(json.dumps(self.identity(), sort_keys=True).encode()).hexdigest()[:8]
        more = f"+{len(self.tasks) - 1}" if len(self.tasks) > 1 else ""
        short = f"{self.model}_{self.tasks[0]}{more}_{digest}"
        legacy = f"{self.model}_{'+'.join(self.tasks)}_{digest}"
        if not (self.output / short).exists() and (self.output / legacy / "run.json").exists():
            return legacy
        return short


def check_run_name(name: str) -> None:
    """A run name is one plain folder name: never a path (``../x``, ``a/b``) or a hidden name."""
    if not name or name in (".", "..") or name.startswith(".") or "/" in name or "\\" in name or "\0" in name:
        raise ConfigError(f"--run-name {name!r}: use a plain folder name (letters, digits, '-', '_', '.'), not a path")


def git_sha() -> Optional[str]:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=5
        )
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def versions() -> Dict[str, Optional[str]]:
    from importlib.metadata import PackageNotFoundError, version

    out: Dict[str, Optional[str]] = {"python": platform.python_version(), "evalkit": __version__}
    for pkg in ("torch", "transformers", "decord", "av", "numpy", "pandas", "datasets", "huggingface_hub"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def distributed_rank() -> Tuple[int, int]:
    """(rank, world size) as torchrun sets them; (0, 1) in a plain process."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def load_task_data(task: Task, data: Optional[str], media: Optional[str] = None) -> TaskData:
    """The task's data, refusing duplicate sample ids."""
    loaded = task.load(data, media)
    if not loaded.samples:
        where = ", ".join(str(f) for f in loaded.files) or (data or "the default data")
        raise DataError(f"{task.name}: no samples in {where}; check that it is the benchmark's file, not an empty copy")
    seen: Set[str] = set()
    for s in loaded.samples:
        if s.id in seen:
            raise ConfigError(f"{task.name}: sample id {s.id!r} appears twice in the data; refusing")
        seen.add(s.id)
    return loaded


@dataclass
class Prepared:
    sample: Sample
    index: int  # position in the task's dataset order
    request: Optional[Request] = None
    media: Optional[Union[SampledVideo, LoadedImages]] = None
    error: Optional[str] = None
    decode_s: float = 0.0
    wait_s: float = 0.0  # time the loop waited for this sample's media
    decoded: bool = True  # False: the frames came from another question of the video, or the frame cache
    decode_span: Optional[Tuple[float, float]] = None  # wall-clock (start, end) of this sample's media read


@dataclass
class Output:
    """Where a task's answers go: its predictions, its timings, its progress bar."""

    writer: PredictionWriter
    timings: Any  # the open timings.jsonl
    progress: Any = None
    bar: Any = None


def video_key(sample: Sample) -> Any:
    """What groups questions: their video file (a sample without one is a group of its own)."""
    return sample.video if sample.video is not None else ("sample", sample.id)


def by_video(pending: List[Tuple[int, Sample]]) -> List[Tuple[int, Sample]]:
    """Each video's questions together: groups in the order of their first question, dataset
    order within a group (the order records are written in, the same on every resume)."""
    groups: Dict[Any, List[Tuple[int, Sample]]] = {}
    for item in pending:
        groups.setdefault(video_key(item[1]), []).append(item)
    return [item for group in groups.values() for item in group]


class SharedVideos:
    """Each video decoded once per run: the first of its pending questions reads it (from the
    frame cache, or by decoding), the others (on any worker thread) wait for and reuse those
    frames, which are released after the last of them. ``reuse=False`` (the bench's baseline)
    reads the video again for every question."""

    def __init__(self, pending: List[Tuple[int, Sample]], decoder: str = "auto",
                 cache: Optional[FrameCache] = None, reuse: bool = True):
        self.left: Dict[Path, int] = {}
        for _, s in pending:
            if s.video is not None:
                self.left[s.video] = self.left.get(s.video, 0) + 1
        self.futures: Dict[Path, Future] = {}
        self.lock = threading.Lock()
        self.decoder, self.cache, self.reuse = decoder, cache, reuse

    def read(self, path: Path, spec: Any) -> Tuple[SampledVideo, bool]:
        """(frames, whether this call read them); a decoding error fails every question."""
        if not self.reuse:
            return read_cached(path, spec, self.decoder, self.cache), True
        with self.lock:
            future = self.futures.get(path)
            first = future is None
            if future is None:
                future = self.futures[path] = Future()
        try:
            if first:
                try:
                    future.set_result(read_cached(path, spec, self.decoder, self.cache))
                except BaseException as exc:  # handed to the video's other questions too
                    future.set_exception(exc)
            return future.result(), first
        finally:
            with self.lock:
                self.left[path] = self.left.get(path, 1) - 1
                if self.left[path] <= 0:
                    self.futures.pop(path, None)


class Runner:
    def __init__(self, config: RunConfig, announce: Optional[Callable[[str], None]] = None):
        """``announce`` gets a line per task saying what data was found, before the model is built."""
        self.config = config
        self.rank, self.world = distributed_rank()
        model_cls = MODELS.get(config.model)
        self.tasks: Dict[str, Task] = {name: TASKS.get(name)() for name in config.tasks}
        self.data = parse_data_arg(config.data, config.tasks)
        media = parse_data_arg(config.media, config.tasks, "--media")
        # load and validate every task's data before the model (possibly minutes) is built
        self.loaded = {n: load_task_data(t, self.data[n], media[n]) for n, t in self.tasks.items()}
        self.samples = {n: d.samples[:config.limit] if config.limit else d.samples for n, d in self.loaded.items()}
        if announce is not None and self.rank == 0:
            for n, t in self.tasks.items():
                announce(check(t, self.loaded[n]).line())
        self.model: ModelAdapter = model_cls.from_cli(config.model_args, seed=config.seed)
        self.spec = self.model.sampling()  # what the media stage applies to every sample
        if self.spec is not None:
            quiet_decoders()
        self.run = RunDir(config.output / config.name())
        self.notes: List[str] = []  # resumed or partial tasks, said after the run
        self.bars: Dict[str, Any] = {}  # task -> progress bar id
        self.frame_cache = FrameCache.configured(config.frame_cache, config.frame_cache_max_gb)
        self.videos = SharedVideos([])  # the current task's decoded videos, shared by their questions
        self._counted = 0.0

    # --- run.json ---------------------------------------------------------------------------

    def run_info(self) -> RunInfo:
        return {
            "format": FORMAT_VERSION,
            "config": {**self.config.identity(), "limit": self.config.limit},
            "run_name": self.config.name(),
            "model": self.model.describe(),
            "sampling": self.spec.to_dict() if self.spec else None,
            # how frames were obtained; never what the model sees, so not part of the identity
            "media": {"decoder": self.config.decoder, "decode_workers": self.config.decode_workers,
                      "frame_cache": self.frame_cache.describe() if self.frame_cache else None,
                      "frame_cache_from": "--frame-cache" if self.config.frame_cache else
                      (ENV_DIR if self.frame_cache else None)},
            "tasks": {n: t.describe(self.loaded[n]) for n, t in self.tasks.items()},
            "versions": versions(),
            "git_sha": git_sha(),
            "seed": self.config.seed,
            "world_size": self.world,
        }

    def prepare_dir(self) -> None:
        path = self.run.path
        info = self.run_info()
        if self.run.run_json.exists() and not self.config.overwrite:
            old = self.run.load_run()
            diffs = config_differences(
                {k: v for k, v in old["config"].items() if k != "limit"},
                {k: v for k, v in info["config"].items() if k != "limit"},
            )
            if old.get("sampling") != info["sampling"]:
                diffs.append(f"sampling: {old.get('sampling')} -> {info['sampling']}")
            for name, facts in info["tasks"].items():  # the same path with other files in it
                before: Dict[str, Any] = dict(old["tasks"].get(name) or {})
                now: Dict[str, Any] = dict(facts)
                for key in ("annotations_sha256", "dataset_revision"):
                    if before and before.get(key) != now.get(key):
                        diffs.append(f"{name} {key}: {before.get(key)} -> {now.get(key)} "
                                     "(the data changed since the records were made)")
            if diffs:
                raise ConfigError(
                    f"run {path} exists with a different configuration:\n  "
                    + "\n  ".join(diffs)
                    + "\nUse another --run-name, or --overwrite to discard it."
                )
        elif self.run.run_json.exists() and self.config.overwrite and self.rank == 0:
            import shutil

            for child in path.iterdir():  # everything but the lock this process holds
                if not child.name.startswith(".lock"):
                    shutil.rmtree(child) if child.is_dir() else child.unlink()
        path.mkdir(parents=True, exist_ok=True)
        if self.rank == 0:
            write_json(self.run.run_json, info)

    # --- the loop ---------------------------------------------------------------------------

    def _prepare(self, task: Task, index: int, sample: Sample) -> Prepared:
        spec = self.spec
        media: Optional[Union[SampledVideo, LoadedImages]] = None
        read = False
        start = time.time()
        try:
            if spec is not None and task.media_kind == "video":
                if sample.video is None:
                    raise SampleError(f"{task.name} sample {sample.id}: no video path")
                media, read = self.videos.read(sample.video, spec)
            elif spec is not None and task.media_kind == "images":
                media, read = load_images(sample.images, spec), True
            request = task.build_request(sample, media)
        except SampleError as exc:
            return Prepared(sample, index, error=str(exc))
        decoded = read and getattr(media, "frame_cache", "off") != "hit"
        return Prepared(sample, index, request, media, decoded=decoded,
                        decode_s=getattr(media, "decode_s", 0.0) if read else 0.0,
                        decode_span=(start, time.time()) if read else None)

    def _prefetched(self, task: Task, pending: List[Tuple[int, Sample]]) -> Iterator[Prepared]:
        """Prepared samples in order, decoding up to ``prefetch`` ahead on worker threads
        (``prefetch=0``: decode each sample in the loop, just before the model needs it)."""
        if self.config.prefetch <= 0:
            yield from (self._prepare(task, *item) for item in pending)
            return
        with ThreadPoolExecutor(max_workers=max(1, self.config.decode_workers)) as pool:
            it = iter(pending)
            futures: List[Future] = [pool.submit(self._prepare, task, *item)
                                     for item in itertools.islice(it, self.config.prefetch)]
            while futures:
                done = futures.pop(0).result()
                nxt = next(it, None)
                if nxt is not None:
                    futures.append(pool.submit(self._prepare, task, *nxt))
                yield done

    def record(self, task: Task, p: Prepared, response: Optional[str], error: Optional[str]) -> Record:
        facts: Dict[str, Any] = {} if p.request is None else {
            "prompt": {"sha256": hashlib.sha256(p.request.text.encode()).hexdigest()[:16], **p.request.facts},
            "model": self.model.request_facts(p.request),
        }
        rec = cast(Record, {
            "id": p.sample.id,
            "index": p.index,
            "task": task.name,
            "target": p.sample.target,
            "response": response,
            "error": error,
            "cluster": p.sample.cluster or p.sample.id,
            "fields": p.sample.record_fields(),
            # decoded: whether this sample's frames were decoded for it (false: reused from its
            # video's other question, or read from the frame cache)
            "media": ({**p.media.facts(), "decoded": p.decoded} if isinstance(p.media, SampledVideo)
                      else p.media.facts() if p.media else None),
            **facts,
            "parsed": {},
            "score": {},
        })
        return score_record(task, rec)

    def run_task(self, name: str, progress=None) -> int:
        task = self.tasks[name]
        mine = shard(self.samples[name], self.world, self.rank)  # a video's questions stay on one rank
        rank = self.rank if self.world > 1 else None
        done = self.run.done_ids(name, rank)
        if self.config.retry_failed:
            done -= self.run.failed_ids(name)
        pending = by_video([(i, s) for i, s in mine if s.id not in done])
        self.videos = SharedVideos(pending, self.config.decoder, self.frame_cache, self.config.reuse_frames)
        if len(mine) > len(pending):
            self.notes.append(f"{name}: resumed: {len(mine) - len(pending)} of {len(mine)} already done in {self.run.path}")
        bar = None
        if progress is not None:  # under torchrun only rank 0 shows one, for the whole job
            total = len(self.samples[name])
            done_now = total - len(pending) if self.world == 1 else min(self.n_done(name), total)
            self.bars[name] = bar = progress.add_task(name, total=total, completed=done_now)
        batch_size = max(1, self.model.batch_size)
        self.run.task_dir(name).mkdir(parents=True, exist_ok=True)
        left = Counter(video_key(s) for _, s in pending)  # questions not yet prepared, per video
        with PredictionWriter(self.run.predictions_path(name, rank)) as writer, \
                (self.run.task_dir(name) / "timings.jsonl").open("a", encoding="utf-8") as timings:
            out = Output(writer, timings, progress, bar)

            def flush(batch: List[Prepared], grouped: bool = False) -> None:
                if batch:
                    self._flush(task, batch, out, grouped)

            grouping = self.model.answers_groups
            singles: List[Prepared] = []  # batched across videos, batch_size at a time
            group: List[Prepared] = []  # the current video's questions so far (grouping adapters)
            waited = time.perf_counter()
            for prepared in self._prefetched(task, pending):
                prepared.wait_s = time.perf_counter() - waited
                key = video_key(prepared.sample)
                left[key] -= 1
                if prepared.error is not None:
                    writer.append(self.record(task, prepared, None, prepared.error))
                    self._advance(progress, bar)
                else:
                    (group if grouping else singles).append(prepared)
                if grouping and left[key] == 0:
                    if len(group) > 1:  # a video's questions, answered together
                        flush(singles)
                        flush(group, grouped=True)
                        singles = []
                    else:
                        singles += group
                    group = []
                if len(singles) >= batch_size:
                    flush(singles)
                    singles = []
                waited = time.perf_counter()
            flush(singles)
        return len(pending)

    def _flush(self, task, batch: List[Prepared], out: Output, grouped: bool = False) -> None:
        """Answer ``batch`` (one video's questions when ``grouped``) and write each record as its
        answer arrives, so a crash loses only the answers still being computed. A batch that
        raises is answered again one sample at a time, to fail only the sample at fault."""
        requests = [p.request for p in batch if p.request is not None]  # every batched sample has one
        done = 0
        mark, mark_wall = time.perf_counter(), time.time()
        try:
            if grouped:
                answers: Iterator[str] = self.model.generate_group(requests)
            else:
                answers = iter(self.model.generate(requests))
            for response in answers:
                now = time.perf_counter()
                per = (now - mark) if grouped else (now - mark) / len(batch)
                self._write(task, batch[done], response, None, out, per, (mark_wall, time.time()))
                done += 1
                if grouped:
                    mark, mark_wall = now, time.time()
        except SampleError as exc:
            rest = batch[done:]
            if len(rest) > 1 or grouped:  # find which sample failed: answer them one by one
                for p in rest:
                    self._flush(task, [p], out)
                return
            self._write(task, rest[0], None, str(exc), out, time.perf_counter() - mark, (mark_wall, time.time()))

    def _write(self, task, p: Prepared, response: Optional[str], error: Optional[str], out: Output,
               gen_s: float, span: Tuple[float, float]) -> None:
        out.writer.append(self.record(task, p, response, error))
        out.timings.write(json.dumps({
            "id": p.sample.id, "decode_s": round(p.decode_s, 4),
            "wait_s": round(p.wait_s, 4), "generate_s": round(gen_s, 4), "done_at": round(time.time(), 4),
            "decoded": p.decoded,
            # wall-clock spans, so a benchmark can measure stages without adding up workers
            "decode_span": [round(t, 4) for t in p.decode_span] if p.decode_span else None,
            "generate_span": [round(t, 4) for t in span],
        }) + "\n")
        out.timings.flush()
        self._advance(out.progress, out.bar)

    def _advance(self, progress, bar) -> None:
        if progress is None:
            return
        if self.world > 1 and time.monotonic() - self._counted > 1.0:  # the other ranks' records too
            self.refresh(progress)
        else:
            progress.advance(bar)

    def n_done(self, name: str) -> int:
        """Records of ``name`` on disk, every rank's (lines, counted without parsing)."""
        return sum(p.read_bytes().count(b"\n") for p in [self.run.predictions_path(name), *self.run.shard_paths(name)]
                   if p.exists())

    def refresh(self, progress) -> None:
        """Set every task bar to the records all ranks have written (rank 0's view of the job)."""
        self._counted = time.monotonic()
        for name, bar in self.bars.items():
            progress.update(bar, completed=min(self.n_done(name), len(self.samples[name])))

    def execute(self, progress=None) -> RunDir:
        """Run every task's pending samples, owning the run directory meanwhile; what a user
        should know afterwards (resumed, partial, failed samples) is in ``notes``."""
        with self.run.owned(self.rank if self.world > 1 else None):
            self.prepare_dir()
            self.model.open_run(self.run.path)
            for name in self.tasks:
                self.run_task(name, progress)
                full = len(self.loaded[name].samples)
                if self.config.limit and self.config.limit < full:
                    self.notes.append(f"{name}: partial run: {self.config.limit} of {full} samples (--limit); rerun "
                                      f"with a larger or no --limit and the same --run-name to finish it")
                self.note_failures(name)
            self.record_usage()
        return self.run

    def record_usage(self) -> None:
        """Append this pass's model usage to ``model_usage[.rank<R>].json`` (passes and their sum)
        and refresh the model facts of run.json (e.g. the model a server reported)."""
        usage = self.model.usage()
        if usage is None:
            return
        path = self.run.path / ("model_usage.json" if self.world == 1 else f"model_usage.rank{self.rank}.json")
        passes = json.loads(path.read_text())["passes"] if path.exists() else []
        passes.append({**usage, "finished": time.time()})
        totals = {k: sum(p.get(k) or 0 for p in passes) for k, v in usage.items() if isinstance(v, (int, float))}
        write_json(path, {"passes": passes, "total": totals})
        if self.rank == 0:
            info = self.run.load_run()
            info["model"] = self.model.describe()
            write_json(self.run.run_json, info)

    def note_failures(self, name: str) -> None:
        """Which samples failed and why (the first few), and the file listing them all; how many
        samples carry warnings (input that was guessed or degraded)."""
        records = self.run.records(name)
        warned = [r for r in records if (r.get("prompt") or {}).get("warnings")]
        if warned:
            first = warned[0]["prompt"]["warnings"][0]
            self.notes.append(f"{name}: {len(warned)} sample(s) with warnings, e.g. {warned[0]['id']}: {first} "
                              "(records: prompt.warnings; results: n_warned)")
        failed = [r for r in records if r.get("error") is not None]
        listing = self.run.task_dir(name) / "failures.jsonl"
        if not failed:
            listing.unlink(missing_ok=True)
            return
        listing.write_text("".join(json.dumps({"id": r["id"], "error": r["error"]}) + "\n" for r in failed),
                           encoding="utf-8")
        shown = "; ".join(f"{r['id']} ({r['error']})" for r in failed[:3])
        more = f"; and {len(failed) - 3} more" if len(failed) > 3 else ""
        self.notes.append(f"{name}: {len(failed)} sample(s) failed: {shown}{more}. All of them: {listing} "
                          "(fix the cause, then rerun with --retry-failed)")
