"""LongVideoBench validation split, multiple choice: frames only (``longvideobench``, lmms-eval's
``longvideobench_val_v``) and with the subtitles interleaved between the frames by time
(``longvideobench_w_subtitle``, the authors' loader and lmms-eval's ``longvideobench_val_i``).

Layouts, in precedence order, all read from one folder (the HF snapshot
``longvideobench/LongVideoBench`` holds the first two; VLMEvalKit writes the third into it):
``hf-parquet``, ``validation-*.parquet`` (what lmms-eval loads: ``option0``..``option4`` padded
with "N/A", ``correct_choice`` an int); ``release-json``, ``lvb_val.json`` (the authors' release
and loader: ``candidates`` a list); ``vlmevalkit-tsv``, ``LongVideoBench.tsv`` (the json's rows with
``index``, ``video`` = video_id, ``video_path`` prefixed ``./videos/``, ``candidates`` a list literal).
Videos ``videos/<video_path>`` and subtitles ``subtitles/<subtitle_path>`` (after untarring the
snapshot's ``videos.tar.part.*`` and ``subtitles.tar``) under the media root: ``--media``, else
lmms-eval's ``$HF_HOME/datasets/longvideobench`` (``$HF_HOME/longvideobench`` before lmms-eval
moved it), else the annotation folder. Sample ids are the upstream ``id`` s.

Prompt: the authors' loader (``longvideobench_dataset.py``): "Question: <question>", one line
"<letter>. <candidate>" per option, then "Answer with the option's letter from the given choices
directly."; its list elements are joined with newlines. ``longvideobench`` shows the video, then
that text. ``longvideobench_w_subtitle`` shows the sampled frames one by one as images with each
subtitle after the last frame at or before its midpoint (the loader's rule, see :func:`interleave`),
built from the frames the model's sampling spec chose and their timestamps; when no pixels are
needed (replay) the same structure is rendered with empty image parts at the frame times lmms-eval
puts in its ``_i`` prompt text (``compute_frame_timestamps(duration, 16)``), so the prompt text
(and the content fingerprint) is fixed by the data alone.

Official scoring is lmms-eval's ``longvideobench`` scorer as the benchmark's first author rewrote
it (PR #391; unchanged in scoring since): strip; remove eight answer prefixes case-sensitively
wherever they occur; take the first capital A-E anywhere (inside words too: "Based" reads B), so E
is read, and wrong, on a 4-option question. A reply in which it finds no letter upstream gets a
random letter (Python's global RNG); here it is never filled: it is counted in ``n_unparsed`` and
scored wrong, and it stays in the denominator as upstream's does (every question counts), so
upstream's expected number right is this one's plus 1/k for each unparsed k-option question.
``n_unparsed`` counts exactly the replies upstream fills at random (an E on a 4-option question is
read, hence not unparsed). Accuracy is micro over all questions (upstream's "Overall"), with
breakdowns by ``duration_group`` (15, 60, 600, 3600) and ``question_category`` (the 17 codes),
the groups upstream logs; ``topic_category`` is kept on every record but is not a reported breakdown.
"""
from __future__ import annotations

import ast
import dataclasses
import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from evalkit.data import media_path, read_json, read_parquet, read_tsv, require
from evalkit.errors import DataError
from evalkit.layouts import hf_home, load_layouts, locate
from evalkit.media.video import SampledVideo
from evalkit.protocol import ALL, AccuracyProtocol, OfficialRef, Protocol
from evalkit.request import ImagePart, PromptPart, Request
from evalkit.samples import Layout, Located, Sample, TaskData
from evalkit.schema import Record
from evalkit.scoring.choice import letters

from .multiple_choice import MultipleChoiceTask

HF_REPO = "longvideobench/LongVideoBench"
HF_REVISION = None  # no commit of the HF snapshot is pinned: the revision found is recorded
LMMS_EVAL_REPO = "EvolvingLMMs-Lab/lmms-eval"
LMMS_EVAL_SCORER = "lmms_eval/tasks/longvideobench/utils.py"
LMMS_EVAL_COMMIT = "c0bc79f10e2d5b7c525ddcde4cfd962aaf26ae48"  # PR #391 (squash), the author's rewrite
LMMS_EVAL_CACHE = "datasets/longvideobench"  # its $HF_HOME/<cache_dir> today
LMMS_EVAL_OLD_CACHE = "longvideobench"  # the cache_dir at PR #391

