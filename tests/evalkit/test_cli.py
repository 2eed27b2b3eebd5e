"""End-to-end runs through the `evalkit` command, in-process."""
import json

import pytest

from evalkit.tasks.videomme import official_answer

# one response per sample question, exercising the official extraction quirks
QUIRKY = {
    "001-1": "C",                                     # right
    "001-2": "Based on the video, the answer is B",   # official reads the B of 'Based': right by luck
    "001-3": "Answer: B",                             # official strips 'Answer:' (afd52cf): B, wrong
                                                      # (the older 0379c42 copy read the A of 'Answer')
    "002-1": "c",                                     # official: unanswered; strict: C, right
    "002-2": "The best answer is B",                  # right
    "002-3": "Best option: A",                        # official: B (fused prefix), wrong; strict: A, right
    "003-1": "I really cannot determine this from the frames that were shown to me",  # unanswered
    "003-2": "(B) Shades of grey.",                   # right
    "003-3": "D",                                     # wrong
    "004-1": "Best answer:Best option: C",            # fused prefix removed: right
    "004-2": "The answer D",                          # wrong
    "004-3": "A",                                     # right
}


@pytest.fixture
def responses(tmp_path, jsonl):
    return jsonl(tmp_path / "responses.jsonl", [{"id": k, "response": v} for k, v in QUIRKY.items()])


def results_of(cli, name="r"):
    return json.loads((cli.output / name / "results.json").read_text())


def records_of(cli, task, name="r"):
    return [json.loads(x) for x in (cli.output / name / task / "predictions.jsonl").read_text().splitlines()]


def score_like_the_official_script(path):
    """Reads the export as the authors' eval_your_results.py does: per duration_category,
    accuracy over questions whose extraction is non-empty."""
    videos = json.loads(path.read_text())
    per = {}
    for v in videos:
        c = per.setdefault(v["duration_category"], [0, 0])
        for q in v["questions"]:
            got = official_answer(q["response"])
            if got != "":
                c[1] += 1
                c[0] += got == q["answer"]
    total = [sum(c[0] for c in per.values()), sum(c[1] for c in per.values())]
    return {k: 100 * c[0] / c[1] for k, c in per.items()}, 100 * total[0] / total[1]


def test_replay_official_numbers_match_the_official_scorer_on_the_export(cli, responses):
    code, out = cli.run("--task", "videomme", "--data", "sample", "--model", "replay",
                        "--model-args", f"responses={responses}")
    assert code == 0, out
    res = results_of(cli)["tasks"]["videomme"]
    official = res["by_protocol"]["official"]
    assert res["protocol"] == "official" and res["metrics"] == official["metrics"]
    # 10 answered (002-1 'c' and 003-1 leave the denominator), 6 right
    assert (official["n"], official["n_scored"], official["n_correct"], official["n_unparsed"]) == (12, 10, 6.0, 2)
    assert official["metrics"]["accuracy"] == pytest.approx(60.0)
    assert official["official_ref"]["repo"] == "thanku-all/parse_answer"
    assert official["official_ref"]["commit"].startswith("afd52cf")
    strict = res["by_protocol"]["strict"]
    # strict: every item counts; 'c' -> C, 'Best option: A' -> A, 'Answer: B' -> B and
    # '... the answer is B' -> B are all read as meant: 8 right, one unparsed (003-1)
    assert (strict["n_scored"], strict["n_correct"], strict["n_unparsed"]) == (12, 8.0, 1)

    code, out = cli("export", cli.output / "r", "--task", "videomme", "--format", "official")
    assert code == 0, out
    per_duration, overall = score_like_the_official_script(cli.output / "r" / "videomme" / "videomme_official.json")
    assert overall == pytest.approx(official["metrics"]["accuracy"])
    for dur, acc in per_duration.items():
        assert official["breakdown"]["duration"][dur]["accuracy"] == pytest.approx(acc)
    assert "videomme" in out and "official" in out


