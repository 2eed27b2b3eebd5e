import json

import pytest

from evalkit.errors import DataError
from evalkit.tasks.perceptiontest import TAG_AREA, PerceptionTest, areas_of


def test_areas_come_from_tags_once_each():
    assert areas_of(["motion", "object recognition"]) == ["physics", "semantics"]
    assert areas_of(["motion", "collision"]) == ["physics"]
    assert len(TAG_AREA) == 34


def calc_top1(results, db):
    """The authors' calc_top1 semantics, for checking the export."""
    expected = sum(len(v["mc_question"]) for v in db.values())
    total = correct = 0
    for vid, answers in results.items():
        for a in answers:
            gt = db[vid]["mc_question"][a["id"]]
            assert 0 <= a["answer_id"] <= 2 and gt["options"][a["answer_id"]] == a["answer"]
            correct += int(gt["answer_id"] == a["answer_id"])
            total += 1
    if expected != total:
        raise ValueError("Missing answers in results.")
    return correct / total


def test_official_numbers_and_export_match_calc_top1(cli, tmp_path, jsonl):
    from evalkit.data import samples_root

    rows = [{"id": "video_0001/0", "response": "A"}, {"id": "video_0001/1", "response": "A cat is moving"},
            {"id": "video_0002/0", "response": "(B) never"}, {"id": "video_0002/1", "response": "B."}]
    code, out = cli.run("--task", "perceptiontest", "--data", "sample", "--model", "replay",
                        "--model-args", f"responses={jsonl(tmp_path / 'r.jsonl', rows)}")
    assert code == 0, out
    res = json.loads((cli.output / "r" / "results.json").read_text())["tasks"]["perceptiontest"]
    # 'A cat is moving' is not option A: unparsed and wrong; 2 of 4 right over all 4
    assert (res["metrics"]["accuracy"], res["n_scored"], res["n_unparsed"]) == (50.0, 4, 1)
    assert res["breakdown"]["area"]["physics"]["n"] == 2 and res["breakdown"]["area"]["semantics"]["n"] == 2
    assert res["breakdown"]["tag"]["event counting"]["accuracy"] == 50.0
    cli("export", cli.output / "r", "--task", "perceptiontest", "--format", "official")
    exported = json.loads((cli.output / "r" / "perceptiontest" / "perceptiontest_results.json").read_text())
    db = json.loads((samples_root() / "perceptiontest" / "mc_question_valid.json").read_text())
    with pytest.raises(ValueError, match="Missing answers"):
        calc_top1(exported, db)  # the unparsed answer is not submitted
    exported["video_0001"].append({"id": 1, "answer_id": 2, "answer": "cannot tell"})
    assert calc_top1(exported, db) == pytest.approx(0.5)


def test_unknown_tag_is_refused(tmp_path):
    root = tmp_path / "pt"
    root.mkdir()
    (root / "mc_question_valid.json").write_text(json.dumps({"video_1": {"mc_question": [
        {"id": 0, "question": "q", "options": ["a", "b", "c"], "answer_id": 1, "reasoning": "descriptive", "tag": ["telepathy"]}]}}))
    with pytest.raises(DataError, match=r"video 'video_1' question 0: unknown tag\(s\) \['telepathy'\]"):
        PerceptionTest().load(str(root))


def test_the_lmms_eval_parquet_loads_to_the_release_samples(tmp_path, same_as):
    """config mc_question_val as lmms-eval reads it: one row per question, ids as strings."""
    import json
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    from evalkit.data import samples_root

    src = samples_root() / "perceptiontest"
    db = json.loads((src / "mc_question_valid.json").read_text())
    rows = [{"video_name": vid, "question": q["question"], "question_id": str(q["id"]), "options": q["options"],
             "answer_id": str(q["answer_id"]), "area": q["area"], "reasoning": q["reasoning"], "tag": q["tag"]}
            for vid, item in db.items() for q in item["mc_question"]]
    (tmp_path / "mc_question_val").mkdir()
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "mc_question_val" / "validation-00000-of-00001.parquet")
    shutil.copytree(src / "videos", tmp_path / "perceptiontest_val" / "videos")
    task = PerceptionTest()
    loaded = task.load(str(tmp_path), media=str(tmp_path / "perceptiontest_val"))
    assert loaded.layout == "hf-parquet"
    same_as(task, loaded, task.load("sample"))
    assert [s.fields for s in loaded.samples] == [s.fields for s in task.load("sample").samples]
