"""Video-MMMU: learning knowledge from lecture videos (``videommmu``: the 900 questions of the
Perception, Comprehension and Adaptation tracks; ``videommmu_question_only``: the 300 Adaptation
questions on their 2-second question-only videos, the baseline of Δknowledge).

Data. Every track has the same 300 upstream ids (``<split>_<Subject>_<n>``), one video per id,
three questions per video; a sample's id is ``<Track>/<upstream id>`` and its cluster the
upstream id (the video). Layouts, in precedence order:
``hf-parquet``: the HF snapshot ``lmms-lab/VideoMMMU`` (also ``lmms-eval/VideoMMMU``), what
lmms-eval reads: ``Perception/``, ``Comprehension/``, ``Adaptation/`` parquet files with ``id,
question, options, answer, question_type[, qa_type, link_selected, image]``;
``vlmevalkit-tsv``: the ``VideoMMMU.tsv`` VLMEvalKit writes into that snapshot (``category`` =
track, ``options`` a JSON list; no ``qa_type``); ``github-json``: the question files of the
authors' repository (``data/{perception,comprehension,adaptation}_video.json``; Perception and
Comprehension records carry no ``question_type``: all are multiple choice, as in the HF copy;
no ``qa_type``, no videos: pass ``--media``). Videos as lmms-eval unzips the snapshot's zips
into ``$HF_HOME/video_mmmu``: ``<Discipline>/<id>.mp4`` (the discipline folder of the id's
subject: Art, Business, Engineering, Humanities, Medicine, Science) and
``question_only/<id>_image.mp4``; VLMEvalKit's ``videos/`` prefix is found too. The Adaptation
``image`` column (the question's figure, which is also the video's last frame) is not shown to
the model, as upstream: the prompt keeps ``<image 1>`` literally.

Prompts (the authors' lmms-eval task): the video, then Perception/Comprehension ``question``,
the options as ``A. text`` lines (kept as they are when every option already starts with its
letter) and "Please ignore the Quiz question in last frame of the video."; Adaptation multiple
choice: the pre-prompt, the multi-choice sentence, the question and the options; every other
Adaptation item (the 20 ``open`` ones and ``validation_Accounting_13``, whose question_type is
``None``): the pre-prompt, the open-ended sentence and the question, no options. The
question-only task: the question, a newline and the options (none for open items), no
pre-prompt. No answer-format instruction anywhere. The README's question-only command samples
one frame (``max_frames_num=1``); the frames are the model's choice here (``--model-args``).

Official scoring: the authors' ``lmms_eval/tasks/videommmu/utils.py``. Items whose
``question_type`` is ``multiple-choice`` go through the MMMU-style letter parser: case-sensitive
letters followed by "." or ":" anywhere (both kinds collected), else "(X)", else "X " (no left
boundary: "DNA." reads A, "E. coli" reads E, the pronoun "I " is option I), else, for replies of
more than 5 words, option texts; of several, the last occurrence wins; only ``,.!?;:'`` are
stripped from the ends, so a trailing newline hides a bare letter. What it cannot read
("No Answere Found" upstream) is wrong and counted; upstream fills nothing at random.
``n_unparsed`` counts these and the dropped empty replies (the open parser reads every other
reply). Every other item goes through MMMU's open parser: the reply lowercased and split on
newlines only, the shortest tail after a key phrase per line ("=" on the last line too), every
number in those tails, numbers rounded to 2 decimals (binary floats: 12.965 rounds down), and
the gold normalised the same way; right when any number equals the gold or a gold string is a
substring of a text candidate. So a one-letter gold (``validation_Physics_21`` A,
``validation_Basic_Medical_Science_10`` C, and ``validation_Accounting_13`` C, scored as open)
is right whenever its letter, lowercased, with a space on one side (" a", "a ") occurs in a text
candidate, and the malformed gold of
``validation_Math_15`` (``"['24/7', '3.429', '3.43]"``, one string) can never be matched by a
number. An empty reply (upstream "API Error", as is that literal reply) leaves the denominator: each track's accuracy is
over its non-empty replies (``n_scored``; ``n_excluded`` counts the dropped ones); failed
samples (no reply at all) count wrong. Per track: pooled accuracy; headline Overall = the mean
of the three track accuracies (the leaderboard's); breakdowns by track, the authors' six
disciplines (their ``DOMAIN_CAT2SUB_CAT`` names), subject, qa_type and the parser used.
The reply is scored as the model adapter returns it: lmms-eval's task stops generation at a
blank line (``until: ["\n\n"]``), which some of its wrappers honour and others do not, and the
letter parser reads "Answer: B\n\nExplanation: A ..." as A when it is not cut.

Strict scoring (evalkit's): multiple-choice items by the strict choice extractor; open items
with a one-letter gold by the same extractor (over the item's option letters, or A-Z when it has
none); numeric items by :func:`strict_number`: one number committed to (see there), equal to the
gold after both are rounded half-up to 2 decimals in exact decimal arithmetic; the gold of
``validation_Math_15`` is read as the values it lists (24/7, 3.429, 3.43). Every item counts.

Δknowledge = (Acc_adaptation - Acc_question_only) / (100 - Acc_question_only) x 100, from a
``videommmu`` run and a ``videommmu_question_only`` run (:func:`delta_knowledge`,
:func:`delta_knowledge_from_results`). Run both tasks (one run, or two with different frame
settings), then::

    import json
    from evalkit.tasks.videommmu import delta_knowledge_from_results
    tasks = json.load(open("runs/NAME/results.json"))["tasks"]
    delta_knowledge_from_results(tasks["videommmu"], tasks["videommmu_question_only"])

Other harnesses: ``evalkit import lmms-eval`` reads each track's log (``*_samples_video_mmmu_
perception.jsonl`` ...; name the file: lmms-eval writes one per track) keyed by the task name
lmms-eval logs in ``arguments`` (or the logged prompt) and ``mmmu_acc.id``; concatenate the
three replay files. ``evalkit import vlmevalkit`` maps VideoMMMU prediction rows by
``category`` and ``id`` (the raw ``prediction`` is scored; VLMEvalKit's own scorer first cuts
at the last "Answer:").
"""
from __future__ import annotations

