"""``preset=tiny``: a seeded, random-weight Dynamic-VLM small enough for the CPU.

Same architecture as the real model (24x24-patch CLIP tower at 336 px, pooling, mlp2x_gelu,
Qwen2 LM, Qwen chat special tokens) with tiny widths, and a byte-level BPE tokenizer trained on a
fixed text. Built once, saved in evalkit's checkpoint layout, then loaded through the same code
path as any checkpoint. It is untrained: its answers are noise, and outputs say so.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import torch

from evalkit import torchvision_ops
from evalkit.data import cache_dir

from .checkpoint import save_evalkit
from .modeling import DynamicVLM, DynamicVLMConfig

torchvision_ops.prepare()  # before transformers imports torchvision (see evalkit.torchvision_ops)

TINY_VERSION = "tiny-v1"
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CORPUS = [
    "You are a helpful visual assistant.",
    "Select the best answer to the following multiple-choice question based on the video.",
    "Respond with only the letter (A, B, C, or D) of the correct option. The best answer is: A B C D E",
    "This video's subtitles are listed below: Question: Options: Answer with the option's letter.",
    "1s: 2s: 3s: <image>; the a an of to in is it what which how many when where who why video frame",
    "0 1 2 3 4 5 6 7 8 9 yes no person object colour color left right before after grey",
]


def tiny_config(vocab_size: int) -> DynamicVLMConfig:
    vision = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                  image_size=336, patch_size=14, projection_dim=32)
    llm = dict(vocab_size=vocab_size, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
               num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=32768,
               tie_word_embeddings=False, rope_theta=1_000_000.0)
    return DynamicVLMConfig(vision=vision, llm=llm, max_visual_tokens=12_000, untrained=True,
                            extra={"preset": TINY_VERSION})


def tiny_tokenizer():
    from tokenizers import ByteLevelBPETokenizer
    from transformers import PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(CORPUS * 4, vocab_size=400, min_frequency=1, special_tokens=SPECIAL_TOKENS,
                            show_progress=False)
    return PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                   additional_special_tokens=SPECIAL_TOKENS[1:])


def build_tiny(folder: Path, seed: int = 0) -> Path:
    tokenizer = tiny_tokenizer()
    torch.manual_seed(seed)
    model = DynamicVLM(tiny_config(len(tokenizer)))
    return save_evalkit(model, tokenizer, folder)


def tiny_checkpoint() -> Path:
    """The tiny checkpoint folder, built on first use (atomically, so parallel runs are safe)."""
    final = cache_dir() / "presets" / TINY_VERSION
    if (final / "config.json").is_file():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=final.parent))
    build_tiny(tmp)
    try:
        os.replace(tmp, final)
    except OSError:  # another process finished first
        shutil.rmtree(tmp, ignore_errors=True)
    return final
