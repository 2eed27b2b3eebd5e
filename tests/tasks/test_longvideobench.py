"""LongVideoBench: the official parser (lmms-eval PR #391, no random fill), the authors' subtitle
interleaving rule, the prompt, every layout, the CLI and imports from lmms-eval and VLMEvalKit.
Expected values are what the authors' code gives (research fact sheet, checked by running it)."""
import json
import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from evalkit.data import samples_root
from evalkit.errors import DataError
from evalkit.media.sampling import SamplingSpec
from evalkit.media.video import read_video
from evalkit.protocol import Parsed
from evalkit.request import ImagePart, VideoPart
from evalkit.tasks.longvideobench import (
    Cue, LongVideoBench, LongVideoBenchWithSubtitles, interleave, nominal_frame_times, official_answer, parse_cues,
)
from tests.conftest import hub_snapshot

SHA = "89abcdef0123456789abcdef0123456789abcdef"
PARQUET = "validation-00000-of-00001.parquet"
IDS = ["lvbSmpl0001_0", "lvbSmpl0001_1", "lvbSmpl0002_0", "lvbSmpl0002_1",
       "lvbSmpl0003_0", "lvbSmpl0003_1", "lvbSmpl0003_2"]
TARGETS = ["C", "A", "E", "B", "D", "B", "A"]
# replies in the upstream form, one per sample question, with what the official parser reads
REPLIES = {
    "lvbSmpl0001_0": ("Based on the video, C", "B"),  # first capital A-E anywhere: 'Based'
    "lvbSmpl0001_1": ("The best answer is: A", "A"),  # prefix removed, ': A' left
    "lvbSmpl0002_0": ("E", "E"),  # a 5-option question: right
    "lvbSmpl0002_1": ("E", "E"),  # a 4-option question: E is read, and wrong
    "lvbSmpl0003_0": ("Answer: D", "A"),  # 'Answer:' is no prefix upstream: the A of 'Answer'
    "lvbSmpl0003_1": ("c", ""),  # lower case: upstream fills a random letter; unparsed here
    "lvbSmpl0003_2": ("The correct answer is A.", "A"),
}


# --- the official parser ---------------------------------------------------------------------

@pytest.mark.parametrize("reply, expected", [
    ("B", "B"),
    ("D. A book", "D"),  # PR #391's fix: the first letter, not a match of the option text
    ("The answer is C.", "C"),
    ("Answer: D", "A"),
    ("Answer: (B)", "A"),
    ("Based on the video, C", "B"),
    ("I think it's C", "C"),  # 'I' is outside A-E
    ("The correct option is B", "B"),
    ("The best answer is: A", "A"),
    ("**C**", "C"),
    ("E", "E"),  # accepted whatever the number of options
    ("(C)", "C"),
    ("Option A", "A"),
    ("The answer: B", "B"),  # 'The answer' is removed, ': B' left
    ("The answerThe answer is D", "D"),  # every occurrence of each prefix, in list order
    ("  Best answer: E ", "E"),
    ("c", ""),  # upstream: random letter
    ("", ""),  # upstream: random letter
    ("None of the above", ""),  # no capital A-E: upstream random
    ("it is a cat that runs quickly across the yard while the dog barks loudly", ""),  # >10 words branch
    ("the answer is c", ""),  # prefixes are case-sensitive; lower-case letters never match
])
def test_official_parser_quirks(reply, expected):
    assert official_answer(reply) == expected


def record(reply, target="D", n_options=4, error=None, **fields):
    return {"id": "x", "response": reply, "target": target, "error": error,
            "fields": {"options": [f"o{i}" for i in range(n_options)], **fields}}


