"""The ``dynamic-vlm`` model adapter: GPU first (bf16, SDPA or flash-attention 2), CPU fallback
in float32; batched generation with left padding.

Defaults are the paper's: system prompt "You are a helpful visual assistant." and greedy
decoding. The authors' released evaluation config differs (system prompt "You are a helpful
assistant.", beam search with 3 beams): ``system_prompt=released,num_beams=3`` reproduces it.
The values used are recorded in run.json and in every record's model facts."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import torch

from evalkit import torchvision_ops
from evalkit.errors import ConfigError, SampleError
from evalkit.loading import cache_kwarg, cache_of, common_prefix, pick_attn, pick_device, pick_dtype
from evalkit.loading import resolve_checkpoint as resolve
from evalkit.media.sampling import SamplingSpec
from evalkit.request import ImagePart, Request, VideoPart

from . import checkpoint as ckpt
from .flops import Shapes, llm_flops, vision_flops
from .modeling import SYSTEM_PROMPTS
from .prompting import IMAGE, LABELS, render
from .entry import DynamicVLM, DynamicVLMArgs
from .rules import token_plan
from .shapes import SHAPED_PRESETS, build_shaped
from .tiny import tiny_checkpoint

torchvision_ops.prepare()  # before transformers imports torchvision (see evalkit.torchvision_ops)

# toy checkpoints shipped with the package: the tiny model trained briefly on the bundled
# Video-MME sample (scripts/train_toy_dynamic_vlm.py says how and why these steps); preset=toy-step-<N>
TOY_DIR = Path(__file__).resolve().parent / "toy"
TOY_STEPS = (20, 35)
TOY_PRESETS = tuple(f"toy-step-{n}" for n in TOY_STEPS)
PRESETS = ("tiny", *TOY_PRESETS, *SHAPED_PRESETS)


Answer = Tuple[str, Optional[torch.Tensor]]  # the text, and its first-step logits when kept


def one_video(requests: Sequence[Request]) -> bool:
    """Whether the requests show the same decoded video (one object) and nothing else visual."""
    media = []
    for r in requests:
        visual = [p for p in r.parts if isinstance(p, (VideoPart, ImagePart))]
        if len(visual) != 1 or not isinstance(visual[0], VideoPart) or visual[0].media is None:
            return False
        media.append(visual[0].media)
    return all(m is media[0] for m in media)




def resolve_checkpoint(args: DynamicVLMArgs) -> Optional[Path]:
    """The checkpoint folder (None for a preset built in memory)."""
    if args.preset:
        if args.preset not in PRESETS:
            raise ConfigError(f"preset={args.preset!r}: known presets are {', '.join(PRESETS)}")
        if args.checkpoint:
            raise ConfigError("give either preset= or checkpoint=, not both")
        if args.preset in TOY_PRESETS:
            folder = TOY_DIR / args.preset[len("toy-"):]
            if not (folder / "config.json").is_file():
                raise ConfigError(f"preset={args.preset}: its checkpoint {folder} is missing from this install "
                                  "(regenerate it with scripts/train_toy_dynamic_vlm.py)")
            return folder
        return None if args.preset in SHAPED_PRESETS else tiny_checkpoint()
    if not args.checkpoint:
        raise ConfigError("dynamic-vlm needs checkpoint=DIR (or an HF repo id with revision=SHA) or preset=tiny")
    return resolve(args.checkpoint, args.revision, "dynamic-vlm")


class DynamicVLMAdapter(DynamicVLM):
    implementation = None  # this is the implementation

    def __init__(self, args: DynamicVLMArgs, seed: int = 0):
        super().__init__(args, seed)
        if args.timestamps not in LABELS:
            raise ConfigError(f"timestamps={args.timestamps!r}: use one of {', '.join(LABELS)}")
        for key in ("max_frames", "batch_size", "vision_chunk", "num_beams", "max_visual_tokens", "max_new_tokens"):
            value = getattr(args, key)
            if value is not None and value < 1:
                raise ConfigError(f"--model-args {key}={value}: must be >= 1")
        if args.system_prompt is not None and not args.system_prompt.strip():
            raise ConfigError("--model-args system_prompt=: give paper, released or the prompt text")
        self.device = pick_device(args.device)
        self.dtype = pick_dtype(args.dtype, self.device)
        self.attn = pick_attn(args.attn, self.device)
        self.path = resolve_checkpoint(args)
        layout = "in-memory" if self.path is None else ckpt.detect_layout(self.path)
        if self.path is None:
            self.model, self.tokenizer = build_shaped(SHAPED_PRESETS[str(args.preset)], self.device, self.dtype,
                                                      self.attn, seed)
        elif layout == "evalkit":
            self.model, self.tokenizer = ckpt.load_evalkit(self.path, self.device, self.dtype, self.attn)
        else:
            self.model, self.tokenizer = ckpt.load_bytevideollm(
                self.path, args.tokenizer, args.vision, self.device, self.dtype, self.attn, args.max_visual_tokens)
        self.layout = layout
        self.untrained = self.model.config.untrained
        self.toy = self.model.config.extra.get("toy")
        self.batch_size = args.batch_size
        n_max = args.max_visual_tokens or self.model.config.max_visual_tokens
        if not n_max:
            raise ConfigError("pass max_visual_tokens=N: the checkpoint does not say its visual-token budget")
        self.max_visual_tokens: int = n_max
        self.system_prompt = SYSTEM_PROMPTS.get(args.system_prompt or "", args.system_prompt) \
            or self.model.config.system_prompt
        self.stop_ids = [i for i in (self.tokenizer.convert_tokens_to_ids("<|im_end|>"),
                                     self.tokenizer.convert_tokens_to_ids("<|endoftext|>")) if i is not None]
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.stop_ids[-1]
        self.prefill: Dict[str, Dict[str, int]] = {}  # request id -> prefill facts of its last answer
        self.shapes = Shapes.of(self.model)
        self.work: Dict[str, float] = dict.fromkeys(
            ("frames_encoded", "prefill_tokens", "cached_tokens", "generated_tokens", "model_flops"), 0)

    def sampling(self) -> SamplingSpec:
        size = self.model.config.image_size
        return SamplingSpec.paper(max_frames=self.args.max_frames, size=(size, size))

    # --- per-request facts --------------------------------------------------------------------

    def n_frames(self, request: Request) -> int:
        n = 0
        for p in request.parts:
            if isinstance(p, VideoPart) and p.media is not None:
                n += len(p.media.indices)
            elif isinstance(p, ImagePart):
                n += 1
        return n

    def request_facts(self, request: Request) -> Dict[str, Any]:
        n = self.n_frames(request)
        plan = token_plan(n, self.max_visual_tokens).to_dict() if n else {}
        return {"max_frames": self.args.max_frames, "max_visual_tokens": self.max_visual_tokens,
                "timestamps": self.args.timestamps, "system_prompt": self.system_prompt,
                "num_beams": self.args.num_beams, **plan, **self.prefill.pop(request.id, {})}

    # --- generation ---------------------------------------------------------------------------

    def prompt_units(self, request: Request) -> Tuple[List[int], np.ndarray]:
        """The prompt as units (a token id, or ``-(k + 1)`` for frame k's pooled tokens) and
        the frames. Each text piece between frames is tokenized on its own, as the released
        code does, so the units of two questions about one video share a prefix exactly."""
        prompt = render(request, self.system_prompt, self.args.timestamps)
        pieces = prompt.text.split(IMAGE)
        if len(pieces) - 1 != len(prompt.frames):
            raise SampleError(f"{request.id}: the prompt text itself contains {IMAGE!r}; it cannot be told from a frame")
        units: List[int] = []
        for i, piece in enumerate(pieces):
            units += self.tokenizer(piece, add_special_tokens=False).input_ids
            if i < len(pieces) - 1:  # as many pieces as frames + 1 (checked above)
                units.append(-(i + 1))
        return units, prompt.frames

    def encode(self, frames: np.ndarray) -> Optional[torch.Tensor]:
        """(n, tokens per frame, hidden) visual tokens under the token rule, or None."""
        if not len(frames):
            return None
        plan = token_plan(len(frames), self.max_visual_tokens)
        self.work["frames_encoded"] += len(frames)
        self.work["model_flops"] += vision_flops(self.shapes, len(frames))
        return self.model.encode_frames(frames, plan.grid, self.args.vision_chunk)

    def embed_units(self, units: List[int], visual: Optional[torch.Tensor]) -> torch.Tensor:
        """(length, hidden) input embeddings of ``units``."""
        parts, ids = [], []
        for u in units:
            if u >= 0:
                ids.append(u)
                continue
            if ids:
                parts.append(self.model.embed_text(ids))
                ids = []
            assert visual is not None  # a frame unit implies frames
            parts.append(visual[-u - 1])
        if ids:
            parts.append(self.model.embed_text(ids))
        return torch.cat(parts)

    def embed(self, request: Request) -> torch.Tensor:
        """(length, hidden) input embeddings: chat text with each frame's pooled tokens spliced in."""
        units, frames = self.prompt_units(request)
        return self.embed_units(units, self.encode(frames))

    # --- generation ---------------------------------------------------------------------------

    def generate(self, requests: List[Request]) -> List[str]:
        return [text for text, _ in self.answer_batch(requests)]

    @property
    def answers_groups(self) -> bool:
        return self.args.share_prefix

    def generate_group(self, requests: List[Request]) -> Iterator[str]:
        for text, _ in self.answer_group(requests):
            yield text

    @torch.no_grad()
    def answer_batch(self, requests: List[Request], keep_logits: bool = False) -> List[Answer]:
        """Each request prefilled whole, left-padded into one batch (the unshared path)."""
        embeds = [self.embed(r) for r in requests]
        for r, e in zip(requests, embeds):
            self.note_prefill(r, e.shape[0], 0)
        return self.decode(embeds, None, self.max_new(requests), keep_logits)

    @torch.no_grad()
    def answer_group(self, requests: List[Request], keep_logits: bool = False) -> Iterator[Answer]:
        """Questions about one video: frames encoded once, the common prefix of their prompts
        (system text, timestamped frames, subtitles) prefilled once, and each batch of
        questions continued from a copy of that KV cache. Same answers as the unshared path."""
        if not self.args.share_prefix or len(requests) < 2 or not one_video(requests):
            for start in range(0, len(requests), self.batch_size):
                yield from self.answer_batch(requests[start:start + self.batch_size], keep_logits)
            return
        layouts = [self.prompt_units(r) for r in requests]
        visual = self.encode(layouts[0][1])
        units = [u for u, _ in layouts]
        # each question keeps at least one token of its own, to predict its first answer token from
        n = min(common_prefix(units), min(len(u) for u in units) - 1)
        prefix = self.embed_units(units[0][:n], visual)
        cache = cache_of(self.model.llm(inputs_embeds=prefix[None], use_cache=True))
        self.work["model_flops"] += llm_flops(self.shapes, prefix.shape[0], 0)
        for start in range(0, len(requests), self.batch_size):
            chunk = list(range(start, min(start + self.batch_size, len(requests))))
            suffixes = [self.embed_units(units[i][n:], visual) for i in chunk]
            for i, e in zip(chunk, suffixes):  # the first question pays for the prefix
                self.note_prefill(requests[i], e.shape[0] + (prefix.shape[0] if i == 0 else 0),
                                  0 if i == 0 else prefix.shape[0])
            yield from self.decode(suffixes, (prefix, cache), self.max_new([requests[i] for i in chunk]), keep_logits)

    def note_prefill(self, request: Request, computed: int, reused: int) -> None:
        self.prefill[request.id] = {"prefill_tokens": computed, "cached_tokens": reused}
        self.work["prefill_tokens"] += computed
        self.work["cached_tokens"] += reused

    def max_new(self, requests: List[Request]) -> int:
        return self.args.max_new_tokens or max(r.max_new_tokens for r in requests)

    def decode(self, embeds: List[torch.Tensor], prefix: Optional[Tuple[torch.Tensor, Any]], max_new: int,
               keep_logits: bool) -> List[Answer]:
        """Generate from ``embeds``, after a prefilled ``prefix`` (embeddings, KV cache) when
        given. Rows are padded between the prefix and their own tokens, masked out: positions
        come from the mask, so every token sits where it would without the prefix cache."""
        length = max(e.shape[0] for e in embeds)
        pad = self.model.embed_text([self.pad_id])[0]
        head = [] if prefix is None else [prefix[0]]
        batch = torch.stack([torch.cat([*head, pad.expand(length - e.shape[0], -1), e]) for e in embeds])
        mask = torch.zeros(len(embeds), batch.shape[1], dtype=torch.long, device=batch.device)
        for row, e in enumerate(embeds):
            mask[row, batch.shape[1] - e.shape[0]:] = 1
        extra: Dict[str, Any] = {}
        if prefix is not None:
            mask[:, :prefix[0].shape[0]] = 1
            cache = copy.deepcopy(prefix[1])  # generate extends the cache it is given
            cache.batch_repeat_interleave(len(embeds) * self.args.num_beams)
            extra[cache_kwarg()] = cache
        out = self.model.llm.generate(
            inputs_embeds=batch, attention_mask=mask, max_new_tokens=max_new, do_sample=False,
            num_beams=self.args.num_beams, pad_token_id=self.pad_id, eos_token_id=self.stop_ids,
            return_dict_in_generate=True, output_logits=keep_logits, **extra,
        )
        answers = []
        before = 0 if prefix is None else prefix[0].shape[0]
        for row, e in enumerate(embeds):
            ids = out.sequences[row].tolist()
            cut = next((k for k, t in enumerate(ids) if t in self.stop_ids), len(ids))
            # each of the beams prefills the row (generate expands the inputs) and decodes
            steps = min(cut + 1, len(ids))
            self.work["generated_tokens"] += steps
            self.work["model_flops"] += self.args.num_beams * (
                llm_flops(self.shapes, e.shape[0], before) + llm_flops(self.shapes, steps, before + e.shape[0]))
            logits = out.logits[0][row * self.args.num_beams].float().cpu() if keep_logits else None
            answers.append((self.tokenizer.decode(ids[:cut], skip_special_tokens=True).strip(), logits))
        return answers

    def usage(self) -> Optional[Dict[str, Any]]:
        """Work done in this process: frames encoded, prefill tokens computed and reused from a
        video's prefix, tokens generated, and model FLOPs (estimated, see flops.py)."""
        return {k: int(v) for k, v in self.work.items()}

    def describe(self) -> Dict[str, Any]:
        return {
            **super().describe(), "checkpoint": str(self.path or self.args.preset), "layout": self.layout,
            "device": self.device, "dtype": str(self.dtype).replace("torch.", ""), "attn": self.attn,
            "max_visual_tokens": self.max_visual_tokens, "system_prompt": self.system_prompt,
            # the paper's Table 6 axis: tokens per frame when all max_frames frames are taken
            "tokens_per_frame_at_max_frames": token_plan(self.args.max_frames, self.max_visual_tokens).tokens_per_frame,
            "num_beams": self.args.num_beams,
            "parameters": sum(p.numel() for p in self.model.parameters()),
            "preset": self.model.config.extra.get("preset"),
        }
