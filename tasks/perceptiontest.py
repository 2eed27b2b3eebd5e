"""Perception Test, multiple-choice video QA, validation split (``perceptiontest``).

Layouts: ``official-json`` (the release): ``mc_question_valid.json`` (``{video_id: {metadata,
mc_question: [{id, question, options[3], answer_id, area, reasoning, tag[]}]}}``); ``hf-parquet``
(the HF snapshot lmms-eval reads, config ``mc_question_val``). Videos ``videos/{video_id}.mp4``
(or at the root) under the media root (lmms-eval's ``$HF_HOME/perceptiontest_val``). Official scoring is the authors' ``calc_top1``:
accuracy over every question (answers as ids 0-2, the answer text must match the option);
breakdowns by area (derived from the tags through the authors' tag->area map, so a question can
count in several areas), reasoning and tag. The letter is read with the strict extractor, which
does not take the article "A" for option A.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from evalkit.data import media_path, read_json, read_parquet, require
from evalkit.scoring.choice import letters
from evalkit.schema import Record
from evalkit.protocol import OfficialRef
from evalkit.request import Request
from evalkit.samples import Layout, Located, Sample, TaskData
from evalkit.task import ExportOptions

from .multiple_choice import LETTER_INSTRUCTION, MultipleChoiceTask

HF_REPOS = ("lmms-eval/PerceptionTest_Val", "lmms-lab/PerceptionTest_Val")
HF_REVISION = None  # no commit of the HF copy is pinned: the revision found is recorded
ANNOTATIONS = "mc_question_valid.json"
OFFICIAL = Layout("official-json", (ANNOTATIONS,), "the Perception Test release")
HF_PARQUET = Layout("hf-parquet", ("mc_question_val/validation-*.parquet",),
                    "the HF snapshot, as lmms-eval reads it (config mc_question_val)")
Item = Tuple[str, str, Dict[str, Any]]  # (where, video id, question in the release's shape)


def official_items(path: Path) -> List[Item]:
    db = read_json(path, "Perception Test annotations")
    require(isinstance(db, dict), str(path), "expected a JSON object keyed by video id")
    items = []
    for vid, item in db.items():
        where = f"{path} video {vid!r}"
        require(isinstance(item, dict) and isinstance(item.get("mc_question"), list), where,
                "expected an object with an 'mc_question' list")
        items += [(f"{where} question {q.get('id') if isinstance(q, dict) else q!r}", vid, q) for q in item["mc_question"]]
    return items


def parquet_items(files: Sequence[Path]) -> List[Item]:
    """lmms-eval's rows (``video_name, question, question_id, options, answer_id, area, reasoning,
    tag``, ids as strings) in the release's shape: ``question_id`` is the question's id within
    its video, so samples keep the release's ids ``{video}/{id}``."""
    items = []
    columns = ("video_name", "question", "question_id", "options", "answer_id", "reasoning", "tag")
    for path in files:
        for n, row in enumerate(read_parquet(path, columns, "Perception Test parquet")):
            where = f"{path} row {n} (video_name {row.get('video_name')!r})"
            q = dict(row)
            for key in ("question_id", "answer_id"):
                require(str(row[key]).isdigit(), where, f"field {key!r} must be a number, got {row[key]!r}")
            q["id"], q["answer_id"] = int(row["question_id"]), int(row["answer_id"])
            items.append((where, str(row["video_name"]), q))
    return items

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

    layouts = (OFFICIAL, HF_PARQUET)
    hub_repos = HF_REPOS
    lmms_eval_cache = "perceptiontest_val"
    sample_name = "perceptiontest"
    lmms_eval_task = "perceptiontest_val_mc"
    positional = {"lmms-eval": ("hf-parquet",)}

    def sample_keys(self, sample: Sample) -> List[Tuple[Any, ...]]:
        return [("id", sample.id), ("video+question", sample.fields["video_id"], sample.fields["question"])]

    def lmms_eval_key(self, line: Mapping[str, Any]) -> Optional[Tuple[Any, ...]]:
        metric = line.get("accuracy")
        if not isinstance(metric, dict) or "video_name" not in metric or "question" not in metric:
            return None
        return ("video+question", str(metric["video_name"]), str(metric["question"]))

    def read_layout(self, layout: Layout, files: List[Path], where: Located) -> TaskData:
        items = official_items(files[0]) if layout.name == OFFICIAL.name else parquet_items(files)
        samples = []
        for at, vid, q in items:
            self.validate(at, q)
            video = media_path(where.media, [vid], ("videos", "."), (".mp4", ".MP4"), at)
            fields = {"video_id": vid, "question_index": q["id"], "question": q["question"],
                      "reasoning": q["reasoning"], "tag": q["tag"],
                      "area": areas_of(q["tag"]), "labelled_area": q.get("area")}
            samples.append(Sample(f"{vid}/{q['id']}", letters(3)[q["answer_id"]], fields, video=video, cluster=vid,
                                  choices=tuple(q["options"])))
        return TaskData(samples, tuple(files))

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
        out: Dict[str, List[Dict[str, Any]]] = {}
        for r in records:
            got = r["parsed"][self.official.name]
            if got in ("A", "B", "C"):
                f = r["fields"]
                k = "ABC".index(got)
                out.setdefault(f["video_id"], []).append({"id": f["question_index"], "answer_id": k, "answer": f["options"][k]})
        path = Path(out_dir) / "perceptiontest_results.json"
        path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return [path]
