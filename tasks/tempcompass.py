"""TempCompass multiple choice (``tempcompass``).

Layouts: ``official-json`` (the authors' repo): ``questions/multi-choice.json`` (``{video_id:
{dim: [{question (options embedded as "A. ..." lines), answer "A. text"}]}}``); ``hf-parquet``
(the HF snapshot lmms-eval reads, config ``multi-choice``); ``vlmevalkit-json`` (VLMEvalKit's
``multi-choice.json``, a list of the parquet's rows). Videos ``videos/{video_id}.mp4`` under the
media root (lmms-eval's ``$HF_HOME/tempcompass``).
Official scoring is the authors' ``eval_multi-choice.py`` rule cascade after removing ``</s>``
and stripping: the reply equals the answer; is a bare A-D compared with the answer's letter;
starts with "X." or "X)". A letter the rules read is "matched" even when it names no option of
the question (it is then wrong). What no rule matches goes to an LLM judge upstream: here that
fallback is off unless ``evalkit judge RUN --task tempcompass`` runs it (the authors' prompt);
without it such items score 0. Either way they are not rule-matched: ``n_unparsed`` counts them,
so ``n_unparsed + n_failed = (1 - match_success_rate) x n``, the authors' printed rate. An empty
reply (a replayed null prediction) scores 0 without asking the judge, as upstream does for None.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from evalkit.data import media_path, read_json, read_parquet, require
from evalkit.judge import JudgeItem, JudgeReplyError, JudgeSpec
from evalkit.schema import AccuracyResult, Record
from evalkit.scoring.verdicts import primary_verdict
from evalkit.protocol import OfficialRef, Parsed, Protocol
from evalkit.request import Request
from evalkit.samples import Layout, Located, Sample, TaskData

from .multiple_choice import ChoiceProtocol, MultipleChoiceTask

HF_REPOS = ("lmms-eval/TempCompass", "lmms-lab/TempCompass")
HF_REVISION = None  # no commit of the HF copy is pinned: the revision found is recorded
QUESTIONS = "questions/multi-choice.json"
OFFICIAL = Layout("official-json", (QUESTIONS,), "the authors' repository")
HF_PARQUET = Layout("hf-parquet", ("multi-choice/test-*.parquet",),
                    "the HF snapshot, as lmms-eval reads it (config multi-choice)")
VLMEVALKIT_JSON = Layout("vlmevalkit-json", ("multi-choice.json",),
                         "VLMEvalKit (the parquet's rows as a JSON list, written into the snapshot)")
Item = Tuple[str, str, str, int, Any]  # (where, video id, dim, index within video and dim, question)
INSTRUCTION = "\nPlease directly give the best option:"
DIMS = ("action", "direction", "speed", "order", "attribute_change")
OPTION_LINE = re.compile(r"^([A-Z])\. (.*)$")


def official_items(path: Path) -> List[Item]:
    db = read_json(path, "TempCompass multi-choice questions")
    require(isinstance(db, dict), str(path), "expected a JSON object keyed by video id")
    items: List[Item] = []
    for vid, dims in db.items():
        require(isinstance(dims, dict), f"{path} video {vid!r}", "expected an object keyed by dimension")
        for dim, questions in dims.items():
            require(isinstance(questions, list), f"{path} video {vid!r} dim {dim!r}", "expected a list of questions")
            items += [(f"{path} video {vid!r} dim {dim!r} question {k}", vid, dim, k, q) for k, q in enumerate(questions)]
    return items


def record_items(layout: Layout, files: Sequence[Path]) -> List[Item]:
    """Rows ``{video_id, question, answer, dim}`` (the HF parquet, or VLMEvalKit's JSON list of
    them), in the release's order: a question's index counts the earlier rows of its video and
    dimension, which gives the release's ids."""
    items: List[Item] = []
    seen: Dict[Tuple[str, str], int] = {}
    for path in files:
        if layout.name == HF_PARQUET.name:
            rows = read_parquet(path, ("video_id", "question", "answer", "dim"), "TempCompass parquet")
        else:
            rows = read_json(path, "VLMEvalKit TempCompass multi-choice JSON")
            require(isinstance(rows, list), str(path), "expected a JSON list of records (VLMEvalKit's conversion)")
        for n, row in enumerate(rows):
            at = f"{path} row {n}"
            require(isinstance(row, dict) and isinstance(row.get("video_id"), str) and isinstance(row.get("dim"), str),
                    at, "expected {video_id, question, answer, dim}")
            key = (row["video_id"], row["dim"])
            seen[key] = seen.get(key, -1) + 1
            items.append((f"{at} (video_id {key[0]!r})", key[0], key[1], seen[key], row))
    return items


