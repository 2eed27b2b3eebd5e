"""MuirBench (``muirbench``): 2,600 multi-image multiple-choice questions.

Layouts: ``hf-parquet`` (HF ``MUIRBENCH/MUIRBENCH``): ``data/test-*.parquet`` with ``idx, task,
image_relation, image_type, question, options, answer, image_list, counterpart_idx``;
``vlmevalkit-tsv``: VLMEvalKit's ``MUIRBench.tsv`` (in ``$LMUData`` or ``~/LMUData``, found there
without ``--data``), which has no counterpart ids, so no pair accuracy. Images are embedded in
both and are written once to the evalkit cache. The prompt is the authors' ``create_prompt`` with images
where the ``<image>`` placeholders are. Official parsing is the authors' MMMU-style
``parse_multi_choice_response`` minus its random fill: a reply it cannot read is counted
unparsed (wrong) instead of being given a random letter seeded at import.
"""
from __future__ import annotations

import ast
import base64
import binascii
import string
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple

import numpy as np

from evalkit.data import cache_dir, read_parquet, read_tsv, require
from evalkit.errors import DataError
from evalkit.scoring.choice import letters
from evalkit.schema import AccuracyResult, Record
from evalkit.protocol import AccuracyProtocol, OfficialRef
from evalkit.request import ImagePart, Request
from evalkit.samples import Layout, Located, Sample, TaskData

from .image_data import file_digest, stored_image
from .multiple_choice import MultipleChoiceTask, options

HF_REPO = "MUIRBENCH/MUIRBENCH"
HF_REVISION = None  # no commit of the HF copy is pinned: the revision found is recorded
HF_PARQUET = Layout("hf-parquet", ("data/test-*.parquet",), "the HF snapshot (images embedded)")
VLMEVALKIT_TSV = Layout("vlmevalkit-tsv", ("MUIRBench.tsv",), "VLMEvalKit (~/LMUData, images as base64)",
                        lacks=("counterpart_idx (no pair accuracy)",))
TSV_COLUMNS = ("index", "question", "answer", "image")
COLUMNS = ("idx", "task", "image_relation", "question", "options", "answer", "image_list")
IMAGE = "<image>"
HINT = "Hint: Please provide the correct option letter, such as A, B, C, D, directly."


def tsv_rows(path: Path) -> List[Dict[str, Any]]:
    """VLMEvalKit's MUIRBench.tsv as the parquet's rows: ``index`` is MuirBench's ``idx``, the
    options are the non-empty ``A``..``Z`` columns, ``image`` one base64 image or a list of them;
    the task and image relation come from ``task``/``image_relation`` (or VLMEvalKit's
    ``category``/``l2-category``) when the table has them."""
    rows = []
    for n, r in enumerate(read_tsv(path, TSV_COLUMNS, "VLMEvalKit MUIRBench table")):
        where = f"{path} row {n + 2} (index {r.get('index')!r})"
        cell = str(r["image"]).strip()
        try:
            images = ast.literal_eval(cell) if cell.startswith("[") else [cell]
            decoded = [base64.b64decode(b, validate=True) for b in images]
        except (ValueError, SyntaxError, binascii.Error):
            raise DataError(f"{where}: 'image' is neither base64 nor a list of base64 images") from None
        rows.append({
            "idx": str(r["index"]), "question": r["question"], "answer": r["answer"],
            "options": [r[c] for c in string.ascii_uppercase if str(r.get(c, "")).strip()],
            "task": r.get("task") or r.get("category") or "", "image_relation": r.get("image_relation")
            or r.get("l2-category") or "", "image_list": [{"bytes": b, "path": ""} for b in decoded]})
    return rows


def official_answer(response: str, choices: Sequence[str], index2ans: Mapping[str, str]) -> str:
    """The authors' parse_multi_choice_response without the random fill ('' instead)."""
    for char in [",", ".", "!", "?", ";", ":", "'"]:
        response = response.strip(char)
    response = " " + response + " "
    index_ans, with_brackets, candidates = True, False, []
    for c in choices:
        if f"({c})" in response:
            candidates.append(c)
            with_brackets = True
    if not candidates:
        candidates = [c for c in choices if f" {c} " in response]
    if not candidates and len(response.split()) > 5:
        for c, text in index2ans.items():
            if text.lower() in response.lower():
                candidates.append(c)
                index_ans = False
    if not candidates:
        return ""
    if len(candidates) == 1:
        return candidates[0]
    if index_ans:
        marks = [response.rfind(f"({c})") if with_brackets else response.rfind(f" {c} ") for c in candidates]
    else:
        marks = [response.lower().rfind(index2ans[c].lower()) for c in candidates]
    return candidates[int(np.argmax(marks))]


