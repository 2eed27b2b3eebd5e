"""Terminal summaries (rich) of results.json: one row per task and protocol (judged tasks: one
per judge), at any width without cutting a task, protocol or judge name (see :mod:`.fit`)."""
from __future__ import annotations

from typing import Callable, Dict, Iterator, List, Optional, Tuple

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..schema import JUDGED, ProtocolResult, RunResults, TaskResult
from .fit import Abbreviations, add_columns, first_fitting, table, with_legend
from .numbers import judge_score, pct

HEADERS = ("score", "95% CI", "scored/n", "unparsed", "failed")
EXPLAINED = ("percent (judged tasks: accuracy | score 0-5, with the judge model); "
             "scored/n: the protocol's denominator / samples")


def title_of(results: RunResults) -> Text:
    model = results["model"]
    title = Text(f"{results['run_name']} · model {model['name']}")
    if model.get("untrained"):
        title.append(" (UNTRAINED: random weights, scores are meaningless)", style="bold red")
    elif model.get("toy"):
        title.append(" (TOY checkpoint: scores mean nothing)", style="bold yellow")
    return title


def summary(results: RunResults, console: Console) -> RenderableType:
    """The run's scores, in the widest layout that fits ``console``: one table with a task
    column; one table per task; the same with judge models abbreviated (J1, ...)."""
    legend = [EXPLAINED, *official_legend(results), *task_notes(results)]
    layouts: List[Callable[[], RenderableType]] = [
        lambda: with_legend(one_table(results, None), legend),
        lambda: with_legend(per_task(results, None), legend),
    ]
    judges = Abbreviations("J")
    layouts.append(lambda: with_legend(per_task(results, judges), [*legend, *judges.legend()]))
    return Group(title_of(results), first_fitting(console, layouts))


def rows_of(results: RunResults, judges: Optional[Abbreviations]) -> Iterator[Tuple[str, List[str]]]:
    for name, res in results["tasks"].items():
        for proto, r in res["by_protocol"].items():
            for label, row in _rows(proto, r, judges):
                metric = next(iter(row["metrics"]))
                ci = row.get("ci95", {}).get(metric)
                value = pct(row["metrics"][metric])
                if "score" in row["metrics"]:  # judged: accuracy | mean judge score (0-5)
                    value += f" | {judge_score(row['metrics']['score'])}"
                yield name, [label, value, f"{ci[0]:.1f}-{ci[1]:.1f}" if ci else "-",
                             f"{row['n_scored']}/{row['n']}", str(row["n_unparsed"]), str(row["n_failed"])]


def one_table(results: RunResults, judges: Optional[Abbreviations]) -> Table:
    t = table()
    add_columns(t, ("task", "protocol", *HEADERS), left=2)
    for name, cells in rows_of(results, judges):
        t.add_row(name, *cells)
    return t


def per_task(results: RunResults, judges: Optional[Abbreviations]) -> RenderableType:
    tables: Dict[str, Table] = {}
    for name, cells in rows_of(results, judges):
        if name not in tables:
            tables[name] = table(name)
            add_columns(tables[name], ("protocol", *HEADERS))
        tables[name].add_row(*cells)
    return Group(*tables.values())


def official_legend(results: RunResults) -> List[str]:
    """One line per upstream reference of the official protocols shown, naming its tasks."""
    tasks_of: Dict[Tuple[str, str], List[str]] = {}
    for name, res in results["tasks"].items():
        for proto, result in res["by_protocol"].items():
            ref = result.get("official_ref")
            if ref:
                tasks_of.setdefault((proto, ref["label"]), []).append(name)
    return [f"{proto} ({', '.join(names)}): {label}" for (proto, label), names in tasks_of.items()]


def task_notes(results: RunResults) -> List[str]:
    """What the run's task plugins add under the table (figures that combine tasks); a task no
    longer installed adds nothing."""
    from ..errors import ConfigError
    from ..registry import TASKS

    notes: List[str] = []
    for name in results["tasks"]:
        try:
            task = TASKS.get(name)()
        except ConfigError:
            continue
        notes += task.summary_notes(results["tasks"])
    return notes


def _rows(proto: str, r: ProtocolResult, judges: Optional[Abbreviations]) -> List[Tuple[str, ProtocolResult]]:
    """One row per protocol; judged tasks: one per judge, labelled with the judge and its score."""
    if r["kind"] != JUDGED or "by_judge" not in r:
        return [(proto, r)]
    if not r["by_judge"]:
        return [(f"{proto} (not judged yet: evalkit judge RUN)", r)]
    return [(f"{proto} · {judges(m) if judges else m}", j) for m, j in r["by_judge"].items()]


def unreadable_line(results: RunResults) -> Optional[str]:
    """One line saying that no reply of the run could be read (e.g. an untrained model), or None."""
    rows = [(name, res) for name, res in results["tasks"].items() if res["n"] and not res.get("judge_model")]
    if not rows or any(p["n_unparsed"] + p["n_failed"] < p["n"] for _, res in rows
                       for p in res["by_protocol"].values()):
        return None
    n = sum(res["n"] for _, res in rows)
    return (f"{results['run_name']}: none of its {n} replies names an option under any protocol, "
            f"so it has no official score and strict counts every reply wrong")


def breakdown_table(name: str, result: TaskResult, key: str) -> Table:
    t = table(f"{name} by {key} ({result['protocol']})")
    add_columns(t, (key, "accuracy", "scored", "n"))
    for value, r in result["breakdown"].get(key, {}).items():
        t.add_row(value, pct(r["accuracy"]), str(r["n_scored"]), str(r["n"]))
    return t
