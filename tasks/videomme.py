"""Video-MME, without (``videomme``) and with (``videomme_w_subtitle``) subtitles.

Layouts, in precedence order: ``hf-parquet``, the HF snapshot (``lmms-lab/Video-MME`` or
``lmms-eval/Video-MME``, what lmms-eval reads): ``videomme/test-00000-of-00001.parquet``;
``vlmevalkit-tsv``, the ``Video-MME.tsv`` VLMEvalKit writes into that snapshot (its ``index`` is
the parquet row, so ``question_id`` and ``video_id`` are derived from it: question k of video
v is row 3(v-1)+k-1, checked on every triple). Videos ``data/{videoID}.mp4`` (lmms-eval,
``$HF_HOME/videomme``), ``video/`` (VLMEvalKit) or ``videos/``; subtitles
``subtitle/{videoID}.srt``, both under the media root (``--media``, else the annotation root).
Official scoring follows the scorer the official Video-MME README links to: ``eval_your_results.py``
in ``thanku-all/parse_answer`` at its latest commit (afd52cf): its answer-prefix list (two entries
fused by a missing comma, then "Answer:", "Option:", "The correct answer", "The correct option"),
the ">10 words and no A-D" rule, the first capital A-D anywhere, and accuracy over answered
questions only. The older copy (0379c42, also once kept in the Video-MME repo) lacks the last
four prefixes; it is not the official scorer.
"""
from __future__ import annotations

import ast
import functools
import json
import re
from pathlib import Path
from typing import Any, ClassVar, Dict, List, Mapping, Optional, Sequence, Tuple

from evalkit.data import inside, media_path, read_parquet, read_tsv, require
from evalkit.errors import DataError
from evalkit.media.subtitles import lines_at, parse_srt_checked
from evalkit.media.video import SampledVideo
from evalkit.schema import Record
from evalkit.protocol import ANSWERED, OfficialRef
from evalkit.request import Request
from evalkit.samples import Layout, Located, Sample, TaskData
from evalkit.task import ExportOptions

from .multiple_choice import MultipleChoiceTask

HF_REPOS = ("lmms-eval/Video-MME", "lmms-lab/Video-MME")  # lmms-eval 0.7.3 moved it to lmms-eval/
# revision of the HF snapshot whose schema this loader reads (2,700 rows, options as lists)
HF_REVISION = "ead1408f75b618502df9a1d8e0950166bf0a2a0b"
PARQUET = Path("videomme") / "test-00000-of-00001.parquet"  # the file of the HF snapshot
HF_PARQUET = Layout("hf-parquet", ("videomme/test-*.parquet",), "the HF snapshot, as lmms-eval reads it")
VLMEVALKIT_TSV = Layout("vlmevalkit-tsv", ("Video-MME.tsv",), "VLMEvalKit",
                        lacks=("question_id and video_id (derived from the row index)",))
TSV_COLUMNS = ("index", "video", "duration", "domain", "candidates", "sub_category", "task_type", "question", "answer")
VIDEO_DIRS = ("data", "video", "videos", ".")
VIDEO_SUFFIXES = (".mp4", ".MP4", ".mkv")
COLUMNS = ("video_id", "duration", "domain", "sub_category", "videoID", "question_id",
           "task_type", "question", "options", "answer")

INSTRUCTION = (
    "Select the best answer to the following multiple-choice question based on the video. "
    "Respond with only the letter (A, B, C, or D) of the correct option."
)
ANSWER_CUE = "The best answer is:"
SUBTITLE_HEADER = "This video's subtitles are listed below:"
NO_SUBTITLES = "No subtitles available"

# The authors' list as Python reads it: missing commas fuse two pairs of entries. Order matters:
# "The correct answer is" goes before "The correct answer", "The answer" before "Answer:".
OFFICIAL_PREFIXES = (
    "The best answer is",
    "The correct answer is",
    "The answer is",
    "The answer",
    "The best option is" "The correct option is",
    "Best answer:" "Best option:",
    "Answer:",
    "Option:",
    "The correct answer",
    "The correct option",
)