def prompt_text(question: str, options: Sequence[str]) -> str:
    """The authors' create_prompt with the hint."""
    choices = "\n".join(["Choices:"] + [f"({chr(ord('A') + i)}) {o}" for i, o in enumerate(options)])
    return "\n".join([f"Question: {question}", choices, HINT, "Answer:"]).strip()


class MuirBench(MultipleChoiceTask):
    name = "muirbench"
    description = "MuirBench multi-image multiple choice (2,600 questions, 12 tasks, answerable/unanswerable pairs)"
    media_kind = "images"
    official_rule = "MuirBench parse_multi_choice_response (MMMU-style), no random fill: unparsed = wrong"
    official_ref = OfficialRef("muirbench/MuirBench", "eval/utils/postprocess.py",
                               "840b85fe960ab6160cd566fe8360bfa80f9164db")
    breakdown_keys = ("task", "image_relation", "answerability")
    dataset_revision = HF_REVISION

    layouts = (HF_PARQUET, VLMEVALKIT_TSV)
    hub_repos = (HF_REPO,)
    lmudata_file = "MUIRBench.tsv"
    sample_name = "muirbench"
    vlmevalkit_dataset = "MUIRBench"
    positional = {"vlmevalkit": ("vlmevalkit-tsv",)}

    def read_layout(self, layout: Layout, files: List[Path], where: Located) -> TaskData:
        samples = []
        for path in files:
            rows = read_parquet(path, COLUMNS, "MuirBench parquet") if layout is HF_PARQUET else tsv_rows(path)
            folder = cache_dir() / "images" / "muirbench" / file_digest(path)
            for n, row in enumerate(rows):
                samples.append(self.sample(row, f"{path} row {n} (idx {row.get('idx')!r})", folder))
        return TaskData(samples, tuple(files))

    def vlmevalkit_key(self, row: Mapping[str, Any]) -> Optional[Tuple[Any, ...]]:
        return ("id", str(row["index"])) if "index" in row else None

    @staticmethod
    def sample(row: Mapping[str, Any], where: str, folder: Path) -> Sample:
        opts = row["options"]
        require(isinstance(opts, list) and len(opts) >= 2 and all(isinstance(o, str) for o in opts), where,
                "field 'options' must be a list of strings")
        require(row["answer"] in letters(len(opts)), where, f"answer {row['answer']!r} is not an option letter")
        images = [stored_image(cell, folder, f"{row['idx']}_{k}", where) for k, cell in enumerate(row["image_list"] or [])]
        placeholders = (row["question"] + "".join(opts)).count(IMAGE)
        require(placeholders <= len(images), where, f"{placeholders} <image> placeholders but {len(images)} images")
        gold_text = opts[letters(len(opts)).index(row["answer"])]
        fields = {"question": row["question"], "task": row["task"],
                  "image_relation": row["image_relation"], "image_type": row.get("image_type"),
                  "counterpart_idx": row.get("counterpart_idx"),
                  # the unanswerable twins' gold option says none of the choices fit
                  "answerability": "unanswerable" if gold_text.lower().startswith("none of the") else "answerable"}
        return Sample(str(row["idx"]), row["answer"], fields, images=tuple(images), cluster=str(row["idx"]),
                      choices=tuple(opts))

    def official_extract(self, response: str, record: Record) -> str:
        opts = options(record)
        choices = letters(len(opts))
        return official_answer(response, choices, dict(zip(choices, opts)))

    def build_request(self, sample: Sample, media: Any) -> Request:
        text = prompt_text(sample.fields["question"], sample.choices)
        pieces = text.split(IMAGE)
        pixels = media.frames if media is not None else [None] * len(sample.images)
        extra = len(sample.images) - (len(pieces) - 1)  # images with no placeholder go first
        parts: List[Any] = [ImagePart(p, x) for p, x in zip(sample.images[:extra], pixels[:extra])]
        for i, piece in enumerate(pieces):
            if piece:
                parts.append(piece)
            if i < len(pieces) - 1:
                parts.append(ImagePart(sample.images[extra + i], pixels[extra + i]))
        return Request(sample.id, self.name, parts, choices=tuple(letters(len(sample.choices))),
                       max_new_tokens=self.max_new_tokens)

    def add_metrics(self, records: Sequence[Record], protocol: AccuracyProtocol, result: AccuracyResult) -> None:
        """Pair accuracy: an answerable question and its unanswerable twin both right."""
        by_idx = {r["id"]: r for r in records}
        pairs: Set[Tuple[str, ...]] = set()
        both = 0.0
        for r in records:
            twin = str(r["fields"].get("counterpart_idx"))
            if twin in by_idx and twin != r["id"]:
                pairs.add(tuple(sorted((r["id"], twin))))
        for a, b in pairs:
            both += (by_idx[a]["score"][protocol.name] or 0) * (by_idx[b]["score"][protocol.name] or 0)
        result["metrics"]["pair_accuracy"] = 100.0 * both / len(pairs) if pairs else None
        result["n_pairs"] = len(pairs)
