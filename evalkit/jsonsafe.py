"""Text that is always valid UTF-8, whatever a model or judge returned.

A reply may hold an unpaired surrogate (``"B \\ud800"`` is valid JSON and a valid Python str, but
no UTF-8 encoder takes it). JSON written by evalkit escapes such code points (``\\ud800``, which
reads back as the same string); text for a terminal, an HTML page or a database gets them as a
visible ``\\ud800``. Nothing else changes: the response is kept.
"""
from __future__ import annotations

import json
import re
from typing import Any

LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def escape_surrogates(text: str) -> str:
    """``text`` with each unpaired surrogate written as a visible ``\\uXXXX``."""
    return LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def dumps(data: Any, **kw: Any) -> str:
    """``json.dumps`` (UTF-8 text kept as is) whose output always encodes as UTF-8: unpaired
    surrogates, which can only stand inside JSON strings, become JSON escapes."""
    return escape_surrogates(json.dumps(data, ensure_ascii=False, **kw))
