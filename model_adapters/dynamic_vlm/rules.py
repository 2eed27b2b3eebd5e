"""The paper's inference rules as pure functions.

Frames: with T = max frames, 1 fps below T seconds, else T uniform frames
(:mod:`evalkit.media.sampling` holds the exact index formula).

Tokens (the public code's ``DynamicSpatialPooling`` at inference): each of the n frames actually
sampled gets a budget of ``min(N_max // n, 576)`` tokens; the 24x24 CLIP grid is average-pooled
to s x s with ``s = max(1, floor(sqrt(budget)))``, so a frame costs s*s tokens. The paper's text
writes max(...), its code and Table 6 mean min. A Table 6 run with t tokens per frame under a
budget N_max uses ``N_max // t`` max frames.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from evalkit.errors import ConfigError
from evalkit.media.sampling import PaperFrames, sample_times

CLIP_GRID = 24
CLIP_TOKENS = CLIP_GRID * CLIP_GRID  # 576 patch tokens per 336-px frame
DEFAULT_MAX_FRAMES = 120
DEFAULT_MAX_VISUAL_TOKENS = {"7B": 12_000, "14B": 10_000}


@dataclass(frozen=True)
class TokenPlan:
    n_frames: int
    budget_per_frame: int  # min(N_max // n_frames, 576)
    grid: int  # pooled grid side s
    tokens_per_frame: int  # s * s
    total_visual_tokens: int
    max_visual_tokens: int

    def to_dict(self) -> dict:
        return asdict(self)


def token_plan(n_frames: int, max_visual_tokens: int) -> TokenPlan:
    if n_frames < 1:
        raise ValueError("a visual input has at least one frame")
    if max_visual_tokens < 1:
        raise ConfigError(f"max_visual_tokens must be >= 1, got {max_visual_tokens}")
    budget = min(max_visual_tokens // n_frames, CLIP_TOKENS)
    grid = max(1, math.isqrt(budget))
    return TokenPlan(n_frames, budget, grid, grid * grid, n_frames * grid * grid, max_visual_tokens)


def max_frames_for(tokens_per_frame: int, max_visual_tokens: int) -> int:
    """Max frames of a Table 6 setting: as many frames as the budget affords at that rate."""
    return max_visual_tokens // tokens_per_frame


def frames_for_duration(duration: float, max_frames: int) -> int:
    """How many frames the sampling rule takes from a video of ``duration`` seconds."""
    return len(sample_times(duration, PaperFrames(max_frames=max_frames)))


def default_max_visual_tokens(num_hidden_layers: int, hidden_size: int) -> int | None:
    """N_max the paper used for the released model sizes (Qwen2.5-7B: 28x3584, -14B: 48x5120)."""
    sizes = {(28, 3584): "7B", (48, 5120): "14B"}
    size = sizes.get((num_hidden_layers, hidden_size))
    return DEFAULT_MAX_VISUAL_TOKENS[size] if size else None
