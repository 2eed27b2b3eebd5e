"""TempCompass multiple choice (``tempcompass``).

Layout (official repo): ``questions/multi-choice.json`` (``{video_id: {dim: [{question (options
embedded as "A. ..." lines), answer "A. text"}]}}``), videos ``videos/{video_id}.mp4``.
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
from typing import Any, List, Optional, Sequence, Tuple

from evalkit.data import media_path, read_json, require, resolve_root
from evalkit.judge import JudgeItem, JudgeReplyError, JudgeSpec
from evalkit.schema import ProtocolResult, Record
from evalkit.scoring.verdicts import primary_verdict
from evalkit.task import OfficialRef, Parsed, Request, Sample, TaskData

from .multiple_choice import MultipleChoiceTask

HF_REPO = "lmms-lab/TempCompass"
HF_REVISION = None  # no commit of the HF copy is pinned yet: the data comes from --data DIR
QUESTIONS = "questions/multi-choice.json"
INSTRUCTION = "\nPlease directly give the best option:"
DIMS = ("action", "direction", "speed", "order", "attribute_change")
OPTION_LINE = re.compile(r"^([A-Z])\. (.*)$")


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


def official_match(prediction: Optional[str], answer: str) -> str:
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


class TempCompass(MultipleChoiceTask):
    name = "tempcompass"
    description = "TempCompass multi-choice (1,580 questions, 5 temporal dimensions)"
    official_rule = "TempCompass eval_multi-choice.py rules"
    official_ref = OfficialRef("llyx97/TempCompass", "eval_multi-choice.py + utils/eval_utils.py",
                               "e1b463166400633e6061962d890a9ae85db29f70")
    breakdown_keys = ("dim",)
    dataset_revision = HF_REVISION

    def load(self, data: Optional[str]) -> TaskData:
        root = resolve_root(data, "tempcompass", HF_REPO, HF_REVISION)
        path = root / QUESTIONS
        db = read_json(path, "TempCompass multi-choice questions")
        require(isinstance(db, dict), str(path), "expected a JSON object keyed by video id")
        samples = []
        for vid, dims in db.items():
            require(isinstance(dims, dict), f"{path} video {vid!r}", "expected an object keyed by dimension")
            video = media_path(root, [vid], ("videos", "."), (".mp4",), f"{path} video {vid!r}")
            for dim, items in dims.items():
                require(isinstance(items, list), f"{path} video {vid!r} dim {dim!r}", "expected a list of questions")
                for k, q in enumerate(items):
                    where = f"{path} video {vid!r} dim {dim!r} question {k}"
                    require(isinstance(q, dict) and isinstance(q.get("question"), str) and isinstance(q.get("answer"), str),
                            where, "expected {question, answer} strings")
                    options = [m.group(2) for m in map(OPTION_LINE.match, q["question"].splitlines()[1:]) if m]
                    require(len(options) >= 2, where, "no 'A. ...' option lines in the question")
                    require(bool(re.match(r"^[A-Z]\.", q["answer"])), where, f"answer {q['answer']!r} is not 'X. text'")
                    fields = {"question": q["question"], "answer_text": q["answer"], "dim": dim}
                    samples.append(Sample(f"{vid}/{dim}/{k}", q["answer"][0], fields, video=video, cluster=vid,
                                          choices=tuple(options)))
        return TaskData(samples, (path,))

    def parse(self, record: Record, protocol: str) -> Parsed:
        if protocol != "official":
            return super().parse(record, protocol)
        letter = official_match(record.get("response"), record["fields"]["answer_text"])
        verdict = primary_verdict(record)
        if not letter and verdict is not None and record.get("response"):
            # the LLM fallback's rating; a judge that never answered counts 0, as upstream
            return Parsed("", 0.0 if verdict.get("error") else float(verdict["score"] or 0))
        return Parsed(letter, float(letter == record["target"]))

    def judge_spec(self) -> JudgeSpec:
        return JUDGE

    def judge_items(self, records: Sequence[Record]) -> List[JudgeItem]:
        """Non-empty replies no hand-written rule matches (the upstream LLM fallback's share)."""
        return [JudgeItem(r["id"], {"question": r["fields"]["question"], "answer": r["fields"]["answer_text"],
                                    "pred": (r["response"] or "").replace("</s>", "").strip()})
                for r in records if r.get("response")
                and not official_match(r["response"], r["fields"]["answer_text"])]

    def unparsed(self, record: Record, protocol: str) -> bool:
        """Official: no hand-written rule matched (judge-rated replies included, as upstream's
        match_success says); a matched letter outside the options is wrong, not unparsed."""
        if protocol != "official":
            return super().unparsed(record, protocol)
        return record.get("error") is None and record["parsed"]["official"] == ""

    def aggregate(self, records: Sequence[Record], protocol: str, seed: int) -> ProtocolResult:
        out = super().aggregate(records, protocol, seed)
        if protocol == "official":  # the authors' figure: every question counts, failures unmatched
            matched = sum(1 for r in records if r["parsed"]["official"])
            out["metrics"]["match_success_rate"] = 100.0 * matched / len(records) if records else None
        return out

    def build_request(self, sample: Sample, media: Any) -> Request:
        return self.video_request(sample, media, sample.fields["question"] + INSTRUCTION)
