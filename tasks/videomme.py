"""Video-MME, without (``videomme``) and with (``videomme_w_subtitle``) subtitles.

Layout (HF ``lmms-lab/Video-MME``): ``videomme/test-00000-of-00001.parquet``, videos
``data/{videoID}.mp4`` (from ``videos_chunked_*.zip``), subtitles ``subtitle/{videoID}.srt``.
Official scoring follows the scorer the official Video-MME README links to: ``eval_your_results.py``
in ``thanku-all/parse_answer`` at its latest commit (afd52cf): its answer-prefix list (two entries
fused by a missing comma, then "Answer:", "Option:", "The correct answer", "The correct option"),
the ">10 words and no A-D" rule, the first capital A-D anywhere, and accuracy over answered
questions only. The older copy (0379c42, also once kept in the Video-MME repo) lacks the last
four prefixes; it is not the official scorer.
"""
from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any, ClassVar, Dict, List, Mapping, Optional, Sequence, Tuple

from evalkit.data import inside, media_path, read_parquet, resolve_root
from evalkit.errors import DataError
from evalkit.media.subtitles import lines_at, parse_srt_checked
from evalkit.media.video import SampledVideo
from evalkit.schema import Record
from evalkit.task import ExportOptions, OfficialRef, Request, Sample, TaskData

from .multiple_choice import MultipleChoiceTask

HF_REPO = "lmms-lab/Video-MME"
# revision of the HF snapshot whose schema this loader reads (2,700 rows, options as lists)
HF_REVISION = "ead1408f75b618502df9a1d8e0950166bf0a2a0b"
PARQUET = Path("videomme") / "test-00000-of-00001.parquet"
VIDEO_DIRS = ("data", "videos", ".")
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


def extract_official(response: str) -> str:
    """Video-MME's official extraction: '' when no answer is found."""
    s = response.strip()
    for prefix in OFFICIAL_PREFIXES:
        s = s.replace(prefix, "")
    if len(s.split()) > 10 and not re.search("[ABCD]", s):
        return ""
    m = re.search(r"[ABCD]", s)
    return m[0] if m else ""


def validate_row(path: Path, n: int, row: Mapping[str, Any]) -> None:
    where = f"{path} row {n} (question_id {row.get('question_id')!r})"
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
    official_denominator = "answered"
    breakdown_keys = ("duration", "domain", "sub_category", "task_type")
    dataset_revision = HF_REVISION
    with_subtitles: ClassVar[bool] = False

    def load(self, data: Optional[str]) -> TaskData:
        root = resolve_root(data, "videomme", HF_REPO, HF_REVISION)
        path = root / PARQUET
        samples, seen = [], set()
        for n, row in enumerate(read_parquet(path, COLUMNS, "Video-MME annotations (HF snapshot layout)")):
            validate_row(path, n, row)
            if row["question_id"] in seen:
                raise DataError(f"{path} row {n}: question_id {row['question_id']!r} appears twice")
            seen.add(row["question_id"])
            fields = {c: row[c] for c in COLUMNS if c not in ("answer", "question_id", "options")}
            assets = {}
            if self.with_subtitles:
                srt = inside(root, f"subtitle/{row['videoID']}.srt", f"{path} row {n}")
                fields["subtitle_file"] = str(srt.relative_to(root)) if srt.is_file() else None
                if srt.is_file():
                    assets["subtitles"] = srt
            video = media_path(root, [row["videoID"]], VIDEO_DIRS, VIDEO_SUFFIXES, f"{path} row {n}")
            samples.append(Sample(row["question_id"], row["answer"], fields, video=video, cluster=row["video_id"],
                                  choices=tuple(row["options"]), assets=assets))
        return TaskData(samples, (path,))

    def official_extract(self, response: str, record: Record) -> str:
        return extract_official(response)

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
        if fmt != "official":
            return super().export(records, fmt, out_dir, options)
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