def test_an_unreadable_reply_is_unparsed_and_wrong_never_filled():
    official = LongVideoBench().protocol("official")
    rec = record("c", target="C")
    parsed = official.read(rec)
    assert parsed == Parsed("", 0.0)  # counted wrong, in the denominator, as upstream counts every item
    assert official.unparsed({**rec, "parsed": {"official": parsed.answer}})
    assert official.denominator.name == "all"
    strict = LongVideoBench().protocol("strict")
    assert strict.read(rec) == Parsed("C", 1.0)  # evalkit's strict reading takes a bare lower-case letter


def test_e_on_a_four_option_question_is_read_and_wrong_not_unparsed():
    official = LongVideoBench().protocol("official")
    rec = record("E", target="D")
    parsed = official.read(rec)
    assert parsed == Parsed("E", 0.0)
    assert not official.unparsed({**rec, "parsed": {"official": "E"}})  # upstream fills nothing here
    assert official.read(record("E", target="E", n_options=5)) == Parsed("E", 1.0)


def test_a_failed_sample_scores_zero_in_both_protocols():
    task = LongVideoBench()
    for p in task.protocols:
        assert p.read(record(None, error="video not found")).score == 0.0


def test_aggregation_is_micro_with_duration_and_category_breakdowns():
    """The fact sheet's run of longvideobench_aggregate_results: returned 0.66667."""
    official = LongVideoBench().protocol("official")
    rows = [("S2E", 15, "B", "B"), ("T3O", 15, "B", "C"), ("S2E", 3600, "A", "A")]
    recs = []
    for n, (cat, group, reply, gold) in enumerate(rows):
        rec = {**record(reply, target=gold, question_category=cat, duration_group=group), "id": str(n),
               "cluster": str(n)}
        parsed = official.read(rec)
        recs.append({**rec, "parsed": {"official": parsed.answer}, "score": {"official": parsed.score}})
    res = official.aggregate(recs, seed=0)
    assert round(res["metrics"]["accuracy"] / 100, 5) == 0.66667
    by_group = {k: v["accuracy"] for k, v in res["breakdown"]["duration_group"].items()}
    by_cat = {k: v["accuracy"] for k, v in res["breakdown"]["question_category"].items()}
    assert by_group == {"15": 50.0, "3600": 100.0} and by_cat == {"S2E": 100.0, "T3O": 0.0}
    assert res["official_ref"]["commit"] == "c0bc79f10e2d5b7c525ddcde4cfd962aaf26ae48"
    assert res["official_ref"]["repo"] == "EvolvingLMMs-Lab/lmms-eval"
    assert res["official_ref"]["path"] == "lmms_eval/tasks/longvideobench/utils.py"


# --- the subtitle interleaving rule ----------------------------------------------------------

def cues(*spans):
    return parse_cues([{"timestamp": [s, e], "text": t} for s, e, t in spans], "subs.json")


def test_interleave_matches_the_authors_loader():
    """Frames at 0, 10, 20, 30 s of a 40 s video (the fact sheet's case, verified upstream)."""
    subs = cues((1.0, 4.0, "s1"),  # no frame strictly inside: dropped
                (8.0, 12.0, "s2"),
                (10.0, 10.4, "s3"),  # < 1 s: widened to 9.7-10.7, which holds frame 10
                (19.0, 21.0, "s4"),  # midpoint 20: frame 20 (<= 20) goes first
                (8.0, 12.0, "s2"),  # again: no dedup
                (25.0, 29.0, "s5"))  # no frame inside: dropped
    assert interleave([0, 10, 20, 30], subs, 0, 40.0) == ([0, 1, "s2", "s3", 2, "s4", "s2", 3], 2)


def test_interleave_shifts_subtitle_times_by_the_starting_timestamp():
    subs = cues((100.0, 104.0, "early"), (108.0, 112.0, "kept"))
    # 100-104 becomes 0-4: the frame at 0 is on its edge, not strictly inside
    assert interleave([0, 10, 20, 30], subs, 100, 40.0) == ([0, 1, "kept", 2, 3], 1)


