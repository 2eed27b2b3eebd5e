"""From an evalkit Request to Dynamic-VLM's chat text with one ``<image>`` per frame.

Video frames are labelled the way the released code's ``add_timestamp`` does by default
("1s: <image>; 2s: <image>; " then a newline, labels counting frames from 1; a single frame gets
no label); ``seconds`` labels use the frames' real timestamps instead. Images of multi-image
tasks are plain ``<image>`` placeholders where the task put them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List

import numpy as np

from evalkit.errors import SampleError
from evalkit.request import ImagePart, Request, VideoPart

IMAGE = "<image>"
LABELS = ("counter", "seconds")


@dataclass
class ChatPrompt:
    text: str  # full chat text, one IMAGE placeholder per frame
    frames: np.ndarray  # (n, H, W, 3) uint8, in placeholder order
    labels: List[str]  # the timestamp label of each video frame, for the record


def video_text(timestamps: List[float], labels: str) -> tuple:
    n = len(timestamps)
    if n == 1:
        return IMAGE, [""]
    names = [f"{i + 1}s" for i in range(n)] if labels == "counter" else [f"{round(t)}s" for t in timestamps]
    return "".join(f"{name}: {IMAGE}; " for name in names) + "\n", names


def render(request: Request, system_prompt: str, labels: str = "counter") -> ChatPrompt:
    if labels not in LABELS:
        raise ValueError(f"timestamps must be one of {LABELS}, got {labels!r}")
    user: List[str] = []
    frames: List[np.ndarray] = []
    names: List[str] = []
    if request.system:
        user.append(request.system + "\n")
    for part in request.parts:
        if isinstance(part, str):
            user.append(part)
        elif isinstance(part, VideoPart):
            if part.media is None:
                raise SampleError(f"{request.id}: video was not decoded")
            text, part_names = video_text(part.media.timestamps, labels)
            user.append(text)
            frames.extend(part.media.frames)
            names.extend(part_names)
        elif isinstance(part, ImagePart):
            if part.pixels is None:
                raise SampleError(f"{request.id}: image was not loaded")
            user.append(IMAGE)
            frames.append(part.pixels)
    text = (
        f"<|im_start|>system\n{system_prompt}<|im_end|>\n"
        f"<|im_start|>user\n{''.join(user)}<|im_end|>\n"
        f"<|im_start|>assistant\n{request.assistant_prefix}"
    )
    stacked = np.stack(frames) if frames else np.zeros((0, 1, 1, 3), dtype=np.uint8)
    return ChatPrompt(text, stacked, names)
