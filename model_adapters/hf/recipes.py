"""Each family's published evaluation setting, as a named recipe: which frames (and how many), at
what size, with what system text and generation settings, and where that is written.

A recipe is applied by evalkit's media stage (exact timestamps, decode once per video, frame
cache): the processor is then told exactly which frames it got (its own sampling off; the source
clip's fps, frame count, indices and duration passed as metadata) and, where evalkit already
brought the frames to the model's size, not to resize them again. Sizes that depend on the
checkpoint (the vision tower's input size, the patch size) are read from it when the model
loads, so the same recipe serves the released 7B and a tiny test model. Explicit model
arguments override a recipe; the default recipe is the family's published one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

from evalkit.errors import ConfigError
from evalkit.media.sampling import FpsFrames, FrameRule, UniformFrames

QWEN_UTILS = ("QwenLM/Qwen2.5-VL", "qwen-vl-utils/src/qwen_vl_utils/vision_process.py",
              "a30e36facd0a5131d9ed59e93210c7ac5de75adb")
QWEN3_UTILS = ("QwenLM/Qwen3-VL", "qwen-vl-utils/src/qwen_vl_utils/vision_process.py",
               "96588727e44c78b25ba03ea03b8e12f7e64fd0da")
LMMS_EVAL = "EvolvingLMMs-Lab/lmms-eval"
LMMS_EVAL_COMMIT = "75571cfe0fa36ca5ec2e6aa2bb268f9d38295af3"
INTERNVL_SYSTEM = ("你是书生·万象，英文名是InternVL，是由上海人工智能实验室、清华大学及多家合作单位联合开发的多模态大语言模型。")


@dataclass(frozen=True)
class Recipe:
    """A family's published evaluation setting."""

    name: str
    families: Tuple[str, ...]  # config model_types it is the default of
    frames: FrameRule
    resize: str  # how frames are sized: "pixel-budget" (Qwen's smart_resize, as qwen-vl-utils resizes),
    # "vision-size" (the tower's square input size, as the processor resizes), "processor" (the processor's own)
    system: Optional[str]  # the system text the authors use (None: the chat template's own, or none)
    source: Tuple[str, ...]  # (repo, path, commit) or (model card URL,)
    notes: str = ""
    pixels: Dict[str, int] = field(default_factory=dict)  # Qwen: per-frame min/max, per-clip total (in factor^2 units)
    image_pixels: Dict[str, int] = field(default_factory=dict)  # Qwen: still images' min/max tokens
    mean_std: Optional[Tuple[Tuple[float, ...], Tuple[float, ...]]] = None  # normalisation the authors use
    generation: Dict[str, Any] = field(default_factory=dict)  # settings beyond greedy decoding

    def source_label(self) -> str:
        return f"{self.source[0]} {self.source[1]}@{self.source[2][:7]}" if len(self.source) == 3 else self.source[0]

    def describe(self) -> Dict[str, Any]:
        return {"name": self.name, "frames": self.frames.to_dict(), "resize": self.resize, "system": self.system,
                "source": self.source_label(), "notes": self.notes, "pixels": self.pixels}


RECIPES: Dict[str, Recipe] = {r.name: r for r in (
    Recipe("qwen2.5-vl", ("qwen2_5_vl", "qwen2_vl"), FpsFrames(fps=2.0, min_frames=4, max_frames=768, multiple=2),
           "pixel-budget", None, QWEN_UTILS,
           notes="qwen-vl-utils fetch_video: smart_nframes (fps 2, 4..768 frames, even), indices "
                 "linspace(0, T-1, n).round(); smart_resize to multiples of 28 with 128..768 tokens per frame "
                 "and the default clip budget (VIDEO_TOTAL_PIXELS = 128000*28*28*0.9), bicubic with antialias; "
                 "the chat template's own system prompt",
           pixels={"min_tokens": 128, "max_tokens": 768, "total_tokens": 115200},
           image_pixels={"min_tokens": 4, "max_tokens": 16384}),
    Recipe("qwen3-vl", ("qwen3_vl", "qwen3_vl_moe"), FpsFrames(fps=2.0, min_frames=4, max_frames=768, multiple=2),
           "pixel-budget", None, QWEN3_UTILS,
           notes="qwen-vl-utils (image_patch_size 16): as Qwen2.5-VL with factor 32; timestamps come from the "
                 "source frame indices and fps",
           pixels={"min_tokens": 128, "max_tokens": 768, "total_tokens": 115200},
           image_pixels={"min_tokens": 4, "max_tokens": 16384}),
    Recipe("llava-onevision", ("llava_onevision",), UniformFrames(32, "linspace", "floor"), "vision-size",
           "You are a helpful assistant.", (LMMS_EVAL, "lmms_eval/models/simple/llava_onevision.py", LMMS_EVAL_COMMIT),
           notes="32 frames np.linspace(0, T-1, 32, dtype=int) over the whole video; frames squashed to the "
                 "SigLIP input size (384) with bicubic; conv template qwen_1_5 (system 'You are a helpful "
                 "assistant.'); the model card's example decodes the same way"),
    Recipe("internvl3", ("internvl",), UniformFrames(32, "centres"), "vision-size", INTERNVL_SYSTEM,
           ("OpenGVLab/InternVL", "internvl_chat/eval/mvbench/evaluate_mvbench.py",
            "2410d1dbf208f0e799459aff9376e5747dbf41a2"),
           notes="get_index segment centres (num_segments 32 here: the InternVL3 paper reports the best of "
                 "16/32/48/64 frames on Video-MME, 16 on MVBench); one 448x448 tile per frame, bicubic, "
                 "ImageNet mean/std; system message internvl2_5",
           mean_std=((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))),
    Recipe("llava-next-video", ("llava_next_video",), UniformFrames(32, "linspace", "floor"), "processor", None,
           ("LLaVA-VL/LLaVA-NeXT", "docs/LLaVA-NeXT-Video.md", "df179663ae8b83207df100a1f7af24caec633ff9"),
           notes="32 uniform frames (the authors' evaluation; the model card's example uses 8); the processor "
                 "resizes the shortest side to the tower's 336 and centre-crops, as in the model card; vicuna_v1 "
                 "prompt through the chat template"),
    Recipe("uniform-32", (), UniformFrames(32, "linspace", "floor"), "processor", None,
           ("evalkit default: no published recipe for this family is known; 32 uniform frames, the processor's own "
            "resize",)),
)}


def recipe_for(model_type: str, name: Optional[str]) -> Recipe:
    """The recipe ``name``, or the published default of the family ``model_type``."""
    if name:
        if name not in RECIPES:
            raise ConfigError(f"recipe={name!r}: known recipes are {', '.join(RECIPES)}")
        return RECIPES[name]
    return next((r for r in RECIPES.values() if model_type in r.families), RECIPES["uniform-32"])
