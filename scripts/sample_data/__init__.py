"""The bundled sample datasets' builders (tasks/sample-data/, synthetic, in the upstream layouts),
shared by scripts/make_samples.py: tiny flat-grey clips (evalkit.media.synthetic) and made-up
questions, so every code path runs offline; their scores mean nothing."""
from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from evalkit.media.synthetic import write_video

ROOT = Path(__file__).resolve().parent.parent.parent / "tasks" / "sample-data"


def fresh(name: str) -> Path:
    """The empty folder of one benchmark's sample (what was there is removed)."""
    root = ROOT / name
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    return root


def dump(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def clip(path: Path, seconds: int = 8, fps: int = 2) -> None:
    write_video(path, n_frames=seconds * fps, fps=fps, gop=4 * fps)


def png(level: int, size: tuple = (24, 32)) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.full((*size, 3), level, dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()
