"""MLVU multiple choice: the 7 dev tasks (``mlvu``) and the test split (``mlvu_test``).

Layout (official JSONs, as in HF ``MLVU/MVLU`` under ``MLVU/``): ``json/1_plotQA.json`` ..
``json/7_topic_reasoning.json``, videos ``video/<task folder>/<video>``. Official scoring follows
the authors' ``choice_bench.py``: the gold letter is the LAST candidate equal to the answer text
('@' when none is, so nothing can be right), and a reply is cut to the character before its first
')' when it has one, else compared whole. M-Avg is the unweighted mean of the 7 task accuracies.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple

from evalkit.data import media_path, read_json, require, resolve_root
from evalkit.scoring.choice import letters
from evalkit.schema import Record
from evalkit.task import ExportOptions, OfficialRef, Request, Sample, TaskData

from .multiple_choice import MultipleChoiceTask

HF_REPO = "MLVU/MVLU"
HF_REVISION = None  # no commit of the HF copy is pinned yet: the data comes from --data DIR
MLVU_REPO, MLVU_COMMIT = "JUNJIE99/MLVU", "fd060c10a43ea48a35100a22688a927b8e531199"
DEV_FILES = ("1_plotQA", "2_needle", "3_ego", "4_count", "5_order", "6_anomaly_reco", "7_topic_reasoning")
SYSTEM = ("Carefully watch this video and pay attention to every detail. Based on your observations, "
          "select the best option that accurately addresses the question.")
INSTRUCTION = "\nOnly give the best option."
PREFILL = "Best Option: ("  # as written in the authors' evaluation scripts


def official_gold(candidates: Sequence[str], answer: str) -> str:
    """The authors' gold letter: the last candidate equal to the answer; '@' when none is."""
    idx = -1
    for i, c in enumerate(candidates):
        if c == answer:
            idx = i
    return chr(ord("A") + idx)


def official_reading(pred: str) -> str:
    """``check_ans``: the character just before the first ')' (Python slicing: '' when ')' is
    first), else the whole reply, unstripped."""
    if ")" in pred:
        i = pred.index(")")
        return pred[i - 1:i]
    return pred


def prompt_text(question: str, candidates: Sequence[str]) -> str:
    lines = [f"Question: {question}", "Options:"] + [f"({letters(len(candidates))[i]}) {c}" for i, c in enumerate(candidates)]
    return "\n".join(lines).rstrip() + INSTRUCTION


def mlvu_root(data: Optional[str], sample_name: str) -> Path:
    root = resolve_root(data, sample_name, HF_REPO, HF_REVISION)
    return root / "MLVU" if (root / "MLVU" / "json").is_dir() else root


def validate_record(where: str, rec: Any, keys: Tuple[str, ...]) -> None:
    require(isinstance(rec, dict), where, "expected a JSON object")
    for key in keys:
        require(key in rec, where, f"missing field {key!r}")
    require(isinstance(rec["candidates"], list) and len(rec["candidates"]) >= 2
            and all(isinstance(c, str) for c in rec["candidates"]), where, "field 'candidates' must be a list of strings")
    require(isinstance(rec["question"], str) and isinstance(rec["video"], str), where,
            "fields 'question' and 'video' must be strings")


class MLVU(MultipleChoiceTask):
    name = "mlvu"
    description = "MLVU dev multiple choice (7 tasks, 2,175 questions); M-Avg = macro mean over tasks"
    official_rule = "MLVU choice_bench.py check_ans (gold: last matching candidate, '@' if none)"
    official_ref = OfficialRef(MLVU_REPO, "evaluation/multiple_choice_evaluation/choice_bench.py", MLVU_COMMIT)
    breakdown_keys = ("question_type",)
    macro_key = "question_type"
    dataset_revision = HF_REVISION
    max_new_tokens = 16

    def load(self, data: Optional[str]) -> TaskData:
        root = mlvu_root(data, "mlvu")
        samples, files = [], []
        for stem in DEV_FILES:
            path = root / "json" / f"{stem}.json"
            rows = read_json(path, "MLVU annotation file")
            files.append(path)
            require(isinstance(rows, list), str(path), "expected a JSON list of questions")
            folder = stem.split("_", 1)[1]
            for i, rec in enumerate(rows):
                where = f"{path} record {i}"
                validate_record(where, rec, ("video", "question", "candidates", "answer", "question_type"))
                gold = official_gold(rec["candidates"], rec["answer"])
                fields = {"question": rec["question"], "answer_text": rec["answer"],
                          "question_type": rec["question_type"], "video": rec["video"],
                          "duration": rec.get("duration"), "gold_in_candidates": gold != "@"}
                video = media_path(root, [rec["video"]], (f"video/{stem}", f"video/{folder}"), ("",), where)
                samples.append(Sample(f"{stem}_{i}", gold, fields, video=video, cluster=f"{stem}/{rec['video']}",
                                      choices=tuple(rec["candidates"])))
        return TaskData(samples, tuple(files))

    def official_extract(self, response: str, record: Record) -> str:
        return official_reading(response)

    def build_request(self, sample: Sample, media: Any) -> Request:
        return self.video_request(sample, media, prompt_text(sample.fields["question"], sample.choices),
                                  system=SYSTEM, assistant_prefix=PREFILL)


class MLVUTest(MLVU):
    name = "mlvu_test"
    description = "MLVU test multiple choice (6 options, no public answers): produces the submission JSON"
    official_rule = "MLVU test_bench.py (text before the first ')', stripped)"
    official_ref = OfficialRef(MLVU_REPO, "evaluation_test/test_bench.py", MLVU_COMMIT)

    def load(self, data: Optional[str]) -> TaskData:
        root = mlvu_root(data, "mlvu")
        path = root / "test_question.json"
        rows = read_json(path, "MLVU test question file")
        require(isinstance(rows, list), str(path), "expected a JSON list of questions")
        samples = []
        for i, rec in enumerate(rows):
            where = f"{path} record {i}"
            validate_record(where, rec, ("video", "question", "candidates", "question_type", "question_id"))
            fields = {"question": rec["question"], "question_type": rec["question_type"], "video": rec["video"]}
            video = media_path(root, [rec["video"]], ("video", "test_video", "."), ("",), where)
            samples.append(Sample(str(rec["question_id"]), "", fields, video=video, cluster=rec["video"],
                                  choices=tuple(rec["candidates"])))
        return TaskData(samples, (path,))

    def official_extract(self, response: str, record: Record) -> str:
        return submission_option(response)

    def export_formats(self) -> Tuple[str, ...]:
        return ("official",)

    def export(self, records: Sequence[Record], fmt: str, out_dir: Path,
               options: Optional[ExportOptions] = None) -> List[Path]:
        """The submission file of the MLVU test server: [{question_id, question_type, option}]."""
        if fmt != "official":
            return super().export(records, fmt, out_dir, options)
        rows = [{"question_id": r["id"], "question_type": r["fields"]["question_type"],
                 "option": submission_option(r["response"] or "")} for r in records]
        out = Path(out_dir) / "mlvu_test_submission.json"
        out.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return [out]


def submission_option(pred: str) -> str:
    """The authors' test script: the text before the first ')', stripped."""
    pred = pred.strip()
    return pred[: pred.index(")")].strip() if ")" in pred else pred
