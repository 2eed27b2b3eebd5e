"""LVBench: the authors' compute_accuracy (exact match, answered uids only, multi-type questions
counted in each type, micro Overall) over lmms-eval's lvbench reader; the layouts; long videos
read with keyframe seeks."""
import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from evalkit.data import samples_root
from evalkit.errors import DataError
from evalkit.protocol import Parsed
from evalkit.tasks.lvbench import LVBench, lmms_eval_letter, official_accuracy

SAMPLE = samples_root() / "lvbench"


# --- the reader: expected values are what lmms-eval's code (75571cf: default reasoning-tag strip, then
# extract_mcq_answer with choices A-D) returns for each reply

@pytest.mark.parametrize("reply, letter", [
    ("B", "B"),
    ("(B) The man", "B"),
    ("The answer is C", "C"),
    ("Answer: (D)", "D"),
    ("Answer: D", "D"),  # lmms-eval's first lvbench reader (e8b44ff) read the A of "Answer"
    ("Option C", "C"),
    ("Based on the video, C", "C"),  # a closing letter outranks the fallback B of "Based"
    ("I think (A) or (B)", "B"),  # the last of two parenthesised letters
    ("B or C? I'd say C", "B"),  # an opening letter outranks a closing one
    ("A. Because B is wrong", "A"),
    ("The answer is probably not A but B", "B"),
    ("I'd pick B. Final: C", "C"),
    ("The correct option is B.", "B"),
    ("**C**", "C"),
    ("C.'", "C"),
    ('"B"', "B"),
    ("It is B: the red car", "B"),
    ("B.\n\nExplanation: the man in the video, A", "B"),
    ("Definitely", "D"),  # nothing else matched: any capital A-D, inside a word too
    ("The video shows a Dog", "D"),
    ("Answer: the man", "A"),
    ("Answer (c)", "A"),
    ("答案是C", "C"),
    ("E", ""),  # only A-D
    ("c", ""),  # lower case is no letter
    ("the answer is d", ""),
    ("None of the above", ""),
    ("I cannot tell", ""),
    ("", ""),
    ("   ", ""),
    # lmms-eval strips reasoning blocks before scoring (--reasoning_tags default)
    ("<think>The answer is A</think>B", "B"),
    ("reasoning done</think> C", "C"),  # a pre-filled opening tag: what follows the closing one
    ("<think>unclosed A", "A"),
    ("<analysis>maybe D</analysis>\nA", "A"),
])
def test_reader_is_lmms_eval_s(reply, letter):
    assert lmms_eval_letter(reply) == letter


# --- the authors' compute_accuracy: values from running it (fact sheet D3)

def test_compute_accuracy_case_the_authors_code_gives():
    questions = [(1, "A", ["entity recognition", "reasoning"]), (2, "B", ["reasoning"]), (3, "C", ["summarization"])]
    assert official_accuracy({"1": "A", "2": "b"}, questions) == {"entity recognition": 1.0, "reasoning": 0.5,
                                                                   "acc": 0.5}


@pytest.mark.parametrize("answer, right", [("B", 1.0), ("b", 0.0), (" B", 0.0), ("B.", 0.0), ("(B)", 0.0)])
def test_compute_accuracy_is_exact_and_case_sensitive(answer, right):
    assert official_accuracy({"7": answer}, [("7", "B", ["reasoning"])])["acc"] == right


def test_unanswered_uids_leave_every_denominator():
    questions = [("1", "A", ["reasoning"]), (2, "B", ["reasoning", "summarization"])]
    assert official_accuracy({"1": "A"}, questions) == {"reasoning": 1.0, "acc": 1.0}
    assert official_accuracy({"2": "B"}, questions) == {"reasoning": 1.0, "summarization": 1.0, "acc": 1.0}
    assert official_accuracy({}, questions) == {"acc": None}  # the authors' code divides by zero


def record(response, target="B", types=("ER",), error=None):
    return {"response": response, "target": target, "error": error,
            "fields": {"options": ["a", "b", "c", "d"], "question_type": list(types)}}


