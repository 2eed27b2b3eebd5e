"""The standalone HTML leaderboard page: a sortable table, an SVG bar chart with CI whiskers per
column, per-run breakdowns in ``<details>``, and plots (matplotlib, inline SVG): accuracy with
its 95% CI per video-duration bucket and per category for the runs of each column, and with
``x`` the headline score against a run attribute (a checkpoint series). With ``viewer`` (the
href of an ``evalkit view`` page of the same runs) every score and every breakdown cell links
to its samples there. Everything from results files is escaped."""
from __future__ import annotations

import html
from typing import Any, Dict, List, Optional, Tuple

from ..errors import EvalkitError
from .board import Board, Column
from .numbers import pct


def to_html(board: Board, viewer: Optional[str] = None, plots: bool = True, x: Optional[str] = None,
            group: Optional[str] = None, seed: int = 0) -> str:
    """A standalone page: sortable table, a bar chart per task, plots, per-task breakdowns per run.
    ``viewer``: href of the samples page to link cells to; ``x``/``group``: the series plot's
    run attributes (see :mod:`.plots`)."""
    from .viewer import hash_link

    df = board.frame(with_ci=True)
    head = "".join(f'<th data-col="{i}">{html.escape(str(c))} &#x25B4;&#x25BE;</th>' for i, c in enumerate(df.columns))
    rows = []
    for run, values in zip(board.runs, df.itertuples(index=False)):
        cells = []
        for i, v in enumerate(values):
            text = html.escape(str(v))
            k = i - 2  # the first two columns are run and model
            if viewer and k >= 0 and board.cells.get((run["run_name"], k)):
                href = hash_link(viewer, task=board.columns[k].task, run=run["run_name"])
                text = f'<a href="{html.escape(href)}">{text}</a>'
            cells.append(f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    charts = "".join(bar_chart(board, k, col) for k, col in enumerate(board.columns))
    details = []
    for run in board.runs:
        parts = []
        for task, res in run["tasks"].items():
            body = []
            for key, groups in res.get("breakdown", {}).items():
                for val, summary in groups.items():
                    acc = pct(summary["accuracy"])
                    if viewer:
                        href = hash_link(viewer, facets={key: val}, task=task, run=run["run_name"])
                        acc = f'<a href="{html.escape(href)}">{acc}</a>'
                    body.append(f"<tr><td>{html.escape(key)}</td><td>{html.escape(str(val))}</td>"
                                f"<td>{acc}</td><td>{summary['n']}</td></tr>")
            parts.append(f"<h4>{html.escape(task)}</h4><table class='bd'><tr><th>by</th><th>group</th><th>accuracy</th>"
                         f"<th>n</th></tr>{''.join(body)}</table>")
        details.append(f"<details><summary>{html.escape(run['run_name'])}: breakdowns</summary>{''.join(parts)}</details>")
    notes = list(board.notes())
    figures = ""
    if plots:
        figures, plot_notes = plot_section(board, x, group, seed)
        notes += plot_notes
    legend = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    link_note = ("<p>Scores and breakdown cells link to their samples in the "
                 f"<a href=\"{html.escape(viewer)}\">sample viewer</a>.</p>" if viewer else "")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>evalkit leaderboard</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2em;color:#222}} table{{border-collapse:collapse;margin:1em 0}}
th,td{{padding:.35em .7em;border-bottom:1px solid #ddd;text-align:right}} th{{cursor:pointer;background:#f4f4f4}}
td:first-child,th:first-child,td:nth-child(2){{text-align:left}} td:first-child{{white-space:nowrap}} .charts{{display:flex;flex-wrap:wrap;gap:1.5em}}
.bd td,.bd th{{font-size:.85em}} h1{{font-size:1.4em}} figure{{margin:0}} figcaption{{font-size:.9em;color:#555}}
.plots{{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}} .plots svg{{max-width:100%;height:auto}}
a{{color:#1f5f9f}}
</style></head><body>
<h1>evalkit leaderboard</h1>
<p>Headline metric per task in percent with its 95% bootstrap CI (judged tasks: accuracy/score). Click a header to sort.</p>
{link_note}
<table id="board"><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>
<ul>{legend}</ul>
<div class="charts">{charts}</div>
{figures}
<h2>Breakdowns</h2>{''.join(details)}
<script>
let dir = 1;
function sortBy(i) {{
  const tb = document.querySelector('#board tbody');
  const rows = Array.from(tb.rows);
  const key = r => {{ const t = r.cells[i].textContent; const x = parseFloat(t); return isNaN(x) ? t : x; }};
  rows.sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0) * dir);
  dir = -dir; rows.forEach(r => tb.appendChild(r));
}}
document.querySelectorAll('#board th').forEach(th => th.addEventListener('click', () => sortBy(+th.dataset.col)));
</script></body></html>
"""


def plot_section(board: Board, x: Optional[str], group: Optional[str], seed: int) -> Tuple[str, List[str]]:
    """The plots' HTML (inline SVG) and notes on what could not be plotted: per column, accuracy
    by duration bucket (shown) and by category (folded); with ``x``, the series."""
    from .plots import breakdown_plots, inline_svg, scored_records

    notes: List[str] = []
    sections = []
    cache: Dict[Tuple[str, str], Any] = {}
    for k, col in enumerate(board.columns):
        runs: List[Tuple[str, Any]] = []
        for run in board.runs:
            if (run["run_name"], k) not in board.cells:
                continue
            key = (run["run_dir"], col.task)
            try:
                if key not in cache:
                    cache[key] = scored_records(run["run_dir"], col.task)
                runs.append((run["run_name"], cache[key]))
            except (EvalkitError, OSError) as exc:
                notes.append(f"plots of {col.label} leave out {run['run_name']}: {exc}")
        if not runs:
            continue
        try:
            made = breakdown_plots(col.task, runs, seed=seed, label=col.label)
        except EvalkitError as exc:
            notes.append(f"no plots of {col.label}: {exc}")
            continue
        shown = [p for p in made if p.stem.startswith("duration")]
        folded = [p for p in made if not p.stem.startswith("duration")]
        part = f"<h3>{html.escape(col.label)}</h3>"
        part += "<div class='plots'>" + "".join(figure(p.title, inline_svg(p.fig, p.stem)) for p in shown) + "</div>"
        if folded:
            part += (f"<details><summary>{html.escape(col.label)}: accuracy by category</summary><div class='plots'>"
                     + "".join(figure(p.title, inline_svg(p.fig, p.stem)) for p in folded) + "</div></details>")
        sections.append(part)
    if x:
        plot, left_out = series_of_board(board, x, group)
        if plot is not None:
            sections.insert(0, "<h3>Series</h3><div class='plots'>" + figure(plot.title, inline_svg(plot.fig, plot.stem))
                            + "</div>")
        if left_out:
            notes.append(f"not in the {x} series: {', '.join(left_out)}")
    if not sections:
        return "", notes
    return ("<h2>Plots</h2><p>Accuracy in percent with 95% clustered bootstrap CIs (videos resampled whole), "
            "per group of the runs in each column.</p>" + "".join(sections)), notes


def figure(title: str, svg: str) -> str:
    """An inline plot (its title is drawn in it; the label is for screen readers)."""
    return f"<figure aria-label=\"{html.escape(title)}\">{svg}</figure>"


def series_of_board(board: Board, x: str, group: Optional[str]) -> Tuple[Any, List[str]]:
    """The headline of each column against run attribute ``x`` (one line per column, or per
    column and value of ``group``)."""
    from .plots import Plot, Point, file_stem, run_attribute, series_figure
    from ..store import RunDir

    lines: Dict[str, List[Point]] = {}
    left_out: List[str] = []
    for run in board.runs:
        try:
            info: Dict[str, Any] = dict(RunDir(run["run_dir"]).load_run())
        except EvalkitError:
            info = {}
        xv = run_attribute(run["run_name"], run, info, x)
        gv = run_attribute(run["run_name"], run, info, group) if group else None
        if xv is None or (group and gv is None):
            left_out.append(f"{run['run_name']} (no numeric {x if xv is None else group})")
            continue
        for k, col in enumerate(board.columns):
            cell = board.cells.get((run["run_name"], k))
            if cell and cell["value"] is not None:
                key = col.label if not group else f"{col.label}, {group}={gv:g}"
                ci = (cell["ci"][0], cell["ci"][1]) if cell.get("ci") else None
                lines.setdefault(key, []).append(Point(xv, cell["value"], ci, run["run_name"]))
    title = f"headline score against {x}" + (f", by {group}" if group else "")
    fig = series_figure(title, x, lines)
    return (Plot(file_stem("series", x, group or ""), title, fig) if fig is not None else None), left_out


def bar_chart(board: Board, k: int, col: Column) -> str:
    """An inline SVG bar per run (with its CI whisker) for one column."""
    cells = [(run["run_name"], c) for run in board.runs
             if (c := board.cells.get((run["run_name"], k))) and c["value"] is not None]
    if not cells:
        return ""
    left = 10 + 7 * max(len(name) for name, _ in cells)  # room for whole run names (11 px text)
    span, bar, gap, h = 200, 22, 8, len(cells) * 30 + 10
    w = left + span + 50
    items = []
    for i, (name, c) in enumerate(cells):
        y = 5 + i * (bar + gap)
        x = left + c["value"] / 100 * span
        items.append(f'<text x="0" y="{y + 15}" font-size="11">{html.escape(name)}</text>'
                     f'<rect x="{left}" y="{y}" width="{x - left:.1f}" height="{bar}" fill="#4a7fb5"/>'
                     f'<text x="{x + 3:.1f}" y="{y + 15}" font-size="11">{c["value"]:.1f}</text>')
        if c.get("ci"):
            lo, hi = (left + v / 100 * span for v in c["ci"])
            items.append(f'<line x1="{lo:.1f}" x2="{hi:.1f}" y1="{y + bar / 2}" y2="{y + bar / 2}" stroke="#222"/>')
    return (f'<figure><figcaption>{html.escape(col.label)}</figcaption>'
            f'<svg width="{w}" height="{h}" role="img">{"".join(items)}</svg></figure>')

