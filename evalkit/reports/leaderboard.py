"""``evalkit leaderboard``: the board (:mod:`.board`) rendered for the terminal (rich), markdown,
csv, latex (booktabs) or html (a standalone page, :mod:`.html`)."""
from __future__ import annotations

from typing import Any, Callable, List, Optional

import pandas as pd
from rich.console import Console, RenderableType
from rich.table import Table

from ..errors import ConfigError
from .board import Board, format_cell, model_label
from .fit import Abbreviations, add_columns, first_fitting, table, with_legend
from .latex import to_latex


def markdown_cell(text: str) -> str:
    """A table cell that stays one cell and shows as text: pipes escaped, HTML neutralised."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def csv_cell(value: Any) -> Any:
    """Text a spreadsheet will not run as a formula (leading = + - @ tab or CR get a quote)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value



def render(board: Board, fmt: str) -> str:
    if fmt == "markdown":
        frame = board.frame().map(lambda v: markdown_cell(str(v)))
        frame.columns = [markdown_cell(str(c)) for c in frame.columns]
        out = frame.to_markdown(index=False, disable_numparse=True)
        legend = "\n".join(f"- {markdown_cell(x)}" for x in board.notes())
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
        return to_latex(board.frame(), caption="evalkit leaderboard: headline metric [95% CI]", notes=board.notes())
    if fmt == "html":
        from .html import to_html

        return to_html(board)
    raise ConfigError(f"unknown format {fmt!r}: terminal, markdown, csv, latex or html")


def terminal_view(board: Board, console: Console) -> RenderableType:
    """The board in the widest layout that fits: runs as rows; tasks as rows; one row per run
    and task; the last with run names abbreviated (R1, ...) and spelled out below."""
    title = "evalkit leaderboard (headline metric [95% CI])"
    names = {run["run_name"]: run["run_name"] + model_label(run["model"]) for run in board.runs}
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
        lambda: with_legend(wide(), board.notes()), lambda: with_legend(by_task(), board.notes()),
        lambda: with_legend(long(), board.notes()), lambda: with_legend(long(runs), [*runs.legend(), *board.notes()]),
    ]
    return first_fitting(console, layouts)
