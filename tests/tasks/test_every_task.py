"""Every registered task runs on its bundled sample with every model adapter, end to end through
the CLI (one sample per task: the tasks' own tests cover the rest)."""
import json

import pytest

from evalkit.judge.server import MockJudgeServer
from evalkit.registry import TASKS

ALL = ",".join(TASKS.names())


def answered(run_dir):
    """{task: (records, failed)} of a run."""
    out = {}
    for task in TASKS.names():
        lines = (run_dir / task / "predictions.jsonl").read_text().splitlines()
        records = [json.loads(x) for x in lines]
        out[task] = (len(records), sum(r.get("error") is not None for r in records))
    return out


def check(cli, code, out, name):
    assert code == 0, out
    assert answered(cli.output / name) == {t: (1, 0) for t in TASKS.names()}


@pytest.mark.parametrize("model, args", [
    ("random", "decode=true,max_frames=4"),
    ("constant", ""),
    ("dynamic-vlm", "preset=tiny,max_frames=4"),
])
def test_every_task_runs_with_the_local_adapters(cli, model, args):
    code, out = cli.run("--task", ALL, "--data", "sample", "--limit", "1", "--model", model, "--model-args", args,
                        name=model)
    check(cli, code, out, model)


def test_every_task_runs_with_a_served_model(cli, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    with MockJudgeServer() as server:
        code, out = cli.run("--task", ALL, "--data", "sample", "--limit", "1", "--model", "openai-chat",
                            "--model-args", f"model=m,base_url={server.base_url},max_frames=4,image_size=64",
                            name="served")
    check(cli, code, out, "served")


@pytest.fixture
def one_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: answers pinned, whatever the machine
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("family", ["qwen2_5_vl", "llava_onevision"])
def test_every_task_runs_with_a_hugging_face_model(cli, tmp_path, one_thread, family):
    from evalkit.model_adapters.hf import build

    folder = build.save(family, tmp_path / family)
    code, out = cli.run("--task", ALL, "--data", "sample", "--limit", "1", "--model", "hf", "--model-args",
                        f"checkpoint={folder},frames=4,max_new_tokens=8", name=family)
    check(cli, code, out, family)


def test_every_task_runs_from_replayed_responses(cli, jsonl, tmp_path):
    rows = []
    for name in TASKS.names():
        sample = TASKS.get(name)().load("sample").samples[0]
        rows.append({"id": sample.id, "task": name, "response": "A"})
    path = jsonl(tmp_path / "replies.jsonl", rows)
    code, out = cli.run("--task", ALL, "--data", "sample", "--limit", "1", "--model", "replay", "--model-args",
                        f"responses={path}", name="replay")
    check(cli, code, out, "replay")
