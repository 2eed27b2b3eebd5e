"""The ``evalkit`` command."""
from __future__ import annotations

import argparse
import contextlib
import errno
import functools
import json
import os
import sys
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from rich.console import Console
from rich.progress import (
    BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn,
)
from rich.text import Text

from .config import DATA_GROUP, MEDIA_GROUP, MODEL_GROUP, OUTPUT_GROUP, TASKS_GROUP, RunConfig, add_options, task_list
from .errors import ConfigError, EvalkitError
from .jsonsafe import escape_surrogates
from .registry import COMMANDS, MODELS, TASKS

EXAMPLES: Dict[str, Tuple[str, ...]] = {
    "run": ("evalkit run --task videomme --data sample --model random",
            "evalkit run --task videomme,videomme_w_subtitle --data /data/Video-MME \\\n"
            "    --model dynamic-vlm \\\n"
            "    --model-args checkpoint=/ckpt/bvllm-14b,tokenizer=/ckpt/qwen2.5-14b",
            "evalkit run --task videomme --data sample --model replay \\\n"
            "    --model-args responses=responses.jsonl",
            "evalkit run --task videomme --data /data/Video-MME --model random \\\n"
            "    --model-args decode=true --run-name smoke --retry-failed"),
    "score": ("evalkit score results/runs/<run>", "evalkit score results/runs/<run> --breakdown"),
    "export": ("evalkit export results/runs/<run> --task videomme --format official",
               "evalkit export results/runs/<run> --task egoschema --fill-unparsed 0"),
    "bench": ("evalkit bench --task videomme --model dynamic-vlm --model-args preset=tiny",
              "evalkit bench --scaling --ranks 2 --concurrency 8"),
    "judge": ("evalkit judge results/runs/<run> --judge-model gpt-4o-mini-2024-07-18 \\\n"
              "    --base-url http://localhost:8000/v1",),
    "judge-bench": ("evalkit judge-bench --latency 0.25 --n 48 --concurrency 8",),
    "leaderboard": ("evalkit leaderboard results/runs",
                    "evalkit leaderboard results/runs --format html --out board.html",
                    "evalkit leaderboard results/runs --format html --out board.html \\\n"
                    "    --viewer samples.html --x step"),
    "compare": ("evalkit compare results/runs/<run A> results/runs/<run B>",
                "evalkit compare results/runs/<run A> results/runs/<run B> \\\n"
                "    --protocol strict --json cmp.json",
                "evalkit compare results/runs/<run A> results/runs/<run B> \\\n"
                "    --html cmp.html --viewer cmp-samples.html"),
    "view": ("evalkit view results/runs/<run>",
             "evalkit view results/runs/<run A> results/runs/<run B> --out ab.html",
             "evalkit view results/runs/<run> --task videomme --data /data/Video-MME"),
    "plot": ("evalkit plot results/runs/<run A> results/runs/<run B> --out plots/",
             "evalkit plot results/runs --kind series --x step --out plots/",
             "evalkit plot results/runs --kind table6 --out plots/"),
    "table": ("evalkit table --paper 3 results/runs", "evalkit table --paper 6 results/runs --format latex"),
    "sweep": ("evalkit sweep --task videomme --data sample --model dynamic-vlm \\\n"
              "    --model-args preset=tiny --grid tokens_per_frame=36,64,100 \\\n"
              "    --grid max_visual_tokens=4000,8000",),
    "demo": ("evalkit demo",),
    "import": ("evalkit import lmms-eval logs/ --task videomme -o videomme.replay.jsonl",
               "evalkit import vlmevalkit outputs/M/M_Video-MME.xlsx --task videomme \\\n"
               "    -o videomme.replay.jsonl"),
    "data": ("evalkit data check --task videomme",
             "evalkit data check --task videomme --data /data/Video-MME.tsv \\\n"
             "    --media /data/videomme",
             "evalkit data check --task egoschema,perceptiontest --data sample"),
    "tasks": ("evalkit tasks", "evalkit tasks --verbose"),
    "models": ("evalkit models",),
}
MAIN_EXAMPLES = ("run", "score", "compare", "leaderboard", "demo")


def examples(lines: Sequence[str]) -> str:
    """An epilog listing example command lines."""
    return "examples:\n" + "\n".join(f"  {line}" for line in lines) if lines else ""




class RateColumn(ProgressColumn):
    """Samples per second of one progress task."""

    def render(self, task) -> Text:
        return Text("-- samples/s" if task.speed is None else f"{task.speed:.2f} samples/s", style="cyan")


def make_progress(console: Console, *extra: ProgressColumn) -> Progress:
    """The one progress display: name, bar, done/total, rate, elapsed, ETA (``extra`` columns
    go before the times, e.g. the judge's cached/failed counts)."""
    return Progress(
        TextColumn("{task.description}", style="bold", markup=False), BarColumn(), MofNCompleteColumn(), RateColumn(),
        *extra,
        TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=console,
    )


