"""Calling OpenAI-compatible chat-completions endpoints (the OpenAI API, vLLM, SGLang), shared by
the judge and the ``openai-chat`` model adapter.

One completion at a time is :func:`complete`: rate limits, 5xx, timeouts and dropped connections
are retried with exponential backoff (Retry-After honoured on 429); a 200 whose body is no
completion raises :class:`MalformedReply`. Replies are kept in a :class:`ReplyCache` (SQLite) so
the same request costs nothing the second time. Keys come from the environment only; URLs are
written without the credentials a user may have put in them (:mod:`evalkit.redaction`).
"""
from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple, Type

from .errors import ConfigError
from .jsonsafe import escape_surrogates
from .redaction import redact_url


class MalformedReply(Exception):
    """An HTTP 200 whose body is no chat completion (an HTML page, JSON without choices)."""


def endpoint(base_url: Optional[str]) -> str:
    """The endpoint an openai client given ``base_url`` talks to, from wherever it takes it (the
    argument, else $OPENAI_BASE_URL, else the OpenAI API), without its credentials."""
    import openai

    resolved = str(openai.OpenAI(api_key="unused", base_url=base_url).base_url)
    return redact_url(resolved, "the endpoint URL") or resolved


def api_key(names: Sequence[str], what: str) -> str:
    """The first of the environment variables ``names`` that is set."""
    for name in names:
        if os.environ.get(name):
            return os.environ[name]
    raise ConfigError(f"no {what} API key: set {' or '.join(names)} in the environment")


def retry_after(exc: Exception) -> Optional[float]:
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


@dataclass
class Retrying:
    """How hard one call tries."""

    max_retries: int = 5  # per call, for 429 / 5xx / timeouts / connection errors
    backoff_s: float = 1.0  # first backoff; doubles per retry, with jitter
    max_backoff_s: float = 60.0


@dataclass
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    model: Optional[str]  # the model the server says answered
    calls: int  # HTTP calls made, retries included


async def complete(client: Any, retrying: Retrying, **request: Any) -> Completion:
    """One chat completion, retrying what is worth retrying."""
    import openai

    for attempt in range(retrying.max_retries + 1):
        try:
            out = await client.chat.completions.create(**request)
            if isinstance(out, (str, bytes)) or not getattr(out, "choices", None):
                raise MalformedReply(f"the endpoint answered 200 without a completion: {str(out)[:120]!r}")
            usage = out.usage
            return Completion(out.choices[0].message.content or "", usage.prompt_tokens if usage else 0,
                              usage.completion_tokens if usage else 0, getattr(out, "model", None), attempt + 1)
        except (openai.RateLimitError, openai.InternalServerError, openai.APITimeoutError,
                openai.APIConnectionError) as exc:
            if attempt == retrying.max_retries:
                raise
            wait = retry_after(exc) if isinstance(exc, openai.RateLimitError) else None
            if wait is None:
                wait = min(retrying.backoff_s * 2 ** attempt, retrying.max_backoff_s) * (0.5 + random.random() / 2)
            await asyncio.sleep(min(wait, retrying.max_backoff_s))
    raise AssertionError("unreachable")


# what a call can end in without ending the run: recorded as that item's failure
CALL_FAILURES: Tuple[Type[BaseException], ...] = (MalformedReply, ValueError, TypeError, AttributeError)


def call_failures() -> Tuple[Type[BaseException], ...]:
    import openai

    return (openai.OpenAIError, *CALL_FAILURES)


class ReplyCache:
    """Replies keyed by the caller's request key; one file can hold many models and prompts."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path))
        # WAL + NORMAL: a commit per reply stays cheap yet survives a crash of this process
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, model TEXT, prompt_sha TEXT, "
                        "reply TEXT, error TEXT, prompt_tokens INTEGER, completion_tokens INTEGER, created REAL)")
        self.db.commit()

    def get(self, key: str) -> Optional[Tuple[str, Optional[str]]]:
        """(reply, error) stored for ``key``; error is set for replies that never parsed."""
        row = self.db.execute("SELECT reply, error FROM replies WHERE key = ?", (key,)).fetchone()
        return (row[0], row[1]) if row else None

    def usage(self, key: str) -> Tuple[int, int]:
        row = self.db.execute("SELECT prompt_tokens, completion_tokens FROM replies WHERE key = ?", (key,)).fetchone()
        return (row[0] or 0, row[1] or 0) if row else (0, 0)

    def put(self, key: str, model: str, tag: str, reply: str, error: Optional[str], usage: Tuple[int, int]) -> None:
        """Store a reply (unpaired surrogates a server sent kept as visible escapes: SQLite
        stores UTF-8 only)."""
        self.db.execute("INSERT OR REPLACE INTO replies VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (key, model, tag, escape_surrogates(reply), error and escape_surrogates(error), usage[0],
                         usage[1], time.time()))
        self.db.commit()

    def close(self) -> None:
        self.db.close()


def bounded(coros: List[Any], concurrency: int) -> List[Any]:
    """``coros`` wrapped so that at most ``concurrency`` of them run at once."""
    sem = asyncio.Semaphore(max(1, concurrency))

    async def one(c: Any) -> Any:
        async with sem:
            return await c

    return [one(c) for c in coros]
