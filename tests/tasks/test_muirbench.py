import json

import pytest

from evalkit.errors import DataError
from evalkit.tasks.muirbench import MuirBench, official_parse, prompt_text

CHOICES = ["A", "B", "C", "D"]
ANS = {"A": "a red car", "B": "two dogs", "C": "None of the choices provided", "D": "a bridge"}


@pytest.mark.parametrize("reply, expected", [
    ("B", "B"), ("B.", "B"), ("(C)", "C"), ("The answer is (A) or maybe (D)", "D"),  # last bracketed wins
    ("I pick A then B", "B"), ("a", ""),  # lower case is never a letter
    ("I think the picture shows two dogs playing together", "B"),  # > 5 words: option text
    ("two dogs", ""),  # <= 5 words: no text matching
    ("None of the choices provided", ""),  # exactly 5 words: never text-matched
    ("Honestly it is none of the choices provided here", "C"),
    ("It is a red car, not a bridge at all", "D"),  # text matches: last occurrence wins
    ("", ""),
])
def test_official_parser(reply, expected):
    assert official_parse(reply, CHOICES, ANS) == expected


def test_prompt_text_is_the_authors():
    assert prompt_text("Q <image>?", ["x", "<image>"]) == (
        "Question: Q <image>?\nChoices:\n(A) x\n(B) <image>\n"
        "Hint: Please provide the correct option letter, such as A, B, C, D, directly.\nAnswer:")


def test_images_are_interleaved_at_placeholders():
    task = MuirBench()
    s = [x for x in task.load("sample").samples if x.id == "2"][0]
    req = task.build_request(s, None)
    kinds = [p if isinstance(p, str) else p.path.name for p in req.parts]
    assert kinds[0] == "Question: Which option shows the same image as "
    assert [k for k in kinds if not k.startswith(("Q", "?", "\n"))][:3] == ["2_0.png", "2_1.png", "2_2.png"]


def test_pairs_unparsed_and_breakdowns(cli, tmp_path, jsonl):
    rows = [{"id": "0", "response": "B"}, {"id": "1", "response": "(C)"}, {"id": "2", "response": "no idea"}]
    code, out = cli.run("--task", "muirbench", "--data", "sample", "--model", "replay",
                        "--model-args", f"responses={jsonl(tmp_path / 'r.jsonl', rows)}")
    assert code == 0, out
    res = json.loads((cli.output / "r" / "results.json").read_text())["tasks"]["muirbench"]
    assert res["metrics"]["accuracy"] == pytest.approx(200 / 3) and res["n_unparsed"] == 1
    assert res["metrics"]["pair_accuracy"] == 100.0 and res["n_pairs"] == 1
    assert res["breakdown"]["answerability"]["unanswerable"]["accuracy"] == 100.0


def test_decoding_model_sees_the_images(cli):
    code, out = cli.run("--task", "muirbench", "--data", "sample", "--model", "random", "--model-args", "decode=true")
    assert code == 0, out
    rec = json.loads((cli.output / "r" / "muirbench" / "predictions.jsonl").read_text().splitlines()[2])
    assert rec["media"]["n_images"] == 3 and rec["error"] is None


def test_missing_column_is_named(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "data").mkdir()
    pq.write_table(pa.table({"idx": ["0"]}), tmp_path / "data" / "test-00000-of-00001.parquet")
    with pytest.raises(DataError, match=r"test-00000-of-00001.parquet: missing column\(s\) task"):
        MuirBench().load(str(tmp_path))
