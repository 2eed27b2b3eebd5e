"""``evalkit leaderboard``: runs as rows, tasks as columns (headline metric with its 95% CI).

A column never mixes numbers produced differently: when runs of one task differ in protocol,
extraction rule, denominator, frame-sampling spec, dataset revision or judge, the task gets one
column per variant, marked (a), (b), ... with a legend saying what each variant is.
Formats: terminal (rich), markdown, csv, latex (booktabs), html (standalone page, :mod:`.html`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import pandas as pd
from rich.console import Console, RenderableType
from rich.table import Table

from ..errors import ConfigError
from ..results import COMPARABILITY_KEYS
from ..store import RESULTS_JSON
from .fit import Abbreviations, add_columns, first_fitting, table, with_legend
from .latex import to_latex

VARIANT_KEYS = COMPARABILITY_KEYS


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

    def frame(self, with_ci: bool = True) -> pd.DataFrame:
        rows = []
        for run in self.runs:
            row = {"run": run["run_name"] + (" (untrained)" if run["model"].get("untrained") else ""), "model": run["model"]["name"]}
            for k, col in enumerate(self.columns):
                cell = self.cells.get((run["run_name"], k))
                row[col.label] = format_cell(cell, with_ci) if cell else "-"
            rows.append(row)
        return pd.DataFrame(rows)


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


def variant_of(run: Dict[str, Any], task_result: Dict[str, Any]) -> Dict[str, Any]:
    v = {k: task_result.get(k) for k in VARIANT_KEYS}
    v["sampling"] = json.dumps(run.get("sampling"), sort_keys=True)
    return v


def headline(task_result: Dict[str, Any]) -> Dict[str, Any]:
    metric = next(iter(task_result["metrics"]))
    ci = task_result.get("ci95", {}).get(metric) or task_result.get("ci95", {}).get("micro_accuracy")
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


def markdown_cell(text: str) -> str:
    """A table cell that stays one cell and shows as text: pipes escaped, HTML neutralised."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def csv_cell(value: Any) -> Any:
    """Text a spreadsheet will not run as a formula (leading = + - @ tab or CR get a quote)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def build(paths: Sequence[str]) -> Board:
    runs = []
    for path in find_results(paths):
        data = json.loads(path.read_text())
        data["run_dir"] = str(path.parent)
        runs.append(data)
    names = [r["run_name"] for r in runs]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise ConfigError(f"two runs are named {', '.join(sorted(dupes))}: give them distinct --run-name")
    tasks: List[str] = list(dict.fromkeys(t for r in runs for t in r["tasks"]))
    board = Board(runs, [])
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


def render(board: Board, fmt: str) -> str:
    if fmt == "markdown":
        frame = board.frame().map(lambda v: markdown_cell(str(v)))
        frame.columns = [markdown_cell(str(c)) for c in frame.columns]
        out = frame.to_markdown(index=False, disable_numparse=True)
        legend = "\n".join(f"- {markdown_cell(x)}" for x in board.legend)
        return out + (f"\n\n{legend}" if legend else "") + "\n"
    if fmt == "csv":
        rows = []
        for run in board.runs:
            for k, col in enumerate(board.columns):
                cell = board.cells.get((run["run_name"], k))
                if cell:
                    rows.append({"run": run["run_name"], "task": col.task, "column": col.label, "metric": cell["metric"],
                                 "value": cell["value"], "ci_low": (cell["ci"] or [None, None])[0],
                                 "ci_high": (cell["ci"] or [None, None])[1], "judge_score": cell.get("score"),
                                 "partial": cell.get("partial"),
                                 **{f"variant_{key}": val for key, val in col.variant.items()}})
        return pd.DataFrame(rows).map(csv_cell).to_csv(index=False)
    if fmt == "latex":
        return to_latex(board.frame(), caption="evalkit leaderboard: headline metric [95% CI]", notes=board.legend)
    if fmt == "html":
        from .html import to_html

        return to_html(board)
    raise ConfigError(f"unknown format {fmt!r}: terminal, markdown, csv, latex or html")


def terminal_view(board: Board, console: Console) -> RenderableType:
    """The board in the widest layout that fits: runs as rows; tasks as rows; one row per run
    and task; the last with run names abbreviated (R1, ...) and spelled out below."""
    title = "evalkit leaderboard (headline metric [95% CI])"
    names = {run["run_name"]: run["run_name"] + (" (untrained)" if run["model"].get("untrained") else "")
             for run in board.runs}
    cells = {(run["run_name"], col.label): board.cells.get((run["run_name"], k)) for run in board.runs
             for k, col in enumerate(board.columns)}

    def value(run: str, label: str) -> str:
        cell = cells[(run, label)]
        return format_cell(cell) if cell else "-"

    def wide() -> Table:
        t = table(title)
        add_columns(t, ("run", "model", *(c.label for c in board.columns)), left=2)
        for run in board.runs:
            t.add_row(names[run["run_name"]], run["model"]["name"], *(value(run["run_name"], c.label) for c in board.columns))
        return t

    def by_task() -> Table:
        t = table(title)
        add_columns(t, ("task", *names.values()))
        for c in board.columns:
            t.add_row(c.label, *(value(run, c.label) for run in names))
        return t

    def long(short: Optional[Abbreviations] = None) -> Table:
        t = table(title)
        add_columns(t, ("run", "task", "score [95% CI]"), left=2)
        for run in names:
            for c in board.columns:
                if cells[(run, c.label)]:
                    t.add_row(short(names[run]) if short else names[run], c.label, value(run, c.label))
        return t

    runs = Abbreviations("R")
    layouts: List[Callable[[], RenderableType]] = [
        lambda: with_legend(wide(), board.legend), lambda: with_legend(by_task(), board.legend),
        lambda: with_legend(long(), board.legend), lambda: with_legend(long(runs), [*runs.legend(), *board.legend]),
    ]
    return first_fitting(console, layouts)
