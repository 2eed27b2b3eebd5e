"""A run's configuration, and every option of ``evalkit run`` declared once.

Each field of :class:`RunConfig` that a user sets carries its command-line option (flags, help,
type) and the group it belongs to; subcommands add the groups they share (``run``: all;
``sweep``, ``bench``: the same task, model, data and media options; ``data check``: tasks and
data) with :func:`add_options`, and :meth:`RunConfig.from_args` builds the configuration from
the parsed arguments in one place. Values are checked here, before any data is read.
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

from .errors import ConfigError
from .media.video import DECODERS, check_decoder
from .model import parse_model_args
from .redaction import redact_value

TASKS_GROUP, MODEL_GROUP, DATA_GROUP, MEDIA_GROUP, OUTPUT_GROUP = "tasks", "model", "data", "media", "output"


def task_list(value: str) -> List[str]:
    """'a,b' -> ['a', 'b'] (the --task value of every subcommand that takes several)."""
    names = [t.strip() for t in value.split(",") if t.strip()]
    if not names:
        raise argparse.ArgumentTypeError("name at least one task (see `evalkit tasks`)")
    return names


def option(*flags: str, group: str, **argparse: Any) -> Dict[str, Any]:
    """Field metadata: the field's command-line option and its group."""
    return {"flags": flags, "group": group, "argparse": argparse}


