"""Every CUDA check the project has, in one command, with a short report.

    scripts/gpu_check.sh            on a CUDA machine: every check, bf16, the GPUs there are
    scripts/gpu_check.sh --cpu      the part a CPU can do (CI runs it): tiny models in float32

Checks: the device and library versions; Dynamic-VLM (tiny preset) answers a video's questions
from one shared prefix with the answers of answering each whole, in the device's dtype; every
``hf`` family (tiny checkpoints built here) loads and answers on the device, and its shared prefix
matches too; a run under torchrun with one GPU per rank equals the single-process run; and, on a
GPU only, seconds per question, prefill tokens per second and model FLOP utilisation of the
random-weight released shapes (``dynamic-vlm preset=random-7b``, ``hf preset=random-qwen2.5-vl-7b``)
from ``evalkit bench`` on a Video-MME-shaped set. Exit 1 when a check fails.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, List, Tuple

ROOT = Path(__file__).resolve().parents[1]
Row = Tuple[str, bool, str]


def evalkit(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "evalkit.cli", *args], capture_output=True, text=True,
                          env={**os.environ, **env})


def device_facts(cpu: bool) -> Row:
    import torch

    if not cpu and not torch.cuda.is_available():
        return "device", False, "no CUDA device (use --cpu for the CPU part)"
    if cpu:
        return "device", True, f"cpu, torch {torch.__version__}, {torch.get_num_threads()} threads"
    names = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return "device", True, f"{len(names)} x {names[0]}, torch {torch.__version__}, CUDA {torch.version.cuda}"


def records(run: Path, task: str = "videomme") -> list:
    return [json.loads(x) for x in (run / task / "predictions.jsonl").read_text().splitlines()]


def dynamic_vlm_shared_prefix(tmp: Path, cpu: bool) -> Row:
    dtype = "float32" if cpu else "bfloat16"
    runs = {}
    for share in ("true", "false"):
        p = evalkit("run", "--task", "videomme_w_subtitle", "--data", "sample", "--model", "dynamic-vlm",
                    "--model-args", f"preset=tiny,dtype={dtype},max_frames=8,share_prefix={share}",
                    "--output", str(tmp), "--run-name", f"dvlm-{share}")
        if p.returncode:
            return "dynamic-vlm shared prefix", False, p.stderr.strip().splitlines()[-1]
        runs[share] = records(tmp / f"dvlm-{share}", "videomme_w_subtitle")
    same = sum(a["response"] == b["response"] for a, b in zip(runs["true"], runs["false"]))
    cached = sum(r["model"]["cached_tokens"] for r in runs["true"])
    device = runs["true"][0]["model"].get("device") or json.loads((tmp / "dvlm-true" / "run.json").read_text())["model"]["device"]
    # bf16: a shared prefix is computed without the padding of the unshared path; ties may flip in
    # rare rows, so the GPU check reports the share and asks for all of them in float32 only
    ok = same == len(runs["true"]) if dtype == "float32" else same >= len(runs["true"]) - 1
    return "dynamic-vlm shared prefix", ok and cached > 0, \
        f"{dtype} on {device}: {same}/{len(runs['true'])} identical answers, {cached} prefill tokens reused"


def hf_families(tmp: Path, cpu: bool) -> List[Row]:
    from transformers.utils import logging as hf_logging

    from evalkit.model_adapters.hf import build

    hf_logging.disable_progress_bar()
    rows: List[Row] = []
    dtype = "float32" if cpu else "bfloat16"
    for family in build.FAMILIES:
        folder = build.save(family, tmp / "hf" / family)
        out = {}
        for share in ("true", "false"):
            start = time.perf_counter()
            p = evalkit("run", "--task", "videomme", "--data", "sample", "--limit", "6", "--model", "hf",
                        "--model-args", f"checkpoint={folder},dtype={dtype},share_prefix={share}",
                        "--output", str(tmp), "--run-name", f"hf-{family}-{share}")
            if p.returncode:
                rows.append((f"hf {family}", False, p.stderr.strip().splitlines()[-1]))
                break
            out[share] = (records(tmp / f"hf-{family}-{share}"), time.perf_counter() - start)
        else:
            shared, alone = out["true"][0], out["false"][0]
            same = sum(a["response"] == b["response"] for a, b in zip(shared, alone))
            reused = sum(r["model"].get("cached_tokens", 0) for r in shared)
            info = json.loads((tmp / f"hf-{family}-true" / "run.json").read_text())["model"]
            rows.append((f"hf {family}", reused > 0 and (same == len(shared) or dtype != "float32"),
                         f"{info['device']} {info['dtype']} {info['attn']}: {len(shared)} answers, {same} identical "
                         f"with and without the shared prefix ({reused} prefill tokens reused), {out['true'][1]:.1f} s"))
    return rows


def torchrun_ranks(tmp: Path, cpu: bool) -> Row:
    import torch

    torchrun = shutil.which("torchrun", path=os.path.dirname(sys.executable)) or shutil.which("torchrun")
    ranks = 2 if cpu else max(1, torch.cuda.device_count())
    if torchrun is None:
        return "torchrun", False, "torchrun is not installed next to this Python"
    args = ["--task", "videomme", "--data", "sample", "--model", "dynamic-vlm", "--model-args",
            f"preset=tiny,max_frames=4,dtype={'float32' if cpu else 'bfloat16'}", "--output", str(tmp)]
    single = evalkit("run", *args, "--run-name", "single")
    multi = subprocess.run([torchrun, "--standalone", f"--nproc_per_node={ranks}", "-m", "evalkit.cli", "run", *args,
                            "--run-name", "ranks"], capture_output=True, text=True)
    if single.returncode or multi.returncode:
        return "torchrun", False, (single.stderr or multi.stderr).strip().splitlines()[-1]
    a = {r["id"]: r["response"] for r in records(tmp / "single")}
    b = {r["id"]: r["response"] for r in records(tmp / "ranks")}
    device = json.loads((tmp / "ranks" / "run.json").read_text())["model"]["device"]
    return "torchrun", a == b, f"{ranks} rank(s) (rank 0 on {device}): {sum(a[k] == b.get(k) for k in a)}/{len(a)} " \
                              "answers equal the single process"


def throughput(tmp: Path) -> List[Row]:
    """Seconds per question, prefill tokens/s and MFU of the released shapes (GPU only)."""
    data = tmp / "bench-set"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_bench_set.py"), "--videos", "4", "--seconds", "120",
                    "--out", str(data)], check=True, capture_output=True)
    rows: List[Row] = []
    for model, margs in (("dynamic-vlm", "preset=random-7b,dtype=bfloat16"),
                         ("hf", "preset=random-qwen2.5-vl-7b,dtype=bfloat16")):
        out = tmp / f"bench-{model}.json"
        p = evalkit("bench", "--task", "videomme", "--data", str(data), "--model", model, "--model-args", margs,
                    "--json", str(out))
        if p.returncode:
            rows.append((f"bench {model}", False, p.stderr.strip().splitlines()[-1]))
            continue
        figures = json.loads(out.read_text())
        per_video = next(m for m in figures["modes"] if m["mode"] == "per-video")
        mfu = per_video.get("model_flop_utilisation")
        rows.append((f"bench {model} ({margs.split(',')[0]})", True,
                     f"{per_video['wall_per_question']:.2f} s/question, {per_video['prefill_tokens_per_s']:.0f} prefill "
                     f"tok/s, MFU {'-' if mfu is None else f'{mfu:.1%}'}, prefill tokens per-video/per-question "
                     f"{figures['ratios']['prefill tokens per question, per-video / per-question']:.2f}"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", action="store_true", help="the part a CPU can do (tiny models, float32)")
    args = parser.parse_args()
    checks: List[Callable[[Path], object]] = [
        lambda t: device_facts(args.cpu), lambda t: dynamic_vlm_shared_prefix(t, args.cpu),
        lambda t: hf_families(t, args.cpu), lambda t: torchrun_ranks(t, args.cpu)]
    if not args.cpu:
        checks.append(throughput)
    rows: List[Row] = []
    with tempfile.TemporaryDirectory(prefix="evalkit-gpu-check-") as tmp:
        for check in checks:
            got = check(Path(tmp))
            rows += got if isinstance(got, list) else [got]  # type: ignore[list-item]
            if rows and rows[0][0] == "device" and not rows[0][1]:
                break
    width = max(len(name) for name, _, _ in rows)
    for name, ok, detail in rows:
        print(f"{'ok  ' if ok else 'FAIL'}  {name:<{width}}  {detail}")
    failed = [name for name, ok, _ in rows if not ok]
    print(f"{len(rows) - len(failed)} of {len(rows)} checks passed" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
