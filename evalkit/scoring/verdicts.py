"""Judge verdicts attached to records while scoring, and which judge is primary.

A run can be judged by several judge models; ``load_judgements`` attaches them oldest judge first.
The primary judge, whose verdicts the headline numbers use, is the first one: every judged task
(open-ended QA, and the optional LLM matchers of TempCompass and MMIU) asks these helpers.
"""
from __future__ import annotations

from typing import List, Optional, Sequence

from ..schema import Record, Verdict


def judge_models(records: Sequence[Record]) -> List[str]:
    """The judge models that judged any of ``records``, primary (oldest) first."""
    return list(dict.fromkeys(m for r in records for m in (r.get("judgements") or {})))


def primary_verdict(record: Record) -> Optional[Verdict]:
    """The primary judge's verdict on ``record``, or None when it was not judged."""
    return next(iter((record.get("judgements") or {}).values()), None)