def official_answer(response: str) -> str:
    """Video-MME's official extraction: '' when no answer is found."""
    s = response.strip()
    for prefix in OFFICIAL_PREFIXES:
        s = s.replace(prefix, "")
    if len(s.split()) > 10 and not re.search("[ABCD]", s):
        return ""
    m = re.search(r"[ABCD]", s)
    return m[0] if m else ""


def tsv_rows(path: Path) -> List[Dict[str, Any]]:
    """VLMEvalKit's Video-MME.tsv as the parquet's rows: ``index`` i is parquet row i, so the
    question is ``{i // 3 + 1:03d}-{i % 3 + 1}`` (checked: a video's three rows share it)."""
    rows = []
    for n, r in enumerate(read_tsv(path, TSV_COLUMNS, "VLMEvalKit Video-MME table")):
        where = f"{path} row {n} (index {r.get('index')!r})"
        try:
            index, options = int(r["index"]), ast.literal_eval(str(r["candidates"]))
        except (ValueError, SyntaxError):
            raise DataError(f"{where}: 'index' must be an integer and 'candidates' a list") from None
        rows.append({"video_id": f"{index // 3 + 1:03d}", "question_id": f"{index // 3 + 1:03d}-{index % 3 + 1}",
                     "videoID": str(r["video"]), "options": options,
                     **{c: str(r[c]) for c in ("duration", "domain", "sub_category", "task_type", "question", "answer")}})
    first_of: Dict[str, str] = {}
    for n, row in enumerate(rows):
        first = first_of.setdefault(row["video_id"], row["videoID"])
        require(first == row["videoID"], f"{path} row {n}",
                f"index puts it with video {row['video_id']} ({first}) but its video is {row['videoID']}; "
                "this table is not in Video-MME's row order: use the snapshot's parquet instead")
    return rows


def validate_row(where: str, row: Mapping[str, Any]) -> None:
    for col in COLUMNS:
        if col != "options" and not isinstance(row[col], str):
            raise DataError(f"{where}: field {col!r} must be a string, got {row[col]!r}")
    opts = row["options"]
    if not isinstance(opts, list) or len(opts) != 4 or not all(isinstance(o, str) for o in opts):
        raise DataError(f"{where}: field 'options' must be a list of 4 strings, got {opts!r}")
    if row["answer"] not in ("A", "B", "C", "D"):
        raise DataError(f"{where}: field 'answer' must be one of A-D, got {row['answer']!r}")


@functools.lru_cache(maxsize=64)
def subtitle_lines(path: Path) -> tuple:
    """A video's subtitles and the warning of their reading, parsed once for its (three) questions."""
    lines, warning = parse_srt_checked(path)
    return tuple(lines), warning


