"""Video-MMMU: the authors' parsers with their quirks (expected values are what their utils.py
gives, run as it is), the prompts per track, the per-track denominators and the mean-of-tracks
headline, Δknowledge, every layout, and the CLI (run, data check, import)."""
import json
import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from evalkit.data import samples_root
from evalkit.errors import DataError
from evalkit.importers import import_predictions
from evalkit.protocol import Parsed
from evalkit.request import ImagePart, VideoPart
from evalkit.tasks.videommmu import (
    API_ERROR, NO_ANSWER, VideoMMMU, VideoMMMUQuestionOnly, delta_knowledge, delta_knowledge_from_results,
    official_choice, official_open, official_open_correct, option_lines, strict_number, subject_of,
)
from tests.conftest import hub_snapshot

SHA = "d1c35ac933123d79e877b7f1b9506afb0309cf1b"
SUGARS = ["aldose", "ketose", "glucose", "fructose"]
TEN = SUGARS + ["ribose", "xylose", "arabinose", "mannose", "galactose", "sucrose"]
PARQUET = "test-00000-of-00001.parquet"
TRACKS = ("Perception", "Comprehension", "Adaptation")


# --- the authors' letter parser (fact sheet §9, computed with their utils.py) -----------------

@pytest.mark.parametrize("reply, parsed", [
    ("B", "B"), ("B.", "B"), ("(B)", "B"), ("Answer: B", "B"), ("B: ketose", "B"), ("**B. ketose**", "B"),
    ("Option B", "B"), ("The answer is B", "B"), ("The answer is (B).", "B"), ("The correct option is B ", "B"),
    ("I think A is wrong, the answer is B.", "B"),
    ("(A) or (B)? I pick (B)", "B"),
    ("C and B", "B"),  # of several, the last occurrence
    ("A cell is shown. B", "B"),
    ("The answer is B.\n", "B"),
    ("The sugar shown here is a ketose molecule", "B"),  # option text, more than 5 words
    ("The sugar shown here is ketose, not an aldose", "A"),  # the last option text
    ("This is DNA. So the answer is B", "A"),  # "A." inside "DNA." wins over "B "
    ("A. aldose is wrong. Correct: B", "A"),  # "X." and "X:" are read before "X "; B: never appears
    ("B. ketose\nA. aldose", "A"),
    ("ketose", NO_ANSWER),  # option text only counts past 5 words
    ("b", NO_ANSWER), ("It's b.", NO_ANSWER), ("Answer: b", NO_ANSWER),  # case-sensitive
    ("B\n", NO_ANSWER), ("Answer: B\n", NO_ANSWER),  # whitespace is not stripped
    ("B) ketose", NO_ANSWER), ("The answer is **B**", NO_ANSWER), ("\\boxed{B}", NO_ANSWER),
    ("None of these", NO_ANSWER), ("I cannot determine", NO_ANSWER), (" ", NO_ANSWER),
    ("", API_ERROR),
])
def test_official_letter_parser_four_options(reply, parsed):
    assert official_choice(reply, SUGARS) == parsed


@pytest.mark.parametrize("reply, parsed", [
    ("B is correct, I believe", "I"),  # the pronoun "I " is option I
    ("I think the answer is B", "B"),
    ("E. coli is not relevant; B", "E"),
    ("Answer: B\n\nExplanation: A ketose has...", "A"),  # uncut reply: "A " is the only candidate
])
def test_official_letter_parser_ten_options(reply, parsed):
    assert official_choice(reply, TEN) == parsed


# --- the authors' open parser -----------------------------------------------------------------

