"""Scoring: one function reads a record under every protocol of its task (used by the run loop
as records are made and by re-scoring), and ``score_run`` aggregates a run into results.json.
Needs no model and no media."""
from __future__ import annotations

from typing import List, Optional, Sequence, cast

from .errors import ConfigError
from .judge.step import judge_metas, load_judgements
from .registry import TASKS
from .schema import FORMAT_VERSION, Record, RunResults, TaskResult
from .store import RunDir, write_json
from .task import Task

# fields of a task result that must agree for two numbers to share a column or be compared
# (the data by content: the same benchmark read from two layouts or two hub revisions of identical
# content compares; edited data does not)
COMPARABILITY_KEYS = ("protocol", "extraction", "denominator", "data_fingerprint", "judge_model")


def score_record(task: Task, record: Record) -> Record:
    """``record`` with ``parsed`` and ``score`` set by the task's current extraction code."""
    parsed = {p: task.parse(record, p) for p in task.protocols}
    return {**record, "parsed": {p: v.answer for p, v in parsed.items()},
            "score": {p: v.score for p, v in parsed.items()}}


def rescore(task: Task, records: Sequence[Record]) -> List[Record]:
    return [score_record(task, r) for r in records]


def score_run(run: RunDir, tasks: Optional[List[str]] = None) -> RunResults:
    """Compute and write ``results.json`` for ``run``; returns it. Refuses while a process is
    still writing into the run (torchrun ranks that have not finished)."""
    info = run.load_run()
    busy = run.busy()
    if busy:
        raise ConfigError(f"run {run.path} is still being written by {busy}; score it when every process "
                          "has finished")
    results: RunResults = {
        "format": FORMAT_VERSION,
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
        facts = info["tasks"].get(name)
        expected = facts.get("n_samples") if facts else None
        result = cast(TaskResult, {
            **by_protocol[headline],
            "dataset_revision": facts["dataset_revision"] if facts else None,
            "annotations_sha256": facts["annotations_sha256"] if facts else None,
            "data_fingerprint": (facts.get("samples_sha256") or facts["annotations_sha256"]) if facts else None,
            "n_expected": expected,
            "complete": expected is None or len(records) >= expected,
            "by_protocol": by_protocol,
        })
        if facts and facts.get("layout"):  # the layout read, and the fields it lacks (e.g. a breakdown)
            result["data_layout"] = {k: facts["layout"][k] for k in ("name", "lacks") if k in facts["layout"]}
        if verdicts or task.judged:
            result["judges"] = judge_metas(run, name)
        results["tasks"][name] = result
    write_json(run.results_json, results)
    return results