HF_PARQUET = Layout("hf-parquet", ("validation-*.parquet",),
                    "the HF snapshot longvideobench/LongVideoBench, as lmms-eval reads it (split validation)")
RELEASE_JSON = Layout("release-json", ("lvb_val.json",),
                      "the authors' release (lvb_val.json, also in the HF snapshot), as their loader reads it")
VLMEVALKIT_TSV = Layout("vlmevalkit-tsv", ("LongVideoBench.tsv",), "VLMEvalKit (written into the HF snapshot)")

PARQUET_COLUMNS = ("id", "video_path", "subtitle_path", "duration", "duration_group", "question_category",
                   "starting_timestamp_for_subtitles", "question", "correct_choice",
                   "option0", "option1", "option2", "option3", "option4")
TSV_COLUMNS = ("index", "id", "video", "video_path", "subtitle_path", "duration", "duration_group",
               "question_category", "starting_timestamp_for_subtitles", "question", "candidates", "correct_choice")
JSON_FIELDS = ("id", "video_path", "subtitle_path", "duration", "duration_group", "question_category",
               "starting_timestamp_for_subtitles", "question", "candidates", "correct_choice")
NO_OPTION = "N/A"  # the parquet pads option0..option4 with it
VIDEO_DIRS = ("videos", ".")
SUBTITLE_DIRS = ("subtitles", ".")

QUESTION_PREFIX = "Question: "
POST_PROMPT = "Answer with the option's letter from the given choices directly."
NOMINAL_FRAMES = 16  # lmms-eval's default max_num_frames for the _i prompt text

# upstream's prefix list, removed in this order wherever each occurs (case-sensitive)
OFFICIAL_PREFIXES = (
    "The best answer is",
    "The correct answer is",
    "The answer is",
    "The answer",
    "The best option is",
    "The correct option is",
    "Best answer:",
    "Best option:",
)
LETTER = re.compile(r"[ABCDE]")


def official_answer(response: str) -> str:
    """lmms-eval's ``parse_multi_choice_response`` (PR #391) without its random fill: the first
    capital A-E after removing the prefixes, '' where upstream would pick a random letter (no
    such capital; its ">10 words and no A-E" branch is the same case)."""
    s = response.strip()
    for prefix in OFFICIAL_PREFIXES:
        s = s.replace(prefix, "")
    m = LETTER.search(s)
    return m[0] if m else ""


# --- subtitles -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cue:
    """One subtitle entry as written: seconds on the subtitle file's clock (``end`` None: the
    entry's end is not a float, which the loader replaces with the video's duration)."""

    start: float
    end: Optional[float]
    text: str


def clock_seconds(value: Any, where: str) -> float:
    """The loader's ``timestamp_to_seconds``: "H:M:S.fff" as int(H)*3600 + int(M)*60 + float(S)."""
    try:
        h, m, s = str(value).split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)
    except ValueError:
        raise DataError(f"{where}: {value!r} is not an 'HH:MM:SS.fff' time") from None


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parse_cues(rows: Any, where: str) -> Tuple[Cue, ...]:
    """The entries of a LongVideoBench subtitle file, in file order: ``{"timestamp": [start, end],
    "text"}`` (seconds) or ``{"start": "HH:MM:SS.fff", "end": ..., "line"}``."""
    require(isinstance(rows, list), where, "expected a JSON list of subtitle entries")
    cues = []
    for n, row in enumerate(rows):
        at = f"{where} entry {n}"
        require(isinstance(row, dict), at, "expected a JSON object")
        if "timestamp" in row:
            span = row["timestamp"]
            require(isinstance(span, list) and len(span) == 2 and is_number(span[0]), at,
                    f"'timestamp' must be [start, end] with a numeric start, got {span!r}")
            require(isinstance(row.get("text"), str), at, "field 'text' must be a string")
            end = span[1] if isinstance(span[1], float) else None  # the loader: not a float -> duration
            cues.append(Cue(span[0], end, row["text"]))
        else:
            for key in ("start", "end", "line"):
                require(isinstance(row.get(key), str), at,
                        f"expected 'timestamp' + 'text', or 'start', 'end' and 'line' strings (field {key!r})")
            cues.append(Cue(clock_seconds(row["start"], at), clock_seconds(row["end"], at), row["line"]))
    return tuple(cues)


@functools.lru_cache(maxsize=2048)
def subtitle_cues(path: Path) -> Tuple[Cue, ...]:
    """A subtitle file's cues, read once for all the questions on its video."""
    return parse_cues(read_json(path, "LongVideoBench subtitle file"), str(path))


