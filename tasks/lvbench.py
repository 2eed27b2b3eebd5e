"""LVBench (``lvbench``): 1,549 multiple-choice questions on 103 YouTube videos of about an hour
(four options, six question types; a question may have several types).

Layouts, in precedence order:

* ``hf-parquet``: ``data/train-*.parquet`` of ``lmms-eval/LVBench`` (``lmms-lab/LVBench`` before
  lmms-eval 4be7ee0), what lmms-eval's ``lvbench`` task reads (split ``train``), videos zipped in
  ``video_chunks/`` and unzipped by lmms-eval into ``$HF_HOME/lvbench``. lmms-eval's code reads
  the columns ``video_path`` (relative to that folder), ``question`` and ``answer`` (and an
  ``options`` list if there is one); the other columns are known only from third-party readers
  of the parquet, not from a primary source: ``uid``, ``key``, ``type``, ``question_type``,
  ``time_reference``. This loader needs ``uid`` and ``question_type`` besides lmms-eval's three
  (it names a missing one), takes ``key``/``type``/``time_reference`` when present (the key
  otherwise from the video file's name), and looks for the video at ``video_path``, then at
  ``all_videos/<key>.mp4`` (where lmms-eval's ExtremeWhenBench README says they land),
  ``videos/<key>.mp4`` or ``<key>.mp4``. Where a row has no options inside ``question`` but an
  ``options`` list, the authors' text is rebuilt from it (lmms-eval itself appends such a list,
  so a question embedding its options AND an ``options`` column would show them twice there).
* ``authors-jsonl``: the authors' ``video_info.meta.jsonl`` (HF ``THUDM/LVBench``, now
  ``zai-org/LVBench``), one JSON line per video: ``key`` (YouTube id), ``type`` (genre),
  ``video_info``, ``qa`` = [{``uid``, ``question`` (the four options embedded as lines
  "(A) ..".."(D) .."), ``answer`` (a letter), ``question_type`` (a list of type names),
  ``time_reference``}]; ``github-jsonl``: the same file in ``data/`` of the authors' repository.
  Videos are named by key: ``all_videos/``, ``videos/``, ``video/`` or the root of the media
  folder (``--media``, else the annotation folder). The authors' ``download.sh`` runs
  video2dataset, whose numbered shards are not named by key: rename them to ``<key>.mp4``.

VLMEvalKit has no LVBench. Sample ids are the ``uid`` s (as text), the same in every layout.

Official scoring: the authors' repository (THUDM/LVBench @ f998d95) scores an answer file
``{uid: letter}`` with ``compute_accuracy`` (``lvbench/metrics/compute_accuracy.py``, run by
``scripts/test_acc.py``, which renames the keys for the leaderboard): exact, case-sensitive string
equality with the gold letter; a uid absent from the file leaves every denominator; a question
counts once in each type it lists; ``acc`` (Overall) is micro over the answered questions, not the
mean of the six types. The repository has no prompt and no reader from a reply to a letter
(``answer_util.polish_answer`` exists but nothing calls it; it would read "The answer is C" as
"T"). So the official protocol reads replies as lmms-eval's ``lvbench`` task does today
(EvolvingLMMs-Lab/lmms-eval @ 75571cf, ``lvbench/utils.py`` since 9ca4445): its default
``--reasoning_tags`` strip of ``<think>``/``<analysis>`` blocks (an unmatched closing tag keeps
what follows it), then ``_task_utils/mcq_extract.extract_mcq_answer`` with the letters A-D, a
priority ranking: a standalone letter opening the reply > one closing it > a letter after an
"answer is"-style phrase > "(X)" > "X." > "X:" > "X)" > "X " > (only when nothing else matched)
any capital A-D anywhere, inside words too; the latest position wins within a rank; '' when
nothing is found (E, lower case). lmms-eval's first version of the task (e8b44ff) read the first
capital A-D after removing a few answer prefixes (so "Answer: D" gave A); it was replaced, and is
not used here. A reply the reader cannot turn into a letter is left out of the answer file, so
it leaves the official denominator like any unanswered uid (``n_unparsed`` counts them);
``metrics.accuracy_all`` is the same reading over every question with those counted wrong, which
is lmms-eval's ``lvbench_score`` (a plain mean, no breakdown).

Prompt: lmms-eval's (no pre-prompt): the question with its embedded options, then "\\nAnswer the
question with the option letter" (lmms-eval's yaml value, without the period its code falls back
to); generation up to 16 new tokens. Breakdown: by question type (ER entity recognition, EU event
understanding, KIR key information retrieval, TG temporal grounding, Rea reasoning, Sum
summarization), the authors' leaderboard columns. Neither their scorer nor their leaderboard reports
accuracy per video or per genre, so there is no such breakdown (each record keeps ``video`` and
``video_type``).
``evalkit export --format official`` writes the answer file (``lvbench_answers.json``) and the
leaderboard's ``result.json`` (``lvbench_result.json``: fractions, keys renamed as test_acc.py
does).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from evalkit.data import inside, media_path, read_parquet, require
from evalkit.errors import DataError
from evalkit.protocol import ANSWERED, AccuracyProtocol, OfficialRef
from evalkit.request import Request
from evalkit.samples import Layout, Located, Sample, TaskData
from evalkit.schema import AccuracyResult, Record
from evalkit.task import ExportOptions

from .multiple_choice import MultipleChoiceTask

LVBENCH_REPO, LVBENCH_COMMIT = "THUDM/LVBench", "f998d95541cd5f0953c52449b185c6467b9b099d"
LMMS_EVAL_COMMIT = "75571cfe0fa36ca5ec2e6aa2bb268f9d38295af3"  # the lvbench reader and prompt read here
HF_REPOS = ("lmms-eval/LVBench", "lmms-lab/LVBench", "zai-org/LVBench", "THUDM/LVBench")
META = "video_info.meta.jsonl"
HF_PARQUET = Layout("hf-parquet", ("data/train-*.parquet",),
                    "lmms-eval/LVBench (lmms-lab/LVBench before), as lmms-eval reads it")
AUTHORS = Layout("authors-jsonl", (META,), "the authors' HF release THUDM/LVBench (zai-org/LVBench)")
GITHUB = Layout("github-jsonl", (f"data/{META}",), "the authors' GitHub repository (data/)")
PARQUET_COLUMNS = ("uid", "question", "answer", "question_type", "video_path")
VIDEO_DIRS = ("all_videos", "videos", "video", ".")
VIDEO_SUFFIXES = (".mp4", ".MP4", ".mkv", ".webm")

POST_PROMPT = "\nAnswer the question with the option letter"
# test_acc.py's name_map: the annotation's type names -> the leaderboard's columns
TYPE_CODES = {
    "entity recognition": "ER",
    "event understanding": "EU",
    "key information retrieval": "KIR",
    "temporal grounding": "TG",
    "reasoning": "Rea",
    "summarization": "Sum",
}
OVERALL = "Overall"  # test_acc.py's name for compute_accuracy's "acc"
OPTION_LINE = re.compile(r"^\(([A-Z])\) ?(.*)$")

# --- lmms-eval's reader ------------------------------------------------------------------------

READER_LETTERS = ("A", "B", "C", "D")  # what lmms-eval's lvbench task passes as choices
REASONING_TAGS = (("<think>", "</think>"), ("<analysis>", "</analysis>"))  # lmms-eval's default
EDGE_CHARS = (",", ".", "!", "?", ";", ":", "'", '"')  # stripped from both ends, one after another
RANK = {"start": 10, "end": 9, "phrase": 7, "parentheses": 6, "period": 5, "colon": 4, "right_paren": 3,
        "space": 2, "fallback": 0}
# "(X)", "X.", "X:", "X)", "X " and their rank
MARKS = (("({})", "parentheses"), ("{}.", "period"), ("{}:", "colon"), ("{})", "right_paren"), ("{} ", "space"))
# phrases after which the first capital A-D counts (matched in lower case; searched in this order)
ANSWER_PHRASES = (
    "the answer is", "answer is", "the correct answer is", "correct answer is", "the best answer is",
    "best answer is", "the correct option is", "correct option is", "the best option is", "best option is",
    "the choice is", "choice is", "the correct choice is", "correct choice is", "i choose", "i select",
    "i pick", "my answer is", "my choice is", "옵션", "정답은", "답은", "답:", "答案是", "答案为", "选", "答えは",
)


def strip_reasoning(text: str) -> str:
    """lmms-eval's default reasoning-tag removal before scoring: every complete ``<think>..</think>``
    (and ``<analysis>``) block goes; a closing tag left without its opening tag (a chat template
    that pre-fills it) keeps only what follows its last occurrence; the result is stripped."""
    for start_tag, end_tag in REASONING_TAGS:
        while start_tag in text and end_tag in text:
            start = text.find(start_tag)
            end = text.find(end_tag, start)
            if end == -1:
                break
            text = text[:start] + text[end + len(end_tag):]
        if end_tag in text and start_tag not in text:
            text = text.rsplit(end_tag, 1)[-1]
    return text.strip()


def lmms_eval_letter(reply: str) -> str:
    """lmms-eval's lvbench reading of ``reply`` (see the module docstring): 'A'-'D', or ''."""
    text = strip_reasoning(reply)
    if not text:
        return ""
    for ch in EDGE_CHARS:
        text = text.strip(ch)
    text = f" {text} "
    found: List[Tuple[int, int, str]] = []  # (rank, position, letter)
    for pattern, kind in MARKS:
        for letter in READER_LETTERS:
            mark = pattern.format(letter)
            if mark in text:
                found.append((RANK[kind], text.rfind(mark), letter))
    lowered = text.lower()
    for phrase in ANSWER_PHRASES:
        at = lowered.find(phrase)
        if at != -1:
            for letter in READER_LETTERS:
                pos = text.find(letter, at + len(phrase))
                if pos != -1:
                    found.append((RANK["phrase"], pos, letter))
    core = text.strip()
    for letter in READER_LETTERS:
        if core.startswith(letter) and (len(core) == 1 or not core[1].isalpha()):
            found.append((RANK["start"], 0, letter))
        if core.endswith(letter) and (len(core) == 1 or not core[-2].isalpha()):
            found.append((RANK["end"], len(text) - 1, letter))
    if not found:
        found = [(RANK["fallback"], text.rfind(letter), letter) for letter in READER_LETTERS if letter in text]
    return max(found, key=lambda c: (c[0], c[1]))[2] if found else ""