import json
import math
import re
from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from evalkit.data import inside, read_json, read_parquet, read_tsv, require
from evalkit.errors import DataError
from evalkit.protocol import AccuracyProtocol, Denominator, OfficialRef, Parsed, Protocol
from evalkit.request import Request, VideoPart
from evalkit.samples import Layout, Located, Sample, TaskData
from evalkit.schema import AccuracyResult, Record
from evalkit.scoring.choice import STRICT_RULE_VERSION, extract_choice_strict, letters

from .multiple_choice import MultipleChoiceTask

HF_REPOS = ("lmms-lab/VideoMMMU", "lmms-eval/VideoMMMU")  # lmms-eval moved its copy to lmms-eval/
HF_REVISION = None  # no commit of the HF copy is pinned: the revision found is recorded
REF_REPO, REF_PATH = "EvolvingLMMs-Lab/VideoMMMU", "lmms_eval/tasks/videommmu/utils.py"
REF_COMMIT = "88b4ac3e07326eaabda3a4afe8e7f30dd02bc143"  # utils.py unchanged since cde7e56 (2025-01-22)

TRACKS = ("Perception", "Comprehension", "Adaptation")
LMMS_EVAL_TASKS = {track: f"video_mmmu_{track.lower()}" for track in TRACKS}
QUESTION_ONLY_LMMS_EVAL_TASK = "video_mmmu_adaptation_question_only"
KNOWN_LMMS_EVAL_TASKS = (*LMMS_EVAL_TASKS.values(), QUESTION_ONLY_LMMS_EVAL_TASK)

# the authors' prompt pieces (their _default_template_yaml)
PRE_PROMPT = "You should watch and learn the video content. Then apply what you learned to "
PERCEPTION_AND_COMPREHENSION_PROMPT = "\nPlease ignore the Quiz question in last frame of the video."
MCQ_PROMPT = ("answer the following multi-choice question. The image for this question is at the end of "
              "the video.\n")
OPEN_ENDED_PROMPT = ("answer the following open-ended question. The image for this question is at the end of "
                     "the video.\n")

# video folder (lmms-eval's get_cache_dir) and discipline (the scorer's DOMAIN_CAT2SUB_CAT) of each subject
VIDEO_FOLDERS = {
    "Art": ("Art", "Art_Theory", "Design", "Music"),
    "Science": ("Biology", "Chemistry", "Geography", "Math", "Physics"),
    "Humanities": ("History", "Literature", "Sociology", "Psychology"),
    "Engineering": ("Agriculture", "Architecture_and_Engineering", "Computer_Science", "Electronics",
                    "Energy_and_Power", "Materials", "Mechanical_Engineering"),
    "Medicine": ("Basic_Medical_Science", "Clinical_Medicine", "Diagnostics_and_Laboratory_Medicine", "Pharmacy",
                 "Public_Health"),
    "Business": ("Accounting", "Economics", "Finance", "Manage", "Marketing"),
}
DISCIPLINE_NAMES = {"Art": "Art and Design", "Business": "Business", "Science": "Science",
                    "Medicine": "Health and Medicine", "Humanities": "Humanities and Social Science",
                    "Engineering": "Tech and Engineering"}
