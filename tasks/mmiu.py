"""MMIU (``mmiu``): 11,698 multi-image multiple-choice questions over 7 relationship types.

Layout (HF ``FanqingM/MMIU-Benchmark``): ``all.json`` (records with ``task, options, question,
context, input_image_path [./<Relationship>/<task>/<file>], output``) and the images unzipped
below the same root. Prompt as the authors' scripts: all images, then question/context in the
task's order, then "Please answer the option directly like A,B,C,D...". Official scoring follows
their ``evaluate.py`` / ``evaluate_correct.py``: a bare letter a-n (after trimming ``.,()``) is the
choice; empty replies and image errors are choice Z (wrong); a choice is right when it is a
substring of the gold; other replies go to an LLM matcher upstream: off unless
``evalkit judge RUN --task mmiu`` runs it (the authors' prompt); without it (or where the matcher
failed) they leave the denominator and are counted unparsed, as the authors' "GPT error" items
do. Overall is the unweighted mean over the stored task values.
"""
from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Any, Dict, List, Optional, Sequence

from evalkit.data import inside, read_json, require
from evalkit.judge import JudgeItem, JudgeSpec
from evalkit.scoring.metrics import macro_average
from evalkit.schema import AccuracyResult, Record
from evalkit.scoring.verdicts import primary_verdict
from evalkit.protocol import ANSWERED, AccuracyProtocol, OfficialRef, Parsed, Protocol
from evalkit.request import ImagePart, Request
from evalkit.samples import Layout, Located, Sample, TaskData

from .multiple_choice import ChoiceProtocol, MultipleChoiceTask

HF_REPO = "FanqingM/MMIU-Benchmark"
HF_REVISION = None  # no commit of the HF copy is pinned: the revision found is recorded
ANNOTATIONS = "all.json"
OFFICIAL = Layout("hf-json", (ANNOTATIONS,), "the HF snapshot (the authors' release)")
QUESTION_FIRST = {
    "person_reid", "multiple_image_captioning", "spot_the_similarity", "face_retrieval",
    "sketch2image_retrieval", "handwritten_retrieval", "spot_the_diff", "image2image_retrieval",
    "vehicle_retrieval", "text2image_retrieval", "general_action_recognition", "video_captioning",
    "next_img_prediction", "temporal_ordering", "meme_vedio_understanding", "action_quality_assessment",
    "temporal_localization", "mevis", "ravens_progressive_matrices", "threed_indoor_recognition",
    "point_tracking", "threed_cad_recognition", "single_object_tracking",
}
INSTRUCTION = "\nPlease answer the option directly like A,B,C,D..."
ERROR_REPLIES = {"", "image none", "model error or image error", "image error", "model error"}
LETTERS_A_N = set("abcdefghijklmn")
OPTION_LINE = re.compile(r"^([A-Z])\s*[:.]\s*(.*)$")


# the authors' matcher prompt (evaluate.py), for the optional `evalkit judge RUN --task mmiu` step
MATCHER_PROMPT = (
    "You are an AI assistant who will help me to match an answer with several options of a single-choice question. "
    "You are provided with a question, several options, and an answer, and you need to find which option is most "
    "similar to the answer. If the meaning of all options are significantly different from the answer, output Z. "
    "When the options are mostly numbers, if the model outputs numbers in the same format, please do not be too "
    "precise and try to match an answer as much as possible. Your should output a single uppercase character in A, "
    "B, C, D (if they are valid options), and Z. \n"
    "Example 1: \n"
    "Question: What is the main object in image?\nOptions: A. teddy bear B. rabbit C. cat D. dog\nAnswer: a cute teddy "
    "bear\nYour output: A\n"
    "Example 2: \n"
    "Question: What is the main object in image?\nOptions: A. teddy bear B. rabbit C. cat D. dog\nAnswer: Spider\nYour "
    "output: Z\n"
    "Example 3: \n"
    "Question: {question}?\nOptions: {options}\nAnswer: {pred}\nYour output: "
)
MATCHER = JudgeSpec("mmiu-choice-matcher", None, MATCHER_PROMPT, lambda reply: (reply.strip(), None))


def official_reply(response: str) -> str:
    """The reply as the authors clean it: nbsp removed, ``.,()`` trimmed at both ends."""
    return re.sub(r"^[.,()]+|[.,()]+$", "", response.strip().replace("\u00a0", "").strip()).strip()


def official_answer(response: Optional[str]) -> Optional[str]:
    """The authors' choice for a reply: a letter (case kept), 'Z', or None for the LLM matcher."""
    if response is None or response.strip() in ERROR_REPLIES:
        return "Z"
    pred = official_reply(response)
    return pred if pred.lower() in LETTERS_A_N else None


def prompt_text(task: str, question: str, context: str) -> str:
    body = f"{question}\n{context}" if task in QUESTION_FIRST else f"{context}\n{question}"
    return body + INSTRUCTION