def test_an_end_that_is_not_a_float_is_the_video_duration():
    subs = parse_cues([{"timestamp": [9, 11], "text": "int end"},  # end := 40, midpoint 24.5
                       {"timestamp": [35.0, None], "text": "null end"}], "subs.json")
    assert subs == (Cue(9, None, "int end"), Cue(35.0, None, "null end"))
    assert interleave([0, 10, 20, 30], subs, 0, 40.0) == ([0, 1, 2, "int end", 3], 1)


def test_the_duration_replaces_the_end_before_the_shift():
    subs = parse_cues([{"timestamp": [110.0, None], "text": "x"}], "subs.json")
    # end := 40 then both shift by 100: -> 10 to -60, 'shorter than 1 s', widened around -25: dropped
    assert interleave([0, 10, 20, 30], subs, 100, 40.0) == ([0, 1, 2, 3], 1)


def test_clock_format_subtitles():
    subs = parse_cues([{"start": "00:00:08.000", "end": "00:00:12.000", "line": "clock"},
                       {"start": "0:1:2.5", "end": "0:1:3", "line": "loose"}], "subs.json")
    assert subs == (Cue(8.0, 12.0, "clock"), Cue(62.5, 63.0, "loose"))
    assert interleave([0, 10, 20, 30], subs, 0, 40.0) == ([0, 1, "clock", 2, 3], 1)


def test_a_frame_exactly_on_an_edge_does_not_count():
    assert interleave([5.0, 15.0], cues((15.0, 16.0, "edge")), 0, 20.0) == ([0, 1], 1)
    # a frame exactly at the midpoint goes before the subtitle
    assert interleave([5.0, 15.0], cues((14.5, 15.5, "around")), 0, 20.0) == ([0, 1, "around"], 0)


def test_nominal_frame_times_are_lmms_evals_prompt_times():
    assert nominal_frame_times(40.0) == [2.5 * i for i in range(16)]
    assert nominal_frame_times(10.7) == [float(i) for i in range(10)]
    assert nominal_frame_times(0.5) == []


@pytest.mark.parametrize("entries, problem", [
    ({"timestamp": [1.0, 2.0]}, "expected a JSON list"),
    ([{"timestamp": [1.0, 2.0], "line": "x"}], r"entry 0: field 'text' must be a string"),
    ([{"timestamp": ["1", 2.0], "text": "x"}], r"entry 0: 'timestamp' must be \[start, end\]"),
    ([{"start": "00:01", "end": "00:00:02.0", "line": "x"}], r"entry 0: '00:01' is not an 'HH:MM:SS.fff' time"),
    ([{"timestamp": [1.0, 2.0], "text": "x"}, {"start": "00:00:01.0", "line": "x"}], r"entry 1: expected"),
    (["just text"], "entry 0: expected a JSON object"),
])
def test_malformed_subtitles_name_the_entry(entries, problem):
    with pytest.raises(DataError, match=problem):
        parse_cues(entries, "subs.json")


# --- samples and prompts ---------------------------------------------------------------------

def test_the_sample_loads_with_upstream_ids_golds_and_fields():
    data = LongVideoBench().load("sample")
    assert data.layout == "hf-parquet" and data.also_found == ["release-json"]
    assert [s.id for s in data.samples] == IDS and [s.target for s in data.samples] == TARGETS
    s = data.samples[2]
    assert s.choices == ("A ball", "A book", "A chair", "A lamp", "No object, only grey")  # N/A padding dropped
    assert len(data.samples[3].choices) == 4
    assert s.cluster == "lvbSmpl0002" and s.video.name == "lvbSmpl0002.mp4" and s.video.is_file()
    assert s.fields["duration_group"] == 60 and s.fields["question_category"] == "E2O"
    assert s.fields["starting_timestamp_for_subtitles"] == 100.0 and s.fields["duration"] == 40.0
    assert s.assets == {}  # the frames-only task reads no subtitles
    assert LongVideoBenchWithSubtitles().load("sample").samples[2].assets["subtitles"].name == "lvbSmpl0002_en.json"


