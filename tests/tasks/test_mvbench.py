"""MVBench: the official notebook's quirks (gold = last matching candidate or '@', '(' + first reply
line, check_ans's substring test that an empty reply passes, micro Avg), its layouts (HF video
branch with pre-cut clips, VLMEvalKit's MVBench.tsv, the release with bounds and frame folders),
and imports of lmms-eval logs and VLMEvalKit tables. Expected values are what the authors' code
gives (the fact sheet's probe of the notebook at 71ac7a2)."""
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from evalkit.data import samples_root
from evalkit.errors import DataError
from evalkit.importers import import_predictions
from evalkit.media.sampling import SamplingSpec, UniformFrames
from evalkit.media.synthetic import write_video
from evalkit.media.video import read_video
from evalkit.tasks.mvbench import (
    MVBench, SPECS, check_ans, official_correct, official_gold, official_prediction, official_reading,
    parse_lmms_eval_input, precut, prompt_text, question_text)
from tests.conftest import hub_snapshot

SAMPLE = samples_root() / "mvbench"
SYSTEM = ("Carefully watch the video and pay attention to the cause and sequence of events, the detail and "
          "movement of objects, and the action and pose of persons. Based on your observations, select the best "
          "option that accurately addresses the question.")


# --- the official scorer -----------------------------------------------------------------------

# candidates ["the dog", "the man.", "a cat"], answer "the man." -> gold "(B) the man."; the reply is
# what the model writes after the pre-fill "Best option:("
@pytest.mark.parametrize("reply, pred, right", [
    ("B) the man.", "(B) the man.", True),
    ("B", "(B", True),
    ("B)", "(B)", True),
    ("B.", "(B.", True),  # the dot is removed
    ("b) x", "(b) x", True),  # lower-cased
    ("B)\nbecause it is", "(B)", True),  # first line only
    ("\nB) x", "(B) x", True),  # stripped first
    ("(B) the man", "((B) the man", True),  # "(b)" is inside "((b)"
    ("", "(", True),  # an EMPTY reply is right: "(" is inside "(b)"
    ("   ", "(", True),
    ("A) the dog", "(A) the dog", False),
    ("C", "(C", False),
    ("Bx", "(Bx", False),
    (")", "()", False),
    ("The answer is B", "(The answer is B", False),  # only the first token counts
])
def test_official_pipeline(reply, pred, right):
    assert official_prediction(reply) == pred
    assert official_correct(reply, "B") is right


@pytest.mark.parametrize("pred, right", [  # check_ans itself, on text already given its '('
    ("B", True), ("(B)", True), ("(B),", True), ("(B).", True), ("(b)x", True), ("(C)(B)", True),
    ("", True), ("(", True), (")", True), (" C", True),  # a leading space leaves an empty first token
    ("A", False), ("AB", False), ("Answer: (B)", False),
])
def test_check_ans_substring_rule(pred, right):
    assert check_ans(pred, "B") is right


def test_gold_is_the_last_matching_candidate_or_at_sign():
    assert official_gold(["red", "blue", "red"], "red") == "C"
    assert official_correct("C", "C") and not official_correct("A", "C")  # A names the same text: wrong
    assert official_gold(["x", "y"], "z") == "@"
    assert official_gold(["x", "y"], "X") == "@"  # exact, case-sensitive equality
    assert official_correct("", "@")  # only an empty reply passes a missing gold
    assert not official_correct("A", "@") and not official_correct(")", "@") and not official_correct("(", "@")
    assert check_ans("(", "@") and check_ans(")", "@")  # check_ans alone also passes a lone parenthesis


def test_reading_names_the_one_letter_the_test_credits():
    assert official_reading("B) the man", 3) == "B"
    assert official_reading("", 3) == ""  # credited with every letter: unparsed (and right)
    assert official_reading("(C)(B)", 3) == ""  # "((c)(b)" holds two options
    assert official_reading("The answer is B", 3) == ""
    assert official_reading("D", 3) == "" and official_reading("D", 4) == "D"  # no option D: unparsed, wrong


