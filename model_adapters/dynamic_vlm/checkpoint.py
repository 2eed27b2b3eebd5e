"""Loading and saving Dynamic-VLM weights (safetensors only, no remote code).

Two layouts:

1. evalkit's own: ``config.json`` (DynamicVLMConfig, ``format`` = evalkit-dynamic-vlm/1),
   ``model.safetensors`` (or sharded with ``model.safetensors.index.json``), tokenizer files.
2. the released ByteVideoLLM layout: sharded safetensors with an index, parameter prefixes
   ``visual_encoder.`` / ``llm_proj.`` / ``llm.``, a qwen2 ``config.json`` and no tokenizer. The
   tokenizer and, when the checkpoint holds no vision weights, the CLIP tower come from local
   base-model directories.

Every tensor must find its parameter and every parameter its tensor; otherwise loading stops with
a report naming the keys. Vision keys are compared without the ``vision_model.`` wrapper prefix,
which differs between CLIP checkpoints and transformers versions.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

import torch

from evalkit import torchvision_ops
from evalkit.errors import CheckpointError

from .modeling import FORMAT, DynamicVLM, DynamicVLMConfig, default_dtype
from .rules import default_max_visual_tokens

torchvision_ops.prepare()  # before transformers imports torchvision (see evalkit.torchvision_ops)

WEIGHTS = "model.safetensors"
INDEX = "model.safetensors.index.json"
# released ByteVideoLLM prefix -> ours
RELEASED_PREFIXES = {"llm.": "llm.", "llm_proj.": "projector.", "visual_encoder.": "vision_tower."}
# parts of a full CLIP checkpoint that a vision tower does not use
CLIP_UNUSED_PREFIXES = ("text_model.", "text_projection.", "visual_projection.", "logit_scale")


def read_safetensors(folder: Path) -> Dict[str, torch.Tensor]:
    """All tensors of ``folder``'s model.safetensors, or of the shards its index names."""
    from safetensors.torch import load_file

    folder = Path(folder)
    if (folder / INDEX).is_file():
        index = json.loads((folder / INDEX).read_text())
        tensors: Dict[str, torch.Tensor] = {}
        for shard in sorted(set(index["weight_map"].values())):
            if not (folder / shard).is_file():
                raise CheckpointError(f"{folder}: shard {shard} named in {INDEX} is missing")
            tensors.update(load_file(folder / shard))
        missing = sorted(set(index["weight_map"]) - set(tensors))
        if missing:
            raise CheckpointError(f"{folder}: {INDEX} lists tensors no shard holds: {', '.join(missing[:5])}")
        return tensors
    if (folder / WEIGHTS).is_file():
        return load_file(folder / WEIGHTS)
    if list(folder.glob("*.bin")) or list(folder.glob("*.pt")):
        raise CheckpointError(f"{folder}: only pickle weights found; evalkit loads safetensors only")
    raise CheckpointError(f"{folder}: no {WEIGHTS} or {INDEX}")


def vision_canonical(key: str) -> str:
    """A vision tower key without the wrapper prefixes ('vision_model.', 'model.vision_model.')."""
    marker = "vision_model."
    return key[key.rindex(marker) + len(marker):] if marker in key else key


def canonical(key: str) -> str:
    if key.startswith("vision_tower."):
        return "vision_tower." + vision_canonical(key[len("vision_tower."):])
    return key


def report(unmatched: Iterable[str], missing: Iterable[str], source: Path) -> str:
    def show(keys: List[str]) -> str:
        return ", ".join(keys[:8]) + (f" (+{len(keys) - 8} more)" if len(keys) > 8 else "")

    unmatched, missing = sorted(unmatched), sorted(missing)
    lines = [f"checkpoint {source} does not match the Dynamic-VLM model:"]
    if unmatched:
        lines.append(f"  {len(unmatched)} checkpoint tensor(s) match no parameter: {show(unmatched)}")
    if missing:
        lines.append(f"  {len(missing)} parameter(s) have no tensor: {show(missing)}")
    return "\n".join(lines)


def assign_weights(
    model: DynamicVLM, tensors: Dict[str, torch.Tensor], source: Path,
    origin: Optional[Dict[str, str]] = None, source_name: Callable[[str], str] = lambda k: k,
) -> None:
    """Load ``tensors`` (keys in model naming, possibly with other vision wrappers) strictly.
    The report names keys as the checkpoint spells them: ``origin`` maps a renamed tensor key
    back, ``source_name`` maps a model parameter to the key the checkpoint should have had."""
    origin = origin or {}
    current = model.state_dict()
    own = {canonical(k): k for k in current}
    state, unmatched = {}, []
    for key, value in tensors.items():
        target = own.get(canonical(key))
        if target is None:
            unmatched.append(key)
        else:
            state[target] = value
    tied = model.llm.config.tie_word_embeddings
    if tied and "llm.lm_head.weight" not in state and "llm.model.embed_tokens.weight" in state:
        state["llm.lm_head.weight"] = state["llm.model.embed_tokens.weight"]
    missing = [source_name(k) for k in own.values() if k not in state]
    if unmatched or missing:
        raise CheckpointError(report([origin.get(k, k) for k in unmatched], missing, source))
    shapes = [f"{k}: checkpoint {tuple(v.shape)} vs model {tuple(current[k].shape)}"
              for k, v in state.items() if v.shape != current[k].shape]
    if shapes:
        raise CheckpointError(f"checkpoint {source}: shape mismatch: " + "; ".join(shapes[:5]))
    model.load_state_dict(state, strict=True)


