"""The typed shapes of what evalkit writes: a prediction record, a protocol's result, a task's
result, a run's ``results.json`` and its ``run.json``.

They describe the JSON exactly as it is written (``TypedDict``s, so records stay plain dicts in
memory and on disk, and mypy checks every key the code reads). ``FORMAT_VERSION`` is written to
``run.json`` and ``results.json``; files written before it existed are format 1 as well, since
the version only names the shapes below. A change that breaks them raises the version and adds a
migration in :func:`migrate_results`.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from typing_extensions import NotRequired, TypedDict

FORMAT_VERSION = 1


class OfficialRefDict(TypedDict, total=False):
    """``OfficialRef.to_dict()``: repo/path/commit, or documented_rule; always a label."""

    repo: str
    path: str
    commit: str
    documented_rule: str
    label: str


class Verdict(TypedDict):
    """One judge's reading of one sample (``<task>/judgements/<judge>.jsonl`` lines)."""

    id: str
    pred: Optional[str]  # the spec's verdict (QA judge: yes | no | None; matchers: a letter)
    score: Optional[int]
    reply: Optional[str]
    error: Optional[str]  # set: a judge failure, excluded from the metrics and counted
    cached: bool
    attempts: int


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
    media: Optional[Dict[str, Any]]  # frame indices, timestamps, duration, decoder
    prompt: NotRequired[Dict[str, Any]]  # prompt hash and the task's request facts
    model: NotRequired[Dict[str, Any]]  # the adapter's facts about this request
    parsed: Dict[str, str]  # protocol -> extracted answer ('' when none)
    score: Dict[str, Optional[float]]  # protocol -> score (None: out of that denominator)
    judgements: NotRequired[Dict[str, Verdict]]  # judge model -> verdict (in memory while scoring)


class GroupSummary(TypedDict):
    """Accuracy of one breakdown group."""

    accuracy: Optional[float]
    n: int
    n_scored: int
    n_correct: float


class ProtocolResult(TypedDict):
    """What one protocol of a task measured (``results.json`` ``by_protocol`` values)."""

    protocol: str
    judge_model: Optional[str]  # the primary judge the numbers used, if any
    metrics: Dict[str, Optional[float]]  # headline metric first
    ci95: Dict[str, Optional[List[float]]]
    n: int
    n_scored: int  # the protocol's denominator
    n_unparsed: int  # items the protocol could not read
    n_failed: int  # media or model failures
    denominator: str
    extraction: str
    unit: str
    breakdown: Dict[str, Dict[str, GroupSummary]]
    official_ref: NotRequired[Optional[OfficialRefDict]]
    # multiple choice
    n_correct: NotRequired[float]
    n_unscored: NotRequired[int]  # items without a public answer
    n_warned: NotRequired[int]  # items whose input was guessed or degraded (record: prompt.warnings)
    averaging: NotRequired[str]
    ci_method: NotRequired[str]
    macro_by_relationship: NotRequired[Dict[str, Optional[float]]]
    n_pairs: NotRequired[int]  # MuirBench answerable/unanswerable pairs
    # judged open-ended QA
    n_yes: NotRequired[int]
    n_no: NotRequired[int]
    n_neither: NotRequired[int]
    n_judged: NotRequired[int]
    n_judge_failed: NotRequired[int]
    n_unjudged: NotRequired[int]
    by_judge: NotRequired[Dict[str, "ProtocolResult"]]


class TaskResult(ProtocolResult):
    """``results.json`` ``tasks`` values: the headline protocol's result, plus every protocol's."""

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


class RunResults(TypedDict):
    """``results.json``."""

    format: int
    run_name: str
    model: Dict[str, Any]
    sampling: Optional[Dict[str, Any]]
    seed: int
    tasks: Dict[str, TaskResult]


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


def migrate_results(data: Dict[str, Any]) -> RunResults:
    """A ``results.json`` as the current shapes read it (format 1 files need no change)."""
    data.setdefault("format", FORMAT_VERSION)
    return data  # type: ignore[return-value]