@pytest.mark.parametrize("reply, gold, correct", [
    ("12.97", "12.97", True), ("The pH is 12.97.", "12.97", True), ("pH = 12.97", "12.97", True),
    ("The answer is 12.966", "12.97", True), ("12.974", "12.97", True), ("12.975", "12.97", True),
    ("12.965", "12.97", False),  # binary rounding: 12.96
    ("12.98", "12.97", False), ("13", "12.97", False),
    ("There are 4 optical isomers.", "4", True), ("2^2 = 4", "4", True), ("The answer is 4.0", "4", True),
    ("four", "4", False),
    ("The value is 7,243,000", "7243000", True), ("$7,243,000", "7243000", True),
    ("7,243,000.00", "7243000", True), ("7.243e6", "7243000", True), ("The answer is 1e3", "1000", True),
    ("7.243 million", "7243000", False), ("approximately 7.24 × 10^6", "7243000", False),
    ("1 000", "1000", False),
    ("The answer is 242,110.62", "242110.62", True),
    ("0.286", "0.286", True), ("0.29", "0.286", True), ("0.2855", "0.286", True),
    ("0.285", "0.286", False), ("0.28", "0.286", False),
    ("28.6%", "0.286", False), ("The payout ratio is 28.6%", "0.286", False),  # no % conversion
    ("10%", "10", True), ("1/2", "0.5", False),
    ("-8.4", "8.4", False), ("The gain is -8.4", "8.4", False),  # sign matters
    ("The output resistance is 62.6 ohms", "62.6", True), ("r_out = 62.6Ω", "62.6", True), ("62.6kΩ", "62.6", True),
    ("So the amplitude is 71.6V.", "71.6", True), ("V_C = 71.6 V", "71.6", True),
    ("I_rms = 2√2 ≈ 2.83 A", "2.83", True), ("2.828", "2.83", True), ("2.825", "2.83", True),
    ("The total cost is $65.00", "65", True), ("65 dollars", "65", True), ("Answer: 65", "65", True),
    ("about 1.1 in", "1.06", False),
    ("The answer is 12 mA, not 10 mA", "10", True),  # any number in the tail
    ("x = 5, y = 10", "10", True),
    (".3", "0.3", False),  # the leading "." is stripped: 3
    ("1. First compute X = 5\n2. So the result is 60 ms", "60", True),
    # one-letter golds: " a" / "a " anywhere in a text candidate
    ("The answer is A", "A", True), ("Point A", "A", True), ("a repulsive force at point C", "A", True),
    ("The answer is C.", "A", False),
    # validation_Math_15's gold is one malformed string: no number matches it
    ("3.43", "['24/7', '3.429', '3.43]", False), ("24/7", "['24/7', '3.429', '3.43]", False),
    ("3.429", "['24/7', '3.429', '3.43]", False),
])
def test_official_open_parser(reply, gold, correct):
    assert official_open_correct(gold, official_open(reply)) is correct


def test_official_open_candidates():
    assert sorted(map(str, official_open("There are 4 optical isomers."))) == ["4 optical isomers", "4.0"]
    assert set(official_open("The answer is 242,110.62")) == {110.62, 242110.0, 242110.62}
    assert set(official_open("The answer is A")) == {"a ", " a"}
    assert official_open("") == API_ERROR and official_open("API Error") == API_ERROR


# --- protocols on single records --------------------------------------------------------------

def record(response, target, question_type="multiple-choice", options=SUGARS, error=None):
    fields = {"question_type": question_type, "track": "Adaptation"}
    if options:
        fields["options"] = list(options)
    return {"response": response, "target": target, "error": error, "fields": fields}


def test_empty_replies_leave_the_official_denominator_and_count_in_strict():
    task = VideoMMMU()
    official, strict = task.protocol("official"), task.protocol("strict")
    assert official.read(record("", "B")) == Parsed("", None)  # "API Error": dropped
    assert official.read(record("", "4", "open", ())) == Parsed("", None)
    assert strict.read(record("", "B")) == Parsed("", 0.0)
    # what the letter parser cannot read is wrong and counted (no random letter), and unparsed
    assert official.read(record("b", "B")) == Parsed("", 0.0)
    assert strict.read(record("b", "B")) == Parsed("B", 1.0)
    # a failed sample has no reply: wrong under both
    assert official.read(record(None, "B", error="video not found")) == Parsed("", 0.0)
    assert strict.read(record(None, "B", error="video not found")) == Parsed("", 0.0)


def test_the_official_quirks_through_the_protocol():
    official = VideoMMMU().protocol("official")
    assert official.read(record("This is DNA. So the answer is B", "B")) == Parsed("A", 0.0)
    assert official.read(record("The answer is B.\n", "B")).score == 1.0  # "B." is found anywhere
    assert official.read(record("The answer is B\n", "B")) == Parsed("", 0.0)  # "B\n" is no "B "
    assert official.read(record("Answer: B\n", "B")) == Parsed("", 0.0)
    assert official.read(record("E. coli is not relevant; B", "B", options=TEN)) == Parsed("E", 0.0)
    # validation_Accounting_13 (question_type "None", 10 options, gold C) goes through the open parser
    acc13 = [f"${k}2,000" for k in range(5, 10)] + ["$102,000", "$12,000", "$22,000", "$32,000", "$42,000"]
    assert official.read(record("C", "C", "None", acc13)).score == 1.0  # " c" is in the candidate " c"
    assert official.read(record("The conversion cost is $72,000.", "C", "None", acc13)).score == 0.0
    # letter-gold open items: lenient substring
    assert official.read(record("a repulsive force at point C", "A", "open", ())).score == 1.0
    # validation_Math_15's malformed gold
    math15 = "['24/7', '3.429', '3.43]"
    assert official.read(record("3.43", math15, "open", ())) == Parsed("[3.43]", 0.0)
    assert VideoMMMU().protocol("strict").read(record("3.43", math15, "open", ())) == Parsed("3.43", 1.0)
    assert VideoMMMU().protocol("strict").read(record("24/7", math15, "open", ())) == Parsed("24/7", 1.0)