def test_the_prompt_is_the_authors_loader_text():
    task = LongVideoBench()
    s = task.load("sample").samples[2]
    req = task.build_request(s, None)
    assert isinstance(req.parts[0], VideoPart) and req.parts[0].path == s.video
    assert req.parts[1] == (
        "Question: Which object appears when the narrator says 'Quick.'?\n"
        "A. A ball\nB. A book\nC. A chair\nD. A lamp\nE. No object, only grey\n"
        "Answer with the option's letter from the given choices directly.")
    assert req.choices == ("A", "B", "C", "D", "E") and req.max_new_tokens == 32


def kinds(req):
    return ["F" if isinstance(p, ImagePart) else p for p in req.parts[:-1]]


def test_subtitles_go_between_the_sampled_frames():
    task = LongVideoBenchWithSubtitles()
    s = task.load("sample").samples[0]  # 12 s; frames at 1.5, 4.5, 7.5, 10.5 s
    media = read_video(s.video, SamplingSpec.paper(max_frames=4))
    assert media.timestamps == [1.5, 4.5, 7.5, 10.5]
    req = task.build_request(s, media)
    # 0-1 s holds no frame; 'Short.' (4.3-4.6 s, widened to 3.95-4.95) comes before the frame at 4.5
    # it covers (its midpoint is 4.45); the integer end reads as 12 s (midpoint 9); 11 s to the null
    # end (12 s) holds no frame; the repeated line comes again, after the last frame
    assert kinds(req) == ["F", "Today we look at grey frames.\n", "Short.\n", "F", "F",
                          "This line has an integer end.\n", "F", "Today we look at grey frames.\n"]
    frames = [p.pixels for p in req.parts if isinstance(p, ImagePart)]
    assert len(frames) == 4 and all((p == media.frames[i]).all() for i, p in enumerate(frames))
    assert req.parts[-1].startswith("Question: When the narrator says 'Short.'")
    assert req.facts == {"subtitles_shown": 4, "subtitles_dropped": 2, "subtitle_frame_times": "sampled"}


def test_clock_subtitles_are_shifted_by_the_starting_timestamp():
    task = LongVideoBenchWithSubtitles()
    s = task.load("sample").samples[2]  # 40 s, subtitles on a clock 100 s ahead; frames at 5, 15, 25, 35
    media = read_video(s.video, SamplingSpec.paper(max_frames=4))
    assert media.timestamps == [5.0, 15.0, 25.0, 35.0]
    # 2-6 s (midpoint 4) before the frame at 5; 'Quick.' 12.25-12.75 -> 12-13: no frame; 25-26 s starts
    # on the frame at 25: dropped; 33.5-37 s holds 35 and follows it; the line before the clip: dropped
    assert kinds(task.build_request(s, media)) == ["Second video, first line.\n", "F", "F", "F", "F",
                                                   "Near the end.\n"]


def test_without_pixels_the_structure_uses_lmms_evals_frame_times():
    task = LongVideoBenchWithSubtitles()
    s = task.load("sample").samples[2]  # nominal times 0, 2.5, ..., 37.5
    req = task.build_request(s, None)
    assert all(p.pixels is None for p in req.parts if isinstance(p, ImagePart))
    assert kinds(req) == ["F", "F", "Second video, first line.\n", "F", "F", "F", "F", "Quick.\n",
                          *["F"] * 9, "Near the end.\n", "F"]
    assert req.text == task.build_request(s, None).text  # what the content fingerprint hashes
    assert req.facts["subtitle_frame_times"] == "nominal (16)"
    # as lmms-eval's longvideobench_val_i prompt text: "<image>" and subtitle lines joined by newlines
    lmms = "\n".join("<image>" if isinstance(p, ImagePart) else p.rstrip("\n") for p in req.parts[:-1])
    assert lmms.startswith("<image>\n<image>\nSecond video, first line.\n<image>")