def test_official_leaves_unread_replies_out_strict_counts_them():
    task = LVBench()
    official, strict = task.protocol("official"), task.protocol("strict")
    assert official.read(record("Answer: B")) == Parsed("B", 1.0)
    assert official.read(record("c")) == Parsed("", None)  # unanswered: out of the denominator
    assert official.read(record("E")) == Parsed("", None)
    assert official.read(record(None, error="video not found")) == Parsed("", None)
    assert strict.read(record("E")) == Parsed("", 0.0)
    assert strict.read(record("c")) == Parsed("C", 0.0)
    assert task.official_ref.to_dict() == {
        "repo": "THUDM/LVBench", "path": "lvbench/metrics/compute_accuracy.py",
        "commit": "f998d95541cd5f0953c52449b185c6467b9b099d", "label": "THUDM/LVBench lvbench/metrics/compute_accuracy.py@f998d95"}


# --- the bundled sample

def test_sample_loads_with_uids_types_and_videos():
    data = LVBench().load("sample")
    assert data.layout == "authors-jsonl"
    s = {x.id: x for x in data.samples}
    assert list(s) == ["1", "2", "3", "4", "5", "101", "102", "103", "104"]  # integer uids read as text
    assert s["2"].fields["question_type"] == ["EU", "Rea"]
    assert s["5"].fields["question_type"] == ["Sum", "EU", "Rea"]
    assert s["2"].target == "C" and s["2"].choices[2] == "It cycles from dark to bright"
    assert s["101"].cluster == "LVBsmplVid2" and s["101"].video.name == "LVBsmplVid2.mp4"
    assert s["101"].fields["video_type"] == "documentary" and s["102"].fields["time_reference"] == "00:14-00:16"


def test_prompt_is_lmms_eval_s():
    task = LVBench()
    s = task.load("sample").samples[0]
    req = task.build_request(s, None)
    assert req.parts[1] == ("What colour are the frames of the video?\n(A) Red\n(B) Shades of grey\n(C) Green\n"
                            "(D) Blue\nAnswer the question with the option letter")
    assert req.parts[0].path == s.video and req.choices == ("A", "B", "C", "D") and req.max_new_tokens == 16


def replay(cli, name="r", data="sample", extra=()):
    code, out = cli.run("--task", "lvbench", "--data", data, "--model", "replay",
                        "--model-args", f"responses={SAMPLE / 'replies.jsonl'}", *extra, name=name)
    assert code == 0, out
    return json.loads((cli.output / name / "results.json").read_text())["tasks"]["lvbench"]


# what lmms-eval's reader makes of the sample's replies, and whether each is right
READ = {"1": "B", "2": "A", "3": "D", "4": "", "5": "B", "101": "A", "102": "", "103": "C", "104": "B"}


def test_official_numbers_item_by_item(cli):
    res = replay(cli)
    official = res["by_protocol"]["official"]
    records = [json.loads(x) for x in (cli.output / "r" / "lvbench" / "predictions.jsonl").read_text().splitlines()]
    assert {r["id"]: r["parsed"]["official"] for r in records} == READ
    assert {r["id"]: r["score"]["official"] for r in records} == {
        "1": 1.0, "2": 0.0, "3": 1.0, "4": None, "5": 0.0, "101": 1.0, "102": None, "103": 1.0, "104": 1.0}
    # Overall: micro over the 7 answered questions (not the mean of the types)
    assert official["metrics"]["accuracy"] == pytest.approx(100 * 5 / 7)
    assert official["metrics"]["accuracy_all"] == pytest.approx(100 * 5 / 9)  # lmms-eval's lvbench_score
    assert (official["n"], official["n_scored"], official["n_unparsed"], official["denominator"]) == (9, 7, 2, "answered")
    by_type = {k: (v["accuracy"], v["n_scored"]) for k, v in official["breakdown"]["question_type"].items()}
    assert by_type == {"ER": (100.0, 2), "EU": (0.0, 2), "KIR": (100.0, 1), "TG": (None, 0),
                       "Sum": (50.0, 2), "Rea": (pytest.approx(100 / 3), 3)}
    assert official["official_ref"]["commit"] == "f998d95541cd5f0953c52449b185c6467b9b099d"
    assert res["by_protocol"]["strict"]["n_scored"] == 9 and "accuracy_all" not in res["by_protocol"]["strict"]["metrics"]


