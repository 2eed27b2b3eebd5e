"""The Dynamic-VLM network, built from transformers parts.

vision_tower (CLIPVisionModel) -> penultimate-layer patch features (CLS dropped, 24x24 grid)
-> adaptive average pooling to s x s -> projector (mlp2x_gelu) -> Qwen2ForCausalLM, whose input
embeddings get each frame's s*s projected tokens where the prompt has an image placeholder.
"""
from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from evalkit import torchvision_ops

from .rules import CLIP_GRID

torchvision_ops.prepare()  # before transformers imports torchvision (see evalkit.torchvision_ops)

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
SYSTEM_PROMPT = "You are a helpful visual assistant."  # the paper's
RELEASED_SYSTEM_PROMPT = "You are a helpful assistant."  # the released evaluation config's
SYSTEM_PROMPTS = {"paper": SYSTEM_PROMPT, "released": RELEASED_SYSTEM_PROMPT}
FORMAT = "evalkit-dynamic-vlm/1"


@dataclass
class DynamicVLMConfig:
    vision: Dict[str, Any]  # CLIPVisionConfig fields
    llm: Dict[str, Any]  # Qwen2Config fields
    projector: str = "mlp2x_gelu"
    vision_feature_layer: int = -2
    image_size: int = 336
    image_mean: Sequence[float] = CLIP_MEAN
    image_std: Sequence[float] = CLIP_STD
    max_visual_tokens: Optional[int] = None
    system_prompt: str = SYSTEM_PROMPT
    untrained: bool = False
    format: str = FORMAT
    extra: Dict[str, Any] = field(default_factory=dict)

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "DynamicVLMConfig":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(**data)


def build_projector(kind: str, d_in: int, d_out: int) -> nn.Module:
    """'mlp{N}x_gelu': Linear, then (GELU, Linear) N-1 times; 'linear'."""
    if kind == "linear":
        return nn.Linear(d_in, d_out)
    if kind.startswith("mlp") and kind.endswith("x_gelu"):
        depth = int(kind[3:-6])
        layers: List[nn.Module] = [nn.Linear(d_in, d_out)]
        for _ in range(depth - 1):
            layers += [nn.GELU(), nn.Linear(d_out, d_out)]
        return nn.Sequential(*layers)
    raise ValueError(f"unknown projector type {kind!r}")


@contextlib.contextmanager
def default_dtype(dtype: torch.dtype):
    old = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


class DynamicVLM(nn.Module):
    def __init__(self, config: DynamicVLMConfig, attn_implementation: str = "sdpa"):
        super().__init__()
        from transformers import CLIPVisionConfig, CLIPVisionModel, Qwen2Config, Qwen2ForCausalLM

        self.config = config
        vision_cfg = CLIPVisionConfig(**config.vision)
        llm_cfg = Qwen2Config(**config.llm)
        vision_cfg._attn_implementation = "sdpa" if attn_implementation == "flash_attention_2" else attn_implementation
        llm_cfg._attn_implementation = attn_implementation
        if vision_cfg.image_size // vision_cfg.patch_size != CLIP_GRID:  # type: ignore[operator]  # ints in practice
            raise ValueError(f"vision tower must give a {CLIP_GRID}x{CLIP_GRID} patch grid")
        self.vision_tower = CLIPVisionModel(vision_cfg)
        self.projector = build_projector(config.projector, vision_cfg.hidden_size, llm_cfg.hidden_size)
        self.llm = Qwen2ForCausalLM(llm_cfg)
        # float32 whatever the model's dtype: normalisation happens before the cast to it
        self.register_buffer("pixel_mean", torch.tensor(config.image_mean, dtype=torch.float32).view(1, 3, 1, 1),
                             persistent=False)
        self.register_buffer("pixel_std", torch.tensor(config.image_std, dtype=torch.float32).view(1, 3, 1, 1),
                             persistent=False)

    pixel_mean: torch.Tensor
    pixel_std: torch.Tensor

    @property
    def device(self) -> torch.device:
        return next(self.projector.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.llm.parameters()).dtype

    def pixels(self, frames: "Any") -> torch.Tensor:
        """uint8 (n, H, W, 3) frames at the tower's size -> normalised (n, 3, H, W) tensor."""
        x = torch.as_tensor(frames, device=self.device).permute(0, 3, 1, 2).float().div_(255)
        size = self.config.image_size
        if x.shape[-2:] != (size, size):  # frames not resized at decode time
            x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        return ((x - self.pixel_mean) / self.pixel_std).to(self.dtype)

    @torch.no_grad()
    def encode_frames(self, frames: "Any", grid: int, chunk: int = 32) -> torch.Tensor:
        """(n, grid*grid, llm hidden) visual tokens, running the tower over ``chunk`` frames at a time."""
        outs = []
        for start in range(0, len(frames), chunk):
            px = self.pixels(frames[start:start + chunk])
            hidden = self.vision_tower(pixel_values=px, output_hidden_states=True).hidden_states
            feats = hidden[self.config.vision_feature_layer][:, 1:]  # drop CLS: (n, 576, d)
            n, _, d = feats.shape
            if grid != CLIP_GRID:
                x = feats.transpose(1, 2).reshape(n, d, CLIP_GRID, CLIP_GRID)
                feats = F.adaptive_avg_pool2d(x, (grid, grid)).flatten(2).transpose(1, 2)
            outs.append(self.projector(feats))
        return torch.cat(outs)

    def embed_text(self, ids: List[int]) -> torch.Tensor:
        t = torch.tensor(ids, dtype=torch.long, device=self.device)
        return self.llm.get_input_embeddings()(t)