class MMIUOfficial(ChoiceProtocol):
    """The authors' reading: a bare letter, 'Z' for empty replies and image errors, else the
    matcher's verdict when ``evalkit judge`` ran it (used as upstream, even '' or prose); a
    choice is right when it is a substring of the gold. With no matcher verdict (not run, or it
    failed) the item leaves the denominator and is counted unparsed, like upstream 'GPT error';
    a verdict the authors' code scores is read, even ''."""

    def read(self, record: Record) -> Parsed:
        choice = official_answer(record.get("response"))
        verdict = primary_verdict(record)
        if choice is None and verdict is not None and not verdict.get("error"):
            choice = verdict["pred"] or ""
        if choice is None:
            return Parsed("", None)
        return Parsed(choice, float(choice.strip().lower() in record["target"].lower()))

    def unparsed(self, record: Record) -> bool:
        return record.get("error") is None and record["score"][self.name] is None


class MMIU(MultipleChoiceTask):
    name = "mmiu"
    description = "MMIU multi-image understanding (11,698 questions, 7 relationships); macro over tasks"
    media_kind = "images"
    official_rule = "MMIU evaluate.py + evaluate_correct.py"
    official_ref = OfficialRef("OpenGVLab/MMIU", "evaluate.py + evaluate_correct.py",
                               "36c48ec6d59732bc49e9c5ebd7670be41d34a874")
    official_denominator = ANSWERED
    breakdown_keys = ("task", "relationship")
    macro_key = "task"
    dataset_revision = HF_REVISION

    layouts = (OFFICIAL,)
    hub_repos = (HF_REPO,)
    sample_name = "mmiu"

    def read_layout(self, layout: Layout, files: List[Path], found: Located) -> TaskData:
        path, root = files[0], found.media
        rows = read_json(path, "MMIU annotations")
        require(isinstance(rows, list), str(path), "expected a JSON list of records")
        counters: dict = {}
        samples = []
        for n, rec in enumerate(rows):
            where = f"{path} record {n}"
            require(isinstance(rec, dict), where, "expected a JSON object")
            for key in ("task", "question", "context", "options"):
                require(isinstance(rec.get(key), str), where, f"field {key!r} must be a string")
            paths = rec.get("input_image_path")
            require(isinstance(paths, list) and bool(paths) and all(isinstance(p, str) for p in paths), where,
                    "field 'input_image_path' must be a non-empty list of paths")
            images = tuple(inside(root, p, where) for p in paths)
            options = [m.group(2) for m in map(OPTION_LINE.match, rec["options"].splitlines()) if m]
            k = counters[rec["task"]] = counters.get(rec["task"], -1) + 1
            target = (rec.get("output") or "").strip()
            fields = {"task": rec["task"], "question": rec["question"], "context": rec["context"],
                      "options_text": rec["options"], "gold": target,
                      "relationship": PurePosixPath(paths[0]).parts[0],  # ./<Relationship>/<task>/<file>
                      "source": rec.get("source")}
            samples.append(Sample(f"{rec['task']}/{k}", target, fields, images=images, cluster=f"{rec['task']}/{k}",
                                  choices=tuple(options)))
        return TaskData(samples, (path,))

    def official_protocol(self) -> Protocol:
        return MMIUOfficial("official", self.official_rule, self.official_extract, ANSWERED,
                            **self.protocol_kw(upstream=True, ref=self.official_ref, headline=True))

    def official_extract(self, response: str, record: Record) -> str:
        return official_answer(response) or ""

    def judge_spec(self) -> JudgeSpec:
        return MATCHER

    def judge_items(self, records: Sequence[Record]) -> List[JudgeItem]:
        """Replies that are not a bare letter (the upstream matcher's share)."""
        return [JudgeItem(r["id"], {"question": r["fields"]["question"], "options": r["fields"]["options_text"],
                                    "pred": official_reply(r["response"] or "")})
                for r in records if official_answer(r.get("response")) is None]

    def add_metrics(self, records: Sequence[Record], protocol: AccuracyProtocol, result: AccuracyResult) -> None:
        """Per relationship, the unweighted mean over its task values (as the overall is)."""
        task_rel = {r["fields"]["task"]: r["fields"]["relationship"] for r in records}
        per_rel: Dict[str, Dict[str, Any]] = {}
        for task, summary in result["breakdown"]["task"].items():
            per_rel.setdefault(task_rel[task], {})[task] = summary
        result["macro_by_relationship"] = {rel: macro_average(tasks) for rel, tasks in per_rel.items()}

    def build_request(self, sample: Sample, media: Any) -> Request:
        f = sample.fields
        pixels = media.frames if media is not None else [None] * len(sample.images)
        parts: List[Any] = [ImagePart(p, x) for p, x in zip(sample.images, pixels)]
        parts.append(prompt_text(f["task"], f["question"], f["context"]))
        return Request(sample.id, self.name, parts, choices=tuple("ABCDEFGHIJKLMN"[: max(len(sample.choices), 2)]),
                       max_new_tokens=self.max_new_tokens)
