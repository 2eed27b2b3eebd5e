"""The typed shapes of what evalkit writes, and their validation on read.

A prediction record, a protocol's result (multiple-choice accuracy or judged QA: distinct types,
told apart by ``kind``), a task's result, a run's ``results.json`` and its ``run.json``. They
describe the JSON exactly as it is written: ``TypedDict`` s, so records stay plain dicts in
memory and on disk and mypy checks every key the code reads. Every file evalkit reads back goes
through a validator here (pydantic, over these same types), which names the file and line it
cannot use and the fix; unknown keys are kept, so a newer field survives a read.

``FORMAT_VERSION`` is written to ``run.json`` and ``results.json``. Format 1 (files written
before protocol results had a ``kind``) is migrated on read; a file of a newer format is refused
with the evalkit version that wrote it.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Literal, Optional, Union

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError, with_config
from typing_extensions import Annotated, Final, NotRequired, TypedDict

from .errors import RunFileError

FORMAT_VERSION = 2
KEEP_UNKNOWN = ConfigDict(extra="allow")
ACCURACY: Final = "accuracy"
JUDGED: Final = "judged"


@with_config(KEEP_UNKNOWN)
class OfficialRefDict(TypedDict, total=False):
    """``OfficialRef.to_dict()``: repo/path/commit, or documented_rule; always a label."""

    repo: str
    path: str
    commit: str
    documented_rule: str
    label: str


@with_config(KEEP_UNKNOWN)
class Verdict(TypedDict):
    """One judge's reading of one sample (``<task>/judgements/<judge>.jsonl`` lines)."""

    id: str
    pred: Optional[str]  # the spec's verdict (QA judge: yes | no | None; matchers: a letter)
    score: Optional[int]
    reply: Optional[str]
    error: Optional[str]  # set: a judge failure, excluded from the metrics and counted
    cached: bool
    attempts: int


class RequestFacts(TypedDict, total=False):
    """What a record says of the request the model answered."""

    prompt: Dict[str, Any]  # prompt hash and the task's request facts
    model: Dict[str, Any]  # the adapter's facts about this request


@with_config(KEEP_UNKNOWN)
class Record(TypedDict):
    """One line of ``<task>/predictions.jsonl``: a sample, the model's response, and its reading
    under every protocol of the task."""

    id: str  # the upstream id
    index: int  # position in the task's dataset order
    task: str
    target: str  # gold option letter ('' where the answer is not public)
    response: Optional[str]  # None: the sample failed (see error)
    error: Optional[str]  # media or model failure
    cluster: str  # items sharing a video, resampled together by the bootstrap
    fields: Dict[str, Any]  # the sample's fields; multiple choice: "options" holds the choices
    media: Optional[Dict[str, Any]]  # frame indices, timestamps, duration, decoder, sampling
    prompt: NotRequired[Dict[str, Any]]  # prompt hash and the task's request facts
    model: NotRequired[Dict[str, Any]]  # the adapter's facts about this request
    parsed: Dict[str, str]  # protocol -> extracted answer ('' when none)
    score: Dict[str, Optional[float]]  # protocol -> score (None: out of that denominator)
    judgements: NotRequired[Dict[str, Verdict]]  # judge model -> verdict (in memory while scoring)


@with_config(KEEP_UNKNOWN)
class GroupSummary(TypedDict):
    """Accuracy of one breakdown group."""

    accuracy: Optional[float]
    n: int
    n_scored: int
    n_correct: float


@with_config(KEEP_UNKNOWN)
class AccuracyResult(TypedDict):
    """What a right/wrong protocol measured (multiple choice, numeric answers)."""

    kind: Literal["accuracy"]
    protocol: str
    judge_model: Optional[str]  # the judge whose verdicts an optional LLM fallback used
    metrics: Dict[str, Optional[float]]  # headline metric first
    ci95: Dict[str, Optional[List[float]]]
    n: int
    n_scored: int  # the protocol's denominator
    n_correct: float
    n_unparsed: int  # items the protocol could not read
    n_failed: int  # media or model failures
    n_unscored: int  # items without a public answer
    n_warned: int  # items whose input was guessed or degraded (record: prompt.warnings)
    denominator: str
    extraction: str
    averaging: str
    unit: str
    ci_method: str
    breakdown: Dict[str, Dict[str, GroupSummary]]
    official_ref: NotRequired[Optional[OfficialRefDict]]
    macro_by_relationship: NotRequired[Dict[str, Optional[float]]]  # MMIU
    n_pairs: NotRequired[int]  # MuirBench answerable/unanswerable pairs


