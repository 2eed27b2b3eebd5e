"""Model FLOPs of Dynamic-VLM work, for throughput figures (model FLOP utilisation).

Counted as the usual estimate: a matrix multiply costs 2 x parameters per token, attention
scores and their weighted sum 4 x layers x width per (query, key) pair; norms, activations and
pooling are left out. The vision tower runs every frame's 577 positions (576 patches + CLS).
"""
from __future__ import annotations

from dataclasses import dataclass

CLIP_POSITIONS = 577


@dataclass(frozen=True)
class Shapes:
    llm_params: int  # LLM parameters used per token: all but the input embedding table
    llm_layers: int
    llm_width: int
    vision_params: int
    vision_layers: int
    vision_width: int

    @classmethod
    def of(cls, model) -> "Shapes":
        llm, vision = model.llm, model.vision_tower
        embed = model.llm.get_input_embeddings().weight.numel()
        return cls(sum(p.numel() for p in llm.parameters()) - embed, llm.config.num_hidden_layers,
                   llm.config.hidden_size, sum(p.numel() for p in vision.parameters()),
                   vision.config.num_hidden_layers, vision.config.hidden_size)


def vision_flops(s: Shapes, frames: int) -> float:
    per_frame = 2 * s.vision_params * CLIP_POSITIONS + 4 * s.vision_layers * s.vision_width * CLIP_POSITIONS ** 2
    return float(frames * per_frame)


def llm_flops(s: Shapes, new_tokens: int, context_before: int) -> float:
    """``new_tokens`` computed after ``context_before`` tokens already in the KV cache (causal:
    token i attends to context_before + i + 1 keys)."""
    pairs = new_tokens * context_before + new_tokens * (new_tokens + 1) // 2
    return float(2 * s.llm_params * new_tokens + 4 * s.llm_layers * s.llm_width * pairs)
