"""Calling a judge: any OpenAI-compatible endpoint through the ``openai`` client.

A bounded number of calls is in flight; rate limits, 5xx, timeouts and connection errors are
retried with exponential backoff (Retry-After honoured on 429); an unparsable reply is re-asked a
bounded number of times; what still fails is a recorded judge failure, never a silent 0 or 5.
Replies are cached (:mod:`evalkit.judge.cache`), so judging again costs no calls. The API key is
read from the environment only and never written anywhere.
"""
from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

from .. import chat_api
from ..errors import ConfigError
from .cache import JudgeCache
from .config import JudgeConfig
from .specs import QA_JUDGE, JudgeItem, JudgeReplyError, JudgeSpec

DATED = re.compile(r"-(\d{4}|\d{4}-\d{2}-\d{2})$")  # gpt-3.5-turbo-0613, gpt-4o-2024-08-06
KEY_ENV = ("EVALKIT_JUDGE_API_KEY", "OPENAI_API_KEY")



def check_dated(model: str) -> None:
    if not DATED.search(model):
        raise ConfigError(
            f"judge model {model!r} is not a dated snapshot (e.g. gpt-3.5-turbo-0613, gpt-4o-2024-08-06): "
            "undated aliases change under you and move scores by points"
        )


def api_key() -> str:
    return chat_api.api_key(KEY_ENV, "judge")


@dataclass
class Judgement:
    id: str
    pred: Optional[str] = None  # the spec's verdict: yes | no | None for the QA judge
    score: Optional[int] = None
    reply: Optional[str] = None
    error: Optional[str] = None  # set: a judge failure, excluded from the metrics and counted
    cached: bool = False
    attempts: int = 0


@dataclass
class JudgeStats:
    calls: int = 0
    cache_hits: int = 0
    retries: int = 0
    reasks: int = 0
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    wall_s: float = 0.0

    def cost(self, price_in: Optional[float], price_out: Optional[float]) -> Optional[float]:
        """Estimated USD, given prices per million input / output tokens."""
        if price_in is None or price_out is None:
            return None
        return (self.prompt_tokens * price_in + self.completion_tokens * price_out) / 1e6


class Judge:
    def __init__(self, cfg: JudgeConfig, cache: JudgeCache, spec: JudgeSpec = QA_JUDGE, key: Optional[str] = None,
                 retry_failed: bool = False):
        import openai

        check_dated(cfg.model)
        self.cfg = cfg
        self.spec = spec
        self.retry_failed = retry_failed
        self.cache = cache
        self.stats = JudgeStats()
        self.client = openai.AsyncOpenAI(api_key=key or api_key(), base_url=cfg.base_url,
                                         max_retries=0, timeout=cfg.timeout_s)

    async def _call(self, item: JudgeItem) -> Tuple[str, Tuple[int, int]]:
        """One completion (retries with backoff in :func:`evalkit.chat_api.complete`)."""
        retrying = chat_api.Retrying(self.cfg.max_retries, self.cfg.backoff_s, self.cfg.max_backoff_s)
        out = await chat_api.complete(self.client, retrying, model=self.cfg.model,
                                      messages=self.spec.messages(item.fields),
                                      temperature=self.cfg.temperature, max_tokens=self.cfg.max_tokens)
        self.stats.calls += out.calls
        self.stats.retries += out.calls - 1
        return out.text, (out.prompt_tokens, out.completion_tokens)

    async def judge_one(self, item: JudgeItem, sem: asyncio.Semaphore) -> Judgement:
        key = JudgeCache.key(self.cfg, self.spec, item)
        cached = self.cache.get(key)
        if cached is not None and (cached[1] is None or not self.retry_failed):
            self.stats.cache_hits += 1
            reply, error = cached
            if error:
                self.stats.failures += 1
                return Judgement(item.id, reply=reply, error=error, cached=True)
            pred, score = self.spec.parse(reply)
            return Judgement(item.id, pred, score, reply, cached=True)
        result = Judgement(item.id)
        failures = chat_api.call_failures()
        async with sem:
            for ask in range(self.cfg.max_reasks + 1):
                result.attempts = ask + 1
                try:
                    reply, usage = await self._call(item)
                except failures as exc:
                    # a refused call or a broken 200 body: this item's judge failure, not the run's end
                    result.error = f"judge call failed: {type(exc).__name__}: {str(exc)[:200]}"
                    break
                self.stats.prompt_tokens += usage[0]
                self.stats.completion_tokens += usage[1]
                result.reply = reply
                try:
                    result.pred, result.score = self.spec.parse(reply)
                except JudgeReplyError as exc:
                    result.error = f"unparsable judge reply after {ask + 1} ask(s): {exc}"
                    if ask < self.cfg.max_reasks:
                        self.stats.reasks += 1
                    continue
                result.error = None
                break
        if result.reply is not None:  # a reply came back: keep it, parsed or not (call errors are retried next time)
            self.cache.put_reply(key, self.cfg, self.spec, result.reply, result.error, usage)
        if result.error:
            self.stats.failures += 1
        return result

    async def judge_all(self, items: Sequence[JudgeItem], on_done: Optional[Callable[[Judgement], None]] = None) -> List[Judgement]:
        sem = asyncio.Semaphore(max(1, self.cfg.concurrency))
        start = time.perf_counter()

        async def run(item: JudgeItem) -> Judgement:
            j = await self.judge_one(item, sem)
            if on_done:
                on_done(j)
            return j

        try:
            return list(await asyncio.gather(*(run(i) for i in items)))
        finally:
            self.stats.wall_s += time.perf_counter() - start
            await self.client.close()


def judge_items(items: Sequence[JudgeItem], cfg: JudgeConfig, cache_path: Path, spec: JudgeSpec = QA_JUDGE,
                on_done: Optional[Callable[[Judgement], None]] = None, key: Optional[str] = None,
                retry_failed: bool = False) -> Tuple[List[Judgement], JudgeStats]:
    cache = JudgeCache(cache_path)
    try:
        judge = Judge(cfg, cache, spec, key, retry_failed)
        out = asyncio.run(judge.judge_all(items, on_done))
        return out, judge.stats
    finally:
        cache.close()