@pytest.mark.parametrize("reply, read", [
    ("12.97", "12.97"), ("The pH is 12.97.", "12.97"), ("pH = 12.97", "12.97"), ("**Answer: 65**", "65"),
    ("The total cost is $65.00", "65.00"), ("There are 4 optical isomers.", "4"), ("7,243,000", "7,243,000"),
    ("7.243e6", "7.243e6"), ("24/7", "24/7"), (".3", ".3"), ("-8.4", "-8.4"), ("I_rms = 2√2 ≈ 2.83 A", "2.83"),
    ("Some working\nmore working\nThe answer is 360 degrees.", "360"), ("\\boxed{62.6}", "62.6"),
    ("28.6%", "28.6"),  # a percentage reads as the number written
    ("four", None), ("1 000", None), ("The answer is 12 mA, not 10 mA", None), ("3,4", None),
    ("1. First compute X = 5\n2. So the result is 60 ms", None),  # several lines, no stated answer
    ("", None), ("The answer is 5/0", None),
])
def test_strict_number_reads_one_committed_number(reply, read):
    got = strict_number(reply)
    assert (got[0] if got else None) == read


@pytest.mark.parametrize("reply, gold, score", [
    ("12.966", "12.97", 1.0), ("12.965", "12.97", 1.0),  # half-up in exact decimals
    ("0.285", "0.286", 1.0), ("0.28", "0.286", 0.0), ("28.6%", "0.286", 0.0), ("-8.4", "8.4", 0.0),
    ("7.243e6", "7243000", 1.0), ("four", "4", 0.0),
    ("The answer is A", "A", 1.0), ("point A", "A", 0.0),  # a letter gold needs a committed letter
])
def test_strict_scores(reply, gold, score):
    assert VideoMMMU().protocol("strict").read(record(reply, gold, "open", ())).score == score


# --- data, ids, prompts -----------------------------------------------------------------------

def test_subject_and_video_folders():
    assert subject_of("validation_Architecture_and_Engineering_14") == "Architecture_and_Engineering"
    assert subject_of("test_Energy_and_Power_7") == "Energy_and_Power" and subject_of("nope") is None
    samples = {s.id: s for s in VideoMMMU().load("sample").samples}
    assert len(samples) == 21 and list(samples)[:2] == ["Perception/dev_Biology_3", "Perception/validation_Economics_2"]
    s = samples["Adaptation/test_Energy_and_Power_7"]
    assert s.cluster == "test_Energy_and_Power_7" and s.video.parent.name == "Engineering" and s.video.is_file()
    assert s.fields["discipline"] == "Tech and Engineering" and s.fields["subject"] == "Energy_and_Power"
    assert s.fields["qa_type"] == "Problem-solving Adaptation" and s.fields["parser"] == "open"
    assert samples["Adaptation/validation_Accounting_13"].fields["question_type"] == "None"
    assert samples["Adaptation/validation_Accounting_13"].fields["parser"] == "open"
    assert samples["Perception/validation_Basic_Medical_Science_10"].video.parent.name == "Medicine"
    only = VideoMMMUQuestionOnly().load("sample").samples
    assert len(only) == 7 and all(s.fields["track"] == "Adaptation" for s in only)
    assert only[0].video.relative_to(samples_root() / "videommmu").as_posix() == "question_only/dev_Biology_3_image.mp4"


def test_prompts_are_the_authors_per_track():
    task = VideoMMMU()
    samples = {s.id: s for s in task.load("sample").samples}

    def prompt(sid, t=task):
        req = t.build_request(samples[sid], None)
        assert isinstance(req.parts[0], VideoPart) and req.parts[0].path == samples[sid].video  # the video first
        assert len(req.parts) == 2 and not any(isinstance(p, ImagePart) for p in req.parts)  # no HF image
        assert req.max_new_tokens == 1024
        return req

    req = prompt("Perception/dev_Biology_3")
    assert req.parts[1] == ("The lecture shows two grey panels; how many stripes do they have respectively?\n"
                            "A. 1, 1\nB. 1, 2\nC. 2, 1\nD. 2, 2\nE. 2, 3\nF. 3, 2\nG. 3, 3\nH. 3, 4\nI. 4, 3\n"
                            "J. 4, 4\nPlease ignore the Quiz question in last frame of the video.")
    assert req.choices == tuple("ABCDEFGHIJ")
    # options that already carry their letters are shown as they are
    assert prompt("Perception/validation_Economics_2").parts[1].split("\n")[1:3] == ["A. (L1, L2)", "B. (L2, L1)"]
    assert prompt("Adaptation/validation_Economics_2").parts[1] == (
        "You should watch and learn the video content. Then apply what you learned to answer the following "
        "multi-choice question. The image for this question is at the end of the video.\n"
        "<image 1> Suppose the grey level is capped at 130. What happens to the frames?\n"
        "A. Levels below 130 appear, hence a surplus.\nB. Levels below 130 appear, hence a shortage.\nC. Not certain.")
    assert prompt("Adaptation/test_Energy_and_Power_7").parts[1] == (
        "You should watch and learn the video content. Then apply what you learned to answer the following "
        "open-ended question. The image for this question is at the end of the video.\n"
        "The plant in <image 1> runs for a year. How many frames does it emit in total?")
    # question_type "None": the open prompt, its ten options not shown
    req = prompt("Adaptation/validation_Accounting_13")
    assert req.parts[1].endswith("open-ended question. The image for this question is at the end of the video.\n"
                                 "The studio incurs the following costs: <image 1> What is the conversion cost?")
    assert req.choices == () and len(samples["Adaptation/validation_Accounting_13"].choices) == 10

    only = VideoMMMUQuestionOnly()
    qo = {s.id: s for s in only.load("sample").samples}
    assert only.build_request(qo["Adaptation/validation_Economics_2"], None).parts[1] == (
        "<image 1> Suppose the grey level is capped at 130. What happens to the frames?\n"
        "A. Levels below 130 appear, hence a surplus.\nB. Levels below 130 appear, hence a shortage.\nC. Not certain.")
    assert only.build_request(qo["Adaptation/validation_Physics_21"], None).parts[1] == (
        "<image 1>Which of the points A, B, C or D shows the darkest frame? \n")  # open: a trailing newline
    req = only.build_request(qo["Adaptation/validation_Accounting_13"], None)
    assert req.parts[1].endswith("conversion cost?\nA. $52,000\nB. $62,000\nC. $72,000\nD. $82,000\nE. $92,000\n"
                                 "F. $102,000\nG. $12,000\nH. $22,000\nI. $32,000\nJ. $42,000")
    assert req.parts[0].path.name == "validation_Accounting_13_image.mp4"
    assert option_lines([]) == ""