def record(response, target="B", options=("the dog", "the man.", "a cat"), error=None):
    return {"response": response, "target": target, "error": error, "fields": {"options": list(options)}}


def test_official_and_strict_read_saved_responses():
    task = MVBench()
    official, strict = task.protocol("official"), task.protocol("strict")
    empty = record("")
    assert official.read(empty).score == 1.0 and official.read(empty).answer == ""
    assert strict.read(empty).score == 0.0 and strict.read(empty).answer == ""
    assert official.read(record("B)")).answer == "B" and strict.read(record("B)")).answer == "B"
    assert official.read(record("The answer is B")).score == 0.0 and strict.read(record("The answer is B")).score == 1.0
    assert official.read(record("", target="@")).score == 1.0 and strict.read(record("", target="@")).score == 0.0
    assert official.read(record(None, error="video not found")).score == 0.0  # failed: counted, wrong


def aggregate(scored):
    """The official protocol over records [(task, reply, gold)]."""
    task = MVBench()
    proto = task.protocol("official")
    recs = []
    for n, (name, reply, gold) in enumerate(scored):
        r = {"id": str(n), "response": reply, "target": gold, "error": None, "cluster": str(n),
             "fields": {"task": name, "options": ["a", "b", "c", "d"]}}
        parsed = proto.read(r)
        r["parsed"], r["score"] = {"official": parsed.answer}, {"official": parsed.score}
        recs.append(r)
    return proto.aggregate(recs, seed=0)


def test_avg_is_micro_over_items_and_equals_the_task_mean_only_when_tasks_are_full():
    # T1: 200 items, 100 right (10 of them empty replies); T2: 200 items, 50 right
    rows = [("T1", "" if k < 10 else "A", "A") for k in range(100)] + [("T1", "B", "A")] * 100
    rows += [("T2", "A", "A")] * 50 + [("T2", "B", "A")] * 150
    res = aggregate(rows)
    assert res["breakdown"]["task"]["T1"]["accuracy"] == 50.0 and res["breakdown"]["task"]["T2"]["accuracy"] == 25.0
    assert res["metrics"]["accuracy"] == 37.5 and res["metrics"]["macro_accuracy"] == 37.5
    assert res["n_unparsed"] == 10  # the empty replies: right, but nothing read
    sub = aggregate([("T1", "A", "A"), ("T1", "A", "A"), ("T1", "B", "A"), ("T2", "B", "A")])
    assert sub["metrics"]["accuracy"] == 50.0 and sub["metrics"]["macro_accuracy"] == pytest.approx(100 / 3)


def test_prompt_is_the_notebooks():
    assert question_text("Q?", ["x ", "y  "]) == "Question: Q?\nOptions:\n(A) x \n(B) y"  # trailing space removed
    task = MVBench()
    s = task.load("sample").samples[0]
    req = task.build_request(s, None)
    assert req.system == SYSTEM and req.assistant_prefix == "Best option:(" and req.max_new_tokens == 100
    assert req.parts[1] == (SYSTEM + "\nQuestion: What happened after the person took the box?\nOptions:\n"
                            "(A) Put down the box.\n(B) Opened the door.\n(C) Put down the box.\n(D) Sat on the bed.\n"
                            "Only give the best option.")
    assert req.parts[1] == prompt_text(s.fields["question"], s.choices) and req.choices == ("A", "B", "C", "D")


# --- the bundled sample (release layout) ---------------------------------------------------------

def test_sample_ids_golds_clips_and_frame_folders():
    data = MVBench().load("sample")
    assert data.layout == "hf-main"
    s = {x.id: x for x in data.samples}
    assert list(s) == ["action_sequence_0", "action_sequence_1", "action_antonym_0", "action_antonym_1",
                       "moving_count_0", "moving_count_1", "episodic_reasoning_0", "episodic_reasoning_1"]
    assert s["action_sequence_0"].target == "C"  # the answer is candidates A and C: the last wins
    assert s["moving_count_1"].target == "@" and s["moving_count_1"].fields["gold_in_candidates"] is False
    assert s["action_sequence_0"].clip == (2.0, 6.5) and s["action_sequence_0"].frame_rate is None
    assert s["action_sequence_0"].cluster == s["action_sequence_1"].cluster == "star/Charades_v1_480/SMPL1"
    assert s["action_antonym_0"].clip is None and s["action_antonym_0"].video.suffix == ".webm"
    er = s["episodic_reasoning_0"]
    assert er.video.is_dir() and er.frame_rate == 3.0 and er.clip == (2.0, 7.5)
    assert er.fields["task"] == "Episodic Reasoning"


