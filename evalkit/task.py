"""The task API: how a benchmark plugin loads its data, renders prompts and scores responses.

A task never looks at which model runs: it renders a prompt from the sample and the media the
model's sampling spec produced, and scores saved responses under named protocols. The contract
is all on :class:`Task`: ``load`` returns what it read (:class:`TaskData`) and keeps no state;
``build_request``, ``parse`` and ``aggregate`` are pure; a task with a judging step says so
(``judged`` for a required judge, ``judge_spec`` for any judge) and ``export`` has one signature.
"""
from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from .judge.specs import JudgeItem, JudgeSpec
from .layouts import Layout, Located, load_layouts, locate
from .media.video import SampledVideo
from .schema import OfficialRefDict, ProtocolResult, Record, TaskInfo


@dataclass(frozen=True)
class Sample:
    """One benchmark item, as loaded from the upstream files."""

    id: str
    target: str  # gold option letter; '' where the answer is not public
    fields: Mapping[str, Any]  # what prompts, breakdowns and exports need; stored with the record
    video: Optional[Path] = None
    images: Tuple[Path, ...] = ()
    cluster: Optional[str] = None  # items sharing a video: resampled together by the bootstrap
    choices: Tuple[str, ...] = ()  # multiple choice: the options in letter order (record: fields["options"])
    assets: Mapping[str, Path] = field(default_factory=dict)  # side files resolved at load (e.g. subtitles)

    def record_fields(self) -> Dict[str, Any]:
        """The fields a record stores: the sample's fields, with the choices as "options"."""
        return {**self.fields, "options": list(self.choices)} if self.choices else dict(self.fields)


@dataclass(frozen=True)
class TaskData:
    """What ``Task.load`` read: the samples and the annotation files they came from, and for a
    task with layouts, which layout and where (set by ``layouts.load_layouts``)."""

    samples: List[Sample]
    files: Tuple[Path, ...] = ()
    layout: Optional[str] = None
    lacks: Tuple[str, ...] = ()  # fields the layout does not have
    also_found: List[str] = field(default_factory=list)  # other layouts present, with the same samples
    located: Optional["Located"] = None

    def fingerprint(self) -> Optional[str]:
        """SHA-256 (16 hex) over the annotation files: which files were read (provenance)."""
        if not self.files:
            return None
        h = hashlib.sha256()
        for path in self.files:
            h.update(Path(path).read_bytes())
        return h.hexdigest()[:16]

    def content_fingerprint(self, task: "Task") -> str:
        """SHA-256 (16 hex) over what is asked and how it is scored: each sample's id, target,
        options, prompt text and the bytes of its text assets (subtitles). The same benchmark
        read from two layouts gets the same value, so their runs pair up; edited data does not."""
        h = hashlib.sha256()
        digests: Dict[Path, str] = {}  # a video's questions share its subtitle file: read it once

        def digest(path: Path) -> str:
            if path not in digests:
                digests[path] = hashlib.sha256(path.read_bytes()).hexdigest()
            return digests[path]

        for s in self.samples:
            assets = {k: digest(Path(p)) for k, p in sorted(s.assets.items()) if Path(p).is_file()}
            h.update(repr((s.id, s.target, s.choices, task.build_request(s, None).text, assets)).encode())
        return h.hexdigest()[:16]


@dataclass
class VideoPart:
    """A video in the prompt; ``media`` is None when the model needs no pixels."""

    path: Optional[Path]
    media: Optional[SampledVideo] = None


@dataclass
class ImagePart:
    path: Optional[Path]
    pixels: Any = None  # np.ndarray (H, W, 3) when loaded


PromptPart = Union[str, VideoPart, ImagePart]


