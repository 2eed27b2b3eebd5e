"""Scoring: one function reads a record under every protocol of its task (used by the run loop
as records are made and by re-scoring), ``score_run`` aggregates a run into results.json, and
``comparability`` says what must agree for two numbers to be compared. Needs no model and no
media."""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

from .errors import ConfigError
from .judge.step import judge_metas, load_judgements
from .registry import TASKS
from .schema import FORMAT_VERSION, Record, RunResults, TaskFacts, task_result
from .store import RunDir, write_json
from .task import Task

# what must agree for two results of a task to share a leaderboard column or be compared: the
# protocol and its rule, the denominator, the judge, and the data by content (the same benchmark
# read from two layouts or two hub revisions of identical content compares; edited data does not)
COMPARABILITY_KEYS = ("protocol", "extraction", "denominator", "data_fingerprint", "judge_model")


def comparability(task_result: Mapping[str, Any], protocol: Optional[str] = None) -> Dict[str, Any]:
    """The comparability key of a task's result under ``protocol`` (None: its headline)."""
    picked: Mapping[str, Any] = task_result
    if protocol is not None:
        if protocol not in task_result["by_protocol"]:
            raise ConfigError(f"no protocol {protocol!r} in this result; it has {', '.join(task_result['by_protocol'])}")
        picked = task_result["by_protocol"][protocol]
    return {k: task_result.get(k) if k == "data_fingerprint" else picked.get(k) for k in COMPARABILITY_KEYS}


def score_record(task: Task, record: Record) -> Record:
    """``record`` with ``parsed`` and ``score`` set by the task's current extraction code."""
    readings = {p.name: p.read(record) for p in task.protocols}
    scored = record.copy()
    scored["parsed"] = {name: r.answer for name, r in readings.items()}
    scored["score"] = {name: r.score for name, r in readings.items()}
    return scored


def rescore(task: Task, records: Sequence[Record]) -> List[Record]:
    return [score_record(task, r) for r in records]


def scored_records(run: RunDir, task: Task) -> List[Record]:
    """A task's records of a run with its judges' verdicts attached, read by the current
    extraction code: what every score of the run is computed from."""
    records = run.records(task.name)
    verdicts = load_judgements(run, task.name)
    for r in records:
        found = {m: v[r["id"]] for m, v in verdicts.items() if r["id"] in v}
        if found:
            r["judgements"] = found
    return rescore(task, records)


def score_run(run: RunDir, tasks: Optional[List[str]] = None) -> RunResults:
    """Compute and write ``results.json`` for ``run``; returns it. Refuses while a process is
    still writing into the run (torchrun ranks that have not finished)."""
    info = run.load_run()
    run.refuse_if_busy("score it")
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
        records = scored_records(run, task)
        by_protocol = {p.name: p.aggregate(records, seed=info["seed"]) for p in task.protocols}
        info_facts = info["tasks"].get(name)
        expected = info_facts.get("n_samples") if info_facts else None
        facts: TaskFacts = {
            "headline": task.headline.name,
            "dataset_revision": info_facts["dataset_revision"] if info_facts else None,
            "annotations_sha256": info_facts["annotations_sha256"] if info_facts else None,
            "data_fingerprint": ((info_facts.get("samples_sha256") or info_facts["annotations_sha256"])
                                 if info_facts else None),
            "n_expected": expected,
            "complete": expected is None or len(records) >= expected,
            "by_protocol": by_protocol,
        }
        if info_facts and info_facts.get("layout"):  # the layout read, and the fields it lacks (e.g. a breakdown)
            facts["data_layout"] = {k: info_facts["layout"][k] for k in ("name", "lacks") if k in info_facts["layout"]}
        judges = judge_metas(run, name)  # the judges whose verdicts the records carry
        if judges or task.judged:
            facts["judges"] = judges
        results["tasks"][name] = task_result(by_protocol[task.headline.name], facts)
    write_json(run.results_json, results)
    return results
