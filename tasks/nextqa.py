"""NExT-QA multiple choice (``nextqa``): the validation split, 4,996 questions on 570 videos,
five options each; the test split (8,564 questions) where only its files are present.

Layouts, in precedence order:

- ``hf-parquet``: the HF snapshot lmms-eval reads (``lmms-eval/NExTQA``, formerly
  ``lmms-lab/NExTQA``), config ``MC``: ``MC/test-*.parquet``. That config holds the TEST split
  only (lmms-eval's ``nextqa_mc_test``; it has no multiple-choice validation task). Columns used:
  ``video, qid, type, question, answer, a0..a4`` (the upstream csv's; ints or digit strings
  accepted). Videos lie flat in lmms-eval's ``$HF_HOME/nextqa/NExTVideo/<video>.mp4``.
- ``release-csv``: the authors' release (``dataset/nextqa/`` of doc-doc/NExT-QA):
  ``val.csv``, else ``test.csv`` (``--data FILE`` picks one; any csv of these columns is read
  with its stem as the split), columns ``video, frame_count, width, height, question, answer,
  qid, type, a0..a4``; ``map_vid_vidorID.json`` (beside the csv, or in the media root) maps a
  video to ``<folder>/<video>`` under ``NExTVideo/``. Without the map the flat path is tried.

The split read is stored in every sample's fields (``split``) and in run.json's layout facts;
sample ids are the upstream keys ``<video>_<qid>`` in both layouts.

Official scoring is the authors' ``eval_mc.py`` (doc-doc/NExT-QA, read at 6b92588, last changed
in 005bbc9): predictions are option indices keyed ``<video>_<qid>``, compared with the gold index
by equality (evalkit holds both as integers: upstream a string ``"2"`` never equals ``2``); type
``TP`` is counted as ``TN``; accuracy per type (``qtype``: CW, CH, TN, TC, DC, DL, DO), per
family (``family``: C = CW+CH, T = TN+TC (TP inside), D = DC+DL+DO) and overall, all micro
(sum correct / sum count over every question). eval_mc raises KeyError on a missing
prediction (evalkit counts a failed or unreadable item wrong) and ZeroDivisionError when a type
has no question (a subset: evalkit reports the types present).

The authors' models output indices, so eval_mc has no reader from a reply to an option. evalkit's
choice for the official protocol is lmms-eval's NExT-QA reader (``parse_multi_choice_response`` in
``lmms_eval/tasks/nextqa/utils.py`` at 75571cf, MMMU's parser): after stripping ``, . ! ? ; : '``
from the ends, options written ``(X)``, else ``X `` (letter then space), else ``X.``; with
none and more than 5 words, option texts (case-insensitive substring); several found: the last
one. Upper-case letters only. Where lmms-eval then picks a letter at random, evalkit counts the
item unparsed (wrong). The ``strict`` protocol reads the reply with evalkit's strict extractor.

The prompt is lmms-eval's ``nextqa_doc_to_text_mc``: the stripped question, then ``A. <a0>`` ..
``E. <a4>`` (options stripped), one per line. lmms-eval's ``nextqa_mc_test`` adds no instruction
and the authors have none; evalkit appends the letter instruction lmms-eval uses for its other
video multiple-choice tasks (EgoSchema, Perception Test): "Answer with the option's letter from
the given choices directly."
"""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from evalkit.data import media_path, read_json, read_parquet, require
from evalkit.errors import DataError
from evalkit.protocol import OfficialRef
from evalkit.request import Request
from evalkit.samples import Layout, Located, Sample, TaskData
from evalkit.schema import Record, TaskInfo
from evalkit.scoring.choice import letters
from evalkit.task import ExportOptions

from .multiple_choice import LETTER_INSTRUCTION, MultipleChoiceTask

HF_REPOS = ("lmms-eval/NExTQA", "lmms-lab/NExTQA")  # lmms-eval 4be7ee0 moved it to lmms-eval/
HF_REVISION = None  # no commit of the HF copy is pinned: the revision found is recorded
NQ_REPO, NQ_COMMIT = "doc-doc/NExT-QA", "6b92588ab4496268fa1caab9414a8b998ee063c5"
LMMS_EVAL_COMMIT = "75571cfe0fa36ca5ec2e6aa2bb268f9d38295af3"
HF_PARQUET = Layout("hf-parquet", ("MC/test-*.parquet",),
                    "the HF snapshot lmms-eval reads (config MC: the test split)")
