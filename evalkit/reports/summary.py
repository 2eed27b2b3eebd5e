"""Terminal summaries (rich) of results.json."""
from __future__ import annotations

from typing import Dict, List, Tuple

from rich import box
from rich.table import Table

from ..schema import ProtocolResult, RunResults, TaskResult
from .numbers import judge_score, pct


def summary_table(results: RunResults) -> Table:
    model = results["model"]
    title = f"{results['run_name']}  ·  model {model['name']}"
    if model.get("untrained"):
        title += "  [bold red](UNTRAINED: random weights, scores are meaningless)[/]"
    caption = ("percent (judged tasks: accuracy | score 0-5, with the judge model); "
               "scored/n: the protocol's denominator / samples")
    table = Table(title=title, box=box.SIMPLE_HEAD, caption="\n".join([caption, *official_legend(results)]))
    for col in ("task", "protocol"):
        table.add_column(col, no_wrap=True)
    for col in ("score", "95% CI", "scored/n", "unparsed", "failed"):
        table.add_column(col, justify="right", no_wrap=True)
    for name, res in results["tasks"].items():
        for proto, r in res["by_protocol"].items():
            for label, row in _rows(proto, r):
                metric = next(iter(row["metrics"]))
                ci = row.get("ci95", {}).get(metric)
                value = pct(row["metrics"][metric])
                if "score" in row["metrics"]:  # judged: accuracy | mean judge score (0-5)
                    value += f" | {judge_score(row['metrics']['score'])}"
                table.add_row(
                    name, label, value, f"{ci[0]:.1f}-{ci[1]:.1f}" if ci else "-",
                    f"{row['n_scored']}/{row['n']}", str(row["n_unparsed"]), str(row["n_failed"]),
                )
    return table


def official_legend(results: RunResults) -> List[str]:
    """One line per upstream reference of the official protocols shown, naming its tasks."""
    tasks_of: Dict[str, List[str]] = {}
    for name, res in results["tasks"].items():
        official = res["by_protocol"].get("official")
        ref = official.get("official_ref") if official else None
        if ref:
            tasks_of.setdefault(ref["label"], []).append(name)
    return [f"official ({', '.join(names)}): {label}" for label, names in tasks_of.items()]


def _rows(proto: str, r: ProtocolResult) -> List[Tuple[str, ProtocolResult]]:
    """One row per protocol; judged tasks: one per judge, labelled with the judge and its score."""
    if "by_judge" not in r:
        return [(proto, r)]
    if not r["by_judge"]:
        return [(f"{proto} (not judged yet: evalkit judge RUN)", r)]
    return [(f"{proto} · {m}", j) for m, j in r["by_judge"].items()]


def breakdown_table(name: str, result: TaskResult, key: str) -> Table:
    table = Table(title=f"{name} by {key} ({result['protocol']})")
    for col in (key, "accuracy", "scored", "n"):
        table.add_column(col, justify="left" if col == key else "right")
    for value, r in result["breakdown"].get(key, {}).items():
        table.add_row(value, pct(r["accuracy"]), str(r["n_scored"]), str(r["n"]))
    return table
