"""The run: tasks' data loaded and checked, the model built, each task's pending samples scheduled
per video, read by the media stage, answered and recorded; what a user should know afterwards
(resumed, partial, failed, warned) kept as notes.

Each part has its own module: scheduling across ranks (:mod:`.sharding`) and per video, media
(:mod:`.prefetch`), answering (:mod:`.answering`), recording (:mod:`.recording`), provenance
(:mod:`.provenance`). Constructing a :class:`Runner` does no I/O; :meth:`Runner.prepare` loads
the data (before the model, which may take minutes, is built) and builds the model;
:meth:`Runner.execute` runs a :class:`Plan` (by default the configuration's; the bench runs a
warm-up plan first).
"""
from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Set

from .answering import answers
from .config import RunConfig
from .data import parse_data_arg
from .datacheck import check
from .errors import ConfigError, DataError
from .media.frame_cache import ENV_DIR, FrameCache
from .media.sampling import SamplingSpec
from .media.video import quiet_decoders
from .model import ModelAdapter
from .prefetch import MediaStage, by_video, video_key
from .provenance import git_sha, versions
from .recording import Recorder, list_failures
from .registry import MODELS, TASKS
from .samples import Sample, TaskData
from .schema import FORMAT_VERSION, RunInfo
from .sharding import distributed_rank, shard
from .store import RunDir, write_json
from .task import Task


def load_task_data(task: Task, data: Optional[str], media: Optional[str] = None) -> TaskData:
    """The task's data, refusing an empty copy and duplicate sample ids."""
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
class Plan:
    """What one execution answers, and where it writes."""

    run: RunDir
    samples: Dict[str, List[Sample]]  # task -> its samples in dataset order
    frame_cache: Optional[FrameCache]

    def first(self, n: int, run: RunDir) -> "Plan":
        """The first ``n`` samples of each task into ``run``, without the frame cache (the
        bench's untimed warm-up, which must leave the cache cold)."""
        return Plan(run, {t: s[:n] for t, s in self.samples.items()}, None)