def test_records_hold_the_contract_fields(cli, responses):
    cli.run("--task", "videomme", "--data", "sample", "--model", "replay", "--model-args", f"responses={responses}")
    rec = records_of(cli, "videomme")[5]
    assert rec["id"] == "002-3" and rec["target"] == "A" and rec["response"] == "Best option: A"
    assert rec["parsed"] == {"official": "B", "strict": "A"} and rec["score"] == {"official": 0.0, "strict": 1.0}
    assert rec["error"] is None and rec["media"] is None  # replay needs no media
    run = json.loads((cli.output / "r" / "run.json").read_text())
    assert run["config"]["model"] == "replay" and run["sampling"] is None
    assert run["tasks"]["videomme"]["dataset_revision"] and run["versions"]["evalkit"]


def test_decoding_baseline_records_frames_and_subtitles(cli):
    code, out = cli.run("--task", "videomme,videomme_w_subtitle", "--data", "sample", "--model", "random",
                        "--model-args", "decode=true")
    assert code == 0, out
    recs = {r["id"]: r for r in records_of(cli, "videomme_w_subtitle")}
    short, medium = recs["001-1"]["media"], recs["003-1"]["media"]
    assert short["n_frames"] == 12 and short["timestamps"][:2] == [0.0, 1.0]  # 12 s: 1 fps
    assert medium["n_frames"] == 120 and medium["duration"] == 150.0  # 150 s: 120 uniform frames
    assert recs["001-1"]["prompt"]["subtitle_lines"] == 3
    assert recs["003-1"]["prompt"]["subtitle_lines"] == 0
    assert "videomme_w_subtitle" in out and "official" in out


def test_missing_and_corrupt_videos_are_failed_samples(cli, videomme_copy):
    (videomme_copy / "data" / "smpl0000002.mp4").unlink()
    (videomme_copy / "data" / "smpl0000003.mp4").write_bytes(b"not a video at all")
    code, out = cli.run("--task", "videomme", "--data", videomme_copy, "--model", "constant",
                        "--model-args", "decode=true,answer=C")
    assert code == 0, out
    recs = {r["id"]: r for r in records_of(cli, "videomme")}
    assert "video not found" in recs["002-1"]["error"] and recs["002-1"]["response"] is None
    assert "cannot decode" in recs["003-2"]["error"]
    assert recs["001-1"]["response"] == "C"
    res = results_of(cli)["tasks"]["videomme"]
    assert res["n_failed"] == 6 and res["n_scored"] == 6  # official: failed leave the denominator
    assert res["by_protocol"]["strict"]["n_scored"] == 12


def interrupting(monkeypatch, after):
    """Make the random baseline die (like a kill) after answering ``after`` samples."""
    from evalkit.model_adapters.baselines import RandomChoice

    real = RandomChoice.generate
    calls = {"n": 0}

    def generate(self, requests):
        calls["n"] += 1
        if calls["n"] > after:
            raise KeyboardInterrupt
        return real(self, requests)

    monkeypatch.setattr(RandomChoice, "generate", generate)


def without_decoded(line: str) -> str:
    record = json.loads(line)
    del record["media"]["decoded"]
    return json.dumps(record)