@dataclass
class Request:
    """What a model adapter answers: an interleaved prompt plus generation settings."""

    id: str
    task: str
    parts: List[PromptPart]
    choices: Sequence[str] = ()  # option letters, for baselines
    max_new_tokens: int = 16
    system: Optional[str] = None  # a task's own system text, if its protocol has one
    assistant_prefix: str = ""  # text the assistant turn starts with (pre-fill)
    facts: Dict[str, Any] = field(default_factory=dict)  # task facts stored with the record

    @property
    def text(self) -> str:
        """The prompt's text with media shown as placeholders (for logs and hashing)."""
        return "".join(p if isinstance(p, str) else f"<{type(p).__name__}>" for p in self.parts)


@dataclass(frozen=True)
class OfficialRef:
    """The upstream scorer a task's official protocol reproduces: repository, path and the commit
    that was read, or the documented rule where the authors publish no scoring code. Recorded in
    run.json and results.json so that a later upstream change can be noticed and named."""

    repo: Optional[str] = None
    path: Optional[str] = None
    commit: Optional[str] = None  # full sha of the upstream commit the protocol was checked against
    documented_rule: Optional[str] = None  # where the rule is written, when no scoring code exists

    def __post_init__(self) -> None:
        if not (self.documented_rule or (self.repo and self.path and self.commit)):
            raise ValueError("an OfficialRef names repo, path and commit, or a documented rule")

    def label(self) -> str:
        """'owner/repo path@abc1234', or 'documented rule: ...'."""
        if self.repo:
            return f"{self.repo} {self.path}@{(self.commit or '')[:7]}"
        return f"documented rule: {self.documented_rule}"

    def to_dict(self) -> OfficialRefDict:
        if self.repo and self.path and self.commit:
            return {"repo": self.repo, "path": self.path, "commit": self.commit, "label": self.label()}
        return {"documented_rule": self.documented_rule or "", "label": self.label()}


@dataclass(frozen=True)
class ExportOptions:
    """User choices for ``evalkit export``. ``fill_unparsed``: the answer written for items the
    protocol could not read, where a submission format needs a row for every item (only tasks
    that list the value in ``Task.export_fill_values`` accept it; it is recorded beside the export)."""

    fill_unparsed: Optional[int] = None


@dataclass(frozen=True)
class Parsed:
    """A response under one protocol: the extracted answer ('' if none) and its score
    (None leaves the item out of that protocol's denominator)."""

    answer: str
    score: Optional[float]