def test_a_bounded_clip_and_a_frame_folder_are_sampled_within_their_bounds():
    s = {x.id: x for x in MVBench().load("sample").samples}
    clip = read_video(s["action_sequence_1"].video_source, SamplingSpec(UniformFrames(4)))
    assert clip.clip_first == 22 and clip.indices[-1] == 40  # frames at 5.5 s .. 10.0 s of 5.3 .. 10.0 at 4 fps
    frames = read_video(s["episodic_reasoning_0"].video_source, SamplingSpec(UniformFrames(4)))
    assert frames.backend == "images" and frames.clip_first == 6 and frames.indices[-1] == 22  # files 00007..00023


def test_pyav_reads_gif_sources(tmp_path):
    import numpy as np
    from PIL import Image

    pics = [Image.fromarray(np.full((16, 24, 3), 20 * k, np.uint8)) for k in range(10)]
    pics[0].save(tmp_path / "a.gif", save_all=True, append_images=pics[1:], duration=40, loop=0)
    sv = read_video(tmp_path / "a.gif", SamplingSpec(UniformFrames(4)))
    assert sv.indices == [0, 3, 6, 9] and [int(f[0, 0, 0]) for f in sv.frames] == [0, 60, 120, 180]


def sample_copy(tmp_path):
    root = tmp_path / "release"
    shutil.copytree(SAMPLE, root)
    return root


def edit(root, key, change):
    path = root / "json" / f"{key}.json"
    path.write_text(json.dumps(change(json.loads(path.read_text()))))


def test_malformed_annotations_are_named(tmp_path):
    root = sample_copy(tmp_path)
    edit(root, "moving_count", lambda rows: [rows[0], {k: v for k, v in rows[1].items() if k != "candidates"}])
    with pytest.raises(DataError, match=r"moving_count.json record 1: missing field 'candidates'"):
        MVBench().load(str(root))
    root = sample_copy(tmp_path / "b")
    edit(root, "action_sequence", lambda rows: [{k: v for k, v in rows[0].items() if k != "end"}])
    with pytest.raises(DataError, match=r"action_sequence.json record 0: Action Sequence shows start..end"):
        MVBench().load(str(root))
    root = sample_copy(tmp_path / "c")
    edit(root, "moving_count", lambda rows: [{**rows[0], "answer": ""}])
    with pytest.raises(DataError, match=r"record 0: field 'answer' is empty"):
        MVBench().load(str(root))
    root = sample_copy(tmp_path / "d")
    (root / "json" / "state_change.json").unlink()
    with pytest.raises(DataError, match=r"json/state_change.json not found"):
        MVBench().load(str(root))


def test_a_file_named_with_its_own_bounds_is_never_cut_again(tmp_path):
    assert precut("SMPL1_2.0_6.5.mp4", 2.0, 6.5) and precut("x_1.2999999999999998_15.4.mp4", 1.3, 15.4)
    assert not precut("SMPL1.mp4", 2.0, 6.5) and not precut("SMPL1_2.0_6.5.mp4", 2.0, 7.0)
    root = sample_copy(tmp_path)
    edit(root, "action_sequence", lambda rows: [{**rows[0], "video": "SMPL1_2.0_6.5.mp4"}])
    s = MVBench().load(str(root)).samples[0]
    assert s.clip is None and s.cluster == "star/Charades_v1_480/SMPL1"


# --- the other layouts ---------------------------------------------------------------------------