def test_export_is_the_authors_answer_file_and_result_json(cli):
    official = replay(cli)["by_protocol"]["official"]
    code, out = cli("export", cli.output / "r", "--task", "lvbench", "--format", "official")
    assert code == 0, out
    folder = cli.output / "r" / "lvbench"
    answers = json.loads((folder / "lvbench_answers.json").read_text())
    assert answers == {k: v for k, v in READ.items() if v}  # unread replies are not in the file
    board = json.loads((folder / "lvbench_result.json").read_text())
    # test_acc.py's keys, in compute_accuracy's order; TG has no answered question, so no column
    assert list(board) == ["ER", "EU", "Rea", "KIR", "Sum", "Overall"]
    assert board["Overall"] == pytest.approx(official["metrics"]["accuracy"] / 100)
    for code_, group in official["breakdown"]["question_type"].items():
        if group["n_scored"]:
            assert board[code_] == pytest.approx(group["accuracy"] / 100)


def test_the_random_model_decodes_the_sample(cli):
    code, out = cli.run("--task", "lvbench", "--data", "sample", "--model", "random", "--model-args",
                        "decode=true,max_frames=4")
    assert code == 0, out
    res = json.loads((cli.output / "r" / "results.json").read_text())["tasks"]["lvbench"]
    assert res["by_protocol"]["official"]["n"] == 9 and res["by_protocol"]["official"]["n_failed"] == 0
    records = [json.loads(x) for x in (cli.output / "r" / "lvbench" / "predictions.jsonl").read_text().splitlines()]
    assert all(r["media"]["n_frames"] == 4 for r in records)


def test_data_check(cli):
    code, out = cli("data", "check", "--task", "lvbench", "--data", "sample")
    assert code == 0, out
    assert "lvbench: authors-jsonl layout (bundled sample), 9 samples, 2 videos: all present" in out


# --- layouts

def sample_lines():
    return [json.loads(x) for x in (SAMPLE / "video_info.meta.jsonl").read_text().splitlines()]


def parquet_rows(options_column=False):
    """lmms-eval/LVBench's rows as third-party readers describe them (one row per question)."""
    rows = []
    for video in sample_lines():
        for qa in video["qa"]:
            row = {"uid": str(qa["uid"]), "key": video["key"], "type": video["type"], "question": qa["question"],
                   "answer": qa["answer"], "question_type": qa["question_type"],
                   "time_reference": qa["time_reference"], "video_path": f"all_videos/{video['key']}.mp4"}
            if options_column:  # options as a list, the question without them
                lines = qa["question"].split("\n")
                row["question"], row["options"] = lines[0], [x[4:] for x in lines[1:]]
            rows.append(row)
    return rows


def lmms_eval_videos(hf_home):
    folder = hf_home / "lvbench" / "all_videos"
    folder.mkdir(parents=True)
    for clip in (SAMPLE / "videos").iterdir():
        shutil.copy(clip, folder / clip.name)


@pytest.mark.parametrize("repo", ["lmms-eval/LVBench", "lmms-lab/LVBench"])
@pytest.mark.parametrize("options_column", [False, True])
def test_lmms_eval_parquet_in_the_hub_cache_loads_to_the_same_samples(tmp_path, monkeypatch, same_as, repo,
                                                                      options_column):
    from tests.conftest import hub_snapshot

    hf_home = tmp_path / "hf"
    monkeypatch.setenv("HF_HOME", str(hf_home))
    parquet = tmp_path / "train.parquet"
    pq.write_table(pa.Table.from_pylist(parquet_rows(options_column)), parquet)
    hub_snapshot(hf_home, repo, "a" * 40, {"data/train-00000-of-00001.parquet": parquet})
    lmms_eval_videos(hf_home)
    task = LVBench()
    loaded = task.load(None)
    assert loaded.layout == "hf-parquet" and loaded.located.repo == repo and loaded.located.revision == "a" * 40
    assert loaded.samples[0].video == hf_home / "lvbench" / "all_videos" / "LVBsmplVid1.mp4"
    native = task.load("sample")
    same_as(task, loaded, native)
    assert [s.fields for s in loaded.samples] == [s.fields for s in native.samples]
    assert task.content_fingerprint(loaded) == task.content_fingerprint(native)