@with_config(KEEP_UNKNOWN)
class JudgedResult(TypedDict):
    """What a judged open-ended protocol measured, for one judge (``by_judge``: every judge)."""

    kind: Literal["judged"]
    protocol: str
    judge_model: Optional[str]  # the primary judge the numbers used
    metrics: Dict[str, Optional[float]]  # accuracy (yes share), score (mean 0-5)
    ci95: Dict[str, Optional[List[float]]]
    n: int
    n_scored: int
    n_yes: int
    n_no: int
    n_neither: int
    n_judged: int
    n_judge_failed: int
    n_failed: int
    n_unjudged: int
    n_unparsed: int
    denominator: str
    extraction: str
    unit: str
    breakdown: Dict[str, Dict[str, GroupSummary]]
    by_judge: NotRequired[Dict[str, "JudgedResult"]]
    official_ref: NotRequired[Optional[OfficialRefDict]]


ProtocolResult = Annotated[Union[AccuracyResult, JudgedResult], Field(discriminator="kind")]


class TaskFacts(TypedDict):
    """What results.json says of a task beside its numbers."""

    headline: str  # the protocol whose numbers are repeated at the top level
    dataset_revision: Optional[str]
    annotations_sha256: Optional[str]
    n_expected: NotRequired[Optional[int]]  # samples the task has (None: not recorded)
    complete: NotRequired[bool]  # every expected sample has a record
    data_layout: NotRequired[Dict[str, Any]]  # the layout the data was read in, and what it lacks
    # samples_sha256 (the same in every layout of the same data), or for run dirs written before
    # it existed, annotations_sha256: what must agree for two runs' numbers to be compared
    data_fingerprint: NotRequired[Optional[str]]
    by_protocol: Dict[str, ProtocolResult]
    judges: NotRequired[Dict[str, Dict[str, Any]]]  # judge model -> its meta (settings, usage)


@with_config(KEEP_UNKNOWN)
class AccuracyTaskResult(AccuracyResult, TaskFacts):
    """``results.json`` ``tasks`` value of a right/wrong task: its headline protocol's result at
    the top level, every protocol's under ``by_protocol``."""


@with_config(KEEP_UNKNOWN)
class JudgedTaskResult(JudgedResult, TaskFacts):
    """``results.json`` ``tasks`` value of a judged task."""


TaskResult = Annotated[Union[AccuracyTaskResult, JudgedTaskResult], Field(discriminator="kind")]


@with_config(KEEP_UNKNOWN)
class RunResults(TypedDict):
    """``results.json``."""

    format: int
    run_name: str
    model: Dict[str, Any]
    sampling: Optional[Dict[str, Any]]
    seed: int
    tasks: Dict[str, TaskResult]


@with_config(KEEP_UNKNOWN)
class TaskInfo(TypedDict):
    """``run.json`` ``tasks`` values: what a task read and how it scores."""

    dataset_revision: Optional[str]
    annotations_sha256: Optional[str]
    n_samples: NotRequired[Optional[int]]  # the task's full size (absent in older run.json files)
    samples_sha256: NotRequired[Optional[str]]  # what is asked and scored, whatever the layout
    # the layout the data was read in and where it was found (tasks with layouts)
    layout: NotRequired[Dict[str, Any]]
    protocols: List[str]
    official_ref: Optional[OfficialRefDict]
    official_rule: NotRequired[str]
    official_denominator: NotRequired[str]
    strict_rule: NotRequired[str]


@with_config(KEEP_UNKNOWN)
class RunInfo(TypedDict):
    """``run.json``: the configuration a rerun must match, and the facts of the run."""

    format: NotRequired[int]  # absent in files written before it existed (format 1)
    config: Dict[str, Any]
    run_name: str
    model: Dict[str, Any]
    sampling: Optional[Dict[str, Any]]
    # how frames were obtained (decoder, decode workers, frame cache); absent in older run dirs
    media: NotRequired[Dict[str, Any]]
    tasks: Dict[str, TaskInfo]
    versions: Dict[str, Optional[str]]
    git_sha: Optional[str]
    seed: int
    world_size: int


