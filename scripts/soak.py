"""Reliability soak (not part of CI): kill -9 at random moments, two writers, changed data, a
torchrun group killed and resumed with another world size, a judge storm against a misbehaving
loopback server, and the bad-input corpus of tests/reliability. Prints one line per case and
the totals: cases tried, held, records lost, records duplicated, records mixed, tracebacks.

    python scripts/soak.py [--kills 20] [--samples 12000] [--seed 0]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

import pyarrow as pa
import pyarrow.parquet as pq

from evalkit.scaling import questions

PY = sys.executable
BIG = 9000  # bytes per response: records above 8 KiB


def evalkit(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "evalkit.cli", *args], capture_output=True, text=True, **kw)


def make_data(root: Path, n: int, seed: int) -> Dict[str, str]:
    """A Video-MME-layout parquet of ``n`` questions (replay needs no videos) and their responses."""
    questions(root, n)
    rng = random.Random(seed)
    ids = pq.read_table(root / "videomme" / "test-00000-of-00001.parquet", columns=["question_id"]).to_pylist()
    return {row["question_id"]: rng.choice("ABCD") + " " + "x" * BIG for row in ids}


def check(run: Path, responses: Dict[str, str]) -> Tuple[int, int, int]:
    """(lost, duplicated, mixed) records of a finished run: every line must parse, every id once,
    every response the replayed one."""
    lines = [ln for p in sorted((run / "videomme").glob("predictions*.jsonl")) for ln in p.read_text().splitlines() if ln]
    recs = [json.loads(ln) for ln in lines]
    ids = [r["id"] for r in recs]
    mixed = sum(1 for r in recs if r["response"] != responses.get(r["id"]))
    return len(set(responses) - set(ids)), len(ids) - len(set(ids)), mixed


def replay_args(data: Path, out: Path, responses_file: Path, name: str) -> List[str]:
    return ["run", "--task", "videomme", "--data", str(data), "--model", "replay", "--model-args",
            f"responses={responses_file}", "--output", str(out), "--run-name", name]


def case_kills(tmp: Path, data: Path, rfile: Path, responses: Dict[str, str], kills: int, rng: random.Random) -> dict:
    out = tmp / "runs"
    preds = out / "killed" / "videomme" / "predictions.jsonl"
    done = []
    for _ in range(kills):
        # kill while records are being written: once the file has grown by a random number of them
        start = preds.stat().st_size if preds.exists() else 0
        target = start + rng.randint(1, max(1, len(responses) // (2 * kills))) * (BIG + 500)
        proc = subprocess.Popen([PY, "-m", "evalkit.cli", *replay_args(data, out, rfile, "killed")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while proc.poll() is None and (preds.stat().st_size if preds.exists() else 0) < target:
            time.sleep(0.002)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        done.append(preds.read_bytes().count(b"\n") if preds.exists() else 0)
    final = evalkit(*replay_args(data, out, rfile, "killed"))
    lost, dups, mixed = check(out / "killed", responses)
    return {"case": f"kill -9 x{kills} during a {len(responses)}-record replay (records on disk at the kills: "
                    f"{', '.join(map(str, done))})", "ok": final.returncode == 0,
            "lost": lost, "dups": dups, "mixed": mixed, "tracebacks": final.stderr.count("Traceback")}


def case_two_writers(tmp: Path, data: Path, rfile: Path, responses: Dict[str, str]) -> dict:
    out = tmp / "runs"
    procs = [subprocess.Popen([PY, "-m", "evalkit.cli", *replay_args(data, out, rfile, "two")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate() + (p.returncode,) for p in procs]
    refused = [r for r in results if r[2] == 2 and "is in use: process" in " ".join((r[0] + r[1]).split())]
    lost, dups, mixed = check(out / "two", responses)
    return {"case": "two processes on one run dir", "ok": len(refused) == 1 and lost == dups == 0,
            "lost": lost, "dups": dups, "mixed": mixed, "tracebacks": sum(r[1].count("Traceback") for r in results)}


def case_changed_data(tmp: Path, data: Path, rfile: Path, responses: Dict[str, str]) -> dict:
    out = tmp / "runs"
    copy = tmp / "changed"
    shutil.copytree(data, copy)
    first = evalkit(*replay_args(copy, out, rfile, "changed"), "--limit", "50")
    parquet = copy / "videomme" / "test-00000-of-00001.parquet"
    rows = pq.read_table(parquet).to_pylist()
    rows[0]["answer"] = "D" if rows[0]["answer"] != "D" else "A"
    pq.write_table(pa.Table.from_pylist(rows), parquet)
    again = evalkit(*replay_args(copy, out, rfile, "changed"))
    n = len(read_ids(out / "changed"))
    return {"case": "changed annotations, same path", "ok": first.returncode == 0 and again.returncode == 2
            and "the data changed" in again.stdout + again.stderr and n == 50,
            "lost": 0, "dups": 0, "mixed": 0 if n == 50 else n - 50, "tracebacks": again.stderr.count("Traceback")}


def read_ids(run: Path) -> List[str]:
    return [json.loads(ln)["id"] for p in (run / "videomme").glob("predictions*.jsonl")
            for ln in p.read_text().splitlines() if ln]


def case_torchrun(tmp: Path, data: Path, rfile: Path, responses: Dict[str, str], rng: random.Random) -> dict:
    torchrun = shutil.which("torchrun", path=os.path.dirname(PY))
    if torchrun is None:
        return {"case": "torchrun kill + world-size change", "ok": False, "lost": 0, "dups": 0, "mixed": 0,
                "tracebacks": 0, "note": "torchrun not installed"}
    out = tmp / "runs"
    proc = subprocess.Popen([torchrun, "--standalone", "--nproc_per_node=2", "-m", "evalkit.cli",
                             *replay_args(data, out, rfile, "dist")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(rng.uniform(3.0, 6.0))
    # the node dies: the agent and its workers (torchrun starts them in sessions of their own)
    os.killpg(proc.pid, signal.SIGKILL)
    subprocess.run(["pkill", "-9", "-f", "--", f"--output {out} --run-name dist"])
    proc.wait()
    while subprocess.run(["pgrep", "-f", "--", f"--output {out} --run-name dist"], capture_output=True).returncode == 0:
        time.sleep(0.1)
    resumed = evalkit(*replay_args(data, out, rfile, "dist"))  # one process now
    scored = evalkit("score", str(out / "dist"))
    if resumed.returncode or scored.returncode:
        print(resumed.stdout[-2000:], resumed.stderr[-2000:], scored.stdout[-1000:], scored.stderr[-1000:])
    lost, dups, mixed = check(out / "dist", responses)
    res = json.loads((out / "dist" / "results.json").read_text())["tasks"]["videomme"]
    return {"case": "torchrun (2 ranks) killed, resumed with 1 process", "ok": resumed.returncode == 0
            and scored.returncode == 0 and res["complete"], "lost": lost, "dups": dups, "mixed": mixed,
            "tracebacks": resumed.stderr.count("Traceback") + scored.stderr.count("Traceback")}


def case_judge_storm(tmp: Path) -> dict:
    from evalkit.judge.server import MockJudgeServer

    markers = ["", "[429]", "[500]", "[slow]", "[drop]", "[html]", "[nochoices]", "[emptychoices]", "[malformed]"]
    qa = tmp / "msvd"  # an open-QA set in the JSON layout; replay needs no videos
    qa.mkdir()
    n = 20 * len(markers)
    (qa / "test_q.json").write_text(json.dumps([{"video_name": f"v{k // 4}", "question": f"what colour {k}?",
                                                 "question_id": f"q{k}"} for k in range(n)]))
    (qa / "test_a.json").write_text(json.dumps([{"answer": "grey", "question_id": f"q{k}"} for k in range(n)]))
    rows = [{"id": f"q{k}", "response": f"grey {k} {markers[k % len(markers)]}"} for k in range(n)]
    rfile = tmp / "judge.jsonl"
    rfile.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp / "runs"
    evalkit("run", "--task", "msvd_qa", "--data", str(qa), "--model", "replay", "--model-args",
            f"responses={rfile}", "--output", str(out), "--run-name", "judged")
    env = {**os.environ, "OPENAI_API_KEY": "sk-soak"}
    with MockJudgeServer() as server:
        judged = subprocess.run([PY, "-m", "evalkit.cli", "judge", str(out / "judged"), "--judge-model",
                                 "gpt-4o-mini-2024-07-18", "--base-url", server.base_url, "--timeout", "0.3",
                                 "--backoff", "0.05", "--max-retries", "3"], capture_output=True, text=True, env=env)
    res = json.loads((out / "judged" / "results.json").read_text())["tasks"]["msvd_qa"]
    accounted = res["n_judged"] + res["n_judge_failed"] == res["n"]
    return {"case": f"judge storm ({len(rows)} items: 429/500/slow/dropped/broken 200s)",
            "ok": judged.returncode == 0 and accounted, "lost": res["n"] - res["n_judged"] - res["n_judge_failed"],
            "dups": 0, "mixed": 0, "tracebacks": judged.stderr.count("Traceback")}


def case_bad_inputs() -> dict:
    proc = subprocess.run([PY, "-m", "pytest", "-q", "tests/reliability"], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1])
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr[-200:]
    return {"case": f"bad-input and run-dir corpus (tests/reliability: {last})", "ok": proc.returncode == 0,
            "lost": 0, "dups": 0, "mixed": 0, "tracebacks": 0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--samples", type=int, default=12000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        data = tmp / "videomme-big"
        responses = make_data(data, args.samples, args.seed)
        rfile = tmp / "responses.jsonl"
        rfile.write_text("".join(json.dumps({"id": k, "response": v}) + "\n" for k, v in responses.items()))
        cases = [case_kills(tmp, data, rfile, responses, args.kills, rng),
                 case_two_writers(tmp, data, rfile, responses),
                 case_changed_data(tmp, data, rfile, responses),
                 case_torchrun(tmp, data, rfile, responses, rng),
                 case_judge_storm(tmp),
                 case_bad_inputs()]
    for c in cases:
        print(f"{'held ' if c['ok'] else 'BROKE'}  lost {c['lost']}  dup {c['dups']}  mixed {c['mixed']}  "
              f"tracebacks {c['tracebacks']}  {c['case']}{'  (' + c['note'] + ')' if c.get('note') else ''}")
    totals = {k: sum(c[k] for c in cases) for k in ("lost", "dups", "mixed", "tracebacks")}
    held = sum(c["ok"] for c in cases)
    print(f"cases {len(cases)}, held {held}, lost {totals['lost']}, duplicated {totals['dups']}, "
          f"mixed {totals['mixed']}, tracebacks {totals['tracebacks']}")
    return 0 if held == len(cases) and not any(totals.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
