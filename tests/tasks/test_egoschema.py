import csv
import json

import pytest

from evalkit.errors import DataError
from evalkit.tasks.egoschema import EgoSchema, EgoSchemaSubset


def test_full_set_scores_only_the_public_subset(cli, tmp_path, jsonl):
    samples = EgoSchema().load("sample").samples
    assert len(samples) == 4 and [s.target for s in samples] == ["C", "E", "", ""]
    rows = [{"id": samples[0].id, "response": "C"}, {"id": samples[1].id, "response": "I am not sure"},
            {"id": samples[2].id, "response": "(B)"}, {"id": samples[3].id, "response": "E. c is doing activity 4"}]
    code, out = cli.run("--task", "egoschema", "--data", "sample", "--model", "replay",
                        "--model-args", f"responses={jsonl(tmp_path / 'r.jsonl', rows)}")
    assert code == 0, out
    res = json.loads((cli.output / "r" / "results.json").read_text())["tasks"]["egoschema"]
    # 1 of the 2 subset questions right; the unparsed reply is wrong, not a random letter
    assert (res["metrics"]["accuracy"], res["n_scored"], res["n_unparsed"], res["n_unscored"]) == (50.0, 2, 1, 2)
    folder = cli.output / "r" / "egoschema"
    # Kaggle needs every q_uid: without a fill value the export stops, naming the count and the flag
    code, out = cli("export", cli.output / "r", "--task", "egoschema", "--format", "official")
    assert code == 2 and "1 of 4 EgoSchema answers are unparsed" in out and "--fill-unparsed 0..4" in out
    assert not (folder / "egoschema_kaggle.csv").exists()
    code, out = cli("export", cli.output / "r", "--task", "egoschema", "--format", "official", "--fill-unparsed", "7")
    assert code == 2 and "one of 0, 1, 2, 3, 4" in out
    code, out = cli("export", cli.output / "r", "--task", "egoschema", "--format", "official", "--fill-unparsed", "0")
    assert code == 0, out
    with (folder / "egoschema_kaggle.csv").open() as fh:
        assert list(csv.reader(fh)) == [["q_uid", "answer"], [samples[0].id, "2"], [samples[1].id, "0"],
                                        [samples[2].id, "1"], [samples[3].id, "4"]]
    # the validation-server JSON carries the parsed answers only
    answers = json.loads((folder / "egoschema_answers.json").read_text())
    assert answers == {samples[0].id: 2, samples[2].id: 1, samples[3].id: 4}
    side = json.loads((folder / "egoschema_export.json").read_text())
    assert (side["fill_unparsed"], side["n_filled"], side["filled_q_uids"]) == (0, 1, [samples[1].id])
    assert (side["kaggle_rows"], side["validation_json_rows"]) == (4, 3)


def test_export_needs_no_fill_when_every_answer_parses(cli, tmp_path, jsonl):
    samples = EgoSchema().load("sample").samples
    rows = [{"id": s.id, "response": letter} for s, letter in zip(samples, "CEBA")]
    code, out = cli.run("--task", "egoschema", "--data", "sample", "--model", "replay",
                        "--model-args", f"responses={jsonl(tmp_path / 'r.jsonl', rows)}")
    assert code == 0, out
    code, out = cli("export", cli.output / "r", "--task", "egoschema", "--format", "official")
    assert code == 0, out
    side = json.loads((cli.output / "r" / "egoschema" / "egoschema_export.json").read_text())
    assert (side["fill_unparsed"], side["n_filled"], side["kaggle_rows"]) == (None, 0, 4)


def test_fill_is_refused_by_tasks_whose_export_needs_none(cli, replay_run, videomme_targets):
    run = replay_run("v", videomme_targets)
    code, out = cli("export", run, "--task", "videomme", "--format", "official", "--fill-unparsed", "0")
    assert code == 2 and "takes no fill value" in out


def test_prompt():
    task = EgoSchema()
    req = task.build_request(task.load("sample").samples[0], None)
    assert req.parts[1] == ("What is c mostly doing in the video?\nA. c is doing activity 0\nB. c is doing activity 1\n"
                            "C. c is doing activity 2\nD. c is doing activity 3\nE. c is doing activity 4\n"
                            "Answer with the option's letter from the given choices directly.")


def test_subset_task_has_500_style_subset_only():
    assert [s.target for s in EgoSchemaSubset().load("sample").samples] == ["C", "E"]


def test_bad_answer_value_is_named(tmp_path):
    import shutil

    from evalkit.data import samples_root
    root = tmp_path / "ego"
    shutil.copytree(samples_root() / "egoschema", root)
    (root / "subset_answers.json").write_text(json.dumps({"x": 7}))
    with pytest.raises(DataError, match=r"subset_answers.json q_uid 'x': answer must be an integer 0-4"):
        EgoSchema().load(str(root))


def lmms_eval_copy(root, answers_as=int):
    """EgoSchema as the HF snapshot lmms-eval reads holds it: GENERATION (every question, no
    answers) and Subset (the answered ones), options as "A. text"."""
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    from evalkit.data import samples_root

    src = samples_root() / "egoschema"
    questions = json.loads((src / "questions.json").read_text())
    answers = json.loads((src / "subset_answers.json").read_text())
    rows = [{"video_idx": q["q_uid"], "question_idx": n, "question": q["question"],
             "option": [f"{'ABCDE'[k]}. {q[f'option {k}']}" for k in range(5)], "answer": None}
            for n, q in enumerate(questions)]
    for config, chosen in (("GENERATION", rows), ("Subset", [r for r in rows if r["video_idx"] in answers])):
        (root / config).mkdir(parents=True)
        table = [{**r, "answer": None if config == "GENERATION" else answers_as(answers[r["video_idx"]])} for r in chosen]
        schema = pa.schema([("video_idx", pa.string()), ("question_idx", pa.int64()), ("question", pa.string()),
                            ("option", pa.list_(pa.string())), ("answer", pa.string() if answers_as is str else pa.int64())])
        pq.write_table(pa.Table.from_pylist(table, schema=schema), root / config / "test-00000-of-00001.parquet")
    shutil.copytree(src / "videos", root / "media" / "videos")  # lmms-eval: $HF_HOME/egoschema/videos
    return root


@pytest.mark.parametrize("answers_as", [int, str])
@pytest.mark.parametrize("task_cls", [EgoSchema, EgoSchemaSubset])
def test_the_lmms_eval_parquets_load_to_the_release_samples(tmp_path, same_as, answers_as, task_cls):
    root = lmms_eval_copy(tmp_path, answers_as)
    task = task_cls()
    loaded = task.load(str(root), media=str(root / "media"))
    assert loaded.layout == "hf-parquet"
    same_as(task, loaded, task.load("sample"))
