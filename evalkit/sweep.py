"""``evalkit sweep``: one resumable run per point of a grid over model arguments, tabulated.

A grid key may be one the adapter derives arguments from (its ``sweep_args`` hook: Dynamic-VLM's
``tokens_per_frame``, the paper's Table 6 axis, sets ``max_frames``); the table shows the grid
keys and the derived arguments under the adapter's ``sweep_headings``, then each task's score.
"""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Type

import pandas as pd

from .errors import ConfigError
from .model import ModelAdapter, parse_model_args
from .registry import MODELS
from .results import score_run
from .runner import RunConfig, Runner


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


def run_sweep(tasks: List[str], model: str, model_args: str, grid: Dict[str, List[str]], data: Optional[str],
              limit: Optional[int], output: Path, name: str, seed: int, progress=None) -> pd.DataFrame:
    rows = []
    model_cls = MODELS.get(model)
    base = parse_model_args(model_args)
    for point, args in points(grid, base, model_cls):
        run_name = name + "".join(f"__{k}-{v}" for k, v in point.items())
        config = RunConfig(tasks=tasks, model=model, model_args=",".join(f"{k}={v}" for k, v in args.items()),
                           data=data, limit=limit, seed=seed, output=output, run_name=run_name)
        runner = Runner(config)
        run = runner.execute(progress)
        results = score_run(run)
        derived = {k: v for k, v in args.items() if k not in point and base.get(k) != v}
        row: Dict[str, Any] = {**point, **derived, "run": run_name}
        for t in tasks:
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
