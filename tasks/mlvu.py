"""MLVU multiple choice: the 7 dev tasks (``mlvu``) and the test split (``mlvu_test``).

Layouts: ``hf-json`` (the HF snapshot ``MLVU/MVLU``, as VLMEvalKit reads it): ``MLVU/json/1_plotQA.json``
.. ``7_topic_reasoning.json``, videos ``MLVU/video/<task folder>/<video>``; ``github-json``: the
same files under ``data/`` in the authors' repository; ``hf-parquet`` (``sy1998/MLVU_dev``, what
lmms-eval reads): ``mlvu/test-*.parquet``, options inside the question text, no durations, videos
flat in lmms-eval's ``$HF_HOME/mlvu``. Official scoring follows
the authors' ``choice_bench.py``: the gold letter is the LAST candidate equal to the answer text
('@' when none is, so nothing can be right), and a reply is cut to the character before its first
')' when it has one, else compared whole. M-Avg is the unweighted mean of the 7 task accuracies.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, ClassVar, Dict, List, Mapping, Optional, Sequence, Tuple

from evalkit.data import media_path, read_json, read_parquet, require
from evalkit.scoring.choice import letters
from evalkit.schema import Record
from evalkit.protocol import OfficialRef
from evalkit.request import Request
from evalkit.samples import Layout, Located, Sample, TaskData
from evalkit.task import ExportOptions

from .multiple_choice import MultipleChoiceTask, official_gold

HF_REVISION = None  # no commit of the HF copies is pinned: the revision found is recorded
MLVU_REPO, MLVU_COMMIT = "JUNJIE99/MLVU", "fd060c10a43ea48a35100a22688a927b8e531199"
DEV_FILES = ("1_plotQA", "2_needle", "3_ego", "4_count", "5_order", "6_anomaly_reco", "7_topic_reasoning")
SYSTEM = ("Carefully watch this video and pay attention to every detail. Based on your observations, "
          "select the best option that accurately addresses the question.")
INSTRUCTION = "\nOnly give the best option."
PREFILL = "Best Option: ("  # as written in the authors' evaluation scripts
HF_JSON = Layout("hf-json", ("**/json/1_plotQA.json",), "the HF snapshot MLVU/MVLU (MLVU/json/), as VLMEvalKit reads it")
GITHUB_JSON = Layout("github-json", ("data/1_plotQA.json",), "the authors' GitHub repository (data/)")
HF_PARQUET = Layout("hf-parquet", ("mlvu/test-*.parquet",), "sy1998/MLVU_dev, as lmms-eval reads it",
                    lacks=("duration",))
TEST_JSON = Layout("hf-json", ("**/test_question.json",), "the MLVU test release")
TASK_OF = {stem.split("_", 1)[1]: stem for stem in DEV_FILES}  # lmms-eval's task_type -> file stem
PARQUET_OPTION = re.compile(r"^\(([A-Z])\) ?(.*)$")


def official_answer(pred: str) -> str:
    """``check_ans``: the character just before the first ')' (Python slicing: '' when ')' is
    first), else the whole reply, unstripped."""
    if ")" in pred:
        i = pred.index(")")
        return pred[i - 1:i]
    return pred


def prompt_text(question: str, candidates: Sequence[str]) -> str:
    lines = [f"Question: {question}", "Options:"] + [f"({letters(len(candidates))[i]}) {c}" for i, c in enumerate(candidates)]
    return "\n".join(lines).rstrip() + INSTRUCTION


def parquet_records(files: Sequence[Path]) -> List[Tuple[str, str, int, Dict[str, Any]]]:
    """sy1998/MLVU_dev rows (``video_name, question, answer, task_type``; the options are lines
    "(A) text" inside the question, the answer is a letter) in the JSON files' shape. A row's
    index counts the earlier rows of its task, which gives the JSON record index (the parquet
    keeps the files' order)."""
    out = []
    seen: Dict[str, int] = {}
    for path in files:
        for n, row in enumerate(read_parquet(path, ("video_name", "question", "answer", "task_type"), "MLVU parquet")):
            at = f"{path} row {n}"
            require(row["task_type"] in TASK_OF, at, f"task_type {row['task_type']!r} is not one of {sorted(TASK_OF)}")
            lines = [line.strip() for line in str(row["question"]).splitlines()]
            options = [(m.group(1), m.group(2)) for m in map(PARQUET_OPTION.match, lines) if m]
            require(len(options) >= 2, at, "no '(A) ...' option lines in the question")
            head = [line for line in lines if not PARQUET_OPTION.match(line) and line not in ("Options:", "")]
            question = " ".join(head).removeprefix("Question:").strip()
            letters_seen = [k for k, _ in options]
            require(row["answer"] in letters_seen, at, f"answer {row['answer']!r} is not an option letter")
            stem = TASK_OF[row["task_type"]]
            i = seen[stem] = seen.get(stem, -1) + 1
            candidates = [text for _, text in options]
            record = {"video": str(row["video_name"]), "question": question, "candidates": candidates,
                      "answer": candidates[letters_seen.index(row["answer"])], "question_type": row["task_type"]}
            out.append((at, stem, i, record))
    return out


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

    layouts: ClassVar[Tuple[Layout, ...]] = (HF_JSON, GITHUB_JSON, HF_PARQUET)
    hub_repos: ClassVar[Tuple[str, ...]] = ("MLVU/MVLU", "sy1998/MLVU_dev")
    lmms_eval_cache = "mlvu"
    sample_name = "mlvu"
    lmms_eval_task: ClassVar[Optional[str]] = "mlvu_dev"  # its logs hold no id: rows map by position
    vlmevalkit_dataset: ClassVar[Optional[str]] = "MLVU_MCQ"
    positional: ClassVar[Mapping[str, Tuple[str, ...]]] = {"lmms-eval": ("hf-parquet",), "vlmevalkit": ("hf-json",)}

    def sample_keys(self, sample: Sample) -> List[Tuple[Any, ...]]:
        f = sample.fields
        return [("id", sample.id), ("type+video+question", f["question_type"], f["video"], f["question"])]

    def vlmevalkit_key(self, row: Mapping[str, Any]) -> Optional[Tuple[Any, ...]]:
        if not all(k in row for k in ("task_type", "video", "question")):
            return None
        return ("type+video+question", str(row["task_type"]), str(row["video"]), str(row["question"]))

    def read_layout(self, layout: Layout, files: List[Path], where: Located) -> TaskData:
        if layout.name == HF_PARQUET.name:
            records = parquet_records(files)
        else:
            folder = files[0].parent
            files, records = [], []
            for stem in DEV_FILES:
                path = folder / f"{stem}.json"
                rows = read_json(path, "MLVU annotation file")
                files.append(path)
                require(isinstance(rows, list), str(path), "expected a JSON list of questions")
                records += [(f"{path} record {i}", stem, i, rec) for i, rec in enumerate(rows)]
        # videos: the snapshot's MLVU/video/<task>/ (also under --media), or lmms-eval's flat folder
        media = where.media / "MLVU" if (where.media / "MLVU" / "video").is_dir() else where.media
        samples = []
        for at, stem, i, rec in records:
            validate_record(at, rec, ("video", "question", "candidates", "answer", "question_type"))
            gold = official_gold(rec["candidates"], rec["answer"])
            fields = {"question": rec["question"], "answer_text": rec["answer"],
                      "question_type": rec["question_type"], "video": rec["video"],
                      "duration": rec.get("duration"), "gold_in_candidates": gold != "@"}
            folder_name = stem.split("_", 1)[1]
            video = media_path(media, [rec["video"]], (f"video/{stem}", f"video/{folder_name}", "."), ("",), at)
            samples.append(Sample(f"{stem}_{i}", gold, fields, video=video, cluster=f"{stem}/{rec['video']}",
                                  choices=tuple(rec["candidates"])))
        return TaskData(samples, tuple(files))

    def official_extract(self, response: str, record: Record) -> str:
        return official_answer(response)

    def build_request(self, sample: Sample, media: Any) -> Request:
        return self.video_request(sample, media, prompt_text(sample.fields["question"], sample.choices),
                                  system=SYSTEM, assistant_prefix=PREFILL)


class MLVUTest(MLVU):
    name = "mlvu_test"
    description = "MLVU test multiple choice (6 options, no public answers): produces the submission JSON"
    official_rule = "MLVU test_bench.py (text before the first ')', stripped)"
    official_ref = OfficialRef(MLVU_REPO, "evaluation_test/test_bench.py", MLVU_COMMIT)
    layouts = (TEST_JSON,)
    hub_repos = ("MLVU/MVLU",)
    lmms_eval_task = "mlvu_test"
    vlmevalkit_dataset = None
    positional = {"lmms-eval": ("hf-json",)}

    def sample_keys(self, sample: Sample) -> List[Tuple[Any, ...]]:
        return [("id", sample.id)]

    def vlmevalkit_key(self, row: Mapping[str, Any]) -> Optional[Tuple[Any, ...]]:
        return None

    def read_layout(self, layout: Layout, files: List[Path], where: Located) -> TaskData:
        path = files[0]
        rows = read_json(path, "MLVU test question file")
        require(isinstance(rows, list), str(path), "expected a JSON list of questions")
        media = where.media / "MLVU" if where.media == where.root and path.parent.name == "MLVU" else where.media
        samples = []
        for i, rec in enumerate(rows):
            at = f"{path} record {i}"
            validate_record(at, rec, ("video", "question", "candidates", "question_type", "question_id"))
            fields = {"question": rec["question"], "question_type": rec["question_type"], "video": rec["video"]}
            video = media_path(media, [rec["video"]], ("video", "test_video", "."), ("",), at)
            samples.append(Sample(str(rec["question_id"]), "", fields, video=video, cluster=rec["video"],
                                  choices=tuple(rec["candidates"])))
        return TaskData(samples, (path,))

    def official_extract(self, response: str, record: Record) -> str:
        return official_test_answer(response)

    def export_formats(self) -> Tuple[str, ...]:
        return ("official",)

    def export(self, records: Sequence[Record], fmt: str, out_dir: Path,
               options: Optional[ExportOptions] = None) -> List[Path]:
        """The submission file of the MLVU test server: [{question_id, question_type, option}]."""
        rows = [{"question_id": r["id"], "question_type": r["fields"]["question_type"],
                 "option": official_test_answer(r["response"] or "")} for r in records]
        out = Path(out_dir) / "mlvu_test_submission.json"
        out.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return [out]


def official_test_answer(pred: str) -> str:
    """The authors' test script: the text before the first ')', stripped."""
    pred = pred.strip()
    return pred[: pred.index(")")].strip() if ")" in pred else pred