FOLDER_OF = {subject: folder for folder, subjects in VIDEO_FOLDERS.items() for subject in subjects}

MULTIPLE_CHOICE = "multiple-choice"
NO_ANSWER = "No Answere Found"  # sic: what the authors' letter parser returns when it reads nothing
API_ERROR = "API Error"  # what both parsers return for an empty reply (dropped from the denominator)

OFFICIAL_RULE = ("Video-MMMU utils.py: MMMU-style letter parser (case-sensitive, last occurrence, no random fill) "
                 "for multiple-choice items, MMMU open parser (numbers rounded to 2 decimals) for the rest; "
                 "empty replies dropped")
STRICT_RULE = f"{STRICT_RULE_VERSION} + strict-number-v1 (one number, 2-decimal half-up match)"
NON_EMPTY = Denominator("non-empty replies", False)


# --- the authors' parsers, as their code behaves ---------------------------------------------

def subject_of(upstream_id: str) -> Optional[str]:
    """The subject of an id, as the scorer's extract_subset_name reads it (None: no match)."""
    prefix = upstream_id.split("_")[0]
    m = re.match(rf"^{re.escape(prefix)}_(.+?)_\d+$", upstream_id)
    return m.group(1) if m else None


def option_lines(options: Sequence[str]) -> str:
    """The options as the prompt shows them: "A. text" lines, or the options themselves when
    every one already starts with its letter and a period (and '' for no options)."""
    keys = letters(len(options))
    if all(o.startswith(f"{k}.") for o, k in zip(options, keys)):
        return "\n".join(options)
    return "\n".join(f"{k}. {o}" for k, o in zip(keys, options))


def official_choice(response: str, options: Sequence[str]) -> str:
    """The authors' letter parser: an option letter, ``NO_ANSWER`` or ``API_ERROR``."""
    if response in ("", API_ERROR):
        return API_ERROR
    keys = letters(len(options))
    text = response
    for ch in ",.!?;:'":  # one after the other; whitespace is kept
        text = text.strip(ch)
    text = f" {text} "
    period = [k for k in keys if f"{k}." in text]
    colon = [k for k in keys if f"{k}:" in text]
    found, mark = period + colon, "{}." if period else "{}:"
    if not found:
        found, mark = [k for k in keys if f"({k})" in text], "({})"
    if not found:
        found, mark = [k for k in keys if f"{k} " in text], " {} "
    by_text = False
    if not found and len(text.split()) > 5:
        found = [k for k, o in zip(keys, options) if o.lower() in text.lower()]
        by_text = True
    if not found:
        return NO_ANSWER
    if len(found) == 1:
        return found[0]
    if by_text:
        where = [text.lower().rfind(options[keys.index(k)].lower()) for k in found]
    else:
        where = [text.rfind(mark.format(k)) for k in found]
    return found[max(range(len(found)), key=where.__getitem__)]  # the first of equal positions


KEY_PHRASES = ("could be ", "so ", "is ", "thus ", "therefore ", "final ", "answer ", "result ", "are ",
               "in total ", "total ", "identify ", "recognize ", "calculated as ", "counted as ", "measured as ",
               "observed as ", "concluded as ", "found to be ", "equals ", "determined to be ", "number of ",
               "value is ", "adds up to ", "have ", "has ")
TRIVIAL_TAILS = (":", ",", ".", "!", "?", ";", "'")
NUMBER_PATTERNS = (r"-?\b\d{1,3}(?:,\d{3})+\b",  # with thousands commas
                   r"-?\d+(?:\.\d+)?[eE][+-]?\d+",  # scientific
                   r"-?(?:\d+\.\d+|\.\d+|\d+\b)(?![eE][+-]?\d+)(?![,\d])")  # plain
Candidate = Union[str, float]


def official_numbers(text: str) -> List[str]:
    """MMMU's extract_numbers: comma numbers, then scientific, then plain ones."""
    return [n for pattern in NUMBER_PATTERNS for n in re.findall(pattern, text)]