# --- item by item through the CLI -------------------------------------------------------------

# replies for the 21 sample questions; the official values are what the authors' utils.py gives
REPLIES = {
    "Perception/dev_Biology_3": "G",  # right
    "Perception/validation_Economics_2": "The answer is (A).",  # right
    "Perception/test_Energy_and_Power_7": "",  # dropped (API Error)
    "Perception/validation_Math_15": "",  # dropped
    "Perception/validation_Physics_21": "A\n",  # No Answere Found: wrong, unparsed
    "Perception/validation_Accounting_13": "I think the answer is J",  # right (the last of I, J)
    "Perception/validation_Basic_Medical_Science_10": "B is correct, I believe",  # reads I: wrong
    "Comprehension/dev_Biology_3": "F",  # right
    "Comprehension/validation_Economics_2": "Qd=110",  # No Answere Found (strict: the option's text)
    "Comprehension/test_Energy_and_Power_7": "It cycles from dark to bright, I am sure of it",  # option text: right
    "Comprehension/validation_Math_15": "",  # dropped
    "Comprehension/validation_Physics_21": "The answer is D",  # right
    "Comprehension/validation_Accounting_13": "Answer: E\n\nExplanation: A ketose",  # reads A: wrong
    "Comprehension/validation_Basic_Medical_Science_10": "This is DNA. So the answer is D",  # reads A: wrong
    "Adaptation/dev_Biology_3": "C and B",  # reads B: wrong
    "Adaptation/validation_Economics_2": "b",  # No Answere Found
    "Adaptation/test_Energy_and_Power_7": "The total is 7,243,000 frames.",  # right
    "Adaptation/validation_Math_15": "3.43",  # malformed gold: wrong
    "Adaptation/validation_Physics_21": "a repulsive force at point C",  # letter gold A: right
    "Adaptation/validation_Accounting_13": "The conversion cost is $72,000.",  # open parser vs gold C: wrong
    "Adaptation/validation_Basic_Medical_Science_10": "",  # dropped
}


def run_replay(cli, tmp_path, jsonl, replies, task="videommmu", name="r"):
    path = jsonl(tmp_path / f"{name}.jsonl", [{"id": k, "response": v} for k, v in replies.items()])
    code, out = cli.run("--task", task, "--data", "sample", "--model", "replay", "--model-args",
                        f"responses={path}", name=name)
    assert code == 0, out
    return json.loads((cli.output / name / "results.json").read_text())["tasks"]


