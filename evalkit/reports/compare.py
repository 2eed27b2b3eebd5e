"""``evalkit compare RUN_A RUN_B``: paired comparison of two runs, task by task.

Samples pair up by id. Right/wrong tasks get the delta of accuracy with a paired bootstrap CI
(resampling clusters, e.g. videos), the exact McNemar test and the counts of samples that flipped
each way; judged tasks get the delta of the mean judge score with a paired sign-flip permutation
test. Items left out of a protocol's denominator in either run are left out of the pairing.
Runs that share no samples or score with different protocols are refused, with the reason.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

from ..errors import ConfigError
from ..judge.step import load_judgements
from ..registry import TASKS
from ..results import COMPARABILITY_KEYS as SIGNATURE_KEYS
from ..results import score_run
from ..schema import RunResults
from ..scoring.metrics import groups_of
from ..scoring.paired import mcnemar_exact, paired_bootstrap_ci, paired_permutation_p
from ..store import RunDir


def signature(task_result: Mapping[str, Any]) -> Dict[str, Any]:
    return {k: task_result.get(k) for k in SIGNATURE_KEYS}


def _scored(run: RunDir, task: str, results: RunResults, judged: bool) -> Dict[str, Dict[str, Any]]:
    """Per-sample headline values: correctness (0/1) or, for judged tasks, the judge score."""
    res = results["tasks"][task]
    out = {}
    judge = res.get("judge_model")
    verdicts = load_judgements(run, task).get(judge, {}) if judged and judge else {}
    for r in run.records(task):
        value: Optional[float]
        if judged:
            v = verdicts.get(r["id"])
            value = None if v is None or v["error"] or v["score"] is None else float(v["score"])
        else:
            value = r["score"][res["protocol"]]
        out[r["id"]] = {"value": value, "cluster": r["cluster"], "fields": r["fields"]}
    return out


def compare_task(run_a: RunDir, run_b: RunDir, task: str, res_a: RunResults, res_b: RunResults,
                 seed: int = 0) -> Dict[str, Any]:
    sig_a, sig_b = signature(res_a["tasks"][task]), signature(res_b["tasks"][task])
    if sig_a != sig_b:
        diff = ", ".join(f"{k}: {sig_a[k]!r} vs {sig_b[k]!r}" for k in SIGNATURE_KEYS if sig_a[k] != sig_b[k])
        raise ConfigError(f"{task}: the runs are scored differently ({diff}); not comparable")
    plugin = TASKS.get(task)
    judged = plugin.judged
    a, b = _scored(run_a, task, res_a, judged), _scored(run_b, task, res_b, judged)
    shared = [i for i in a if i in b]
    if not shared:
        raise ConfigError(f"{task}: the runs share no sample ids")
    pairs = [i for i in shared if a[i]["value"] is not None and b[i]["value"] is not None]
    out = compare_values([a[i]["value"] for i in pairs], [b[i]["value"] for i in pairs],
                         [a[i]["cluster"] for i in pairs], judged, seed)
    out.update(task=task, n_shared=len(shared), n_only_a=len(a) - len(shared), n_only_b=len(b) - len(shared),
               signature=sig_a, sampling_a=res_a.get("sampling"), sampling_b=res_b.get("sampling"))
    out["breakdown"] = {}
    for key in plugin.breakdown_keys:
        groups: Dict[str, List[str]] = {}
        for i in pairs:
            for g in groups_of(a[i]["fields"].get(key)):
                groups.setdefault(g, []).append(i)
        out["breakdown"][key] = {
            g: compare_values([a[i]["value"] for i in ids], [b[i]["value"] for i in ids],
                              [a[i]["cluster"] for i in ids], judged, seed)
            for g, ids in groups.items()
        }
    return out


def compare_values(a: List[float], b: List[float], clusters: List[Any], judged: bool, seed: int) -> Dict[str, Any]:
    n = len(a)
    scale = 1.0 if judged else 100.0
    mean_a = scale * sum(a) / n if n else None
    mean_b = scale * sum(b) / n if n else None
    out: Dict[str, Any] = {
        "metric": "judge score (0-5)" if judged else "accuracy (%)", "n_paired": n,
        "a": mean_a, "b": mean_b, "delta": None if mean_a is None or mean_b is None else mean_b - mean_a,
        "ci95": paired_bootstrap_ci(a, b, clusters, seed=seed, scale=scale),
    }
    if judged:
        out.update(test="paired sign-flip permutation", p_value=paired_permutation_p(a, b, seed=seed),
                   n_better=sum(y > x for x, y in zip(a, b)), n_worse=sum(y < x for x, y in zip(a, b)))
    else:
        b_only = sum(1 for x, y in zip(a, b) if x == 1 and y == 0)
        c_only = sum(1 for x, y in zip(a, b) if x == 0 and y == 1)
        out.update(test="exact McNemar", p_value=mcnemar_exact(b_only, c_only),
                   n_right_to_wrong=b_only, n_wrong_to_right=c_only)
    return out


def compare_runs(path_a: str, path_b: str, tasks: Optional[List[str]] = None, seed: int = 0) -> List[Dict[str, Any]]:
    run_a, run_b = RunDir(Path(path_a)), RunDir(Path(path_b))
    res_a, res_b = score_run(run_a), score_run(run_b)
    common = [t for t in res_a["tasks"] if t in res_b["tasks"]]
    if tasks:
        missing = [t for t in tasks if t not in common]
        if missing:
            raise ConfigError(f"task(s) {', '.join(missing)} not in both runs (shared: {', '.join(common) or 'none'})")
        common = tasks
    if not common:
        raise ConfigError(f"{path_a} and {path_b} share no task")
    return [compare_task(run_a, run_b, t, res_a, res_b, seed) for t in common]
