"""``evalkit demo`` (``make demo``): what evalkit is for, in about a minute on a CPU.

A researcher's main use: two checkpoints of one model, on one benchmark, compared. The two are
TOY checkpoints shipped with the Dynamic-VLM adapter (``preset=toy-step-<N>``): its tiny CPU
model trained for a few steps on the bundled 12-question Video-MME sample itself
(``scripts/train_toy_dynamic_vlm.py``), so they name options and differ, but their scores mean
nothing, and every output says they are toys. The demo runs both on that sample (same model,
same frame sampling: one leaderboard column), prints each run's summary, their paired
comparison under the official protocol with the questions that flipped, the leaderboard and
its standalone HTML page, and the sample viewer of both runs opened on the flipped questions,
each the way the real commands print them.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from rich.console import Console
from rich.text import Text

from .config import RunConfig
from .errors import ConfigError
from .model import parse_model_args
from .reports.board import build
from .reports.compare import compare_runs, comparison_view
from .reports.leaderboard import render, terminal_view
from .reports.summary import summary, unreadable_line
from .reports.viewer import hash_link, write_view
from .results import score_run
from .runner import Runner
from .schema import RunResults
from .store import RunDir

TASK = "videomme"
MODEL = "dynamic-vlm"
# the adapter's toy presets, earlier checkpoint first (A), later second (B)
STEPS = (20, 35)
RUNS = tuple((f"demo-toy-step-{n}", f"preset=toy-step-{n}") for n in STEPS)
# the CPU in float32, where the toys' replies are pinned (a GPU would run them in bfloat16);
# --model-args device=cuda overrides it
DEFAULT_ARGS = {"device": "cpu"}


def demo_args(model_args: str) -> Dict[str, str]:
    """Extra --model-args for both checkpoints (e.g. device=cuda); the checkpoints themselves
    are the demo's."""
    extra = parse_model_args(model_args)
    chosen = sorted(k for k in ("preset", "checkpoint", "revision") if k in extra)
    if chosen:
        raise ConfigError(f"the demo chooses the checkpoints itself; drop {', '.join(chosen)} from --model-args")
    return {**DEFAULT_ARGS, **extra}


def flipped(run_a: Path, run_b: Path, protocol: str = "official") -> Tuple[List[str], List[str]]:
    """The questions B gets right and A wrong (up) and the reverse (down), as 'id A->B'."""
    def answers(run: Path) -> Dict[str, Tuple[str, Optional[float]]]:
        return {r["id"]: (r["parsed"][protocol] or "-", r["score"][protocol]) for r in RunDir(run).records(TASK)}

    a, b = answers(run_a), answers(run_b)
    up: List[str] = []
    down: List[str] = []
    for i in sorted(set(a) & set(b)):
        (pa, sa), (pb, sb) = a[i], b[i]
        if sa is not None and sb is not None and sa != sb:
            (up if sb > sa else down).append(f"{i} {pa}->{pb}")
    return up, down


def open_viewer(console: Console, runs: List[Path], output: Path, protocol: str) -> Path:
    """Write the sample viewer of the two runs (what ``evalkit view A B`` writes) and print its
    address, opened on the questions that flipped either way."""
    view = write_view([str(p) for p in runs], output / "demo-samples.html")
    names = [p.name for p in runs]
    link = hash_link(view.path.resolve().as_uri(), task=TASK, protocol=protocol, a=names[0], b=names[1],
                     flip="either")
    console.print(f"Every answer beside its frames (the flipped questions): {link}", highlight=False)
    return view.path


def run_demo(console: Console, output: Path, model_args: str, progress_factory: Callable[[Console], Any]) -> Path:
    """Run both checkpoints, print what a user would look at, and return the HTML page's path."""
    extra = demo_args(model_args)
    shared = ",".join(f"{k}={v}" for k, v in extra.items())
    console.print(Text.assemble(
        ("evalkit demo", "bold"), ": two checkpoints of one model compared on the Video-MME bundled sample "
        "(12 questions on 4 synthetic videos): the tiny Dynamic-VLM trained ",
        (f"{STEPS[0]} and {STEPS[1]} steps on this very sample (TOY checkpoints: their scores mean nothing)",
         "bold yellow"), "."))
    runs: List[Path] = []
    results: List[RunResults] = []
    with progress_factory(console) as progress:
        for name, args in RUNS:
            runner = Runner(RunConfig(tasks=[TASK], model=MODEL, model_args=",".join(filter(None, (args, shared))),
                                      data="sample", output=output, run_name=name))
            run = runner.execute(progress)
            runs.append(run.path)
            results.append(score_run(run))
            for note in runner.notes:
                console.print(note, highlight=False)
    unreadable = [unreadable_line(res) for res in results]
    for res, line in zip(results, unreadable):
        console.print(Text(line, style="yellow") if line else summary(res, console))
    # both name options, so the official protocol (answered questions only) pairs every item;
    # should a run read nothing, pair them where every item counts
    protocol = "strict" if any(unreadable) else None
    names = [p.name for p in runs]
    console.print(Text.assemble("\n", ("Paired comparison", "bold"), f" (B = {names[1]}, A = {names[0]}, "
                                + ("strict protocol: every item counts" if protocol else "official protocol") + ")"))
    for row in compare_runs(str(runs[0]), str(runs[1]), [TASK], protocol=protocol):
        console.print(comparison_view(row, console, breakdowns=False))
    up, down = flipped(runs[0], runs[1], protocol or "official")
    console.print(f"flipped up (A wrong, B right): {', '.join(up) or 'none'}", highlight=False)
    console.print(f"flipped down (A right, B wrong): {', '.join(down) or 'none'}", highlight=False)
    board = build([str(p) for p in runs])
    console.print(terminal_view(board, console))
    page = output / "demo-leaderboard.html"
    page.write_text(render(board, "html"), encoding="utf-8")
    console.print(f"HTML leaderboard: {page}")
    open_viewer(console, runs, output, protocol or "official")
    console.print(f"Per-category comparison: evalkit compare {runs[0]} {runs[1]}"
                  + (" --protocol strict" if protocol else ""), highlight=False)
    console.print("Next: your checkpoints on real data, `evalkit run --task videomme --data DIR --model dynamic-vlm "
                  "--model-args checkpoint=DIR` for each, then `evalkit compare` (README: Using it).", highlight=False)
    return page