def test_item_by_item_official_and_strict_numbers(cli, tmp_path, jsonl):
    res = run_replay(cli, tmp_path, jsonl, REPLIES)["videommmu"]
    official, strict = res["by_protocol"]["official"], res["by_protocol"]["strict"]
    tracks = official["breakdown"]["track"]
    # the authors' aggregate per track: Perception 0.6, Comprehension 0.5, Adaptation 0.33333
    assert {t: (g["n_scored"], g["n_correct"]) for t, g in tracks.items()} == {
        "Perception": (5, 3), "Comprehension": (6, 3), "Adaptation": (6, 2)}
    assert official["metrics"]["perception_accuracy"] == pytest.approx(60.0)
    assert official["metrics"]["adaptation_accuracy"] == pytest.approx(100 / 3)
    assert res["headline"] == "official" and official["averaging"] == "macro over track"
    assert official["metrics"]["macro_accuracy"] == pytest.approx((60 + 50 + 100 / 3) / 3)  # Overall
    assert official["metrics"]["micro_accuracy"] == pytest.approx(100 * 8 / 17)
    assert (official["n"], official["n_scored"], official["n_excluded"], official["n_unparsed"]) == (21, 17, 4, 7)
    assert official["denominator"] == "non-empty replies"
    assert official["official_ref"] == {
        "repo": "EvolvingLMMs-Lab/VideoMMMU", "path": "lmms_eval/tasks/videommmu/utils.py",
        "commit": "88b4ac3e07326eaabda3a4afe8e7f30dd02bc143",
        "label": "EvolvingLMMs-Lab/VideoMMMU lmms_eval/tasks/videommmu/utils.py@88b4ac3"}
    assert official["breakdown"]["track_discipline"]["Adaptation / Science"]["n_correct"] == 1  # Physics_21
    assert official["breakdown"]["parser"]["open"] == {"accuracy": 50.0, "n": 5, "n_scored": 4, "n_correct": 2.0}
    assert set(official["breakdown"]["qa_type"]) == {"OCR", "ASR", "Concept Comprehension",
                                                     "Problem-solving Comprehension", "Case Study Analysis",
                                                     "Problem-solving Adaptation"}
    # strict: every item counts
    assert {t: (g["n_scored"], g["n_correct"]) for t, g in strict["breakdown"]["track"].items()} == {
        "Perception": (7, 4), "Comprehension": (7, 6), "Adaptation": (7, 4)}
    assert strict["metrics"]["macro_accuracy"] == pytest.approx(100 * (4 + 6 + 4) / 21)
    assert (strict["n_scored"], strict["n_excluded"], strict["n_unparsed"]) == (21, 0, 7)
    recs = [json.loads(x) for x in (cli.output / "r" / "videommmu" / "predictions.jsonl").read_text().splitlines()]
    by_id = {r["id"]: r for r in recs}
    assert by_id["Adaptation/test_Energy_and_Power_7"]["parsed"]["official"] == '[0.0, 7243000.0, "7,243,000 frames"]'
    assert by_id["Perception/test_Energy_and_Power_7"]["score"] == {"official": None, "strict": 0.0}


def test_random_and_replay_runs_end_to_end(cli, tmp_path, jsonl):
    code, out = cli.run("--task", "videommmu,videommmu_question_only", "--data", "sample", "--model", "random",
                        "--model-args", "decode=true,max_frames=4", name="random")
    assert code == 0, out
    res = json.loads((cli.output / "random" / "results.json").read_text())["tasks"]
    assert res["videommmu"]["n"] == 21 and res["videommmu"]["n_failed"] == 0
    assert res["videommmu_question_only"]["n"] == 7 and res["videommmu_question_only"]["n_failed"] == 0
    recs = [json.loads(x) for x in (cli.output / "random" / "videommmu" / "predictions.jsonl").read_text().splitlines()]
    assert all(r["media"]["n_frames"] <= 4 for r in recs)
    # a video's three questions share one decode
    assert sorted(r["cluster"] for r in recs if r["media"]["decoded"]) == sorted({r["cluster"] for r in recs})
    assert {r["fields"]["track"] for r in recs} == set(TRACKS)


def test_data_check(cli):
    code, out = cli("data", "check", "--task", "videommmu,videommmu_question_only", "--data", "sample")
    assert code == 0, out
    assert "videommmu: hf-parquet layout (bundled sample), 21 samples, 7 videos: all present" in out
    assert "videommmu_question_only: hf-parquet layout (bundled sample), 7 samples, 7 videos: all present" in out


# --- Δknowledge ---------------------------------------------------------------------------------

def test_delta_knowledge_formula():
    assert delta_knowledge(60, 50) == pytest.approx(20.0)
    assert delta_knowledge(40, 50) == pytest.approx(-20.0)
    assert delta_knowledge(50, 50) == 0.0
    # Qwen2.5-VL-7B: Adaptation 39.67 and Δ +2.2 on the leaderboard: question-only about 38.3
    assert delta_knowledge(39.67, 38.33) == pytest.approx(2.17, abs=0.01)
    with pytest.raises(ValueError, match="no headroom"):
        delta_knowledge(100, 100)
    with pytest.raises(ValueError, match="not a percentage"):
        delta_knowledge(0.4, 120)


def test_delta_knowledge_from_two_runs_results(cli, tmp_path, jsonl):
    adaptation = run_replay(cli, tmp_path, jsonl, REPLIES)["videommmu"]  # Adaptation 2 of 6 = 33.3
    only = {"Adaptation/dev_Biology_3": "A", "Adaptation/validation_Economics_2": "A",
            "Adaptation/test_Energy_and_Power_7": "7243000", "Adaptation/validation_Math_15": "3.43",
            "Adaptation/validation_Physics_21": "C", "Adaptation/validation_Accounting_13": "J",
            "Adaptation/validation_Basic_Medical_Science_10": "C"}
    qonly = run_replay(cli, tmp_path, jsonl, only, task="videommmu_question_only", name="q")["videommmu_question_only"]
    assert qonly["by_protocol"]["official"]["breakdown"]["track"]["Adaptation"]["n_correct"] == 3  # 3 of 7
    assert delta_knowledge_from_results(adaptation, qonly) == pytest.approx((100 / 3 - 300 / 7) / (100 - 300 / 7) * 100)
    strict = delta_knowledge_from_results(adaptation, qonly, protocol="strict")
    assert strict == pytest.approx(0.0)  # strict: 4 of 7 in both runs
    with pytest.raises(ValueError, match="no protocol 'lenient'"):
        delta_knowledge_from_results(adaptation, qonly, protocol="lenient")


