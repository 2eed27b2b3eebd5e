"""What a model adapter answers: an interleaved prompt (text, a sampled video, images) with the
task's system text, assistant pre-fill and generation settings."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

from .media.video import SampledVideo


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
    """One question for a model: prompt parts in order plus generation settings."""

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