def same_samples(task, loaded, native):
    """Ids, golds, options, clusters and prompts agree; every sample's media is there."""
    for attr in ("id", "target", "choices", "cluster"):
        assert [getattr(s, attr) for s in loaded.samples] == [getattr(s, attr) for s in native.samples], attr
    assert [task.build_request(s, None).text for s in loaded.samples] == \
        [task.build_request(s, None).text for s in native.samples]
    assert all(s.video.is_dir() if s.frame_rate else s.video.is_file() for s in loaded.samples)


def video_branch(tmp_path):
    """The HF repo at revision 'video': the same json with the bounded tasks' clips cut in advance
    (named <source>_<start>_<end>.mp4, TVQA as mp4 segments) and SSv2 as mp4."""
    build = tmp_path / "build"
    files = {}
    for spec in SPECS:
        rows = json.loads((SAMPLE / "json" / f"{spec.key}.json").read_text())
        for row in rows:
            if spec.bounded:
                stem = Path(row["video"]).stem if row["video"].endswith(".mp4") else row["video"]
                row["video"] = f"{stem}_{row['start']}_{row['end']}.mp4"
                path = build / spec.segment / row["video"]
                if not path.exists():
                    write_video(path, n_frames=int((row["end"] - row["start"]) * 4), fps=4, size=(32, 48))
            elif spec.key == "action_antonym":
                row["video"] = row["video"].replace(".webm", ".mp4")
                write_video(build / spec.segment / row["video"], n_frames=12, fps=4, size=(32, 48))
            else:
                (build / spec.segment).mkdir(parents=True, exist_ok=True)
                shutil.copy(SAMPLE / "video" / spec.source / row["video"], build / spec.segment / row["video"])
            files[f"{spec.segment}/{row['video']}"] = build / spec.segment / row["video"]
        (build / "json").mkdir(parents=True, exist_ok=True)
        (build / "json" / f"{spec.key}.json").write_text(json.dumps(rows))
        files[f"json/{spec.key}.json"] = build / "json" / f"{spec.key}.json"
    (build / "test.json").write_text(json.dumps({"root": {}, "meta": {}}))
    files["test.json"] = build / "test.json"
    return files


def test_the_hf_video_branch_in_the_hub_cache_loads_pre_cut_clips_uncut(tmp_path, monkeypatch):
    import os

    hf_home = Path(os.environ["HF_HOME"])
    snap = hub_snapshot(hf_home, "OpenGVLab/MVBench", "f" * 40, video_branch(tmp_path))
    (hf_home / "mvbench_video").symlink_to(snap)  # lmms-eval's create_link
    task = MVBench()
    loaded = task.load(None)
    assert loaded.layout == "hf-video" and loaded.located.how == "hub cache" and loaded.located.revision == "f" * 40
    assert loaded.located.media == hf_home / "mvbench_video"
    assert all(s.clip is None and s.frame_rate is None for s in loaded.samples)  # pre-cut: bounds not applied
    er = {s.id: s for s in loaded.samples}["episodic_reasoning_0"]
    assert er.video.name == "friends_s01e01_seg01_clip_00_2.0_7.5.mp4" and er.fields["start"] == 2.0
    same_samples(task, loaded, task.load("sample"))


def test_the_video_branch_never_cuts_even_a_name_without_bounds(tmp_path):
    root = tmp_path / "video"
    for rel, src in video_branch(tmp_path).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, root / rel)
    edit(root, "action_sequence", lambda rows: [{**rows[0], "video": "other.mp4"}, rows[1]])
    s = MVBench().load(str(root)).samples[0]
    assert s.clip is None and s.video.name == "other.mp4"


def vlmevalkit_rows():
    """MVBench.tsv as VLMEvalKit's MVBench writes it from the main-branch json."""
    rows = []
    for spec in SPECS:
        for rec in json.loads((SAMPLE / "json" / f"{spec.key}.json").read_text()):
            prefix = "video/" + spec.source + "/"
            rows.append({"task_type": spec.name, "prefix": prefix, "data_type": "frame" if spec.frames else "video",
                         "bound": spec.bounded, "start": rec.get("start"), "end": rec.get("end"),
                         "video": rec["video"], "question": rec["question"], "answer": rec["answer"],
                         "candidates": str(rec["candidates"])})
    return [{**r, "index": n} for n, r in enumerate(rows)]


