"""EgoSchema: ``egoschema`` (all 5,031 questions: the 500 with public answers are scored, every
question goes into the submission files) and ``egoschema_subset`` (the 500 only).

Layouts: ``official-json`` (the release): ``questions.json`` (``q_uid``, ``question``, ``option
0``..``option 4``), ``subset_answers.json`` (``{q_uid: 0-4}``); ``hf-parquet`` (the HF snapshot
lmms-eval reads, ``lmms-eval/egoschema`` or ``lmms-lab/egoschema``): ``GENERATION/`` and
``Subset/`` parquets. Videos ``videos/{q_uid}.mp4`` (or at the root) under the media root
(lmms-eval's ``$HF_HOME/egoschema``).
There is no official MLLM prompt or parser: the prompt is the common letter prompt, and an answer
that names no option is counted unparsed (wrong), never filled in at random.
"""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any, ClassVar, Dict, List, Mapping, Optional, Sequence, Tuple

from evalkit.data import media_path, read_json, read_parquet, require
from evalkit.errors import ConfigError
from evalkit.scoring.choice import letters
from evalkit.schema import Record
from evalkit.protocol import OfficialRef
from evalkit.request import Request
from evalkit.samples import Layout, Located, Sample, TaskData
from evalkit.task import ExportOptions

from .multiple_choice import LETTER_INSTRUCTION, MultipleChoiceTask

HF_REPOS = ("lmms-eval/egoschema", "lmms-lab/egoschema")
HF_REVISION = None  # no commit of the HF copy is pinned: the revision found is recorded
OPTION_KEYS = tuple(f"option {i}" for i in range(5))
OFFICIAL = Layout("official-json", ("questions.json", "subset_answers.json"), "the EgoSchema release")
HF_PARQUET = Layout("hf-parquet", ("GENERATION/test-*.parquet", "Subset/test-*.parquet"),
                    "the HF snapshot, as lmms-eval reads it (GENERATION: every question, Subset: the 500 answers)")
LETTER_PREFIX = re.compile(r"^[A-E]\.\s*")

Questions = List[Tuple[str, str, str, Tuple[str, ...]]]  # (where, q_uid, question, options)


def official_rows(root: Path) -> Tuple[Questions, Dict[str, int], Tuple[Path, ...]]:
    qpath, apath = root / "questions.json", root / "subset_answers.json"
    questions = read_json(qpath, "EgoSchema questions file")
    answers = read_json(apath, "EgoSchema subset answers file")
    require(isinstance(questions, list), str(qpath), "expected a JSON list of questions")
    require(isinstance(answers, dict), str(apath), "expected a JSON object {q_uid: answer index}")
    for uid, a in answers.items():
        require(isinstance(a, int) and 0 <= a <= 4, f"{apath} q_uid {uid!r}", f"answer must be an integer 0-4, got {a!r}")
    out: Questions = []
    for i, q in enumerate(questions):
        where = f"{qpath} record {i}"
        require(isinstance(q, dict), where, "expected a JSON object")
        for key in ("q_uid", "question", *OPTION_KEYS):
            require(isinstance(q.get(key), str), where, f"field {key!r} must be a string")
        out.append((where, q["q_uid"], q["question"], tuple(q[k] for k in OPTION_KEYS)))
    return out, answers, (qpath, apath)


def parquet_rows(files: Sequence[Path]) -> Tuple[Questions, Dict[str, int], Tuple[Path, ...]]:
    """lmms-eval's configs: ``video_idx`` (the q_uid), ``question``, ``option`` (five "A. text"
    strings, read without the letter), ``answer`` (0-4, as a number or a digit string; None in
    GENERATION). The full set's questions come from GENERATION, the answers from Subset (the
    subset task's layout names Subset only)."""
    subset = [f for f in files if f.parent.name == "Subset"]
    generation = [f for f in files if f.parent.name == "GENERATION"]
    answers: Dict[str, int] = {}
    out: Questions = []
    for path in subset + generation:
        for n, row in enumerate(read_parquet(path, ("video_idx", "question", "option", "answer"), "EgoSchema parquet")):
            where = f"{path} row {n} (video_idx {row.get('video_idx')!r})"
            opts = row["option"]
            require(isinstance(opts, list) and len(opts) == 5 and all(isinstance(o, str) for o in opts), where,
                    "field 'option' must be a list of 5 strings")
            if path in subset:
                answer = str(row["answer"])
                require(answer in ("0", "1", "2", "3", "4"), where, f"answer must be 0-4, got {row['answer']!r}")
                answers[row["video_idx"]] = int(answer)
            if path in subset and generation:
                continue  # the full set's question list is GENERATION's
            out.append((where, row["video_idx"], row["question"], tuple(LETTER_PREFIX.sub("", o) for o in opts)))
    return out, answers, tuple(generation + subset)


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

    layouts = (OFFICIAL, HF_PARQUET)
    hub_repos = HF_REPOS
    lmms_eval_cache = "egoschema"
    sample_name = "egoschema"
    lmms_eval_task: ClassVar[Optional[str]] = "egoschema"
    positional: ClassVar[Mapping[str, Tuple[str, ...]]] = {"lmms-eval": ("hf-parquet",)}

    def lmms_eval_key(self, line: Mapping[str, Any]) -> Optional[Tuple[Any, ...]]:
        submission = line.get("submission")  # {video_idx (the q_uid): answer index}
        return ("id", str(next(iter(submission)))) if isinstance(submission, dict) and len(submission) == 1 else None

    def read_layout(self, layout: Layout, files: List[Path], where: Located) -> TaskData:
        if layout.name == OFFICIAL.name:
            questions, answers, read = official_rows(where.root)
        else:
            questions, answers, read = parquet_rows(files)
        samples, seen = [], set()
        for where_q, uid, question, options in questions:
            require(uid not in seen, where_q, f"q_uid {uid!r} appears twice")
            seen.add(uid)
            if self.subset_only and uid not in answers:
                continue
            target = letters(5)[answers[uid]] if uid in answers else ""
            fields = {"question": question, "in_subset": uid in answers}
            video = media_path(where.media, [uid], ("videos", "."), (".mp4", ".MP4"), where_q)
            samples.append(Sample(uid, target, fields, video=video, cluster=uid, choices=options))
        missing = sorted(set(answers) - seen)
        require(not missing, str(read[-1]), f"answers for q_uids that have no question: {', '.join(missing[:5])}")
        return TaskData(samples, read)

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
        parsed = {r["id"]: "ABCDE".index(r["parsed"][self.official.name]) for r in records
                  if r["parsed"][self.official.name] in ("A", "B", "C", "D", "E")}
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
            "task": self.name, "protocol": self.official.name, "kaggle_rows": len(rows),
            "validation_json_rows": len(parsed), "validation_json": "parsed answers only",
            "fill_unparsed": fill if unparsed else None, "n_filled": len(unparsed), "filled_q_uids": unparsed,
        }, indent=2) + "\n", encoding="utf-8")
        return [csv_path, json_path, side]


class EgoSchemaSubset(EgoSchema):
    name = "egoschema_subset"
    description = "EgoSchema 500-question public subset"
    subset_only = True
    lmms_eval_task = "egoschema_subset"
    layouts = (OFFICIAL, Layout(HF_PARQUET.name, ("Subset/test-*.parquet",), HF_PARQUET.written_by))
