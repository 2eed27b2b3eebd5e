import json
import shutil

import pytest

from evalkit.data import samples_root
from evalkit.errors import DataError
from evalkit.tasks.mmiu import MMIU, official_answer, prompt_text


@pytest.mark.parametrize("reply, choice", [
    ("B", "B"), ("b.", "b"), ("(C)", "C"), (" D, ", "D"), ("B\u00a0", "B"), ("n", "n"),
    ("", "Z"), ("image none", "Z"), ("model error", "Z"), (None, "Z"),
    ("The answer is B", None), ("o", None), ("AB", None),
])
def test_official_answer(reply, choice):
    assert official_answer(reply) == choice


def test_prompt_order_depends_on_task():
    assert prompt_text("spot_the_diff", "Q", "C") == "Q\nC\nPlease answer the option directly like A,B,C,D..."
    assert prompt_text("visual_ordering", "Q", "C") == "C\nQ\nPlease answer the option directly like A,B,C,D..."


def test_macro_over_tasks_and_unparsed_leave_the_denominator(cli, tmp_path, jsonl):
    rows = [{"id": "spot_the_diff/0", "response": "B"}, {"id": "spot_the_diff/1", "response": "the second one"},
            {"id": "visual_ordering/0", "response": "b"}, {"id": "visual_ordering/1", "response": ""}]
    code, out = cli.run("--task", "mmiu", "--data", "sample", "--model", "replay",
                        "--model-args", f"responses={jsonl(tmp_path / 'r.jsonl', rows)}")
    assert code == 0, out
    res = json.loads((cli.output / "r" / "results.json").read_text())["tasks"]["mmiu"]
    # spot_the_diff: 1/1 (the prose reply needs the LLM matcher: unparsed, left out); visual_ordering: 1/2
    assert res["metrics"]["macro_accuracy"] == pytest.approx(75.0)
    assert (res["n_scored"], res["n_unparsed"]) == (3, 1)
    assert res["breakdown"]["relationship"]["Discrete-temporal"]["accuracy"] == 50.0
    assert res["macro_by_relationship"] == {"Low-level-semantic": 100.0, "Discrete-temporal": 50.0}


def test_missing_image_is_a_failed_sample(cli, tmp_path):
    root = tmp_path / "mmiu"
    shutil.copytree(samples_root() / "mmiu", root)
    (root / "Low-level-semantic" / "spot_the_diff" / "0_1.png").unlink()
    code, out = cli.run("--task", "mmiu", "--data", root, "--model", "random", "--model-args", "decode=true")
    assert code == 0, out
    recs = [json.loads(x) for x in (cli.output / "r" / "mmiu" / "predictions.jsonl").read_text().splitlines()]
    assert "image not found" in recs[0]["error"] and recs[1]["error"] is None
    res = json.loads((cli.output / "r" / "results.json").read_text())["tasks"]["mmiu"]
    assert res["n_failed"] == 1 and recs[0]["parsed"]["official"] == "Z"  # an image error is choice Z (wrong)


def test_image_path_escaping_the_root_is_refused(tmp_path):
    root = tmp_path / "mmiu"
    shutil.copytree(samples_root() / "mmiu", root)
    recs = json.loads((root / "all.json").read_text())
    recs[1]["input_image_path"] = ["../../secret.png"]
    (root / "all.json").write_text(json.dumps(recs))
    with pytest.raises(DataError, match=r"all.json record 1: path '../../secret.png' escapes the dataset root"):
        MMIU().load(str(root))


def test_optional_matcher_reads_prose_replies(cli, tmp_path, jsonl, monkeypatch):
    from evalkit.judge.server import MockJudgeServer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    rows = [{"id": "spot_the_diff/0", "response": "B"}, {"id": "spot_the_diff/1", "response": "the second one"},
            {"id": "visual_ordering/0", "response": "b"}, {"id": "visual_ordering/1", "response": "neither of them"}]
    cli.run("--task", "mmiu", "--data", "sample", "--model", "replay",
            "--model-args", f"responses={jsonl(tmp_path / 'r.jsonl', rows)}")
    with MockJudgeServer() as server:
        code, out = cli("judge", cli.output / "r", "--judge-model", "gpt-4o-mini-2024-07-18", "--base-url", server.base_url)
        assert code == 0, out
        assert server.requests == 2
    res = json.loads((cli.output / "r" / "results.json").read_text())["tasks"]["mmiu"]
    # the matcher maps 'the second one' -> B (right) and 'neither of them' -> D (wrong): 2/2 and 1/2
    assert res["metrics"]["macro_accuracy"] == pytest.approx(75.0) and res["n_unparsed"] == 0
    assert res["extraction"] == "MMIU evaluate.py + evaluate_correct.py + LLM fallback (gpt-4o-mini-2024-07-18)"


def test_matcher_verdicts_the_authors_count_are_not_unparsed(cli, tmp_path, jsonl, monkeypatch):
    """An empty matcher reply is counted and, by the substring test, right; only a matcher failure
    (upstream 'GPT error') leaves the denominator and is unparsed."""
    from evalkit.judge.server import MockJudgeServer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    rows = [{"id": "spot_the_diff/0", "response": "B"}, {"id": "spot_the_diff/1", "response": "hmm [blank]"},
            {"id": "visual_ordering/0", "response": "b"}, {"id": "visual_ordering/1", "response": "no idea [500]"}]
    cli.run("--task", "mmiu", "--data", "sample", "--model", "replay",
            "--model-args", f"responses={jsonl(tmp_path / 'r.jsonl', rows)}")
    before = json.loads((cli.output / "r" / "results.json").read_text())["tasks"]["mmiu"]
    assert before["n_unparsed"] == 2 and before["extraction"] == "MMIU evaluate.py + evaluate_correct.py, LLM fallback off"
    with MockJudgeServer() as server:
        code, out = cli("judge", cli.output / "r", "--judge-model", "gpt-4o-mini-2024-07-18", "--base-url",
                        server.base_url, "--max-retries", "0", "--backoff", "0")
        assert code == 0, out
    res = json.loads((cli.output / "r" / "results.json").read_text())["tasks"]["mmiu"]
    recs = {r["id"]: r for r in map(json.loads, (cli.output / "r" / "mmiu" / "predictions.jsonl").read_text().splitlines())}
    assert recs["spot_the_diff/1"]["target"] == "B"
    # spot_the_diff: 'B' right, '' (blank verdict) right by the quirk: 2/2; visual_ordering: 'b' right, failure out: 1/1
    assert res["metrics"]["macro_accuracy"] == pytest.approx(100.0)
    assert (res["n_scored"], res["n_unparsed"]) == (3, 1)
