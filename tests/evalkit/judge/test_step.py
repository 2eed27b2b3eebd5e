"""The judge end to end: the real openai client, real HTTP, a local OpenAI-compatible server."""
import json
import sqlite3

import pytest

from evalkit.judge.server import MockJudgeServer

SECRET = "sk-test-DO-NOT-WRITE-3141592653"
RESPONSES = {
    ("msvd_qa", "msvd_qa_0_0"): "grey",                    # yes 5
    ("msvd_qa", "msvd_qa_0_1"): "no [slow]",               # no 0, slowly
    ("msvd_qa", "msvd_qa_1_0"): "grey [429]",              # 429 + Retry-After first, then yes 5
    ("msvd_qa", "msvd_qa_1_1"): "yes [500]",               # two 500s, then yes 5
    ("tgif_qa", "tgif_qa_0_0"): "grey [malformed]",        # never parses: judge failure
    ("tgif_qa", "tgif_qa_0_1"): "yes [float]",             # score 4.8 -> 4
    ("tgif_qa", "tgif_qa_1_0"): "grey [malformed-once]",   # one re-ask, then yes 5
    # tgif_qa_1_1 has no response: a failed sample, never sent to the judge
}


@pytest.fixture
def judged_run(cli, tmp_path, jsonl, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    rows = [{"task": t, "id": i, "response": r} for (t, i), r in RESPONSES.items()]
    code, out = cli.run("--task", "msvd_qa,tgif_qa", "--data", "sample", "--model", "replay",
                        "--model-args", f"responses={jsonl(tmp_path / 'r.jsonl', rows)}")
    assert code == 0, out
    assert "not judged yet" in out
    return cli.output / "r"


def judge(cli, run, server, model="gpt-4o-mini-2024-07-18"):
    return cli("judge", run, "--judge-model", model, "--base-url", server.base_url,
               "--backoff", "0.05", "--concurrency", "4", "--max-reasks", "2")


def test_judged_numbers_follow_the_protocol_and_nothing_is_lost(cli, judged_run):
    with MockJudgeServer() as server:
        code, out = judge(cli, judged_run, server)
        assert code == 0, out
        assert server.requests == 7 + 6  # msvd: 1 + 1 + 2 + 3; tgif: 3 (malformed) + 1 + 2
        assert server.authorizations == {f"Bearer {SECRET}"}
    res = json.loads((judged_run / "results.json").read_text())["tasks"]
    msvd, tgif = res["msvd_qa"], res["tgif_qa"]
    assert msvd["metrics"] == {"accuracy": 75.0, "score": 3.75}
    assert (msvd["n_yes"], msvd["n_no"], msvd["n_judge_failed"], msvd["n_failed"]) == (3, 1, 0, 0)
    assert tgif["metrics"] == {"accuracy": 100.0, "score": 4.5}
    assert (tgif["n_judged"], tgif["n_judge_failed"], tgif["n_failed"], tgif["n"]) == (2, 1, 1, 4)
    assert msvd["judge_model"] == "gpt-4o-mini-2024-07-18"
    meta = msvd["judges"]["gpt-4o-mini-2024-07-18"]
    assert meta["judge"]["temperature"] == 0.0 and len(meta["judge"]["prompt_sha"]) == 12
    assert meta["usage"]["calls"] == 7 and meta["usage"]["retries"] == 3
    verdicts = [json.loads(x) for x in (judged_run / "tgif_qa" / "judgements" / "gpt-4o-mini-2024-07-18.jsonl").read_text().splitlines()]
    failed = [v for v in verdicts if v["error"]]
    assert len(verdicts) == 3 and len(failed) == 1 and "unparsable judge reply after 3 ask(s)" in failed[0]["error"]
    assert "gpt-4o-mini-2024-07-18" in out and "75.0 | 3.75" in out


def test_usage_and_cost_add_up_over_passes():
    from evalkit.judge.step import previous_passes, total_usage

    first = {"calls": 3, "cache_hits": 0, "prompt_tokens": 1000, "completion_tokens": 50, "estimated_cost_usd": 0.5}
    cached = {"calls": 0, "cache_hits": 3, "prompt_tokens": 0, "completion_tokens": 0, "estimated_cost_usd": None}
    more = {"calls": 1, "cache_hits": 3, "prompt_tokens": 400, "completion_tokens": 20, "estimated_cost_usd": 0.25}
    total = total_usage([first, cached, more])
    assert (total["calls"], total["cache_hits"], total["prompt_tokens"], total["n_passes"]) == (4, 6, 1400, 3)
    assert total["estimated_cost_usd"] == 0.75  # an unpriced pass that used no tokens costs nothing
    assert total_usage([first, {**more, "estimated_cost_usd": None}])["estimated_cost_usd"] is None
    # a meta file written before passes were kept: its usage is the first pass
    assert previous_passes({"usage": first}) == [first] and previous_passes({}) == []


def test_second_judging_makes_no_requests_and_two_judges_sit_side_by_side(cli, judged_run):
    with MockJudgeServer() as server:
        judge(cli, judged_run, server)
        first = server.requests
        code, out = judge(cli, judged_run, server)
        assert code == 0 and server.requests == first  # all from the cache, failures included
        assert "0 calls" in out
        meta = json.loads((judged_run / "msvd_qa" / "judgements" / "gpt-4o-mini-2024-07-18.meta.json").read_text())
        one, two = meta["passes"]
        assert (one["calls"], two["calls"], two["cache_hits"], two["prompt_tokens"]) == (7, 0, 4, 0)
        # the cached pass adds nothing and hides nothing: the total keeps the first pass's usage
        assert meta["usage"]["n_passes"] == 2 and meta["usage"]["calls"] == 7
        assert meta["usage"]["prompt_tokens"] == one["prompt_tokens"] > 0
        assert meta["usage"]["cache_hits"] == 4
        judge(cli, judged_run, server, model="gpt-3.5-turbo-0613")
        # a new judge is not in the cache: one call per item, and 3 asks for the never-parsing
        # reply (the server's one-off 429/500/malformed-once have already been spent)
        assert server.requests == first + 4 + 3 + 1 + 1
    res = json.loads((judged_run / "results.json").read_text())["tasks"]["msvd_qa"]
    assert list(res["by_judge"]) == ["gpt-4o-mini-2024-07-18", "gpt-3.5-turbo-0613"]
    assert res["judge_model"] == "gpt-4o-mini-2024-07-18"


def test_no_api_key_in_any_written_file(cli, judged_run):
    with MockJudgeServer() as server:
        judge(cli, judged_run, server)
    written = [p for p in judged_run.parent.rglob("*") if p.is_file()]
    assert any(p.name == ".judge-cache.sqlite" for p in written)
    for path in written:
        assert SECRET.encode() not in path.read_bytes(), path
    rows = sqlite3.connect(judged_run.parent / ".judge-cache.sqlite").execute("SELECT * FROM replies").fetchall()
    assert rows and all(SECRET not in str(r) for r in rows)


def test_undated_judge_and_missing_key_are_refused(cli, judged_run, monkeypatch):
    code, out = cli("judge", judged_run, "--judge-model", "gpt-4o")
    assert code == 2 and "not a dated snapshot" in out
    monkeypatch.delenv("OPENAI_API_KEY")
    monkeypatch.delenv("EVALKIT_JUDGE_API_KEY", raising=False)
    code, out = cli("judge", judged_run, "--judge-model", "gpt-4o-2024-08-06")
    assert code == 2 and "no judge API key" in out


def test_server_errors_beyond_the_retry_budget_are_judge_failures(cli, judged_run):
    with MockJudgeServer() as server:
        code, out = cli("judge", judged_run, "--judge-model", "gpt-4o-mini-2024-07-18", "--base-url", server.base_url,
                        "--backoff", "0.01", "--max-retries", "1", "--task", "msvd_qa")
        assert code == 0, out
    res = json.loads((judged_run / "results.json").read_text())["tasks"]["msvd_qa"]
    assert res["n_judge_failed"] == 1 and res["n_judged"] == 3  # the [500] item: 2 calls, both 500
    verdicts = [json.loads(x) for x in (judged_run / "msvd_qa" / "judgements" / "gpt-4o-mini-2024-07-18.jsonl").read_text().splitlines()]
    assert [v["error"] for v in verdicts if v["error"]][0].startswith("judge call failed: InternalServerError")
