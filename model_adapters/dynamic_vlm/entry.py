"""``dynamic-vlm`` as the CLI knows it: name, arguments, sweep and bench hooks, without torch
(``evalkit models`` lists it without loading a model library); the work is done by
:class:`evalkit.model_adapters.dynamic_vlm.adapter.DynamicVLMAdapter`."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Dict, Mapping, Optional

from evalkit.errors import ConfigError
from evalkit.model import ModelAdapter

from .rules import DEFAULT_MAX_FRAMES, max_frames_for


@dataclass
class DynamicVLMArgs:
    # tiny: seeded CPU test model (random weights); toy-step-20/toy-step-35: it trained briefly on the bundled
    # Video-MME sample (the demo's toy checkpoints); random-7b/random-14b: real shapes, random weights
    preset: Optional[str] = None
    checkpoint: Optional[str] = None  # local dir (evalkit or ByteVideoLLM layout) or HF repo id
    revision: Optional[str] = None  # required with an HF repo id: the pinned commit
    tokenizer: Optional[Path] = None  # local base tokenizer dir (ByteVideoLLM layout has none)
    vision: Optional[Path] = None  # local CLIP ViT-L/14-336 dir (config; weights if ckpt lacks them)
    max_frames: int = DEFAULT_MAX_FRAMES
    max_visual_tokens: Optional[int] = None  # N_max; default from the checkpoint (7B 12,000; 14B 10,000)
    timestamps: str = "counter"  # frame labels: "counter" (1s, 2s, ... as released) or "seconds"
    device: str = "auto"
    dtype: str = "auto"  # auto: bfloat16 on CUDA, float32 on CPU
    attn: str = "auto"  # auto: flash_attention_2 when installed on CUDA, else sdpa
    batch_size: int = 1
    vision_chunk: int = 32  # frames per vision-tower forward pass
    max_new_tokens: Optional[int] = None  # overrides the task's
    system_prompt: Optional[str] = None  # "paper", "released" or literal text; default: the checkpoint's (paper's)
    num_beams: int = 1  # 1: greedy, as the paper; the released evaluation config uses 3
    share_prefix: bool = True  # a video's questions reuse its encoded frames and prefilled prompt prefix


def positive_int(key: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{key}={raw!r}: expected an integer") from None
    if value < 1:
        raise ConfigError(f"{key}={value}: must be >= 1")
    return value


class DynamicVLM(ModelAdapter):
    name = "dynamic-vlm"
    description = "Dynamic-VLM / ByteVideoLLM (CLIP-L/336 + dynamic pooling + Qwen2.5); preset=tiny for a CPU test model"
    Args = DynamicVLMArgs
    implementation: ClassVar[Optional[str]] = "evalkit.model_adapters.dynamic_vlm.adapter:DynamicVLMAdapter"
    sweep_headings = {"tokens_per_frame": "# Tokens/F", "max_visual_tokens": "# Max Tokens", "max_frames": "# Max Frames"}

    @classmethod
    def sweep_args(cls, point: Mapping[str, str]) -> Dict[str, str]:
        """A grid point's ``tokens_per_frame`` (the paper's Table 6 axis) sets
        ``max_frames = max_visual_tokens // tokens_per_frame``."""
        args = dict(point)
        if "tokens_per_frame" not in args:
            return args
        if "max_visual_tokens" not in args:
            raise ConfigError("tokens_per_frame needs max_visual_tokens (in --grid or --model-args)")
        tpf = positive_int("tokens_per_frame", args.pop("tokens_per_frame"))
        n_max = positive_int("max_visual_tokens", args["max_visual_tokens"])
        if tpf > n_max:
            raise ConfigError(f"tokens_per_frame={tpf} exceeds max_visual_tokens={n_max}: no frame would fit")
        args["max_frames"] = str(max_frames_for(tpf, n_max))
        return args

    @classmethod
    def unshared_args(cls, args: Mapping[str, str]) -> Dict[str, str]:
        """Each question prefilled whole: no frames or prompt prefix shared across a video's questions."""
        return {**args, "share_prefix": "false"}
