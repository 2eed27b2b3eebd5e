"""Plots of runs (matplotlib, drawn on the Agg/SVG canvases, never a window): as SVG and PNG
files (``evalkit plot``) and as inline SVG in the HTML pages (leaderboard, compare).

Kinds
    ``category``: accuracy with its 95% CI per group of each breakdown field of a task (Video-MME:
    domain, sub-category, task type), one bar per run.
    ``duration``: the same per video-duration bucket: the task's own duration field when it has
    one (Video-MME: short/medium/long), else the recorded video length (``media.duration``) in
    buckets (<1, 1-3, 3-10, 10-30, 30-60, >60 min).
    ``series``: the headline score with its CI band against a numeric run attribute (``--x``), one
    line per task, or per value of a second attribute (``--group``).
    ``table6``: Dynamic-VLM's frames/tokens-per-frame sweep as the paper's Table 6 shows it:
    accuracy against tokens per frame, one line per N_max, the paper's rows drawn dashed.

Group intervals are not stored in results.json: they are computed here from the records with
the clustered bootstrap the headline uses (videos resampled whole). A run's overall CI is the
one in results.json.

Run attributes (``--x ATTR``, ``--group ATTR``), looked up in this order:

1. a dotted path (``model.args.max_frames``, ``model.max_visual_tokens``) into results.json,
   then run.json;
2. ``__ATTR-<number>`` in the run name (``evalkit sweep`` names runs
   ``<prefix>__<key>-<value>``), then ``ATTR`` in run.json's ``model.args``, then ``model``;
3. for ``step``: the number after ``step``, ``global_step``, ``checkpoint``, ``ckpt`` or
   ``iter`` (joined by nothing, ``-``, ``_`` or ``=``) in the run name, else in the checkpoint
   path (``model.args.checkpoint``); the last such number counts (``ckpt/run2/checkpoint-1000``
   is 1000).

The value must be a number; runs without one are left out of the plot and named.
"""
from __future__ import annotations

import hashlib
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ..errors import ConfigError
from ..scoring.metrics import clustered_bootstrap_ci, groups_of
from .board import RunFiles, chosen_runs, headline

KINDS = ("category", "duration", "series", "table6")
DURATION_ORDER = ("short", "medium", "long")
# (upper bound in seconds, label) of the video-length buckets used when a task has no duration field
LENGTH_BUCKETS: Tuple[Tuple[float, str], ...] = (
    (60, "<1 min"), (180, "1-3 min"), (600, "3-10 min"), (1800, "10-30 min"), (3600, "30-60 min"),
    (math.inf, ">60 min"))
COLOURS = ("#4a7fb5", "#e08a3c", "#5aa469", "#c04f4f", "#8c6bb1", "#8a8a8a", "#d4a017", "#3cb7c4")
STEP_WORDS = r"(?:global[_-]?step|step|checkpoint|ckpt|iteration|iter)"
STEP_RE = re.compile(rf"(?<![A-Za-z0-9]){STEP_WORDS}[-_=]?(\d+(?:\.\d+)?)(?![0-9])", re.IGNORECASE)


# --- numbers ------------------------------------------------------------------------------------

@dataclass
class Stat:
    """A score (percent) with its 95% CI and the items it counts."""

    value: Optional[float]
    ci: Optional[Tuple[float, float]]
    n: int


@dataclass
class Line:
    """One run's (or one series') values by group label."""

    name: str
    stats: Dict[str, Stat] = field(default_factory=dict)


def group_stat(scores: Sequence[Optional[float]], clusters: Sequence[Any], seed: int = 0) -> Stat:
    """Mean score in percent of the scored items (None scores left out, as the protocols do) and
    its clustered bootstrap 95% CI."""
    scored = [s for s in scores if s is not None]
    value = 100.0 * sum(scored) / len(scored) if scored else None
    ci = clustered_bootstrap_ci(scores, clusters, seed=seed) if scored else None
    return Stat(value, (ci[0], ci[1]) if ci else None, len(scores))


def length_bucket(seconds: Any) -> Optional[str]:
    """The video-length bucket of ``seconds`` (None when it is no positive number)."""
    try:
        x = float(seconds)
    except (TypeError, ValueError):
        return None
    if not x > 0:
        return None
    return next(label for bound, label in LENGTH_BUCKETS if x < bound)


