"""Reliability soak (not part of CI): kill -9 at random moments, two writers, changed data, a
torchrun group killed and resumed with another world size, a judge storm against a misbehaving
loopback server, the hostile-input corpus of the second hardening pass (each case through the
real command: markup in names and errors, lone surrogates, secrets in URLs, full disks, damaged
run files, crafted results, renamed images, malformed subtitles, edited replay files, ...) with a
scan of every file written for secrets, and the bad-input corpus of tests/reliability. Prints one
line per case and the totals: cases tried, held, records lost, duplicated, mixed, tracebacks.

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
from typing import Dict, List, Optional, Tuple

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


SECRETS = ("SOAKPASSWORD", "SOAKQUERYKEY", "SOAKJUDGEKEY")


def one_line_error(proc: subprocess.CompletedProcess, *names: str) -> bool:
    """Exit 2 with one ``error:`` line, the last printed, naming ``names``."""
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("error:")]
    return proc.returncode == 2 and len(errors) == 1 and lines[-1] == errors[0] and all(n in errors[0] for n in names)


def hostile_cases(tmp: Path) -> List[Tuple[str, bool, List[subprocess.CompletedProcess]]]:
    """The second hardening pass's corpus, each case through the real command in a subprocess:
    (what, held, the processes run)."""
    import av
    import numpy as np
    from openpyxl import Workbook
    from PIL import Image

    from evalkit.data import samples_root
    from evalkit.judge.server import MockJudgeServer

    sample = samples_root() / "videomme"
    out = tmp / "hostile"
    cases: List[Tuple[str, bool, List[subprocess.CompletedProcess]]] = []
    targets = {r["question_id"]: r["answer"] for r in
               pq.read_table(sample / "videomme" / "test-00000-of-00001.parquet").to_pylist()}

    def copy(name: str) -> Path:
        dst = tmp / "data" / name
        shutil.copytree(sample, dst)
        return dst

    def lines(path: Path, rows: List[dict]) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        return path

    def run(name: str, *args: str, env: Optional[dict] = None) -> subprocess.CompletedProcess:
        return evalkit("run", "--task", "videomme", "--output", str(out), "--run-name", name, *args,
                       env={**os.environ, **(env or {})})

    def case(what: str, held: bool, *procs: subprocess.CompletedProcess) -> None:
        cases.append((what, held, list(procs)))

    decode = ("--model", "random", "--model-args", "decode=true,max_frames=4")

    for what, damage in (("missing", lambda v: v.unlink()), ("symlink loop", lambda v: (v.unlink(), v.symlink_to(v)))):
        data = copy(f"cache-{what.replace(' ', '-')}")
        damage(data / "data" / "smpl0000002.mp4")
        p = run(f"cache-{what.replace(' ', '-')}", "--data", str(data), *decode, "--frame-cache", str(tmp / "frames"))
        case(f"--frame-cache with a {what} video: that video's samples fail, the run finishes", p.returncode == 0
             and (out / f"cache-{what.replace(' ', '-')}" / "results.json").is_file(), p)
    p = run("a[/]b", "--data", "sample", "--model", "random")
    case("a run name holding [/]: one-line error", one_line_error(p, "a[/]b"), p)
    odd = lines(tmp / "odd[/]dir" / "r.jsonl", [{"id": "001-1", "response": "A"}])
    p = run("markup-path", "--data", "sample", "--model", "replay", "--model-args", f"responses={odd}")
    case("failures quoting [/] in their reason are printed, results written", p.returncode == 0
         and (out / "markup-path" / "results.json").is_file(), p)
    sur = tmp / "surrogate.jsonl"
    sur.write_text('{"id": "001-1", "response": "B \\ud800"}\n' + "".join(
        json.dumps({"id": k, "response": v}) + "\n" for k, v in targets.items() if k != "001-1"))
    p = run("surrogate", "--data", "sample", "--model", "replay", "--model-args", f"responses={sur}")
    ok = p.returncode == 0
    if ok:
        recs = [json.loads(x) for x in (out / "surrogate" / "videomme" / "predictions.jsonl").read_bytes()
                .decode("utf-8").splitlines()]
        ok = recs[0]["response"] == "B \ud800"
    case("a response holding a lone surrogate is kept and written as valid UTF-8", ok, p)
    bad = tmp / "latin1.jsonl"
    bad.write_bytes(b'{"id": "001-1", "response": "caf\xe9"}\n')
    p = run("latin1", "--data", "sample", "--model", "replay", "--model-args", f"responses={bad}")
    case("a non-UTF-8 replay file: one-line error", one_line_error(p, "latin1.jsonl"), p)
    afile = tmp / "a-file"
    afile.write_text("x")
    p = evalkit("run", "--task", "videomme", "--output", str(afile), "--data", "sample", "--model", "random")
    case("--output is a file: one-line error", one_line_error(p, "a-file"), p)
    p = run("cache-file", "--data", "sample", *decode, "--frame-cache", str(afile))
    case("--frame-cache is a file: one-line error", one_line_error(p, "a-file"), p)
    p = run("lots", "--data", "sample", *decode, env={"EVALKIT_FRAME_CACHE": str(tmp / "f2"),
                                                       "EVALKIT_FRAME_CACHE_MAX_GB": "lots"})
    case("EVALKIT_FRAME_CACHE_MAX_GB=lots: one-line error", one_line_error(p, "lots"), p)
    for gb in ("0", "-5"):
        p = run(f"gb{gb}", "--data", "sample", *decode, "--frame-cache", str(tmp / "f3"), "--frame-cache-max-gb", gb)
        case(f"--frame-cache-max-gb {gb}: refused", one_line_error(p, gb), p)
    assert run("full", "--data", "sample", "--model", "random", "--limit", "6").returncode == 0
    (out / "full" / "videomme" / "timings.jsonl").unlink()
    (out / "full" / "videomme" / "timings.jsonl").symlink_to("/dev/full")
    p = run("full", "--data", "sample", "--model", "random")
    kept = (out / "full" / "videomme" / "predictions.jsonl").read_text().count("\n")
    case("a full disk while resuming: one-line error, the records written so far kept",
         one_line_error(p, "no space") and kept >= 6, p)
    for what, damage in (("truncated run.json", lambda r: (r / "run.json").write_text("{\"format\": 2, \"con")),
                         ("{} line in predictions", lambda r: (r / "videomme" / "predictions.jsonl").write_text(
                             "{}\n" + (r / "videomme" / "predictions.jsonl").read_text()))):
        name = what.split()[0].strip("{}") or "empty"
        assert run(name, "--data", "sample", "--model", "random").returncode == 0
        damage(out / name)
        ps = [evalkit("score", str(out / name)), run(name, "--data", "sample", "--model", "random")]
        case(f"a {what}: score and resume are one-line errors naming the file",
             all(one_line_error(q, str(out / name)) for q in ps), *ps)
    board = tmp / "board"
    for name in ("good1", "good2", "bad"):
        assert evalkit("run", "--task", "videomme", "--data", "sample", "--model", "random", "--seed",
                       str(len(name)), "--output", str(board), "--run-name", name).returncode == 0
    (board / "bad" / "results.json").write_text((board / "bad" / "results.json").read_text()[:300])
    p = evalkit("leaderboard", str(board))
    case("a leaderboard over runs with one damaged results.json shows the others and names it",
         p.returncode == 0 and "good1" in p.stdout and "good2" in p.stdout and "bad" in p.stdout, p)
    crafted = json.loads((board / "good1" / "results.json").read_text())
    crafted["tasks"]["videomme"]["breakdown"]["duration"]["short"] = {"accuracy": "<script>alert(1)</script>",
                                                                     "n": "<b>x</b>", "n_scored": 1, "n_correct": 1}
    (board / "good2" / "results.json").write_text(json.dumps(crafted))
    page = tmp / "board.html"
    p = evalkit("leaderboard", str(board), "--format", "html", "--out", str(page))
    html = page.read_text() if page.exists() else ""
    case("crafted breakdown values: the HTML leaderboard neither crashes nor runs them", p.returncode == 0
         and "<script>alert" not in html and "<b>x</b>" not in html, p)
    png = copy("png")
    Image.new("RGB", (64, 48)).save(png / "data" / "smpl0000001.mp4", format="PNG")
    p = evalkit("data", "check", "--task", "videomme", "--data", str(png))
    case("data check reads a PNG renamed .mp4 as unreadable", p.returncode == 1 and "unreadable" in p.stdout, p)
    audio = copy("audio")
    with av.open(str(audio / "data" / "smpl0000002.mp4"), "w") as container:
        stream = container.add_stream("aac", rate=44100)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), dtype=np.float32), format="fltp", layout="mono")
        frame.rate = 44100
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    p = run("audio", "--data", str(audio), *decode)
    recs = [json.loads(x) for x in (out / "audio" / "videomme" / "predictions.jsonl").read_text().splitlines()] \
        if p.returncode == 0 else []
    case("a video without a video stream fails its samples saying so",
         any("no video stream" in (r["error"] or "") for r in recs), p)
    subs = copy("subs")
    srt = subs / "subtitle" / "smpl0000001.srt"
    srt.write_text(srt.read_text().replace("00:00:05,000 --> 00:00:07,500", "00:00:05,000 --> 00:0x:07,500"))
    p = evalkit("run", "--task", "videomme_w_subtitle", "--data", str(subs), *decode, "--output", str(out),
                "--run-name", "subs")
    recs = [json.loads(x) for x in (out / "subs" / "videomme_w_subtitle" / "predictions.jsonl").read_text()
            .splitlines()] if p.returncode == 0 else []
    case("a malformed subtitle cue is a warning on the record",
         any("malformed cue" in w for r in recs for w in r["prompt"].get("warnings", [])), p)
    grid = [lines(tmp / "grid" / n, [{"id": k, "response": v} for k, v in targets.items()]) for n in ("a.jsonl", "b.jsonl")]
    p = evalkit("sweep", "--task", "videomme", "--data", "sample", "--model", "replay", "--grid",
                f"responses={grid[0]},{grid[1]}", "--output", str(out))
    case("a sweep over replay files runs every point", p.returncode == 0 and p.stdout.count("100.0%") == 2, p)
    edited = lines(tmp / "edited.jsonl", [{"id": k, "response": v} for k, v in targets.items()])
    first = run("edited", "--data", "sample", "--model", "replay", "--model-args", f"responses={edited}")
    lines(edited, [{"id": k, "response": "A"} for k in targets])
    ps = [run("edited", "--data", "sample", "--model", "replay", "--model-args", f"responses={edited}", *extra)
          for extra in ((), ("--retry-failed",))]
    case("an edited replay file is refused on rerun (also with --retry-failed)", first.returncode == 0
         and all(one_line_error(q, "edited.jsonl") for q in ps), first, *ps)
    wb = Workbook()
    ws = wb.active
    ws.append(["index", "prediction"])
    for n in range(12):
        ws.append([n, '="A"' if n < 3 else "C"])
    xlsx = tmp / "M_Video-MME.xlsx"
    wb.save(xlsx)
    p = evalkit("import", "vlmevalkit", str(xlsx), "--task", "videomme", "--data", "sample", "-o", str(tmp / "x.jsonl"))
    case("spreadsheet formulas are listed as not imported, never as unanswered",
         p.returncode == 0 and "formula" in p.stdout, p)
    tsv = tmp / "M_Video-MME.tsv"
    tsv.write_text("index\tprediction\n0\tA\n\tB\n")
    p = evalkit("import", "vlmevalkit", str(tsv), "--task", "videomme", "--data", "sample", "-o", str(tmp / "t.jsonl"))
    case("a VLMEvalKit table with an empty index: one-line error", one_line_error(p, tsv.name), p)
    log = tmp / "logs" / "20261207_samples_videomme.jsonl"
    log.parent.mkdir()
    log.write_bytes(b'{"doc_id": NaN, "filtered_resps": ["A"]}\n')
    p = evalkit("import", "lmms-eval", str(log), "--task", "videomme", "--data", "sample", "-o", str(tmp / "l.jsonl"))
    case("an lmms-eval doc_id of NaN: one-line error", one_line_error(p, log.name), p)
    log.write_bytes(b'{"doc_id": 0, "filtered_resps": ["caf\xe9"]}\n')
    p = evalkit("import", "lmms-eval", str(log), "--task", "videomme", "--data", "sample", "-o", str(tmp / "l.jsonl"))
    case("a non-UTF-8 lmms-eval log: one-line error", one_line_error(p, log.name), p)
    env = {**os.environ, "OPENAI_API_KEY": "sk-soak"}
    with MockJudgeServer() as server:
        host = server.base_url.split("//")[1]
        url = f"http://user:SOAKPASSWORD@{host}?api-key=SOAKQUERYKEY"
        p = run("secrets", "--data", "sample", "--model", "openai-chat", "--model-args",
                f"model=m,base_url={url},max_frames=2,image_size=32", "--limit", "3", env=env)
        case("URL credentials and query keys never written (run, results, lock)", p.returncode == 0, p)
        p = run("env-url", "--data", "sample", "--model", "openai-chat", "--model-args", "model=m,max_frames=2",
                "--limit", "3", env={**env, "OPENAI_BASE_URL": server.base_url})
        info = json.loads((out / "env-url" / "run.json").read_text()) if p.returncode == 0 else {}
        case("the endpoint OPENAI_BASE_URL chose is recorded", host in json.dumps(info.get("model", {})), p)
        qa = tmp / "data" / "qa"
        qa.mkdir(parents=True)
        (qa / "test_q.json").write_text(json.dumps([{"video_name": "v", "question": "q?", "question_id": "q1"}]))
        (qa / "test_a.json").write_text(json.dumps([{"answer": "a", "question_id": "q1"}]))
        qa_resp = lines(tmp / "qa.jsonl", [{"id": "q1", "response": "a \ud800"}])
        assert evalkit("run", "--task", "msvd_qa", "--data", str(qa), "--model", "replay", "--model-args",
                       f"responses={qa_resp}", "--output", str(out), "--run-name", "qa").returncode == 0
        p = evalkit("judge", str(out / "qa"), "--judge-model", "gpt-4o-mini-2024-07-18", "--base-url",
                    f"{server.base_url}?api-key=SOAKJUDGEKEY", env=env)
        case("a judge URL's query key is never written; a response holding a surrogate is judged", p.returncode == 0, p)
        from evalkit.store import RunDir

        with RunDir(out / "qa").owned():
            ps = [evalkit("judge", str(out / "qa"), "--judge-model", "gpt-4o-mini-2024-07-18", "--base-url",
                          server.base_url, env=env),
                  evalkit("export", str(out / "surrogate"), "--task", "videomme")]
        with RunDir(out / "surrogate").owned():
            ps.append(evalkit("export", str(out / "surrogate"), "--task", "videomme"))
        case("judge and export refuse a run still being written", one_line_error(ps[0], "still being written")
             and one_line_error(ps[2], "still being written"), *ps)
    leaked = [str(f) for f in tmp.rglob("*") if f.is_file() and not f.is_symlink()
              and any(secret.encode() in f.read_bytes() for secret in SECRETS)]
    case(f"no secret in any file written ({len(leaked)} leaked)", not leaked)
    return cases


def case_hostile_corpus(tmp: Path) -> dict:
    cases = hostile_cases(tmp)
    for what, held, _ in cases:
        print(f"    {'held ' if held else 'BROKE'}  {what}")
    procs = [p for _, _, ps in cases for p in ps]
    return {"case": f"hostile-input corpus: {sum(h for _, h, _ in cases)} of {len(cases)} cases held, "
                    f"{len(procs)} commands", "ok": all(h for _, h, _ in cases), "lost": 0, "dups": 0, "mixed": 0,
            "tracebacks": sum((p.stdout + p.stderr).count("Traceback") for p in procs)}


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
                 case_hostile_corpus(tmp),
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
