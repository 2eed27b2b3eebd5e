"""``evalkit tokens``: the subcommand the Dynamic-VLM package contributes (entry-point group
``evalkit.commands``). Light on purpose: it imports the pure rules, not torch."""
from __future__ import annotations

import argparse
from typing import Any

from evalkit.errors import ConfigError
from evalkit.model import AdapterCommand

from .rules import frames_for_duration, token_plan


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--duration", type=float, nargs="+", required=True, help="video duration(s) in seconds")
    parser.add_argument("--max-frames", type=int, default=120, help="T (default 120)")
    parser.add_argument("--max-visual-tokens", type=int, default=12000,
                        help="N_max (default 12000: 7B; 14B uses 10000)")


def run(args: argparse.Namespace, console: Any) -> int:
    """Dynamic-VLM's frame and token plan for videos of the given durations."""
    from evalkit.reports.fit import add_columns, table as new_table

    bad = [d for d in args.duration if not d > 0]
    if bad:
        raise ConfigError(f"--duration {bad[0]:g}: a video's duration in seconds must be > 0")
    table = new_table("Dynamic-VLM visual plan (1 fps below T s, else T uniform frames; "
                      "tokens/frame = min(N_max // frames, 576) pooled to s x s)")
    add_columns(table, ("duration s", "max frames T", "N_max", "frames", "budget per frame", "grid", "tokens per frame",
                        "visual tokens"), left=0)
    for duration in args.duration:
        frames = frames_for_duration(duration, args.max_frames)
        p = token_plan(frames, args.max_visual_tokens)
        table.add_row(f"{duration:g}", str(args.max_frames), str(args.max_visual_tokens), str(frames),
                      str(p.budget_per_frame), f"{p.grid}x{p.grid}", str(p.tokens_per_frame), str(p.total_visual_tokens))
    console.print(table)
    return 0


TOKENS = AdapterCommand("Dynamic-VLM frames and visual tokens for video durations", add_arguments, run,
                        ("evalkit tokens --duration 30 600 3600", "evalkit tokens --duration 3600 --max-visual-tokens 10000"))