def duration_key(keys: Sequence[str]) -> Optional[str]:
    """The task's own duration breakdown field (the first whose name says duration), if any."""
    return next((k for k in keys if "duration" in k.lower()), None)


def order_groups(labels: Iterable[str]) -> List[str]:
    """Groups in a reading order: short/medium/long first, length buckets in order, numbers by
    value, the rest as first seen."""
    labels = list(dict.fromkeys(labels))
    known = [x for x in DURATION_ORDER if x in labels] + [b for _, b in LENGTH_BUCKETS if b in labels]
    rest = [x for x in labels if x not in known]

    def number(x: str) -> Optional[float]:
        try:
            return float(x)
        except ValueError:
            return None

    if rest and all(number(x) is not None for x in rest):
        rest.sort(key=lambda x: number(x) or 0.0)
    return known + rest


def groups_by(records: Sequence[Mapping[str, Any]], key: Optional[str]) -> Dict[str, List[Mapping[str, Any]]]:
    """Records by group of breakdown field ``key`` (a list-valued field puts a record in each of
    its groups), or with ``key`` None by recorded video-length bucket."""
    out: Dict[str, List[Mapping[str, Any]]] = {}
    for r in records:
        if key is None:
            bucket = length_bucket((r.get("media") or {}).get("duration"))
            labels = [bucket] if bucket else []
        else:
            value = r["fields"].get(key)
            labels = [] if value is None else groups_of(value)
        for g in labels:
            out.setdefault(g, []).append(r)
    return out


def breakdown_lines(runs: Sequence[Tuple[str, Sequence[Mapping[str, Any]]]], protocol: str,
                    key: Optional[str], seed: int = 0) -> List[Line]:
    """Per run (name, scored records of one task), the score under ``protocol`` per group of
    ``key`` (None: video-length buckets) with clustered bootstrap CIs."""
    lines = []
    for name, records in runs:
        scored = [r for r in records if r.get("target")]  # items without a public answer are not scored
        line = Line(name)
        for g, members in groups_by(scored, key).items():
            line.stats[g] = group_stat([r["score"].get(protocol) for r in members],
                                       [r["cluster"] for r in members], seed)
        lines.append(line)
    return lines


# --- run attributes ---------------------------------------------------------------------------------

def as_number(value: Any) -> Optional[float]:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            x = float(value.strip().replace(",", ""))
        except ValueError:
            return None
        return x if math.isfinite(x) else None
    return None


def dotted(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, Mapping) or part not in data:
            return None
        data = data[part]
    return data


def step_of(text: Optional[str]) -> Optional[float]:
    """The last ``step-N``/``checkpoint-N``/``ckpt_N``/``iterN``... number in ``text``."""
    if not text:
        return None
    found = STEP_RE.findall(str(text))
    return as_number(found[-1]) if found else None


def name_value(run_name: str, attr: str) -> Optional[float]:
    """``ATTR`` of an ``evalkit sweep`` run name ``<prefix>__<key>-<value>...``."""
    for part in run_name.split("__")[1:]:
        key, sep, value = part.partition("-")
        if sep and key == attr:
            return as_number(value)
    return None


def run_attribute(run_name: str, results: Mapping[str, Any], run_json: Mapping[str, Any], attr: str
                  ) -> Optional[float]:
    """The numeric value of ``attr`` for a run, by the rule in this module's docstring."""
    if "." in attr:
        for source in (results, run_json):
            x = as_number(dotted(source, attr))
            if x is not None:
                return x
        return None
    x = name_value(run_name, attr)
    if x is not None:
        return x
    model = run_json.get("model") or results.get("model") or {}
    for source in (model.get("args") or {}, model):
        x = as_number(source.get(attr))
        if x is not None:
            return x
    if attr == "step":
        x = step_of(run_name)
        if x is None:
            x = step_of((model.get("args") or {}).get("checkpoint") or model.get("checkpoint"))
        return x
    return None


# --- figures ----------------------------------------------------------------------------------------

def text(label: Any) -> str:
    """A label matplotlib shows as typed: '$' would start mathtext."""
    return str(label).replace("$", r"\$")


def new_figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig


