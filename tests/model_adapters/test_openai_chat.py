"""The openai-chat adapter through the real openai client against a loopback server that checks
what it receives: image count, order, size and timestamp labels; the reply cache; no secret in
any written file."""
import base64
import io
import json

import pytest
from PIL import Image

from evalkit.judge.server import MockJudgeServer
from evalkit.chat import frame_labels

KEY = "sk-model-key-do-not-write-271828"


def images_of(body):
    content = [m for m in body["messages"] if m["role"] == "user"][-1]["content"]
    return [c for c in content if c["type"] == "image_url"], content


def size_of(item):
    data = base64.b64decode(item["image_url"]["url"].split(",", 1)[1])
    return Image.open(io.BytesIO(data)).size


@pytest.fixture
def served(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with MockJudgeServer() as server:
        yield server


def run(cli, server, name, extra="", task="videomme", credentials=False):
    url = server.base_url.replace("http://", "http://bob:pw-in-url@") if credentials else server.base_url
    return cli.run("--task", task, "--data", "sample", "--model", "openai-chat", "--model-args",
                   f"model=qwen2.5-vl-7b-instruct,base_url={url},max_frames=6,image_size=96,concurrency=3{extra}",
                   name=name)


def test_frames_go_as_labelled_images_in_order_and_replies_are_scored(cli, served):
    code, out = run(cli, served, "a")
    assert code == 0, out
    recs = [json.loads(x) for x in (cli.output / "a" / "videomme" / "predictions.jsonl").read_text().splitlines()]
    usage = json.loads((cli.output / "a" / "model_usage.json").read_text())["total"]
    # the synthetic sample repeats some questions over look-alike videos: those come from the cache
    assert served.requests == len(served.bodies) == usage["calls"] and usage["calls"] + usage["cache_hits"] == 12
    assert served.authorizations == {f"Bearer {KEY}"}
    for body in served.bodies:
        images, content = images_of(body)
        text = "".join(c.get("text", "") for c in content)
        r = next(r for r in recs if r["fields"]["question"] in text and r["media"]["n_frames"] == len(images))
        n = r["media"]["n_frames"]
        assert len(images) == n == r["model"]["images"] <= 6
        # "1s: <image>; 2s: <image>; ..." then a newline, then the task's prompt unchanged
        labels = [c["text"] for c in content if c["type"] == "text"]
        assert labels[0] == "1s: " and all(lab.startswith(f"; {k + 2}s: ") or lab == f"; {k + 2}s: "
                                           for k, lab in enumerate(labels[1:n]))
        assert labels[n].startswith("; \nSelect the best answer") and labels[n].endswith("The best answer is:")
        assert all(max(size_of(i)) <= 96 for i in images) and images[0]["image_url"]["detail"] == "auto"
    res = json.loads((cli.output / "a" / "results.json").read_text())["tasks"]["videomme"]
    assert res["n"] == 12 and res["n_failed"] == 0 and res["n_unparsed"] == 0  # every reply "B" is read
    info = json.loads((cli.output / "a" / "run.json").read_text())
    assert info["model"]["served_model"] == "qwen2.5-vl-7b-instruct"
    assert info["model"]["reported_models"] == {"served/qwen2.5-vl-7b-instruct": served.requests}


def test_the_same_requests_in_another_run_cost_nothing_and_no_secret_is_written(cli, served):
    assert run(cli, served, "first", credentials=True)[0] == 0
    before = served.requests
    code, out = run(cli, served, "second", credentials=True)
    assert code == 0 and served.requests == before  # every reply from <output>/.model-cache.sqlite
    usage = json.loads((cli.output / "second" / "model_usage.json").read_text())
    assert (usage["total"]["cache_hits"], usage["total"]["calls"]) == (12, 0)
    for path in cli.output.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert KEY.encode() not in data and b"pw-in-url" not in data, path
    info = json.loads((cli.output / "second" / "run.json").read_text())
    assert info["model"]["args"]["base_url"].startswith("http://***@127.0.0.1:")


def test_multi_image_tasks_send_their_images_where_the_task_put_them(cli, served):
    code, out = run(cli, served, "m", task="mmiu")
    assert code == 0, out
    recs = [json.loads(x) for x in (cli.output / "m" / "mmiu" / "predictions.jsonl").read_text().splitlines()]
    assert {len(images_of(b)[0]) for b in served.bodies} == {r["model"]["images"] for r in recs}
    assert all(r["model"]["images"] == r["media"]["n_images"] for r in recs)
    images, content = images_of(served.bodies[0])
    assert content[0]["type"] == "image_url" and content[-1]["type"] == "text"  # MMIU: images first, then text
    assert content[-1]["text"].endswith("Please answer the option directly like A,B,C,D...")


def test_an_assistant_prefill_is_continued_only_when_asked(cli, served):
    assert run(cli, served, "plain", task="mlvu")[0] == 0
    assert all(b["messages"][-1]["role"] == "user" and "continue_final_message" not in b for b in served.bodies)
    rec = json.loads((cli.output / "plain" / "mlvu" / "predictions.jsonl").read_text().splitlines()[0])
    assert rec["model"]["assistant_prefix"] == "dropped"
    assert served.bodies[0]["messages"][0] == {"role": "system", "content": served.bodies[0]["messages"][0]["content"]}
    served.bodies.clear()
    assert run(cli, served, "prefill", ",prefill=true", task="mlvu")[0] == 0
    body = served.bodies[0]
    assert body["messages"][-1] == {"role": "assistant", "content": "Best Option: ("}
    assert body["continue_final_message"] is True and body["add_generation_prompt"] is False


def test_an_unreachable_endpoint_fails_the_samples_not_the_run(cli, monkeypatch):
    import socket

    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    code, out = cli.run("--task", "videomme", "--data", "sample", "--model", "openai-chat", "--model-args",
                        f"model=m,base_url=http://127.0.0.1:{port}/v1,max_frames=2,max_retries=0,timeout_s=2")
    assert code == 0, out
    res = json.loads((cli.output / "r" / "results.json").read_text())["tasks"]["videomme"]
    assert res["n_failed"] == 12 and "APIConnectionError" in " ".join(out.split())


@pytest.mark.parametrize("labels, expected", [
    ("counter", ["1s", "2s", "3s"]), ("seconds", ["0s", "2s", "5s"]), ("none", ["", "", ""]),
])
def test_frame_labels(labels, expected):
    assert frame_labels([0.0, 2.4, 5.1], labels) == expected
    assert frame_labels([3.0], labels) == [""]
