import json

import pytest

from evalkit.reports.compare import compare_runs

# A: 10 answered under the official rule ('c' and a long non-answer leave the denominator), 7 right
A = {"001-1": "C", "001-2": "B", "001-3": "A", "002-1": "c", "002-2": "B", "002-3": "D",
     "003-1": "I really cannot determine this from the frames that were shown to me", "003-2": "B",
     "003-3": "D", "004-1": "C", "004-2": "D", "004-3": "A"}


def test_compare_statistics_by_hand(cli, replay_run, videomme_targets):
    a = replay_run("a", A)
    b = replay_run("b", videomme_targets)
    code, out = cli("compare", a, b, "--json", cli.output / "cmp.json")
    assert code == 0, out
    (r,) = json.loads((cli.output / "cmp.json").read_text())
    # 10 pairs answered in both; A right on 7, B on all 10: 3 flips wrong->right, none back
    assert (r["n_paired"], r["a"], r["b"], r["delta"]) == (10, 70.0, 100.0, 30.0)
    assert (r["n_wrong_to_right"], r["n_right_to_wrong"]) == (3, 0)
    assert r["p_value"] == pytest.approx(0.25)  # exact McNemar: 2 * (1/2)**3
    lo, hi = r["ci95"]
    assert 0 <= lo <= 30 <= hi <= 60
    short = r["breakdown"]["duration"]["short"]
    assert (short["n_paired"], short["delta"], short["n_wrong_to_right"]) == (5, 20.0, 1)
    assert "exact McNemar" in out and "duration=long" in out


def test_identical_runs_have_zero_delta_and_p_one(replay_run):
    a = replay_run("a", A)
    b = replay_run("b", A)
    (r,) = compare_runs(str(a), str(b))
    assert r["delta"] == 0.0 and r["p_value"] == 1.0 and r["ci95"] == [0.0, 0.0]


def test_runs_without_shared_samples_or_tasks_are_refused(cli, replay_run):
    a = replay_run("a", A)
    c = replay_run("c", {"001-1": "A"}, task="videomme_w_subtitle")
    code, out = cli("compare", a, c)
    assert code == 2 and "share no task" in out


def test_differently_judged_runs_are_refused(cli, tmp_path, jsonl, monkeypatch):
    from evalkit.judge.server import MockJudgeServer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    rows = [{"id": f"msvd_qa_{v}_{k}", "response": "grey"} for v in range(2) for k in range(2)]
    resp = jsonl(tmp_path / "r.jsonl", rows)
    for name, judge in (("j1", "gpt-4o-mini-2024-07-18"), ("j2", "gpt-3.5-turbo-0613")):
        cli.run("--task", "msvd_qa", "--data", "sample", "--model", "replay", "--model-args", f"responses={resp}", name=name)
        with MockJudgeServer() as server:
            cli("judge", cli.output / name, "--judge-model", judge, "--base-url", server.base_url)
    code, out = cli("compare", cli.output / "j1", cli.output / "j2")
    assert code == 2 and "scored differently" in out and "judge_model" in out


def test_judged_runs_are_compared_on_judge_scores(cli, tmp_path, jsonl, monkeypatch):
    """Open-ended QA: the per-sample value is the primary judge's 0-5 score; the test is a paired
    sign-flip permutation. The local judge gives 5 when the answer is in the reply, else 0."""
    from evalkit.judge.server import MockJudgeServer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    ids = [f"msvd_qa_{v}_{k}" for v in range(2) for k in range(2)]  # answers: grey, yes, grey, yes
    replies = {"ja": ["grey", "no", "blue", "no"], "jb": ["grey", "yes", "grey", "yes"]}
    with MockJudgeServer() as server:
        for name, texts in replies.items():
            resp = jsonl(tmp_path / f"{name}.jsonl", [{"id": i, "response": t} for i, t in zip(ids, texts)])
            cli.run("--task", "msvd_qa", "--data", "sample", "--model", "replay", "--model-args", f"responses={resp}",
                    name=name)
            assert cli("judge", cli.output / name, "--judge-model", "gpt-4o-mini-2024-07-18",
                       "--base-url", server.base_url)[0] == 0
    code, out = cli("compare", cli.output / "ja", cli.output / "jb", "--json", cli.output / "cmp.json")
    assert code == 0, out
    (r,) = json.loads((cli.output / "cmp.json").read_text())
    assert r["metric"] == "judge score (0-5)" and r["test"] == "paired sign-flip permutation"
    # A scores 5, 0, 0, 0 (mean 1.25); B scores 5 on all four: three better, none worse
    assert (r["n_paired"], r["a"], r["b"], r["delta"]) == (4, 1.25, 5.0, 3.75)
    assert (r["n_better"], r["n_worse"]) == (3, 0)
    assert 0 < r["p_value"] <= 0.25
    assert "flips up/down" in out and "3/0" in out
