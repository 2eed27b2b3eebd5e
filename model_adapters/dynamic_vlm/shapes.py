"""``preset=random-7b`` / ``random-14b``: Dynamic-VLM with the released models' shapes and
random weights, built from configs alone on the target device (no download; the tokenizer is
the tiny preset's, made locally), so GPU throughput can be measured without the weights.

Shapes: CLIP ViT-L/14 at 336 px, the mlp2x_gelu projector, and Qwen2.5-7B/14B-Instruct's
published configs. Untrained: every output is labelled so, and only speed means anything.
"""
from __future__ import annotations

from typing import Any, Dict, Tuple

import torch

from .checkpoint import build
from .modeling import DynamicVLM, DynamicVLMConfig

CLIP_L_336: Dict[str, Any] = dict(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24,
                                  num_attention_heads=16, image_size=336, patch_size=14, projection_dim=768)
QWEN25: Dict[str, Dict[str, Any]] = {
    "7b": dict(vocab_size=152064, hidden_size=3584, intermediate_size=18944, num_hidden_layers=28,
               num_attention_heads=28, num_key_value_heads=4),
    "14b": dict(vocab_size=152064, hidden_size=5120, intermediate_size=13824, num_hidden_layers=48,
                num_attention_heads=40, num_key_value_heads=8),
}
COMMON_LLM: Dict[str, Any] = dict(max_position_embeddings=32768, rope_theta=1_000_000.0, rms_norm_eps=1e-6,
                                  tie_word_embeddings=False)
MAX_VISUAL_TOKENS = {"7b": 12_000, "14b": 10_000}  # the paper's defaults per size
SHAPED_PRESETS = {f"random-{size}": size for size in QWEN25}


def shaped_config(size: str) -> DynamicVLMConfig:
    return DynamicVLMConfig(vision=dict(CLIP_L_336), llm={**QWEN25[size], **COMMON_LLM},
                            max_visual_tokens=MAX_VISUAL_TOKENS[size], untrained=True,
                            extra={"preset": f"random-{size}"})


def build_shaped(size: str, device: str, dtype: torch.dtype, attn: str, seed: int = 0) -> Tuple[DynamicVLM, Any]:
    """The model on ``device`` with seeded N(0, 0.02) weights (finite, so kernels run as on real
    weights), and the locally made tokenizer."""
    from .tiny import tiny_tokenizer

    model = build(shaped_config(size), device, dtype, attn)
    if device != "meta":
        generator = torch.Generator(device=device).manual_seed(seed)
        with torch.no_grad():
            for p in model.parameters():
                p.normal_(0.0, 0.02, generator=generator)
    return model, tiny_tokenizer()
