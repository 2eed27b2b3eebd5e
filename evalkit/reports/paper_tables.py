"""``evalkit table --paper N``: the Dynamic-VLM paper's Tables 2, 3, 4 and 6, same rows and
columns and number formats, with the paper's reference rows and the given runs added; and
``--paper baselines``, the published numbers of the 7-8B baselines papers compare with now, each
cell with its source. The reference rows live beside this module in ``paper_tables.json``
(transcribed from arXiv:2412.09530 and the baselines' papers and READMEs: percentages as
numbers, 60.9 for "60.9%"; Video-MME as [w/o, w subtitles]). A run of a model a reference row
names (its checkpoint is one of ``models``' hub ids, by id, hub-cache folder or folder name) is
placed right under that row, so a measured baseline sits beside its published number."""
from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import PurePath
from typing import Any, Callable, Dict, List, Optional, Sequence

import pandas as pd

from ..errors import ConfigError
from .latex import to_latex
from .board import chosen_runs, model_label
from .numbers import pct

TABLES = ("2", "3", "4", "6", "baselines")


def reference() -> Dict[str, Any]:
    return json.loads(resources.files("evalkit.reports").joinpath("paper_tables.json").read_text())


def load_runs(paths: Sequence[str]) -> List[Dict[str, Any]]:
    """Each run's results with its run.json (validated; a file that cannot be used is an error
    naming it: a paper table is made from runs the user chose)."""
    runs = []
    for run in chosen_runs(paths) if paths else []:
        data: Dict[str, Any] = dict(run.results)
        data["run_json"] = run.info
        runs.append(data)
    return runs


def pct_sign(x: Optional[float]) -> str:
    """The paper's percentages: '60.9%'."""
    return pct(x, "%")


def metric(run: Dict[str, Any], task: str) -> Optional[float]:
    res = run["tasks"].get(task)
    return None if res is None else next(iter(res["metrics"].values()))


def run_label(run: Dict[str, Any]) -> str:
    """The run's name, marked when its model is untrained or a toy or a task of it is partial."""
    partial = [t for t, res in run["tasks"].items() if res.get("complete") is False]
    return (run["run_name"] + model_label(run["model"])
            + (f" (partial: {', '.join(partial)})" if partial else ""))


def checkpoint_is(checkpoint: str, hub_id: str) -> bool:
    """Whether a recorded checkpoint (hub id, hub-cache snapshot path or a local folder) is that
    hub model."""
    org, repo = hub_id.split("/")
    return (checkpoint == hub_id or f"models--{org}--{repo}" in checkpoint
            or PurePath(checkpoint).name.lower() == repo.lower())


def model_of(run: Dict[str, Any], models: Dict[str, List[str]]) -> Optional[str]:
    """The reference model a run evaluated (a key of ``models``), None for any other."""
    checkpoint = run["model"].get("checkpoint") or run["model"].get("served_model")
    if not checkpoint:
        return None
    return next((name for name, ids in models.items() if any(checkpoint_is(str(checkpoint), i) for i in ids)), None)


def with_measured(ref_rows: List[Dict[str, Any]], runs: List[Dict[str, Any]], models: Dict[str, List[str]],
                  ref_row: Callable[[Dict[str, Any]], List[Any]],
                  run_row: Callable[[Dict[str, Any], str], List[Any]]) -> List[List[Any]]:
    """The reference rows, each followed by the runs of its model (labelled 'measured: run'),
    then the runs of models no row names."""
    placed = {id(run): model_of(run, models) for run in runs}
    rows = []
    for r in ref_rows:
        rows.append(ref_row(r))
        rows += [run_row(run, f"measured: {run_label(run)}") for run in runs
                 if r.get("model") and placed[id(run)] == r["model"]]
    named = {r["model"] for r in ref_rows if r.get("model")}
    rows += [run_row(run, run_label(run)) for run in runs if placed[id(run)] not in named]
    return rows


def size_label(run: Dict[str, Any]) -> str:
    n = run["model"].get("parameters")
    if not n:
        return "-"
    return f"{n / 1e9:.0f}B" if n >= 1e9 else f"{n / 1e6:.1f}M"


def table2(ref: Dict[str, Any], runs: List[Dict[str, Any]], models: Dict[str, List[str]]) -> pd.DataFrame:
    tasks = ref["tasks"]
    names = {"msvd_qa": "MSVD-QA", "msrvtt_qa": "MSRVTT-QA", "tgif_qa": "TGIF-QA", "activitynet_qa": "ActivityNet-QA"}
    cols = ["Model", "LLM Size", "API ver."] + [f"{names[t]} {m}" for t in tasks for m in ("Acc.", "Score")]
    rows = []
    for r in ref["rows"]:
        vals = [v for t in tasks for v in (pct(r["values"][t][0]), pct(r["values"][t][1]))]
        rows.append([r["method"], r["llm_size"], r["api_version"], *vals])
    for run in runs:
        judges = list(dict.fromkeys(m for t in tasks if t in run["tasks"] for m in run["tasks"][t].get("by_judge", {})))
        for judge in judges:  # one row per judge: numbers of different judges never share a row
            vals = []
            for t in tasks:
                j = run["tasks"].get(t, {}).get("by_judge", {}).get(judge)
                vals += [pct(j["metrics"]["accuracy"]), "-" if j is None or j["metrics"]["score"] is None
                         else f"{j['metrics']['score']:.1f}"] if j else ["-", "-"]
            rows.append([run_label(run), size_label(run), judge, *vals])
    return pd.DataFrame(rows, columns=cols)


