import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from evalkit.data import samples_root
from evalkit.errors import DataError
from evalkit.tasks.open_qa import ActivityNetQA, MSVDQA


def test_pairs_by_question_id_and_finds_prefixed_videos():
    samples = ActivityNetQA().load("sample").samples
    assert [s.id for s in samples][:2] == ["activitynet_qa_0_0", "activitynet_qa_0_1"]
    assert samples[0].target == "grey" and samples[0].video.name == "v_clip_a.mp4" and samples[0].video.is_file()
    req = ActivityNetQA().build_request(samples[0], None)
    assert req.parts[1] == "what colour are the frames?\nAnswer the question using a single word or phrase."


def test_hf_parquet_layout(tmp_path):
    root = tmp_path / "anet"
    shutil.copytree(samples_root() / "activitynet_qa" / "videos", root / "videos")
    pq.write_table(pa.Table.from_pylist([
        {"video_name": "clip_a", "question_id": "q1", "question": "what?", "answer": "grey", "type": 0},
        {"video_name": "clip_b", "question_id": "q2", "question": "why?", "answer": "yes", "type": 1},
    ]), root / "test-00000-of-00001.parquet")
    samples = ActivityNetQA().load(str(root)).samples
    assert [(s.id, s.target, s.video.name) for s in samples] == [("q1", "grey", "v_clip_a.mp4"), ("q2", "yes", "v_clip_b.mp4")]


def test_question_without_answer_is_named(tmp_path):
    root = tmp_path / "msvd"
    shutil.copytree(samples_root() / "msvd_qa", root)
    answers = json.loads((root / "test_a.json").read_text())[1:]
    (root / "test_a.json").write_text(json.dumps(answers))
    with pytest.raises(DataError, match=r"test_q.json record 0: question_id 'msvd_qa_0_0' has no answer in test_a.json"):
        MSVDQA().load(str(root))


def test_the_lmms_eval_activitynet_copy_loads_to_the_same_samples(tmp_path, same_as):
    """data/test-*.parquet from the hub cache, videos unzipped into $HF_HOME/activitynetqa/all_test."""
    src = samples_root() / "activitynet_qa"
    questions = json.loads((src / "test_q.json").read_text())
    answers = {a["question_id"]: a for a in json.loads((src / "test_a.json").read_text())}
    rows = [{"video_name": q["video_name"], "question_id": q["question_id"], "question": q["question"],
             "answer": answers[q["question_id"]]["answer"], "type": answers[q["question_id"]].get("type")}
            for q in questions]
    (tmp_path / "data").mkdir()
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "data" / "test-00000-of-00001.parquet")
    shutil.copytree(src / "videos", tmp_path / "activitynetqa" / "all_test")
    task = ActivityNetQA()
    loaded = task.load(str(tmp_path), media=str(tmp_path / "activitynetqa"))
    assert loaded.layout == "hf-parquet"
    same_as(task, loaded, task.load("sample"))
