"""Scoring a run from its saved responses: re-parse every record under every protocol of its
task, aggregate, and write results.json. Needs no model and no media."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from .judge.step import judge_metas, load_judgements

# fields of a task result that must agree for two numbers to share a column or be compared
COMPARABILITY_KEYS = ("protocol", "extraction", "denominator", "dataset_revision", "annotations_sha256", "judge_model")
from .registry import TASKS
from .store import RunDir, write_json


def rescore(task, records: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Records with ``parsed`` and ``score`` recomputed by the current extraction code."""
    out = []
    for rec in records:
        parsed = {p: task.parse(rec, p) for p in task.protocols}
        out.append({**rec, "parsed": {p: v.answer for p, v in parsed.items()},
                    "score": {p: v.score for p, v in parsed.items()}})
    return out


def score_run(run: RunDir, tasks: Optional[List[str]] = None) -> Dict:
    """Compute and write ``results.json`` for ``run``; returns it."""
    info = run.load_run()
    results: Dict[str, Any] = {
        "run_name": info["run_name"],
        "model": info["model"],
        "sampling": info["sampling"],
        "seed": info["seed"],
        "tasks": {},
    }
    for name in tasks or run.tasks():
        task = TASKS.get(name)()
        run.merge_shards(name)
        records = run.records(name)
        verdicts = load_judgements(run, name)
        if verdicts:
            records = [{**r, "judgements": {m: v[r["id"]] for m, v in verdicts.items() if r["id"] in v}} for r in records]
        records = rescore(task, records)
        by_protocol = {p: task.aggregate(records, p, seed=info["seed"]) for p in task.protocols}
        if "official" in by_protocol:
            by_protocol["official"]["official_ref"] = task.official_ref.to_dict() if task.official_ref else None
        headline = task.protocols[0]
        results["tasks"][name] = {
            **by_protocol[headline],
            "dataset_revision": info["tasks"].get(name, {}).get("dataset_revision"),
            "annotations_sha256": info["tasks"].get(name, {}).get("annotations_sha256"),
            "by_protocol": by_protocol,
        }
        if verdicts or getattr(task, "judged", False):
            results["tasks"][name]["judges"] = judge_metas(run, name)
    write_json(run.results_json, results)
    return results
