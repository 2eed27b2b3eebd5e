import json

import pytest

from evalkit.errors import ConfigError
from evalkit.store import PredictionWriter, RunDir, config_differences, read_records, write_json


def rec(id: str, index: int = 0, **extra) -> dict:
    """A minimal valid record."""
    return {"id": id, "index": index, "task": "t", "target": "A", "response": "A", "error": None, "cluster": id,
            "fields": {}, "media": None, "parsed": {}, "score": {}, **extra}


def line(id: str) -> str:
    return json.dumps(rec(id)) + "\n"


def test_writer_appends_one_line_per_record(tmp_path):
    path = tmp_path / "t" / "predictions.jsonl"
    with PredictionWriter(path) as w:
        w.append(rec("1"))
        w.append(rec("2", text="ünï"))
    assert [r["id"] for r in read_records(path)] == ["1", "2"]
    assert path.read_text(encoding="utf-8").count("\n") == 2


def test_torn_last_line_is_dropped_and_cut_on_repair(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(line("1") + line("2") + '{"id": "3", "resp')
    assert [r["id"] for r in read_records(path)] == ["1", "2"]
    assert path.read_text().endswith('"resp')  # reading alone changes nothing
    read_records(path, repair=True)
    assert path.read_text() == line("1") + line("2")


def test_malformed_line_in_the_middle_is_an_error_naming_the_line(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(line("1") + "not json\n" + line("3"))
    with pytest.raises(ConfigError, match=r"p.jsonl:2: not a JSON record"):
        read_records(path)


def test_shards_merge_in_dataset_order(tmp_path):
    run = RunDir(tmp_path)
    for rank, ids in ((0, ["a", "c"]), (1, ["b", "d"])):
        with PredictionWriter(run.predictions_path("t", rank)) as w:
            for i in ids:
                w.append(rec(i, "abcd".index(i)))
    assert run.done_ids("t", 0) == {"a", "b", "c", "d"}
    run.merge_shards("t")
    assert [r["id"] for r in read_records(run.predictions_path("t"))] == ["a", "b", "c", "d"]
    assert run.shard_paths("t") == []


def test_write_json_is_complete_or_absent(tmp_path):
    write_json(tmp_path / "x.json", {"a": 1})
    assert json.loads((tmp_path / "x.json").read_text()) == {"a": 1}
    assert not list(tmp_path.glob("*.tmp"))


def test_config_differences_lists_changed_keys():
    assert config_differences({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == ["b: 2 -> 3", "c: None -> 4"]


def test_not_a_run_dir(tmp_path):
    with pytest.raises(ConfigError, match="is not an evalkit run"):
        RunDir(tmp_path).load_run()
