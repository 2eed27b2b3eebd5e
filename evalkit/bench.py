"""``evalkit bench``: where a run's time goes, and what working once per video saves.

Three modes, each in its own child process (so peak memory is per mode) over the same samples,
each after one untimed warm-up sample in a separate run dir:

* ``per-question``: every question decodes its video and is prefilled whole (frame reuse off,
  ``share_prefix=false`` where the adapter has it): the baseline;
* ``per-video``: each video decoded once and its questions answered together, with a cold frame
  cache (the first checkpoint evaluated);
* ``warm-cache``: the same again as a second checkpoint would run it, reading the frame cache.

On a GPU, ``--model-args preset=random-7b`` (or ``random-14b``) gives seconds per question,
prefill tokens/s and model FLOP utilisation (the adapter's FLOP estimate over the model stage's
wall-clock time, against the GPU's dense bf16 peak) without the released weights.

Stage times are wall-clock: the union of the spans in which any worker was decoding (or the
model was generating), so concurrent decode workers are not added up and "wall / slower stage"
is never below 1 (1.0: the other stage was hidden entirely).
"""
from __future__ import annotations

import dataclasses
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .config import RunConfig
from .model import parse_model_args

MODES = ("per-question", "per-video", "warm-cache")
# dense bf16 peak FLOP/s by device name, for model FLOP utilisation (vendor datasheets)
PEAK_BF16 = {"H200": 989.4e12, "H100 PCIe": 756.0e12, "H100": 989.4e12, "A100": 312.0e12}


def peak_flops() -> Optional[float]:
    """This process's GPU's dense bf16 peak, when it is one the table knows."""
    try:
        import torch

        if not torch.cuda.is_available():
            return None
        name = torch.cuda.get_device_name()
    except ImportError:
        return None
    return next((v for k, v in PEAK_BF16.items() if k in name), None)


def union_seconds(spans: Sequence[Optional[Sequence[float]]]) -> float:
    """Total length of the union of (start, end) intervals (None entries ignored)."""
    total, end = 0.0, float("-inf")
    for a, b in sorted(tuple(s) for s in spans if s):
        if b <= end:
            continue
        total += b - max(a, end)
        end = b
    return total


def mode_config(base: RunConfig, mode: str, output: Path, cache: Path) -> RunConfig:
    """The configuration of one mode: the per-question baseline asks the adapter to answer each
    question whole (its ``unshared_args``) and every question to decode its video."""
    from .registry import MODELS

    args = base.model_args
    if mode == "per-question":
        given = parse_model_args(base.model_args)
        args = ",".join(f"{k}={v}" for k, v in MODELS.get(base.model).unshared_args(given).items())
    return dataclasses.replace(base, model_args=args, output=output, run_name=mode, overwrite=True,
                               reuse_frames=mode != "per-question",
                               frame_cache=None if mode == "per-question" else cache, frame_cache_max_gb=None,
                               seed=1 if mode == "warm-cache" else 0)