def test_killed_run_resumes_to_the_same_predictions_file(cli, monkeypatch):
    args = ("--task", "videomme_w_subtitle", "--data", "sample", "--model", "random", "--model-args", "decode=true")
    assert cli.run(*args, name="whole")[0] == 0
    with monkeypatch.context() as m:
        interrupting(m, after=5)
        code, out = cli.run(*args, name="broken")
        assert code == 130 and "rerun the same command to resume" in out
    path = cli.output / "broken" / "videomme_w_subtitle" / "predictions.jsonl"
    assert len(path.read_text().splitlines()) == 5
    with path.open("a") as fh:  # as if killed in the middle of writing the sixth record
        fh.write('{"id": "002-3", "task": "videomme_w')
    assert cli.run(*args, name="broken")[0] == 0
    whole = (cli.output / "whole" / "videomme_w_subtitle" / "predictions.jsonl").read_text().splitlines()
    resumed = path.read_text().splitlines()
    # the same records, but for the run-time fact of which question decoded the video: 002-3
    # decoded it again on resume, its video's other questions having been answered before the kill
    assert [json.loads(x)["media"]["decoded"] for x in resumed][3:6] == [True, False, True]
    assert [json.loads(x)["media"]["decoded"] for x in whole][3:6] == [True, False, False]
    assert [without_decoded(x) for x in resumed] == [without_decoded(x) for x in whole]
    assert results_of(cli, "broken")["tasks"] == results_of(cli, "whole")["tasks"]


def test_rerun_of_a_finished_run_does_no_model_work(cli, monkeypatch):
    args = ("--task", "videomme", "--data", "sample", "--model", "random")
    assert cli.run(*args)[0] == 0
    interrupting(monkeypatch, after=0)
    code, out = cli.run(*args)
    assert code == 0, out


def test_changed_config_refuses_and_overwrite_replaces(cli):
    assert cli.run("--task", "videomme", "--data", "sample", "--model", "random")[0] == 0
    code, out = cli.run("--task", "videomme", "--data", "sample", "--model", "random", "--seed", "1")
    assert code == 2 and "different configuration" in out and "seed: 0 -> 1" in out
    code, out = cli.run("--task", "videomme", "--data", "sample", "--model", "random", "--seed", "1", "--overwrite")
    assert code == 0, out


def test_distributed_shards_merge_to_the_single_process_result(cli, monkeypatch):
    args = ("--task", "videomme", "--data", "sample", "--model", "random")
    assert cli.run(*args, name="single")[0] == 0
    monkeypatch.setenv("WORLD_SIZE", "2")
    for rank in ("1", "0"):
        monkeypatch.setenv("RANK", rank)
        code, out = cli.run(*args, name="dist")
        assert code == 0 and "evalkit score" in out
    monkeypatch.delenv("WORLD_SIZE")
    monkeypatch.delenv("RANK")
    assert len(list((cli.output / "dist" / "videomme").glob("predictions.rank*.jsonl"))) == 2
    assert cli("score", cli.output / "dist")[0] == 0
    assert sorted(r["id"] for r in records_of(cli, "videomme", "dist")) == sorted(
        r["id"] for r in records_of(cli, "videomme", "single"))
    assert results_of(cli, "dist")["tasks"] == results_of(cli, "single")["tasks"]


def test_user_errors_are_one_clear_line(cli, tmp_path, jsonl):
    code, out = cli.run("--task", "videome", "--data", "sample", "--model", "random")
    assert code == 2 and "Did you mean 'videomme'" in out
    code, out = cli.run("--task", "videomme", "--data", "sample", "--model", "randm")
    assert code == 2 and "Did you mean 'random'" in out
    code, out = cli.run("--task", "videomme", "--data", "sample", "--model", "random", "--model-args", "decod=true")
    assert code == 2 and "has no argument 'decod'. Did you mean 'decode'" in out
    bad = jsonl(tmp_path / "dup.jsonl", [{"id": "001-1", "response": "A"}, {"id": "001-1", "response": "B"}])
    code, out = cli.run("--task", "videomme", "--data", "sample", "--model", "replay", "--model-args", f"responses={bad}")
    assert code == 2 and "dup.jsonl:2: id '001-1' appears twice" in out
    code, out = cli.run("--task", "videomme", "--data", tmp_path / "nowhere", "--model", "random")
    assert code == 2 and "no such file or directory" in out
    # case does not count for suggestions
    code, out = cli.run("--task", "VideoMME", "--data", "sample", "--model", "random")
    assert code == 2 and "Did you mean 'videomme'" in out
    code, out = cli.run("--task", "videomme", "--data", "sample", "--model", "Dynamic-VLM")
    assert code == 2 and "Did you mean 'dynamic-vlm'" in out


