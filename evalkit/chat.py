"""From an evalkit Request to a chat: the one conversion every chat-style adapter uses.

A request's parts become the user turn's items in order: text, images, and videos, either kept
whole (``video="clip"``: for processors that take a video) or spread into their frames, each
labelled with its time the way Dynamic-VLM's released code does ("1s: <image>; 2s: <image>; "
then a newline; labels count frames from 1, or give real seconds; a single frame gets none). The
task's system text and assistant pre-fill are kept apart, for each adapter to place as its model
expects.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from .errors import SampleError
from .media.video import SampledVideo
from .request import ImagePart, Request, VideoPart

LABELS = ("counter", "seconds", "none")
Item = Dict[str, Any]  # {"type": "text", "text"} | {"type": "image", "pixels"} | {"type": "video", "video"}


@dataclass
class Chat:
    system: Optional[str]  # the task's own system text, if it has one
    user: List[Item] = field(default_factory=list)
    prefix: str = ""  # the assistant turn's pre-fill

    def add_text(self, text: str) -> None:
        if not text:
            return
        if self.user and self.user[-1]["type"] == "text":
            self.user[-1]["text"] += text
        else:
            self.user.append({"type": "text", "text": text})

    @property
    def images(self) -> List[Any]:
        """The pixels of the image items, in order."""
        return [item["pixels"] for item in self.user if item["type"] == "image"]


def frame_labels(timestamps: List[float], labels: str) -> List[str]:
    """Each frame's label: its number from 1 (``counter``), its second (``seconds``), or none;
    a single frame is never labelled."""
    if labels not in LABELS:
        raise ValueError(f"timestamps must be one of {LABELS}, got {labels!r}")
    if labels == "none" or len(timestamps) == 1:
        return [""] * len(timestamps)
    if labels == "counter":
        return [f"{i + 1}s" for i in range(len(timestamps))]
    return [f"{round(t)}s" for t in timestamps]


def to_chat(request: Request, labels: str = "counter", video: str = "frames") -> Chat:
    """The request as a chat (see the module docstring); media that was not read is a SampleError."""
    chat = Chat(request.system, prefix=request.assistant_prefix)
    for part in request.parts:
        if isinstance(part, str):
            chat.add_text(part)
        elif isinstance(part, VideoPart):
            if part.media is None:
                raise SampleError(f"{request.id}: video was not decoded")
            if video == "clip":
                chat.user.append({"type": "video", "video": part.media})
            else:
                add_frames(chat, part.media, labels)
        elif isinstance(part, ImagePart):
            if part.pixels is None:
                raise SampleError(f"{request.id}: image was not loaded")
            chat.user.append({"type": "image", "pixels": part.pixels})
    return chat


def add_frames(chat: Chat, media: SampledVideo, labels: str) -> None:
    names = frame_labels(media.timestamps, labels)
    for name, frame in zip(names, media.frames):
        chat.add_text(f"{name}: " if name else "")
        chat.user.append({"type": "image", "pixels": frame})
        chat.add_text("; " if name else "")
    chat.add_text("\n" if any(names) else "")
