"""Random-weight checkpoints of the Hugging Face video families, built from configs alone: the
tests' tiny models and the GPU presets with the released models' shapes (``preset=random-...``),
so that every code path and the seconds per question can be checked without downloading weights.

Each is a real transformers model, processor and tokenizer: a byte-level BPE (or, for
LLaVA-NeXT-Video's Llama, a byte-fallback BPE) trained here with ``tokenizers`` on a fixed text
plus the family's special tokens, and the family's published chat template
(``templates/``). ``build(family, shapes)`` returns the model and processor; ``save`` writes
them in the layout ``AutoProcessor`` / ``AutoModelForImageTextToText`` load, marked untrained.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import torch

from evalkit import torchvision_ops

torchvision_ops.prepare()  # before transformers imports torchvision (see evalkit.torchvision_ops)

TEMPLATES = Path(__file__).parent / "templates"
CORPUS = [
    "Select the best answer to the following multiple-choice question based on the video.",
    "Respond with only the letter (A, B, C, or D) of the correct option. The best answer is: A B C D E",
    "Question: What is happening? Options: Answer with the option's letter from the given choices directly.",
    "system user assistant You are a helpful assistant. Frame seconds video image grey colour left right",
    "0 1 2 3 4 5 6 7 8 9 the a an of to in is it what which how many when where who why yes no",
]
QWEN_MEDIA = {"image_token": "<|image_pad|>", "video_token": "<|video_pad|>",
              "vision_start_token": "<|vision_start|>", "vision_end_token": "<|vision_end|>"}
CHAT = ["<|im_start|>", "<|im_end|>", "<|endoftext|>"]


@dataclass(frozen=True)
class Shapes:
    """A language model and a vision tower's sizes (one set serves every family)."""

    hidden: int = 64
    intermediate: int = 128
    layers: int = 2
    heads: int = 4
    kv_heads: int = 2
    vocab: int = 0  # 0: the tokenizer's size, rounded up to 64
    vision_hidden: int = 32
    vision_intermediate: int = 64
    vision_layers: int = 2
    vision_heads: int = 2
    image_size: int = 32  # SigLIP/CLIP/InternViT input side (the Qwen towers take any multiple of the patch)
    patch: int = 8  # SigLIP/CLIP/InternViT patch (Qwen: 14, Qwen3: 16)


TINY = Shapes()


def bpe(vocab_size: int = 400) -> Tuple[Dict[str, int], List[Any]]:
    """A byte-level BPE vocabulary and merges, trained on the fixed corpus (Qwen2's splitting)."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers.models.qwen2.tokenization_qwen2 import PRETOKENIZE_REGEX

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(PRETOKENIZE_REGEX), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(CORPUS * 20, trainer=trainers.BpeTrainer(
        vocab_size=vocab_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    model = json.loads(tok.to_str())["model"]
    return model["vocab"], [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]


def qwen_tokenizer(named: Dict[str, str]) -> Any:
    from transformers import Qwen2Tokenizer

    vocab, merges = bpe()
    none: Any = None  # no unknown or begin token (transformers types them as str)
    tok = Qwen2Tokenizer(vocab=vocab, merges=merges, unk_token=none, bos_token=none, eos_token="<|im_end|>",
                         pad_token="<|endoftext|>", extra_special_tokens=named, padding_side="left")
    tok.add_tokens(CHAT, special_tokens=True)
    return tok


def llama_tokenizer(named: Dict[str, str]) -> Any:
    """A SentencePiece-style BPE (Metaspace, byte fallback), as Vicuna's Llama tokenizer is."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import LlamaTokenizer

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False)
    tok.train_from_iterator(CORPUS * 20, trainer=trainers.BpeTrainer(
        vocab_size=400, initial_alphabet=[chr(c) for c in range(33, 127)] + ["▁"], show_progress=False))
    model = json.loads(tok.to_str())["model"]
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2, **{f"<0x{b:02X}>": 3 + b for b in range(256)}}
    for piece, _ in sorted(model["vocab"].items(), key=lambda kv: kv[1]):
        vocab.setdefault(piece, len(vocab))
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    return LlamaTokenizer(vocab=vocab, merges=merges, extra_special_tokens=named, pad_token="<unk>",
                          padding_side="left", add_bos_token=True)