RELEASE_CSV = Layout("release-csv", ("*.csv",), "the authors' release (dataset/nextqa/val.csv or test.csv)")
SPLIT_FILES = ("val.csv", "test.csv")  # the release's csv read when --data names none, in this order
VIDEO_MAP = "map_vid_vidorID.json"
OPTION_COLUMNS = tuple(f"a{i}" for i in range(5))
COLUMNS = ("video", "question", "answer", "qid", "type", *OPTION_COLUMNS)
VIDEO_DIRS = ("NExTVideo", ".")
VIDEO_SUFFIXES = (".mp4", ".MP4")
# eval_mc's question types; TP (previous) is counted as TN (before & after)
TYPES = ("CW", "CH", "TN", "TP", "TC", "DC", "DL", "DO")
EVAL_TYPE = {t: ("TN" if t == "TP" else t) for t in TYPES}
# eval_mc's printed labels, for reports that want them
LABELS = {"CW": "Why", "CH": "How", "TN": "Bef&Aft", "TC": "When", "DC": "Cnt", "DL": "Loc", "DO": "Other",
          "C": "Acc_C", "T": "Acc_T", "D": "Acc_D"}
NO_PREDICTION = -1  # exported for items with no readable answer: eval_mc counts it wrong

Row = Tuple[str, Mapping[str, Any]]  # (where, raw row)


def official_answer(response: str, options: Sequence[str]) -> str:
    """lmms-eval's NExT-QA reading of ``response`` (MMMU's ``parse_multi_choice_response``), or ''
    where lmms-eval would pick a letter at random."""
    choices = letters(len(options))
    text_of = {c: o.strip() for c, o in zip(choices, options)}
    for char in ",.!?;:'":
        response = response.strip(char)
    padded = f" {response} "
    bracketed = [c for c in choices if f"({c})" in padded]
    found = (bracketed or [c for c in choices if f"{c} " in padded]
             or [c for c in choices if f"{c}." in padded])
    by_text = False
    if not found and len(padded.split()) > 5:
        found, by_text = [c for c in choices if text_of[c].lower() in padded.lower()], True
    if len(found) <= 1:
        return found[0] if found else ""
    if by_text:
        where = [padded.lower().rfind(text_of[c].lower()) for c in found]
    elif bracketed:
        where = [padded.rfind(f"({c})") for c in found]
    else:  # found by "X " or "X.", located by " X " (-1 where it is not written so)
        where = [padded.rfind(f" {c} ") for c in found]
    return found[where.index(max(where))]  # the last one; ties: the first (numpy argmax)


def lmms_eval_prompt(question: str, options: Sequence[str]) -> str:
    """lmms-eval's ``nextqa_doc_to_text_mc`` (what its logs record as ``input``)."""
    return "\n".join([question.strip(), *(f"{c}. {o.strip()}" for c, o in zip(letters(len(options)), options))])


def integer(value: Any, where: str, column: str) -> int:
    """An integer column (csv text, a parquet int, or a digit string); DataError otherwise."""
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit())):
        raise DataError(f"{where}: field {column!r} must be a whole number, got {value!r}")
    return int(value)