# --- the authors' scorer --------------------------------------------------------------------------

def official_accuracy(answers: Mapping[str, str],
                      questions: Iterable[Tuple[Any, str, Sequence[str]]]) -> Dict[str, Optional[float]]:
    """What ``compute_accuracy`` returns for the answer file ``answers`` ({uid: answer}) and the
    questions (uid, gold letter, types) in file order: a fraction per type (in the order types are
    first met among answered questions), then ``acc``; a question counts once per listed type; uids
    are compared as text; answers must equal the gold exactly. With no answered question the
    authors' code divides by zero: here ``acc`` is None."""
    right: Dict[str, int] = {}
    total: Dict[str, int] = {}
    n_right = n = 0
    for uid, gold, types in questions:
        key = str(uid)
        if key not in answers:
            continue
        hit = int(answers[key] == gold)
        for t in types:
            total[t] = total.get(t, 0) + 1
            right[t] = right.get(t, 0) + hit
        n_right += hit
        n += 1
    out: Dict[str, Optional[float]] = {t: right[t] / total[t] for t in total}
    out["acc"] = n_right / n if n else None
    return out


# --- data ----------------------------------------------------------------------------------------

def split_options(question: str, where: str) -> Tuple[str, List[str], List[str]]:
    """(stem, option letters, option texts) of a question whose last lines are "(A) ..", "(B) ..".."""
    lines = question.split("\n")
    k = len(lines)
    while k > 0 and OPTION_LINE.match(lines[k - 1].strip()):
        k -= 1
    matches = [OPTION_LINE.match(line.strip()) for line in lines[k:]]
    keys = [m.group(1) for m in matches if m]
    texts = [m.group(2).strip() for m in matches if m]
    require(len(keys) >= 2 and keys == [chr(ord("A") + i) for i in range(len(keys))], where,
            "field 'question' must end with option lines '(A) ...', '(B) ...', ... in letter order")
    return "\n".join(lines[:k]).strip(), keys, texts