def test_vlmevalkit_table_loads_to_the_release_samples(tmp_path):
    root = tmp_path / "snap"
    shutil.copytree(SAMPLE / "video", root / "video")
    pd.DataFrame(vlmevalkit_rows()).to_csv(root / "MVBench.tsv", sep="\t", index=False)
    task = MVBench()
    loaded, native = task.load(str(root)), task.load("sample")
    assert loaded.layout == "vlmevalkit-tsv"
    same_samples(task, loaded, native)
    assert [(s.clip, s.frame_rate) for s in loaded.samples] == [(s.clip, s.frame_rate) for s in native.samples]
    shutil.copytree(SAMPLE / "json", root / "json")  # the snapshot's json too: both agree
    assert task.load(str(root)).also_found == ["hf-main"]


# --- end to end ------------------------------------------------------------------------------

REPLIES = {  # gold in the comment; the reply is what follows the pre-fill "Best option:("
    "action_sequence_0": "C) Put down the box.",  # C (duplicated answer: the last copy)   official 1  strict 1
    "action_sequence_1": "A",  # C                                                          0          0
    "action_antonym_0": "",  # A: an empty reply passes check_ans                           1 unparsed 0 unparsed
    "action_antonym_1": "B)\nBecause the hand moves down.",  # B (first line only)         1          1
    "moving_count_0": "The answer is C",  # C: first token "(the"                          0 unparsed 1
    "moving_count_1": "C",  # @ (the answer is no candidate)                                0          0
    "episodic_reasoning_0": "(D) To open the door.",  # D: "((d)" holds "(d)"               1          1
    "episodic_reasoning_1": "a.",  # A                                                      1          1
}


def run_replay(cli, tmp_path, jsonl, replies, name="r", *extra):
    path = jsonl(tmp_path / f"{name}.jsonl", [{"id": k, "response": v} for k, v in replies.items()])
    code, out = cli.run("--task", "mvbench", "--data", "sample", "--model", "replay",
                        "--model-args", f"responses={path}", *extra, name=name)
    assert code == 0, out
    return json.loads((cli.output / name / "results.json").read_text())["tasks"]["mvbench"]


def test_item_by_item_official_numbers(cli, tmp_path, jsonl):
    res = run_replay(cli, tmp_path, jsonl, REPLIES)
    recs = {json.loads(x)["id"]: json.loads(x)
            for x in (cli.output / "r" / "mvbench" / "predictions.jsonl").read_text().splitlines()}
    assert {k: r["score"]["official"] for k, r in recs.items()} == {
        "action_sequence_0": 1, "action_sequence_1": 0, "action_antonym_0": 1, "action_antonym_1": 1,
        "moving_count_0": 0, "moving_count_1": 0, "episodic_reasoning_0": 1, "episodic_reasoning_1": 1}
    assert res["metrics"] == {"accuracy": 62.5, "macro_accuracy": 62.5}
    assert {k: v["accuracy"] for k, v in res["breakdown"]["task"].items()} == {
        "Action Sequence": 50.0, "Action Antonym": 100.0, "Moving Count": 0.0, "Episodic Reasoning": 100.0}
    assert res["n_unparsed"] == 2 and res["denominator"] == "all"
    assert res["official_ref"]["commit"] == "71ac7a28183a3d9610ad149f19ee2195cc31c65e"
    strict = res["by_protocol"]["strict"]
    assert strict["metrics"]["accuracy"] == 62.5 and strict["n_unparsed"] == 1
    assert recs["action_antonym_0"]["score"]["strict"] == 0.0
    # a subset (--limit 7): the notebook's Avg is micro, the task mean is not
    sub = run_replay(cli, tmp_path, jsonl, REPLIES, "limited", "--limit", "7")
    assert sub["metrics"]["accuracy"] == pytest.approx(100 * 4 / 7)
    assert sub["metrics"]["macro_accuracy"] == pytest.approx((50 + 100 + 0 + 100) / 4)


