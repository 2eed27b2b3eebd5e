"""The standalone HTML leaderboard page: a sortable table, an SVG bar chart with CI whiskers per
column, and per-run breakdowns in ``<details>``. Everything from results files is escaped."""
from __future__ import annotations

import html

from .board import Board, Column
from .numbers import pct


def to_html(board: Board) -> str:
    """A standalone page: sortable table, a bar chart per task, per-task breakdowns per run."""
    df = board.frame(with_ci=True)
    head = "".join(f'<th onclick="sortBy({i})">{html.escape(str(c))} &#x25B4;&#x25BE;</th>' for i, c in enumerate(df.columns))
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in df.itertuples(index=False))
    charts = "".join(bar_chart(board, k, col) for k, col in enumerate(board.columns))
    details = []
    for run in board.runs:
        parts = []
        for task, res in run["tasks"].items():
            rows = "".join(
                f"<tr><td>{html.escape(key)}</td><td>{html.escape(str(val))}</td>"
                f"<td>{pct(summary['accuracy'])}</td><td>{summary['n']}</td></tr>"
                for key, groups in res.get("breakdown", {}).items() for val, summary in groups.items())
            parts.append(f"<h4>{html.escape(task)}</h4><table class='bd'><tr><th>by</th><th>group</th><th>accuracy</th>"
                         f"<th>n</th></tr>{rows}</table>")
        details.append(f"<details><summary>{html.escape(run['run_name'])}: breakdowns</summary>{''.join(parts)}</details>")
    legend = "".join(f"<li>{html.escape(x)}</li>" for x in board.notes())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>evalkit leaderboard</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2em;color:#222}} table{{border-collapse:collapse;margin:1em 0}}
th,td{{padding:.35em .7em;border-bottom:1px solid #ddd;text-align:right}} th{{cursor:pointer;background:#f4f4f4}}
td:first-child,th:first-child,td:nth-child(2){{text-align:left}} td:first-child{{white-space:nowrap}} .charts{{display:flex;flex-wrap:wrap;gap:1.5em}}
.bd td,.bd th{{font-size:.85em}} h1{{font-size:1.4em}} figure{{margin:0}} figcaption{{font-size:.9em;color:#555}}
</style></head><body>
<h1>evalkit leaderboard</h1>
<p>Headline metric per task in percent with its 95% bootstrap CI (judged tasks: accuracy/score). Click a header to sort.</p>
<table id="board"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
<ul>{legend}</ul>
<div class="charts">{charts}</div>
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
</script></body></html>
"""


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