def official_normalize(value: str) -> List[Candidate]:
    """MMMU's normalize_str: a number (commas removed) rounded to 2 decimals; else the text
    lowercased, a single character padded with a space on either side."""
    value = value.strip()
    try:
        return [round(float(value.replace(",", "")), 2)]
    except ValueError:
        value = value.lower()
        return [" " + value, value + " "] if len(value) == 1 else [value]


def official_open(response: str) -> Union[str, List[Candidate]]:
    """The authors' open parser: the candidates (texts and numbers) or ``API_ERROR``."""
    if response in ("", API_ERROR):
        return API_ERROR
    lowered = response.strip().strip(".").lower()
    lines = re.split(r"\.\s(?=[A-Z])|\n", lowered)  # lowercased already: splits on newlines only
    tails: List[str] = []
    for i, line in enumerate(lines):
        phrases = KEY_PHRASES + (("=",) if i == len(lines) - 1 else ())
        best: Optional[str] = None
        for phrase in phrases:
            if phrase in line:
                tail = line.split(phrase)[-1].strip()
                if not best or len(tail) < len(best):
                    best = tail
        if best and best.strip() not in TRIVIAL_TAILS:
            tails.append(best)
    if not tails:
        tails = [lowered]
    raw = tails + [n for t in tails for n in official_numbers(t)]
    return list(dict.fromkeys(c for item in raw for c in official_normalize(item)))  # a set upstream


def official_open_correct(gold: str, candidates: Sequence[Candidate]) -> bool:
    """MMMU's eval_open: a text candidate containing a normalised gold text, or a number equal
    to the normalised gold number."""
    golds = official_normalize(gold)
    for c in candidates:
        if isinstance(c, str):
            if any(isinstance(g, str) and g in c for g in golds):
                return True
        elif c in golds:
            return True
    return False


def show_candidates(candidates: Sequence[Candidate]) -> str:
    """The open parser's candidates as stored in a record (JSON, in a stable order)."""
    return json.dumps(sorted(candidates, key=lambda c: (isinstance(c, str), str(c))), ensure_ascii=False)


# --- evalkit's strict reading of numeric answers ---------------------------------------------

ANSWER_STATEMENT = re.compile(r"\banswer\s*(?:is\b|:|=)", re.IGNORECASE)
STRICT_NUMBER = re.compile(r"[-+]?\d+\s*/\s*\d+"  # a fraction a/b
                           r"|[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\d,]\d)"
                           r"|[-+]?\.\d+(?:[eE][-+]?\d+)?")


def number_value(token: str) -> Fraction:
    """The exact value of a number token (thousands commas and spaces removed)."""
    return Fraction(token.replace(",", "").replace(" ", ""))


def strict_number(response: Optional[str]) -> Optional[Tuple[str, Fraction]]:
    """The one number a reply commits to, or None. Read from the last ``\\boxed{}``, else from
    what follows the last "answer is"/"answer:" to the end of its line, else from a reply of one
    line; within that, from what follows its last "=" or "≈". There must be exactly one number
    (integer, decimal, thousands commas, scientific notation, or a fraction a/b); any other text
    there (units, words) must hold no digit. ``*``, backticks and ``$`` are ignored. Not
    accepted: number words, scale words (7.2 million reads 7.2), percentages as fractions (28.6%
    reads 28.6), several numbers ("12 mA, not 10 mA")."""
    text = (response or "").replace("*", "").replace("`", "").replace("$", "").strip()
    boxed = re.findall(r"\\boxed\{([^{}]*)\}", text)
    if boxed:
        segment = boxed[-1]
    else:
        stated = list(ANSWER_STATEMENT.finditer(text))
        if stated:
            segment = text[stated[-1].end():].split("\n")[0]
        elif text and "\n" not in text:
            segment = text
        else:
            return None
    segment = re.split(r"[=≈]", segment)[-1]
    numbers = STRICT_NUMBER.findall(segment)
    if len(numbers) != 1 or re.search(r"\d", STRICT_NUMBER.sub(" ", segment)):
        return None
    token = re.sub(r"\s+", "", numbers[0])
    try:
        return token, number_value(token)
    except ZeroDivisionError:  # a fraction over zero
        return None


def cents(value: Fraction) -> int:
    """``value`` rounded half-up (away from zero) to 2 decimals, in hundredths."""
    whole = math.floor(abs(value) * 100 + Fraction(1, 2))
    return whole if value >= 0 else -whole


def strict_gold_values(gold: str) -> List[Fraction]:
    """The gold's numeric values: the number itself, or every number a malformed gold lists."""
    try:
        return [number_value(gold.strip())]
    except (ValueError, ZeroDivisionError):
        return [number_value(re.sub(r"\s+", "", t)) for t in STRICT_NUMBER.findall(gold)]