def cmd_run(args: argparse.Namespace, console: Console) -> int:
    from .reports.summary import summary
    from .results import score_run
    from .runner import Runner

    runner = Runner(RunConfig.from_args(args)).prepare(announce=lambda line: console.print(line, soft_wrap=True))
    if runner.adapter.untrained:
        console.print(Text("model has random weights (untrained): its scores are meaningless", style="bold red"))
    elif runner.adapter.toy:
        console.print(Text(f"a TOY checkpoint ({runner.adapter.toy})", style="bold yellow"))
    shows = runner.rank == 0 or "MASTER_ADDR" not in os.environ  # under torchrun: one bar, rank 0's
    plan = runner.plan()
    with (make_progress(console) if shows else contextlib.nullcontext()) as progress:
        run = runner.execute(progress, plan)
        if runner.world > 1 and "MASTER_ADDR" in os.environ:  # rank 0 follows the others until all are done
            wait_for_all_ranks(lambda: runner.refresh(progress, run, plan) if progress is not None else None)
    for note in runner.notes:
        console.print(note)
    if runner.world > 1:
        if "MASTER_ADDR" not in os.environ:  # ranks started by hand: score when all have finished
            console.print(f"rank {runner.rank}/{runner.world} done; when every rank has finished: evalkit score {run.path}")
            return 0
        if runner.rank != 0:  # rank 0 merges, scores and prints, once, after every rank is done
            return 0
    results = score_run(run)
    console.print(summary(results, console))
    console.print(f"run dir: {run.path}")
    return 0


def wait_for_all_ranks(meanwhile: Callable[[], None]) -> None:
    """Under torchrun: wait at a gloo barrier until every rank has finished its share, calling
    ``meanwhile`` (rank 0's progress refresh) about once a second while waiting."""
    import datetime
    import threading

    import torch.distributed as dist

    dist.init_process_group("gloo", timeout=datetime.timedelta(hours=24))
    try:
        waiter = threading.Thread(target=dist.barrier, daemon=True)
        waiter.start()
        while waiter.is_alive():
            meanwhile()
            waiter.join(timeout=1.0)
        meanwhile()
    finally:
        dist.destroy_process_group()


def cmd_score(args: argparse.Namespace, console: Console) -> int:
    from .reports.summary import breakdown_table, summary
    from .results import score_run
    from .store import RunDir

    results = score_run(RunDir(Path(args.run)))
    console.print(summary(results, console))
    if args.breakdown:
        for name, res in results["tasks"].items():
            for key in res["breakdown"]:
                console.print(breakdown_table(name, res, key))
    return 0


def cmd_export(args: argparse.Namespace, console: Console) -> int:
    from .results import rescore
    from .store import RunDir
    from .task import ExportOptions

    run = RunDir(Path(args.run))
    if args.task not in run.tasks():
        raise ConfigError(f"run {run.path} has no task {args.task!r}; it has {', '.join(run.tasks())}")
    task = TASKS.get(args.task)()
    if args.format not in task.export_formats():
        raise ConfigError(f"{args.task} has no export format {args.format!r}; it has {', '.join(task.export_formats()) or 'none'}")
    if args.fill_unparsed is not None and args.fill_unparsed not in task.export_fill_values:
        allowed = ", ".join(map(str, task.export_fill_values))
        raise ConfigError(f"--fill-unparsed {args.fill_unparsed}: {args.task} takes "
                          + (f"one of {allowed}" if allowed else "no fill value (its export needs none)"))
    run.refuse_if_busy("export it")
    out_dir = Path(args.out or run.task_dir(args.task))
    out_dir.mkdir(parents=True, exist_ok=True)
    records = rescore(task, run.records(args.task))  # parsed by the current extraction code
    for path in task.export(records, args.format, out_dir, ExportOptions(fill_unparsed=args.fill_unparsed)):
        console.print(f"wrote {path}")
    return 0


def cmd_data_check(args: argparse.Namespace, console: Console) -> int:
    from .data import parse_data_arg
    from .datacheck import check, probe
    from .runner import load_task_data

    data, media = parse_data_arg(args.data, args.tasks), parse_data_arg(args.media, args.tasks, "--media")
    ok = True
    for name in args.tasks:
        task = TASKS.get(name)()
        loaded = load_task_data(task, data[name], media[name])
        report = check(task, loaded)
        with make_progress(console) as progress:
            bar = progress.add_task(f"{name}: reading media", total=len(report.files) - len(report.missing))
            probe(report, workers=args.workers, advance=functools.partial(progress.advance, bar))
        console.print(report.line(), highlight=False, soft_wrap=True)
        if loaded.also_found:
            console.print(f"  also present, with the same samples: {', '.join(loaded.also_found)} "
                          f"(read: {loaded.layout}, by precedence)", highlight=False)
        if loaded.located and loaded.located.revision:
            console.print(f"  revision {loaded.located.revision}, annotations sha256 {loaded.fingerprint()}",
                          highlight=False)
        if report.duration_spread():
            console.print(f"  durations: {report.duration_spread()}", highlight=False)
        for path in report.missing:
            ids = report.files[path]
            console.print(f"  missing: {path} (needed by {', '.join(ids[:3])}{' ...' if len(ids) > 3 else ''})",
                          highlight=False, soft_wrap=True)
        for path, error in report.unreadable:
            console.print(f"  unreadable: {path}: {error}", highlight=False, soft_wrap=True)
        ok = ok and report.ok
    return 0 if ok else 1


