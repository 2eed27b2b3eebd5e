"""``evalkit compare RUN_A RUN_B``: paired comparison of two runs, task by task.

Samples pair up by id. Right/wrong tasks get the delta of accuracy with a paired bootstrap CI
(resampling clusters, e.g. videos), the exact McNemar test and the counts of samples that flipped
each way; judged tasks get the delta of the mean judge score with a paired sign-flip permutation
test. Items left out of a protocol's denominator in either run are left out of the pairing.
Runs that share no samples or score with different protocols are refused, with the reason.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional

from rich.console import Console, Group, RenderableType
from rich.table import Table

from ..errors import ConfigError, EvalkitError
from ..media.sampling import label_of
from ..judge.step import load_judgements
from ..registry import TASKS
from ..results import COMPARABILITY_KEYS, comparability, rescore, score_run
from ..schema import JUDGED, RunResults
from ..scoring.metrics import groups_of
from ..scoring.paired import mcnemar_exact, paired_bootstrap_ci, paired_permutation_p
from ..store import RunDir
from ..task import Task
from .fit import add_columns, first_fitting, table, with_legend


def _scored(run: RunDir, task: Task, protocol: str, judge: Optional[str]) -> Dict[str, Dict[str, Any]]:
    """Per-sample values under ``protocol``: correctness (0/1), read by the current extraction
    code, or, for a judged protocol, the score of ``judge``."""
    out = {}
    judged = task.protocol(protocol).kind == JUDGED
    verdicts = load_judgements(run, task.name).get(judge, {}) if judged and judge else {}
    for r in rescore(task, run.records(task.name)):
        value: Optional[float]
        if judged:
            v = verdicts.get(r["id"])
            value = None if v is None or v["error"] or v["score"] is None else float(v["score"])
        else:
            value = r["score"][protocol]
        out[r["id"]] = {"value": value, "cluster": r["cluster"], "fields": r["fields"]}
    return out


def compare_task(run_a: RunDir, run_b: RunDir, task: str, res_a: RunResults, res_b: RunResults,
                 seed: int = 0, protocol: Optional[str] = None) -> Dict[str, Any]:
    plugin = TASKS.get(task)()
    chosen = plugin.protocol(protocol) if protocol else plugin.headline
    sig_a, sig_b = comparability(res_a["tasks"][task], chosen.name), comparability(res_b["tasks"][task], chosen.name)
    if sig_a != sig_b:
        diff = ", ".join(f"{k}: {sig_a[k]!r} vs {sig_b[k]!r}" for k in COMPARABILITY_KEYS if sig_a[k] != sig_b[k])
        raise ConfigError(f"{task}: the runs are scored differently ({diff}); not comparable")
    judged = chosen.kind == JUDGED
    a, b = _scored(run_a, plugin, chosen.name, sig_a["judge_model"]), _scored(run_b, plugin, chosen.name, sig_b["judge_model"])
    shared = [i for i in a if i in b]
    if not shared:
        raise ConfigError(f"{task}: the runs share no sample ids")
    pairs = [i for i in shared if a[i]["value"] is not None and b[i]["value"] is not None]
    out = compare_values([a[i]["value"] for i in pairs], [b[i]["value"] for i in pairs],
                         [a[i]["cluster"] for i in pairs], judged, seed)
    out.update(task=task, n_shared=len(shared), n_only_a=len(a) - len(shared), n_only_b=len(b) - len(shared),
               signature=sig_a, sampling_a=res_a.get("sampling"), sampling_b=res_b.get("sampling"),
               complete_a=res_a["tasks"][task].get("complete", True), complete_b=res_b["tasks"][task].get("complete", True))
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


def compare_runs(path_a: str, path_b: str, tasks: Optional[List[str]] = None, seed: int = 0,
                 protocol: Optional[str] = None) -> List[Dict[str, Any]]:
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
    return [compare_task(run_a, run_b, t, res_a, res_b, seed, protocol) for t in common]


def comparison_view(r: Dict[str, Any], console: Console, breakdowns: bool = True) -> RenderableType:
    """One task's comparison in the widest layout that fits: one table of the overall and every
    breakdown group; or one table per breakdown key (group values without the key)."""
    title = f"{r['task']}: B - A on {r['n_paired']} paired samples ({r['metric']}, {r['test']})"
    headers = ("n", "A", "B", "delta", "95% CI", "p", "flips up/down")

    digits = 2 if r["metric"].startswith("judge") else 1  # judge scores 0-5, accuracies in percent

    def cells(c: Dict[str, Any]) -> List[str]:
        ups, downs = (c["n_wrong_to_right"], c["n_right_to_wrong"]) if "n_wrong_to_right" in c else (c["n_better"], c["n_worse"])
        ci = c["ci95"]
        return [str(c["n_paired"]), _num(c["a"], digits), _num(c["b"], digits), _num(c["delta"], digits, signed=True),
                f"{ci[0]:+.{digits}f}..{ci[1]:+.{digits}f}" if ci else "-", f"{c['p_value']:.3g}", f"{ups}/{downs}"]

    def one() -> Table:
        t = table(title)
        add_columns(t, ("group", *headers))
        t.add_row("overall", *cells(r))
        for key, groups in (r["breakdown"] if breakdowns else {}).items():
            for g, c in groups.items():
                t.add_row(f"{key}={g}", *cells(c))
        return t

    def per_key() -> RenderableType:
        overall = table(title)
        add_columns(overall, ("group", *headers))
        overall.add_row("overall", *cells(r))
        parts: List[RenderableType] = [overall]
        for key, groups in (r["breakdown"] if breakdowns else {}).items():
            t = table(f"by {key}")
            add_columns(t, (key, *headers))
            for g, c in groups.items():
                t.add_row(g, *cells(c))
            parts.append(t)
        return Group(*parts)

    notes = []
    if r["sampling_a"] != r["sampling_b"]:
        notes.append(f"note: frame sampling differs: A {label_of(r['sampling_a'])}, "
                     f"B {label_of(r['sampling_b'])}")
    for side in ("a", "b"):
        if r.get(f"complete_{side}") is False:
            notes.append(f"note: run {side.upper()} is partial (--limit or unfinished): only shared samples are compared")
    if r["n_only_a"] or r["n_only_b"]:
        notes.append(f"note: {r['n_only_a']} samples only in A, {r['n_only_b']} only in B (not compared)")
    return with_legend(first_fitting(console, [one, per_key]), notes)


def _num(x: Optional[float], digits: int, signed: bool = False) -> str:
    return "-" if x is None else (f"{x:+.{digits}f}" if signed else f"{x:.{digits}f}")


# --- the HTML page ------------------------------------------------------------------------------------

def to_html(rows: List[Dict[str, Any]], path_a: str, path_b: str, viewer: Optional[str] = None,
            protocol: Optional[str] = None, plots: bool = True, seed: int = 0) -> str:
    """A standalone page of a comparison: per task the overall row and every breakdown group (n,
    A, B, delta, 95% CI, p, flips up/down) and the accuracy of both runs per duration bucket and
    category (inline SVG). With ``viewer`` (the href of an ``evalkit view`` page of the two runs)
    each group and each flip count links to those samples there. Everything from run files is
    escaped."""
    import html

    from .plots import breakdown_plots, inline_svg, scored_records
    from .viewer import hash_link

    names = [RunDir(Path(p)).load_run()["run_name"] for p in (path_a, path_b)]
    esc = html.escape

    def link(text: str, task: str, facets: Optional[Dict[str, str]] = None, flip: Optional[str] = None) -> str:
        if not viewer:
            return esc(text)
        href = hash_link(viewer, facets=facets, task=task, protocol=protocol, flip=flip,
                         a=names[0] if flip else None, b=names[1] if flip else None)
        return f'<a href="{esc(href)}">{esc(text)}</a>'

    def cells(c: Dict[str, Any], task: str, digits: int, facets: Optional[Dict[str, str]] = None) -> str:
        up, down = ((c["n_wrong_to_right"], c["n_right_to_wrong"]) if "n_wrong_to_right" in c
                    else (c["n_better"], c["n_worse"]))
        ci = c["ci95"]
        values = [link(str(c["n_paired"]), task, facets), esc(_num(c["a"], digits)), esc(_num(c["b"], digits)),
                  esc(_num(c["delta"], digits, signed=True)),
                  esc(f"{ci[0]:+.{digits}f}..{ci[1]:+.{digits}f}" if ci else "-"), esc(f"{c['p_value']:.3g}"),
                  link(str(up), task, facets, "up") + " / " + link(str(down), task, facets, "down")]
        return "".join(f"<td>{v}</td>" for v in values)

    sections = []
    for r in rows:
        task = r["task"]
        digits = 2 if r["metric"].startswith("judge") else 1
        body = [f"<tr><td>overall</td>{cells(r, task, digits)}</tr>"]
        for key, groups in r["breakdown"].items():
            for g, c in groups.items():
                body.append(f"<tr><td>{esc(key)}={esc(str(g))}</td>{cells(c, task, digits, {key: g})}</tr>")
        flips = "flips up/down" if "n_wrong_to_right" in r else "better/worse"
        part = (f"<h2>{esc(task)}</h2><p>B - A on {r['n_paired']} paired samples ({esc(r['metric'])}, "
                f"{esc(r['test'])}).</p><table><tr><th>group</th><th>n</th><th>A</th><th>B</th><th>delta</th>"
                f"<th>95% CI</th><th>p</th><th>{flips}</th></tr>{''.join(body)}</table>")
        notes = []
        if r["sampling_a"] != r["sampling_b"]:
            notes.append(f"frame sampling differs: A {label_of(r['sampling_a'])}, B {label_of(r['sampling_b'])}")
        if r["n_only_a"] or r["n_only_b"]:
            notes.append(f"{r['n_only_a']} samples only in A, {r['n_only_b']} only in B (not compared)")
        for side in ("a", "b"):
            if r.get(f"complete_{side}") is False:
                notes.append(f"run {side.upper()} is partial: only shared samples are compared")
        if notes:
            part += "<ul>" + "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>"
        if plots:
            try:
                recs = [(n, scored_records(Path(p), task)) for n, p in zip(names, (path_a, path_b))]
                figs = breakdown_plots(task, recs, protocol=protocol, seed=seed)
            except (EvalkitError, OSError) as exc:
                figs = []
                part += f"<p>no plots: {esc(str(exc))}</p>"
            if figs:
                part += ("<div class='plots'>" + "".join(
                    f"<figure aria-label=\"{esc(p.title)}\">{inline_svg(p.fig, p.stem)}</figure>" for p in figs)
                    + "</div>")
        sections.append(part)
    link_note = (f"<p>Counts link to the samples in the <a href=\"{esc(viewer)}\">sample viewer</a> "
                 "(flips: A's answer right and B's wrong is down, the reverse up).</p>" if viewer else "")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>evalkit compare: {esc(names[0])} vs {esc(names[1])}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2em;color:#222}} table{{border-collapse:collapse;margin:1em 0}}
th,td{{padding:.3em .7em;border-bottom:1px solid #ddd;text-align:right;font-size:.9em}} th{{background:#f4f4f4}}
td:first-child,th:first-child{{text-align:left}} h1{{font-size:1.4em}} h2{{font-size:1.15em}}
.plots{{display:flex;flex-wrap:wrap;gap:1em}} .plots svg{{max-width:100%;height:auto}} figure{{margin:0}}
figcaption{{font-size:.9em;color:#555}} a{{color:#1f5f9f}}
</style></head><body>
<h1>evalkit compare</h1>
<p>A: {esc(names[0])} ({esc(str(path_a))})<br>B: {esc(names[1])} ({esc(str(path_b))})</p>
{link_note}
{''.join(sections)}
</body></html>
"""
