"""The ``hf`` model adapter: any video (or multi-image) LLM that transformers loads with
``AutoModelForImageTextToText`` + ``AutoProcessor``, fed the way its authors feed it.

The family's recipe (:mod:`.recipes`) becomes the sampling spec evalkit's media stage applies:
which frames (exact timestamps, decoded once per video, frame cache) and at what size. The
processor is then told exactly what it got: its own frame sampling off, the source clip's fps,
frame count, the frames' indices in it and its duration passed as metadata (Qwen2.5-VL derives
its temporal positions from them, Qwen3-VL its timestamps), and, where evalkit already brought
the frames to the model's size, no second resize. Prompts come from the one request-to-chat
conversion (:func:`evalkit.chat.to_chat`, videos kept whole) through the checkpoint's own chat
template, with the recipe's system text; generation is greedy unless asked otherwise, with the
hub's generation defaults (sampling, repetition penalty) overridden.

Batches are left-padded; families whose processors stack a batch's frames into one tensor
(LLaVA-OneVision, InternVL, LLaVA-NeXT-Video) are batched by equal frame counts. A video's
questions are answered from one prefilled prefix (its frames encoded once) in the families where
that is tested to give the unshared answers (``SHARES_PREFIX``)."""
from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch

from evalkit import torchvision_ops
from evalkit.chat import to_chat
from evalkit.errors import CheckpointError, ConfigError, SampleError
from evalkit.loading import cache_kwarg, cache_of, common_prefix, pick_attn, pick_device, pick_dtype, resolve_checkpoint
from evalkit.media.sampling import ExactSize, FpsFrames, PixelBudget, Resize, SamplingSpec, UniformFrames
from evalkit.request import Request

from . import build
from .entry import HF, HFArgs
from .recipes import Recipe, recipe_for

torchvision_ops.prepare()  # before transformers imports torchvision (see evalkit.torchvision_ops)

FLATTENED = ("qwen2_vl", "qwen2_5_vl", "qwen3_vl", "qwen3_vl_moe")  # patches flattened: any frame counts in a batch
SHARES_PREFIX = ("qwen2_5_vl", "qwen3_vl", "llava_onevision", "internvl", "llava_next_video")  # tested: same answers
PER_TOKEN = ("input_ids", "attention_mask", "mm_token_type_ids", "token_type_ids")  # a processor's per-token rows