class Runner:
    def __init__(self, config: RunConfig):
        self.config = config
        self.rank, self.world = distributed_rank()
        self.tasks: Dict[str, Task] = {}
        self.loaded: Dict[str, TaskData] = {}
        self.model: Optional[ModelAdapter] = None
        self.spec: Optional[SamplingSpec] = None
        self.notes: List[str] = []  # resumed or partial tasks, failures, warnings: said after the run
        self.bars: Dict[str, Any] = {}  # task -> progress bar id
        self._counted = 0.0

    # --- set-up -------------------------------------------------------------------------------

    def prepare(self, announce: Optional[Callable[[str], None]] = None) -> "Runner":
        """Load and check every task's data, then build the model. ``announce`` gets a line per
        task saying what data was found, before the model is built."""
        config = self.config
        model_cls = MODELS.get(config.model)
        self.tasks = {name: TASKS.get(name)() for name in config.tasks}
        data = parse_data_arg(config.data, config.tasks)
        media = parse_data_arg(config.media, config.tasks, "--media")
        self.loaded = {n: load_task_data(t, data[n], media[n]) for n, t in self.tasks.items()}
        if announce is not None and self.rank == 0:
            for n, t in self.tasks.items():
                announce(check(t, self.loaded[n]).line())
        self.model = model_cls.from_cli(config.model_args, seed=config.seed)
        self.spec = self.model.sampling()  # what the media stage applies to every sample
        if self.spec is not None:
            quiet_decoders()
        return self

    @property
    def adapter(self) -> ModelAdapter:
        if self.model is None:
            self.prepare()
        assert self.model is not None
        return self.model

    def plan(self) -> Plan:
        """The configuration's plan: every task's samples (up to --limit) into the run dir."""
        if not self.loaded:
            self.prepare()
        limit = self.config.limit
        return Plan(RunDir(self.config.output / self.config.name()),
                    {n: d.samples[:limit] if limit else d.samples for n, d in self.loaded.items()},
                    FrameCache.configured(self.config.frame_cache, self.config.frame_cache_max_gb))

    def run_info(self, plan: Plan) -> RunInfo:
        """run.json: the identity a rerun must match, and the facts of this run."""
        config, model = self.config, self.adapter
        return {
            "format": FORMAT_VERSION,
            "config": {**config.identity(), "limit": config.limit},
            "run_name": config.name(),
            "model": model.describe(),
            "sampling": self.spec.to_dict() if self.spec else None,
            # how frames were obtained; never what the model sees, so not part of the identity
            "media": {"decoder": config.decoder, "decode_workers": config.decode_workers,
                      "frame_cache": plan.frame_cache.describe() if plan.frame_cache else None,
                      "frame_cache_from": "--frame-cache" if config.frame_cache else
                      (ENV_DIR if plan.frame_cache else None)},
            "tasks": {n: t.describe(self.loaded[n]) for n, t in self.tasks.items()},
            "versions": versions(),
            "git_sha": git_sha(),
            "seed": config.seed,
            "world_size": self.world,
        }

    # --- the run ------------------------------------------------------------------------------

    def execute(self, progress: Any = None, plan: Optional[Plan] = None) -> RunDir:
        """Answer every task's pending samples of ``plan`` (default: :meth:`plan`), owning its run
        directory meanwhile; what a user should know afterwards is in ``notes``."""
        plan = plan or self.plan()
        rank = self.rank if self.world > 1 else None
        with plan.run.owned(rank):
            plan.run.start(self.run_info(plan), self.config.overwrite, write=self.rank == 0)
            self.adapter.open_run(plan.run.path)
            for name in self.tasks:
                self.run_task(plan, name, progress)
                full = len(self.loaded[name].samples)
                if len(plan.samples[name]) < full and self.config.limit:
                    self.notes.append(f"{name}: partial run: {len(plan.samples[name])} of {full} samples (--limit); "
                                      "rerun with a larger or no --limit and the same --run-name to finish it")
                self.note_outcome(plan.run, name)
            self.record_usage(plan.run)
        return plan.run

    def run_task(self, plan: Plan, name: str, progress: Any = None) -> int:
        task, run = self.tasks[name], plan.run
        mine = shard(plan.samples[name], self.world, self.rank)  # a video's questions stay on one rank
        rank = self.rank if self.world > 1 else None
        done = run.done_ids(name, rank)
        if self.config.retry_failed:
            done -= run.failed_ids(name)
        pending = by_video([(i, s) for i, s in mine if s.id not in done])
        if len(mine) > len(pending):
            self.notes.append(f"{name}: resumed: {len(mine) - len(pending)} of {len(mine)} already done in {run.path}")
        bar = None
        if progress is not None:  # under torchrun only rank 0 shows one, for the whole job
            total = len(plan.samples[name])
            done_now = total - len(pending) if self.world == 1 else min(self.n_done(run, name), total)
            self.bars[name] = bar = progress.add_task(name, total=total, completed=done_now)
        run.task_dir(name).mkdir(parents=True, exist_ok=True)
        stage = MediaStage(task, self.spec, pending, self.config.prefetch, self.config.decode_workers,
                           self.config.decoder, plan.frame_cache, self.config.reuse_frames)
        with Recorder(task, self.adapter, run.predictions_path(name, rank), run.task_dir(name) / "timings.jsonl") as rec:
            for answer in answers(self.adapter, stage, Counter(video_key(s) for _, s in pending)):
                rec.write(answer)
                self.advance(run, progress, bar, plan)
        return len(pending)

    # --- progress and notes -------------------------------------------------------------------

    def advance(self, run: RunDir, progress: Any, bar: Any, plan: Plan) -> None:
        if progress is None:
            return
        if self.world > 1 and time.monotonic() - self._counted > 1.0:  # the other ranks' records too
            self.refresh(progress, run, plan)
        else:
            progress.advance(bar)

    @staticmethod
    def n_done(run: RunDir, name: str) -> int:
        """Records of ``name`` on disk, every rank's (lines, counted without parsing)."""
        return sum(p.read_bytes().count(b"\n") for p in [run.predictions_path(name), *run.shard_paths(name)]
                   if p.exists())

    def refresh(self, progress: Any, run: Optional[RunDir] = None, plan: Optional[Plan] = None) -> None:
        """Set every task bar to the records all ranks have written (rank 0's view of the job)."""
        self._counted = time.monotonic()
        run = run or RunDir(self.config.output / self.config.name())
        for name, bar in self.bars.items():
            total = len(plan.samples[name]) if plan else progress.tasks[bar].total
            progress.update(bar, completed=min(self.n_done(run, name), total))

    def record_usage(self, run: RunDir) -> None:
        """Append this pass's model usage to ``model_usage[.rank<R>].json`` (passes and their sum)
        and refresh the model facts of run.json (e.g. the model a server reported)."""
        usage = self.adapter.usage()
        if usage is None:
            return
        path = run.path / ("model_usage.json" if self.world == 1 else f"model_usage.rank{self.rank}.json")
        passes = json.loads(path.read_text())["passes"] if path.exists() else []
        passes.append({**usage, "finished": time.time()})
        totals = {k: sum(p.get(k) or 0 for p in passes) for k, v in usage.items() if isinstance(v, (int, float))}
        write_json(path, {"passes": passes, "total": totals})
        if self.rank == 0:
            info = run.load_run()
            info["model"] = self.adapter.describe()
            write_json(run.run_json, info)

    def note_outcome(self, run: RunDir, name: str) -> None:
        """How many samples carry warnings (input that was guessed or degraded); which failed and
        why (the first few), and the file listing them all."""
        records = run.records(name)
        warned = [r for r in records if (r.get("prompt") or {}).get("warnings")]
        if warned:
            first = warned[0]["prompt"]["warnings"][0]
            self.notes.append(f"{name}: {len(warned)} sample(s) with warnings, e.g. {warned[0]['id']}: {first} "
                              "(records: prompt.warnings; results: n_warned)")
        listing = list_failures(run, name, records)
        if listing is None:
            return
        failed = [r for r in records if r.get("error") is not None]
        shown = "; ".join(f"{r['id']} ({r['error']})" for r in failed[:3])
        more = f"; and {len(failed) - 3} more" if len(failed) > 3 else ""
        self.notes.append(f"{name}: {len(failed)} sample(s) failed: {shown}{more}. All of them: {listing} "
                          "(fix the cause, then rerun with --retry-failed)")