def test_the_subtitle_task_has_its_own_fingerprint():
    plain, subs = LongVideoBench(), LongVideoBenchWithSubtitles()
    assert plain.content_fingerprint(plain.load("sample")) != subs.content_fingerprint(subs.load("sample"))


# --- layouts ---------------------------------------------------------------------------------

def copy_sample(dst, *, json_file=True, parquet=True):
    src = samples_root() / "longvideobench"
    dst.mkdir(parents=True, exist_ok=True)
    shutil.copytree(src / "videos", dst / "videos")
    shutil.copytree(src / "subtitles", dst / "subtitles")
    if json_file:
        shutil.copy(src / "lvb_val.json", dst / "lvb_val.json")
    if parquet:
        shutil.copy(src / PARQUET, dst / PARQUET)
    return dst


def vlmevalkit_tsv(lvb_val, out):
    """LongVideoBench.tsv as VLMEvalKit's prepare_dataset writes it from lvb_val.json."""
    df = pd.read_json(lvb_val)
    df["index"] = range(len(df))
    df["video"] = df["video_id"]
    df["video_path"] = [f"./videos/{p}" for p in df["video_path"]]
    df["candidates"] = [str(list(c)) for c in df["candidates"]]
    df.to_csv(out, sep="\t", index=False)
    return out


@pytest.mark.parametrize("task_class", [LongVideoBench, LongVideoBenchWithSubtitles])
def test_the_authors_json_alone_loads_to_the_same_samples(tmp_path, same_as, task_class):
    task = task_class()
    loaded = task.load(str(copy_sample(tmp_path / "lvb", parquet=False)))
    assert loaded.layout == "release-json"
    same_as(task, loaded, task.load("sample"))


@pytest.mark.parametrize("task_class", [LongVideoBench, LongVideoBenchWithSubtitles])
def test_the_parquet_alone_loads_to_the_same_samples(tmp_path, same_as, task_class):
    task = task_class()
    loaded = task.load(str(copy_sample(tmp_path / "lvb", json_file=False)))
    assert loaded.layout == "hf-parquet" and loaded.also_found == []
    same_as(task, loaded, task.load("sample"))


def test_vlmevalkits_table_loads_to_the_same_samples(tmp_path, same_as):
    root = copy_sample(tmp_path / "snap")
    vlmevalkit_tsv(root / "lvb_val.json", root / "LongVideoBench.tsv")
    task = LongVideoBenchWithSubtitles()
    both = task.load(str(root))
    assert both.layout == "hf-parquet" and both.also_found == ["release-json", "vlmevalkit-tsv"]
    tsv = task.load(str(root / "LongVideoBench.tsv"))
    assert tsv.layout == "vlmevalkit-tsv"
    same_as(task, tsv, task.load("sample"))
    assert [s.fields for s in tsv.samples] == [s.fields for s in both.samples]


def test_an_lmms_eval_download_is_found_without_data(tmp_path, monkeypatch, same_as):
    """The snapshot in the hub cache, videos and subtitles untarred into $HF_HOME/datasets/longvideobench."""
    src = samples_root() / "longvideobench"
    home = tmp_path / "hf"
    hub_snapshot(home, "longvideobench/LongVideoBench", SHA,
                 {"lvb_val.json": src / "lvb_val.json", PARQUET: src / PARQUET})
    copy_sample(home / "datasets" / "longvideobench", json_file=False, parquet=False)
    monkeypatch.setenv("HF_HOME", str(home))
    task = LongVideoBenchWithSubtitles()
    found = task.load(None)
    same_as(task, found, task.load("sample"))
    loc = found.located
    assert (loc.how, loc.repo, loc.revision) == ("hub cache", "longvideobench/LongVideoBench", SHA)
    assert loc.media == home / "datasets" / "longvideobench"
    assert all(s.assets["subtitles"].is_relative_to(loc.media) for s in found.samples)
    assert task.describe(found)["dataset_revision"] == SHA


