"""evalkit import: lmms-eval sample logs and VLMEvalKit prediction tables, written here in the
shapes those harnesses write, become replay files that score as the same responses do."""
import json
import shutil

import pandas as pd
import pytest

from evalkit.data import samples_root
from evalkit.importers import import_predictions
from evalkit.tasks.tempcompass import TempCompass
from evalkit.tasks.videomme import PARQUET, VideoMME

RESPONSES = {"001-1": "C", "001-2": "The answer is A", "001-3": "A.", "002-1": "", "002-2": "B", "002-3": "I think D",
             "003-1": "(C)", "003-2": "B", "003-3": None, "004-1": "C", "004-2": "Option B", "004-3": "A"}


def lmms_eval_log(folder, task_name, responses, with_ids=True):
    """<output>/<model>/<date>_samples_<task>.jsonl as lmms-eval's evaluation tracker writes it."""
    rows = pd.read_parquet(samples_root() / "videomme" / PARQUET).to_dict("records")
    path = folder / "llava_vid" / f"20261124_101010_samples_{task_name}.jsonl"
    path.parent.mkdir(parents=True)
    with path.open("w") as fh:
        for doc_id, row in enumerate(rows):
            resp = responses[row["question_id"]]
            line = {"doc_id": doc_id, "target": row["answer"], "filtered_resps": resp, "doc_hash": "0" * 64,
                    "input": "Select the best answer...", "token_counts": [None]}
            if with_ids:
                line["videomme_perception_score"] = {"question_id": row["question_id"], "duration": row["duration"],
                                                     "category": row["domain"], "pred_answer": "",
                                                     "answer": row["answer"]}
            fh.write(json.dumps(line) + "\n")
    return path


def vlmevalkit_predictions(path, responses):
    """<model>_Video-MME.xlsx: the dataset table's columns plus prediction."""
    df = pd.read_parquet(samples_root() / "videomme" / PARQUET)
    table = pd.DataFrame({"index": range(len(df)), "video": df["videoID"], "question": df["question"],
                          "answer": df["answer"], "candidates": [str(list(o)) for o in df["options"]],
                          "prediction": [responses[q] for q in df["question_id"]]})
    table.to_excel(path, index=False) if path.suffix == ".xlsx" else table.to_csv(path, sep="\t", index=False)
    return path


def results(cli, name):
    return json.loads((cli.output / name / "results.json").read_text())["tasks"]["videomme"]["by_protocol"]


@pytest.mark.parametrize("harness", ["lmms-eval", "vlmevalkit"])
def test_imported_predictions_score_as_the_responses_themselves(cli, tmp_path, jsonl, harness):
    direct = jsonl(tmp_path / "direct.jsonl", [{"id": k, "response": v} for k, v in RESPONSES.items()])
    assert cli.run("--task", "videomme", "--data", "sample", "--model", "replay", "--model-args",
                   f"responses={direct}", name="direct")[0] == 0
    source = lmms_eval_log(tmp_path / "logs", "videomme", RESPONSES).parent.parent if harness == "lmms-eval" \
        else vlmevalkit_predictions(tmp_path / "M_Video-MME.xlsx", RESPONSES)
    out = tmp_path / "imported.jsonl"
    code, text = cli("import", harness, source, "--task", "videomme", "--data", "sample", "-o", out)
    assert code == 0 and "12 of 12 samples" in text and "not imported" not in text, text
    assert cli.run("--task", "videomme", "--data", "sample", "--model", "replay", "--model-args",
                   f"responses={out}", name="imported")[0] == 0
    assert results(cli, "imported") == results(cli, "direct")


def test_lmms_eval_lines_without_ids_map_by_position_only_in_the_parquet_order(tmp_path):
    log = lmms_eval_log(tmp_path / "logs", "videomme", RESPONSES, with_ids=False)
    task = VideoMME()
    got = import_predictions("lmms-eval", log, task, task.load("sample"))
    assert got.by_position == 12 and not got.unmapped
    assert {r["id"]: r["response"] for r in got.rows} == RESPONSES
    # read from VLMEvalKit's table instead, positions prove nothing: every row is listed
    snap = tmp_path / "snap"
    snap.mkdir()
    from tests.evalkit.test_layouts import vlmevalkit_tsv

    vlmevalkit_tsv(samples_root() / "videomme" / PARQUET, snap / "Video-MME.tsv")
    shutil.copytree(samples_root() / "videomme" / "data", snap / "video")
    got = import_predictions("lmms-eval", log, task, task.load(str(snap / "Video-MME.tsv")))
    assert got.rows == [] and len(got.unmapped) == 12 and "read in vlmevalkit-tsv" in got.unmapped[0]["reason"]