def cmd_import(args: argparse.Namespace, console: Console) -> int:
    from .data import parse_data_arg
    from .importers import import_predictions, write_replay
    from .runner import load_task_data

    task = TASKS.get(args.task)()
    data = load_task_data(task, parse_data_arg(args.data, [args.task])[args.task],
                          parse_data_arg(args.media, [args.task], "--media")[args.task])
    imported = import_predictions(args.harness, Path(args.source), task, data)
    out = Path(args.output)
    side = write_replay(imported, out)
    how = f" ({imported.by_position} by position)" if imported.by_position else ""
    logs = f" ({len(imported.files)} logs)" if len(imported.files) > 1 else ""
    console.print(f"{args.task}: {len(imported.rows)} of {len(data.samples)} samples from {imported.source}{logs}{how} "
                  f"-> {out}", highlight=False, soft_wrap=True)
    if imported.missing:
        console.print(Text.assemble(("no log", "yellow"), f" for {', '.join(imported.missing)} under {imported.source}: "
                                    "their samples have no prediction"), soft_wrap=True)
    if side is not None:
        shown = "; ".join(f"{u['source']}: {u['reason']}" for u in imported.unmapped[:3])
        console.print(Text.assemble((f"{len(imported.unmapped)} row(s) not imported", "yellow"),
                                    f" (all listed in {side}): {shown}"), soft_wrap=True)
    console.print(f"score them: evalkit run --task {args.task} --model replay --model-args responses={out}"
                  + (f" --data {args.data}" if args.data else ""), highlight=False, soft_wrap=True)
    return 0


def cmd_bench(args: argparse.Namespace, console: Console) -> int:
    from .bench import bench_tables, run_bench

    if args.scaling:
        return bench_scaling(args, console)
    rows, ratios = run_bench(RunConfig.from_args(args))
    for table in bench_tables(rows, ratios):
        console.print(table)
    if args.json:
        Path(args.json).write_text(json.dumps({"modes": rows, "ratios": ratios}, indent=2) + "\n")
    return 0


def bench_scaling(args: argparse.Namespace, console: Console) -> int:
    from .reports.fit import add_columns, table as new_table
    from .scaling import served_scaling, torchrun_scaling, with_ratios

    rows = with_ratios(torchrun_scaling(args.ranks, args.scaling_samples, args.sleep)
                       + served_scaling(args.concurrency, args.requests, args.latency))
    t = new_table("throughput with more ranks / more requests in flight (ratio: rate / (N x the single rate))")
    add_columns(t, ("setting", "samples", "per second", "ratio to ideal"))
    for r in rows:
        t.add_row(r["what"], str(r["n"]), f"{r['rate']:.1f}", f"{r['ratio']:.2f}")
    console.print(t)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    return 0


def cmd_judge(args: argparse.Namespace, console: Console) -> int:
    from .judge.client import JudgeConfig
    from .judge.step import judge_run, judged_tasks
    from .reports.summary import summary
    from .results import score_run
    from .store import RunDir

    run = RunDir(Path(args.run))
    tasks = args.task or judged_tasks(run)
    if not tasks:
        raise ConfigError(f"run {run.path} has no judged (open-ended) task")
    cfg = JudgeConfig(model=args.judge_model, base_url=args.base_url, temperature=args.temperature,
                      concurrency=args.concurrency, max_retries=args.max_retries, max_reasks=args.max_reasks,
                      timeout_s=args.timeout, backoff_s=args.backoff)
    cache = Path(args.cache) if args.cache else run.path.parent / ".judge-cache.sqlite"
    counts = TextColumn("[green]{task.fields[hits]} cached[/] [red]{task.fields[fails]} failed[/]")  # numbers only
    with make_progress(console, counts) as progress:
        bars = {}

        def start(task: str, n: int) -> None:
            bars["current"] = progress.add_task(f"judge {task}", total=n, hits=0, fails=0)

        def done(j) -> None:
            bar = bars["current"]
            fields = progress.tasks[bar].fields
            progress.update(bar, advance=1, hits=fields["hits"] + int(j.cached), fails=fields["fails"] + int(bool(j.error)))

        stats = judge_run(run, cfg, cache, tasks, on_done=done, on_start=start,
                          prices=(args.price_in, args.price_out), retry_failed=args.retry_failed)
    for task, st in stats.items():
        cost = st.cost(args.price_in, args.price_out)
        console.print(f"{task}: {st.calls} calls ({st.retries} retries, {st.reasks} re-asks), {st.cache_hits} cache hits, "
                      f"{st.failures} judge failures, {st.prompt_tokens}+{st.completion_tokens} tokens, "
                      f"est. cost {'unknown (give --price-in/--price-out)' if cost is None else f'${cost:.4f}'}",
                      highlight=False)
    console.print(summary(score_run(run), console))
    return 0


