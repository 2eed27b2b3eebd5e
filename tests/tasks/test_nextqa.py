"""NExT-QA multiple choice: eval_mc.py's accuracy (TP counted as TN, micro types, families and
overall), lmms-eval's reader without its random fill, both layouts, export, import."""
import csv
import json
import shutil

import pytest

from evalkit.data import samples_root
from evalkit.errors import DataError
from evalkit.importers import import_predictions
from evalkit.tasks.nextqa import NExTQA, lmms_eval_prompt, official_answer
from tests.conftest import hub_snapshot

OPTIONS = ["roll the handle", "tap their feet", "strum the string", "hit with sticks", "pat with hand"]
SHA = "0123456789abcdef0123456789abcdef01234567"
TYPES = ("CW", "CH", "TN", "TC", "DC", "DL", "DO")


def eval_mc(rows, results):
    """What the authors' eval_mc.py computes from an annotation table and a results file
    {"<video>_<qid>": {"prediction", "answer"}}: per type (TP merged into TN), per family (the
    type's first letter) and overall, each sum(correct) / sum(count), in percent. The gold is the
    results file's "answer"; values are compared with ==; a missing key raises KeyError."""
    keys = {t: [] for t in TYPES}
    for row in rows:
        t = "TN" if row["type"] == "TP" else row["type"]
        keys[t].append(f"{row['video']}_{row['qid']}")
    right, count = {}, {}
    for t, ks in keys.items():
        right[t] = sum(1 for k in ks if results[k]["answer"] == results[k]["prediction"])
        count[t] = len(ks)
    for fam in "CTD":
        right[fam] = sum(v for t, v in list(right.items()) if len(t) == 2 and t[0] == fam)
        count[fam] = sum(v for t, v in list(count.items()) if len(t) == 2 and t[0] == fam)
    out = {t: 100.0 * right[t] / count[t] for t in right}
    out["Acc"] = 100.0 * sum(right[t] for t in TYPES) / sum(count[t] for t in TYPES)
    return out


