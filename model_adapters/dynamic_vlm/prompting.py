"""From an evalkit Request to Dynamic-VLM's chat text with one ``<image>`` per frame.

The request becomes a chat (:func:`evalkit.chat.to_chat`): video frames labelled as the released
code's ``add_timestamp`` does by default ("1s: <image>; 2s: <image>; " then a newline, labels
counting frames from 1; a single frame gets no label; ``seconds`` labels use the frames' real
timestamps); images of multi-image tasks are plain ``<image>`` placeholders where the task put
them. The task's system text opens the user turn, after the model's own system prompt.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Tuple

import numpy as np

from evalkit.chat import frame_labels, to_chat
from evalkit.request import Request

IMAGE = "<image>"
LABELS = ("counter", "seconds")


@dataclass
class ChatPrompt:
    text: str  # full chat text, one IMAGE placeholder per frame
    frames: np.ndarray  # (n, H, W, 3) uint8, in placeholder order


def video_text(timestamps: List[float], labels: str) -> Tuple[str, List[str]]:
    """A video's frames as the released code writes them, and each frame's label."""
    names = frame_labels(timestamps, labels)
    if len(names) == 1:
        return IMAGE, names
    return "".join(f"{name}: {IMAGE}; " for name in names) + "\n", names


def render(request: Request, system_prompt: str, labels: str = "counter") -> ChatPrompt:
    if labels not in LABELS:
        raise ValueError(f"timestamps must be one of {LABELS}, got {labels!r}")
    chat = to_chat(request, labels)
    user = [(chat.system + "\n") if chat.system else ""]
    user += [item["text"] if item["type"] == "text" else IMAGE for item in chat.user]
    text = (
        f"<|im_start|>system\n{system_prompt}<|im_end|>\n"
        f"<|im_start|>user\n{''.join(user)}<|im_end|>\n"
        f"<|im_start|>assistant\n{chat.prefix}"
    )
    frames = chat.images
    stacked = np.stack(frames) if frames else np.zeros((0, 1, 1, 3), dtype=np.uint8)
    return ChatPrompt(text, stacked)