def test_a_run_of_both_tasks_shows_delta_knowledge_in_its_summary(cli, tmp_path, jsonl):
    only = {"Adaptation/dev_Biology_3": "A", "Adaptation/validation_Economics_2": "A",
            "Adaptation/test_Energy_and_Power_7": "7243000", "Adaptation/validation_Math_15": "3.43",
            "Adaptation/validation_Physics_21": "C", "Adaptation/validation_Accounting_13": "J",
            "Adaptation/validation_Basic_Medical_Science_10": "C"}
    rows = ([{"id": k, "task": "videommmu", "response": v} for k, v in REPLIES.items()]
            + [{"id": k, "task": "videommmu_question_only", "response": v} for k, v in only.items()])
    path = jsonl(tmp_path / "both.jsonl", rows)
    code, out = cli.run("--task", "videommmu,videommmu_question_only", "--data", "sample", "--model", "replay",
                        "--model-args", f"responses={path}", name="both")
    assert code == 0, out
    # Adaptation 2 of 6 with the video, 3 of 7 without: (33.3 - 42.9) / (100 - 42.9) = -16.7%
    line = "Δknowledge (Video-MMMU, headline protocol): -16.7% = (Adaptation 33.3 - question-only 42.9) / (100 - 42.9)"
    assert line in " ".join(out.split())
    assert out.count("Δknowledge") == 1


# --- layouts ------------------------------------------------------------------------------------

def parquet_rows(track):
    return pq.read_table(samples_root() / "videommmu" / track / PARQUET).to_pylist()


def copy_videos(dst):
    src = samples_root() / "videommmu"
    for folder in ("Science", "Business", "Engineering", "Medicine", "question_only"):
        shutil.copytree(src / folder, dst / folder)
    return dst


def vlmevalkit_tsv(out):
    """VideoMMMU.tsv as VLMEvalKit's generate_tsv writes it (parquet files in sorted path order)."""
    frames = []
    for track in sorted(TRACKS):
        df = pd.read_parquet(samples_root() / "videommmu" / track / PARQUET)
        rows = [{"id": r["id"], "question": r["question"], "answer": r["answer"],
                 "options": json.dumps(list(r["options"]), ensure_ascii=False), "question_type": r["question_type"],
                 "video": next(f"videos/{p.parent.name}/{p.name}" for p in (samples_root() / "videommmu").glob(
                     f"*/{r['id']}.mp4")),
                 **({"image": f"images/{r['image']['path']}"} if "image" in df.columns else {})}
                for _, r in df.iterrows()]
        frame = pd.DataFrame(rows)
        frame["category"] = track
        frames.append(frame)
    cols = ["id", "category", "question", "options", "answer", "question_type", "video", "image"]
    table = pd.concat(frames, ignore_index=True).reindex(columns=cols).reset_index()
    table.to_csv(out, sep="\t", index=False)
    return table


def test_vlmevalkit_table_loads_to_the_same_samples(tmp_path, same_as):
    snap = tmp_path / "snap"
    copy_videos(snap / "videos")  # VLMEvalKit unzips into videos/
    vlmevalkit_tsv(snap / "VideoMMMU.tsv")
    for task in (VideoMMMU(), VideoMMMUQuestionOnly()):
        loaded = task.load(str(snap))
        assert loaded.layout == "vlmevalkit-tsv" and loaded.lacks == ("qa_type",)
        same_as(task, loaded, task.load("sample"))
        assert task.content_fingerprint(loaded) == task.content_fingerprint(task.load("sample"))
    # beside the snapshot's parquet files: both read, and they agree
    for track in TRACKS:
        shutil.copytree(samples_root() / "videommmu" / track, snap / track)
    both = VideoMMMU().load(str(snap))
    assert both.layout == "hf-parquet" and both.also_found == ["vlmevalkit-tsv"]


def test_a_malformed_vlmevalkit_row_is_named(tmp_path):
    table = vlmevalkit_tsv(tmp_path / "VideoMMMU.tsv")
    table.loc[3, "options"] = "['single quotes']"
    table.to_csv(tmp_path / "VideoMMMU.tsv", sep="\t", index=False)
    with pytest.raises(DataError, match=r"VideoMMMU.tsv row 5: 'options' is not a JSON list"):
        VideoMMMU().load(str(tmp_path), media=str(samples_root() / "videommmu"))
    table.loc[3, "category"] = "Transfer"
    table.to_csv(tmp_path / "VideoMMMU.tsv", sep="\t", index=False)
    with pytest.raises(DataError, match=r"row 5: category 'Transfer' is not one of Perception"):
        VideoMMMU().load(str(tmp_path))


