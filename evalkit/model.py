"""The model-adapter API.

An adapter declares its arguments as a dataclass (so ``--model-args`` typos are errors), whether
it needs pixels, and the frame-sampling spec the media stage must apply for it. Model-specific
knobs reach the core only through hooks here: :meth:`ModelAdapter.sweep_args` (arguments a sweep
point derives) and :attr:`ModelAdapter.sweep_headings`; an adapter package may also contribute
``evalkit`` subcommands as :class:`AdapterCommand` objects through the ``evalkit.commands``
entry-point group. The core never imports an adapter.
"""
from __future__ import annotations

import argparse
import dataclasses
import importlib
import typing
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Callable, ClassVar, Dict, Iterator, List, Mapping, Optional, Tuple

from .errors import ConfigError
from .media.sampling import SamplingSpec
from .redaction import redact_value
from .registry import did_you_mean
from .request import Request


def parse_model_args(text: Optional[str]) -> Dict[str, str]:
    """'k=v,k2=v2' -> {'k': 'v', 'k2': 'v2'}; values may contain '=' but not ','."""
    out: Dict[str, str] = {}
    for item in filter(None, (s.strip() for s in (text or "").split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--model-args item {item!r} is not key=value")
        if key.strip() in out:
            raise ConfigError(f"--model-args gives {key.strip()!r} twice")
        out[key.strip()] = value.strip()
    return out


def _convert(name: str, raw: str, typ: Any) -> Any:
    origin = typing.get_origin(typ)
    if origin is typing.Union:  # Optional[X]
        args = [a for a in typing.get_args(typ) if a is not type(None)]
        if raw.lower() in ("", "none", "null"):
            return None
        return _convert(name, raw, args[0])
    try:
        if typ is bool:
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if typ in (int, float, str, Path):
            return typ(raw)
    except ValueError:
        raise ConfigError(f"--model-args {name}={raw!r}: expected {typ.__name__}") from None
    return raw


def build_args(cls: type, given: Mapping[str, str], model: str) -> Any:
    """Instantiate the dataclass ``cls`` from string values, refusing unknown keys."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    unknown = [k for k in given if k not in fields]
    if unknown:
        k = unknown[0]
        raise ConfigError(
            f"model {model!r} has no argument {k!r}.{did_you_mean(k, fields)} "
            f"Its arguments: {', '.join(fields) or '(none)'}"
        )
    try:
        return cls(**{k: _convert(k, v, hints[k]) for k, v in given.items()})
    except TypeError as exc:  # a required argument is missing
        raise ConfigError(f"model {model!r}: {exc}") from None


@dataclasses.dataclass
class NoArgs:
    pass


@dataclasses.dataclass(frozen=True)
class AdapterCommand:
    """An ``evalkit`` subcommand contributed by a model adapter's package (entry-point group
    ``evalkit.commands``). Keep its module light: it is imported when the CLI is built."""

    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Any], int]  # (parsed args, rich Console) -> exit code
    examples: Tuple[str, ...] = ()  # command lines shown at the end of its --help


class ModelAdapter(ABC):
    """Base class of model adapters (registered through the ``evalkit.models`` entry points).

    An adapter whose module is heavy (torch, transformers) registers a light class that states
    its name, description, arguments and hooks, and names the class that does the work in
    ``implementation`` ("module:Class", a subclass of it): listing models then imports no torch,
    and ``from_cli`` builds the implementation."""

    name: ClassVar[str]
    description: ClassVar[str]
    Args: ClassVar[type] = NoArgs
    implementation: ClassVar[Optional[str]] = None
    needs_media: ClassVar[bool] = True
    untrained: bool = False  # random weights: outputs are labelled as such
    toy: Optional[str] = None  # a toy checkpoint's label (what it was trained on): its scores mean nothing
    batch_size: int = 1

    def __init__(self, args: Any, seed: int = 0):
        self.args = args
        self.seed = seed

    # headings a sweep table gives model arguments (e.g. Dynamic-VLM's "# Max Frames")
    sweep_headings: ClassVar[Dict[str, str]] = {}

    @classmethod
    def from_cli(cls, model_args: Optional[str], seed: int = 0) -> "ModelAdapter":
        """The adapter (its implementation class) built from ``--model-args``."""
        impl: Any = cls
        if cls.implementation:
            module, _, name = cls.implementation.partition(":")
            impl = getattr(importlib.import_module(module), name)
        return impl(build_args(cls.Args, parse_model_args(model_args), cls.name), seed=seed)

    @classmethod
    def sweep_args(cls, point: Mapping[str, str]) -> Dict[str, str]:
        """The model arguments of one sweep point (fixed args merged with the grid values). An
        adapter may accept derived grid keys and turn them into real arguments here; the
        default passes the point through unchanged."""
        return dict(point)

    @classmethod
    def unshared_args(cls, args: Mapping[str, str]) -> Dict[str, str]:
        """Model arguments that make the adapter answer each question whole, reusing no work
        across a video's questions (the bench's per-question baseline); the default is ``args``."""
        return dict(args)

    @classmethod
    def served_args(cls, base_url: str, concurrency: int, cache: Path) -> Optional[str]:
        """Model arguments for answering through the OpenAI-compatible server at ``base_url``
        with ``concurrency`` requests in flight (the bench's scaling stand-in), or None for an
        adapter that does not talk to a server."""
        return None

    def sampling(self) -> Optional[SamplingSpec]:
        """The frame-sampling spec the media stage applies (None: no pixels needed)."""
        return SamplingSpec.paper() if self.needs_media else None

    @abstractmethod
    def generate(self, requests: List[Request]) -> List[str]:
        """One response per request, in order."""

    @property
    def answers_groups(self) -> bool:
        """Whether the run loop hands this adapter a video's questions together
        (:meth:`generate_group`); otherwise it batches questions ``batch_size`` at a time across
        videos, which keeps a served model's requests in flight."""
        return False

    def generate_group(self, requests: List[Request]) -> Iterator[str]:
        """The responses, in order, to several questions about one video (the same decoded
        frames, in dataset order), yielded as they are ready so the run can save each at once.
        An adapter that can reuse work across them (the encoded frames, the prefilled prefix)
        overrides this; the default answers them ``batch_size`` at a time through
        :meth:`generate`."""
        size = max(1, self.batch_size)
        for start in range(0, len(requests), size):
            yield from self.generate(requests[start:start + size])

    def request_facts(self, request: Request) -> Dict[str, Any]:
        """Model-side facts about one request (e.g. visual tokens), stored with its record."""
        return {}

    def open_run(self, run_dir: Path) -> None:  # noqa: B027 (a hook most adapters leave as it is)
        """Called with the run directory before the first request (e.g. to open a reply cache
        beside it)."""

    def usage(self) -> Optional[Dict[str, Any]]:
        """What this process used (calls, tokens, cost), kept per pass in the run's
        ``model_usage.json``; None when there is nothing to report."""
        return None

    def inputs(self) -> Dict[str, str]:
        """Fingerprints of what the adapter reads besides its arguments (e.g. a replay file's
        bytes): a rerun whose inputs changed is refused instead of mixing two versions."""
        return {}

    def describe(self) -> Dict[str, Any]:
        """Facts recorded in run.json: name, arguments (URLs without credentials), weights,
        labels such as untrained, and the fingerprints of its inputs."""
        args = {k: redact_value(str(v)) if isinstance(v, (str, Path)) else v
                for k, v in dataclasses.asdict(self.args).items()}
        inputs = self.inputs()
        return {"name": self.name, "args": args, "untrained": self.untrained, **({"toy": self.toy} if self.toy else {}),
                **({"inputs": inputs} if inputs else {})}