def build(config: DynamicVLMConfig, device: str, dtype: torch.dtype, attn: str) -> DynamicVLM:
    """The network with uninitialised-but-allocated weights on ``device`` (filled by loading)."""
    with default_dtype(dtype), torch.device(device):
        model = DynamicVLM(config, attn_implementation=attn)
    return model.eval()


def save_evalkit(model: DynamicVLM, tokenizer, folder: Path) -> Path:
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.config.save(folder / "config.json")
    state = {canonical(k): v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    save_file(state, folder / WEIGHTS, metadata={"format": "pt"})
    tokenizer.save_pretrained(folder)
    return folder


def detect_layout(folder: Path) -> str:
    cfg_path = Path(folder) / "config.json"
    if not cfg_path.is_file():
        raise CheckpointError(f"{folder}: no config.json; not a checkpoint directory")
    cfg = json.loads(cfg_path.read_text())
    if cfg.get("format") == FORMAT:
        return "evalkit"
    if cfg.get("model_type") == "qwen2":
        return "bytevideollm"
    raise CheckpointError(f"{cfg_path}: neither an evalkit Dynamic-VLM config nor a ByteVideoLLM (qwen2) config")


def load_tokenizer(folder: Path):
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(str(folder), trust_remote_code=False)
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"cannot load a tokenizer from {folder}: {exc}") from None


def load_evalkit(folder: Path, device: str, dtype: torch.dtype, attn: str) -> Tuple[DynamicVLM, Any]:  # the model and its transformers tokenizer
    folder = Path(folder)
    config = DynamicVLMConfig.load(folder / "config.json")
    model = build(config, device, dtype, attn)
    assign_weights(model, read_safetensors(folder), folder)
    return model, load_tokenizer(folder)


def _vision_config(vision_dir: Path) -> Dict:
    cfg = json.loads((vision_dir / "config.json").read_text())
    cfg = cfg.get("vision_config", cfg)
    return {k: v for k, v in cfg.items() if not k.startswith("_") and k not in ("architectures", "transformers_version")}


def load_bytevideollm(
    folder: Path, tokenizer_dir: Optional[Path], vision_dir: Optional[Path], device: str,
    dtype: torch.dtype, attn: str, max_visual_tokens: Optional[int],
) -> Tuple[DynamicVLM, Any]:  # the model and its transformers tokenizer
    folder = Path(folder)
    if tokenizer_dir is None:
        raise CheckpointError(
            f"{folder} is a ByteVideoLLM checkpoint without a tokenizer: pass tokenizer=DIR "
            "(a local Qwen2.5-Instruct directory of the same size)"
        )
    if vision_dir is None or not (Path(vision_dir) / "config.json").is_file():
        raise CheckpointError(
            f"{folder}: pass vision=DIR, a local clip-vit-large-patch14-336 directory (its config.json, "
            "and its weights where the checkpoint has none)"
        )
    llm_cfg = json.loads((folder / "config.json").read_text())
    llm_cfg = {k: v for k, v in llm_cfg.items() if k not in ("architectures", "transformers_version", "auto_map")}
    tensors = read_safetensors(folder)
    renamed: Dict[str, torch.Tensor] = {}
    origin: Dict[str, str] = {}
    unknown = []
    for key, value in tensors.items():
        for theirs, ours in RELEASED_PREFIXES.items():
            if key.startswith(theirs):
                rest = key[len(theirs):]
                new = ours + (vision_canonical(rest) if ours == "vision_tower." else rest)
                renamed[new], origin[new] = value, key
                break
        else:
            unknown.append(key)
    if not any(k.startswith("vision_tower.") for k in renamed):
        for key, value in read_safetensors(Path(vision_dir)).items():
            if not key.startswith(CLIP_UNUSED_PREFIXES):
                new = "vision_tower." + vision_canonical(key)
                renamed[new], origin[new] = value, f"{vision_dir}: {key}"
    n_max = max_visual_tokens or default_max_visual_tokens(llm_cfg.get("num_hidden_layers", 0), llm_cfg.get("hidden_size", 0))
    if n_max is None:
        raise CheckpointError(f"{folder}: unknown model size; pass max_visual_tokens=N")
    config = DynamicVLMConfig(vision=_vision_config(Path(vision_dir)), llm=llm_cfg, max_visual_tokens=n_max,
                              extra={"source_layout": "bytevideollm"})
    if unknown:
        raise CheckpointError(report(unknown, [], folder))
    model = build(config, device, dtype, attn)
    assign_weights(model, renamed, folder, origin, released_name)
    return model, load_tokenizer(Path(tokenizer_dir))


def released_name(key: str) -> str:
    """The key a released checkpoint would use for one of our parameters."""
    for theirs, ours in RELEASED_PREFIXES.items():
        if key.startswith(ours):
            return theirs + ("(vision_model.)" if ours == "vision_tower." else "") + canonical(key)[len(ours):]
    return key