def test_the_authors_question_files_load_to_the_same_samples(tmp_path, same_as):
    """data/{track}_video.json of the authors' repository: no question_type for Perception and
    Comprehension, null for validation_Accounting_13, no qa_type, no videos (--media)."""
    (tmp_path / "data").mkdir()
    for track in TRACKS:
        records = {}
        for n, row in enumerate(parquet_rows(track)):
            rec = {k: row[k] for k in ("id", "link_selected", "question", "options", "answer")}
            if track == "Adaptation":
                rec["question_type"] = None if row["question_type"] == "None" else row["question_type"]
            records[str(n)] = rec
        (tmp_path / "data" / f"{track.lower()}_video.json").write_text(json.dumps({track: records}))
    for task in (VideoMMMU(), VideoMMMUQuestionOnly()):
        loaded = task.load(str(tmp_path), media=str(samples_root() / "videommmu"))
        assert loaded.layout == "github-json"
        same_as(task, loaded, task.load("sample"))


@pytest.mark.parametrize("repo", ["lmms-lab/VideoMMMU", "lmms-eval/VideoMMMU"])
def test_an_lmms_eval_download_is_found_without_data(tmp_path, monkeypatch, same_as, repo):
    """The snapshot in the hub cache, the zips unzipped into $HF_HOME/video_mmmu."""
    home = tmp_path / "hf"
    src = samples_root() / "videommmu"
    hub_snapshot(home, repo, SHA, {f"{t}/{PARQUET}": src / t / PARQUET for t in TRACKS})
    copy_videos(home / "video_mmmu")
    monkeypatch.setenv("HF_HOME", str(home))
    for task in (VideoMMMU(), VideoMMMUQuestionOnly()):
        found = task.load(None)
        assert (found.located.how, found.located.repo, found.located.revision) == ("hub cache", repo, SHA)
        assert found.located.media == home / "video_mmmu"
        same_as(task, found, task.load("sample"))


def test_no_local_copy_says_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(DataError, match="huggingface-cli download lmms-lab/VideoMMMU.*video_mmmu"):
        VideoMMMU().load(None)


def write_track(root, track, rows):
    pq.write_table(pa.Table.from_pylist(rows), root / track / PARQUET)


@pytest.fixture
def copy(tmp_path):
    dst = tmp_path / "videommmu"
    shutil.copytree(samples_root() / "videommmu", dst)
    return dst


def test_malformed_records_are_named(copy):
    rows = parquet_rows("Adaptation")
    rows[1]["answer"] = "D"  # three options: A-C
    write_track(copy, "Adaptation", rows)
    with pytest.raises(DataError, match=r"Adaptation/test-00000-of-00001.parquet row 1 \(id 'validation_Economics_2'\)"
                                        r": a multiple-choice answer must be one of its 3 option letters, got 'D'"):
        VideoMMMU().load(str(copy))
    rows[1]["answer"], rows[2]["id"] = "B", "validation_Astrology_3"
    write_track(copy, "Adaptation", rows)
    with pytest.raises(DataError, match=r"row 2 \(id 'validation_Astrology_3'\): subject 'Astrology'"):
        VideoMMMU().load(str(copy))
    write_track(copy, "Perception", [{k: v for k, v in r.items() if k != "question_type"}
                                     for r in parquet_rows("Perception")])
    with pytest.raises(DataError, match=r"Perception/test-00000-of-00001.parquet: missing column\(s\) question_type"):
        VideoMMMU().load(str(copy))


def test_a_duplicate_id_and_a_missing_track_are_refused(copy):
    write_track(copy, "Comprehension", parquet_rows("Comprehension") + parquet_rows("Comprehension")[:1])
    with pytest.raises(DataError, match="id 'dev_Biology_3' appears twice in the Comprehension track"):
        VideoMMMU().load(str(copy))
    shutil.rmtree(copy / "Comprehension")
    with pytest.raises(DataError, match="matches no known layout"):
        VideoMMMU().load(str(copy))
    assert len(VideoMMMUQuestionOnly().load(str(copy)).samples) == 7  # needs the Adaptation track only


# --- other harnesses ----------------------------------------------------------------------------