def is_letter_gold(gold: str) -> bool:
    return len(gold) == 1 and "A" <= gold <= "Z"


# --- Δknowledge ---------------------------------------------------------------------------------

def delta_knowledge(adaptation_accuracy: float, question_only_accuracy: float) -> float:
    """Δknowledge (percent): the share of the question-only run's headroom that watching the
    video recovers, (Acc_adaptation - Acc_question_only) / (100 - Acc_question_only) x 100.
    Both accuracies in percent; undefined (ValueError) when the question-only accuracy is 100."""
    for name, value in (("adaptation", adaptation_accuracy), ("question-only", question_only_accuracy)):
        if not 0 <= value <= 100:
            raise ValueError(f"{name} accuracy {value} is not a percentage (0-100)")
    if question_only_accuracy == 100:
        raise ValueError("question-only accuracy is 100%: no headroom, Δknowledge is undefined")
    return (adaptation_accuracy - question_only_accuracy) / (100 - question_only_accuracy) * 100


def adaptation_accuracy(task_result: Mapping[str, Any], protocol: Optional[str] = None) -> float:
    """The Adaptation track's accuracy in one results.json task result (``protocol``'s, default
    the headline)."""
    by_protocol = task_result.get("by_protocol") or {}
    name = protocol or task_result.get("headline") or task_result.get("protocol")
    result = by_protocol.get(name) if by_protocol else task_result
    if result is None:
        raise ValueError(f"no protocol {name!r} in this task result (it has {', '.join(by_protocol)})")
    group = ((result.get("breakdown") or {}).get("track") or {}).get("Adaptation")
    if not group or group.get("accuracy") is None:
        raise ValueError("this task result has no scored Adaptation track (is it a videommmu or "
                         "videommmu_question_only result?)")
    return float(group["accuracy"])


def delta_knowledge_from_results(videommmu: Mapping[str, Any], question_only: Mapping[str, Any],
                                 protocol: Optional[str] = None) -> float:
    """Δknowledge from two results.json task results: ``tasks["videommmu"]`` and
    ``tasks["videommmu_question_only"]`` (of one run or two), under ``protocol`` (default: each
    result's headline, the official one)."""
    return delta_knowledge(adaptation_accuracy(videommmu, protocol), adaptation_accuracy(question_only, protocol))


# --- protocols --------------------------------------------------------------------------------

def is_multiple_choice(record: Record) -> bool:
    return record["fields"].get("question_type") == MULTIPLE_CHOICE


def record_options(record: Record) -> List[str]:
    return list(record["fields"].get("options", ()))


def read_official(record: Record) -> Parsed:
    """The authors' reading of one reply: '' and no score for an empty reply (dropped),
    '' and 0 for a multiple-choice reply it cannot read."""
    response = record.get("response")
    if response is None:  # the sample failed: no reply to read, counted wrong
        return Parsed("", 0.0)
    if is_multiple_choice(record):
        letter = official_choice(response, record_options(record))
        if letter == API_ERROR:
            return Parsed("", None)
        if letter == NO_ANSWER:
            return Parsed("", 0.0)
        return Parsed(letter, float(letter == record["target"]))
    candidates = official_open(response)
    if isinstance(candidates, str):
        return Parsed("", None)
    return Parsed(show_candidates(candidates), float(official_open_correct(record["target"], candidates)))


def read_strict(record: Record) -> Parsed:
    """evalkit's reading: one option letter, or one number; '' and 0 when there is none."""
    response = record.get("response")
    gold, options = record["target"], record_options(record)
    if response is None:
        return Parsed("", 0.0)
    if is_multiple_choice(record) or is_letter_gold(gold):
        keys = letters(len(options)) if options else letters(26)
        letter = extract_choice_strict(response, keys, options or None)
        return Parsed(letter, float(bool(letter) and letter == gold))
    read = strict_number(response)
    if read is None:
        return Parsed("", 0.0)
    token, value = read
    return Parsed(token, float(cents(value) in {cents(g) for g in strict_gold_values(gold)}))


