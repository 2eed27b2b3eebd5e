import json

import pytest

from evalkit.errors import DataError
from evalkit.tasks.mlvu import MLVU, MLVUTest, official_gold, official_answer, prompt_text, official_test_answer


def test_gold_is_the_last_matching_candidate_or_at_sign():
    assert official_gold(["Grey", "Blue", "Grey", "Green"], "Grey") == "C"
    assert official_gold(["A key", "A ring"], "A pen") == "@"
    assert official_gold(["x", "y"], "x") == "A"


@pytest.mark.parametrize("reply, reading", [
    ("A) Yellow", "A"), ("A", "A"), ("(A)", "A"), ("A. Yellow", "A. Yellow"), ("Yellow", "Yellow"),
    (") A", ""),  # ')' first: Python slicing gives ''
    ("A ", "A "),  # no strip: trailing space makes it wrong
    ("The answer is (B) Red", "B"),
])
def test_official_answer(reply, reading):
    assert official_answer(reply) == reading


def record(resp, target="A", options=("a", "b", "c", "d")):
    return {"response": resp, "target": target, "error": None, "fields": {"options": list(options)}}


def test_official_and_strict_scores():
    task = MLVU()
    assert task.protocol("official").read(record("A) Yellow")).score == 1.0
    assert task.protocol("official").read(record("A. Yellow")).score == 0.0
    assert task.protocol("strict").read(record("A. Yellow")).score == 1.0
    assert task.protocol("official").read(record("A) x", target="@")).score == 0.0  # gold missing: never right


def test_prompt_matches_the_authors_template():
    assert prompt_text("Q?", ["x", "y"]) == "Question: Q?\nOptions:\n(A) x\n(B) y\nOnly give the best option."
    task = MLVU()
    s = task.load("sample").samples[0]
    req = task.build_request(s, None)
    assert req.assistant_prefix == "Best Option: (" and req.system.startswith("Carefully watch this video")


def test_sample_loads_with_stable_ids_and_quirky_golds():
    samples = {s.id: s for s in MLVU().load("sample").samples}
    assert len(samples) == 9
    assert samples["1_plotQA_1"].target == "C"
    assert samples["2_needle_1"].target == "@" and samples["2_needle_1"].fields["gold_in_candidates"] is False
    assert samples["1_plotQA_0"].video.name == "plotQA_1.mp4"


def test_m_avg_is_the_macro_mean_over_question_types(cli, tmp_path, jsonl):
    ids = [s.id for s in MLVU().load("sample").samples]
    # plotQA: 1 of 2 right; needle: 1 of 2 (the '@' item cannot be right); the 5 others right
    right = {"1_plotQA_0": "A) Grey", "1_plotQA_1": "A) Grey", "2_needle_0": "A) x", "2_needle_1": "A) key"}
    rows = [{"id": i, "response": right.get(i, "A) Grey frames")} for i in ids]
    code, out = cli.run("--task", "mlvu", "--data", "sample", "--model", "replay",
                        "--model-args", f"responses={jsonl(tmp_path / 'r.jsonl', rows)}")
    assert code == 0, out
    res = json.loads((cli.output / "r" / "results.json").read_text())["tasks"]["mlvu"]
    assert res["metrics"]["macro_accuracy"] == pytest.approx((50 + 50 + 100 * 5) / 7)
    assert res["metrics"]["micro_accuracy"] == pytest.approx(100 * 7 / 9)
    assert res["averaging"] == "macro over question_type"


def test_malformed_record_is_named(tmp_path):
    root = tmp_path / "mlvu"
    import shutil

    from evalkit.data import samples_root
    shutil.copytree(samples_root() / "mlvu", root)
    (root / "json" / "4_count.json").write_text(json.dumps([{"video": "x.mp4", "question": "q", "answer": "a",
                                                              "question_type": "count"}]))
    with pytest.raises(DataError, match=r"4_count.json record 0: missing field 'candidates'"):
        MLVU().load(str(root))


def test_test_split_submission(cli, tmp_path, jsonl):
    rows = [{"id": "AR_0", "response": "B) Option B"}, {"id": "AR_1", "response": "E"}]
    cli.run("--task", "mlvu_test", "--data", "sample", "--model", "replay", "--model-args",
            f"responses={jsonl(tmp_path / 'r.jsonl', rows)}")
    code, out = cli("export", cli.output / "r", "--task", "mlvu_test", "--format", "official")
    assert code == 0, out
    sub = json.loads((cli.output / "r" / "mlvu_test" / "mlvu_test_submission.json").read_text())
    assert sub == [{"question_id": "AR_0", "question_type": "anomaly_reco", "option": "B"},
                   {"question_id": "AR_1", "question_type": "anomaly_reco", "option": "E"}]
    assert official_test_answer(" C ) x") == "C"
    assert len(MLVUTest().load("sample").samples) == 2


def test_no_data_and_an_empty_hub_cache_says_what_was_searched(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(DataError, match="repos tried: MLVU/MVLU, sy1998/MLVU_dev; snapshots seen: none"):
        MLVU().load(None)


def sample_records():
    from evalkit.data import samples_root
    from evalkit.tasks.mlvu import DEV_FILES

    root = samples_root() / "mlvu"
    return root, {stem: json.loads((root / "json" / f"{stem}.json").read_text()) for stem in DEV_FILES}


def test_the_authors_github_layout_loads_to_the_same_samples(tmp_path, same_as):
    root, records = sample_records()
    for stem, rows in records.items():
        (tmp_path / "data").mkdir(exist_ok=True)
        (tmp_path / "data" / f"{stem}.json").write_text(json.dumps(rows))
    task = MLVU()
    loaded = task.load(str(tmp_path), media=str(root))  # the repo has no videos: they come from --media
    assert loaded.layout == "github-json"
    same_as(task, loaded, task.load("sample"))


def test_the_lmms_eval_parquet_loads_to_the_same_samples(tmp_path, same_as):
    """sy1998/MLVU_dev: options as "(A) text" lines inside the question, a letter answer, no
    durations; lmms-eval's videos sit flat in $HF_HOME/mlvu."""
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    from evalkit.scoring.choice import letters

    root, records = sample_records()
    rows = []
    for stem, recs in records.items():
        for rec in recs:
            opts = "\n".join(f"({k}) {c}" for k, c in zip(letters(len(rec["candidates"])), rec["candidates"]))
            gold = official_gold(rec["candidates"], rec["answer"])
            rows.append({"video_name": rec["video"], "question": f"{rec['question']}\n{opts}",
                         "answer": gold if gold != "@" else "A", "task_type": stem.split("_", 1)[1]})
            if gold == "@":  # an answer matching no candidate cannot be written as a letter
                rows.pop()
    (tmp_path / "mlvu").mkdir()
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "mlvu" / "test-00000-of-00001.parquet")
    videos = tmp_path / "lmms-eval-videos"
    for clip in (root / "video").rglob("*.mp4"):
        videos.mkdir(exist_ok=True)
        shutil.copy(clip, videos / clip.name)
    task = MLVU()
    loaded = task.load(str(tmp_path), media=str(videos))
    native = task.load("sample")
    assert loaded.layout == "hf-parquet" and loaded.lacks == ("duration",)
    kept = {s.id for s in loaded.samples}
    native = type(native)([s for s in native.samples if s.fields["gold_in_candidates"] and s.id in kept])
    same_as(task, loaded, native)