_TASK_RESULT: TypeAdapter[TaskResult] = TypeAdapter(TaskResult)
_RECORD = TypeAdapter(Record)
_VERDICT = TypeAdapter(Verdict)
_RESULTS = TypeAdapter(RunResults)
_RUN_INFO = TypeAdapter(RunInfo)


def problem(exc: ValidationError) -> str:
    """The first thing pydantic found wrong, as '<field path>: <message>'."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"] if not str(p).endswith("TaskResult") and p not in (ACCURACY, JUDGED))
    return f"{where or 'the top level'}: {first['msg']}" + (f" (and {exc.error_count() - 1} more)"
                                                           if exc.error_count() > 1 else "")


def parse_json(text: str, where: str, fix: str) -> Any:
    """``text`` as JSON, or a RunFileError naming ``where`` and the fix."""
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise RunFileError(f"{where}: not valid JSON ({exc}); {fix}") from None


def record(data: Any, where: str) -> Record:
    """A validated prediction record (``where``: file and line, for the error)."""
    try:
        return _RECORD.validate_python(data)
    except ValidationError as exc:
        raise RunFileError(f"{where}: not an evalkit record ({problem(exc)}); delete this line and rerun "
                            "the same command to answer that sample again") from None


def verdict(data: Any, where: str) -> Verdict:
    try:
        return _VERDICT.validate_python(data)
    except ValidationError as exc:
        raise RunFileError(f"{where}: not a judge verdict ({problem(exc)}); delete the file and run "
                            "`evalkit judge` again (cached replies cost nothing)") from None


def newer(data: Dict[str, Any], where: str) -> None:
    version = data.get("format")
    if isinstance(version, int) and version > FORMAT_VERSION:
        wrote = (data.get("versions") or {}).get("evalkit") or "a newer evalkit"
        raise RunFileError(f"{where}: format {version}, written by evalkit {wrote}; this evalkit reads format "
                            f"{FORMAT_VERSION} and older: upgrade evalkit, or re-score the run with this one "
                            "(`evalkit score RUN`)")


def migrate_results(data: Dict[str, Any]) -> Dict[str, Any]:
    """A format-1 ``results.json`` in the current shape: every protocol result gets its ``kind``
    (judged results are the ones that count yes/no verdicts), every task its ``headline``."""
    if data.get("format", 1) >= FORMAT_VERSION:
        return data

    def kind(result: Dict[str, Any]) -> None:
        if isinstance(result, dict):
            result.setdefault("kind", JUDGED if "n_yes" in result else ACCURACY)
            for sub in (result.get("by_judge") or {}).values():
                kind(sub)

    for task in (data.get("tasks") or {}).values():
        if isinstance(task, dict):
            kind(task)
            for result in (task.get("by_protocol") or {}).values():
                kind(result)
            task.setdefault("headline", task.get("protocol"))
    data["format"] = FORMAT_VERSION
    return data


def task_result(headline: ProtocolResult, facts: TaskFacts) -> TaskResult:
    """A task's result: its headline protocol's result with the task's facts (checked as built,
    so what is written is what the types say)."""
    return _TASK_RESULT.validate_python({**headline, **facts})


def results(data: Any, where: str) -> RunResults:
    """A validated ``results.json`` (format 1 migrated)."""
    fix = "re-score the run: `evalkit score RUN`"
    if not isinstance(data, dict):
        raise RunFileError(f"{where}: not an evalkit results file (expected a JSON object); {fix}")
    newer(data, where)
    try:
        return _RESULTS.validate_python(migrate_results(data))
    except ValidationError as exc:
        raise RunFileError(f"{where}: not an evalkit results file ({problem(exc)}); {fix}") from None


def run_info(data: Any, where: str) -> RunInfo:
    """A validated ``run.json``."""
    fix = "it is written when a run starts: rerun the command with --overwrite (or a new --run-name)"
    if not isinstance(data, dict):
        raise RunFileError(f"{where}: not an evalkit run.json (expected a JSON object); {fix}")
    newer(data, where)
    try:
        return _RUN_INFO.validate_python(data)
    except ValidationError as exc:
        raise RunFileError(f"{where}: not an evalkit run.json ({problem(exc)}); {fix}") from None