Interleaved = List[Union[int, str]]  # frame indices and subtitle texts, in prompt order


def interleave(frame_times: Sequence[float], cues: Sequence[Cue], offset: float,
               duration: float) -> Tuple[Interleaved, int]:
    """The authors' ``insert_subtitles_into_frames`` over frame times: (frames and subtitles in
    order, the number of subtitles dropped). For each cue in file order, shifted by ``offset``
    (``starting_timestamp_for_subtitles``; a missing end is ``duration`` before the shift): the
    frames not yet placed whose time is at or before its midpoint go first; a cue shorter than 1 s
    becomes the second around its midpoint; it is kept only if some frame (of all of them) lies
    strictly inside it. No sorting, no dedup; the frames left over go last."""
    out: Interleaved = []
    placed = dropped = 0
    for cue in cues:
        start = cue.start - offset
        end = (cue.end if cue.end is not None else duration) - offset
        mid = (start + end) / 2
        while placed < len(frame_times) and frame_times[placed] <= mid:
            out.append(placed)
            placed += 1
        if end - start < 1:
            start, end = mid - 0.5, mid + 0.5
        if any(start < t < end for t in frame_times):
            out.append(cue.text)
        else:
            dropped += 1
    out.extend(range(placed, len(frame_times)))
    return out, dropped


def nominal_frame_times(duration: float, n: int = NOMINAL_FRAMES) -> List[float]:
    """lmms-eval's ``compute_frame_timestamps``: ``n`` times duration/n apart from 0, or one per
    whole second when the video is not longer than ``n`` seconds."""
    if duration > n:
        return [duration / n * i for i in range(n)]
    return [float(i) for i in range(int(duration))]


# --- annotations -----------------------------------------------------------------------------

