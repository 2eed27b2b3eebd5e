"""A tiny saved Dynamic-VLM and requests with real pixel arrays."""
from pathlib import Path

import numpy as np
import pytest

from evalkit.media.video import SampledVideo
from evalkit.model_adapters.dynamic_vlm.tiny import build_tiny
from evalkit.request import Request, VideoPart


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory) -> Path:
    return build_tiny(tmp_path_factory.mktemp("tiny") / "ckpt", seed=0)


def video_request(rid: str, n_frames: int, text: str, seed: int = 0) -> Request:
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 256, size=(n_frames, 336, 336, 3), dtype=np.uint8)
    media = SampledVideo(frames, list(range(n_frames)), [float(i) for i in range(n_frames)], float(n_frames), "test")
    return Request(rid, "t", [VideoPart(None, media), text], choices=("A", "B", "C", "D"), max_new_tokens=6)


@pytest.fixture
def make_request():
    return video_request