def type_codes(value: Any, where: str) -> List[str]:
    """The leaderboard codes of a question's types (a list of the annotation's type names; the
    parquet may hold it as JSON text). An unknown name is refused: test_acc.py's renaming of the
    result fails on it."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.lstrip().startswith("[") else [value]
        except json.JSONDecodeError:
            value = None
    if not isinstance(value, (list, tuple)) and hasattr(value, "tolist"):
        value = value.tolist()
    require(isinstance(value, (list, tuple)) and len(value) > 0 and all(isinstance(v, str) for v in value), where,
            f"field 'question_type' must be a non-empty list of type names, got {value!r}")
    unknown = [v for v in value if v not in TYPE_CODES]
    if unknown:
        raise DataError(f"{where}: question_type {unknown[0]!r} is not one of {', '.join(TYPE_CODES)}")
    return [TYPE_CODES[v] for v in value]


def uid_text(value: Any, where: str) -> str:
    require(isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip() != "", where,
            f"field 'uid' must be a string or an integer, got {value!r}")
    return str(value)


def jsonl_questions(path: Path) -> List[Tuple[str, Dict[str, Any]]]:
    """(where, question) of the authors' file, with each question's video key, genre and (for the
    loader) nothing else of the video line."""
    if not path.is_file():
        raise DataError(f"LVBench annotation file not found: {path}")
    out: List[Tuple[str, Dict[str, Any]]] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc}); re-download the file") from None
    for n, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            video = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path} line {n}: not a JSON object ({exc}); re-download the file") from None
        at = f"{path} line {n}"
        require(isinstance(video, dict) and isinstance(video.get("key"), str) and video["key"].strip() != "", at,
                "expected a video record with a string 'key' (its YouTube id)")
        at = f"{at} (video {video['key']!r})"
        require(isinstance(video.get("qa"), list), at, "field 'qa' must be a list of questions")
        for j, qa in enumerate(video["qa"]):
            where = f"{at} qa {j}"
            require(isinstance(qa, dict), where, "expected a JSON object")
            out.append((where, {**qa, "key": video["key"], "type": video.get("type")}))
    return out


def parquet_questions(files: Sequence[Path]) -> List[Tuple[str, Dict[str, Any]]]:
    out: List[Tuple[str, Dict[str, Any]]] = []
    for path in files:
        for n, row in enumerate(read_parquet(path, PARQUET_COLUMNS, "LVBench parquet")):
            where = f"{path} row {n}"
            require(isinstance(row["video_path"], str) and row["video_path"].strip() != "", where,
                    "field 'video_path' must be a path")
            if not isinstance(row.get("key"), str) or not row["key"]:
                row["key"] = Path(row["video_path"]).stem
            options = row.get("options")
            if isinstance(row["question"], str) and options is not None and len(options) \
                    and not OPTION_LINE.match(row["question"].split("\n")[-1].strip()):
                opts = "\n".join(f"({chr(ord('A') + i)}) {o}" for i, o in enumerate(options))
                row["question"] = f"{row['question']}\n{opts}"  # the authors' text
            out.append((where, row))
    return out


class LVBench(MultipleChoiceTask):
    name = "lvbench"
    description = "LVBench extreme long video QA (1,549 questions on 103 ~1-hour videos, 6 question types)"
    official_rule = ("LVBench compute_accuracy (exact match, answered uids only) over lmms-eval's lvbench reader "
                     f"(reasoning tags stripped, extract_mcq_answer A-D, {LMMS_EVAL_COMMIT[:7]})")
    official_ref = OfficialRef(LVBENCH_REPO, "lvbench/metrics/compute_accuracy.py", LVBENCH_COMMIT)
    official_denominator = ANSWERED
    breakdown_keys = ("question_type",)
    max_new_tokens = 16  # lmms-eval's generation_kwargs

    layouts = (HF_PARQUET, AUTHORS, GITHUB)
    hub_repos = HF_REPOS
    lmms_eval_cache = "lvbench"
    sample_name = "lvbench"
    lmms_eval_task = "lvbench"
    positional = {"lmms-eval": ("hf-parquet",)}

    def read_layout(self, layout: Layout, files: List[Path], where: Located) -> TaskData:
        if layout is HF_PARQUET:
            rows = parquet_questions(files)
        else:
            files = files[:1]
            rows = jsonl_questions(files[0])
        samples: List[Sample] = []
        seen: Dict[str, str] = {}
        for at, row in rows:
            sample = self.sample(at, row, where.media, layout is HF_PARQUET)
            require(sample.id not in seen, at, f"uid {sample.id!r} appears twice (first at {seen.get(sample.id)})")
            seen[sample.id] = at
            samples.append(sample)
        return TaskData(samples, tuple(files))

    @staticmethod
    def sample(at: str, row: Mapping[str, Any], media: Path, parquet: bool) -> Sample:
        for key in ("uid", "question", "answer", "question_type"):
            require(key in row, at, f"missing field {key!r}")
        uid = uid_text(row["uid"], at)
        at = f"{at} (uid {uid!r})"
        require(isinstance(row["question"], str), at, "field 'question' must be a string")
        stem, keys, texts = split_options(row["question"], at)
        require(row["answer"] in keys, at, f"answer {row['answer']!r} is not one of the option letters {keys}")
        tr = row.get("time_reference")
        fields = {"question": row["question"], "question_type": type_codes(row["question_type"], at),
                  "video": row["key"], "video_type": row.get("type"),
                  "time_reference": tr if isinstance(tr, str) else None}
        candidates: List[Path] = []
        if parquet:
            candidates.append(inside(media, row["video_path"], at))
        candidates.append(media_path(media, [row["key"]], VIDEO_DIRS, VIDEO_SUFFIXES, at))
        video = next((p for p in candidates if p.is_file()), candidates[0])
        return Sample(uid, row["answer"], fields, video=video, cluster=row["key"], choices=tuple(texts))

    # --- scoring ----------------------------------------------------------------------------------

    def official_extract(self, response: str, record: Record) -> str:
        return lmms_eval_letter(response)

    def add_metrics(self, records: Sequence[Record], protocol: AccuracyProtocol, result: AccuracyResult) -> None:
        """``accuracy_all``: the protocol's reading over every question, the ones it leaves out of
        its denominator (unread replies, failures) counted wrong; lmms-eval's lvbench_score."""
        if protocol.denominator.counts_unanswered:
            return
        scored = [r for r in records if r["target"]]
        right = sum(r["score"][protocol.name] or 0.0 for r in scored)
        result["metrics"]["accuracy_all"] = 100.0 * right / len(scored) if scored else None

    # --- prompts, import, export ----------------------------------------------------------------

    def build_request(self, sample: Sample, media: Any) -> Request:
        return self.video_request(sample, media, sample.fields["question"] + POST_PROMPT)

    def sample_keys(self, sample: Sample) -> List[Tuple[Any, ...]]:
        return [("id", sample.id), ("prompt", sample.fields["question"] + POST_PROMPT)]

    def lmms_eval_key(self, line: Mapping[str, Any]) -> Optional[Tuple[Any, ...]]:
        """lmms-eval logs no uid for lvbench (its metric is a bare bool): the prompt it logs as
        ``input`` names the question (a prompt two questions share maps by position only)."""
        return ("prompt", line["input"]) if isinstance(line.get("input"), str) else None

    def export_formats(self) -> Tuple[str, ...]:
        return ("official",)

    def export(self, records: Sequence[Record], fmt: str, out_dir: Path,
               options: Optional[ExportOptions] = None) -> List[Path]:
        """The authors' answer file ``{uid: letter}`` (read replies only, as the official protocol
        counts them) and the leaderboard's result.json computed from it as test_acc.py does."""
        answers: Dict[str, str] = {}
        for r in records:
            response = r.get("response")
            letter = lmms_eval_letter(response) if response is not None else ""
            if letter:
                answers[r["id"]] = letter
        result = official_accuracy(answers, [(r["id"], r["target"], r["fields"]["question_type"])
                                             for r in records if r["target"]])
        board = {(OVERALL if k == "acc" else k): v for k, v in result.items()}
        out = Path(out_dir)
        paths = [out / "lvbench_answers.json", out / "lvbench_result.json"]
        paths[0].write_text(json.dumps(answers, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        paths[1].write_text(json.dumps(board, indent=4) + "\n", encoding="utf-8")
        return paths