class VideoMMMUProtocol(AccuracyProtocol):
    """Accuracy under one reading (official or strict), pooled per track; the headline is the
    mean of the track accuracies. Adds each track's accuracy to the metrics and ``n_excluded``
    (replies left out of the denominator: the official rule's empty replies)."""

    def __init__(self, name: str, rule: str, reader: Any, denominator: Denominator, **kw: Any):
        super().__init__(name, rule, lambda response, record: "", denominator, **kw)
        self.reader = reader

    def read(self, record: Record) -> Parsed:
        return self.reader(record)

    def aggregate(self, records: Sequence[Record], seed: int) -> AccuracyResult:
        result = super().aggregate(records, seed)
        for track, group in result["breakdown"].get("track", {}).items():
            result["metrics"][f"{track.lower()}_accuracy"] = group["accuracy"]
        excluded = sum(1 for r in records if r["target"] and r.get("error") is None and r["score"][self.name] is None)
        result["n_excluded"] = excluded  # type: ignore[typeddict-unknown-key]
        return result


# --- layouts ----------------------------------------------------------------------------------

def hf_layout(tracks: Sequence[str]) -> Layout:
    return Layout("hf-parquet", tuple(f"{t}/*.parquet" for t in tracks),
                  "the HF snapshot lmms-lab/VideoMMMU, as lmms-eval reads it")


def github_layout(tracks: Sequence[str]) -> Layout:
    return Layout("github-json", tuple(f"data/{t.lower()}_video.json" for t in tracks),
                  "the question files of the authors' repository (no videos)", lacks=("qa_type",))


VLMEVALKIT_TSV = Layout("vlmevalkit-tsv", ("VideoMMMU.tsv",), "VLMEvalKit (VideoMMMU.tsv in the HF snapshot)",
                        lacks=("qa_type",))
PARQUET_COLUMNS = ("id", "question", "options", "answer", "question_type")
TSV_COLUMNS = ("id", "category", "question", "options", "answer", "question_type")
Row = Tuple[str, str, Mapping[str, Any]]  # (where, track, row)


def parquet_rows(files: Sequence[Path], tracks: Sequence[str]) -> List[Row]:
    rows: List[Row] = []
    for path in files:
        track = path.parent.name
        if track in tracks:
            rows += [(f"{path} row {n}", track, row)
                     for n, row in enumerate(read_parquet(path, PARQUET_COLUMNS, f"Video-MMMU {track} parquet"))]
    return rows


def tsv_rows(path: Path, tracks: Sequence[str]) -> List[Row]:
    rows: List[Row] = []
    for n, row in enumerate(read_tsv(path, TSV_COLUMNS, "VLMEvalKit VideoMMMU table")):
        at = f"{path} row {n + 2}"  # row 1 is the header
        require(row["category"] in TRACKS, at, f"category {row['category']!r} is not one of {', '.join(TRACKS)}")
        try:
            options = json.loads(row["options"]) if row["options"].strip() else []
        except json.JSONDecodeError:
            raise DataError(f"{at}: 'options' is not a JSON list ({row['options'][:60]!r})") from None
        if row["category"] in tracks:
            rows.append((at, row["category"], {**row, "options": options,
                                               "question_type": row["question_type"] or None}))
    return rows


def github_rows(files: Sequence[Path], tracks: Sequence[str]) -> List[Row]:
    rows: List[Row] = []
    for path in files:
        data = read_json(path, "Video-MMMU question file")
        require(isinstance(data, dict) and len(data) == 1, str(path), "expected {track: {index: record}}")
        (track, records), = data.items()
        require(track in TRACKS and isinstance(records, dict), str(path), f"unknown track {track!r}")
        if track not in tracks:
            continue
        for key in sorted(records, key=lambda k: int(k) if str(k).isdigit() else -1):
            row = records[key]
            require(isinstance(row, dict), f"{path} record {key}", "expected a JSON object")
            if track != "Adaptation":  # these files omit it; every such question is multiple choice
                row = {"question_type": MULTIPLE_CHOICE, **row}
            rows.append((f"{path} record {key}", track, row))
    return rows


def video_file(media: Path, upstream_id: str, folder: str, listed: Optional[str], where: str) -> Path:
    """The id's lecture video: VLMEvalKit's listed path, else lmms-eval's ``<Discipline>/<id>.mp4``
    (also under ``videos/``); the first candidate when none exists (the sample then fails)."""
    names = ([listed] if listed else []) + [f"{folder}/{upstream_id}.mp4", f"videos/{folder}/{upstream_id}.mp4"]
    candidates = [inside(media, name, where) for name in names]
    return next((p for p in candidates if p.is_file()), candidates[len(names) - 2])


def question_only_file(media: Path, upstream_id: str, where: str) -> Path:
    names = [f"question_only/{upstream_id}_image.mp4", f"videos/question_only/{upstream_id}_image.mp4"]
    candidates = [inside(media, name, where) for name in names]
    return next((p for p in candidates if p.is_file()), candidates[0])