def csv_rows(path: Path) -> List[Row]:
    """The release csv's rows as text, checking the columns (eval_mc reads it with pandas)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
            require(not missing, str(path), f"missing column(s) {', '.join(missing)} (the release's csv has "
                    "video, frame_count, width, height, question, answer, qid, type, a0..a4)")
            rows: List[Row] = [(f"{path} row {n}", row) for n, row in enumerate(reader, 2)]  # row 1: header
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path}: not a readable csv file ({exc}); re-download it") from None
    for where, row in rows:
        require(None not in row and None not in row.values(), where,
                "the row's field count differs from the header's")
    return rows


def video_map(where: Located, folder: Path) -> Tuple[Dict[str, str], Optional[Path]]:
    """``map_vid_vidorID.json`` beside the csv, in the annotation root or in the media root
    (``{video: "<folder>/<video>"}``), and its path; empty without one."""
    for candidate in (folder / VIDEO_MAP, where.root / VIDEO_MAP, where.media / VIDEO_MAP):
        if candidate.is_file():
            found = read_json(candidate, "NExT-QA video map")
            require(isinstance(found, dict) and all(isinstance(v, str) for v in found.values()), str(candidate),
                    'expected {"<video>": "<folder>/<video>"} with string values')
            return found, candidate
    return {}, None


class NExTQA(MultipleChoiceTask):
    name = "nextqa"
    description = "NExT-QA multiple choice, validation split (4,996 questions; the test split where only it is present)"
    official_rule = ("NExT-QA eval_mc.py (indices keyed video_qid; TP counted as TN; types, families C/T/D and "
                     "overall micro); reply to option: lmms-eval's nextqa parse_multi_choice_response without its "
                     "random fill (evalkit's choice: eval_mc reads indices)")
    official_ref = OfficialRef(NQ_REPO, "eval_mc.py", NQ_COMMIT)
    breakdown_keys = ("qtype", "family")
    dataset_revision = HF_REVISION

    layouts = (HF_PARQUET, RELEASE_CSV)
    hub_repos = HF_REPOS
    lmms_eval_cache = "nextqa"
    sample_name = "nextqa"
    lmms_eval_task = "nextqa_mc_test"  # its log lines carry no id: the prompt text, else the row position
    positional = {"lmms-eval": ("hf-parquet",)}

    def sample_keys(self, sample: Sample) -> List[Tuple[Any, ...]]:
        return [("id", sample.id), ("lmms-eval input", lmms_eval_prompt(sample.fields["question"], sample.choices))]

    def lmms_eval_key(self, line: Mapping[str, Any]) -> Optional[Tuple[Any, ...]]:
        prompt = line.get("input")
        return ("lmms-eval input", prompt) if isinstance(prompt, str) else None

    def read_layout(self, layout: Layout, files: List[Path], where: Located) -> TaskData:
        if layout.name == HF_PARQUET.name:
            rows: List[Row] = []
            for path in files:
                rows += [(f"{path} row {n}", r) for n, r in enumerate(read_parquet(path, COLUMNS, "NExT-QA MC parquet"))]
            split, read, folder = "test", list(files), files[0].parent
        else:
            path = self.release_csv(files, where)
            rows, split, read, folder = csv_rows(path), path.stem, [path], path.parent
        mapping, map_file = video_map(where, folder)
        if map_file is not None:
            read.append(map_file)
        samples, seen = [], set()
        for at, row in rows:
            sample = self.sample(at, row, split, mapping, where.media)
            require(sample.id not in seen, at, f"question {sample.id!r} (video_qid) appears twice")
            seen.add(sample.id)
            samples.append(sample)
        return TaskData(samples, tuple(read))

    @staticmethod
    def release_csv(files: List[Path], where: Located) -> Path:
        """The csv named by ``--data FILE``, else val.csv, else test.csv."""
        if where.file is not None:
            return where.file
        by_name = {p.name: p for p in files}
        for name in SPLIT_FILES:
            if name in by_name:
                return by_name[name]
        raise DataError(f"{where.root}: no val.csv or test.csv (found {', '.join(sorted(by_name))}); pass "
                        "--data FILE to read another csv of the release's columns")

    def sample(self, at: str, row: Mapping[str, Any], split: str, mapping: Mapping[str, str], media: Path) -> Sample:
        video = str(row["video"]).strip()
        require(bool(video) and not isinstance(row["video"], (bool, float)), at,
                f"field 'video' must be a video id, got {row['video']!r}")
        qid = integer(row["qid"], at, "qid")
        answer = integer(row["answer"], at, "answer")
        require(0 <= answer <= 4, at, f"field 'answer' must be an option index 0-4, got {answer}")
        qtype = row["type"]
        require(qtype in TYPES, at, f"field 'type' must be one of {', '.join(TYPES)} (eval_mc's), got {qtype!r}")
        options = [row[c] for c in OPTION_COLUMNS]
        require(isinstance(row["question"], str) and all(isinstance(o, str) for o in options), at,
                "fields 'question' and a0..a4 must be text")
        stems = [mapping[video], video] if video in mapping else [video]
        path = media_path(media, stems, VIDEO_DIRS, VIDEO_SUFFIXES, f"{at} (video {video})")
        fields = {"video": video, "qid": qid, "question": row["question"], "type": qtype,
                  "qtype": EVAL_TYPE[qtype], "family": qtype[0], "split": split}
        return Sample(f"{video}_{qid}", letters(5)[answer], fields, video=path, cluster=video,
                      choices=tuple(o.strip() for o in options))

    def official_extract(self, response: str, record: Record) -> str:
        return official_answer(response, record["fields"]["options"])

    def build_request(self, sample: Sample, media: Any) -> Request:
        return self.video_request(sample, media, lmms_eval_prompt(sample.fields["question"], sample.choices)
                                  + LETTER_INSTRUCTION)

    def describe(self, data: Optional[TaskData] = None) -> TaskInfo:
        info = super().describe(data)
        if data is not None and "layout" in info:
            splits = sorted({str(s.fields.get("split")) for s in data.samples})
            info["layout"]["split"] = splits[0] if len(splits) == 1 else splits
        return info

    def export_formats(self) -> Tuple[str, ...]:
        return ("official",)

    def export(self, records: Sequence[Record], fmt: str, out_dir: Path,
               options: Optional[ExportOptions] = None) -> List[Path]:
        """The results file eval_mc.py reads: ``{"<video>_<qid>": {"prediction": index, "answer":
        index}}`` (what the authors' ``videoqa.predict`` writes), the gold from the annotations.
        An item the official protocol could not read, or that failed, gets prediction -1, which
        eval_mc counts wrong (a missing key would stop it with KeyError); indices are integers."""
        out: Dict[str, Dict[str, int]] = {}
        splits = set()
        for r in records:
            got = r["parsed"][self.official.name] if r.get("error") is None else ""
            choices = letters(len(r["fields"]["options"]))
            out[r["id"]] = {"prediction": choices.index(got) if got in choices else NO_PREDICTION,
                            "answer": choices.index(r["target"])}
            splits.add(str(r["fields"].get("split", "val")))
        split = splits.pop() if len(splits) == 1 else "mixed"
        path = Path(out_dir) / f"nextqa_eval_mc_{split}.json"
        path.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
        return [path]
