import json

import pytest

from evalkit.tasks.tempcompass import TempCompass, official_answer

ANSWER = "B. quickly"


@pytest.mark.parametrize("pred, letter", [
    ("B. quickly", "B"), ("B", "B"), ("A", "A"), ("B. slowly", "B"), ("C) none", "C"),
    ("b", ""), ("The answer is B", ""), ("B</s>", "B"), ("  B  ", "B"), (None, ""), ("E", ""),
])
def test_rule_cascade(pred, letter):
    assert official_answer(pred, ANSWER) == letter


def test_scores_and_match_rate(cli, tmp_path, jsonl):
    rows = [{"id": "1000000001/speed/0", "response": "B"}, {"id": "1000000001/direction/0", "response": "up then down"},
            {"id": "1000000002/speed/0", "response": "B. quickly</s>"}, {"id": "1000000002/direction/0", "response": "C."}]
    code, out = cli.run("--task", "tempcompass", "--data", "sample", "--model", "replay",
                        "--model-args", f"responses={jsonl(tmp_path / 'r.jsonl', rows)}")
    assert code == 0, out
    res = json.loads((cli.output / "r" / "results.json").read_text())["tasks"]["tempcompass"]
    assert res["metrics"]["accuracy"] == 50.0 and res["metrics"]["match_success_rate"] == 75.0
    assert res["breakdown"]["dim"]["speed"]["accuracy"] == 100.0
    assert res["by_protocol"]["strict"]["metrics"]["accuracy"] == 75.0  # strict reads the option text too


def test_letters_the_rules_match_outside_the_options_are_wrong_not_unparsed(cli, tmp_path, jsonl):
    """n_unparsed is what the authors' rules could not match: (1 - match_success_rate) x n."""
    rows = [{"id": "1000000001/speed/0", "response": "D"},  # rule 2 matches D: the question has A-C only
            {"id": "1000000001/direction/0", "response": None},  # a published null prediction
            {"id": "1000000002/speed/0", "response": "D. very fast"},  # rule 3 matches D
            {"id": "1000000002/direction/0", "response": "A"}]
    code, out = cli.run("--task", "tempcompass", "--data", "sample", "--model", "replay",
                        "--model-args", f"responses={jsonl(tmp_path / 'r.jsonl', rows)}")
    assert code == 0, out
    res = json.loads((cli.output / "r" / "results.json").read_text())["tasks"]["tempcompass"]
    assert res["metrics"]["accuracy"] == 25.0 and res["metrics"]["match_success_rate"] == 75.0
    assert (res["n_unparsed"], res["n_failed"], res["n"]) == (1, 0, 4)
    assert res["n_unparsed"] == round((1 - res["metrics"]["match_success_rate"] / 100) * res["n"])
    assert res["extraction"].endswith(", LLM fallback off") and "+ LLM" not in res["extraction"]
    assert res["official_ref"]["repo"] == "llyx97/TempCompass"
    recs = [json.loads(x) for x in (cli.output / "r" / "tempcompass" / "predictions.jsonl").read_text().splitlines()]
    assert recs[1]["response"] == "" and recs[1]["error"] is None and recs[1]["model"] == {"replayed_null": True}


def test_prompt_and_ids():
    task = TempCompass()
    s = task.load("sample").samples[0]
    assert s.id == "1000000001/speed/0" and s.target == "B" and s.choices == ("slowly", "quickly", "not at all")
    assert task.build_request(s, None).parts[1].endswith("C. not at all\nPlease directly give the best option:")


def test_optional_llm_fallback_rates_unmatched_replies(cli, tmp_path, jsonl, monkeypatch):
    from evalkit.judge.server import MockJudgeServer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    rows = [{"id": "1000000001/speed/0", "response": "B"}, {"id": "1000000001/direction/0", "response": "up then down"},
            {"id": "1000000002/speed/0", "response": "it is slowly"}, {"id": "1000000002/direction/0", "response": None}]
    cli.run("--task", "tempcompass", "--data", "sample", "--model", "replay",
            "--model-args", f"responses={jsonl(tmp_path / 'r.jsonl', rows)}")
    with MockJudgeServer() as server:
        code, out = cli("judge", cli.output / "r", "--judge-model", "gpt-3.5-turbo-1106", "--base-url", server.base_url)
        assert code == 0, out
        assert server.requests == 2  # the two non-empty replies no rule matches; a null scores 0 unasked
    res = json.loads((cli.output / "r" / "results.json").read_text())["tasks"]["tempcompass"]
    # 'up then down' is judged Correct, 'it is slowly' Incorrect: 2 of 4 right; rules matched 1 of 4
    assert res["metrics"]["accuracy"] == 50.0 and res["metrics"]["match_success_rate"] == 25.0
    assert res["n_unparsed"] == 3  # judged replies are not rule-matched, as upstream's match_success says
    assert res["judge_model"] == "gpt-3.5-turbo-1106"
    assert res["extraction"].endswith("+ LLM fallback (gpt-3.5-turbo-1106)") and "off" not in res["extraction"]


def tempcompass_rows():
    import json

    from evalkit.data import samples_root

    db = json.loads((samples_root() / "tempcompass" / "questions" / "multi-choice.json").read_text())
    return [{"video_id": vid, "question": q["question"], "answer": q["answer"], "dim": dim}
            for vid, dims in db.items() for dim, qs in dims.items() for q in qs]


@pytest.mark.parametrize("layout", ["hf-parquet", "vlmevalkit-json"])
def test_the_hf_and_vlmevalkit_copies_load_to_the_release_samples(tmp_path, same_as, layout):
    import json
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    from evalkit.data import samples_root

    if layout == "hf-parquet":  # config multi-choice, as lmms-eval reads it
        (tmp_path / "multi-choice").mkdir()
        pq.write_table(pa.Table.from_pylist(tempcompass_rows()), tmp_path / "multi-choice" / "test-00000-of-00001.parquet")
    else:  # VLMEvalKit's to_json(orient="records") of that parquet, in the snapshot
        (tmp_path / "multi-choice.json").write_text(json.dumps(tempcompass_rows()))
    shutil.copytree(samples_root() / "tempcompass" / "videos", tmp_path / "videos")
    task = TempCompass()
    loaded = task.load(str(tmp_path))
    assert loaded.layout == layout
    same_as(task, loaded, task.load("sample"))