# --- the tasks --------------------------------------------------------------------------------

class VideoMMMU(MultipleChoiceTask):
    name = "videommmu"
    description = ("Video-MMMU (900 questions on 300 lecture videos: Perception, Comprehension, Adaptation); "
                   "Overall = mean of the track accuracies")
    official_rule = OFFICIAL_RULE
    official_ref = OfficialRef(REF_REPO, REF_PATH, REF_COMMIT)
    official_denominator = NON_EMPTY
    breakdown_keys = ("track", "discipline", "subject", "qa_type", "track_discipline", "parser")
    macro_key = "track"
    max_new_tokens = 1024
    dataset_revision = HF_REVISION
    tracks: ClassVar[Tuple[str, ...]] = TRACKS
    question_only: ClassVar[bool] = False

    layouts = (hf_layout(TRACKS), VLMEVALKIT_TSV, github_layout(TRACKS))
    hub_repos = HF_REPOS
    lmms_eval_cache = "video_mmmu"
    sample_name = "videommmu"
    lmms_eval_task: ClassVar[Union[str, Tuple[str, ...], None]] = tuple(LMMS_EVAL_TASKS.values())  # a log per track
    vlmevalkit_dataset: ClassVar[Optional[str]] = "VideoMMMU"

    def make_protocols(self) -> Tuple[Protocol, ...]:
        kw = {"breakdown_keys": self.breakdown_keys, "macro_key": self.macro_key}
        return (VideoMMMUProtocol("official", OFFICIAL_RULE, read_official, NON_EMPTY, upstream=True,
                                  ref=self.official_ref, headline=True, **kw),
                VideoMMMUProtocol("strict", STRICT_RULE, read_strict, Denominator("all", True), **kw))

    # --- data ---

    def read_layout(self, layout: Layout, files: List[Path], where: Located) -> TaskData:
        if layout.name == "hf-parquet":
            rows = parquet_rows(files, self.tracks)
        elif layout.name == VLMEVALKIT_TSV.name:
            rows = tsv_rows(files[0], self.tracks)
        else:
            rows = github_rows(files, self.tracks)
        samples: Dict[str, List[Sample]] = {t: [] for t in self.tracks}
        seen = set()
        for at, track, row in rows:
            sample = self.sample(row, track, where.media, at)
            require(sample.id not in seen, at, f"id {row['id']!r} appears twice in the {track} track")
            seen.add(sample.id)
            samples[track].append(sample)
        for track in self.tracks:
            require(bool(samples[track]), str(where.file or where.root), f"no {track} questions")
        return TaskData([s for t in self.tracks for s in samples[t]], tuple(files))

    def sample(self, row: Mapping[str, Any], track: str, media: Path, at: str) -> Sample:
        uid, options, answer = row.get("id"), row.get("options"), row.get("answer")
        if not isinstance(uid, str):
            raise DataError(f"{at}: field 'id' must be a string, got {uid!r}")
        at = f"{at} (id {uid!r})"
        subject = subject_of(uid)
        require(subject in FOLDER_OF, at, f"subject {subject!r} of the id is not one of the benchmark's 30")
        if options is not None and not isinstance(options, (list, str)):
            options = list(options)  # a numpy array, as some readers give
        if not (isinstance(options, list) and all(isinstance(o, str) for o in options)):
            raise DataError(f"{at}: field 'options' must be a list of strings")
        require(isinstance(row.get("question"), str), at, "field 'question' must be a string")
        if not (isinstance(answer, str) and answer.strip()):
            raise DataError(f"{at}: field 'answer' must be a non-empty string, got {answer!r}")
        qtype = row.get("question_type")
        qtype = qtype if isinstance(qtype, str) and qtype else "None"  # upstream's default
        if qtype == MULTIPLE_CHOICE:
            require(len(options) >= 2 and answer in letters(len(options)), at,
                    f"a multiple-choice answer must be one of its {len(options)} option letters, got {answer!r}")
        folder = FOLDER_OF[str(subject)]
        discipline = DISCIPLINE_NAMES[folder]
        if self.question_only:
            video = question_only_file(media, uid, at)
        else:
            listed = row.get("video") if isinstance(row.get("video"), str) else None
            video = video_file(media, uid, folder, listed, at)
        qa_type = row.get("qa_type")
        fields = {"upstream_id": uid, "track": track, "question": row["question"], "question_type": qtype,
                  "parser": MULTIPLE_CHOICE if qtype == MULTIPLE_CHOICE else "open", "subject": subject,
                  "discipline": discipline, "track_discipline": f"{track} / {discipline}",
                  "qa_type": qa_type if isinstance(qa_type, str) else None,
                  "lmms_eval_task": QUESTION_ONLY_LMMS_EVAL_TASK if self.question_only else LMMS_EVAL_TASKS[track]}
        return Sample(f"{track}/{uid}", answer, fields, video=video, cluster=uid, choices=tuple(options))

    # --- prompts ---

    def prompt_text(self, sample: Sample) -> Tuple[str, bool]:
        """The text after the video, and whether it shows the options."""
        f = sample.fields
        question, options = f["question"], option_lines(sample.choices)
        if self.question_only:
            return f"{question}\n{options}", bool(sample.choices)
        if f["track"] != "Adaptation":
            return f"{question}\n{options}{PERCEPTION_AND_COMPREHENSION_PROMPT}", True
        if f["question_type"] == MULTIPLE_CHOICE:
            return f"{PRE_PROMPT}{MCQ_PROMPT}{question}\n{options}", True
        return f"{PRE_PROMPT}{OPEN_ENDED_PROMPT}{question}", False

    def build_request(self, sample: Sample, media: Any) -> Request:
        text, shows_options = self.prompt_text(sample)
        return Request(sample.id, self.name, [VideoPart(sample.video, media), text],
                       choices=tuple(letters(len(sample.choices))) if shows_options else (),
                       max_new_tokens=self.max_new_tokens)

    # --- other harnesses ---

    def sample_keys(self, sample: Sample) -> List[Tuple[Any, ...]]:
        f = sample.fields
        return [("id", sample.id), ("lmms-eval", f["lmms_eval_task"], f["upstream_id"]),
                ("lmms-eval prompt", f["upstream_id"], self.prompt_text(sample)[0]),
                ("vlmevalkit", f["track"], f["upstream_id"])]

    def lmms_eval_key(self, line: Mapping[str, Any]) -> Optional[Tuple[Any, ...]]:
        """``mmmu_acc.id`` (or ``doc.id``) with the lmms-eval task name logged in ``arguments``,
        else with the logged prompt (``input``, or the first text of ``arguments``)."""
        metric, doc = line.get("mmmu_acc"), line.get("doc")
        uid = metric.get("id") if isinstance(metric, dict) else doc.get("id") if isinstance(doc, dict) else None
        if not isinstance(uid, str):
            return None
        args = line.get("arguments")
        texts = [a for a in args if isinstance(a, str)] if isinstance(args, list) else []
        named = [a for a in texts if a in KNOWN_LMMS_EVAL_TASKS]
        if named:
            return ("lmms-eval", named[0], uid)
        prompt = line.get("input") if isinstance(line.get("input"), str) else texts[0] if texts else None
        return ("lmms-eval prompt", uid, prompt) if prompt is not None else None

    def summary_notes(self, tasks: Mapping[str, Any]) -> List[str]:
        """Δknowledge when the run holds the question-only baseline too (said once, by videommmu)."""
        if self.question_only or "videommmu_question_only" not in tasks:
            return []
        try:
            with_video = adaptation_accuracy(tasks[self.name])
            without = adaptation_accuracy(tasks["videommmu_question_only"])
            value = delta_knowledge(with_video, without)
        except ValueError as exc:
            return [f"Δknowledge (Video-MMMU): not available: {exc}"]
        return [f"Δknowledge (Video-MMMU, headline protocol): {value:.1f}% = (Adaptation {with_video:.1f} - "
                f"question-only {without:.1f}) / (100 - {without:.1f})"]

    def vlmevalkit_key(self, row: Mapping[str, Any]) -> Optional[Tuple[Any, ...]]:
        if "category" not in row or "id" not in row:
            return None
        return ("vlmevalkit", str(row["category"]), str(row["id"]))


class VideoMMMUQuestionOnly(VideoMMMU):
    name = "videommmu_question_only"
    description = ("Video-MMMU Adaptation questions on their 2-second question-only videos, no pre-prompt "
                   "(the Δknowledge baseline)")
    tracks = ("Adaptation",)
    question_only = True
    layouts = (hf_layout(("Adaptation",)), VLMEVALKIT_TSV, github_layout(("Adaptation",)))
    lmms_eval_task = QUESTION_ONLY_LMMS_EVAL_TASK
    vlmevalkit_dataset = None  # VLMEvalKit has no question-only run

    def vlmevalkit_key(self, row: Mapping[str, Any]) -> Optional[Tuple[Any, ...]]:
        return None