def bars_figure(title: str, lines: Sequence[Line], order: Optional[Sequence[str]] = None) -> Optional[Any]:
    """Horizontal bars: groups down the side, one bar per run with its CI whisker; None when no
    run has a value."""
    groups = list(order or order_groups(g for line in lines for g in line.stats))
    if not groups or not any(s.value is not None for line in lines for s in line.stats.values()):
        return None
    k = len(lines)
    band = 0.8 / max(k, 1)
    fig = new_figure(7.5, 1.1 + len(groups) * (0.16 * k + 0.16) + 0.25 * math.ceil(k / 2))
    ax = fig.add_subplot()
    for i, line in enumerate(lines):
        ys, xs, lo, hi = [], [], [], []
        for j, g in enumerate(groups):
            s = line.stats.get(g)
            if s is None or s.value is None:
                continue
            ys.append(j - 0.4 + band * (i + 0.5))
            xs.append(s.value)
            lo.append(max(0.0, s.value - s.ci[0]) if s.ci else 0.0)  # a percentile CI may miss the mean
            hi.append(max(0.0, s.ci[1] - s.value) if s.ci else 0.0)
        ax.barh(ys, xs, height=band * 0.9, color=COLOURS[i % len(COLOURS)], label=text(line.name),
                xerr=[lo, hi], error_kw={"ecolor": "#222", "elinewidth": 0.8, "capsize": 2})
    ns = {g: max((line.stats[g].n for line in lines if g in line.stats), default=0) for g in groups}
    ax.set_yticks(range(len(groups)), [text(f"{g} (n={ns[g]})") for g in groups], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("accuracy (%), 95% CI")
    ax.grid(axis="x", color="#ddd", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.set_title(text(title), fontsize=10, loc="left")
    if k > 1:
        fig.legend(loc="outside lower center", ncols=min(k, 2), fontsize=8, frameon=False)
    return fig


@dataclass
class Point:
    """One run on a series plot."""

    x: float
    value: Optional[float]
    ci: Optional[Tuple[float, float]]
    run: str


def series_figure(title: str, xlabel: str, lines: Mapping[str, Sequence[Point]],
                  reference: Optional[Mapping[str, Sequence[Tuple[float, float]]]] = None,
                  log2_x: bool = False, ylabel: str = "accuracy (%)") -> Optional[Any]:
    """Score against a numeric attribute, one line per key of ``lines`` with its CI band (and
    whiskers); ``reference`` lines (e.g. the paper's) dashed with hollow markers."""
    if not any(p.value is not None for pts in lines.values() for p in pts) and not reference:
        return None
    fig = new_figure(7.0, 4.2)
    ax = fig.add_subplot()
    colour: Dict[str, str] = {}
    for key in list(lines) + [k for k in (reference or {}) if k not in lines]:
        colour[key] = COLOURS[len(colour) % len(COLOURS)]
    xs_all: List[float] = []
    for key, pts in lines.items():
        pts = sorted((p for p in pts if p.value is not None), key=lambda p: p.x)
        if not pts:
            continue
        xs = [p.x for p in pts]
        ys = [float(p.value or 0.0) for p in pts]
        xs_all += xs
        ax.plot(xs, ys, marker="o", color=colour[key], label=text(key), linewidth=1.6, markersize=4)
        if any(p.ci for p in pts):
            lo = [p.ci[0] if p.ci else float("nan") for p in pts]
            hi = [p.ci[1] if p.ci else float("nan") for p in pts]
            ax.fill_between(xs, lo, hi, color=colour[key], alpha=0.18, linewidth=0)
            ax.errorbar(xs, ys, yerr=[[max(0.0, y - a) if a == a else 0.0 for y, a in zip(ys, lo)],
                                      [max(0.0, b - y) if b == b else 0.0 for y, b in zip(ys, hi)]],
                        fmt="none", ecolor=colour[key], elinewidth=0.8, capsize=2)
    for key, ref in (reference or {}).items():
        ref = sorted(ref)
        xs_all += [x for x, _ in ref]
        ax.plot([x for x, _ in ref], [y for _, y in ref], linestyle="--", marker="o", markerfacecolor="white",
                color=colour[key], label=text(f"{key} (paper)"), linewidth=1.2, markersize=5)
    if log2_x and xs_all and min(xs_all) > 0:
        ax.set_xscale("log", base=2)
        ticks: List[float] = []
        for t in sorted(set(xs_all)):  # a tick closer than 12% to the last one would overprint it
            if not ticks or t / ticks[-1] >= 1.12:
                ticks.append(t)
        ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
        ax.minorticks_off()
    ax.set_xlabel(text(xlabel))
    ax.set_ylabel(ylabel)
    ax.grid(color="#ddd", linewidth=0.6)
    ax.set_title(text(title), fontsize=10, loc="left")
    ax.legend(fontsize=8, frameon=False)
    return fig


# --- output -----------------------------------------------------------------------------------------

def _salted(fig: Any, salt: str) -> Any:
    """rc settings for deterministic, text-preserving SVG with ids unique to this figure (several
    inline SVGs share one page)."""
    import matplotlib

    return matplotlib.rc_context({"svg.hashsalt": hashlib.sha256(salt.encode()).hexdigest()[:12],
                                  "svg.fonttype": "none"})


def svg_text(fig: Any, salt: str) -> str:
    """The figure as an SVG document."""
    buf = io.StringIO()
    with _salted(fig, salt):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()


def inline_svg(fig: Any, salt: str) -> str:
    """The figure as an ``<svg>`` element to put inside an HTML page (no XML prolog or doctype;
    matplotlib escapes every label as XML text)."""
    doc = svg_text(fig, salt)
    start = doc.find("<svg")
    svg = doc[start:] if start >= 0 else doc
    # matplotlib names its groups figure_1, axes_1, ... in every figure: prefix every id (and the
    # references to it) so that several plots on one page share none
    prefix = "p" + hashlib.sha256(salt.encode()).hexdigest()[:8] + "-"
    ids = set(re.findall(r'\bid="([^"]+)"', svg))
    if not ids:
        return svg
    names = "|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True))
    svg = re.sub(rf'\bid="({names})"', lambda m: f'id="{prefix}{m.group(1)}"', svg)
    return re.sub(rf'(url\(#|href="#)({names})(?=[)"])', lambda m: f"{m.group(1)}{prefix}{m.group(2)}", svg)


def save(fig: Any, out_dir: Path, stem: str) -> List[Path]:
    """``<out_dir>/<stem>.svg`` and ``.png``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    svg = out_dir / f"{stem}.svg"
    svg.write_text(svg_text(fig, stem), encoding="utf-8")
    png = out_dir / f"{stem}.png"
    fig.savefig(png, format="png", dpi=130, metadata={"Software": None})
    return [svg, png]


def file_stem(*parts: str) -> str:
    """A file name from plot kind, task and field, safe in any folder."""
    return "_".join(re.sub(r"[^A-Za-z0-9._-]+", "-", p).strip("-") or "x" for p in parts if p)


def check_kinds(kinds: Sequence[str]) -> None:
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise ConfigError(f"--kind {', '.join(bad)}: plots are {', '.join(KINDS)}")


# --- plots of runs ----------------------------------------------------------------------------------

@dataclass
class Plot:
    """A figure with the file stem it is saved under and its caption."""

    stem: str
    title: str
    fig: Any


def load_run_files(paths: Sequence[str]) -> List[RunFiles]:
    """The chosen runs, each name once (a plot's legend names them)."""
    runs = chosen_runs(paths)
    names = [r.name for r in runs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"two runs are named {', '.join(dupes)}: give them distinct --run-name")
    return runs


def scored_records(run_path: Path, task: str) -> List[Any]:
    """A task's records of a run as ``evalkit score`` reads them."""
    from ..registry import TASKS
    from ..results import scored_records as of_run
    from ..store import RunDir

    return of_run(RunDir(run_path), TASKS.get(task)())


def breakdown_plots(task: str, runs: Sequence[Tuple[str, Sequence[Mapping[str, Any]]]],
                    kinds: Sequence[str] = ("category", "duration"), protocol: Optional[str] = None,
                    by: Optional[str] = None, seed: int = 0, label: str = "") -> List[Plot]:
    """Per-duration and per-category plots of one task for runs given as (name, scored records);
    ``by``: only that field (any record field); ``label`` names the task in titles and files
    (e.g. a leaderboard column 'videomme (a)')."""
    from ..registry import TASKS

    plugin = TASKS.get(task)()
    chosen = plugin.protocol(protocol) if protocol else plugin.headline
    label = label or task
    keys = list(plugin.breakdown_keys)
    dkey = duration_key(keys)
    plots: List[Plot] = []
    wanted: List[Tuple[str, Optional[str]]] = []
    if by is not None:
        wanted.append(("duration" if by == dkey else "category", by))
    else:
        if "duration" in kinds:
            wanted.append(("duration", dkey))
        if "category" in kinds:
            wanted += [("category", k) for k in keys if k != dkey]
    for kind, key in wanted:
        lines = breakdown_lines(runs, chosen.name, key, seed)
        title = f"{label}: {chosen.name} accuracy by {key or 'video length'}"
        fig = bars_figure(title, lines)
        if fig is not None:
            plots.append(Plot(file_stem(kind, label, key or "length"), title, fig))
    return plots


def headline_of(task_result: Mapping[str, Any], protocol: Optional[str] = None
                ) -> Tuple[Optional[float], Optional[Tuple[float, float]]]:
    """A task result's headline value (percent) and its 95% CI from results.json, under its
    headline protocol or under ``protocol`` (None, None when the task has no such protocol)."""
    if protocol is not None:
        task_result = (task_result.get("by_protocol") or {}).get(protocol) or {"metrics": {"-": None}}
    top = headline(task_result)
    return top["value"], (top["ci"][0], top["ci"][1]) if top["ci"] else None


def series_plot(runs: Sequence[RunFiles], x: str, group: Optional[str] = None,
                tasks: Optional[Sequence[str]] = None, title: str = "", protocol: Optional[str] = None
                ) -> Tuple[Optional[Plot], List[str]]:
    """The headline score (or ``protocol``'s) of each task against run attribute ``x`` (one line
    per task, or per task and value of ``group``); also what was left out for want of a value."""
    lines: Dict[str, List[Point]] = {}
    left_out = []
    for run in runs:
        xv = run_attribute(run.name, run.results, run.info, x)
        gv = run_attribute(run.name, run.results, run.info, group) if group else None
        if xv is None or (group and gv is None):
            left_out.append(f"{run.name} (no numeric {x if xv is None else group})")
            continue
        for t, res in run.results["tasks"].items():
            if tasks and t not in tasks:
                continue
            value, ci = headline_of(res, protocol)
            key = t if not group else f"{t}, {group}={gv:g}"
            lines.setdefault(key, []).append(Point(xv, value, ci, run.name))
    title = title or f"{protocol or 'headline'} score against {x}" + (f", by {group}" if group else "")
    fig = series_figure(title, x, lines)
    if fig is None:
        left_out.append(f"the series (no run has a {protocol or 'headline'} value: e.g. nothing answered)")
    return (Plot(file_stem("series", x, group or ""), title, fig) if fig is not None else None), left_out


def table6_plot(runs: Sequence[RunFiles], task: str = "videomme", protocol: Optional[str] = None
                ) -> Tuple[Plot, List[str]]:
    """Dynamic-VLM's Table 6: ``task`` accuracy against tokens per frame, one line per N_max
    (``max_visual_tokens``), the paper's rows dashed. A run's tokens per frame is its sweep
    point's (``__tokens_per_frame-N``), else run.json's ``model.tokens_per_frame_at_max_frames``."""
    from .paper_tables import reference

    ref_rows = reference()["tables"]["6"]["rows"]
    paper: Dict[str, List[Tuple[float, float]]] = {}
    for row in ref_rows:
        paper.setdefault(nmax_label(row["max_visual_tokens"]), []).append((row["tokens_per_frame"], row["videomme"]))
    lines: Dict[str, List[Point]] = {}
    left_out = []
    for run in runs:
        tpf = run_attribute(run.name, run.results, run.info, "tokens_per_frame")
        if tpf is None:
            tpf = as_number((run.info.get("model") or {}).get("tokens_per_frame_at_max_frames"))
        nmax = run_attribute(run.name, run.results, run.info, "max_visual_tokens")
        res = run.results["tasks"].get(task)
        if tpf is None or nmax is None or res is None:
            why = "no " + ("tokens per frame" if tpf is None else "max_visual_tokens" if nmax is None else task)
            left_out.append(f"{run.name} ({why})")
            continue
        value, ci = headline_of(res, protocol)
        if value is None:
            left_out.append(f"{run.name} (no {protocol or 'headline'} value)")
        lines.setdefault(nmax_label(nmax), []).append(Point(tpf, value, ci, run.name))
    ordered = {k: lines[k] for k in sorted(lines, key=lambda k: -float(k.split()[-1].replace(",", "")))}
    title = (f"{task}: {protocol + ' ' if protocol else ''}accuracy against tokens per frame, one line per N_max "
             "(paper's Table 6)")
    fig = series_figure(title, "tokens per frame", ordered, reference=paper, log2_x=True)
    return Plot(file_stem("table6", task), title, fig), left_out


def nmax_label(n: float) -> str:
    return f"N_max {int(n):,}"
