"""What every torch model adapter needs to load a model: the device (one GPU per torchrun rank,
from ``LOCAL_RANK``), the dtype (bfloat16 on CUDA, float32 on the CPU), the attention backend
(flash-attention 2 where it is installed on CUDA, else SDPA), and the checkpoint folder (a local
folder, or a hub repo at a pinned revision read from the local cache: nothing is downloaded at
run time). torch is imported only when a function needs it."""
from __future__ import annotations

import functools
import inspect
import os
import re
from pathlib import Path
from typing import Any, Optional, Sequence

from .errors import ConfigError

HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
DTYPES = ("bfloat16", "bf16", "float16", "fp16", "float32", "fp32")


def pick_device(name: str) -> str:
    """auto: this process's GPU (``LOCAL_RANK`` under torchrun, else the first), or the CPU."""
    if name != "auto":
        return name
    import torch

    if not torch.cuda.is_available():
        return "cpu"
    return f"cuda:{int(os.environ.get('LOCAL_RANK', 0)) % torch.cuda.device_count()}"


def pick_dtype(name: str, device: str) -> Any:
    """The torch dtype ``name`` means (auto: bfloat16 on CUDA, float32 elsewhere)."""
    import torch

    if name == "auto":
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    try:
        return {"bfloat16": torch.bfloat16, "bf16": torch.bfloat16, "float16": torch.float16,
                "fp16": torch.float16, "float32": torch.float32, "fp32": torch.float32}[name]
    except KeyError:
        raise ConfigError(f"dtype={name!r}: use bfloat16, float16 or float32") from None


def pick_attn(name: str, device: str) -> str:
    """The attention implementation transformers loads (auto: flash-attention 2 where its own
    check says it is available on CUDA, else SDPA)."""
    if name != "auto":
        return name
    if device.startswith("cuda"):
        from transformers.utils import is_flash_attn_2_available

        if is_flash_attn_2_available():
            return "flash_attention_2"
    return "sdpa"


def resolve_checkpoint(checkpoint: str, revision: Optional[str], adapter: str) -> Path:
    """The folder of ``checkpoint``: a local folder, or a hub repo id at the pinned ``revision``
    taken from the local HF cache (offline); else a ConfigError saying how to get it."""
    local = Path(checkpoint).expanduser()
    if local.is_dir():
        return local
    if HUB_ID.match(checkpoint):
        if not revision:
            raise ConfigError(f"{adapter}: checkpoint={checkpoint}: pin the hub revision with revision=<commit sha>")
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError

        try:
            return Path(snapshot_download(checkpoint, revision=revision, local_files_only=True))
        except LocalEntryNotFoundError:
            raise ConfigError(
                f"{adapter}: no local copy of {checkpoint}@{revision}: download it once with "
                f"`huggingface-cli download {checkpoint} --revision {revision}`"
            ) from None
    raise ConfigError(f"{adapter}: checkpoint={checkpoint}: no such directory")


def cache_of(output: Any) -> Any:
    """The KV cache of a forward pass (transformers 5 names it ``cache``, 4 ``past_key_values``)."""
    return output.cache if getattr(output, "cache", None) is not None else output.past_key_values


def common_prefix(sequences: Sequence[Sequence[int]]) -> int:
    """Length of the longest prefix all ``sequences`` share: what a video's questions prefill once."""
    n = min(len(s) for s in sequences)
    for i in range(n):
        if any(s[i] != sequences[0][i] for s in sequences[1:]):
            return i
    return n


@functools.lru_cache(maxsize=None)
def cache_kwarg() -> str:
    """The name ``generate`` takes a starting KV cache under, in the installed transformers."""
    from transformers import GenerationMixin

    params = inspect.signature(GenerationMixin.prepare_inputs_for_generation).parameters
    return "cache" if "cache" in params else "past_key_values"