@dataclass
class RunConfig:
    tasks: List[str] = field(metadata=option(
        "--task", group=TASKS_GROUP, type=task_list, required=True, metavar="TASK[,TASK]",
        help="task name(s), comma-separated (see `evalkit tasks`)"))
    model: str = field(metadata=option(
        "--model", group=MODEL_GROUP, required=True, help="model adapter (see `evalkit models`)"))
    model_args: str = field(default="", metadata=option(
        "--model-args", group=MODEL_GROUP, metavar="K=V,...",
        help="adapter arguments k=v,k2=v2 (unknown keys are errors)"))
    data: Optional[str] = field(default=None, metadata=option(
        "--data", group=DATA_GROUP, help="'sample' (bundled), a dataset dir or annotation file, or task=PATH,... ; "
                                         "default: the HF hub cache (lmms-eval's and VLMEvalKit's downloads)"))
    media: Optional[str] = field(default=None, metadata=option(
        "--media", group=DATA_GROUP, help="video/image folder when apart from the annotations: DIR or task=DIR,... "
                                          "(default: beside the annotations, or lmms-eval's $HF_HOME/<task>)"))
    limit: Optional[int] = field(default=None, metadata=option(
        "--limit", group=DATA_GROUP, type=int, metavar="N", help="only the first N samples of each task"))
    output: Path = field(default=Path("results/runs"), metadata=option(
        "--output", group=OUTPUT_GROUP, type=Path, metavar="DIR",
        help="root folder of run dirs (default: results/runs)"))
    run_name: Optional[str] = field(default=None, metadata=option(
        "--run-name", group=OUTPUT_GROUP, metavar="NAME", help="run dir name (default: model_tasks_<hash of config>)"))
    seed: int = field(default=0, metadata=option(
        "--seed", group=OUTPUT_GROUP, type=int, help="seed for baselines and the bootstrap (default 0)"))
    overwrite: bool = field(default=False, metadata=option(
        "--overwrite", group=OUTPUT_GROUP, action="store_true", help="discard an existing run dir of this name"))
    retry_failed: bool = field(default=False, metadata=option(
        "--retry-failed", group=OUTPUT_GROUP, action="store_true",
        help="answer again the samples whose record is a failure (e.g. after fixing a video)"))
    prefetch: int = field(default=4, metadata=option(
        "--prefetch", group=MEDIA_GROUP, type=int, metavar="N", help="samples decoded ahead of the model (default 4)"))
    decode_workers: int = field(default=0, metadata=option(
        "--decode-workers", group=MEDIA_GROUP, type=int, metavar="N",
        help="decoding threads (default: one per core, at most 4)"))
    decoder: str = field(default="auto", metadata=option(
        "--decoder", group=MEDIA_GROUP, choices=DECODERS,
        help="video decoder (default auto: PyAV; one that is not exact for a video falls back to PyAV, recorded)"))
    frame_cache: Optional[Path] = field(default=None, metadata=option(
        "--frame-cache", group=MEDIA_GROUP, type=Path, metavar="DIR",
        help="reuse decoded frames across runs from this folder (default: $EVALKIT_FRAME_CACHE; none when unset)"))
    frame_cache_max_gb: Optional[float] = field(default=None, metadata=option(
        "--frame-cache-max-gb", group=MEDIA_GROUP, type=float, metavar="GB",
        help="frame cache size limit; least recently used entries go first (default 50, "
             "or $EVALKIT_FRAME_CACHE_MAX_GB)"))
    reuse_frames: bool = True  # False (the bench's baseline only): every question decodes its video

    def __post_init__(self) -> None:
        check_decoder(self.decoder)
        if self.decode_workers <= 0:
            self.decode_workers = min(4, os.cpu_count() or 1)
        if self.limit is not None and self.limit < 1:
            raise ConfigError(f"--limit {self.limit}: give a number of samples >= 1 (or no --limit for all)")
        if self.run_name is not None:
            check_run_name(self.run_name)
        if self.output.exists() and not self.output.is_dir():
            raise ConfigError(f"--output {self.output}: a file, not a folder; give the folder that holds run dirs")
        if self.frame_cache_max_gb is not None and not self.frame_cache_max_gb > 0:
            raise ConfigError(f"--frame-cache-max-gb {self.frame_cache_max_gb:g}: give a size limit above 0 GB "
                              "(or no --frame-cache)")
        parse_model_args(self.model_args)  # a malformed k=v list is refused before any work

    @classmethod
    def from_args(cls, args: Any, **fixed: Any) -> "RunConfig":
        """The configuration of parsed arguments (every field that has an option and was parsed),
        with ``fixed`` values overriding them."""
        given = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if hasattr(args, f.name)}
        return cls(**{**given, **fixed})

    def to_json(self) -> Dict[str, Any]:
        """The configuration as JSON values (for a child process)."""
        return {k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "RunConfig":
        paths = {f.name for f in dataclasses.fields(cls) if "Path" in str(f.type)}
        values: Dict[str, Any] = {k: Path(v) if k in paths and v is not None else v for k, v in data.items()}
        return cls(**values)

    def identity(self) -> Dict[str, Any]:
        """What must be unchanged for a rerun to resume instead of refusing (secrets in URLs are
        never written)."""
        return {
            "tasks": list(self.tasks),
            "model": self.model,
            "model_args": {k: redact_value(v) for k, v in parse_model_args(self.model_args).items()},
            "data": self.data,
            "seed": self.seed,
            # only when given, so the names of runs made before --media existed do not change
            **({"media": self.media} if self.media else {}),
        }

    def name(self) -> str:
        """--run-name, or ``<model>_<first task>[+<more>]_<config hash>`` (a run dir made under
        the longer ``<model>_<all tasks>_<hash>`` name of earlier versions is still resumed)."""
        if self.run_name:
            return self.run_name
        digest = hashlib.sha256(json.dumps(self.identity(), sort_keys=True).encode()).hexdigest()[:8]
        more = f"+{len(self.tasks) - 1}" if len(self.tasks) > 1 else ""
        short = f"{self.model}_{self.tasks[0]}{more}_{digest}"
        legacy = f"{self.model}_{'+'.join(self.tasks)}_{digest}"
        if not (self.output / short).exists() and (self.output / legacy / "run.json").exists():
            return legacy
        return short


def check_run_name(name: str) -> None:
    """A run name is one plain folder name: never a path (``../x``, ``a/b``) or a hidden name."""
    if not name or name in (".", "..") or name.startswith(".") or "/" in name or "\\" in name or "\0" in name:
        raise ConfigError(f"--run-name {name!r}: use a plain folder name (letters, digits, '-', '_', '.'), not a path")


def add_options(parser: Any, groups: Sequence[str], exclude: Sequence[str] = (),
                defaults: Optional[Mapping[str, Any]] = None) -> None:
    """Add the options of ``groups`` (RunConfig's, in field order) to ``parser``; ``defaults``
    (by field name) replace a field's default and make a required option optional."""
    defaults = defaults or {}
    for f in dataclasses.fields(RunConfig):
        spec = f.metadata.get("flags") and f.metadata
        if not spec or spec["group"] not in groups or f.name in exclude:
            continue
        kw = dict(spec["argparse"])
        if f.name in defaults:
            kw["required"], kw["default"] = False, defaults[f.name]
            kw["help"] = f"{kw['help']} (default {defaults[f.name]})"
        elif f.default is not dataclasses.MISSING and kw.get("action") != "store_true":
            kw["default"] = f.default
        parser.add_argument(*spec["flags"], dest=f.name, **kw)