def test_random_model_decodes_clips_and_frame_folders(cli):
    code, out = cli.run("--task", "mvbench", "--data", "sample", "--model", "random",
                        "--model-args", "decode=true,max_frames=4")
    assert code == 0, out
    recs = {json.loads(x)["id"]: json.loads(x)
            for x in (cli.output / "r" / "mvbench" / "predictions.jsonl").read_text().splitlines()}
    assert all(r["error"] is None for r in recs.values())
    assert recs["action_sequence_0"]["media"]["clip"] == [2.0, 6.5]
    er = recs["episodic_reasoning_0"]["media"]
    assert er["frame_folder_fps"] == 3.0 and er["clip"] == [2.0, 7.5] and er["decoder"] == "images"


def test_data_check(cli):
    code, out = cli("data", "check", "--task", "mvbench", "--data", "sample")
    assert code == 0, out
    assert "hf-main layout" in out and "8 samples" in out


def test_export_writes_the_notebooks_leaderboard_file(cli, tmp_path, jsonl):
    run_replay(cli, tmp_path, jsonl, REPLIES)
    code, out = cli("export", cli.output / "r", "--task", "mvbench", "--format", "official")
    assert code == 0, out
    folder = cli.output / "r" / "mvbench"
    board = json.loads((folder / "upload_leaderboard.json").read_text())
    assert board == {"Action Sequence": 50.0, "Action Antonym": 100.0, "Moving Count": 0.0,
                     "Episodic Reasoning": 100.0, "Avg": 62.5}
    test = json.loads((folder / "mvbench_test.json").read_text())
    assert test["acc_dict"]["Moving Count"] == [0, 2]
    assert test["res_list"][0] == {"pred": "(C) Put down the box.", "gt": "(C) Put down the box."}
    assert test["res_list"][5] == {"pred": "(C", "gt": "(@) 4"}


# --- imports ---------------------------------------------------------------------------------

def lmms_eval_prompt(rec):
    opts = "".join(f"({chr(65 + k)}) {c}\n" for k, c in enumerate(rec["candidates"]))
    return "Question:" + rec["question"] + "\nOption:\n" + opts + "Only give the best option.\n"


