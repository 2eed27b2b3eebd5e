"""``evalkit sweep``: one resumable run per point of a grid over model arguments, tabulated.

A grid key may be one the adapter derives arguments from (its ``sweep_args`` hook: Dynamic-VLM's
``tokens_per_frame``, the paper's Table 6 axis, sets ``max_frames``); the table shows the grid
keys and the derived arguments under the adapter's ``sweep_headings``, then each task's score.
"""
from __future__ import annotations

import dataclasses
import hashlib
import itertools
import re
from typing import Any, Dict, List, Mapping, Sequence, Tuple, Type

import pandas as pd

from .errors import ConfigError
from .model import ModelAdapter, parse_model_args
from .registry import MODELS
from .results import score_run
from .config import RunConfig
from .runner import Runner


def parse_grid(items: Sequence[str]) -> Dict[str, List[str]]:
    grid: Dict[str, List[str]] = {}
    for item in items:
        key, sep, values = item.partition("=")
        if not sep or not values:
            raise ConfigError(f"--grid {item!r}: expected key=v1,v2,...")
        grid[key.strip()] = [v.strip() for v in values.split(",") if v.strip()]
    if not grid:
        raise ConfigError("give at least one --grid key=v1,v2")
    return grid


def points(grid: Dict[str, List[str]], base: Dict[str, str], model_cls: Type[ModelAdapter]
           ) -> List[Tuple[Dict[str, str], Dict[str, str]]]:
    """(grid point, resulting model args) for every combination."""
    keys = list(grid)
    return [(point, model_cls.sweep_args({**base, **point}))
            for point in (dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys)))]


def point_name(prefix: str, point: Mapping[str, str]) -> str:
    """A run name for a grid point: ``<prefix>__<key>-<value>...``, values made folder-safe (a
    path's separators replaced, with a short hash so two paths never share a name)."""
    parts = []
    for key, value in point.items():
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", value).strip("._") or "v"
        if safe != value:
            safe = f"{safe[-40:]}-{hashlib.sha256(value.encode()).hexdigest()[:6]}"
        parts.append(f"__{key}-{safe}")
    return prefix + "".join(parts)


def run_sweep(base: RunConfig, grid: Dict[str, List[str]], name: str, progress: Any = None) -> pd.DataFrame:
    """One run of ``base`` per grid point (resumable like any run), and each task's headline."""
    rows = []
    model_cls = MODELS.get(base.model)
    fixed = parse_model_args(base.model_args)
    for point, args in points(grid, fixed, model_cls):
        run_name = point_name(name, point)
        config = dataclasses.replace(base, model_args=",".join(f"{k}={v}" for k, v in args.items()), run_name=run_name)
        run = Runner(config).execute(progress)
        results = score_run(run)
        derived = {k: v for k, v in args.items() if k not in point and fixed.get(k) != v}
        row: Dict[str, Any] = {**point, **derived, "run": run_name}
        for t in base.tasks:
            metrics = results["tasks"][t]["metrics"]
            row[t] = next(iter(metrics.values()))
        rows.append(row)
    return pd.DataFrame(rows)


def sweep_table(df: pd.DataFrame, tasks: Sequence[str], headings: Mapping[str, str]) -> pd.DataFrame:
    """Grid and derived arguments (the adapter's headed ones first, in its order), each task's
    headline score in percent, and the run name: Dynamic-VLM's sweep reads like Table 6."""
    args = [c for c in df.columns if c not in (*tasks, "run")]
    order = [c for c in headings if c in args] + [c for c in args if c not in headings]
    out = df[order].rename(columns=dict(headings))
    for t in tasks:
        out[t] = df[t].map(lambda x: "-" if x is None or pd.isna(x) else f"{x:.1f}%")
    out["run"] = df["run"]
    return out
