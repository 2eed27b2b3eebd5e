"""Perception Test, multiple-choice video QA, validation split (``perceptiontest``).

Layout (official release): ``mc_question_valid.json`` (``{video_id: {metadata, mc_question:
[{id, question, options[3], answer_id, area, reasoning, tag[]}]}}``), videos
``videos/{video_id}.mp4`` (or at the root). Official scoring is the authors' ``calc_top1``:
accuracy over every question (answers as ids 0-2, the answer text must match the option);
breakdowns by area (derived from the tags through the authors' tag->area map, so a question can
count in several areas), reasoning and tag. The letter is read with the strict extractor, which
does not take the article "A" for option A.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from evalkit.data import media_path, read_json, require, resolve_root
from evalkit.scoring.choice import letters
from evalkit.schema import Record
from evalkit.task import ExportOptions, OfficialRef, Request, Sample, TaskData

from .multiple_choice import LETTER_INSTRUCTION, MultipleChoiceTask

HF_REPO = "lmms-lab/PerceptionTest_Val"
HF_REVISION = None  # no commit of the HF copy is pinned yet: the data comes from --data DIR
ANNOTATIONS = "mc_question_valid.json"
TAG_AREA = {
    "change detection": "memory", "event recall": "memory", "sequencing": "memory",
    "visual discrimination": "memory",
    "action counting": "abstraction", "event counting": "abstraction", "feature matching": "abstraction",
    "object counting": "abstraction", "pattern breaking": "abstraction", "pattern discovery": "abstraction",
    "collision": "physics", "conservation": "physics", "containment": "physics", "material": "physics",
    "motion": "physics", "occlusion": "physics", "object attributes": "physics",
    "object permanence": "physics", "quantity": "physics", "solidity": "physics",
    "spatial relations": "physics", "stability": "physics",
    "action recognition": "semantics", "adversarial action": "semantics", "colour recognition": "semantics",
    "distractor action": "semantics", "distractor object": "semantics", "general knowledge": "semantics",
    "language": "semantics", "object recognition": "semantics", "part recognition": "semantics",
    "place recognition": "semantics", "state recognition": "semantics", "task completion": "semantics",
}


def areas_of(tags: Sequence[str]) -> List[str]:
    """Distinct areas of a question's tags, in tag order (the authors' calc_top1_by_cat)."""
    return list(dict.fromkeys(TAG_AREA[t] for t in tags))


class PerceptionTest(MultipleChoiceTask):
    name = "perceptiontest"
    description = "Perception Test multiple-choice video QA, validation split (19,140 questions)"
    official_rule = "Perception Test calc_top1 (every question counts; letter via strict extractor)"
    official_ref = OfficialRef(documented_rule="google-deepmind/perception_test README and its evaluation notebook "
                                               "(calc_top1): top-1 accuracy over every question, areas from tags")
    breakdown_keys = ("area", "reasoning", "tag")
    dataset_revision = HF_REVISION

    def load(self, data: Optional[str]) -> TaskData:
        root = resolve_root(data, "perceptiontest", HF_REPO, HF_REVISION)
        path = root / ANNOTATIONS
        db = read_json(path, "Perception Test annotations")
        require(isinstance(db, dict), str(path), "expected a JSON object keyed by video id")
        samples = []
        for vid, item in db.items():
            where = f"{path} video {vid!r}"
            require(isinstance(item, dict) and isinstance(item.get("mc_question"), list), where,
                    "expected an object with an 'mc_question' list")
            video = media_path(root, [vid], ("videos", "."), (".mp4",), where)
            for q in item["mc_question"]:
                self.validate(f"{where} question {q.get('id') if isinstance(q, dict) else q!r}", q)
                fields = {"video_id": vid, "question_index": q["id"], "question": q["question"],
                          "reasoning": q["reasoning"], "tag": q["tag"],
                          "area": areas_of(q["tag"]), "labelled_area": q.get("area")}
                samples.append(Sample(f"{vid}/{q['id']}", letters(3)[q["answer_id"]], fields, video=video, cluster=vid,
                                      choices=tuple(q["options"])))
        return TaskData(samples, (path,))

    @staticmethod
    def validate(where: str, q: Any) -> None:
        require(isinstance(q, dict), where, "expected a JSON object")
        require(isinstance(q.get("id"), int), where, "field 'id' must be an integer")
        require(isinstance(q.get("question"), str), where, "field 'question' must be a string")
        opts = q.get("options")
        require(isinstance(opts, list) and len(opts) == 3 and all(isinstance(o, str) for o in opts), where,
                "field 'options' must be a list of 3 strings")
        require(isinstance(q.get("answer_id"), int) and 0 <= q["answer_id"] <= 2, where, "field 'answer_id' must be 0, 1 or 2")
        require(isinstance(q.get("reasoning"), str), where, "field 'reasoning' must be a string")
        tags = q.get("tag")
        require(isinstance(tags, list) and bool(tags), where, "field 'tag' must be a non-empty list")
        unknown = [t for t in tags if t not in TAG_AREA]
        require(not unknown, where, f"unknown tag(s) {unknown}: not in the official tag->area map")

    def build_request(self, sample: Sample, media: Any) -> Request:
        opts = [f"{letter}. {o}" for letter, o in zip(letters(3), sample.choices)]
        return self.video_request(sample, media, "\n".join([sample.fields["question"], *opts]) + LETTER_INSTRUCTION)

    def export_formats(self) -> Tuple[str, ...]:
        return ("official",)

    def export(self, records: Sequence[Record], fmt: str, out_dir: Path,
               options: Optional[ExportOptions] = None) -> List[Path]:
        """The results file ``calc_top1`` reads: ``{video_id: [{id, answer_id, answer}]}``.
        Unparsed answers are left out, so calc_top1 will report them missing."""
        if fmt != "official":
            return super().export(records, fmt, out_dir, options)
        out: Dict[str, List[Dict[str, Any]]] = {}
        for r in records:
            got = r["parsed"]["official"]
            if got in ("A", "B", "C"):
                f = r["fields"]
                k = "ABC".index(got)
                out.setdefault(f["video_id"], []).append({"id": f["question_index"], "answer_id": k, "answer": f["options"][k]})
        path = Path(out_dir) / "perceptiontest_results.json"
        path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return [path]