def test_resumed_and_partial_runs_say_so(cli):
    args = ("--task", "videomme", "--data", "sample", "--model", "random")
    code, out = cli.run(*args, "--limit", "9")
    assert code == 0 and "videomme: partial run: 9 of 12 samples (--limit)" in out and "resumed:" not in out
    code, out = cli.run(*args)
    assert code == 0 and f"videomme: resumed: 9 of 12 already done in {cli.output / 'r'}" in out
    assert "partial run" not in out


def test_auto_run_names_are_short_and_old_long_names_still_resume(cli, tmp_path):
    from evalkit.config import RunConfig

    tasks = ["videomme", "videomme_w_subtitle", "mlvu", "egoschema", "perceptiontest", "tempcompass"]
    config = RunConfig(tasks=tasks, model="dynamic-vlm", model_args="preset=tiny", output=tmp_path)
    name = config.name()
    assert name.startswith("dynamic-vlm_videomme+5_") and len(name) <= 40
    legacy = f"dynamic-vlm_{'+'.join(tasks)}_{name.rsplit('_', 1)[1]}"
    (tmp_path / legacy).mkdir()
    (tmp_path / legacy / "run.json").write_text("{}")
    assert config.name() == legacy  # a run dir of the earlier naming is resumed, not started anew

def test_replay_without_a_response_fails_that_sample_only(cli, tmp_path, jsonl):
    partial = jsonl(tmp_path / "p.jsonl", [{"id": k, "response": v} for k, v in list(QUIRKY.items())[:10]])
    code, out = cli.run("--task", "videomme", "--data", "sample", "--model", "replay", "--model-args", f"responses={partial}")
    assert code == 0, out
    recs = records_of(cli, "videomme")
    assert [r["id"] for r in recs if r["error"]] == ["004-2", "004-3"]
    assert "no response for id '004-2'" in recs[10]["error"]


def test_replayed_null_responses_are_unanswered_not_failed(cli, tmp_path, jsonl):
    rows = [{"id": k, "response": None if k in ("001-1", "004-3") else v} for k, v in QUIRKY.items() if k != "002-2"]
    rows.append({"id": "002-2"})  # a line without a response at all
    code, out = cli.run("--task", "videomme", "--data", "sample", "--model", "replay",
                        "--model-args", f"responses={jsonl(tmp_path / 'n.jsonl', rows)}")
    assert code == 0, out
    recs = {r["id"]: r for r in records_of(cli, "videomme")}
    for rid in ("001-1", "004-3", "002-2"):
        assert recs[rid]["response"] == "" and recs[rid]["error"] is None
        assert recs[rid]["model"] == {"replayed_null": True} and recs[rid]["score"]["official"] is None
    official = results_of(cli)["tasks"]["videomme"]["by_protocol"]["official"]
    # the three empty replies leave the official denominator like other unanswered items
    assert (official["n_failed"], official["n_unparsed"], official["n_scored"]) == (0, 2 + 3, 12 - 5)


