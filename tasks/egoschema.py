"""EgoSchema: ``egoschema`` (all 5,031 questions: the 500 with public answers are scored, every
question goes into the submission files) and ``egoschema_subset`` (the 500 only).

Layout (official release): ``questions.json`` (``q_uid``, ``question``, ``option 0``..``option 4``),
``subset_answers.json`` (``{q_uid: 0-4}``), videos ``videos/{q_uid}.mp4`` (or at the root).
There is no official MLLM prompt or parser: the prompt is the common letter prompt, and an answer
that names no option is counted unparsed (wrong), never filled in at random.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, ClassVar, List, Optional, Sequence, Tuple

from evalkit.data import media_path, read_json, require, resolve_root
from evalkit.errors import ConfigError
from evalkit.scoring.choice import letters
from evalkit.schema import Record
from evalkit.task import ExportOptions, OfficialRef, Request, Sample, TaskData

from .multiple_choice import LETTER_INSTRUCTION, MultipleChoiceTask

HF_REPO = "lmms-lab/egoschema"
HF_REVISION = None  # no commit of the HF copy is pinned yet: the data comes from --data DIR
OPTION_KEYS = tuple(f"option {i}" for i in range(5))


class EgoSchema(MultipleChoiceTask):
    name = "egoschema"
    description = "EgoSchema full set (5,031): scored on the 500-question public subset; exports Kaggle CSV + JSON"
    official_rule = "letter A-E (no official parser; strict extractor, unparsed counted wrong)"
    official_ref = OfficialRef(documented_rule="egoschema/EgoSchema README: accuracy of the 0-4 answer over the "
                                               "500-question subset; full set scored by the Kaggle competition")
    breakdown_keys = ()
    dataset_revision = HF_REVISION
    subset_only: ClassVar[bool] = False
    export_fill_values = (0, 1, 2, 3, 4)

    def load(self, data: Optional[str]) -> TaskData:
        root = resolve_root(data, "egoschema", HF_REPO, HF_REVISION)
        qpath, apath = root / "questions.json", root / "subset_answers.json"
        questions = read_json(qpath, "EgoSchema questions file")
        answers = read_json(apath, "EgoSchema subset answers file")
        require(isinstance(questions, list), str(qpath), "expected a JSON list of questions")
        require(isinstance(answers, dict), str(apath), "expected a JSON object {q_uid: answer index}")
        for uid, a in answers.items():
            require(isinstance(a, int) and 0 <= a <= 4, f"{apath} q_uid {uid!r}", f"answer must be an integer 0-4, got {a!r}")
        samples, seen = [], set()
        for i, q in enumerate(questions):
            where = f"{qpath} record {i}"
            require(isinstance(q, dict), where, "expected a JSON object")
            for key in ("q_uid", "question", *OPTION_KEYS):
                require(isinstance(q.get(key), str), where, f"field {key!r} must be a string")
            uid = q["q_uid"]
            require(uid not in seen, where, f"q_uid {uid!r} appears twice")
            seen.add(uid)
            if self.subset_only and uid not in answers:
                continue
            target = letters(5)[answers[uid]] if uid in answers else ""
            fields = {"question": q["question"], "in_subset": uid in answers}
            video = media_path(root, [uid], ("videos", "."), (".mp4",), where)
            samples.append(Sample(uid, target, fields, video=video, cluster=uid, choices=tuple(q[k] for k in OPTION_KEYS)))
        missing = sorted(set(answers) - seen)
        require(not missing, str(apath), f"answers for q_uids not in questions.json: {', '.join(missing[:5])}")
        return TaskData(samples, (qpath, apath))

    def build_request(self, sample: Sample, media: Any) -> Request:
        opts = [f"{letter}. {o}" for letter, o in zip(letters(5), sample.choices)]
        return self.video_request(sample, media, "\n".join([sample.fields["question"], *opts]) + LETTER_INSTRUCTION)

    def export_formats(self) -> Tuple[str, ...]:
        return ("official",)

    def export(self, records: Sequence[Record], fmt: str, out_dir: Path,
               options: Optional[ExportOptions] = None) -> List[Path]:
        """Kaggle CSV (``q_uid,answer``, 0-4, one row for every question of the run) and the
        validation-server JSON ``{q_uid: 0-4}`` (parsed answers only: that server scores what it
        gets). An unparsed or failed answer is never filled at random: the export stops unless
        ``--fill-unparsed K`` says what to write, which ``egoschema_export.json`` records."""
        if fmt != "official":
            return super().export(records, fmt, out_dir, options)
        parsed = {r["id"]: "ABCDE".index(r["parsed"]["official"]) for r in records
                  if r["parsed"]["official"] in ("A", "B", "C", "D", "E")}
        unparsed = [r["id"] for r in records if r["id"] not in parsed]
        fill = options.fill_unparsed if options else None
        if unparsed and fill is None:
            raise ConfigError(
                f"{len(unparsed)} of {len(records)} EgoSchema answers are unparsed or failed (first: {unparsed[0]}); "
                "Kaggle needs one row per question: give --fill-unparsed 0..4 to write that answer for them "
                "(recorded in egoschema_export.json), or rerun the failed samples")
        rows = {r["id"]: parsed.get(r["id"], fill) for r in records}
        out = Path(out_dir)
        csv_path, json_path, side = out / "egoschema_kaggle.csv", out / "egoschema_answers.json", out / "egoschema_export.json"
        with csv_path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["q_uid", "answer"])
            writer.writerows(rows.items())
        json_path.write_text(json.dumps(parsed, indent=2) + "\n", encoding="utf-8")
        side.write_text(json.dumps({
            "task": self.name, "protocol": "official", "kaggle_rows": len(rows),
            "validation_json_rows": len(parsed), "validation_json": "parsed answers only",
            "fill_unparsed": fill if unparsed else None, "n_filled": len(unparsed), "filled_q_uids": unparsed,
        }, indent=2) + "\n", encoding="utf-8")
        return [csv_path, json_path, side]


class EgoSchemaSubset(EgoSchema):
    name = "egoschema_subset"
    description = "EgoSchema 500-question public subset"
    subset_only = True
