"""``evalkit bench --scaling``: how throughput grows with torchrun ranks and with requests in
flight, measured on fixed-latency stand-ins so that the harness, not a model, is what is timed.

torchrun: the seeded random baseline answering in ``sleep_s`` per sample, over a synthetic
Video-MME-layout question file (no videos: the baseline reads no pixels), with 1 and N ranks;
throughput counts records per second between the first answer started and the last written
(start-up is left out). openai-chat: K distinct requests of a few small frames each against the
loopback server with a fixed latency, at concurrency 1 and N, through the adapter that serves\nrequests to such a server (``ModelAdapter.served_args``). Each is reported as a ratio of N
times the single rank / single request rate.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

import numpy as np

from .data import samples_root
from .errors import ConfigError


def questions(root: Path, n: int) -> Path:
    """A Video-MME-layout annotation file of ``n`` questions (the sample's, repeated)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = pq.read_table(samples_root() / "videomme" / "videomme" / "test-00000-of-00001.parquet").to_pylist()
    out = []
    for k in range(n):
        row = dict(rows[k % len(rows)])
        row["video_id"], row["question_id"] = f"{k // 3:05d}", f"{k // 3:05d}-{k % 3 + 1}"
        out.append(row)
    (root / "videomme").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(out), root / "videomme" / "test-00000-of-00001.parquet")
    return root


def steady_rate(run: Path) -> float:
    """Records per second from the first answer started to the last written, every rank."""
    rows = [json.loads(x) for x in (run / "videomme" / "timings.jsonl").read_text().splitlines()]
    start = min(r["done_at"] - r["generate_s"] for r in rows)
    return len(rows) / max(max(r["done_at"] for r in rows) - start, 1e-9)


def torchrun_scaling(ranks: int, n: int, sleep_s: float) -> List[Dict[str, Any]]:
    torchrun = shutil.which("torchrun", path=os.path.dirname(sys.executable)) or shutil.which("torchrun")
    if torchrun is None:
        raise ConfigError("torchrun is not installed next to this Python")
    out: List[Dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="evalkit-scaling-") as tmp:
        data = questions(Path(tmp) / "data", n)
        for world in (1, ranks):
            name = f"ranks{world}"
            cmd = [torchrun, "--standalone", f"--nproc_per_node={world}", "-m", "evalkit.cli", "run", "--task",
                   "videomme", "--data", str(data), "--model", "random", "--model-args", f"sleep_s={sleep_s}",
                   "--output", tmp, "--run-name", name]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode:
                raise RuntimeError(f"torchrun with {world} rank(s) failed:\n{proc.stderr[-2000:]}")
            out.append({"what": f"torchrun, {world} rank(s), {sleep_s:g} s per answer", "n": n,
                        "rate": steady_rate(Path(tmp) / name), "ideal_factor": world})
    return out


def served_adapter() -> str:
    """The first registered adapter that talks to an OpenAI-compatible server (``served_args``)."""
    from .registry import MODELS

    for name in MODELS.names():
        if MODELS.get(name).served_args("http://127.0.0.1:1/v1", 1, Path("cache.sqlite")) is not None:
            return name
    raise ConfigError("no registered model adapter talks to an OpenAI-compatible server")


def served_scaling(concurrency: int, n: int, latency_s: float) -> List[Dict[str, Any]]:
    from .judge.server import MockJudgeServer
    from .media.video import SampledVideo
    from .registry import MODELS
    from .request import Request, VideoPart

    rng = np.random.default_rng(0)
    out: List[Dict[str, Any]] = []
    name = served_adapter()
    adapter = MODELS.get(name)
    with MockJudgeServer(latency_s=latency_s) as server, tempfile.TemporaryDirectory() as tmp:
        for c in (1, concurrency):
            model = adapter.from_cli(adapter.served_args(server.base_url, c, Path(tmp) / f"cache-{c}.sqlite"))
            model.open_run(Path(tmp) / "run")
            requests = []
            for k in range(n):  # distinct frames: no request is answered from the cache
                frames = rng.integers(0, 256, size=(4, 32, 32, 3), dtype=np.uint8)
                media = SampledVideo(frames, [0, 1, 2, 3], [0.0, 1.0, 2.0, 3.0], 4.0, "bench")
                requests.append(Request(f"q{k}", "bench", [VideoPart(None, media), f"question {k}?"]))
            start = time.perf_counter()
            for i in range(0, n, model.batch_size):  # as the run loop hands them over
                model.generate(requests[i:i + model.batch_size])
            wall = time.perf_counter() - start
            out.append({"what": f"{name}, concurrency {c}, {latency_s:g} s server latency", "n": n,
                        "rate": n / wall, "ideal_factor": c})
    return out


def with_ratios(rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Each pair (1, N): N's rate over N x the first's."""
    for base, scaled in zip(rows[::2], rows[1::2]):
        base["ratio"] = 1.0
        scaled["ratio"] = scaled["rate"] / (scaled["ideal_factor"] * base["rate"])
    return rows
