"""Reliability of run directories: nothing lost, nothing duplicated, nothing mixed, nobody else
writing. Each test reproduces a defect that was found on main."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest

from evalkit.store import PredictionWriter, RunDir, read_records

ARGS = ("--task", "videomme", "--data", "sample", "--model", "random")


def lines_of(path):
    return path.read_bytes().split(b"\n")


def test_a_record_and_its_newline_are_one_write(tmp_path, monkeypatch):
    calls = []
    real = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: calls.append(data) or real(fd, data))
    writer = PredictionWriter(tmp_path / "p.jsonl")
    writer.append({"id": "1", "response": "x" * 9000})  # above 8 KiB: one write all the same
    writer.close()
    assert len(calls) == 1 and calls[0].endswith(b"\n") and len(calls[0]) > 9000


def test_a_whole_last_record_without_its_newline_is_repaired_on_resume(cli):
    assert cli.run(*ARGS, "--limit", "4")[0] == 0
    path = cli.output / "r" / "videomme" / "predictions.jsonl"
    path.write_bytes(path.read_bytes().rstrip(b"\n"))  # killed between the JSON and its newline
    assert cli.run(*ARGS)[0] == 0
    recs = read_records(path)
    assert [r["id"] for r in recs] == sorted({r["id"] for r in recs}, key=[r["id"] for r in recs].index)
    assert len(recs) == 12 and all(json.loads(x) for x in lines_of(path) if x)
    assert cli("score", cli.output / "r")[0] == 0


def test_a_second_process_on_a_run_dir_is_refused_naming_the_holder(cli):
    assert cli.run(*ARGS, "--limit", "2")[0] == 0
    run = RunDir(cli.output / "r")
    before = (run.path / "videomme" / "predictions.jsonl").read_bytes()
    with run.owned():
        code, out = cli.run(*ARGS)
    assert code == 2 and f"is in use: process {os.getpid()}" in out.replace("\n", " ")
    assert (run.path / "videomme" / "predictions.jsonl").read_bytes() == before
    assert cli.run(*ARGS)[0] == 0  # released: the run goes on


def test_the_lock_of_a_killed_process_is_released(cli, tmp_path):
    run = cli.output / "r"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from evalkit.store import RunDir\n"
        f"with RunDir(Path({str(run)!r})).owned():\n    print('held', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    assert cli.run(*ARGS)[0] == 2
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert cli.run(*ARGS)[0] == 0


def test_changed_annotations_under_the_same_path_refuse_to_resume(cli, videomme_copy):
    args = ("--task", "videomme", "--data", videomme_copy, "--model", "random")
    assert cli.run(*args, "--limit", "6")[0] == 0
    preds = cli.output / "r" / "videomme" / "predictions.jsonl"
    before, run_json = preds.read_bytes(), (cli.output / "r" / "run.json").read_bytes()
    parquet = videomme_copy / "videomme" / "test-00000-of-00001.parquet"
    table = pq.read_table(parquet).to_pylist()
    table[0]["answer"] = "D"  # a corrected answer key, same file name
    import pyarrow as pa
    pq.write_table(pa.Table.from_pylist(table), parquet)
    code, out = cli.run(*args)
    assert code == 2 and "videomme annotations_sha256" in out and "the data changed" in out
    assert preds.read_bytes() == before and (cli.output / "r" / "run.json").read_bytes() == run_json


@pytest.mark.parametrize("limit", ["0", "-3"])
def test_limits_below_one_are_refused(cli, limit):
    code, out = cli.run(*ARGS, "--limit", limit)
    assert code == 2 and "give a number of samples >= 1" in out


@pytest.mark.parametrize("name", ["../../x", "a/b", ".hidden", ".."])
def test_run_names_are_folder_names_not_paths(cli, tmp_path, name):
    code, out = cli.run(*ARGS, name=name)
    assert code == 2 and "use a plain folder name" in out
    assert not (tmp_path / "x").exists() and not (cli.output / "a").exists()


def test_partial_runs_are_marked_everywhere(cli, replay_run, videomme_targets):
    assert cli.run(*ARGS, "--limit", "3", name="part")[0] == 0
    res = json.loads((cli.output / "part" / "results.json").read_text())["tasks"]["videomme"]
    assert (res["n"], res["n_expected"], res["complete"]) == (3, 12, False)
    replay_run("full", videomme_targets)
    full = json.loads((cli.output / "full" / "results.json").read_text())["tasks"]["videomme"]
    assert (full["n_expected"], full["complete"]) == (12, True)
    code, out = cli("leaderboard", cli.output, "--format", "markdown")
    assert "(partial 3/12)" in out and out.count("partial") == 1
    code, out = cli("table", "--paper", "3", cli.output / "part")
    assert "part (partial: videomme)" in out
    code, out = cli("compare", cli.output / "full", cli.output / "part")
    assert "run B is partial" in out.replace("\n", " ")


def test_score_refuses_while_a_rank_is_still_writing(cli, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    assert cli.run(*ARGS)[0] == 0
    monkeypatch.delenv("WORLD_SIZE")
    monkeypatch.delenv("RANK")
    run = RunDir(cli.output / "r")
    shard = run.path / "videomme" / "predictions.rank0.jsonl"
    before = shard.read_bytes()
    with run.owned(rank=1):  # rank 1 still at work
        code, out = cli("score", run.path)
    assert code == 2 and "still being written" in out and shard.read_bytes() == before


def test_retry_failed_redoes_failed_samples_once_fixed(cli, videomme_copy):
    video = videomme_copy / "data" / "smpl0000002.mp4"
    hidden = videomme_copy / "smpl0000002.hidden"
    video.rename(hidden)
    args = ("--task", "videomme", "--data", videomme_copy, "--model", "random", "--model-args", "decode=true,max_frames=4")
    code, out = cli.run(*args)
    assert code == 0
    prose = " ".join(out.split())
    assert "videomme: 3 sample(s) failed: 002-1 (video not found" in prose
    listing = cli.output / "r" / "videomme" / "failures.jsonl"
    assert [json.loads(x)["id"] for x in listing.read_text().splitlines()] == ["002-1", "002-2", "002-3"]
    hidden.rename(video)
    assert cli.run(*args)[0] == 0  # a plain rerun keeps the failures
    assert json.loads((cli.output / "r" / "results.json").read_text())["tasks"]["videomme"]["n_failed"] == 3
    code, out = cli.run(*args, "--retry-failed")
    assert code == 0 and "sample(s) failed" not in out
    res = json.loads((cli.output / "r" / "results.json").read_text())["tasks"]["videomme"]
    assert res["n_failed"] == 0 and res["n"] == 12 and not listing.exists()


def torchrun_cmd(nproc: int, *args: str):
    torchrun = shutil.which("torchrun", path=os.path.dirname(sys.executable))
    if torchrun is None:
        pytest.skip("torchrun is not installed")
    return [torchrun, "--standalone", f"--nproc_per_node={nproc}", "-m", "evalkit.cli", "run", *args]


def test_torchrun_two_cpu_ranks_give_the_single_process_results(cli, tmp_path):
    """Two ranks on gloo: rank 0 alone merges, scores and prints, once, after both finished."""
    assert cli.run(*ARGS, name="one")[0] == 0
    out = tmp_path / "runs"
    proc = subprocess.run(torchrun_cmd(2, *ARGS, "--output", str(out), "--run-name", "dist"), capture_output=True,
                          text=True, timeout=150, env={**os.environ, "COLUMNS": "120"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("dist · model random") == 1 and "when every rank has finished" not in proc.stdout
    assert proc.stdout.count("videomme ━") <= 1  # one progress bar, rank 0's, for the whole job
    dist = json.loads((out / "dist" / "results.json").read_text())["tasks"]
    one = json.loads((cli.output / "one" / "results.json").read_text())["tasks"]
    assert dist == one and not list((out / "dist" / "videomme").glob("*.rank*.jsonl"))
    recs = read_records(out / "dist" / "videomme" / "predictions.jsonl")
    assert [r["index"] for r in recs] == list(range(12))  # merged in dataset order


def test_a_killed_torchrun_job_resumes_with_another_world_size(tmp_path):
    """Kill the whole job mid-run: each rank's file holds whole videos only; a rerun with one
    process loses and duplicates nothing."""
    out = tmp_path / "runs"
    args = ("--task", "videomme", "--data", "sample", "--model", "random", "--model-args", "sleep_s=0.4",
            "--output", str(out), "--run-name", "dist")
    proc = subprocess.Popen(torchrun_cmd(2, *args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    shards = out / "dist" / "videomme"
    deadline = time.monotonic() + 120
    def lines():
        return [p.read_bytes().count(b"\n") for p in shards.glob("*.rank*.jsonl")]

    while not (len(lines()) == 2 and min(lines()) >= 1 and sum(lines()) >= 3) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    subprocess.run(["pkill", "-9", "-f", "--", f"--output {out} --run-name dist"])
    proc.wait()
    while subprocess.run(["pgrep", "-f", "--", f"--output {out} --run-name dist"], capture_output=True).returncode == 0:
        time.sleep(0.1)
    ranks = {p.name: {r["cluster"] for r in read_records(p)} for p in shards.glob("*.rank*.jsonl")}
    assert len(ranks) == 2 and all(ranks.values())
    assert not set.intersection(*ranks.values())  # no video's questions on two ranks
    again = subprocess.run([sys.executable, "-m", "evalkit.cli", "run", *args], capture_output=True, text=True,
                           timeout=150)
    assert again.returncode == 0, again.stdout + again.stderr
    recs = read_records(shards / "predictions.jsonl")
    assert sorted(r["id"] for r in recs) == sorted({r["id"] for r in recs}) and len(recs) == 12
    assert "resumed:" in again.stdout