def test_official_reference_is_recorded_and_shown(cli, responses):
    code, out = cli.run("--task", "videomme,egoschema", "--data", "sample", "--model", "replay",
                        "--model-args", f"responses={responses}")
    assert code == 0, out
    assert "official (videomme): thanku-all/parse_answer eval_your_results.py@afd52cf" in out
    assert "official (egoschema): documented rule:" in out
    ref = {"repo": "thanku-all/parse_answer", "path": "eval_your_results.py",
           "commit": "afd52cfe3dde5b3685e0d4f760c10c756860c758",
           "label": "thanku-all/parse_answer eval_your_results.py@afd52cf"}
    run = json.loads((cli.output / "r" / "run.json").read_text())
    assert run["tasks"]["videomme"]["official_ref"] == ref
    results = results_of(cli)["tasks"]
    assert results["videomme"]["official_ref"] == ref and results["videomme"]["by_protocol"]["official"]["official_ref"] == ref
    assert "official_ref" not in results["videomme"]["by_protocol"]["strict"]
    assert results["egoschema"]["official_ref"]["documented_rule"].startswith("egoschema/EgoSchema README")
    code, out = cli("tasks", "--verbose")
    assert code == 0
    block = out.split("videomme:", 1)[1].split("videomme_w_subtitle:", 1)[0]
    assert "official reference: thanku-all/parse_answer eval_your_results.py@afd52cf" in block
    assert "commit: afd52cfe3dde5b3685e0d4f760c10c756860c758" in block
    assert "official reference: documented rule:" in out.split("perceptiontest:", 1)[1]


def test_every_official_protocol_names_its_upstream_reference():
    from evalkit.registry import TASKS

    for name in TASKS.names():
        ref = TASKS.get(name).official_ref
        assert ref is not None, name
        assert ref.documented_rule or (len(ref.commit) == 40 and "/" in ref.repo and ref.path), name


def test_listing_and_score_breakdown(cli):
    code, out = cli("tasks")
    assert "videomme_w_subtitle" in out and "Video-MME" in out
    code, out = cli("models")
    assert "replay" in out and "random" in out
    cli.run("--task", "videomme", "--data", "sample", "--model", "random")
    code, out = cli("score", cli.output / "r", "--breakdown")
    assert code == 0 and "videomme by task_type" in out and "Counting Problem" in out


def test_export_refuses_unknown_format_and_task(cli):
    cli.run("--task", "videomme", "--data", "sample", "--model", "random")
    code, out = cli("export", cli.output / "r", "--task", "videomme", "--format", "csv")
    assert code == 2 and "no export format 'csv'" in out
    code, out = cli("export", cli.output / "r", "--task", "mlvu", "--format", "official")
    assert code == 2 and "has no task 'mlvu'" in out


def test_all_multiple_choice_tasks_in_one_offline_command(cli):
    tasks = "mlvu,egoschema,perceptiontest,muirbench,mmiu,tempcompass"
    code, out = cli.run("--task", tasks, "--data", "sample", "--model", "random", "--model-args", "decode=true")
    assert code == 0, out
    res = json.loads((cli.output / "r" / "results.json").read_text())["tasks"]
    assert list(res) == tasks.split(",")
    for name in tasks.split(","):
        assert name in out
        assert res[name]["n_failed"] == 0


def test_help_of_every_command(capsys):
    from evalkit.cli import build_parser, main

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    for name in [None, *commands]:
        with pytest.raises(SystemExit) as exit_:
            main(["--help"] if name is None else [name, "--help"])
        assert exit_.value.code == 0
        out = capsys.readouterr().out
        assert "usage: evalkit" in out
        assert all(len(line) <= 80 for line in out.splitlines()), name  # reads in an 80-column terminal
        if name is not None:  # each subcommand shows its own examples, and only its own
            example_lines = [ln.strip() for ln in out.split("examples:", 1)[-1].splitlines() if ln.startswith("  evalkit")]
            assert example_lines and all(ln.startswith(f"evalkit {name}") for ln in example_lines), name


@pytest.mark.parametrize("command", [("plot", "{run}", "--out", "{file}"),
                                     ("view", "{run}", "--out", "{file}/page.html")])
def test_an_output_folder_that_is_a_file_is_a_one_line_error(cli, tmp_path, command):
    cli.run("--task", "videomme", "--data", "sample", "--model", "random")
    blocker = tmp_path / "taken"
    blocker.write_text("a file")
    code, out = cli(*(part.format(run=cli.output / "r", file=blocker) for part in command))
    assert code != 0 and out.strip() == f"error: {blocker}: a file where a folder is needed; give a folder"