def vocab_of(tokenizer: Any, shapes: Shapes) -> int:
    return shapes.vocab or (len(tokenizer) + 63) // 64 * 64


def text_config(tokenizer: Any, shapes: Shapes, **extra: Any) -> Dict[str, Any]:
    return dict(hidden_size=shapes.hidden, intermediate_size=shapes.intermediate, num_hidden_layers=shapes.layers,
                num_attention_heads=shapes.heads, num_key_value_heads=shapes.kv_heads, max_position_embeddings=32768,
                vocab_size=vocab_of(tokenizer, shapes), eos_token_id=tokenizer.eos_token_id,
                pad_token_id=tokenizer.pad_token_id, **extra)


def template(name: str) -> str:
    return (TEMPLATES / f"{name}.jinja").read_text(encoding="utf-8")


def qwen2_5_vl(shapes: Shapes) -> Tuple[Any, Any]:
    from transformers import (Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration, Qwen2_5_VLProcessor,
                              Qwen2VLImageProcessor, Qwen2VLVideoProcessor)

    tok = qwen_tokenizer(QWEN_MEDIA)
    ids = {k: tok.convert_tokens_to_ids(v) for k, v in QWEN_MEDIA.items()}
    rope = {"rope_type": "default", "rope_theta": 1e6,
            "mrope_section": mrope_section(shapes.hidden // shapes.heads)}
    config = Qwen2_5_VLConfig(
        text_config=text_config(tok, shapes, rope_parameters=rope, bos_token_id=None),
        vision_config=dict(depth=shapes.vision_layers, hidden_size=shapes.vision_hidden,
                           intermediate_size=shapes.vision_intermediate, num_heads=shapes.vision_heads, patch_size=14,
                           spatial_merge_size=2, temporal_patch_size=2, window_size=112, out_hidden_size=shapes.hidden,
                           fullatt_block_indexes=[shapes.vision_layers - 1], tokens_per_second=2),
        image_token_id=ids["image_token"], video_token_id=ids["video_token"],
        vision_start_token_id=ids["vision_start_token"], vision_end_token_id=ids["vision_end_token"])
    size = {"shortest_edge": 4 * 28 * 28, "longest_edge": 16384 * 28 * 28}  # the hub's processor settings
    processor = Qwen2_5_VLProcessor(
        image_processor=Qwen2VLImageProcessor(size=size), tokenizer=tok, chat_template=template("qwen2_5_vl"),
        video_processor=Qwen2VLVideoProcessor(size=size, do_sample_frames=False, cap_pixels_per_frame=False))
    return Qwen2_5_VLForConditionalGeneration(config), processor


def qwen3_vl(shapes: Shapes) -> Tuple[Any, Any]:
    from transformers import (Qwen2VLImageProcessor, Qwen3VLConfig, Qwen3VLForConditionalGeneration,
                              Qwen3VLProcessor, Qwen3VLVideoProcessor)

    tok = qwen_tokenizer(QWEN_MEDIA)
    ids = {k: tok.convert_tokens_to_ids(v) for k, v in QWEN_MEDIA.items()}
    head = shapes.hidden // shapes.heads
    rope = {"rope_type": "default", "rope_theta": 5e6, "mrope_section": mrope_section(head), "mrope_interleaved": True}
    config = Qwen3VLConfig(
        text_config=text_config(tok, shapes, head_dim=head, rope_parameters=rope, bos_token_id=None),
        vision_config=dict(depth=shapes.vision_layers, hidden_size=shapes.vision_hidden,
                           intermediate_size=shapes.vision_intermediate, num_heads=shapes.vision_heads, patch_size=16,
                           spatial_merge_size=2, temporal_patch_size=2, out_hidden_size=shapes.hidden,
                           num_position_embeddings=64, deepstack_visual_indexes=[0]),
        image_token_id=ids["image_token"], video_token_id=ids["video_token"],
        vision_start_token_id=ids["vision_start_token"], vision_end_token_id=ids["vision_end_token"])
    mean_std = dict(image_mean=[0.5] * 3, image_std=[0.5] * 3)
    processor = Qwen3VLProcessor(
        image_processor=Qwen2VLImageProcessor(size={"shortest_edge": 4 * 32 * 32, "longest_edge": 16384 * 32 * 32},
                                              patch_size=16, **mean_std),
        video_processor=Qwen3VLVideoProcessor(size={"shortest_edge": 4096, "longest_edge": 25165824}, patch_size=16,
                                              do_sample_frames=False, cap_pixels_per_frame=False, **mean_std),
        tokenizer=tok, chat_template=template("qwen3_vl"))
    return Qwen3VLForConditionalGeneration(config), processor


def mrope_section(head_dim: int) -> List[int]:
    """Qwen's split of the rotary half-dimension between time, height and width (16, 24, 24 of 64
    in the released models), scaled to ``head_dim``."""
    half = head_dim // 2
    t = half // 4
    h = (half - t) // 2
    return [t, h, half - t - h]


def llava_onevision(shapes: Shapes) -> Tuple[Any, Any]:
    from transformers import (LlavaOnevisionConfig, LlavaOnevisionForConditionalGeneration,
                              LlavaOnevisionImageProcessor, LlavaOnevisionProcessor, LlavaOnevisionVideoProcessor)

    tok = qwen_tokenizer({"image_token": "<image>", "video_token": "<video>"})
    s = shapes.image_size
    pinpoints = [[s, s], [s, 2 * s], [2 * s, s], [2 * s, 2 * s]]
    config = LlavaOnevisionConfig(
        text_config=dict(model_type="qwen2", **text_config(tok, shapes, bos_token_id=None)),
        vision_config=dict(model_type="siglip_vision_model", hidden_size=shapes.vision_hidden,
                           intermediate_size=shapes.vision_intermediate, num_hidden_layers=shapes.vision_layers,
                           num_attention_heads=shapes.vision_heads, image_size=s, patch_size=shapes.patch,
                           vision_use_head=False),
        image_token_index=tok.image_token_id, video_token_index=tok.video_token_id,
        vision_feature_select_strategy="full", vision_feature_layer=-1, image_grid_pinpoints=pinpoints,
        vision_aspect_ratio="anyres_max_9")
    mean_std = dict(image_mean=[0.5] * 3, image_std=[0.5] * 3)
    processor = LlavaOnevisionProcessor(
        image_processor=LlavaOnevisionImageProcessor(size={"height": s, "width": s}, image_grid_pinpoints=pinpoints,
                                                     **mean_std),
        video_processor=LlavaOnevisionVideoProcessor(size={"height": s, "width": s}, **mean_std),
        tokenizer=tok, chat_template=template("llava_onevision"), num_image_tokens=(s // shapes.patch) ** 2,
        vision_feature_select_strategy="full", vision_aspect_ratio="anyres_max_9")
    return LlavaOnevisionForConditionalGeneration(config), processor


def internvl(shapes: Shapes) -> Tuple[Any, Any]:
    from transformers import (GotOcr2ImageProcessor, InternVLConfig, InternVLForConditionalGeneration,
                              InternVLProcessor, InternVLVideoProcessor)

    tok = qwen_tokenizer({"start_image_token": "<img>", "end_image_token": "</img>",
                          "context_image_token": "<IMG_CONTEXT>", "video_token": "<video>"})
    s = shapes.image_size
    seq = (s // shapes.patch) ** 2 // 4  # pixel shuffle by 0.5
    config = InternVLConfig(
        text_config=dict(model_type="qwen2", **text_config(tok, shapes, bos_token_id=None)),
        vision_config=dict(hidden_size=shapes.vision_hidden, intermediate_size=shapes.vision_intermediate,
                           num_hidden_layers=shapes.vision_layers, num_attention_heads=shapes.vision_heads,
                           image_size=[s, s], patch_size=[shapes.patch, shapes.patch]),
        image_token_id=tok.context_image_token_id, image_seq_length=seq, downsample_ratio=0.5,
        vision_feature_layer=-1, vision_feature_select_strategy="default")
    processor = InternVLProcessor(
        image_processor=GotOcr2ImageProcessor(size={"height": s, "width": s}, crop_to_patches=True, min_patches=1,
                                              max_patches=12),
        video_processor=InternVLVideoProcessor(size={"height": s, "width": s}),
        tokenizer=tok, chat_template=template("internvl3"), image_seq_length=seq)
    return InternVLForConditionalGeneration(config), processor


def llava_next_video(shapes: Shapes) -> Tuple[Any, Any]:
    from transformers import (LlavaNextImageProcessor, LlavaNextVideoConfig, LlavaNextVideoForConditionalGeneration,
                              LlavaNextVideoProcessor, LlavaNextVideoVideoProcessor)

    tok = llama_tokenizer({"image_token": "<image>", "video_token": "<video>"})
    s = shapes.image_size
    pinpoints = [[s, 2 * s], [2 * s, s], [2 * s, 2 * s]]
    per_frame = (s // shapes.patch // 2) ** 2  # pooled by 2
    config = LlavaNextVideoConfig(
        text_config=dict(model_type="llama", **text_config(tok, shapes, bos_token_id=tok.bos_token_id)),
        vision_config=dict(model_type="clip_vision_model", hidden_size=shapes.vision_hidden,
                           intermediate_size=shapes.vision_intermediate, num_hidden_layers=shapes.vision_layers,
                           num_attention_heads=shapes.vision_heads, image_size=s, patch_size=shapes.patch,
                           projection_dim=shapes.vision_hidden),
        image_token_index=tok.image_token_id, video_token_index=tok.video_token_id,
        vision_feature_select_strategy="default", vision_feature_layer=-2, image_grid_pinpoints=pinpoints,
        image_seq_length=(s // shapes.patch) ** 2, video_seq_length=per_frame * 8, spatial_pool_stride=2)
    processor = LlavaNextVideoProcessor(
        image_processor=LlavaNextImageProcessor(size={"shortest_edge": s}, crop_size={"height": s, "width": s},
                                                image_grid_pinpoints=pinpoints),
        video_processor=LlavaNextVideoVideoProcessor(size={"shortest_edge": s}, crop_size={"height": s, "width": s}),
        tokenizer=tok, chat_template=template("llava_next_video"), patch_size=shapes.patch,
        vision_feature_select_strategy="default", num_additional_image_tokens=1)
    return LlavaNextVideoForConditionalGeneration(config), processor


FAMILIES: Dict[str, Callable[[Shapes], Tuple[Any, Any]]] = {
    "qwen2_5_vl": qwen2_5_vl, "qwen3_vl": qwen3_vl, "llava_onevision": llava_onevision, "internvl": internvl,
    "llava_next_video": llava_next_video}

# the released models' shapes (language model and vision tower), for seconds-per-question and MFU
# on a GPU without the weights: Qwen2.5-7B, SigLIP-so400m/14 at 384, InternViT-300M at 448, CLIP-L/14 at 336
LLM_7B = Shapes(hidden=3584, intermediate=18944, layers=28, heads=28, kv_heads=4, vocab=152064)
RELEASED = {
    "random-qwen2.5-vl-7b": ("qwen2_5_vl", replace(LLM_7B, vision_hidden=1280, vision_intermediate=3420,
                                                   vision_layers=32, vision_heads=16)),
    "random-llava-onevision-7b": ("llava_onevision", replace(LLM_7B, vision_hidden=1152, vision_intermediate=4304,
                                                             vision_layers=26, vision_heads=16, image_size=384,
                                                             patch=14)),
    "random-internvl3-8b": ("internvl", replace(LLM_7B, vision_hidden=1024, vision_intermediate=4096, vision_layers=24,
                                                vision_heads=16, image_size=448, patch=14)),
    "random-llava-next-video-7b": ("llava_next_video", Shapes(
        hidden=4096, intermediate=11008, layers=32, heads=32, kv_heads=32, vocab=32064, vision_hidden=1024,
        vision_intermediate=4096, vision_layers=24, vision_heads=16, image_size=336, patch=14)),
}


def build(family: str, shapes: Shapes = TINY, seed: int = 0) -> Tuple[Any, Any]:
    """(model, processor) of ``family`` with ``shapes`` and seeded random weights."""
    torch.manual_seed(seed)
    model, processor = FAMILIES[family](shapes)
    model.config.evalkit_untrained = True
    model.generation_config.pad_token_id = processor.tokenizer.pad_token_id
    model.generation_config.eos_token_id = processor.tokenizer.eos_token_id
    return model.eval(), processor


def save(family: str, folder: Path, shapes: Shapes = TINY, seed: int = 0) -> Path:
    """A checkpoint folder of ``family`` (what ``checkpoint=DIR`` loads)."""
    model, processor = build(family, shapes, seed)
    model.save_pretrained(folder)
    processor.save_pretrained(folder)
    return Path(folder)