# the authors' judge prompt (prompt_templates.py) and call (utils/eval_utils.py), used by the
# optional `evalkit judge RUN --task tempcompass` step for replies no rule matches
JUDGE_SYSTEM = "You are an AI assistant for question answering."
JUDGE_INSTRUCTION = (
    "\nYou will receive a multi-choice question, the ground-truth answer and the prediction from a question "
    "answering (QA) model. Your task is to determine whether QA model prediction is correct, based on the question "
    "and ground-truth answer. If the prediction is correct, respond \"Correct\". If the prediction is incorrect, "
    "respond \"Incorrect\".\n"
)
JUDGE_USER = JUDGE_INSTRUCTION + "\nMulti-Choice Question:\n{question}\nGround-Truth Answer: {answer}\nModel Prediction: {pred}"


def judge_rating(reply: str) -> Tuple[str, int]:
    """The authors' llm_output_to_rating; a reply naming neither verdict is re-asked."""
    if "Correct" not in reply and "Incorrect" not in reply:
        raise JudgeReplyError(f"neither 'Correct' nor 'Incorrect' in {reply[:80]!r}")
    if reply.startswith("Correct"):
        rating = 1
    elif reply.startswith("Incorrect"):
        rating = 0
    else:
        rating = int("Correct" in reply and "Incorrect" not in reply)
    return ("Correct" if rating else "Incorrect"), rating


JUDGE = JudgeSpec("tempcompass-multi-choice", JUDGE_SYSTEM, JUDGE_USER, judge_rating)


def official_answer(prediction: Optional[str], answer: str) -> str:
    """The letter the authors' hand-written rules read, or '' when none matches (where they
    would ask an LLM). A missing prediction matches nothing and scores 0 upstream too."""
    if prediction is None:
        return ""
    pred = prediction.replace("</s>", "").strip()
    if pred == answer:
        return answer[0]
    if pred in ("A", "B", "C", "D"):
        return pred
    if any(pred.startswith(p) for p in ("A.", "B.", "C.", "D.")):
        return pred.split(".")[0]
    if any(pred.startswith(p) for p in ("A)", "B)", "C)", "D)")):
        return pred.split(")")[0]
    return ""


class TempCompassOfficial(ChoiceProtocol):
    """The authors' rules; what no rule matches takes the LLM fallback's rating when ``evalkit
    judge`` ran it (0 when the judge failed, as upstream), else scores 0. Unparsed: no rule
    matched (judge-rated replies included, as upstream's match_success says); a matched letter
    outside the options is wrong, not unparsed. Adds the authors' match success rate."""

    def read(self, record: Record) -> Parsed:
        response = record.get("response")
        letter = "" if response is None else self.extract(response, record)
        verdict = primary_verdict(record)
        if not letter and verdict is not None and record.get("response"):
            return Parsed("", 0.0 if verdict.get("error") else float(verdict["score"] or 0))
        return Parsed(letter, float(letter == record["target"]))

    def unparsed(self, record: Record) -> bool:
        return record.get("error") is None and record["parsed"][self.name] == ""

    def aggregate(self, records: Sequence[Record], seed: int) -> AccuracyResult:
        out = super().aggregate(records, seed)  # every question counts, failures unmatched
        matched = sum(1 for r in records if r["parsed"][self.name])
        out["metrics"]["match_success_rate"] = 100.0 * matched / len(records) if records else None
        return out