def test_the_authors_hf_release_in_the_hub_cache_and_their_repo_layout(tmp_path, monkeypatch, same_as):
    from tests.conftest import hub_snapshot

    hf_home = tmp_path / "hf"
    monkeypatch.setenv("HF_HOME", str(hf_home))
    hub_snapshot(hf_home, "zai-org/LVBench", "b" * 40, {"video_info.meta.jsonl": SAMPLE / "video_info.meta.jsonl"})
    lmms_eval_videos(hf_home)  # the videos as lmms-eval unzips them
    task = LVBench()
    native = task.load("sample")
    loaded = task.load(None)
    assert loaded.layout == "authors-jsonl" and loaded.located.repo == "zai-org/LVBench"
    same_as(task, loaded, native)
    repo = tmp_path / "LVBench"
    (repo / "data").mkdir(parents=True)
    shutil.copy(SAMPLE / "video_info.meta.jsonl", repo / "data" / "video_info.meta.jsonl")
    from_repo = task.load(str(repo), media=str(SAMPLE))
    assert from_repo.layout == "github-jsonl"
    same_as(task, from_repo, native)


def test_two_layouts_in_one_folder_must_agree(tmp_path):
    root = tmp_path / "both"
    shutil.copytree(SAMPLE, root)
    rows = parquet_rows()
    (root / "data").mkdir()
    pq.write_table(pa.Table.from_pylist(rows), root / "data" / "train-00000-of-00001.parquet")
    data = LVBench().load(str(root))
    assert data.layout == "hf-parquet" and data.also_found == ["authors-jsonl"]
    rows[0]["answer"] = "A"
    pq.write_table(pa.Table.from_pylist(rows), root / "data" / "train-00000-of-00001.parquet")
    with pytest.raises(DataError, match="two layouts that disagree"):
        LVBench().load(str(root))


def broken_copy(tmp_path, edit):
    root = tmp_path / "lvbench"
    shutil.copytree(SAMPLE, root)
    lines = sample_lines()
    edit(lines)
    (root / "video_info.meta.jsonl").write_text("".join(json.dumps(v) + "\n" for v in lines))
    return root


@pytest.mark.parametrize("edit, message", [
    (lambda v: v[1].pop("qa"), r"line 2 \(video 'LVBsmplVid2'\): field 'qa' must be a list"),
    (lambda v: v[0]["qa"][1].update(question="No options here?"),
     r"line 1 \(video 'LVBsmplVid1'\) qa 1 \(uid '2'\): field 'question' must end with option lines"),
    (lambda v: v[0]["qa"][0].update(answer="E"), r"qa 0 \(uid '1'\): answer 'E' is not one of the option letters"),
    (lambda v: v[1]["qa"][3].update(question_type=["summarisation"]),
     r"line 2 \(video 'LVBsmplVid2'\) qa 3 \(uid '104'\): question_type 'summarisation' is not one of"),
    (lambda v: v[1]["qa"][3].update(question_type="summarization"), None),  # a bare name is one type
    (lambda v: v[1]["qa"][0].update(uid="1"), r"line 2 \(video 'LVBsmplVid2'\) qa 0: uid '1' appears twice \(first at .* line 1 "),
    (lambda v: v[0]["qa"][2].pop("answer"), r"line 1 \(video 'LVBsmplVid1'\) qa 2: missing field 'answer'"),
])
def test_malformed_annotations_are_named(tmp_path, edit, message):
    root = broken_copy(tmp_path, edit)
    if message is None:
        assert LVBench().load(str(root)).samples[-1].fields["question_type"] == ["Sum"]
        return
    with pytest.raises(DataError, match=message):
        LVBench().load(str(root))


def test_a_line_that_is_not_json_is_named(tmp_path):
    root = tmp_path / "lvbench"
    shutil.copytree(SAMPLE, root)
    with (root / "video_info.meta.jsonl").open("a") as fh:
        fh.write("{not json\n")
    with pytest.raises(DataError, match=r"video_info.meta.jsonl line 3: not a JSON object"):
        LVBench().load(str(root))


def test_parquet_without_uid_is_named(tmp_path):
    rows = [{k: v for k, v in r.items() if k != "uid"} for r in parquet_rows()]
    (tmp_path / "data").mkdir()
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "data" / "train-00000-of-00001.parquet")
    with pytest.raises(DataError, match=r"missing column\(s\) uid"):
        LVBench().load(str(tmp_path))


# --- evalkit import of an lmms-eval samples log

