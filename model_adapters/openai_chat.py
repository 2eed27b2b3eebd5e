"""``openai-chat``: any model behind an OpenAI-compatible chat-completions endpoint (vLLM, SGLang,
the OpenAI API), so that the models Dynamic-VLM is compared with run through the same tasks,
prompts, frame sampling and scoring.

Video frames come from the same sampling rule as every model (``max_frames``) and go as base64
JPEG images (``image_size`` longest side, ``jpeg_quality``, ``image_detail``) with the same
timestamp labels as Dynamic-VLM ("1s: <image>; 2s: <image>; " then a newline); multi-image tasks
send their images where the task put them; the task's text is unchanged. Requests run
concurrently (``concurrency``), retried with backoff (Retry-After honoured), and every reply is
cached in ``<output>/.model-cache.sqlite`` keyed by model, request and generation settings, so
the same requests in another run cost nothing. The key comes from ``EVALKIT_MODEL_API_KEY`` or
``OPENAI_API_KEY`` only; a URL is written without its credentials. Token usage (and cost, with
``price_in``/``price_out`` in USD per million tokens) goes to ``<run>/model_usage.json``.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

from evalkit import chat_api
from evalkit.errors import ConfigError, SampleError
from evalkit.media.sampling import SamplingSpec
from evalkit.chat import LABELS, to_chat
from evalkit.model import ModelAdapter
from evalkit.redaction import redact_url
from evalkit.request import ImagePart, Request, VideoPart

KEY_ENV = ("EVALKIT_MODEL_API_KEY", "OPENAI_API_KEY")
DETAILS = ("auto", "low", "high")


@dataclass
class OpenAIChatArgs:
    model: str  # the served model's name
    base_url: Optional[str] = None  # e.g. http://localhost:8000/v1 (vLLM, SGLang); default: the OpenAI API
    max_frames: int = 32  # T of the sampling rule (1 fps below T s, else T uniform frames)
    image_size: int = 512  # longest side of each image sent, in pixels (0: as decoded)
    jpeg_quality: int = 85
    image_detail: str = "auto"  # auto | low | high
    timestamps: str = "counter"  # frame labels: counter (1s, 2s, ... as Dynamic-VLM), seconds, none
    max_tokens: Optional[int] = None  # default: the task's
    temperature: float = 0.0
    concurrency: int = 8  # requests in flight
    max_retries: int = 5
    timeout_s: float = 120.0
    prefill: bool = False  # continue the task's assistant pre-fill (vLLM / SGLang continue_final_message)
    price_in: Optional[float] = None  # USD per million input tokens, for the cost
    price_out: Optional[float] = None
    cache: Optional[Path] = None  # default: <output>/.model-cache.sqlite


def jpeg_data_url(pixels: Any, size: int, quality: int) -> str:
    from PIL import Image

    image = Image.fromarray(pixels)
    if size:
        image.thumbnail((size, size))
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="JPEG", quality=quality)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


class OpenAIChat(ModelAdapter):
    name = "openai-chat"
    description = "any OpenAI-compatible chat endpoint (vLLM, SGLang, OpenAI): frames as JPEG images, cached replies"
    Args = OpenAIChatArgs

    @classmethod
    def served_args(cls, base_url: str, concurrency: int, cache: Path) -> Optional[str]:
        return f"model=bench,base_url={base_url},concurrency={concurrency},max_frames=4,image_size=64,cache={cache}"

    def __init__(self, args: OpenAIChatArgs, seed: int = 0):
        super().__init__(args, seed)
        if args.image_detail not in DETAILS:
            raise ConfigError(f"image_detail={args.image_detail!r}: use one of {', '.join(DETAILS)}")
        if args.timestamps not in LABELS:
            raise ConfigError(f"timestamps={args.timestamps!r}: use one of {', '.join(LABELS)}")
        for key in ("max_frames", "concurrency", "jpeg_quality"):
            if getattr(args, key) < 1:
                raise ConfigError(f"--model-args {key}={getattr(args, key)}: must be >= 1")
        redact_url(args.base_url, "base_url")  # an unparsable URL is refused before any request
        self.key = chat_api.api_key(KEY_ENV, "model") if not args.base_url else self.local_key()
        self.batch_size = args.concurrency  # the run loop hands over this many requests at once
        self.cache: Optional[chat_api.ReplyCache] = None
        self.counts = {"requests": 0, "calls": 0, "cache_hits": 0, "failures": 0, "prompt_tokens": 0,
                       "completion_tokens": 0}
        self.reported_models: Dict[str, int] = {}

    @staticmethod
    def local_key() -> str:
        """A served model usually needs no key; one in the environment is still used."""
        try:
            return chat_api.api_key(KEY_ENV, "model")
        except ConfigError:
            return "EMPTY"

    def sampling(self) -> SamplingSpec:
        return SamplingSpec.paper(max_frames=self.args.max_frames)

    def open_run(self, run_dir: Path) -> None:
        self.cache = chat_api.ReplyCache(self.args.cache or run_dir.parent / ".model-cache.sqlite")

    # --- the request ---------------------------------------------------------------------------

    def image(self, pixels: Any) -> Dict[str, Any]:
        url = jpeg_data_url(pixels, self.args.image_size, self.args.jpeg_quality)
        return {"type": "image_url", "image_url": {"url": url, "detail": self.args.image_detail}}

    def messages(self, request: Request) -> List[Dict[str, Any]]:
        chat = to_chat(request, self.args.timestamps)
        content = [item if item["type"] == "text" else self.image(item["pixels"]) for item in chat.user]
        out: List[Dict[str, Any]] = [{"role": "system", "content": chat.system}] if chat.system else []
        out.append({"role": "user", "content": content})
        if self.args.prefill and chat.prefix:
            out.append({"role": "assistant", "content": chat.prefix})
        return out

    def payload(self, request: Request) -> Dict[str, Any]:
        body: Dict[str, Any] = {"model": self.args.model, "messages": self.messages(request),
                                "temperature": self.args.temperature,
                                "max_tokens": self.args.max_tokens or request.max_new_tokens}
        if self.args.prefill and request.assistant_prefix:
            body["extra_body"] = {"continue_final_message": True, "add_generation_prompt": False}
        return body

    # --- answering -----------------------------------------------------------------------------

    def generate(self, requests: List[Request]) -> List[str]:
        return asyncio.run(self._generate(requests))

    async def _generate(self, requests: List[Request]) -> List[str]:
        import openai

        client = openai.AsyncOpenAI(api_key=self.key, base_url=self.args.base_url, max_retries=0,
                                    timeout=self.args.timeout_s)
        try:
            results = await asyncio.gather(*chat_api.bounded([self._one(client, r) for r in requests],
                                                              self.args.concurrency), return_exceptions=True)
        finally:
            await client.close()
        failed = [(r, e) for r, e in zip(requests, results) if isinstance(e, BaseException)]
        if failed:  # the run loop answers the batch again one by one; the others come from the cache
            request, exc = failed[0]
            if isinstance(exc, SampleError):
                raise exc
            raise SampleError(f"{request.id}: {type(exc).__name__}: {exc}")
        return [str(r) for r in results]

    async def _one(self, client: Any, request: Request) -> str:
        body = self.payload(request)
        key = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        self.counts["requests"] += 1
        cached = self.cache.get(key) if self.cache else None
        if cached is not None and cached[1] is None:
            self.counts["cache_hits"] += 1
            return cached[0]
        retrying = chat_api.Retrying(self.args.max_retries)
        try:
            out = await chat_api.complete(client, retrying, **body)
        except chat_api.call_failures() as exc:
            self.counts["failures"] += 1
            raise SampleError(f"{request.id}: the endpoint failed: {type(exc).__name__}: {str(exc)[:200]}") from None
        self.counts["calls"] += out.calls
        self.counts["prompt_tokens"] += out.prompt_tokens
        self.counts["completion_tokens"] += out.completion_tokens
        if out.model:
            self.reported_models[out.model] = self.reported_models.get(out.model, 0) + 1
        if self.cache:
            self.cache.put(key, self.args.model, "openai-chat", out.text, None, (out.prompt_tokens, out.completion_tokens))
        return out.text

    # --- facts ---------------------------------------------------------------------------------

    def request_facts(self, request: Request) -> Dict[str, Any]:
        images = sum(len(p.media.frames) if isinstance(p, VideoPart) and p.media is not None else
                     1 if isinstance(p, ImagePart) else 0 for p in request.parts)
        return {"served_model": self.args.model, "images": images, "image_size": self.args.image_size,
                "image_detail": self.args.image_detail,
                "assistant_prefix": ("continued" if self.args.prefill else "dropped") if request.assistant_prefix else None}

    def usage(self) -> Optional[Dict[str, Any]]:
        cost = None
        if self.args.price_in is not None and self.args.price_out is not None:
            cost = (self.counts["prompt_tokens"] * self.args.price_in
                    + self.counts["completion_tokens"] * self.args.price_out) / 1e6
        return {**self.counts, "estimated_cost_usd": cost, "reported_models": dict(self.reported_models)}

    def describe(self) -> Dict[str, Any]:
        out = super().describe()
        out["endpoint"] = chat_api.endpoint(self.args.base_url)  # wherever the client took it from
        out["served_model"] = self.args.model
        out["reported_models"] = dict(self.reported_models)
        return out