def test_lmms_evals_older_cache_folder_is_found_too(tmp_path, monkeypatch):
    src = samples_root() / "longvideobench"
    home = tmp_path / "hf"
    hub_snapshot(home, "longvideobench/LongVideoBench", SHA, {PARQUET: src / PARQUET})
    copy_sample(home / "longvideobench", json_file=False, parquet=False)  # cache_dir at PR #391
    monkeypatch.setenv("HF_HOME", str(home))
    found = LongVideoBench().load(None)
    assert found.located.media == home / "longvideobench" and found.samples[0].video.is_file()


def test_no_local_copy_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(DataError, match="huggingface-cli download longvideobench/LongVideoBench"):
        LongVideoBench().load(None)


def edit_json(root, mutate):
    path = root / "lvb_val.json"
    path.write_text(json.dumps(mutate(json.loads(path.read_text()))))


def test_a_malformed_record_names_file_and_record(tmp_path):
    root = copy_sample(tmp_path / "lvb", parquet=False)

    def drop(rows):
        del rows[3]["candidates"]
        return rows

    edit_json(root, drop)
    with pytest.raises(DataError, match=r"lvb_val.json record 3 \(id 'lvbSmpl0002_1'\): missing field\(s\) 'candidates'"):
        LongVideoBench().load(str(root))


@pytest.mark.parametrize("key, value, problem", [
    ("correct_choice", 4, "correct_choice 4 is not an index of its 4 candidates"),
    ("correct_choice", "two", "field 'correct_choice' must be a number"),
    ("candidates", ["only one"], "field 'candidates' must be a list of 2 to 5 strings"),
    ("duration", -1, "field 'duration' must be positive"),
    ("video_path", "../../etc/passwd", "escapes the dataset root"),
])
def test_bad_fields_are_named(tmp_path, key, value, problem):
    root = copy_sample(tmp_path / "lvb", parquet=False)

    def bad(rows):
        rows[1][key] = value
        return rows

    edit_json(root, bad)
    with pytest.raises(DataError, match=problem):
        LongVideoBench().load(str(root))


def test_a_duplicate_id_is_refused(tmp_path):
    root = copy_sample(tmp_path / "lvb", parquet=False)
    edit_json(root, lambda rows: rows + [rows[0]])
    with pytest.raises(DataError, match="id 'lvbSmpl0001_0' appears twice"):
        LongVideoBench().load(str(root))


def test_a_parquet_option_after_na_is_refused(tmp_path):
    root = copy_sample(tmp_path / "lvb", json_file=False)
    rows = pq.read_table(root / PARQUET).to_pylist()
    rows[0]["option2"] = "N/A"  # then option3 follows it: lmms-eval's letters and prompt would disagree
    pq.write_table(pa.Table.from_pylist(rows), root / PARQUET)
    with pytest.raises(DataError, match=r"row 0 \(id 'lvbSmpl0001_0'\): an option follows an 'N/A' one"):
        LongVideoBench().load(str(root))


def test_json_and_parquet_that_disagree_are_refused(tmp_path):
    root = copy_sample(tmp_path / "lvb")

    def regold(rows):
        rows[0]["correct_choice"] = 0
        return rows

    edit_json(root, regold)
    with pytest.raises(DataError, match="two layouts that disagree.*sample 'lvbSmpl0001_0'"):
        LongVideoBench().load(str(root))


def test_a_malformed_subtitle_file_fails_the_load_naming_the_entry(tmp_path):
    root = copy_sample(tmp_path / "lvb")
    (root / "subtitles" / "lvbSmpl0002_en.json").write_text(json.dumps([{"start": "00:00:01.0", "end": "x",
                                                                         "line": "a"}]))
    with pytest.raises(DataError, match=r"lvbSmpl0002_en.json entry 0: 'x' is not an 'HH:MM:SS.fff' time"):
        LongVideoBenchWithSubtitles().load(str(root))
    assert len(LongVideoBench().load(str(root)).samples) == 7  # the frames-only task reads no subtitles