def lmms_eval_log(folder, with_input=True):
    """<output>/<model>/<date>_samples_lvbench.jsonl as lmms-eval writes it: ``doc`` dropped, the
    prompt as ``input``, the metric a bare bool (no uid)."""
    task = LVBench()
    replies = {json.loads(x)["id"]: json.loads(x)["response"] for x in (SAMPLE / "replies.jsonl").read_text().splitlines()}
    path = folder / "qwen2_5_vl" / "20260101_000000_samples_lvbench.jsonl"
    path.parent.mkdir(parents=True)
    with path.open("w") as fh:
        for n, s in enumerate(task.load("sample").samples):
            line = {"doc_id": n, "target": s.target, "filtered_resps": [replies[s.id]], "resps": [[replies[s.id]]],
                    "doc_hash": "0" * 64, "lvbench_score": lmms_eval_letter(replies[s.id]) == s.target}
            if with_input:
                line["input"] = task.build_request(s, None).parts[1]
            fh.write(json.dumps(line) + "\n")
    return path


def test_lmms_eval_log_imports_by_prompt_and_scores_the_same(cli, tmp_path, replay_scores):
    direct = replay(cli, name="direct")
    lmms_eval_log(tmp_path / "logs")
    out = tmp_path / "imported.jsonl"
    code, text = cli("import", "lmms-eval", tmp_path / "logs", "--task", "lvbench", "--data", "sample", "-o", out)
    assert code == 0 and "9 of 9 samples" in text and "not imported" not in text, text
    assert replay_scores("lvbench", out) == direct["by_protocol"]
    # lmms-eval's own number is the official reading over every question
    lines = [json.loads(x) for x in next((tmp_path / "logs").rglob("*.jsonl")).read_text().splitlines()]
    assert 100 * sum(x["lvbench_score"] for x in lines) / len(lines) == pytest.approx(
        direct["by_protocol"]["official"]["metrics"]["accuracy_all"])


def test_lmms_eval_lines_without_a_prompt_map_by_position_in_the_parquet_order(tmp_path):
    from evalkit.importers import import_predictions

    log = lmms_eval_log(tmp_path / "logs", with_input=False)
    (tmp_path / "snap" / "data").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(parquet_rows()), tmp_path / "snap" / "data" / "train-00000-of-00001.parquet")
    task = LVBench()
    got = import_predictions("lmms-eval", log, task, task.load(str(tmp_path / "snap"), media=str(SAMPLE)))
    assert got.by_position == 9 and not got.unmapped
    got = import_predictions("lmms-eval", log, task, task.load("sample"))
    assert got.rows == [] and len(got.unmapped) == 9


# --- hour-long videos: PyAV seeks to the keyframe before each group of pictures it needs

def test_a_long_video_is_read_with_keyframe_seeks_and_the_frames_of_a_full_decode(tmp_path):
    import av
    import numpy as np

    from evalkit.media.sampling import SamplingSpec
    from evalkit.media.synthetic import number_of, write_video
    from evalkit.media.video import probe_video, read_plan, read_video, to_rgb

    root = tmp_path / "long"
    key = "LVBlongVid01"
    write_video(root / "videos" / f"{key}.mp4", 30 * 60, fps=1, size=(32, 48), gop=4, numbered=True)  # 30 min
    line = {"key": key, "type": "sport", "qa": [{"uid": "900", "question": "Q?\n(A) a\n(B) b\n(C) c\n(D) d",
                                                 "answer": "A", "question_type": ["reasoning"], "time_reference": ""}]}
    (root / "video_info.meta.jsonl").write_text(json.dumps(line) + "\n")
    (sample,) = LVBench().load(str(root)).samples
    info = probe_video(sample.video)
    assert info.n_frames == 1800 and len(info.keyframes) >= 1800 // 4
    media = read_video(sample.video_source, SamplingSpec.paper(max_frames=32))  # the paper rule: 32 centres
    assert len(media.indices) == 32 and media.backend == "pyav"
    plan = read_plan(info, media.indices)
    assert len(plan) == 32 and plan[0][0] > 0  # one seek per target, not one pass from frame 0
    assert sum(targets[-1] - key_ + 1 for key_, targets in plan) < info.n_frames // 10
    with av.open(str(sample.video)) as container:
        full = [to_rgb(frame) for frame in container.decode(container.streams.video[0])]
    assert len(full) == info.n_frames
    assert np.array_equal(media.frames, np.stack([full[i] for i in media.indices]))
    assert [number_of(f) for f in media.frames] == [i % 225 for i in media.indices]