def test_a_row_whose_key_names_no_sample_is_not_mapped_by_its_position(tmp_path):
    log = lmms_eval_log(tmp_path / "logs", "videomme", RESPONSES)
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    lines[4]["videomme_perception_score"]["question_id"] = "999-9"  # another release's question at row 4
    log.write_text("".join(json.dumps(x) + "\n" for x in lines))
    task = VideoMME()
    got = import_predictions("lmms-eval", log, task, task.load("sample"))  # the parquet: positions would map
    assert got.by_position == 0 and len(got.rows) == 11
    assert "002-2" not in {r["id"] for r in got.rows}
    assert got.unmapped == [{"source": f"{log}:5", "reason": "key ('id', '999-9') names no sample of videomme"}]


def test_rows_that_name_nothing_are_listed_beside_the_output(cli, tmp_path):
    responses = dict(RESPONSES)
    path = vlmevalkit_predictions(tmp_path / "M_Video-MME.tsv", responses)
    table = pd.read_csv(path, sep="\t")
    table.loc[len(table)] = {**table.loc[0].to_dict(), "index": 99, "question": "A question Video-MME never asked?"}
    table.to_csv(path, sep="\t", index=False)
    out = tmp_path / "imported.jsonl"
    code, text = cli("import", "vlmevalkit", path, "--task", "videomme", "--data", "sample", "-o", out)
    assert code == 0 and "12 of 12 samples" in text and "1 row(s) not imported" in text
    listed = [json.loads(x) for x in (tmp_path / "imported.jsonl.unmapped.jsonl").read_text().splitlines()]
    assert listed == [{"source": f"{path} row 14", "reason": listed[0]["reason"]}]
    assert "names no sample of videomme" in listed[0]["reason"]
    assert [json.loads(x)["response"] for x in out.read_text().splitlines()][8] is None  # NaN prediction -> null


def test_tempcompass_mcq_rows_of_caption_matching_are_not_taken(tmp_path):
    task = TempCompass()
    data = task.load("sample")
    rows = [{"index": n, "task_type": "multi-choice", "video": s.cluster, "dim": s.fields["dim"],
             "question": s.fields["question"].split("\n")[0], "prediction": "B"} for n, s in enumerate(data.samples)]
    rows.append({"index": len(rows), "task_type": "caption_matching", "video": rows[0]["video"], "dim": "speed",
                 "question": rows[0]["question"], "prediction": "Caption A"})
    path = tmp_path / "M_TempCompass_MCQ.tsv"
    pd.DataFrame(rows).to_csv(path, sep="\t", index=False)
    got = import_predictions("vlmevalkit", path, task, data)
    assert [r["id"] for r in got.rows] == [s.id for s in data.samples] and len(got.unmapped) == 1


def test_several_logs_for_one_task_must_be_chosen_between(tmp_path, cli):
    lmms_eval_log(tmp_path / "a", "videomme", RESPONSES)
    lmms_eval_log(tmp_path / "b", "videomme", RESPONSES)
    code, text = cli("import", "lmms-eval", tmp_path, "--task", "videomme", "--data", "sample", "-o", tmp_path / "o")
    assert code == 2 and "2 lmms-eval sample logs for videomme" in text


def lmms_eval_line(task_name, n, s):
    """One line as lmms-eval's process_results for that task logs it (``doc`` is dropped)."""
    base = {"doc_id": n, "target": s.target, "filtered_resps": "A", "doc_hash": "0" * 64, "input": "..."}
    if task_name == "egoschema_subset":
        return {**base, "submission": {s.id: 0}, "score": {"pred": 0, "ground_truth": s.target}}
    if task_name == "perceptiontest":
        return {**base, "accuracy": {"video_name": s.fields["video_id"], "question": s.fields["question"],
                                     "pred_id": 0, "answer_id": "0", "correct": 0}}
    if task_name == "tempcompass":
        metric = {"video_id": s.cluster, "question": s.fields["question"], "gt-answer": s.fields["answer_text"],
                  "video-llm-prediction": "A", "match_success": True, "rating": 0, "dim": s.fields["dim"]}
        return {**base, "avg_accuracy": metric, f"{s.fields['dim']}_accuracy": metric}
    return {**base, "gpt_eval_score": {"video_name": s.fields["video_name"], "question_id": s.id, "pred": "A"}}


@pytest.mark.parametrize("task_name", ["egoschema_subset", "perceptiontest", "tempcompass", "activitynet_qa"])
def test_lmms_eval_metric_dicts_name_the_samples_of_every_task(tmp_path, task_name):
    from evalkit.registry import TASKS

    task = TASKS.get(task_name)()
    data = task.load("sample")  # the release layout: rows map by their keys, never by position
    log = tmp_path / f"20261124_samples_{task.lmms_eval_task}.jsonl"
    log.write_text("".join(json.dumps(lmms_eval_line(task_name, n, s)) + "\n" for n, s in enumerate(data.samples)))
    got = import_predictions("lmms-eval", tmp_path, task, data)
    assert [r["id"] for r in got.rows] == [s.id for s in data.samples]
    assert got.by_position == 0 and not got.unmapped