def weights_digest(folder: Path) -> str:
    """A fingerprint of a checkpoint folder: its config, and of each weight file its name, size
    and three 1 MiB samples (start, middle, end): two trainings of one architecture differ."""
    h = hashlib.sha256()
    for path in sorted(folder.glob("*.json")) + sorted(folder.glob("*.safetensors")):
        size = path.stat().st_size
        h.update(f"{path.name}:{size}".encode())
        with path.open("rb") as fh:
            for offset in sorted({0, max(0, size // 2 - 2**19), max(0, size - 2**20)}):
                fh.seek(offset)
                h.update(fh.read(2**20))
    return h.hexdigest()[:16]


class HFVideoModel(HF):
    implementation = None  # this is the implementation

    def __init__(self, args: HFArgs, seed: int = 0):
        super().__init__(args, seed)
        from transformers import AutoModelForImageTextToText, AutoProcessor
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        for key in ("batch_size", "num_beams", "frames", "min_frames", "max_frames", "max_new_tokens"):
            value = getattr(args, key)
            if value is not None and value < 1:
                raise ConfigError(f"--model-args {key}={value}: must be >= 1")
        if args.temperature < 0:
            raise ConfigError(f"--model-args temperature={args.temperature}: must be >= 0")
        self.device = pick_device(args.device)
        self.dtype = pick_dtype(args.dtype, self.device)
        self.attn = pick_attn(args.attn, self.device)
        self.path: Optional[Path] = None
        if args.preset:
            if args.checkpoint:
                raise ConfigError("give either preset= or checkpoint=, not both")
            if args.preset not in build.RELEASED:
                raise ConfigError(f"preset={args.preset!r}: known presets are {', '.join(build.RELEASED)}")
            family, shapes = build.RELEASED[args.preset]
            with torch.device(self.device):
                self.model, self.processor = build.build(family, shapes, seed)
            self.model.to(self.dtype)
        else:
            if not args.checkpoint:
                raise ConfigError("hf needs checkpoint=DIR (or an HF repo id with revision=SHA), or preset=")
            self.path = resolve_checkpoint(args.checkpoint, args.revision, "hf")
            try:
                self.processor = AutoProcessor.from_pretrained(self.path)
                kw: Dict[str, Any] = {"dtype": self.dtype, "attn_implementation": self.attn}
                if args.device_map:
                    kw["device_map"] = args.device_map
                self.model = AutoModelForImageTextToText.from_pretrained(self.path, **kw).eval()
            except (OSError, ValueError, KeyError) as exc:
                raise CheckpointError(f"hf: {self.path} is not a checkpoint transformers can load as an image-text "
                                      f"model with a processor ({str(exc).splitlines()[0]})") from None
            if not args.device_map:
                self.model.to(self.device)
        self.family = self.model.config.model_type
        self.recipe: Recipe = recipe_for(self.family, args.recipe)
        self.tokenizer = self.processor.tokenizer
        self.tokenizer.padding_side = "left"
        self.untrained = bool(getattr(self.model.config, "evalkit_untrained", False))
        self.batch_size = args.batch_size
        self.spec = self.make_spec()
        self.system = self.recipe.system if args.system_prompt is None else \
            (None if args.system_prompt.lower() == "none" else args.system_prompt)
        self.facts: Dict[str, Dict[str, Any]] = {}  # request id -> facts of its last answer
        self.work: Dict[str, int] = dict.fromkeys(("frames_encoded", "prefill_tokens", "cached_tokens",
                                                   "generated_tokens"), 0)
        torch.manual_seed(seed)

    # --- the recipe as a sampling spec ---------------------------------------------------------

    def vision_size(self) -> int:
        size = self.model.config.vision_config.image_size
        return int(size[0] if isinstance(size, (list, tuple)) else size)

    def pixel_factor(self) -> int:
        vision = self.model.config.vision_config
        return int(vision.patch_size * vision.spatial_merge_size)

    def make_spec(self) -> SamplingSpec:
        """The recipe's frame and resize rules, with the explicit model arguments over them."""
        a, recipe = self.args, self.recipe
        frames = recipe.frames
        if isinstance(frames, FpsFrames):
            frames = replace(frames, **{k: v for k, v in (("fps", a.fps), ("min_frames", a.min_frames),
                                                          ("max_frames", a.max_frames)) if v is not None})
            if a.frames is not None:
                frames = UniformFrames(a.frames, "linspace", "round")
        elif isinstance(frames, UniformFrames) and a.frames is not None:
            frames = replace(frames, n=a.frames)
        elif a.fps is not None or a.min_frames is not None or a.max_frames is not None:
            raise ConfigError(f"fps/min_frames/max_frames apply to fps recipes; {recipe.name} takes frames=N")
        resize: Optional[Resize] = None
        image_resize: Optional[Resize] = None
        if recipe.resize == "pixel-budget":
            f = self.pixel_factor()
            p = recipe.pixels
            resize = PixelBudget(a.min_pixels or p["min_tokens"] * f * f, a.max_pixels or p["max_tokens"] * f * f,
                                 factor=f, total_pixels=a.total_pixels or p["total_tokens"] * f * f)
            q = recipe.image_pixels
            image_resize = PixelBudget(q["min_tokens"] * f * f, q["max_tokens"] * f * f, factor=f)
        elif recipe.resize == "vision-size":
            resize = ExactSize(self.vision_size(), self.vision_size(), backend="torchvision")
        if recipe.resize != "pixel-budget" and any(v is not None for v in (a.min_pixels, a.max_pixels, a.total_pixels)):
            raise ConfigError(f"min_pixels/max_pixels/total_pixels apply to pixel-budget recipes, not {recipe.name}")
        return SamplingSpec(frames, resize, image_resize)

    def sampling(self) -> SamplingSpec:
        return self.spec

    # --- requests to model inputs --------------------------------------------------------------

    def prompt(self, request: Request) -> Tuple[str, List[np.ndarray], List[Dict[str, Any]], List[np.ndarray]]:
        """(chat text with the checkpoint's template, videos, their metadata, images) of a request."""
        chat = to_chat(request, video="clip")
        content: List[Dict[str, Any]] = [{"type": "text", "text": chat.system + "\n"}] if chat.system else []
        videos: List[np.ndarray] = []
        metadata: List[Dict[str, Any]] = []
        images: List[np.ndarray] = []
        for item in chat.user:
            if item["type"] == "text":
                content.append({"type": "text", "text": item["text"]})
            elif item["type"] == "image":
                content.append({"type": "image"})
                images.append(item["pixels"])
            else:
                media = item["video"]
                content.append({"type": "video"})
                videos.append(media.frames)
                metadata.append({"fps": media.source_fps, "total_num_frames": media.source_frames,
                                 "frames_indices": media.clip_indices, "duration": media.duration})
        messages: List[Dict[str, Any]] = []
        if self.system:
            messages.append({"role": "system", "content": [{"type": "text", "text": self.system}]})
        messages.append({"role": "user", "content": content})
        text = self.processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return text + chat.prefix, videos, metadata, images

    def batch_inputs(self, requests: Sequence[Request]) -> Any:
        """The processor's batch (left-padded) for ``requests``."""
        texts, videos, metadata, images = [], [], [], []
        for r in requests:
            text, v, m, i = self.prompt(r)
            texts.append(text)
            videos += v
            metadata += m
            images += i
        kw: Dict[str, Any] = {"text": texts, "padding": True, "return_tensors": "pt"}
        if videos:
            kw.update(videos=videos, video_metadata=metadata, do_sample_frames=False)
        if images:
            kw["images"] = images
        if self.recipe.resize == "pixel-budget":
            kw["do_resize"] = False  # evalkit brought every frame and image to the model's size
        if self.recipe.mean_std:
            kw["image_mean"], kw["image_std"] = (list(x) for x in self.recipe.mean_std)
        try:
            return self.processor(**kw).to(self.model.device)
        except (ValueError, RuntimeError, IndexError) as exc:
            raise SampleError(f"{requests[0].id}: the processor refused the inputs ({str(exc).splitlines()[0]})") from None

    def batch_key(self, request: Request) -> Any:
        """Requests that can share a batch: any (flattened patches), or equal frame and image shapes."""
        if self.family in FLATTENED:
            return None
        chat = to_chat(request, video="clip")
        return tuple(item["video"].frames.shape if item["type"] == "video" else item.get("pixels", np.empty(0)).shape
                     for item in chat.user if item["type"] != "text")

    # --- generation ----------------------------------------------------------------------------

    def generation_config(self, requests: Sequence[Request]) -> Any:
        """Greedy (or beam / seeded sampling) decoding, whatever the hub's generation defaults say."""
        from transformers import GenerationConfig

        sample = self.args.temperature > 0
        return GenerationConfig(
            max_new_tokens=self.args.max_new_tokens or max(r.max_new_tokens for r in requests),
            do_sample=sample, temperature=self.args.temperature if sample else None, top_p=1.0 if sample else None,
            top_k=None, num_beams=self.args.num_beams, repetition_penalty=1.0,
            pad_token_id=self.tokenizer.pad_token_id, eos_token_id=self.model.generation_config.eos_token_id)

    def generate(self, requests: List[Request]) -> List[str]:
        groups: Dict[Any, List[int]] = {}
        for i, r in enumerate(requests):
            groups.setdefault(self.batch_key(r), []).append(i)
        out: List[str] = [""] * len(requests)
        for members in groups.values():
            batch = [requests[i] for i in members]
            for i, text in zip(members, self.answer_batch(batch)):
                out[i] = text
        return out

    @torch.inference_mode()
    def answer_batch(self, requests: Sequence[Request]) -> List[str]:
        inputs = self.batch_inputs(requests)
        lengths = inputs["attention_mask"].sum(dim=1).tolist()
        for row, (r, n) in enumerate(zip(requests, lengths)):
            self.note(r, inputs["input_ids"][row], int(n), 0)
        out = self.model.generate(**inputs, generation_config=self.generation_config(requests))
        return self.decode(out[:, inputs["input_ids"].shape[1]:])

    def decode(self, new_tokens: torch.Tensor) -> List[str]:
        eos = self.model.generation_config.eos_token_id
        self.work["generated_tokens"] += int((new_tokens != self.tokenizer.pad_token_id).sum()) if eos is not None else 0
        return [t.strip() for t in self.tokenizer.batch_decode(new_tokens, skip_special_tokens=True)]

    @property
    def answers_groups(self) -> bool:
        return self.args.share_prefix and self.family in SHARES_PREFIX

    def generate_group(self, requests: List[Request]) -> Iterator[str]:
        """A video's questions: its frames encoded and the common prompt prefix prefilled once, each
        question continued from a copy of that cache (the answers of answering each whole)."""
        if len(requests) < 2 or not self.answers_groups or self.args.num_beams > 1:
            yield from super().generate_group(requests)
            return
        yield from self.answer_group(requests)

    @torch.inference_mode()
    def answer_group(self, requests: List[Request]) -> Iterator[str]:
        items = [self.batch_inputs([r]) for r in requests]
        ids = [it["input_ids"][0] for it in items]
        n = min(common_prefix([x.tolist() for x in ids]), min(len(x) for x in ids) - 1)
        last_media = max((i for i, t in enumerate(ids[0].tolist()) if t in self.media_token_ids()), default=n)
        if n <= last_media:  # the media is not all in the shared prefix: nothing to reuse
            for r in requests:
                yield from self.answer_batch([r])
            return
        first = items[0]
        prefix = self.model(**{k: v[:, :n] if k in PER_TOKEN else v for k, v in first.items()}, use_cache=True)
        for k, (r, it) in enumerate(zip(requests, items)):
            self.note(r, ids[k], len(ids[k]) - (n if k else 0), n if k else 0)
            text_only = {key: v for key, v in it.items() if key in PER_TOKEN}  # the media is in the cache
            start = {cache_kwarg(): copy.deepcopy(cache_of(prefix))}
            out = self.model.generate(**text_only, **start, generation_config=self.generation_config([r]))
            yield self.decode(out[:, it["input_ids"].shape[1]:])[0]

    def media_token_ids(self) -> List[int]:
        names = ("image_token_id", "video_token_id", "image_token_index", "video_token_index")
        return [int(v) for v in (getattr(self.model.config, n, None) for n in names) if v is not None]

    # --- facts ---------------------------------------------------------------------------------

    def note(self, request: Request, row: torch.Tensor, computed: int, reused: int) -> None:
        """What answering ``request`` (its input ids ``row``) computed and reused."""
        media = set(self.media_token_ids())
        frames = sum(len(item["video"].frames) for item in to_chat(request, video="clip").user if item["type"] == "video")
        self.facts[request.id] = {"prefill_tokens": computed, "cached_tokens": reused, "frames": frames,
                                  "visual_tokens": sum(1 for t in row.tolist() if t in media)}
        self.work["prefill_tokens"] += computed
        self.work["cached_tokens"] += reused
        self.work["frames_encoded"] += frames if not reused else 0

    def request_facts(self, request: Request) -> Dict[str, Any]:
        return {"recipe": self.recipe.name, "system_prompt": self.system, "num_beams": self.args.num_beams,
                **self.facts.pop(request.id, {})}

    def usage(self) -> Optional[Dict[str, Any]]:
        return dict(self.work)

    def describe(self) -> Dict[str, Any]:
        return {
            **super().describe(), "family": self.family, "checkpoint": str(self.path or self.args.preset),
            "revision": self.args.revision,
            "weights_sha256": weights_digest(self.path) if self.path else None,
            "recipe": {**self.recipe.describe(), "sampling": self.spec.to_dict()},
            "system_prompt": self.system, "device": str(self.model.device),
            "dtype": str(self.dtype).replace("torch.", ""), "attn": self.attn, "device_map": self.args.device_map,
            "parameters": sum(p.numel() for p in self.model.parameters()),
            "processor": type(self.processor).__name__, "model_class": type(self.model).__name__,
            "transformers": __import__("transformers").__version__,
        }


__all__ = ["HFVideoModel", "weights_digest", "json"]