def number(value: Any, kind: type, where: str, field: str) -> Any:
    """``value`` as an int or float (TSV cells are text); a DataError naming the field otherwise."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise DataError(f"{where}: field {field!r} must be a number, got {value!r}") from None
    if not is_number(value) or not math.isfinite(value) or (kind is int and not float(value).is_integer()):
        raise DataError(f"{where}: field {field!r} must be {'an integer' if kind is int else 'a number'}, "
                        f"got {value!r}")
    return kind(value)


def normalise(row: Mapping[str, Any], where: str) -> Dict[str, Any]:
    """A question in one shape whatever the layout (the json's fields, numbers typed), validated."""
    for key in ("id", "video_path", "subtitle_path", "question", "question_category"):
        require(isinstance(row.get(key), str) and row[key] != "", where, f"field {key!r} must be a non-empty string")
    candidates: Any = row.get("candidates")
    require(isinstance(candidates, list) and 2 <= len(candidates) <= 5 and all(isinstance(c, str) for c in candidates),
            where, f"field 'candidates' must be a list of 2 to 5 strings, got {candidates!r}")
    choice = number(row.get("correct_choice"), int, where, "correct_choice")
    require(0 <= choice < len(candidates), where,
            f"correct_choice {choice} is not an index of its {len(candidates)} candidates")
    duration = number(row.get("duration"), float, where, "duration")
    require(duration > 0, where, f"field 'duration' must be positive, got {duration}")
    video_id = row.get("video_id") or Path(row["video_path"]).stem
    topic = row.get("topic_category")
    return {"id": row["id"], "video_id": str(video_id), "video_path": row["video_path"],
            "subtitle_path": row["subtitle_path"], "duration": duration,
            "duration_group": number(row.get("duration_group"), int, where, "duration_group"),
            "question_category": row["question_category"], "topic_category": topic if isinstance(topic, str) else None,
            "starting_timestamp_for_subtitles": number(row.get("starting_timestamp_for_subtitles"), float, where,
                                                       "starting_timestamp_for_subtitles"),
            "question": row["question"], "candidates": list(candidates), "correct_choice": choice}


Rows = List[Tuple[str, Mapping[str, Any]]]  # (where, row) pairs, "where" naming file and record


def json_rows(path: Path) -> Rows:
    rows = read_json(path, "LongVideoBench annotations")
    require(isinstance(rows, list), str(path), "expected a JSON list of questions")
    out: Rows = []
    for n, row in enumerate(rows):
        at = f"{path} record {n}"
        require(isinstance(row, dict), at, "expected a JSON object")
        at += f" (id {row['id']!r})" if "id" in row else ""
        missing = [k for k in JSON_FIELDS if k not in row]
        require(not missing, at, f"missing field(s) {', '.join(repr(k) for k in missing)}")
        out.append((at, row))
    return out


def parquet_rows(path: Path) -> Rows:
    """The parquet's rows with their options as ``candidates``: the options before the first
    "N/A" (lmms-eval's letters stop there; its prompt skips every "N/A", so an option after one
    would shift the letters: refused)."""
    out: Rows = []
    for n, row in enumerate(read_parquet(path, PARQUET_COLUMNS, "LongVideoBench parquet")):
        at = f"{path} row {n} (id {row.get('id')!r})"
        options = [row[f"option{i}"] for i in range(5)]
        shown = [o for o in options if o != NO_OPTION]
        require(options[:len(shown)] == shown, at,
                f"an option follows an {NO_OPTION!r} one ({options!r}); lmms-eval's letters would disagree")
        out.append((at, {**row, "candidates": shown}))
    return out


def tsv_rows(path: Path) -> Rows:
    """VLMEvalKit's table: the json's rows; ``candidates`` a list literal, ``video_path``
    './videos/<video_path>', ``video`` the video id."""
    out: Rows = []
    for n, row in enumerate(read_tsv(path, TSV_COLUMNS, "VLMEvalKit LongVideoBench table")):
        at = f"{path} row {n + 2} (id {row.get('id')!r})"
        try:
            candidates = ast.literal_eval(str(row["candidates"]))
        except (ValueError, SyntaxError):
            raise DataError(f"{at}: 'candidates' is not a list literal") from None
        video_path = str(row["video_path"])
        video_path = video_path[len("./videos/"):] if video_path.startswith("./videos/") else video_path
        out.append((at, {**row, "candidates": candidates, "video_path": video_path, "video_id": row["video"]}))
    return out


# --- the tasks -------------------------------------------------------------------------------

def prompt_lines(question: str, candidates: Sequence[str]) -> str:
    """The authors' loader's question block (its list elements, one per line)."""
    opts = [f"{k}. {c}" for k, c in zip(letters(len(candidates)), candidates)]
    return "\n".join([QUESTION_PREFIX + question, *opts, POST_PROMPT])


class LongVideoBench(MultipleChoiceTask):
    name = "longvideobench"
    description = "LongVideoBench validation (1,337 multiple-choice questions, videos up to an hour), frames only"
    official_rule = ("lmms-eval longvideobench parse_multi_choice_response (PR #391): prefixes removed, first "
                     "capital A-E; no random fill")
    official_ref = OfficialRef(LMMS_EVAL_REPO, LMMS_EVAL_SCORER, LMMS_EVAL_COMMIT)
    official_denominator = ALL
    breakdown_keys = ("duration_group", "question_category")
    max_new_tokens = 32  # lmms-eval's generation_kwargs
    dataset_revision = HF_REVISION
    with_subtitles: ClassVar[bool] = False

    layouts = (HF_PARQUET, RELEASE_JSON, VLMEVALKIT_TSV)
    hub_repos = (HF_REPO,)
    lmms_eval_cache = LMMS_EVAL_CACHE
    sample_name = "longvideobench"
    lmms_eval_task: ClassVar[Optional[str]] = "longvideobench_val_v"
    vlmevalkit_dataset: ClassVar[Optional[str]] = "LongVideoBench"
    positional: ClassVar[Mapping[str, Tuple[str, ...]]] = {
        "lmms-eval": ("hf-parquet",), "vlmevalkit": ("release-json", "vlmevalkit-tsv")}

    # --- scoring

    def official_extract(self, response: str, record: Record) -> str:
        return official_answer(response)

    def official_protocol(self) -> Protocol:
        # an AccuracyProtocol, not a ChoiceProtocol: upstream reads E on a 4-option question (and
        # scores it wrong), so only what upstream fills at random is unparsed
        return AccuracyProtocol("official", self.official_rule, self.official_extract, self.official_denominator,
                                **self.protocol_kw(upstream=True, ref=self.official_ref, headline=True))

    # --- data

    def load(self, data: Optional[str], media: Optional[str] = None) -> TaskData:
        where = locate(self, data, media)
        if where.how == "hub cache" and media is None and where.media == where.root:
            older = hf_home() / LMMS_EVAL_OLD_CACHE  # videos unpacked by lmms-eval at PR #391
            if (older / "videos").is_dir():
                where = dataclasses.replace(where, media=older)
        return load_layouts(self, where)

    def read_layout(self, layout: Layout, files: List[Path], where: Located) -> TaskData:
        rows: Rows = []
        for file in files:
            rows += (parquet_rows(file) if layout is HF_PARQUET else
                     tsv_rows(file) if layout is VLMEVALKIT_TSV else json_rows(file))
        samples, seen = [], set()
        for at, raw in rows:
            row = normalise(raw, at)
            require(row["id"] not in seen, at, f"id {row['id']!r} appears twice")
            seen.add(row["id"])
            samples.append(self.sample(row, where.media, at))
        if self.with_subtitles and samples and not any("subtitles" in s.assets for s in samples):
            raise DataError(f"{self.name}: none of the {len(samples)} questions' subtitle files is under "
                            f"{where.media}/subtitles (first: {samples[0].fields['subtitle_path']}); "
                            "untar the snapshot's subtitles.tar there, or pass --media")
        return TaskData(samples, tuple(files))

    def sample(self, row: Mapping[str, Any], media: Path, where: str) -> Sample:
        fields = {k: row[k] for k in ("question", "video_id", "video_path", "subtitle_path", "duration",
                                      "duration_group", "question_category", "topic_category",
                                      "starting_timestamp_for_subtitles")}
        assets = {}
        if self.with_subtitles:
            subs = media_path(media, [row["subtitle_path"]], SUBTITLE_DIRS, ("",), where)
            if subs.is_file():
                subtitle_cues(subs)  # a malformed file fails the load, naming file and entry
                assets["subtitles"] = subs
        video = media_path(media, [row["video_path"]], VIDEO_DIRS, ("",), where)
        return Sample(row["id"], letters(len(row["candidates"]))[row["correct_choice"]], fields, video=video,
                      cluster=row["video_id"], choices=tuple(row["candidates"]), assets=assets)

    # --- prompts

    def build_request(self, sample: Sample, media: Optional[SampledVideo]) -> Request:
        return self.video_request(sample, media, prompt_lines(sample.fields["question"], sample.choices))

    # --- other harnesses

    def lmms_eval_key(self, line: Mapping[str, Any]) -> Optional[Tuple[Any, ...]]:
        metric = line.get("lvb_acc")
        if isinstance(metric, dict) and "id" in metric:
            return ("id", str(metric["id"]))
        submission = line.get("submission")  # the test tasks log only {id: reply}
        return ("id", str(next(iter(submission)))) if isinstance(submission, dict) and len(submission) == 1 else None

    def vlmevalkit_key(self, row: Mapping[str, Any]) -> Optional[Tuple[Any, ...]]:
        value = row.get("id")
        return ("id", str(value)) if isinstance(value, str) and value else None


class LongVideoBenchWithSubtitles(LongVideoBench):
    name = "longvideobench_w_subtitle"
    description = "LongVideoBench validation with subtitles interleaved between the sampled frames by time"
    with_subtitles = True
    lmms_eval_task = "longvideobench_val_i"

    def build_request(self, sample: Sample, media: Optional[SampledVideo]) -> Request:
        f = sample.fields
        facts: Dict[str, Any] = {}
        cues: Tuple[Cue, ...] = ()
        if "subtitles" in sample.assets:
            cues = subtitle_cues(Path(sample.assets["subtitles"]))
        else:
            facts["warnings"] = [f"subtitle file {f['subtitle_path']} not found: frames only"]
        # the sampled frames' times, or (no pixels needed) the times of lmms-eval's _i prompt text
        times = list(media.timestamps) if media is not None else nominal_frame_times(f["duration"])
        order, dropped = interleave(times, cues, f["starting_timestamp_for_subtitles"], f["duration"])
        parts: List[PromptPart] = []
        for item in order:
            if isinstance(item, int):
                parts.append(ImagePart(None, pixels=media.frames[item] if media is not None else None))
            else:
                parts.append(item + "\n")
        parts.append(prompt_lines(f["question"], sample.choices))
        facts.update({"subtitles_shown": len(order) - len(times), "subtitles_dropped": dropped,
                      "subtitle_frame_times": "sampled" if media is not None else f"nominal ({NOMINAL_FRAMES})"})
        return Request(sample.id, self.name, parts, choices=tuple(letters(len(sample.choices))),
                       max_new_tokens=self.max_new_tokens, facts=facts)

