"""What evalkit reads back is validated: the previous results format migrates, damaged or
foreign files are one-line errors naming the file and line, and a newer format is refused."""
import json
import shutil
from pathlib import Path

import pytest

from evalkit.errors import RunFileError
from evalkit.schema import FORMAT_VERSION, record, results
from evalkit.store import load_results

FORMAT1 = Path(__file__).parent / "data" / "results_format1.json"  # written by evalkit before protocol kinds


def test_a_format_1_results_file_loads_in_the_current_shape(tmp_path):
    loaded = load_results(FORMAT1)
    task = loaded["tasks"]["tempcompass"]
    assert loaded["format"] == FORMAT_VERSION == 2
    assert task["kind"] == "accuracy" and task["headline"] == "official"
    assert {p["kind"] for p in task["by_protocol"].values()} == {"accuracy"}
    assert task["metrics"] == json.loads(FORMAT1.read_text())["tasks"]["tempcompass"]["metrics"]


def test_the_leaderboard_reads_a_format_1_run(tmp_path, cli):
    run = tmp_path / "runs" / "old"
    run.mkdir(parents=True)
    shutil.copy(FORMAT1, run / "results.json")
    code, out = cli("leaderboard", tmp_path / "runs", "--format", "csv")
    assert code == 0, out
    assert "tempcompass" in out and "random__tempcompass" in out


def test_judged_results_of_format_1_become_judged():
    data = {"format": 1, "run_name": "r", "model": {"name": "m"}, "sampling": None, "seed": 0, "tasks": {"t": {
        "protocol": "official", "judge_model": None, "metrics": {"accuracy": None, "score": None}, "ci95": {},
        "n": 1, "n_scored": 0, "n_yes": 0, "n_no": 0, "n_neither": 0, "n_judged": 0, "n_judge_failed": 0,
        "n_failed": 0, "n_unjudged": 1, "n_unparsed": 0, "denominator": "d", "extraction": "e", "unit": "u",
        "breakdown": {}, "by_judge": {}, "dataset_revision": None, "annotations_sha256": None, "by_protocol": {}}}}
    assert results(data, "x")["tasks"]["t"]["kind"] == "judged"


@pytest.mark.parametrize("text, problem", [
    ('{"format": 2, "run_name": "r"', "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    ('{"format": 2, "run_name": "r", "model": {}, "sampling": null, "seed": 0, "tasks": {"t": {"kind": "accuracy"}}}',
     "tasks.t"),
])
def test_a_damaged_results_file_is_one_error_naming_it(tmp_path, text, problem):
    path = tmp_path / "results.json"
    path.write_text(text)
    with pytest.raises(RunFileError, match=problem) as err:
        load_results(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value) and "evalkit score" in str(err.value)


def test_a_newer_format_is_refused_naming_the_version_that_wrote_it(tmp_path):
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"format": FORMAT_VERSION + 1, "versions": {"evalkit": "9.9"}}))
    with pytest.raises(RunFileError, match=r"format 3, written by evalkit 9.9.*upgrade"):
        load_results(path)


def test_a_record_missing_fields_names_the_line():
    with pytest.raises(RunFileError, match=r"p.jsonl:7: not an evalkit record \(id: Field required"):
        record({}, "p.jsonl:7")


def test_unknown_keys_of_a_record_survive_a_read():
    rec = {"id": "1", "index": 0, "task": "t", "target": "A", "response": "A", "error": None, "cluster": "1",
           "fields": {}, "media": None, "parsed": {}, "score": {}, "added_later": [1]}
    assert record(rec, "x")["added_later"] == [1]
