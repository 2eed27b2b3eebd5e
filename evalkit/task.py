"""The task API: how a benchmark plugin finds and reads its data, renders prompts, and which
protocols score its responses.

A task never looks at which model runs: it renders a prompt from the sample and the media the
model's sampling spec produced (:meth:`Task.build_request`, pure), and declares the protocols
that score saved responses (:meth:`Task.make_protocols`, see :mod:`evalkit.protocol`). ``load``
returns what it read (:class:`TaskData`) and keeps no state. A task with a judging step says so
(``judge_spec``); ``export`` has one signature.
"""
from __future__ import annotations

import functools
import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from .errors import ConfigError
from .judge.specs import JudgeItem, JudgeSpec
from .layouts import load_layouts, locate
from .protocol import OfficialRef, Protocol
from .request import Request
from .samples import Layout, Located, Sample, TaskData
from .schema import JUDGED, Record, TaskInfo


@dataclass(frozen=True)
class ExportOptions:
    """User choices for ``evalkit export``. ``fill_unparsed``: the answer written for items the
    protocol could not read, where a submission format needs a row for every item (only tasks
    that list the value in ``Task.export_fill_values`` accept it; it is recorded beside the export)."""

    fill_unparsed: Optional[int] = None


class Task(ABC):
    """Base class of benchmark plugins (registered through the ``evalkit.tasks`` entry points)."""

    name: ClassVar[str]
    description: ClassVar[str]
    media_kind: ClassVar[str] = "video"  # "video" | "images"
    breakdown_keys: ClassVar[Tuple[str, ...]] = ()
    max_new_tokens: ClassVar[int] = 16
    dataset_revision: ClassVar[Optional[str]] = None
    official_ref: ClassVar[Optional[OfficialRef]] = None  # the upstream scorer the official protocol reproduces
    export_fill_values: ClassVar[Tuple[int, ...]] = ()  # values ``export --fill-unparsed`` may take

    # Where the benchmark may already be on disk (see evalkit/layouts.py): its layouts in
    # precedence order, the HF dataset repos whose cached snapshots hold it, lmms-eval's video
    # folder under $HF_HOME, and the bundled sample's folder name.
    layouts: ClassVar[Tuple[Layout, ...]] = ()
    hub_repos: ClassVar[Tuple[str, ...]] = ()
    lmms_eval_cache: ClassVar[Optional[str]] = None
    lmudata_file: ClassVar[Optional[str]] = None  # VLMEvalKit's table of an image benchmark in ~/LMUData
    sample_name: ClassVar[str] = ""

    # --- protocols ----------------------------------------------------------------------------

    @abstractmethod
    def make_protocols(self) -> Tuple[Protocol, ...]:
        """The protocols that score this task, in the order results list them; exactly one is
        the headline."""

    @functools.cached_property
    def protocols(self) -> Tuple[Protocol, ...]:
        made = self.make_protocols()
        heads = [p.name for p in made if p.headline]
        if len(heads) != 1 or len({p.name for p in made}) != len(made):
            raise ConfigError(f"{self.name}: protocols {[p.name for p in made]} must have distinct names and "
                              f"exactly one headline (has {heads})")
        return made

    def protocol(self, name: str) -> Protocol:
        """The protocol called ``name`` (a user's ``--protocol``), or a ConfigError listing them."""
        for p in self.protocols:
            if p.name == name:
                return p
        raise ConfigError(f"{self.name} has no protocol {name!r}; it has {', '.join(p.name for p in self.protocols)}")

    @property
    def headline(self) -> Protocol:
        return next(p for p in self.protocols if p.headline)

    @property
    def official(self) -> Protocol:
        """The protocol that reproduces the authors' scorer (what submissions are made from)."""
        found = next((p for p in self.protocols if p.upstream), None)
        if found is None:
            raise ConfigError(f"{self.name} has no protocol reproducing an upstream scorer")
        return found

    @property
    def judged(self) -> bool:
        """Whether the headline numbers exist only after ``evalkit judge`` (open-ended QA)."""
        return self.headline.kind == JUDGED

    # --- data ---------------------------------------------------------------------------------

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

    def content_fingerprint(self, data: TaskData) -> str:
        """SHA-256 (16 hex) over what is asked and how it is scored: each sample's id, target,
        options, prompt text and the bytes of its text assets (subtitles). The same benchmark
        read from two layouts gets the same value, so their runs pair up; edited data does not."""
        h = hashlib.sha256()
        digests: Dict[Path, str] = {}  # a video's questions share its subtitle file: read it once

        def digest(path: Path) -> str:
            if path not in digests:
                digests[path] = hashlib.sha256(path.read_bytes()).hexdigest()
            return digests[path]

        for s in data.samples:
            assets = {k: digest(Path(p)) for k, p in sorted(s.assets.items()) if Path(p).is_file()}
            h.update(repr((s.id, s.target, s.choices, self.build_request(s, None).text, assets)).encode())
        return h.hexdigest()[:16]

    # Predictions of other harnesses (``evalkit import``): the harness's name for this task, the
    # keys a sample is known by, and the key of a harness's prediction row; where a row carries
    # no usable key, its position maps it, when the data was read in a layout of the same order.
    lmms_eval_task: ClassVar[Union[str, Tuple[str, ...], None]] = None  # a tuple: one log per name
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

    # --- prompts, judging, export -------------------------------------------------------------

    @abstractmethod
    def build_request(self, sample: Sample, media: Any) -> Request:
        """The prompt for ``sample``; ``media`` is what the model will see: a SampledVideo for
        video tasks, LoadedImages for image tasks, None when the model needs no pixels."""

    def judge_spec(self) -> Optional[JudgeSpec]:
        """The spec of this task's judging step (``evalkit judge``): required when the headline
        protocol is judged, an optional LLM matcher otherwise; None when the task has none."""
        return None

    def judge_items(self, records: Sequence[Record]) -> List[JudgeItem]:
        """What to send to the judge for ``records`` (those the judging step applies to)."""
        return []

    def summary_notes(self, tasks: Mapping[str, Any]) -> List[str]:
        """Lines the run summary adds under its table for this task, given every task result of
        the run (results.json ``tasks``): figures that need several tasks, such as Video-MMMU's
        Δknowledge."""
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
            "samples_sha256": self.content_fingerprint(data) if data else None,
            "n_samples": len(data.samples) if data else None,
            "protocols": [p.name for p in self.protocols],
            "official_ref": self.official_ref.to_dict() if self.official_ref else None}
        if data and data.layout:
            info["layout"] = {"name": data.layout, "lacks": list(data.lacks), "also_found": data.also_found,
                              **(data.located.facts() if data.located else {})}
        return info
