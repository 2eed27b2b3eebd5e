"""Number formatting shared by every report."""
from __future__ import annotations

from typing import Optional


def pct(x: Optional[float], suffix: str = "") -> str:
    """A percentage with one decimal ('60.9', or '60.9%' with suffix '%'), '-' when there is none."""
    return "-" if x is None else f"{x:.1f}{suffix}"


def judge_score(x: Optional[float]) -> str:
    """A mean judge score (0-5) with two decimals, '-' when there is none."""
    return "-" if x is None else f"{x:.2f}"
