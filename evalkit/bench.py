"""``evalkit bench``: where a run's time goes, with and without decode prefetch.

Each mode runs in its own child process (so peak memory is per mode) over the same samples
into a throw-away run dir. Reported per sample: decode time, model time, wall time, and the
ratio of wall time to the slower of the two stages (1.0 = the other stage is fully hidden).
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

MODES = {"sequential": 0, "prefetch": 4}


def child(argv: List[str]) -> None:
    """Run one mode and print its measurements as JSON on the last line of stdout."""
    from .runner import RunConfig, Runner

    cfg = json.loads(argv[0])
    config = RunConfig(tasks=cfg["tasks"], model=cfg["model"], model_args=cfg["model_args"], data=cfg["data"],
                       limit=cfg["limit"], output=Path(cfg["output"]), run_name=cfg["mode"], overwrite=True,
                       prefetch=MODES[cfg["mode"]], decode_workers=cfg["decode_workers"])
    runner = Runner(config)
    # one untimed sample first, so one-off start-up costs (kernels, allocator) are not counted
    chosen = runner.samples
    runner.samples = {n: s[:1] for n, s in chosen.items()}
    runner.execute()
    runner.samples = chosen
    start = time.perf_counter()
    runner.execute()
    wall = time.perf_counter() - start
    timings = []
    for name in runner.tasks:
        path = runner.run.task_dir(name) / "timings.jsonl"
        timings += [json.loads(x) for x in path.read_text().splitlines()]
    out = {
        "mode": cfg["mode"], "n": len(timings), "wall_s": wall,
        "decode_s": sum(t["decode_s"] for t in timings), "model_s": sum(t["generate_s"] for t in timings),
        "wait_s": sum(t["wait_s"] for t in timings),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    try:
        import torch

        if torch.cuda.is_available():
            out["cuda_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    except ImportError:
        pass
    print(json.dumps(out))


def run_bench(tasks: List[str], model: str, model_args: str, data: str, limit: int, decode_workers: int) -> List[Dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="evalkit-bench-") as tmp:
        for mode in MODES:
            cfg = dict(tasks=tasks, model=model, model_args=model_args, data=data, limit=limit, output=tmp,
                       mode=mode, decode_workers=decode_workers)
            proc = subprocess.run([sys.executable, "-m", "evalkit.bench", json.dumps(cfg)],
                                  capture_output=True, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
            if proc.returncode != 0:
                raise RuntimeError(f"bench child ({mode}) failed:\n{proc.stderr[-3000:]}")
            rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    for r in rows:
        n = max(r["n"], 1)
        r["decode_per_sample"] = r["decode_s"] / n
        r["model_per_sample"] = r["model_s"] / n
        r["wall_per_sample"] = r["wall_s"] / n
        r["wall_over_slower_stage"] = r["wall_s"] / max(r["decode_s"], r["model_s"], 1e-9)
    return rows


def bench_table(rows: List[Dict]):
    from .reports.fit import add_columns, table as new_table

    table = new_table("per-sample stage times (seconds) and peak memory")
    add_columns(table, ("mode", "samples", "decode", "model", "wall", "wall / slower stage", "peak RSS MB",
                        "CUDA peak MB"))
    for r in rows:
        table.add_row(r["mode"], str(r["n"]), f"{r['decode_per_sample']:.3f}", f"{r['model_per_sample']:.3f}",
                      f"{r['wall_per_sample']:.3f}", f"{r['wall_over_slower_stage']:.2f}", f"{r['peak_rss_mb']:.0f}",
                      f"{r['cuda_peak_mb']:.0f}" if "cuda_peak_mb" in r else "-")
    return table


if __name__ == "__main__":
    child(sys.argv[1:])
