"""Terminal tables that never cut an identifier.

A report offers its layouts from widest to narrowest (e.g. runs as rows, then tasks as rows,
then one row per run and task, then long names abbreviated with a legend); the first whose
natural width fits the console is printed. Columns fold instead of ending in "...", so even a
table that cannot fit wraps its numbers rather than hiding them, and legends are printed below
the table at the console's width, not squeezed into the table's caption.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Sequence

from rich import box
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text


def table(title: str = "") -> Table:
    """The house table style (compact, left-aligned title)."""
    return Table(title=title or None, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)


def add_columns(t: Table, headers: Sequence[str], left: int = 1) -> None:
    """The first ``left`` columns hold identifiers: left-aligned and never wrapped (a layout
    that fits is chosen instead); the others are numbers and notes, which wrap rather than
    truncate when a table is squeezed."""
    for k, h in enumerate(headers):
        if k < left:
            t.add_column(h, justify="left", no_wrap=True)
        else:
            t.add_column(h, justify="right", overflow="fold")


def width_of(console: Console, renderable: RenderableType) -> int:
    """The natural width of ``renderable`` (measured as if the console were unbounded); prose
    (``Text``, which wraps between words) does not count, tables do."""
    if isinstance(renderable, Text):
        return 0
    if isinstance(renderable, Group):
        return max((width_of(console, r) for r in renderable.renderables), default=0)
    return Measurement.get(console, console.options.update(max_width=100_000), renderable).maximum


def first_fitting(console: Console, layouts: Sequence[Callable[[], RenderableType]]) -> RenderableType:
    """The first layout whose natural width fits ``console``; the last one otherwise."""
    for make in layouts[:-1]:
        shown = make()
        if width_of(console, shown) <= console.width:
            return shown
    return layouts[-1]()


def with_legend(body: RenderableType, lines: Sequence[str]) -> RenderableType:
    """``body`` followed by legend lines (printed at the console's width)."""
    return Group(body, *(Text(line) for line in lines)) if lines else body


class Abbreviations:
    """Short keys (R1, R2, ...) for long names, and the legend that spells them out."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.keys: Dict[str, str] = {}

    def __call__(self, name: str) -> str:
        return self.keys.setdefault(name, f"{self.prefix}{len(self.keys) + 1}")

    def legend(self) -> List[str]:
        return [f"{key} = {name}" for name, key in self.keys.items()]