def first_metric(run: Dict[str, Any], tasks: Sequence[str]) -> Optional[float]:
    """The headline of the first of ``tasks`` the run has (EgoSchema full set before its subset)."""
    return next((metric(run, t) for t in tasks if t in run["tasks"]), None)


def table3(ref: Dict[str, Any], runs: List[Dict[str, Any]], models: Dict[str, List[str]]) -> pd.DataFrame:
    cols = ["Methods", "LLM Size", "VideoMME", "MLVU", "TempCompass", "EgoSchema", "PerceptionTest"]

    def ref_row(r: Dict[str, Any]) -> List[Any]:
        v = r["values"]
        vm = "-" if v["videomme"] is None else f"{v['videomme'][0]:.1f}%/{v['videomme'][1]:.1f}%"
        return [r["method"], r["llm_size"], vm, *(pct_sign(v[t]) for t in ("mlvu", "tempcompass", "egoschema", "perceptiontest"))]

    def run_row(run: Dict[str, Any], label: str) -> List[Any]:
        wo, w = metric(run, "videomme"), metric(run, "videomme_w_subtitle")
        return [label, size_label(run), f"{pct_sign(wo)}/{pct_sign(w)}", pct_sign(metric(run, "mlvu")),
                pct_sign(metric(run, "tempcompass")), pct_sign(first_metric(run, ("egoschema", "egoschema_subset"))),
                pct_sign(metric(run, "perceptiontest"))]
    return pd.DataFrame(with_measured(ref["rows"], runs, models, ref_row, run_row), columns=cols)


def table4(ref: Dict[str, Any], runs: List[Dict[str, Any]], models: Dict[str, List[str]]) -> pd.DataFrame:
    cols = ["Model", "LLM Size", "Training Domain", "MuirBench", "MMIU"]
    return pd.DataFrame(with_measured(
        ref["rows"], runs, models,
        lambda r: [r["method"], r["llm_size"], r["training_domain"], pct_sign(r["values"]["muirbench"]),
                   pct_sign(r["values"]["mmiu"])],
        lambda run, label: [label, size_label(run), "-", pct_sign(metric(run, "muirbench")), pct_sign(metric(run, "mmiu"))]),
        columns=cols)


def published(value: Any) -> str:
    """A published cell as its source printed it (47.44 stays 47.44), Video-MME as 'w/o/w'."""
    return "/".join(str(v) for v in value) if isinstance(value, list) else str(value)


def baselines(ref: Dict[str, Any], runs: List[Dict[str, Any]], models: Dict[str, List[str]]) -> pd.DataFrame:
    """Published numbers with their sources' keys in brackets (the legend is the table's note),
    each baseline's measured runs under it, one decimal for what evalkit measured."""
    columns = [(name, tasks) for name, tasks in ref["columns"]]

    def ref_row(r: Dict[str, Any]) -> List[Any]:
        cells = []
        for name, _ in columns:
            cell = r["values"].get(name)
            cells.append("-" if cell is None else f"{published(cell[0])} [{cell[1]}]")
        return [r["method"], r["llm_size"], *cells]

    def run_row(run: Dict[str, Any], label: str) -> List[Any]:
        cells = []
        for _, tasks in columns:
            if tasks[0] == "videomme":  # both Video-MME settings in one cell, as the sources print them
                cells.append(f"{pct(metric(run, 'videomme'))}/{pct(metric(run, 'videomme_w_subtitle'))}")
            else:
                cells.append(pct(first_metric(run, tasks)))
        return [label, size_label(run), *cells]
    return pd.DataFrame(with_measured(ref["rows"], runs, models, ref_row, run_row),
                        columns=["Model", "LLM Size", *(name for name, _ in columns)])


def table6(ref: Dict[str, Any], runs: List[Dict[str, Any]], models: Dict[str, List[str]]) -> pd.DataFrame:
    cols = ["# Tokens/F", "# Max Tokens", "# Max Frames", "VideoMME", "source"]
    rows = [[r["tokens_per_frame"], f"{r['max_visual_tokens']:,}", r["max_frames"], pct_sign(r["videomme"]), "paper"]
            for r in ref["rows"]]
    for run in runs:
        model = run["run_json"]["model"]  # what the adapter recorded about its visual budget
        n_max, frames = model.get("max_visual_tokens"), (run["run_json"].get("sampling") or {}).get("max_frames")
        tpf = model.get("tokens_per_frame_at_max_frames") or "-"
        rows.append([tpf, f"{n_max:,}" if n_max else "-", frames or "-", pct_sign(metric(run, "videomme")), run_label(run)])
    return pd.DataFrame(rows, columns=cols)


BUILDERS = {"2": table2, "3": table3, "4": table4, "6": table6, "baselines": baselines}


def paper_table(number: str, run_paths: Sequence[str], fmt: str = "markdown") -> str:
    if number not in BUILDERS:
        raise ConfigError(f"--paper {number}: tables {', '.join(TABLES)} are available")
    ref = reference()
    tab = ref["tables"][number]
    df = BUILDERS[number](tab, load_runs(run_paths), ref["models"])
    notes = ([f"[{key}] {text}" for key, text in tab["sources"].items()] if "sources" in tab
             else [f"Reference rows: {ref['source']}."])
    if fmt == "markdown":
        return (f"**{tab['title']}**\n\n" + df.to_markdown(index=False, disable_numparse=True) + "\n\n"
                + "".join(f"{n}\n" for n in notes))
    if fmt == "latex":  # LaTeX numbers the table itself: the caption drops the "Table N." prefix
        caption = re.sub(r"^Table \d+\.\s*", "", tab["title"])
        return to_latex(df, caption=caption, notes=notes, label=f"tab:paper{number}")
    raise ConfigError(f"unknown format {fmt!r}: markdown or latex")