def cmd_judge_bench(args: argparse.Namespace, console: Console) -> int:
    import tempfile
    import time

    from .judge.client import JudgeConfig, JudgeItem, judge_items
    from .judge.server import MockJudgeServer
    from .reports.fit import add_columns, table as new_table

    items = [JudgeItem(str(i), {"question": f"question {i}?", "answer": "yes", "pred": f"answer {i}"}) for i in range(args.n)]
    table = new_table(f"judge throughput vs a local server with {args.latency:.3f} s latency, {args.n} items")
    add_columns(table, ("concurrency", "wall s", "calls/s", "speed-up", "ideal", "speed-up / ideal"), left=0)
    base = None
    with MockJudgeServer(latency_s=args.latency) as server, tempfile.TemporaryDirectory() as tmp:
        for c in (1, args.concurrency):
            cfg = JudgeConfig(model="gpt-4o-mini-2024-07-18", base_url=server.base_url, concurrency=c)
            start = time.perf_counter()
            _, stats = judge_items(items, cfg, Path(tmp) / f"cache-{c}.sqlite", key="local-benchmark")
            wall = time.perf_counter() - start
            base = base or wall
            ideal = min(c, args.n)
            table.add_row(str(c), f"{wall:.2f}", f"{stats.calls / wall:.1f}", f"{base / wall:.2f}", f"{ideal}",
                          f"{base / wall / ideal:.2f}")
    console.print(table)
    return 0


def emit(text: str, out: Optional[str], console: Console) -> None:
    if out:
        Path(out).write_text(text, encoding="utf-8")
        console.print(f"wrote {out}")
    else:
        sys.stdout.write(text)


def cmd_leaderboard(args: argparse.Namespace, console: Console) -> int:
    from .reports.board import build
    from .reports.leaderboard import render, terminal_view

    board = build(args.runs)
    if args.format != "html" and (args.viewer or args.x or args.group):
        raise ConfigError("--viewer, --x and --group are for --format html")
    if args.format == "terminal":
        console.print(terminal_view(board, console))
    elif args.format == "html":
        from .reports.html import to_html

        href = None
        if args.viewer:
            if not args.out:
                raise ConfigError("--viewer needs --out: the page links to the viewer beside it")
            href = write_viewer([run["run_dir"] for run in board.runs], Path(args.viewer), Path(args.out), console)
        emit(to_html(board, viewer=href, x=args.x, group=args.group), args.out, console)
    else:
        emit(render(board, args.format), args.out, console)
    return 0


def write_viewer(runs: List[str], page: Path, linked_from: Path, console: Console) -> str:
    """Write the sample viewer of ``runs`` at ``page``; the href to it from ``linked_from``."""
    from .reports.viewer import href_to, page_size_note, write_view

    view = write_view(runs, page)
    console.print(page_size_note(view), soft_wrap=True)
    for note in view.notes:
        console.print(Text.assemble(("note: ", "yellow"), note), soft_wrap=True)
    return href_to(view.path, linked_from)


def cmd_compare(args: argparse.Namespace, console: Console) -> int:
    from .reports.compare import compare_runs, comparison_view, to_html

    if args.viewer and not args.html:
        raise ConfigError("--viewer needs --html: the comparison page links to the viewer")
    rows = compare_runs(args.run_a, args.run_b, args.task, args.seed,
                        args.protocol)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    for r in rows:
        console.print(comparison_view(r, console))
    if args.html:
        out = Path(args.html)
        href = write_viewer([args.run_a, args.run_b], Path(args.viewer), out, console) if args.viewer else None
        out.write_text(to_html(rows, args.run_a, args.run_b, href, args.protocol, seed=args.seed), encoding="utf-8")
        console.print(f"wrote {out}", soft_wrap=True)
    return 0


