"""Accuracy with explicit denominators, breakdowns and clustered bootstrap confidence intervals.

Scores are per-record values under one protocol: 1.0 right, 0.0 wrong, None left out of the
denominator (e.g. official Video-MME drops unanswered items). Percentages are 0-100.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Dict, Hashable, List, Mapping, Optional, Sequence

import numpy as np

from ..schema import GroupSummary

N_BOOTSTRAP = 2000


def clustered_bootstrap_ci(
    scores: Sequence[Optional[float]],
    clusters: Sequence[Hashable],
    n_boot: int = N_BOOTSTRAP,
    seed: int = 0,
    level: float = 0.95,
    scale: float = 100.0,
) -> Optional[List[float]]:
    """Percentile CI of the mean score (times ``scale``: percent by default), resampling whole
    clusters with replacement.

    Items of one cluster (e.g. the three questions on one Video-MME video) are not independent;
    resampling clusters keeps the interval honest. None scores count in neither numerator nor
    denominator, as in the point estimate.
    """
    ids: Dict[Hashable, int] = {}
    num: Dict[int, float] = defaultdict(float)
    den: Dict[int, float] = defaultdict(float)
    for s, c in zip(scores, clusters):
        k = ids.setdefault(c, len(ids))
        if s is not None:
            num[k] += s
            den[k] += 1
    if not ids or sum(den.values()) == 0:
        return None
    nums = np.array([num[k] for k in range(len(ids))])
    dens = np.array([den[k] for k in range(len(ids))])
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(ids), size=(n_boot, len(ids)))
    with np.errstate(invalid="ignore", divide="ignore"):
        stats = nums[draws].sum(axis=1) / dens[draws].sum(axis=1)
    alpha = (1 - level) / 2
    lo, hi = np.nanquantile(stats, [alpha, 1 - alpha])
    return [float(scale * lo), float(scale * hi)]


def clustered_bootstrap_macro_ci(
    scores: Sequence[Optional[float]],
    clusters: Sequence[Hashable],
    groups: Sequence[Any],
    n_boot: int = N_BOOTSTRAP,
    seed: int = 0,
    level: float = 0.95,
) -> Optional[List[float]]:
    """Percentile CI (percent) of the macro average over ``groups`` (each item's field value;
    list values put an item in each listed group, as :func:`breakdown` does), resampling whole
    clusters: each resample's group accuracies averaged, groups with nothing scored skipped, as
    :func:`macro_average` does."""
    ids: Dict[Hashable, int] = {}
    names: Dict[str, int] = {}
    cells: List[tuple] = []
    for s, c, value in zip(scores, clusters, groups):
        k = ids.setdefault(c, len(ids))
        for g in groups_of(value):
            cells.append((k, names.setdefault(g, len(names)), s))
    if not any(s is not None for _, _, s in cells):
        return None
    num = np.zeros((len(ids), len(names)))
    den = np.zeros((len(ids), len(names)))
    for k, g, s in cells:
        if s is not None:
            num[k, g] += s
            den[k, g] += 1
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(ids), size=(n_boot, len(ids)))
    with np.errstate(invalid="ignore", divide="ignore"):
        per_group = num[draws].sum(axis=1) / den[draws].sum(axis=1)  # (n_boot, groups), NaN where empty
        present = (~np.isnan(per_group)).sum(axis=1)
        stats = np.nansum(per_group, axis=1) / present  # NaN for a resample with nothing scored
    alpha = (1 - level) / 2
    lo, hi = np.nanquantile(stats, [alpha, 1 - alpha])
    return [float(100 * lo), float(100 * hi)]


def accuracy(scores: Sequence[Optional[float]]) -> GroupSummary:
    kept = [s for s in scores if s is not None]
    return {
        "accuracy": 100.0 * sum(kept) / len(kept) if kept else None,
        "n": len(scores),
        "n_scored": len(kept),
        "n_correct": float(sum(kept)),
    }


def groups_of(value: Any) -> List[str]:
    """The groups one item belongs to: a list-valued field (e.g. Perception Test tags) puts the
    item in each distinct listed group once; any other value is one group."""
    if isinstance(value, (list, tuple)):
        return list(dict.fromkeys(str(v) for v in value))
    return [str(value)]


def breakdown(
    scores: Sequence[Optional[float]], fields: Sequence[Mapping[str, Any]], keys: Sequence[str]
) -> Dict[str, Dict[str, GroupSummary]]:
    """{key: {value: accuracy summary}} for each breakdown key, values in first-seen order."""
    out: Dict[str, Dict[str, GroupSummary]] = {}
    for key in keys:
        groups: Dict[str, List[Optional[float]]] = {}
        for s, f in zip(scores, fields):
            for g in groups_of(f.get(key)):
                groups.setdefault(g, []).append(s)
        out[key] = {value: accuracy(group) for value, group in groups.items()}
    return out


def macro_average(group_summaries: Mapping[str, GroupSummary]) -> Optional[float]:
    """Unweighted mean of the groups' accuracies (groups with nothing scored are skipped)."""
    values = [g["accuracy"] for g in group_summaries.values() if g["accuracy"] is not None]
    return sum(values) / len(values) if values else None