class Task(ABC):
    """Base class of benchmark plugins (registered through the ``evalkit.tasks`` entry points)."""

    name: ClassVar[str]
    description: ClassVar[str]
    media_kind: ClassVar[str] = "video"  # "video" | "images"
    protocols: ClassVar[Tuple[str, ...]] = ("official", "strict")
    headline_metric: ClassVar[str] = "accuracy"
    breakdown_keys: ClassVar[Tuple[str, ...]] = ()
    max_new_tokens: ClassVar[int] = 16
    dataset_revision: ClassVar[Optional[str]] = None
    official_ref: ClassVar[Optional[OfficialRef]] = None  # what the "official" protocol reproduces
    judged: ClassVar[bool] = False  # True: scores exist only after ``evalkit judge`` (open-ended QA)
    export_fill_values: ClassVar[Tuple[int, ...]] = ()  # values ``export --fill-unparsed`` may take

    # Where the benchmark may already be on disk (see evalkit/layouts.py): its layouts in
    # precedence order, the HF dataset repos whose cached snapshots hold it, lmms-eval's video
    # folder under $HF_HOME, and the bundled sample's folder name.
    layouts: ClassVar[Tuple[Layout, ...]] = ()
    hub_repos: ClassVar[Tuple[str, ...]] = ()
    lmms_eval_cache: ClassVar[Optional[str]] = None
    lmudata_file: ClassVar[Optional[str]] = None  # VLMEvalKit's table of an image benchmark in ~/LMUData
    sample_name: ClassVar[str] = ""

    def load(self, data: Optional[str], media: Optional[str] = None) -> TaskData:
        """All samples, validated, and the files read. Raise DataError (file + field + fix) on
        malformed input. Keeps no state on the task: everything a prompt needs is on the samples.
        The default finds the data (``--data``/``--media``, the sample, the hub cache) and reads
        it in the first of ``layouts`` present."""
        return load_layouts(self, locate(self, data, media))

    def read_layout(self, layout: Layout, files: List[Path], where: Located) -> TaskData:
        """The samples of ``layout``, whose identifying ``files`` were found under ``where``
        (tasks with layouts implement this)."""
        raise NotImplementedError(f"{self.name} reads no layouts")

    # Predictions of other harnesses (``evalkit import``): the harness's name for this task, the
    # keys a sample is known by, and the key of a harness's prediction row; where a row carries
    # no usable key, its position maps it, when the data was read in a layout of the same order.
    lmms_eval_task: ClassVar[Optional[str]] = None
    vlmevalkit_dataset: ClassVar[Optional[str]] = None
    positional: ClassVar[Mapping[str, Tuple[str, ...]]] = {}  # harness -> layouts in its row order

    def sample_keys(self, sample: Sample) -> List[Tuple[Any, ...]]:
        """Keys under which other harnesses' rows name ``sample`` (default: its id)."""
        return [("id", sample.id)]

    def lmms_eval_key(self, line: Mapping[str, Any]) -> Optional[Tuple[Any, ...]]:
        """The key of an lmms-eval ``*_samples_<task>.jsonl`` line (its metric dicts hold the
        upstream ids; ``doc`` is not logged), or None."""
        return None

    def vlmevalkit_key(self, row: Mapping[str, Any]) -> Optional[Tuple[Any, ...]]:
        """The key of a VLMEvalKit prediction row (the dataset table's columns), or None."""
        return None

    @abstractmethod
    def build_request(self, sample: Sample, media: Any) -> Request:
        """The prompt for ``sample``; ``media`` is what the model will see: a SampledVideo for
        video tasks, LoadedImages for image tasks, None when the model needs no pixels."""

    @abstractmethod
    def parse(self, record: Record, protocol: str) -> Parsed:
        """Extract and score one saved response (``record['response']``) under ``protocol``."""

    @abstractmethod
    def aggregate(self, records: Sequence[Record], protocol: str, seed: int) -> ProtocolResult:
        """Metrics, breakdowns, counts and CIs for ``protocol`` from scored records."""

    def judge_spec(self) -> Optional[JudgeSpec]:
        """The spec of this task's judging step (``evalkit judge``): required when ``judged``,
        an optional LLM matcher otherwise; None when the task has none."""
        return None

    def judge_items(self, records: Sequence[Record]) -> List[JudgeItem]:
        """What to send to the judge for ``records`` (those the judging step applies to)."""
        return []

    def export_formats(self) -> Tuple[str, ...]:
        return ()

    def export(self, records: Sequence[Record], fmt: str, out_dir: Path,
               options: Optional[ExportOptions] = None) -> List[Path]:
        """Write ``fmt`` files for scored ``records`` into ``out_dir``; returns their paths."""
        raise NotImplementedError(f"{self.name} has no export format {fmt!r}")

    def describe(self, data: Optional[TaskData] = None) -> TaskInfo:
        """Facts recorded in run.json for this task (with the fingerprint of ``data``)."""
        info: TaskInfo = {
            "dataset_revision": (data.located.revision if data and data.located and data.located.revision
                                 else self.dataset_revision),
            "annotations_sha256": data.fingerprint() if data else None,
            "samples_sha256": data.content_fingerprint(self) if data else None,
            "n_samples": len(data.samples) if data else None,
            "protocols": list(self.protocols),
            "official_ref": self.official_ref.to_dict() if self.official_ref else None}
        if data and data.layout:
            info["layout"] = {"name": data.layout, "lacks": list(data.lacks), "also_found": data.also_found,
                              **(data.located.facts() if data.located else {})}
        return info
