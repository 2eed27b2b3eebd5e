"""The SQLite store of judge replies; one file can hold many judges and prompt versions."""
from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Tuple

from .specs import JudgeItem, JudgeSpec

if TYPE_CHECKING:
    from .client import JudgeConfig


class JudgeCache:
    """Replies keyed by judge model, prompt hash, temperature and the item's fields."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path))
        # WAL + NORMAL: a commit per reply stays cheap yet survives a crash of this process
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, model TEXT, prompt_sha TEXT, "
                        "reply TEXT, error TEXT, prompt_tokens INTEGER, completion_tokens INTEGER, created REAL)")
        self.db.commit()

    @staticmethod
    def key(cfg: JudgeConfig, spec: JudgeSpec, item: JudgeItem) -> str:
        raw = json.dumps([cfg.model, spec.sha, cfg.temperature, dict(sorted(item.fields.items()))])
        return hashlib.sha256(raw.encode()).hexdigest()

    def get(self, key: str) -> Optional[Tuple[str, Optional[str]]]:
        """(reply, error) stored for ``key``; error is set for replies that never parsed."""
        row = self.db.execute("SELECT reply, error FROM replies WHERE key = ?", (key,)).fetchone()
        return (row[0], row[1]) if row else None

    def put(self, key: str, cfg: JudgeConfig, spec: JudgeSpec, reply: str, error: Optional[str],
            usage: Tuple[int, int]) -> None:
        self.db.execute("INSERT OR REPLACE INTO replies VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (key, cfg.model, spec.sha, reply, error, usage[0], usage[1], time.time()))
        self.db.commit()

    def close(self) -> None:
        self.db.close()
