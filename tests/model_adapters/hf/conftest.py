"""Tiny random-weight checkpoints of each Hugging Face family, built once per session from
hand-written configs (model_adapters/hf/build.py: locally trained tokenizers, the published chat
templates) and loaded through the same code path as a downloaded checkpoint."""
import numpy as np
import pytest
import torch

from evalkit.media.video import SampledVideo

FAMILIES = ("qwen2_5_vl", "qwen3_vl", "llava_onevision", "internvl", "llava_next_video")


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def checkpoints(tmp_path_factory):
    from evalkit.model_adapters.hf import build

    root = tmp_path_factory.mktemp("hf-checkpoints")
    torch.set_num_threads(1)
    return {family: build.save(family, root / family) for family in FAMILIES}


@pytest.fixture(scope="session")
def adapters(checkpoints):
    """One loaded adapter per family (loading is the slow part)."""
    from evalkit.model_adapters.hf.entry import HF

    return {family: HF.from_cli(f"checkpoint={path}") for family, path in checkpoints.items()}


def clip(n: int = 8, height: int = 64, width: int = 96, seed: int = 0, stride: int = 15) -> SampledVideo:
    """``n`` frames as if sampled every ``stride`` frames of a 30 fps clip."""
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 256, size=(n, height, width, 3), dtype=np.uint8)
    return SampledVideo(frames, [k * stride for k in range(n)], [k * stride / 30 for k in range(n)], n * stride / 30,
                        "test", source_fps=30.0, source_frames=n * stride)
