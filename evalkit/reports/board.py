"""The leaderboard's content: runs as rows, one column per task and comparable variant, each cell
the headline metric with its 95% CI. Every results.json is read through the validated loader; a
file that cannot be used is listed (``Board.unusable``) and the board shows the others.

A column never mixes numbers produced differently: when runs of one task differ in what decides
comparability (``results.comparability``) or in frame sampling, the task gets one column per
variant, marked (a), (b), ... with a legend saying what each variant is.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Sequence, Tuple

import pandas as pd

from ..errors import ConfigError, EvalkitError
from ..results import comparability
from ..store import RESULTS_JSON, RunDir, load_results


@dataclass
class Column:
    task: str
    variant: Dict[str, Any]
    label: str = ""


@dataclass
class Board:
    runs: List[Dict[str, Any]]  # results.json contents, with "run_dir"
    columns: List[Column]
    cells: Dict[Tuple[str, int], Dict[str, Any]] = field(default_factory=dict)  # (run name, column) -> value
    legend: List[str] = field(default_factory=list)
    unusable: List[str] = field(default_factory=list)  # "<path>: <why>" of results files left out

    def frame(self, with_ci: bool = True) -> pd.DataFrame:
        rows = []
        for run in self.runs:
            row = {"run": run["run_name"] + model_label(run["model"]), "model": run["model"]["name"]}
            for k, col in enumerate(self.columns):
                cell = self.cells.get((run["run_name"], k))
                row[col.label] = format_cell(cell, with_ci) if cell else "-"
            rows.append(row)
        return pd.DataFrame(rows)

    def notes(self) -> List[str]:
        """The legend, then one line per results file that could not be used."""
        return [*self.legend, *(f"left out: {u}" for u in self.unusable)]


def find_results(paths: Sequence[str]) -> List[Path]:
    """results.json files of the given run dirs, or of every run below a results root."""
    found: List[Path] = []
    for p in map(Path, paths):
        if (p / RESULTS_JSON).is_file():
            found.append(p / RESULTS_JSON)
        elif p.is_dir():
            found.extend(sorted(p.glob(f"*/{RESULTS_JSON}")))
        else:
            raise ConfigError(f"{p}: not a run dir or a folder of runs")
    if not found:
        raise ConfigError(f"no results.json under {', '.join(paths)}: run `evalkit score RUN` first")
    return found


@dataclass
class RunFiles:
    """A run's name, folder, results.json and run.json."""

    name: str
    path: Path
    results: Mapping[str, Any]
    info: Mapping[str, Any]


def chosen_runs(paths: Sequence[str]) -> List[RunFiles]:
    """The runs of ``paths`` (run dirs, or folders of runs), validated; a file that cannot be
    used is an error naming it (unlike the leaderboard's, a plot or paper table is made of runs
    the user chose)."""
    runs = []
    for p in find_results(paths):
        run = RunDir(p.parent)
        results = run.load_results()
        runs.append(RunFiles(results["run_name"], run.path, results, run.load_run()))
    return runs


def load_runs(paths: Sequence[str]) -> Tuple[List[Dict[str, Any]], List[str]]:
    """(results of every usable run, each with "run_dir"; "<path>: <why>" of the others)."""
    runs, unusable = [], []
    for path in find_results(paths):
        try:
            data: Dict[str, Any] = dict(load_results(path))
        except EvalkitError as exc:
            unusable.append(str(exc))
            continue
        data["run_dir"] = str(path.parent)
        runs.append(data)
    if not runs:
        raise ConfigError("no usable results.json: " + "; ".join(unusable))
    return runs, unusable


def model_label(model: Dict[str, Any]) -> str:
    """What a run's name is marked with wherever it is shown: random weights or a toy checkpoint."""
    return " (untrained)" if model.get("untrained") else " (toy)" if model.get("toy") else ""


def variant_of(run: Dict[str, Any], task_result: Dict[str, Any]) -> Dict[str, Any]:
    v = comparability(task_result)
    v["sampling"] = json.dumps(run.get("sampling"), sort_keys=True)
    return v


def headline(task_result: Mapping[str, Any]) -> Dict[str, Any]:
    metric = next(iter(task_result["metrics"]))
    ci = task_result.get("ci95", {}).get(metric)  # a macro headline's own CI (older results have none)
    out = {"metric": metric, "value": task_result["metrics"][metric], "ci": ci}
    if "score" in task_result["metrics"]:
        out["score"] = task_result["metrics"]["score"]
    if task_result.get("complete") is False:  # a --limit or unfinished run: marked wherever shown
        out["partial"] = f"{task_result['n']}/{task_result.get('n_expected')}"
    return out


def format_cell(cell: Dict[str, Any], with_ci: bool = True) -> str:
    if cell["value"] is None:
        text = "-"
    else:
        text = f"{cell['value']:.1f}"
        if "score" in cell and cell["score"] is not None:
            text += f"/{cell['score']:.2f}"
        if with_ci and cell.get("ci"):
            text += f" [{cell['ci'][0]:.1f}, {cell['ci'][1]:.1f}]"
    if cell.get("partial"):
        text += f" (partial {cell['partial']})"
    return text


def build(paths: Sequence[str]) -> Board:
    runs, unusable = load_runs(paths)
    names = [r["run_name"] for r in runs]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ConfigError(f"two runs are named {', '.join(sorted(dupes))}: give them distinct --run-name")
    tasks: List[str] = list(dict.fromkeys(t for r in runs for t in r["tasks"]))
    board = Board(runs, [], unusable=unusable)
    for task in tasks:
        variants: List[Dict[str, Any]] = []
        for run in runs:
            if task in run["tasks"]:
                v = variant_of(run, run["tasks"][task])
                if v not in variants:
                    variants.append(v)
        for i, v in enumerate(variants):
            mark = f" ({chr(ord('a') + i)})" if len(variants) > 1 else ""
            board.columns.append(Column(task, v, task + mark))
            if mark:
                board.legend.append(f"{task}{mark}: " + describe_variant(v, variants))
        for run in runs:
            if task in run["tasks"]:
                v = variant_of(run, run["tasks"][task])
                k = next(i for i, c in enumerate(board.columns) if c.task == task and c.variant == v)
                board.cells[(run["run_name"], k)] = headline(run["tasks"][task])
    return board


def describe_variant(v: Dict[str, Any], all_variants: List[Dict[str, Any]]) -> str:
    """The fields that tell this variant from the others of its task."""
    keys = [k for k in v if any(o[k] != v[k] for o in all_variants)]
    shown = {k: ("none (the model read no pixels)" if k == "sampling" and v[k] == "null" else v[k]) for k in keys}
    return "; ".join(f"{k}={shown[k]}" for k in keys)