def lmms_eval_logs(folder, replies, head_format=False):
    """<output>/<model>/<date>_samples_video_mmmu_<track>.jsonl as lmms-eval writes them: the
    request's arguments (context, generation kwargs, doc_id, task name, split), the doc without
    its image, and the scorer's mmmu_acc dict."""
    task = VideoMMMU()
    samples = {s.id: s for s in task.load("sample").samples}
    paths = []
    for track in TRACKS:
        name = f"video_mmmu_{track.lower()}"
        path = folder / "llava_onevision" / f"20260101_000000_samples_{name}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w") as fh:
            for doc_id, row in enumerate(parquet_rows(track)):
                sid = f"{track}/{row['id']}"
                ctx = task.prompt_text(samples[sid])[0]
                line = {"doc_id": doc_id, "doc": {k: v for k, v in row.items() if "image" not in k},
                        "target": row["answer"], "filtered_resps": [replies[sid]], "resps": [[replies[sid]]],
                        "mmmu_acc": {"id": row["id"], "subdomain": "x", "question_type": row["question_type"],
                                     "answer": row["answer"], "parsed_pred": "x"}}
                if head_format:
                    line.update(input=ctx)
                    del line["doc"]
                else:
                    line["arguments"] = [ctx, {"max_new_tokens": 1024, "until": ["\n\n"]}, doc_id, name, "test"]
                fh.write(json.dumps(line) + "\n")
        paths.append(path)
    return paths


@pytest.mark.parametrize("head_format", [False, True])
def test_lmms_eval_logs_of_the_three_tracks_import(cli, tmp_path, jsonl, head_format, replay_scores):
    direct = run_replay(cli, tmp_path, jsonl, REPLIES, name="direct")["videommmu"]["by_protocol"]
    logs = lmms_eval_logs(tmp_path / "logs", REPLIES, head_format)
    parts = []
    for n, log in enumerate(logs):
        out = tmp_path / f"part{n}.jsonl"
        code, text = cli("import", "lmms-eval", log, "--task", "videommmu", "--data", "sample", "-o", out)
        assert code == 0 and "7 of 21 samples" in text and "not imported" not in text, text
        parts.append(out.read_text())
    together = tmp_path / "together.jsonl"  # the folder: the three tracks' logs in one import
    code, text = cli("import", "lmms-eval", tmp_path / "logs", "--task", "videommmu", "--data", "sample", "-o",
                     together)
    assert code == 0 and "21 of 21 samples" in text and "(3 logs)" in text and "no log" not in text, text
    assert sorted(together.read_text().splitlines()) == sorted("".join(parts).splitlines())
    assert replay_scores("videommmu", together) == direct


def test_the_question_only_log_imports_by_task_name(tmp_path):
    task = VideoMMMUQuestionOnly()
    data = task.load("sample")
    path = tmp_path / "logs" / "m" / "20260101_000000_samples_video_mmmu_adaptation_question_only.jsonl"
    path.parent.mkdir(parents=True)
    rows = parquet_rows("Adaptation")
    path.write_text("".join(json.dumps({
        "doc_id": n, "filtered_resps": [f"reply {n}"], "target": r["answer"],
        "arguments": [task.prompt_text(data.samples[n])[0], {}, n, "video_mmmu_adaptation_question_only", "test"],
        "mmmu_acc": {"id": r["id"]}}) + "\n" for n, r in enumerate(rows)))
    got = import_predictions("lmms-eval", tmp_path / "logs", task, data)  # the folder: one log to find
    assert not got.unmapped and got.by_position == 0
    assert got.rows[0] == {"id": "Adaptation/dev_Biology_3", "response": "reply 0"}
    bare = tmp_path / "bare.jsonl"  # no ids: not mapped by position (every lmms-eval log of the task has them)
    bare.write_text("".join(json.dumps({"doc_id": n, "filtered_resps": [f"reply {n}"]}) + "\n" for n in range(7)))
    got = import_predictions("lmms-eval", bare, task, data)
    assert got.rows == [] and len(got.unmapped) == 7
    # the Adaptation track's log is not the question-only run: its rows match nothing here
    adaptation = lmms_eval_logs(tmp_path / "other", REPLIES)[2]
    got = import_predictions("lmms-eval", adaptation, task, data)
    assert got.rows == [] and len(got.unmapped) == 7
    assert all("names no sample of videommmu_question_only" in u["reason"] for u in got.unmapped)


@pytest.mark.parametrize("suffix", [".xlsx", ".tsv"])
def test_vlmevalkit_predictions_import(cli, tmp_path, jsonl, suffix, replay_scores):
    direct = run_replay(cli, tmp_path, jsonl, REPLIES, name="direct")["videommmu"]["by_protocol"]
    table = vlmevalkit_tsv(tmp_path / "VideoMMMU.tsv")
    table["prediction"] = [REPLIES[f"{c}/{i}"] for c, i in zip(table["category"], table["id"])]
    out_table = tmp_path / f"llava_VideoMMMU_8frame{suffix}"
    table.to_excel(out_table, index=False) if suffix == ".xlsx" else table.to_csv(out_table, sep="\t", index=False)
    out = tmp_path / "imported.jsonl"
    code, text = cli("import", "vlmevalkit", out_table, "--task", "videommmu", "--data", "sample", "-o", out)
    assert code == 0 and "21 of 21 samples" in text and "not imported" not in text, text
    assert replay_scores("videommmu", out) == direct
