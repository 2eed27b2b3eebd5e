import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from evalkit.errors import DataError
from evalkit.media.sampling import SamplingSpec
from evalkit.media.video import read_video
from evalkit.protocol import Parsed
from evalkit.tasks.videomme import PARQUET, VideoMME, VideoMMEWithSubtitles, official_answer


@pytest.mark.parametrize(
    "response, expected",
    [
        ("C", "C"),
        ("  C. Berries.  ", "C"),
        ("c", ""),  # lower case never matches
        ("The best answer is C", "C"),
        ("The correct answer is (D).", "D"),
        ("Based on the video, the answer is C", "B"),  # first capital A-D anywhere: 'Based'
        # the prefixes afd52cf added after the fused pairs; the 0379c42 copy read 'A' of 'Answer'
        ("Answer: C", "C"),
        ("Answer:B", "B"),
        ("The answer: Answer: B", "B"),  # 'The answer' goes first, then 'Answer:'
        ("Answer: the man in the red shirt is cooking dinner in the kitchen", ""),  # >10 words, no A-D left
        ("Option: D", "D"),
        ("The correct option: B", "B"),
        ("ANSWER: B", "A"),  # prefixes are case-sensitive
        ("answer: C", "C"),
        ("Best option: D", "B"),  # 'Best option:' alone is not removed (fused entry; 'Option:' is capitalised)
        ("Best answer:Best option: D", "D"),  # the fused entry, verbatim, is removed
        ("The best option is D", "D"),  # not removed, but 'best' is lower case
        ("The best option isThe correct option is A", "A"),
        ("The answer D", "D"),
        ("I cannot tell from this video what is happening in the scene at all, sorry", ""),
        ("I cannot tell from this video what is happening in the scene at all, Daniel", "D"),
        ("it is d", ""),
        ("", ""),
    ],
)
def test_official_extraction_quirks(response, expected):
    assert official_answer(response) == expected


def record(response, target="C", error=None):
    return {"response": response, "target": target, "error": error, "fields": {"options": ["A. x", "B. y", "C. z", "D. w"]}}


def test_official_leaves_unanswered_out_strict_counts_them_wrong():
    task = VideoMME()
    assert task.protocol("official").read(record("C")).score == 1.0
    assert task.protocol("official").read(record("c")).score is None
    assert task.protocol("strict").read(record("c")) == Parsed("C", 1.0)  # strict reads a bare lower-case letter
    assert task.protocol("official").read(record("no idea")) == Parsed("", None)
    assert task.protocol("strict").read(record("no idea")) == Parsed("", 0.0)
    failed = record(None, error="video not found")
    assert task.protocol("official").read(failed).score is None
    assert task.protocol("strict").read(failed).score == 0.0


def test_sample_loads_with_upstream_ids_and_fields():
    samples = VideoMME().load("sample").samples
    assert [s.id for s in samples][:4] == ["001-1", "001-2", "001-3", "002-1"]
    s = samples[0]
    assert s.cluster == "001" and s.target == "C" and s.video.name == "smpl0000001.mp4"
    assert s.fields["duration"] == "short" and s.fields["task_type"] == "Counting Problem"
    assert len(s.choices) == 4 and "options" not in s.fields and s.record_fields()["options"] == list(s.choices)


def test_prompt_is_the_official_text():
    task = VideoMME()
    s = task.load("sample").samples[0]
    req = task.build_request(s, None)
    assert req.parts[1] == (
        "Select the best answer to the following multiple-choice question based on the video. "
        "Respond with only the letter (A, B, C, or D) of the correct option.\n"
        "How many distinct grey levels appear in the video?\n"
        "A. One.\nB. Two.\nC. Fifteen.\nD. Thirty.\n"
        "The best answer is:"
    )
    assert req.parts[0].path == s.video