class VideoMME(MultipleChoiceTask):
    name = "videomme"
    description = "Video-MME (2,700 multiple-choice questions on 900 videos), no subtitles"
    official_rule = "Video-MME eval_your_results.py extract_characters_regex (prefix list of afd52cf)"
    official_ref = OfficialRef("thanku-all/parse_answer", "eval_your_results.py",
                               "afd52cfe3dde5b3685e0d4f760c10c756860c758")
    official_denominator = ANSWERED
    breakdown_keys = ("duration", "domain", "sub_category", "task_type")
    dataset_revision = HF_REVISION
    with_subtitles: ClassVar[bool] = False

    layouts = (HF_PARQUET, VLMEVALKIT_TSV)
    hub_repos = HF_REPOS
    lmms_eval_cache = "videomme"
    sample_name = "videomme"
    lmms_eval_task = "videomme"
    vlmevalkit_dataset = "Video-MME"
    positional = {"lmms-eval": ("hf-parquet",), "vlmevalkit": ("hf-parquet", "vlmevalkit-tsv")}

    def sample_keys(self, sample: Sample) -> List[Tuple[Any, ...]]:
        return [("id", sample.id), ("video+question", sample.fields["videoID"], sample.fields["question"])]

    def lmms_eval_key(self, line: Mapping[str, Any]) -> Optional[Tuple[Any, ...]]:
        metric = line.get("videomme_perception_score")
        return ("id", str(metric["question_id"])) if isinstance(metric, dict) and "question_id" in metric else None

    def vlmevalkit_key(self, row: Mapping[str, Any]) -> Optional[Tuple[Any, ...]]:
        return ("video+question", str(row["video"]), str(row["question"])) if "video" in row and "question" in row \
            else None

    def read_layout(self, layout: Layout, files: List[Path], where: Located) -> TaskData:
        rows: List[Tuple[str, int, Dict[str, Any]]] = []
        for file in files:
            if layout is HF_PARQUET:
                rows += [(str(file), n, r) for n, r in enumerate(read_parquet(file, COLUMNS, "Video-MME annotations"))]
            else:
                rows += [(str(file), n, r) for n, r in enumerate(tsv_rows(file))]
        samples, seen = [], set()
        for name, n, row in rows:
            where_row = f"{name} row {n} (question_id {row.get('question_id')!r})"
            validate_row(where_row, row)
            require(row["question_id"] not in seen, f"{name} row {n}", f"question_id {row['question_id']!r} appears twice")
            seen.add(row["question_id"])
            samples.append(self.sample(row, where.media, where_row))
        return TaskData(samples, tuple(files))

    def sample(self, row: Mapping[str, Any], media: Path, where: str) -> Sample:
        fields = {c: row[c] for c in COLUMNS if c not in ("answer", "question_id", "options")}
        assets = {}
        if self.with_subtitles:
            srt = inside(media, f"subtitle/{row['videoID']}.srt", where)
            fields["subtitle_file"] = str(srt.relative_to(media)) if srt.is_file() else None
            if srt.is_file():
                assets["subtitles"] = srt
        video = media_path(media, [row["videoID"]], VIDEO_DIRS, VIDEO_SUFFIXES, where)
        return Sample(row["question_id"], row["answer"], fields, video=video, cluster=row["video_id"],
                      choices=tuple(row["options"]), assets=assets)

    def official_extract(self, response: str, record: Record) -> str:
        return official_answer(response)

    def subtitle_text(self, sample: Sample, media: Optional[SampledVideo]) -> Optional[List[str]]:
        """Subtitle lines shown at the sampled frames' times (None: frames not sampled)."""
        if "subtitles" not in sample.assets:
            return []
        if media is None:
            return None
        return lines_at(subtitle_lines(sample.assets["subtitles"])[0], media.timestamps)

    def build_request(self, sample: Sample, media: Optional[SampledVideo]) -> Request:
        f = sample.fields
        text = "\n".join([INSTRUCTION, f["question"], *sample.choices, ANSWER_CUE])
        facts: Dict[str, Any] = {}
        if self.with_subtitles:
            lines = self.subtitle_text(sample, media)
            shown = "\n".join(lines) if lines else NO_SUBTITLES
            text = f"{SUBTITLE_HEADER}\n{shown}\n{text}"
            facts["subtitle_lines"] = None if lines is None else len(lines)
            warning = subtitle_lines(sample.assets["subtitles"])[1] if "subtitles" in sample.assets else None
            if warning:
                facts["warnings"] = [warning]
        return self.video_request(sample, media, text, facts=facts)

    def export_formats(self) -> Tuple[str, ...]:
        return ("official",)

    def export(self, records: Sequence[Record], fmt: str, out_dir: Path,
               options: Optional[ExportOptions] = None) -> List[Path]:
        """The official scorer's input: one entry per video with its questions and responses.

        Both key spellings the authors used are written (the template's duration/domain/
        sub_category and the script's duration_category/video_category/video_subcategory).
        """
        videos: Dict[str, Dict[str, Any]] = {}
        for r in records:
            f = r["fields"]
            v = videos.setdefault(f["video_id"], {
                "video_id": f["video_id"], "duration": f["duration"], "domain": f["domain"],
                "sub_category": f["sub_category"], "duration_category": f["duration"],
                "video_category": f["domain"], "video_subcategory": f["sub_category"],
                "missing": False, "questions": [],
            })
            v["questions"].append({
                "question_id": r["id"], "task_type": f["task_type"], "question": f["question"],
                "options": f["options"], "answer": r["target"], "response": r["response"] or "",
            })
        out = Path(out_dir) / f"{self.name}_official.json"
        out.write_text(json.dumps(list(videos.values()), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return [out]


class VideoMMEWithSubtitles(VideoMME):
    name = "videomme_w_subtitle"
    description = "Video-MME with the subtitle lines at the sampled frames' times"
    with_subtitles = True
    lmms_eval_task = "videomme_w_subtitle"
