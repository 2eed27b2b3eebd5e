"""Judging a run's saved responses: ``evalkit judge RUN``.

Verdicts go to ``<task>/judgements/<judge>.jsonl`` (one per judged sample) with the judge's
settings and usage in ``<judge>.meta.json`` beside it; several judges of one run sit side by
side and all appear in results.json. Samples that failed (no response) are not sent. Each
``evalkit judge`` pass appends its own usage to ``passes``; ``usage`` is their sum, so a later
pass answered from the cache never hides what the first one cost.
"""
from __future__ import annotations

import re
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from .. import schema
from ..errors import ConfigError
from ..jsonsafe import dumps
from ..registry import TASKS
from ..schema import Verdict
from ..store import RunDir, read_json_file, write_json
from .client import Judgement, JudgeStats, judge_items
from .config import JudgeConfig

REJUDGE = "delete the file and run `evalkit judge` again (cached replies cost nothing)"


def judge_file_stem(model: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", model)


def judged_tasks(run: RunDir) -> List[str]:
    """Tasks of the run that have a judging step (required for open-ended QA, an optional
    LLM matcher for some multiple-choice tasks)."""
    return [t for t in run.tasks() if TASKS.get(t)().judge_spec() is not None]


def judgements_dir(run: RunDir, task: str) -> Path:
    return run.task_dir(task) / "judgements"


def judge_metas(run: RunDir, task: str) -> Dict[str, Dict[str, Any]]:
    """{judge model: its meta (settings, usage)} for every judge of ``task``, oldest first."""
    metas = []
    for path in sorted(judgements_dir(run, task).glob("*.meta.json")):
        meta = read_json_file(path, "a judge meta file", REJUDGE)
        if not (isinstance(meta, dict) and isinstance(meta.get("judge"), dict)
                and isinstance(meta["judge"].get("model"), str) and isinstance(meta.get("first_judged"), (int, float))):
            raise schema.RunFileError(f"{path}: not an evalkit judge meta file (judge.model, first_judged); {REJUDGE}")
        metas.append(meta)
    return {m["judge"]["model"]: m for m in sorted(metas, key=lambda m: m["first_judged"])}


def load_judgements(run: RunDir, task: str) -> Dict[str, Dict[str, Verdict]]:
    """{judge model: {sample id: verdict}} for every judge of ``task``, oldest judge first."""
    out: Dict[str, Dict[str, Verdict]] = {}
    for model in judge_metas(run, task):
        path = judgements_dir(run, task) / f"{judge_file_stem(model)}.jsonl"
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise schema.RunFileError(f"{path}: cannot read the verdicts ({exc}); {REJUDGE}") from None
        verdicts = [schema.verdict(schema.parse_json(line, f"{path}:{n}", REJUDGE), f"{path}:{n}")
                    for n, line in enumerate(lines, 1) if line.strip()]
        out[model] = {v["id"]: v for v in verdicts}
    return out


def judge_run(
    run: RunDir, cfg: JudgeConfig, cache_path: Path, tasks: Optional[List[str]] = None,
    on_done: Optional[Callable[[Judgement], None]] = None, on_start: Optional[Callable[[str, int], None]] = None,
    prices: tuple = (None, None), retry_failed: bool = False,
) -> Dict[str, JudgeStats]:
    run.refuse_if_busy("judge it")
    stats: Dict[str, JudgeStats] = {}
    for task in tasks or judged_tasks(run):
        plugin = TASKS.get(task)()
        spec = plugin.judge_spec()
        if spec is None:
            raise ConfigError(f"task {task} has no judging step")
        items = plugin.judge_items(run.records(task))
        if on_start:
            on_start(task, len(items))
        verdicts, st = judge_items(items, cfg, cache_path, spec, on_done, retry_failed=retry_failed)
        folder = judgements_dir(run, task)
        folder.mkdir(parents=True, exist_ok=True)
        stem = judge_file_stem(cfg.model)
        tmp = folder / f"{stem}.jsonl.tmp"
        tmp.write_text("".join(dumps(asdict(v)) + "\n" for v in verdicts), encoding="utf-8")
        tmp.replace(folder / f"{stem}.jsonl")
        meta_path = folder / f"{stem}.meta.json"
        old = read_json_file(meta_path, "a judge meta file", REJUDGE) if meta_path.exists() else {}
        now = time.time()
        passes = previous_passes(old) + [{
            **asdict(st), "estimated_cost_usd": st.cost(*prices), "finished": now,
            "prices_per_mtok": list(prices) if prices[0] is not None else None,
        }]
        write_json(meta_path, {
            "judge": cfg.describe(spec), "first_judged": old.get("first_judged", now), "last_judged": now,
            "usage": total_usage(passes), "passes": passes,
        })
        stats[task] = st
    return stats


def previous_passes(meta: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The usage of earlier passes (a meta written before passes were kept holds one, as usage)."""
    if "passes" in meta:
        return list(meta["passes"])
    return [meta["usage"]] if "usage" in meta else []


def total_usage(passes: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Counts summed over passes; the cost only where every pass that used tokens was priced."""
    total: Dict[str, Any] = {k: sum(p.get(k, 0) for p in passes) for k in asdict(JudgeStats())}
    priced = [p for p in passes if p.get("prompt_tokens", 0) + p.get("completion_tokens", 0) > 0]
    costs = [p.get("estimated_cost_usd") for p in priced]
    total["estimated_cost_usd"] = None if any(c is None for c in costs) else sum(costs)
    total["n_passes"] = len(passes)
    return total