def test_missing_subtitles(tmp_path, cli, jsonl):
    root = copy_sample(tmp_path / "lvb")
    (root / "subtitles" / "lvbSmpl0003_en.json").unlink()
    task = LongVideoBenchWithSubtitles()
    s = task.load(str(root)).samples[4]
    req = task.build_request(s, None)
    assert req.facts["warnings"] == ["subtitle file lvbSmpl0003_en.json not found: frames only"]
    assert all(isinstance(p, ImagePart) for p in req.parts[:-1]) and len(req.parts) == 17
    code, out = cli.run("--task", "longvideobench_w_subtitle", "--data", root, "--model", "random")
    assert code == 0, out
    res = json.loads((cli.output / "r" / "results.json").read_text())["tasks"]["longvideobench_w_subtitle"]
    assert res["n_warned"] == 3
    shutil.rmtree(root / "subtitles")
    with pytest.raises(DataError, match="none of the 7 questions' subtitle files"):
        task.load(str(root))


# --- through the CLI -------------------------------------------------------------------------

def results(cli, name, task):
    return json.loads((cli.output / name / "results.json").read_text())["tasks"][task]


def predictions(cli, name, task):
    return [json.loads(x) for x in (cli.output / name / task / "predictions.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("task", ["longvideobench", "longvideobench_w_subtitle"])
def test_official_numbers_item_by_item(cli, tmp_path, jsonl, task):
    rows = [{"id": k, "response": reply} for k, (reply, _) in REPLIES.items()]
    code, out = cli.run("--task", task, "--data", "sample", "--model", "replay",
                        "--model-args", f"responses={jsonl(tmp_path / 'r.jsonl', rows)}")
    assert code == 0, out
    recs = {r["id"]: r for r in predictions(cli, "r", task)}
    assert {k: r["parsed"]["official"] for k, r in recs.items()} == {k: v for k, (_, v) in REPLIES.items()}
    assert [recs[k]["score"]["official"] for k in IDS] == [0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 1.0]
    res = results(cli, "r", task)
    assert res["headline"] == "official" and res["metrics"]["accuracy"] == pytest.approx(100 * 3 / 7)
    assert (res["n"], res["n_scored"], res["n_unparsed"], res["n_failed"]) == (7, 7, 1, 0)
    assert res["denominator"] == "all" and res["averaging"] == "micro"
    groups = {k: (v["n_correct"], v["n"]) for k, v in res["breakdown"]["duration_group"].items()}
    assert groups == {"15": (1, 2), "60": (1, 2), "600": (1, 3)}
    cats = {k: v["accuracy"] for k, v in res["breakdown"]["question_category"].items()}
    assert cats == {"S2E": 0.0, "T3O": 100.0, "E2O": 100.0, "O3O": 0.0, "SSS": 0.0, "TOS": 0.0, "S2A": 100.0}
    assert res["official_ref"]["commit"] == "c0bc79f10e2d5b7c525ddcde4cfd962aaf26ae48"
    strict = res["by_protocol"]["strict"]
    assert strict["n_unparsed"] >= 1 and strict["denominator"] == "all"


@pytest.mark.parametrize("task", ["longvideobench", "longvideobench_w_subtitle"])
def test_a_random_run_decodes_the_sample(cli, task):
    code, out = cli.run("--task", task, "--data", "sample", "--model", "random",
                        "--model-args", "decode=true,max_frames=4")
    assert code == 0, out
    res = results(cli, "r", task)
    assert res["n"] == 7 and res["n_failed"] == 0 and res["complete"]
    recs = predictions(cli, "r", task)
    assert all(r["media"]["n_frames"] == 4 for r in recs)
    if task == "longvideobench_w_subtitle":
        assert recs[0]["prompt"]["subtitle_frame_times"] == "sampled"
        assert recs[0]["prompt"]["subtitles_shown"] == 4


def test_data_check(cli):
    code, out = cli("data", "check", "--task", "longvideobench,longvideobench_w_subtitle", "--data", "sample")
    assert code == 0, out
    assert "longvideobench: hf-parquet layout (bundled sample), 7 samples, 3 videos: all present" in out
    assert "longvideobench_w_subtitle: hf-parquet layout (bundled sample), 7 samples, 3 videos: all present" in out


# --- imports from other harnesses ------------------------------------------------------------

def lmms_eval_log(folder, task_name):
    """<output>/<model>/<date>_samples_<task>.jsonl as lmms-eval logs longvideobench_val_{v,i}."""
    rows = pq.read_table(samples_root() / "longvideobench" / PARQUET).to_pylist()
    path = folder / "llava_onevision" / f"20261124_101010_samples_{task_name}.jsonl"
    path.parent.mkdir(parents=True)
    with path.open("w") as fh:
        for doc_id, row in enumerate(rows):
            reply = REPLIES[row["id"]][0]
            line = {"doc_id": doc_id, "target": row["correct_choice"], "arguments": [], "resps": [[reply]],
                    "filtered_resps": [reply], "doc_hash": "0" * 64, "input": "...",
                    "lvb_acc": {"id": row["id"], "duration_group": row["duration_group"],
                                "question_category": row["question_category"],
                                "answer": chr(65 + row["correct_choice"]), "parsed_pred": "A"},
                    "submission": {row["id"]: reply}}
            fh.write(json.dumps(line) + "\n")
    return path


def vlmevalkit_predictions(path):
    """<model>_LongVideoBench_8frame.xlsx: the dataset table's columns plus prediction."""
    table = pd.read_csv(vlmevalkit_tsv(samples_root() / "longvideobench" / "lvb_val.json",
                                       path.with_suffix(".tsv.src")), sep="\t")
    table = table.sample(frac=1, random_state=0)  # rows map by id, whatever their order
    table["prediction"] = [REPLIES[i][0] for i in table["id"]]
    table.to_excel(path, index=False)
    return path


@pytest.mark.parametrize("harness", ["lmms-eval", "vlmevalkit"])
@pytest.mark.parametrize("task", ["longvideobench", "longvideobench_w_subtitle"])
def test_imported_predictions_score_as_the_replies_themselves(cli, tmp_path, jsonl, harness, task):
    direct = jsonl(tmp_path / "direct.jsonl", [{"id": k, "response": v} for k, (v, _) in REPLIES.items()])
    assert cli.run("--task", task, "--data", "sample", "--model", "replay", "--model-args",
                   f"responses={direct}", name="direct")[0] == 0
    lmms_task = "longvideobench_val_v" if task == "longvideobench" else "longvideobench_val_i"
    source = lmms_eval_log(tmp_path / "logs", lmms_task).parent.parent if harness == "lmms-eval" \
        else vlmevalkit_predictions(tmp_path / "M_LongVideoBench_8frame.xlsx")
    out = tmp_path / "imported.jsonl"
    code, text = cli("import", harness, source, "--task", task, "--data", "sample", "-o", out)
    assert code == 0 and "7 of 7 samples" in text and "not imported" not in text, text
    assert cli.run("--task", task, "--data", "sample", "--model", "replay", "--model-args",
                   f"responses={out}", name="imported")[0] == 0
    assert results(cli, "imported", task)["by_protocol"] == results(cli, "direct", task)["by_protocol"]


def test_lmms_eval_keys():
    task = LongVideoBench()
    assert task.lmms_eval_key({"lvb_acc": {"id": "v_1"}}) == ("id", "v_1")
    assert task.lmms_eval_key({"submission": {"v_2": "B"}}) == ("id", "v_2")  # the test tasks' logs
    assert task.lmms_eval_key({"doc_id": 0}) is None
    assert task.vlmevalkit_key({"id": "v_1", "index": 0}) == ("id", "v_1")