class TempCompass(MultipleChoiceTask):
    name = "tempcompass"
    description = "TempCompass multi-choice (1,580 questions, 5 temporal dimensions)"
    official_rule = "TempCompass eval_multi-choice.py rules"
    official_ref = OfficialRef("llyx97/TempCompass", "eval_multi-choice.py + utils/eval_utils.py",
                               "e1b463166400633e6061962d890a9ae85db29f70")
    breakdown_keys = ("dim",)
    dataset_revision = HF_REVISION

    layouts = (OFFICIAL, HF_PARQUET, VLMEVALKIT_JSON)
    hub_repos = HF_REPOS
    lmms_eval_cache = "tempcompass"
    sample_name = "tempcompass"
    lmms_eval_task = "tempcompass_multi_choice"
    vlmevalkit_dataset = "TempCompass_MCQ"
    positional = {"lmms-eval": ("hf-parquet",)}

    def sample_keys(self, sample: Sample) -> List[Tuple[Any, ...]]:
        vid, dim, question = sample.cluster, sample.fields["dim"], sample.fields["question"]
        return [("id", sample.id), ("video+dim+question", vid, dim, question),
                ("video+dim+first line", vid, dim, question.split("\n")[0])]

    def lmms_eval_key(self, line: Mapping[str, Any]) -> Optional[Tuple[Any, ...]]:
        metric = line.get("avg_accuracy")
        if not isinstance(metric, dict) or not all(k in metric for k in ("video_id", "dim", "question")):
            return None
        return ("video+dim+question", str(metric["video_id"]), str(metric["dim"]), str(metric["question"]))

    def vlmevalkit_key(self, row: Mapping[str, Any]) -> Optional[Tuple[Any, ...]]:
        """TempCompass_MCQ rows (VLMEvalKit keeps the question's first line; its caption-matching
        rows are another task and match nothing here)."""
        if row.get("task_type", "multi-choice") != "multi-choice" or not all(k in row for k in ("video", "dim", "question")):
            return None
        return ("video+dim+first line", str(row["video"]), str(row["dim"]), str(row["question"]))

    def read_layout(self, layout: Layout, files: List[Path], where: Located) -> TaskData:
        items = official_items(files[0]) if layout.name == OFFICIAL.name else record_items(layout, files)
        samples = []
        for at, vid, dim, k, q in items:
            require(isinstance(q, dict) and isinstance(q.get("question"), str) and isinstance(q.get("answer"), str),
                    at, "expected {question, answer} strings")
            options = [m.group(2) for m in map(OPTION_LINE.match, q["question"].splitlines()[1:]) if m]
            require(len(options) >= 2, at, "no 'A. ...' option lines in the question")
            require(bool(re.match(r"^[A-Z]\.", q["answer"])), at, f"answer {q['answer']!r} is not 'X. text'")
            video = media_path(where.media, [vid], ("videos", "."), (".mp4",), at)
            fields = {"question": q["question"], "answer_text": q["answer"], "dim": dim}
            samples.append(Sample(f"{vid}/{dim}/{k}", q["answer"][0], fields, video=video, cluster=vid,
                                  choices=tuple(options)))
        return TaskData(samples, tuple(files))

    def official_protocol(self) -> Protocol:
        return TempCompassOfficial("official", self.official_rule, self.official_extract,
                                   **self.protocol_kw(upstream=True, ref=self.official_ref, headline=True))

    def official_extract(self, response: str, record: Record) -> str:
        return official_answer(response, record["fields"]["answer_text"])

    def judge_spec(self) -> JudgeSpec:
        return JUDGE

    def judge_items(self, records: Sequence[Record]) -> List[JudgeItem]:
        """Non-empty replies no hand-written rule matches (the upstream LLM fallback's share)."""
        return [JudgeItem(r["id"], {"question": r["fields"]["question"], "answer": r["fields"]["answer_text"],
                                    "pred": (r["response"] or "").replace("</s>", "").strip()})
                for r in records if r.get("response")
                and not official_answer(r["response"], r["fields"]["answer_text"])]

    def build_request(self, sample: Sample, media: Any) -> Request:
        return self.video_request(sample, media, sample.fields["question"] + INSTRUCTION)
