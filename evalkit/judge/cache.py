"""The judge's reply cache: the shared SQLite store (:class:`evalkit.chat_api.ReplyCache`) keyed by
judge model, prompt hash, temperature and the item's fields."""
from __future__ import annotations

import hashlib
import json
from typing import Optional, Tuple

from ..chat_api import ReplyCache
from .config import JudgeConfig
from .specs import JudgeItem, JudgeSpec


class JudgeCache(ReplyCache):
    @staticmethod
    def key(cfg: JudgeConfig, spec: JudgeSpec, item: JudgeItem) -> str:
        raw = json.dumps([cfg.model, spec.sha, cfg.temperature, dict(sorted(item.fields.items()))])
        return hashlib.sha256(raw.encode()).hexdigest()

    def put_reply(self, key: str, cfg: JudgeConfig, spec: JudgeSpec, reply: str, error: Optional[str],
                  usage: Tuple[int, int]) -> None:
        self.put(key, cfg.model, spec.sha, reply, error, usage)