def test_subtitles_are_the_lines_at_sampled_frames():
    task = VideoMMEWithSubtitles()
    s = task.load("sample").samples[0]  # 12 s video, cues every 5 s lasting 2.5 s
    media = read_video(s.video, SamplingSpec.paper(max_frames=4))  # frames at 1.5, 4.5, 7.5, 10.5 s
    req = task.build_request(s, media)
    assert req.parts[1].startswith(
        "This video's subtitles are listed below:\n"
        "Narrator line at second 0 of video 001.\n"
        "Narrator line at second 5 of video 001.\n"
        "Narrator line at second 10 of video 001.\n"
        "Select the best answer"
    )
    assert req.facts == {"subtitle_lines": 3}


def test_video_without_subtitle_file_says_so():
    task = VideoMMEWithSubtitles()
    s = [x for x in task.load("sample").samples if x.cluster == "003"][0]
    req = task.build_request(s, read_video(s.video, SamplingSpec.paper(max_frames=8)))
    assert req.parts[1].startswith("This video's subtitles are listed below:\nNo subtitles available\nSelect")


def rewrite_parquet(root, mutate):
    path = root / PARQUET
    rows = pq.read_table(path).to_pylist()
    rows = mutate(rows)
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def test_missing_column_is_named(videomme_copy):
    rewrite_parquet(videomme_copy, lambda rows: [{k: v for k, v in r.items() if k != "task_type"} for r in rows])
    with pytest.raises(DataError, match=r"test-00000-of-00001.parquet: missing column\(s\) task_type"):
        VideoMME().load(str(videomme_copy))


def test_bad_field_names_row_and_field(videomme_copy):
    def mutate(rows):
        rows[4]["options"] = ["A. x", "B. y"]
        return rows

    rewrite_parquet(videomme_copy, mutate)
    with pytest.raises(DataError, match=r"row 4 \(question_id '002-2'\): field 'options'"):
        VideoMME().load(str(videomme_copy))


def test_bad_answer_letter(videomme_copy):
    def mutate(rows):
        rows[0]["answer"] = "E"
        return rows

    rewrite_parquet(videomme_copy, mutate)
    with pytest.raises(DataError, match="field 'answer' must be one of A-D"):
        VideoMME().load(str(videomme_copy))


def test_duplicate_question_id_is_refused(videomme_copy):
    rewrite_parquet(videomme_copy, lambda rows: rows + [rows[0]])
    with pytest.raises(DataError, match="question_id '001-1' appears twice"):
        VideoMME().load(str(videomme_copy))


def test_path_escaping_the_root_is_refused(videomme_copy):
    def mutate(rows):
        rows[0]["videoID"] = "../../etc/passwd"
        return rows

    rewrite_parquet(videomme_copy, mutate)
    with pytest.raises(DataError, match="escapes the dataset root"):
        VideoMME().load(str(videomme_copy))


def test_unreadable_parquet(videomme_copy):
    (videomme_copy / PARQUET).write_text("not parquet")
    with pytest.raises(DataError, match="not a readable parquet file"):
        VideoMME().load(str(videomme_copy))


def test_no_local_copy_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DataError, match="huggingface-cli download lmms-eval/Video-MME"):
        VideoMME().load(None)


def test_export_regroups_by_video(tmp_path):
    task = VideoMME()
    samples = task.load("sample").samples[:4]
    recs = [{"id": s.id, "target": s.target, "response": "B" if i else None, "fields": s.record_fields()}
            for i, s in enumerate(samples)]
    (path,) = task.export(recs, "official", tmp_path)
    data = json.loads(path.read_text())
    assert [v["video_id"] for v in data] == ["001", "002"]
    v = data[0]
    assert v["duration"] == v["duration_category"] == "short"
    assert v["domain"] == v["video_category"] == "Knowledge"
    assert v["sub_category"] == v["video_subcategory"] == "Humanity & History"
    assert v["missing"] is False
    assert [q["question_id"] for q in v["questions"]] == ["001-1", "001-2", "001-3"]
    assert v["questions"][0]["response"] == ""  # a failed sample exports as an empty response
    assert v["questions"][1] == {
        "question_id": "001-2", "task_type": "Attribute Perception",
        "question": "What colour are the frames of this video?",
        "options": ["A. Red.", "B. Shades of grey.", "C. Green.", "D. Blue."], "answer": "B", "response": "B",
    }
