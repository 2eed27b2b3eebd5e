"""``evalkit sweep``: one resumable run per point of a grid over model arguments, tabulated.

``tokens_per_frame`` is a derived grid key, as in the paper's Table 6: it sets
``max_frames = max_visual_tokens // tokens_per_frame``.
"""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import pandas as pd

from .errors import ConfigError
from .model import parse_model_args
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


def points(grid: Dict[str, List[str]], base: Dict[str, str]) -> List[Tuple[Dict[str, str], Dict[str, str]]]:
    """(grid point, resulting model args) for every combination."""
    out = []
    keys = list(grid)
    for values in itertools.product(*(grid[k] for k in keys)):
        point = dict(zip(keys, values))
        args = {**base, **{k: v for k, v in point.items() if k != "tokens_per_frame"}}
        if "tokens_per_frame" in point:
            if "max_visual_tokens" not in args:
                raise ConfigError("tokens_per_frame needs max_visual_tokens (in --grid or --model-args)")
            tpf, n_max = positive_int("tokens_per_frame", point["tokens_per_frame"]), \
                positive_int("max_visual_tokens", args["max_visual_tokens"])
            if tpf > n_max:
                raise ConfigError(f"tokens_per_frame={tpf} exceeds max_visual_tokens={n_max}: no frame would fit")
            args["max_frames"] = str(n_max // tpf)
        out.append((point, args))
    return out


def positive_int(key: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"--grid {key}={raw!r}: expected an integer") from None
    if value < 1:
        raise ConfigError(f"--grid {key}={value}: must be >= 1")
    return value


def run_sweep(tasks: List[str], model: str, model_args: str, grid: Dict[str, List[str]], data: Optional[str],
              limit: Optional[int], output: Path, name: str, seed: int, progress=None) -> pd.DataFrame:
    rows = []
    for point, args in points(grid, parse_model_args(model_args)):
        run_name = name + "".join(f"__{k}-{v}" for k, v in point.items())
        config = RunConfig(tasks=tasks, model=model, model_args=",".join(f"{k}={v}" for k, v in args.items()),
                           data=data, limit=limit, seed=seed, output=output, run_name=run_name)
        runner = Runner(config)
        run = runner.execute(progress)
        results = score_run(run)
        row = {**point, "max_frames": args.get("max_frames"), "run": run_name}
        for t in tasks:
            metrics = results["tasks"][t]["metrics"]
            row[t] = next(iter(metrics.values()))
        rows.append(row)
    return pd.DataFrame(rows)


def table6_style(df: pd.DataFrame, task: str = "videomme") -> pd.DataFrame:
    """The sweep laid out like Table 6: # Tokens/F, # Max Tokens, # Max Frames, score."""
    cols = {"tokens_per_frame": "# Tokens/F", "max_visual_tokens": "# Max Tokens", "max_frames": "# Max Frames"}
    out = df[[c for c in cols if c in df.columns]].rename(columns=cols)
    if task in df.columns:
        out[task] = df[task].map(lambda x: "-" if x is None else f"{x:.1f}%")
    out["run"] = df["run"]
    return out
