import json

import pytest

from evalkit.errors import DataError
from evalkit.tasks.muirbench import MuirBench, official_answer, prompt_text

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
def test_official_answerr(reply, expected):
    assert official_answer(reply, CHOICES, ANS) == expected


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


def test_vlmevalkit_table_in_lmudata_loads_to_the_same_samples(tmp_path, monkeypatch, same_as):
    import base64

    import pandas as pd

    from evalkit.data import samples_root

    rows = pd.read_parquet(next((samples_root() / "muirbench" / "data").glob("*.parquet"))).to_dict("records")
    table = []
    for r in rows:
        images = [base64.b64encode(cell["bytes"]).decode() for cell in r["image_list"]]
        table.append({"index": int(r["idx"]), "question": r["question"], "answer": r["answer"],
                      **{"ABCDEFGH"[k]: o for k, o in enumerate(r["options"])}, "image": str(images),
                      "category": r["task"], "l2-category": r["image_relation"]})
    lmudata = tmp_path / "LMUData"
    lmudata.mkdir()
    pd.DataFrame(table).to_csv(lmudata / "MUIRBench.tsv", sep="\t", index=False)
    monkeypatch.setenv("LMUData", str(lmudata))
    task = MuirBench()
    loaded = task.load(None)  # found in $LMUData without --data
    assert loaded.layout == "vlmevalkit-tsv" and loaded.located.how == "LMUData" and loaded.lacks
    native = task.load("sample")
    kept = {str(t["index"]) for t in table}
    native = type(native)([s for s in native.samples if s.id in kept])
    same_as(task, loaded, native)
    for a, b in zip(loaded.samples, native.samples):
        assert [p.read_bytes() for p in a.images] == [p.read_bytes() for p in b.images]
        assert (a.fields["task"], a.fields["image_relation"]) == (b.fields["task"], b.fields["image_relation"])


def test_a_table_cell_may_hold_one_base64_image_or_a_list(tmp_path):
    import base64

    import pandas as pd

    from evalkit.tasks.muirbench import tsv_rows

    png = base64.b64encode(b"\x89PNG fake").decode()
    pd.DataFrame([{"index": 7, "question": "q", "answer": "A", "A": "x", "B": "y", "C": "", "image": png},
                  {"index": 8, "question": "q", "answer": "B", "A": "x", "B": "y", "C": "z",
                   "image": str([png, png])}]).to_csv(tmp_path / "MUIRBench.tsv", sep="\t", index=False)
    rows = tsv_rows(tmp_path / "MUIRBench.tsv")
    assert [len(r["image_list"]) for r in rows] == [1, 2] and rows[0]["image_list"][0]["bytes"] == b"\x89PNG fake"
    assert [r["options"] for r in rows] == [["x", "y"], ["x", "y", "z"]] and rows[0]["idx"] == "7"
    pd.DataFrame([{"index": 9, "question": "q", "answer": "A", "A": "x", "B": "y", "image": "not base64!"}]).to_csv(
        tmp_path / "MUIRBench.tsv", sep="\t", index=False)
    with pytest.raises(DataError, match="row 2 \\(index '9'\\): 'image' is neither base64"):
        tsv_rows(tmp_path / "MUIRBench.tsv")