def cmd_view(args: argparse.Namespace, console: Console) -> int:
    from .reports.viewer import ViewOptions, page_size_note, write_view

    for flag, value in (("--max-thumbs", args.max_thumbs), ("--context-frames", args.context_frames)):
        if value < 0:
            raise ConfigError(f"{flag} {value}: give 0 or more")
    if not 16 <= args.thumb_height <= 512:
        raise ConfigError(f"--thumb-height {args.thumb_height}: give 16 to 512 pixels")
    options = ViewOptions(tasks=args.task, data=args.data, media=args.media, thumbs=not args.no_thumbs,
                          max_thumbs=args.max_thumbs, thumb_height=args.thumb_height,
                          context_frames=args.context_frames)
    view = write_view(args.runs, Path(args.out) if args.out else None, options)
    console.print(page_size_note(view), soft_wrap=True)
    for note in view.notes:
        console.print(Text.assemble(("note: ", "yellow"), note), soft_wrap=True)
    console.print(f"open it: {view.path.resolve().as_uri()}", soft_wrap=True)
    return 0


def cmd_plot(args: argparse.Namespace, console: Console) -> int:
    from .reports import plots

    kinds = [k.strip() for k in args.kind.split(",") if k.strip()]
    plots.check_kinds(kinds)
    if "series" in kinds and not args.x:
        raise ConfigError("--kind series needs --x ATTR (e.g. --x step, --x model.args.max_frames)")
    runs = plots.load_run_files(args.runs)
    out = Path(args.out)
    made: List[plots.Plot] = []
    left: List[str] = []
    if "category" in kinds or "duration" in kinds:
        tasks = list(dict.fromkeys(t for r in runs for t in r.results["tasks"]))
        for task in args.task or tasks:
            have = [r for r in runs if task in r.results["tasks"]]
            if not have:
                raise ConfigError(f"task {task} is in none of the runs (they have {', '.join(tasks)})")
            made += plots.breakdown_plots(task, [(r.name, plots.scored_records(r.path, task)) for r in have],
                                          kinds, args.protocol, args.by, args.seed)
    if "series" in kinds:
        plot, out_of = plots.series_plot(runs, args.x, args.group, args.task, protocol=args.protocol)
        made += [plot] if plot else []
        left += out_of
    if "table6" in kinds:
        plot, out_of = plots.table6_plot(runs, (args.task or ["videomme"])[0], args.protocol)
        made.append(plot)
        left += out_of
    for p in made:
        for path in plots.save(p.fig, out, p.stem):
            console.print(f"wrote {path}", soft_wrap=True)
    if left:
        console.print(Text.assemble(("left out: ", "yellow"), "; ".join(left)), soft_wrap=True)
    if not made:
        raise ConfigError("nothing to plot: the runs have no scored values for these plots")
    return 0


def cmd_table(args: argparse.Namespace, console: Console) -> int:
    from .reports.paper_tables import paper_table

    emit(paper_table(args.paper, args.runs, args.format), args.out, console)
    return 0


def cmd_sweep(args: argparse.Namespace, console: Console) -> int:
    from .sweep import parse_grid, run_sweep, sweep_table

    config = RunConfig.from_args(args)
    with make_progress(console) as progress:
        df = run_sweep(config, parse_grid(args.grid), args.name, progress)
    df = sweep_table(df, config.tasks, MODELS.get(config.model).sweep_headings)
    console.print(df.to_markdown(index=False, disable_numparse=True), soft_wrap=True)
    return 0


def cmd_demo(args: argparse.Namespace, console: Console) -> int:
    from .demo import run_demo

    Path(args.output).mkdir(parents=True, exist_ok=True)
    run_demo(console, Path(args.output), args.model_args, make_progress)
    return 0


def cmd_list(registry, console: Console) -> int:
    for name in registry.names():
        console.print(f"{name:24s} {getattr(registry.get(name), 'description', '')}", highlight=False, soft_wrap=True)
    return 0


