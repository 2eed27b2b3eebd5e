"""``evalkit demo`` (``make demo``): what evalkit is for, in about a minute on a CPU.

Two runs on the bundled Video-MME sample: a seeded random baseline and the tiny Dynamic-VLM with
random weights (clearly labelled untrained), then their paired comparison, the leaderboard and
the standalone HTML page, each printed the way the real commands print them.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, List

from rich.console import Console
from rich.text import Text

from .reports.compare import compare_runs, comparison_view
from .reports.board import build
from .reports.leaderboard import render, terminal_view
from .reports.summary import summary, unreadable_line
from .results import score_run
from .config import RunConfig
from .runner import Runner
from .schema import RunResults

TASK = "videomme"
BASELINE = "demo-random-baseline"
MODEL_RUN = "demo-tiny-untrained"


def run_demo(console: Console, output: Path, model: str, model_args: str,
             progress_factory: Callable[[Console], Any]) -> Path:
    """Run both, print what a user would look at, and return the HTML page's path."""
    console.print(Text.assemble(("evalkit demo", "bold"), ": Video-MME bundled sample (12 questions on 4 synthetic "
                                f"videos), a seeded random baseline vs {model} ({model_args or 'default args'})."))
    runs: List[Path] = []
    results: List[RunResults] = []
    with progress_factory(console) as progress:
        for name, m, args in ((BASELINE, "random", ""), (MODEL_RUN, model, model_args)):
            runner = Runner(RunConfig(tasks=[TASK], model=m, model_args=args, data="sample", output=output,
                                      run_name=name))
            run = runner.execute(progress)
            runs.append(run.path)
            results.append(score_run(run))
            for note in runner.notes:
                console.print(note, highlight=False)
    unreadable = [unreadable_line(res) for res in results]
    for res, line in zip(results, unreadable):
        if line:
            note = " (its weights are random: this is expected)" if res["model"].get("untrained") else ""
            console.print(Text(f"{line}{note}", style="yellow"))
        else:
            console.print(summary(res, console))
    # the untrained model's replies name no option, so nothing is answered under the official
    # protocol's answered-only denominator: pair the runs where every item counts
    protocol = "strict" if any(unreadable) else None
    console.print(Text.assemble("\n", ("Paired comparison", "bold"), f" (B = {MODEL_RUN}, A = {BASELINE}"
                                + (", strict protocol: every item counts" if protocol else "") + ")"))
    for row in compare_runs(str(runs[0]), str(runs[1]), [TASK], protocol=protocol):
        console.print(comparison_view(row, console, breakdowns=False))
    board = build([str(p) for p in runs])
    console.print(terminal_view(board, console))
    page = output / "demo-leaderboard.html"
    page.write_text(render(board, "html"), encoding="utf-8")
    console.print(f"HTML leaderboard: {page}")
    console.print(f"Per-category comparison: evalkit compare {runs[0]} {runs[1]}"
                  + (" --protocol strict" if protocol else ""), highlight=False)
    console.print("Next: your checkpoint on real data, `evalkit run --task videomme --data DIR --model dynamic-vlm "
                  "--model-args checkpoint=DIR` (README: Using it).", highlight=False)
    return page