def child(argv: List[str]) -> None:
    """Run one mode and print its measurements as JSON on the last line of stdout."""
    from .runner import Runner
    from .store import RunDir

    cfg = json.loads(argv[0])
    config = mode_config(RunConfig.from_json(cfg["config"]), cfg["mode"], Path(cfg["output"]), Path(cfg["cache"]))
    runner = Runner(config).prepare()
    plan = runner.plan()
    # one untimed sample first, in its own run dir and without the frame cache, so one-off
    # start-up costs (kernels, allocator, imports) are not counted and the cache stays cold
    runner.execute(plan=plan.first(1, RunDir(Path(cfg["output"]) / f"{cfg['mode']}-warmup")))
    before = runner.adapter.usage() or {}
    start = time.perf_counter()
    runner.execute(plan=plan)
    wall = time.perf_counter() - start
    work = {k: v - before.get(k, 0) for k, v in (runner.adapter.usage() or {}).items() if isinstance(v, (int, float))}
    timings: List[Dict[str, Any]] = []
    records: List[Any] = []
    for name in runner.tasks:
        timings += [json.loads(x) for x in (plan.run.task_dir(name) / "timings.jsonl").read_text().splitlines()]
        records += plan.run.records(name)
    chosen = plan.samples
    out = {
        "mode": cfg["mode"], "n": len(timings), "wall_s": wall,
        "videos": len({s.video for samples in chosen.values() for s in samples if s.video is not None}),
        "decode_calls": sum(1 for t in timings if t["decoded"]),
        "decode_s": union_seconds([t["decode_span"] for t in timings if t["decoded"]]),
        "read_s": union_seconds([t["decode_span"] for t in timings]),  # decoding or reading the cache
        "model_s": union_seconds([t["generate_span"] for t in timings]),
        "prefill_tokens": sum((r.get("model") or {}).get("prefill_tokens", 0) for r in records),
        "cached_tokens": sum((r.get("model") or {}).get("cached_tokens", 0) for r in records),
        "responses": {f"{r['task']}/{r['id']}": r["response"] for r in records},
        "model_flops": work.get("model_flops"),  # the adapter's estimate, when it makes one
        "peak_flops": peak_flops(),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    try:
        import torch

        if torch.cuda.is_available():
            out["cuda_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    except ImportError:
        pass
    print(json.dumps(out))


def run_bench(config: RunConfig) -> Tuple[List[Dict], Dict[str, float]]:
    """Per-mode measurements, and the ratios between them."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="evalkit-bench-") as tmp:
        for mode in MODES:
            cfg = dict(config=config.to_json(), output=tmp, mode=mode, cache=str(Path(tmp) / "frame-cache"))
            proc = subprocess.run([sys.executable, "-m", "evalkit.bench", json.dumps(cfg)],
                                  capture_output=True, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
            if proc.returncode != 0:
                raise RuntimeError(f"bench child ({mode}) failed:\n{proc.stderr[-3000:]}")
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    for r in rows:
        n = max(r["n"], 1)
        r["decode_calls_per_video"] = r["decode_calls"] / max(r["videos"], 1)
        r["decode_per_question"] = r["decode_s"] / n
        r["model_per_question"] = r["model_s"] / n
        r["wall_per_question"] = r["wall_s"] / n
        r["prefill_per_question"] = r["prefill_tokens"] / n
        r["wall_over_slower_stage"] = r["wall_s"] / max(r["read_s"], r["model_s"], 1e-9)
        r["prefill_tokens_per_s"] = r["prefill_tokens"] / max(r["model_s"], 1e-9)
        r["model_flop_utilisation"] = (r["model_flops"] / max(r["model_s"], 1e-9) / r["peak_flops"]
                                       if r["model_flops"] and r["peak_flops"] else None)
    base, shared, warm = rows
    same = [k for k, v in base["responses"].items() if shared["responses"].get(k) == v]
    ratios = {
        "identical answers, per-video / per-question": len(same) / max(len(base["responses"]), 1),
        "decode s per question, per-video / per-question": shared["decode_s"] / max(base["decode_s"], 1e-9),
        "prefill tokens per question, per-video / per-question":
            shared["prefill_tokens"] / base["prefill_tokens"] if base["prefill_tokens"] else float("nan"),
        "wall per question, per-video / per-question": shared["wall_s"] / max(base["wall_s"], 1e-9),
        "second checkpoint decode s, frame cache / none": warm["decode_s"] / max(shared["decode_s"], 1e-9),
        "second checkpoint wall, frame cache / none": warm["wall_s"] / max(shared["wall_s"], 1e-9),
    }
    return rows, ratios


def bench_tables(rows: List[Dict], ratios: Dict[str, float]):
    """Stage times, model work and memory, ratios: three tables that each fit 80 columns."""
    from .reports.fit import add_columns, table as new_table

    stages = new_table("per question: wall-clock seconds of each stage")
    add_columns(stages, ("mode", "questions", "decodes / video", "decode", "model", "wall", "wall / slower stage"))
    work = new_table("per question: model work and peak memory")
    add_columns(work, ("mode", "prefill tokens", "prefill tok/s", "MFU", "peak RSS MB", "CUDA peak MB"))
    for r in rows:
        mfu = r["model_flop_utilisation"]
        stages.add_row(r["mode"], str(r["n"]), f"{r['decode_calls_per_video']:.2f}", f"{r['decode_per_question']:.3f}",
                       f"{r['model_per_question']:.3f}", f"{r['wall_per_question']:.3f}",
                       f"{r['wall_over_slower_stage']:.2f}")
        work.add_row(r["mode"], f"{r['prefill_per_question']:.0f}", f"{r['prefill_tokens_per_s']:.0f}",
                     f"{mfu:.1%}" if mfu is not None else "-", f"{r['peak_rss_mb']:.0f}",
                     f"{r['cuda_peak_mb']:.0f}" if "cuda_peak_mb" in r else "-")
    summary = new_table("ratios (one run)")
    add_columns(summary, ("ratio", "value"))
    for name, value in ratios.items():
        summary.add_row(name, f"{value:.2f}")
    return stages, work, summary


if __name__ == "__main__":
    child(sys.argv[1:])