def sample_rows():
    with (samples_root() / "nextqa" / "val.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def scored(task, samples, responses):
    """Records of ``samples`` with ``responses`` read by every protocol of ``task``."""
    recs = []
    for s in samples:
        r = {"id": s.id, "target": s.target, "response": responses[s.id], "error": None,
             "fields": s.record_fields(), "cluster": s.cluster, "parsed": {}, "score": {}}
        for p in task.protocols:
            got = p.read(r)
            r["parsed"][p.name], r["score"][p.name] = got.answer, got.score
        recs.append(r)
    return recs


# --- the reader: lmms-eval's parse_multi_choice_response, '' where it would pick at random -----

@pytest.mark.parametrize("reply, letter", [
    ("A", "A"), ("A.", "A"), ("(C)", "C"), ("C. strum the string", "C"), ("The answer is C", "C"), ("E", "E"),
    ("A B", "B"),  # several letters: the last one
    ("(A) or (C)", "C"),
    ("I think B because A is wrong.", "A"),  # the last " X "
    ("they strum the string with fingers here", "C"),  # more than 5 words: option text
    ("strum the string", ""),  # 5 words or fewer, no letter: lmms-eval picks at random
    ("c", ""),  # lower-case letters are not read
    ("", ""),
    ("Answer: D", "D"),
    ("I SEE", "E"),  # an upper-case word ending in an option letter reads as that option
    ("THE END", "D"),  # "E " and "D " found, neither written " X ": all positions -1, the first wins
    ("D)", ""),  # neither "(D)", "D " nor "D.": lmms-eval picks at random
    ("(A.B.)", "A"),  # found only as "X.": " X " is nowhere, so every position is -1 and the first wins
    ("(B) because (D) is wrong", "D"),
])
def test_reader_is_lmms_eval_s_without_the_random_fill(reply, letter):
    assert official_answer(reply, OPTIONS) == letter


def test_option_text_matched_twice_takes_the_first_of_equal_positions():
    # DC question of the sample: "two" is option B and option E (neither the gold)
    assert official_answer("I think there are exactly two levels here", ["one", "two", "three", "sixteen", "two"]) == "B"


# --- data -----------------------------------------------------------------------------------

def test_sample_loads_with_upstream_keys_types_and_families():
    data = NExTQA().load("sample")
    samples = {s.id: s for s in data.samples}
    assert list(samples) == ["2400000001_0", "2400000001_3", "2400000001_4", "2400000001_7", "2400000002_1",
                             "2400000002_2", "2400000002_5", "2400000003_0", "2400000003_6", "2400000003_8"]
    tp = samples["2400000001_7"]
    assert (tp.target, tp.fields["type"], tp.fields["qtype"], tp.fields["family"]) == ("B", "TP", "TN", "T")
    assert tp.cluster == "2400000001" and tp.fields["split"] == "val" and tp.fields["qid"] == 7
    assert tp.video == data.located.root / "NExTVideo" / "0007" / "2400000001.mp4"  # via map_vid_vidorID.json
    assert samples["2400000003_0"].choices[3] == "grey"  # "grey   " in the csv: stripped, as lmms-eval does
    assert {s.fields["qtype"] for s in data.samples} == set(TYPES)
    assert data.layout == "release-csv" and [f.name for f in data.files] == ["val.csv", "map_vid_vidorID.json"]
    assert NExTQA().describe(data)["layout"]["split"] == "val"


def test_prompt_is_lmms_eval_s_with_the_letter_instruction():
    task = NExTQA()
    s = task.load("sample").samples[7]
    assert task.build_request(s, None).parts[1] == (
        "what colour are the frames\nA. red\nB. green\nC. blue\nD. grey\nE. yellow\n"
        "Answer with the option's letter from the given choices directly.")
    assert lmms_eval_prompt(" q ", ["x ", "y"]) == "q\nA. x\nB. y"


def copy_sample(tmp_path):
    root = tmp_path / "nextqa"
    shutil.copytree(samples_root() / "nextqa", root)
    return root


def rewrite_csv(path, mutate):
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows = mutate(rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.parametrize("mutate, message", [
    (lambda rows: [{**r, "type": "DB"} if i == 2 else r for i, r in enumerate(rows)],
     r"val.csv row 4: field 'type' must be one of CW, CH, TN, TP, TC, DC, DL, DO \(eval_mc's\), got 'DB'"),
    (lambda rows: [{**r, "answer": "5"} if i == 0 else r for i, r in enumerate(rows)],
     r"val.csv row 2: field 'answer' must be an option index 0-4, got 5"),
    (lambda rows: [{**r, "qid": "x"} if i == 1 else r for i, r in enumerate(rows)],
     r"val.csv row 3: field 'qid' must be a whole number, got 'x'"),
    (lambda rows: rows + [rows[0]], r"val.csv row 12: question '2400000001_0' \(video_qid\) appears twice"),
    (lambda rows: [{k: v for k, v in r.items() if k != "a4"} for r in rows], r"val.csv: missing column\(s\) a4"),
])
def test_malformed_annotations_name_file_and_row(tmp_path, mutate, message):
    root = copy_sample(tmp_path)
    rewrite_csv(root / "val.csv", mutate)
    with pytest.raises(DataError, match=message):
        NExTQA().load(str(root))


def test_the_release_test_split_is_read_where_only_it_is_present_or_named(tmp_path):
    root = copy_sample(tmp_path)
    shutil.copy(root / "val.csv", root / "test.csv")
    assert {s.fields["split"] for s in NExTQA().load(str(root)).samples} == {"val"}  # val.csv first
    named = NExTQA().load(str(root / "test.csv"))
    assert {s.fields["split"] for s in named.samples} == {"test"} and named.files[0].name == "test.csv"
    (root / "val.csv").unlink()
    assert NExTQA().describe(NExTQA().load(str(root)))["layout"]["split"] == "test"
    (root / "test.csv").rename(root / "train.csv")
    with pytest.raises(DataError, match="no val.csv or test.csv"):
        NExTQA().load(str(root))


def lmms_eval_copy(root, sample_dir):
    """The HF snapshot lmms-eval reads: MC/test-*.parquet (the csv's columns, numbers as ints),
    and its unzipped videos flat in <HF_HOME>/nextqa/NExTVideo/<video>.mp4."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    ints = ("video", "frame_count", "width", "height", "answer", "qid")
    rows = [{k: int(v) if k in ints else v for k, v in r.items()} for r in sample_rows()]
    parquet = root / "snapshot" / "MC" / "test-00000-of-00001.parquet"
    parquet.parent.mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), parquet)
    videos = root / "videos" / "NExTVideo"
    videos.mkdir(parents=True)
    for clip in (sample_dir / "NExTVideo").rglob("*.mp4"):
        shutil.copy(clip, videos / clip.name)
    return parquet, root / "videos"


def test_the_lmms_eval_parquet_loads_to_the_release_samples(tmp_path, same_as):
    parquet, media = lmms_eval_copy(tmp_path, samples_root() / "nextqa")
    task = NExTQA()
    loaded = task.load(str(tmp_path / "snapshot"), media=str(media))
    assert loaded.layout == "hf-parquet"
    same_as(task, loaded, task.load("sample"))
    assert {s.fields["split"] for s in loaded.samples} == {"test"}  # lmms-eval's MC config is the test split
    assert loaded.samples[0].video == media / "NExTVideo" / "2400000001.mp4"


def test_an_lmms_eval_download_is_found_without_data(tmp_path, monkeypatch, same_as):
    parquet, media = lmms_eval_copy(tmp_path / "src", samples_root() / "nextqa")
    home = tmp_path / "hf"
    hub_snapshot(home, "lmms-eval/NExTQA", SHA, {"MC/test-00000-of-00001.parquet": parquet})
    shutil.copytree(media, home / "nextqa")
    monkeypatch.setenv("HF_HOME", str(home))
    task = NExTQA()
    found = task.load(None)
    same_as(task, found, task.load("sample"))
    assert (found.located.how, found.located.repo, found.located.revision) == ("hub cache", "lmms-eval/NExTQA", SHA)
    assert found.located.media == home / "nextqa"
    assert task.describe(found)["layout"]["split"] == "test"


def test_no_local_copy_names_both_hub_repos(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(DataError, match="repos tried: lmms-eval/NExTQA, lmms-lab/NExTQA"):
        NExTQA().load(None)


# --- official numbers, end to end -----------------------------------------------------------

# gold: _0 C, _3 A, _4 E, _7 B (TP), 2_1 D, 2_2 D, 2_5 A, 3_0 D, 3_6 B, 3_8 B
REPLIES = {
    "2400000001_0": "C",  # CW: right
    "2400000001_3": "a",  # CH: lower case, unread by the official reader (strict reads it)
    "2400000001_4": "(E) it becomes brighter again",  # TN: right
    "2400000001_7": "B.",  # TP: right, counted in TN and T
    "2400000002_1": "I think B because A is wrong.",  # TC: reads A, wrong (strict: unparsed)
    "2400000002_2": "I think there are exactly two levels here",  # DC: option text at B and E -> B, wrong
    "2400000002_5": "A",  # DL: right
    "2400000003_0": "the frames are all grey in this clip",  # DO: option text "grey" -> D, right
    "2400000003_6": "",  # CW: empty, unparsed (lmms-eval would pick at random)
    "2400000003_8": "(B)",  # CH: right
}


def run_replay(cli, tmp_path, jsonl, replies=REPLIES):
    rows = [{"id": k, "response": v} for k, v in replies.items()]
    code, out = cli.run("--task", "nextqa", "--data", "sample", "--model", "replay",
                        "--model-args", f"responses={jsonl(tmp_path / 'r.jsonl', rows)}")
    assert code == 0, out
    return json.loads((cli.output / "r" / "results.json").read_text())["tasks"]["nextqa"]


def test_official_numbers_item_by_item(cli, tmp_path, jsonl):
    res = run_replay(cli, tmp_path, jsonl)
    assert res["headline"] == "official" and res["official_ref"]["repo"] == "doc-doc/NExT-QA"
    assert res["official_ref"]["commit"] == "6b92588ab4496268fa1caab9414a8b998ee063c5"
    assert res["metrics"]["accuracy"] == pytest.approx(60.0)  # 6 of 10, micro
    assert (res["n"], res["n_scored"], res["n_unparsed"], res["averaging"]) == (10, 10, 2, "micro")
    qtype = {k: (v["accuracy"], v["n"]) for k, v in res["breakdown"]["qtype"].items()}
    assert qtype == {"CW": (50.0, 2), "CH": (50.0, 2), "TN": (100.0, 2), "TC": (0.0, 1), "DC": (0.0, 1),
                     "DL": (100.0, 1), "DO": (100.0, 1)}
    family = {k: (v["accuracy"], v["n"]) for k, v in res["breakdown"]["family"].items()}
    assert family == {"C": (50.0, 4), "T": (pytest.approx(200 / 3), 3), "D": (pytest.approx(200 / 3), 3)}
    strict = res["by_protocol"]["strict"]
    assert strict["metrics"]["accuracy"] == pytest.approx(70.0) and strict["n_unparsed"] == 3


def test_export_is_eval_mc_s_input_and_scores_to_the_official_numbers(cli, tmp_path, jsonl):
    res = run_replay(cli, tmp_path, jsonl)
    code, out = cli("export", cli.output / "r", "--task", "nextqa", "--format", "official")
    assert code == 0, out
    exported = json.loads((cli.output / "r" / "nextqa" / "nextqa_eval_mc_val.json").read_text())
    assert list(exported) == list(REPLIES)
    assert exported["2400000001_7"] == {"prediction": 1, "answer": 1}
    assert exported["2400000003_6"] == {"prediction": -1, "answer": 1}  # unparsed: -1, counted wrong
    assert exported["2400000001_3"]["prediction"] == -1
    assert all(isinstance(v, int) for e in exported.values() for v in e.values())
    upstream = eval_mc(sample_rows(), exported)
    assert upstream["Acc"] == pytest.approx(res["metrics"]["accuracy"])
    for key in ("qtype", "family"):
        for group, summary in res["breakdown"][key].items():
            assert upstream[group] == pytest.approx(summary["accuracy"]), group
    # upstream compares with ==: an index held as text never matches, which is why the export writes ints
    as_text = {k: {**v, "prediction": str(v["prediction"])} for k, v in exported.items()}
    assert eval_mc(sample_rows(), as_text)["Acc"] == 0.0


def test_hga_tallies_reproduce_the_readme_row(tmp_path):
    """A synthetic val.csv with the per-type sizes of the real one (TP apart) and a results file
    in videoqa.predict's format right as often as the shipped HGA-bert-ft-h256-val.json is, per
    type: the README's HGA BERT-FT row (C 46.26, T 50.74, D 59.33, Acc 49.74) comes out, with
    TP inside TN; a macro mean over families (52.11) would not."""
    sizes = {"CW": (1924, 904), "CH": (683, 302), "TN": (895, 439), "TP": (54, 31), "TC": (663, 348),
             "DL": (295, 214), "DC": (177, 78), "DO": (305, 169)}
    rows, results = [], {}
    for t, (n, right) in sizes.items():
        for i in range(n):
            video, qid, gold = str(3000000000 + len(rows) // 10), len(rows) % 10, i % 5
            rows.append({"video": video, "frame_count": "100", "width": "64", "height": "48", "question": f"q {t} {i}",
                         "answer": str(gold), "qid": str(qid), "type": t,
                         **{f"a{k}": f"option {k}" for k in range(5)}})
            results[f"{video}_{qid}"] = {"prediction": gold if i < right else (gold + 1) % 5, "answer": gold}
    root = tmp_path / "nq"
    root.mkdir()
    with (root / "val.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    upstream = {k: round(v, 2) for k, v in eval_mc(rows, results).items()}
    assert upstream == {"CW": 46.99, "CH": 44.22, "TN": 49.53, "TC": 52.49, "DC": 44.07, "DL": 72.54, "DO": 55.41,
                        "C": 46.26, "T": 50.74, "D": 59.33, "Acc": 49.74}
    task = NExTQA()
    samples = task.load(str(root)).samples
    replies = {s.id: "ABCDE"[results[s.id]["prediction"]] for s in samples}
    res = task.official.aggregate(scored(task, samples, replies), seed=0)
    assert round(res["metrics"]["accuracy"], 2) == 49.74 and res["n_correct"] == 2485 and res["n"] == 4996
    got = {k: round(v["accuracy"], 2) for key in ("qtype", "family") for k, v in res["breakdown"][key].items()}
    assert got == {k: v for k, v in upstream.items() if k != "Acc"}
    assert res["breakdown"]["qtype"]["TN"]["n"] == 949  # 895 TN + 54 TP
    assert round(sum(got[f] for f in "CTD") / 3, 2) == 52.11  # the macro mean eval_mc does not report


# --- the CLI: model runs, data check, import --------------------------------------------------

def test_random_model_runs_on_decoded_frames(cli):
    code, out = cli.run("--task", "nextqa", "--data", "sample", "--model", "random",
                        "--model-args", "decode=true,max_frames=4")
    assert code == 0, out
    res = json.loads((cli.output / "r" / "results.json").read_text())["tasks"]["nextqa"]
    assert res["n"] == 10 and res["n_failed"] == 0 and res["n_unparsed"] == 0
    recs = [json.loads(x) for x in (cli.output / "r" / "nextqa" / "predictions.jsonl").read_text().splitlines()]
    assert [r["media"]["n_frames"] for r in recs] == [4] * 10, [r["media"] for r in recs]
    run = json.loads((cli.output / "r" / "run.json").read_text())["tasks"]["nextqa"]
    assert run["layout"]["name"] == "release-csv" and run["layout"]["split"] == "val"


def test_data_check_passes_on_the_sample(cli):
    code, out = cli("data", "check", "--task", "nextqa", "--data", "sample")
    assert code == 0, out
    assert "nextqa: release-csv layout (bundled sample), 10 samples, 3 videos: all present" in out


def lmms_eval_log(folder, samples, replies, with_input=True):
    """<output>/<model>/<date>_samples_nextqa_mc_test.jsonl as lmms-eval writes it (doc dropped;
    ``input`` is the prompt, ``target`` the gold index as text, ``exact_match`` a bool)."""
    path = folder / "llava_vid" / "20261124_101010_samples_nextqa_mc_test.jsonl"
    path.parent.mkdir(parents=True)
    lines = []
    for doc_id, s in enumerate(samples):
        line = {"doc_id": doc_id, "target": str("ABCDE".index(s.target)), "filtered_resps": replies[s.id],
                "doc_hash": "0" * 64, "token_counts": [None], "exact_match": False}
        if with_input:
            line["input"] = lmms_eval_prompt(s.fields["question"], s.choices)
        lines.append(json.dumps(line) + "\n")
    path.write_text("".join(lines))
    return path


def test_lmms_eval_logs_import_by_prompt_and_score_as_the_replies(cli, tmp_path, jsonl, replay_scores):
    direct = run_replay(cli, tmp_path, jsonl)
    samples = NExTQA().load("sample").samples
    log = lmms_eval_log(tmp_path / "logs", samples, REPLIES)
    out = tmp_path / "imported.jsonl"
    code, text = cli("import", "lmms-eval", tmp_path / "logs", "--task", "nextqa", "--data", "sample", "-o", out)
    assert code == 0 and "10 of 10 samples" in text and "not imported" not in text, text
    assert replay_scores("nextqa", out) == direct["by_protocol"]
    # without the prompt, rows map by position only when the data is lmms-eval's own parquet
    task = NExTQA()
    log.unlink()
    log = lmms_eval_log(tmp_path / "bare", samples, REPLIES, with_input=False)
    got = import_predictions("lmms-eval", log, task, task.load("sample"))
    assert got.rows == [] and len(got.unmapped) == 10
    parquet, media = lmms_eval_copy(tmp_path / "hf", samples_root() / "nextqa")
    got = import_predictions("lmms-eval", log, task, task.load(str(tmp_path / "hf" / "snapshot"), media=str(media)))
    assert got.by_position == 10 and {r["id"]: r["response"] for r in got.rows} == REPLIES
