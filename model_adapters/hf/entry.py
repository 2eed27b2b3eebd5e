"""``hf`` as the CLI knows it: its arguments and hooks, without torch (``evalkit models`` lists it
without loading a model library); the work is done by
:class:`evalkit.model_adapters.hf.adapter.HFVideoModel`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Dict, Mapping, Optional

from evalkit.model import ModelAdapter


@dataclass
class HFArgs:
    checkpoint: Optional[str] = None  # local folder or HF repo id (with revision=)
    revision: Optional[str] = None  # required with a hub id: the pinned commit
    preset: Optional[str] = None  # random-weight published shapes (GPU measurement), e.g. random-qwen2.5-vl-7b
    recipe: Optional[str] = None  # default: the family's published one (see recipes.py and the README)
    frames: Optional[int] = None  # override: this many frames (the recipe's spacing; fps recipes become uniform)
    fps: Optional[float] = None  # override (fps recipes): frames per second of video
    min_frames: Optional[int] = None  # override (fps recipes)
    max_frames: Optional[int] = None  # override (fps recipes)
    min_pixels: Optional[int] = None  # override (pixel-budget recipes): per frame
    max_pixels: Optional[int] = None  # override (pixel-budget recipes): per frame
    total_pixels: Optional[int] = None  # override (pixel-budget recipes): per clip
    system_prompt: Optional[str] = None  # literal text, or "none"; default: the recipe's
    max_new_tokens: Optional[int] = None  # default: the task's
    num_beams: int = 1
    temperature: float = 0.0  # 0: greedy
    device: str = "auto"  # auto: this rank's GPU (LOCAL_RANK under torchrun), else the CPU
    dtype: str = "auto"  # auto: bfloat16 on CUDA, float32 on the CPU
    attn: str = "auto"  # auto: flash_attention_2 where installed on CUDA, else sdpa
    device_map: Optional[str] = None  # "auto": spread a model larger than one GPU with accelerate
    batch_size: int = 1
    share_prefix: bool = True  # a video's questions reuse its encoded frames and prompt prefix where verified


class HF(ModelAdapter):
    name = "hf"
    description = ("Hugging Face video LLMs (Qwen2.5-VL, Qwen3-VL, LLaVA-OneVision, InternVL3-hf, LLaVA-NeXT-Video, "
                   "...) under their published recipes")
    Args = HFArgs
    implementation: ClassVar[Optional[str]] = "evalkit.model_adapters.hf.adapter:HFVideoModel"

    @classmethod
    def unshared_args(cls, args: Mapping[str, str]) -> Dict[str, str]:
        """Each question prefilled whole: no frames or prompt prefix shared across a video's questions."""
        return {**args, "share_prefix": "false"}