def lmms_eval_logs(folder, replies, keys=None, with_doc=False):
    """One *_samples_mvbench_<task>.jsonl per task as lmms-eval's tracker writes them (``doc`` and
    ``arguments`` dropped; older versions kept ``doc``)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for spec in SPECS:
        if keys is not None and spec.key not in keys:
            continue
        rows = json.loads((SAMPLE / "json" / f"{spec.key}.json").read_text())
        if not rows:
            continue
        path = folder / f"20261124_101010_samples_mvbench_{spec.key}.jsonl"
        with path.open("w") as fh:
            for doc_id, rec in enumerate(rows):
                reply = replies[f"{spec.key}_{doc_id}"]
                gt = next((chr(65 + k) for k, c in enumerate(rec["candidates"]) if c == rec["answer"]), None)
                line = {"doc_id": doc_id, "target": rec["answer"], "filtered_resps": reply, "doc_hash": "0" * 64,
                        "input": lmms_eval_prompt(rec), "token_counts": [None],
                        "mvbench_accuracy": {"pred_answer": reply, "gt_answer": gt, "score": 0}}
                if with_doc:
                    line["doc"] = rec
                    line.pop("input")
                fh.write(json.dumps(line) + "\n")
        out.append(path)
    return out


def test_lmms_eval_prompt_is_parsed_back():
    rec = json.loads((SAMPLE / "json" / "action_sequence.json").read_text())[0]
    assert parse_lmms_eval_input(lmms_eval_prompt(rec)) == (rec["question"], tuple(rec["candidates"]))
    assert parse_lmms_eval_input("What?") is None


def test_lmms_eval_logs_import_from_their_folder_or_one_file_at_a_time(cli, tmp_path, jsonl, replay_scores):
    direct = run_replay(cli, tmp_path, jsonl, REPLIES, "direct")
    logs = lmms_eval_logs(tmp_path / "logs" / "llava_vid", REPLIES)  # one file per lmms-eval task
    code, text = cli("import", "lmms-eval", tmp_path / "logs", "--task", "mvbench", "--data", "sample", "-o",
                     tmp_path / "all.jsonl")
    assert code == 0 and "8 of 8 samples" in text and "(4 logs)" in text and "not imported" not in text, text
    assert "no log for mvbench_action_prediction, " in text  # the 16 sub-tasks this sample has no questions of
    lines = []
    for log in logs:
        out = tmp_path / f"{log.stem}.replay.jsonl"
        code, text = cli("import", "lmms-eval", log, "--task", "mvbench", "--data", "sample", "-o", out)
        assert code == 0 and "2 of 8 samples" in text and "not imported" not in text, text
        lines += out.read_text().splitlines()
    assert sorted(lines) == sorted((tmp_path / "all.jsonl").read_text().splitlines())
    assert replay_scores("mvbench", tmp_path / "all.jsonl") == direct["by_protocol"]


def test_two_logs_of_one_sub_task_are_refused(tmp_path):
    from evalkit.errors import ConfigError

    lmms_eval_logs(tmp_path / "a", REPLIES, keys={"moving_count"})
    lmms_eval_logs(tmp_path / "b", REPLIES, keys={"moving_count"})
    with pytest.raises(ConfigError, match="2 lmms-eval sample logs for mvbench_moving_count"):
        import_predictions("lmms-eval", tmp_path, MVBench(), MVBench().load("sample"))


def test_older_lmms_eval_lines_with_doc_map_too(tmp_path):
    task = MVBench()
    data = task.load("sample")
    (log,) = lmms_eval_logs(tmp_path, REPLIES, keys={"moving_count"}, with_doc=True)
    got = import_predictions("lmms-eval", log, task, data)
    assert [r["id"] for r in got.rows] == ["moving_count_0", "moving_count_1"] and not got.unmapped
    assert got.by_position == 0


def test_lmms_eval_lines_of_another_data_version_are_listed_not_guessed(tmp_path):
    task = MVBench()
    (log,) = lmms_eval_logs(tmp_path, REPLIES, keys={"action_antonym"})
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    lines[1]["input"] = lines[1]["input"].replace("Lifting", "Raising")  # a question this data does not have
    log.write_text("".join(json.dumps(x) + "\n" for x in lines))
    got = import_predictions("lmms-eval", log, task, task.load("sample"))
    assert [r["id"] for r in got.rows] == ["action_antonym_0"] and len(got.unmapped) == 1


def vlmevalkit_predictions(path, replies):
    rows = vlmevalkit_rows()
    ids = [s.id for s in MVBench().load("sample").samples]
    table = pd.DataFrame([{**r, "prediction": replies[i]} for r, i in zip(rows, ids)])
    table.to_excel(path, index=False) if path.suffix == ".xlsx" else table.to_csv(path, sep="\t", index=False)
    return path


def test_vlmevalkit_predictions_import(cli, tmp_path, jsonl, replay_scores):
    direct = run_replay(cli, tmp_path, jsonl, REPLIES, "direct")
    source = vlmevalkit_predictions(tmp_path / "M_MVBench.xlsx", REPLIES)
    out = tmp_path / "imported.jsonl"
    code, text = cli("import", "vlmevalkit", source, "--task", "mvbench", "--data", "sample", "-o", out)
    assert code == 0 and "8 of 8 samples" in text and "not imported" not in text, text
    assert replay_scores("mvbench", out) == direct["by_protocol"]


def test_vlmevalkit_rows_without_usable_keys_map_by_index_in_the_release_order(tmp_path):
    task = MVBench()
    path = vlmevalkit_predictions(tmp_path / "M_MVBench.tsv", REPLIES)
    table = pd.read_csv(path, sep="\t")
    table["task_type"] = "unknown"  # no key: the index is the row of the notebook-ordered table
    table.to_csv(path, sep="\t", index=False)
    got = import_predictions("vlmevalkit", path, task, task.load("sample"))
    assert got.by_position == 8 and [r["id"] for r in got.rows] == list(REPLIES)