def cmd_tasks(args: argparse.Namespace, console: Console) -> int:
    """Tasks, one line each; --verbose adds each protocol's rule and the official upstream reference."""
    from .protocol import AccuracyProtocol

    if not args.verbose:
        return cmd_list(TASKS, console)
    for name in TASKS.names():
        task = TASKS.get(name)()
        console.print(Text.assemble((name, "bold"), f": {task.description}"), soft_wrap=True)
        ref = task.official_ref
        lines = [("protocols", ", ".join(f"{p.name}{' (headline)' if p.headline else ''}" for p in task.protocols)),
                 *((f"{p.name} rule", f"{p.rule}; denominator: {p.denominator.name}" if isinstance(p, AccuracyProtocol)
                    else p.rule) for p in task.protocols),
                 ("official reference", ref.label() if ref else None),
                 ("  repository", ref.repo if ref else None), ("  path", ref.path if ref else None),
                 ("  commit", ref.commit if ref else None),
                 ("pinned dataset revision", task.dataset_revision),
                 ("layouts", "; ".join(f"{lay.name} ({' + '.join(lay.markers)}: {lay.written_by})"
                                       for lay in task.layouts)),
                 ("found without --data in", ", ".join([*(f"HF hub cache {r}" for r in task.hub_repos),
                                                        *([f"$LMUData/{task.lmudata_file}"] if task.lmudata_file else [])])),
                 ("lmms-eval video folder", f"$HF_HOME/{task.lmms_eval_cache}" if task.lmms_eval_cache else None)]
        for key, value in lines:
            if value:
                console.print(f"  {key}: {value}", highlight=False, soft_wrap=True)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="evalkit", description="Evaluate video LLMs on benchmarks, scored like the official scripts.",
                                     epilog=examples([line for c in MAIN_EXAMPLES for line in EXAMPLES[c]]), formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help: str, own: Tuple[str, ...] = ()) -> argparse.ArgumentParser:
        """A subcommand whose --help ends with its own examples."""
        return commands.add_parser(name, help=help, epilog=examples(own or EXAMPLES.get(name, ())),
                                   formatter_class=argparse.RawDescriptionHelpFormatter)

    every = (TASKS_GROUP, MODEL_GROUP, DATA_GROUP, MEDIA_GROUP, OUTPUT_GROUP)
    run = add("run", "run a model on tasks (resumes an existing run dir)")
    add_options(run, every)
    run.set_defaults(func=cmd_run)

    data = add("data", "check a task's data before a run (layout, samples, every video or image)")
    data_commands = data.add_subparsers(dest="data_command", required=True, metavar="SUBCOMMAND")
    check = data_commands.add_parser("check", help="layout found, samples, missing/undecodable media, durations; "
                                                   "exit 1 when a run would lack something",
                                     epilog=examples(EXAMPLES["data"]), formatter_class=argparse.RawDescriptionHelpFormatter)
    add_options(check, (TASKS_GROUP, DATA_GROUP), exclude=("limit",))
    check.add_argument("--workers", type=int, default=4, help="files read at once (default 4)")
    check.set_defaults(func=cmd_data_check)

    imp = add("import", "turn lmms-eval or VLMEvalKit predictions into a replay file with evalkit ids")
    imp.add_argument("harness", choices=("lmms-eval", "vlmevalkit"))
    imp.add_argument("source", help="lmms-eval: a *_samples_<task>.jsonl or the folder holding it; "
                                    "VLMEvalKit: the <model>_<dataset>.xlsx/.tsv prediction file")
    imp.add_argument("--task", required=True, help="the evalkit task the predictions answer")
    add_options(imp, (DATA_GROUP,), exclude=("limit",))
    imp.add_argument("-o", "--output", required=True, help="the replay JSONL to write ({id, response} lines)")
    imp.set_defaults(func=cmd_import)

    score = add("score", "(re)score a run from its saved responses")
    score.add_argument("run", help="run dir")
    score.add_argument("--breakdown", action="store_true", help="also print per-category tables")
    score.set_defaults(func=cmd_score)

    export = add("export", "write a benchmark's own submission/scorer file")
    export.add_argument("run", help="run dir")
    export.add_argument("--task", required=True)
    export.add_argument("--format", default="official")
    export.add_argument("--out", help="folder to write into (default: the run's task folder)")
    export.add_argument("--fill-unparsed", type=int, metavar="K",
                        help="answer written for unparsed items where the format needs every item "
                             "(EgoSchema Kaggle CSV: 0-4); recorded beside the export")
    export.set_defaults(func=cmd_export)

    bench = add("bench", "decode/model/wall time per question: per-question vs per-video work, frame cache")
    add_options(bench, (TASKS_GROUP, MODEL_GROUP, DATA_GROUP, MEDIA_GROUP), exclude=("frame_cache", "frame_cache_max_gb"),
                defaults={"tasks": ["videomme"], "model": "dynamic-vlm", "model_args": "preset=tiny", "data": "sample"})
    bench.add_argument("--json", help="also write the figures to this JSON file")
    bench.add_argument("--scaling", action="store_true",
                       help="instead: throughput with 1 vs N torchrun ranks and a served model's concurrency 1 vs N")
    bench.add_argument("--ranks", type=int, default=2, help="--scaling: torchrun ranks (default 2)")
    bench.add_argument("--sleep", type=float, default=0.05, help="--scaling: seconds per answer (default 0.05)")
    bench.add_argument("--scaling-samples", type=int, default=240, help="--scaling: questions (default 240)")
    bench.add_argument("--concurrency", type=int, default=8, help="--scaling: served-model requests in flight")
    bench.add_argument("--requests", type=int, default=48, help="--scaling: served-model requests (default 48)")
    bench.add_argument("--latency", type=float, default=0.2, help="--scaling: server latency in seconds")
    bench.set_defaults(func=cmd_bench)

    judge = add("judge", "GPT-judge a run's open-ended answers (any OpenAI-compatible endpoint)")
    judge.add_argument("run", help="run dir")
    judge.add_argument("--judge-model", required=True, help="dated snapshot, e.g. gpt-3.5-turbo-0613 or gpt-4o-2024-08-06")
    judge.add_argument("--base-url", help="OpenAI-compatible endpoint (default: the openai client's); key from "
                                          "EVALKIT_JUDGE_API_KEY or OPENAI_API_KEY")
    judge.add_argument("--task", type=task_list, help="judged task(s) of the run, comma-separated (default: all)")
    judge.add_argument("--concurrency", type=int, default=8, help="requests in flight (default 8)")
    judge.add_argument("--temperature", type=float, default=0.0)
    judge.add_argument("--max-retries", type=int, default=5, help="per call, for 429/5xx/timeouts (default 5)")
    judge.add_argument("--max-reasks", type=int, default=2, help="re-asks for unparsable replies (default 2)")
    judge.add_argument("--timeout", type=float, default=60.0, help="seconds per call (default 60)")
    judge.add_argument("--backoff", type=float, default=1.0, help="first retry wait in seconds, doubling (default 1)")
    judge.add_argument("--cache", help="SQLite judge cache (default: <output>/.judge-cache.sqlite)")
    judge.add_argument("--retry-failed", action="store_true", help="ask again where replies never parsed")
    judge.add_argument("--price-in", type=float, help="USD per million input tokens, for the cost estimate")
    judge.add_argument("--price-out", type=float, help="USD per million output tokens")
    judge.set_defaults(func=cmd_judge)

    jbench = add("judge-bench", "judge throughput at concurrency 1 and N against a local server")
    jbench.add_argument("--latency", type=float, default=0.2, help="server latency per call, seconds")
    jbench.add_argument("--n", type=int, default=32, help="items")
    jbench.add_argument("--concurrency", type=int, default=8)
    jbench.set_defaults(func=cmd_judge_bench)

    lb = add("leaderboard", "runs x tasks table (headline metric with 95%% CI)")
    lb.add_argument("runs", nargs="+", help="run dirs, or a folder of runs (e.g. results/runs)")
    lb.add_argument("--format", default="terminal", choices=("terminal", "markdown", "csv", "latex", "html"))
    lb.add_argument("--out", help="write to this file instead of stdout")
    lb.add_argument("--viewer", metavar="PAGE", help="html: also write the sample viewer of these runs "
                                                     "to PAGE and link every score and breakdown cell to it")
    lb.add_argument("--x", metavar="ATTR", help="html: also plot the headline scores against this numeric run "
                                                "attribute (step, a sweep key, or a dotted path into "
                                                "results.json/run.json such as model.args.max_frames)")
    lb.add_argument("--group", metavar="ATTR", help="html, with --x: one line per value of this attribute")
    lb.set_defaults(func=cmd_leaderboard)

    cmp_ = add("compare", "paired comparison of two runs (bootstrap CI, exact McNemar)")
    cmp_.add_argument("run_a")
    cmp_.add_argument("run_b")
    cmp_.add_argument("--task", type=task_list, help="task(s) to compare (default: all shared)")
    cmp_.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    cmp_.add_argument("--protocol", help="compare under this protocol (default: each task's headline, official)")
    cmp_.add_argument("--json", help="also write the statistics to this JSON file")
    cmp_.add_argument("--html", metavar="PAGE", help="also write the comparison as a standalone HTML page "
                                                     "with plots")
    cmp_.add_argument("--viewer", metavar="PAGE", help="with --html: also write the sample viewer of the two "
                                                       "runs to PAGE and link each group and flip count to it")
    cmp_.set_defaults(func=cmd_compare)

    view = add("view", "every sample of runs on one offline HTML page: responses, readings, "
                       "frames, filters")
    view.add_argument("runs", nargs="+", help="run dirs, or a folder of runs")
    view.add_argument("--out", help="the page to write (default: <run>/view.html; for several runs "
                                    "view_<A>_vs_<B>.html beside the first); thumbnails go in <page>_files/")
    view.add_argument("--task", type=task_list, help="task(s) to show, comma-separated (default: all)")
    view.add_argument("--data", help="where the tasks' data is when not where run.json says "
                                     "(DIR, FILE or task=PATH,...): prompts, subtitles and frames need it")
    view.add_argument("--media", help="the videos or images when kept apart from the data")
    view.add_argument("--no-thumbs", action="store_true", help="no frame strips (nothing decoded)")
    view.add_argument("--max-thumbs", type=int, default=32, metavar="N",
                      help="frames shown per strip, spread over those the model saw (0: all; default 32)")
    view.add_argument("--thumb-height", type=int, default=54, metavar="PX", help="thumbnail height (default 54)")
    view.add_argument("--context-frames", type=int, default=8, metavar="N",
                      help="frames shown, marked as context, where no run read pixels (0: none; default 8)")
    view.set_defaults(func=cmd_view)

    plot = add("plot", "plots of runs as SVG and PNG files (accuracy by category/duration, series, "
                       "Table 6)")
    plot.add_argument("runs", nargs="+", help="run dirs, or a folder of runs")
    plot.add_argument("--out", required=True, help="folder to write the .svg and .png files into")
    plot.add_argument("--kind", default="category,duration",
                      help="comma-separated: category, duration, series (needs --x), table6 "
                           "(default: category,duration)")
    plot.add_argument("--task", type=task_list, help="task(s) to plot (default: all; table6: videomme)")
    plot.add_argument("--by", metavar="FIELD", help="category/duration: only this field (any record field)")
    plot.add_argument("--protocol", help="score under this protocol (default: each task's headline)")
    plot.add_argument("--x", metavar="ATTR", help="series: the numeric run attribute on the x axis (step, a "
                                                  "sweep key, or a dotted path such as model.args.max_frames)")
    plot.add_argument("--group", metavar="ATTR", help="series: one line per value of this attribute")
    plot.add_argument("--seed", type=int, default=0, help="bootstrap seed of the group CIs")
    plot.set_defaults(func=cmd_plot)

    tab = add("table", "a paper table (2, 3, 4, 6, or baselines: published 7-8B baselines) with its reference rows and your runs")
    tab.add_argument("--paper", required=True, choices=("2", "3", "4", "6", "baselines"))
    tab.add_argument("runs", nargs="*", help="run dirs or folders of runs to add as rows")
    tab.add_argument("--format", default="markdown", choices=("markdown", "latex"))
    tab.add_argument("--out", help="write to this file instead of stdout")
    tab.set_defaults(func=cmd_table)

    sw = add("sweep", "one resumable run per grid point over model args, tabulated")
    add_options(sw, every, exclude=("run_name",))
    sw.add_argument("--grid", action="append", default=[], help="key=v1,v2 (repeatable); an adapter may derive "
                                                                "arguments from a key (dynamic-vlm: tokens_per_frame "
                                                                "sets max_frames = max_visual_tokens // tokens_per_frame)")
    sw.add_argument("--name", default="sweep", help="run name prefix")
    sw.set_defaults(func=cmd_sweep)

    for name in COMMANDS.names():  # subcommands contributed by model adapter packages
        command = COMMANDS.get(name)
        contributed = add(name, command.help, command.examples)
        command.add_arguments(contributed)
        contributed.set_defaults(func=command.run)

    demo = add("demo", "two toy checkpoints of the tiny Dynamic-VLM (trained 20 and 35 steps on the bundled "
                       "sample) compared")
    demo.add_argument("--output", default="results/runs", help="root folder of the two demo runs")
    demo.add_argument("--model-args", default="", help="extra dynamic-vlm args for both toy checkpoints "
                                                      "(default device=cpu; e.g. device=cuda)")
    demo.set_defaults(func=cmd_demo)

    tasks = add("tasks", "list tasks (--verbose: protocols and official upstream references)")
    tasks.add_argument("--verbose", "-v", action="store_true", help="each task's protocols, official rule and reference")
    tasks.set_defaults(func=cmd_tasks)
    add("models", "list model adapters").set_defaults(func=lambda a, c: cmd_list(MODELS, c))
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    for stream in (sys.stdout, sys.stderr):  # a model's unpaired surrogate never stops the output
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    # a terminal (or $COLUMNS) sets the width; logs and pipes get 120 columns. Text from runs,
    # models, servers and files is never read as rich markup: styles are given as Text styles.
    console = Console(width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 120, markup=False,
                      highlight=False)
    try:
        return args.func(args, console)
    except EvalkitError as exc:
        return error(str(exc))
    except OSError as exc:  # a full disk, a read-only folder, a path that is a file: said, not a traceback
        return error(os_problem(exc))
    except UnicodeError as exc:
        return error(f"text that is not UTF-8 ({exc}); save the file as UTF-8")
    except json.JSONDecodeError as exc:
        return error(f"damaged JSON ({exc}); delete or fix the file and rerun")
    except KeyboardInterrupt:
        Console(stderr=True, markup=False).print("interrupted: rerun the same command to resume")
        return 130


def error(message: str) -> int:
    """Print ``message`` as one ``error:`` line on stderr; the exit code of a user error."""
    line = " ".join(message.split())
    Console(stderr=True, soft_wrap=True, markup=False, highlight=False).print(
        Text.assemble(("error:", "bold red"), " ", escape_surrogates(line)))
    return 2


def os_problem(exc: OSError) -> str:
    """What an operating-system error means for the user, naming the path."""
    where = exc.filename or "a file"
    if exc.errno == errno.ENOSPC:
        return f"no space left on the device holding {where}: free some space and rerun the same command " \
               "(what was recorded so far is kept)"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"{where} cannot be written ({exc.strerror}): give a folder you can write to, or fix its permissions"
    if exc.errno == errno.ENOTDIR or (exc.errno == errno.EEXIST and Path(where).is_file()):
        return f"{where}: a file where a folder is needed; give a folder"
    return f"{where}: {exc.strerror or exc}"


if __name__ == "__main__":
    sys.exit(main())
