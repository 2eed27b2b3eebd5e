"""``evalkit table --paper N``: the Dynamic-VLM paper's Tables 2, 3, 4 and 6, same rows and
columns and number formats, with the paper's reference rows (``results/paper_tables.json``) and
the given runs added below them. The reference rows live beside this module in
``paper_tables.json`` (transcribed from arXiv:2412.09530: percentages as numbers, 60.9 for
"60.9%"; Video-MME in Table 3 as [w/o, w subtitles])."""
from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any, Dict, List, Optional, Sequence

import pandas as pd

from ..errors import ConfigError
from .latex import to_latex
from ..store import RunDir
from .board import find_results
from .numbers import pct

TABLES = ("2", "3", "4", "6")


def reference() -> Dict[str, Any]:
    return json.loads(resources.files("evalkit.reports").joinpath("paper_tables.json").read_text())


def load_runs(paths: Sequence[str]) -> List[Dict[str, Any]]:
    """Each run's results with its run.json (validated; a file that cannot be used is an error
    naming it: a paper table is made from runs the user chose)."""
    runs = []
    for p in find_results(paths) if paths else []:
        run = RunDir(p.parent)
        data: Dict[str, Any] = dict(run.load_results())
        data["run_json"] = run.load_run()
        runs.append(data)
    return runs


def pct_sign(x: Optional[float]) -> str:
    """The paper's percentages: '60.9%'."""
    return pct(x, "%")


def metric(run: Dict[str, Any], task: str) -> Optional[float]:
    res = run["tasks"].get(task)
    return None if res is None else next(iter(res["metrics"].values()))


def run_label(run: Dict[str, Any]) -> str:
    """The run's name, marked when its model is untrained or a task of it is partial."""
    partial = [t for t, res in run["tasks"].items() if res.get("complete") is False]
    return (run["run_name"] + (" (untrained)" if run["model"].get("untrained") else "")
            + (f" (partial: {', '.join(partial)})" if partial else ""))


def size_label(run: Dict[str, Any]) -> str:
    n = run["model"].get("parameters")
    if not n:
        return "-"
    return f"{n / 1e9:.0f}B" if n >= 1e9 else f"{n / 1e6:.1f}M"


def table2(ref: Dict[str, Any], runs: List[Dict[str, Any]]) -> pd.DataFrame:
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


def table3(ref: Dict[str, Any], runs: List[Dict[str, Any]]) -> pd.DataFrame:
    cols = ["Methods", "LLM Size", "VideoMME", "MLVU", "TempCompass", "EgoSchema", "PerceptionTest"]
    rows = []
    for r in ref["rows"]:
        v = r["values"]
        vm = "-" if v["videomme"] is None else f"{v['videomme'][0]:.1f}%/{v['videomme'][1]:.1f}%"
        rows.append([r["method"], r["llm_size"], vm, *(pct_sign(v[t]) for t in ("mlvu", "tempcompass", "egoschema", "perceptiontest"))])
    for run in runs:
        wo, w = metric(run, "videomme"), metric(run, "videomme_w_subtitle")
        ego = metric(run, "egoschema") if "egoschema" in run["tasks"] else metric(run, "egoschema_subset")
        rows.append([run_label(run), size_label(run), f"{pct_sign(wo)}/{pct_sign(w)}", pct_sign(metric(run, "mlvu")),
                     pct_sign(metric(run, "tempcompass")), pct_sign(ego), pct_sign(metric(run, "perceptiontest"))])
    return pd.DataFrame(rows, columns=cols)


def table4(ref: Dict[str, Any], runs: List[Dict[str, Any]]) -> pd.DataFrame:
    cols = ["Model", "LLM Size", "Training Domain", "MuirBench", "MMIU"]
    rows = [[r["method"], r["llm_size"], r["training_domain"], pct_sign(r["values"]["muirbench"]), pct_sign(r["values"]["mmiu"])]
            for r in ref["rows"]]
    rows += [[run_label(run), size_label(run), "-", pct_sign(metric(run, "muirbench")), pct_sign(metric(run, "mmiu"))] for run in runs]
    return pd.DataFrame(rows, columns=cols)


def table6(ref: Dict[str, Any], runs: List[Dict[str, Any]]) -> pd.DataFrame:
    cols = ["# Tokens/F", "# Max Tokens", "# Max Frames", "VideoMME", "source"]
    rows = [[r["tokens_per_frame"], f"{r['max_visual_tokens']:,}", r["max_frames"], pct_sign(r["videomme"]), "paper"]
            for r in ref["rows"]]
    for run in runs:
        model = run["run_json"]["model"]  # what the adapter recorded about its visual budget
        n_max, frames = model.get("max_visual_tokens"), (run["run_json"].get("sampling") or {}).get("max_frames")
        tpf = model.get("tokens_per_frame_at_max_frames") or "-"
        rows.append([tpf, f"{n_max:,}" if n_max else "-", frames or "-", pct_sign(metric(run, "videomme")), run_label(run)])
    return pd.DataFrame(rows, columns=cols)


BUILDERS = {"2": table2, "3": table3, "4": table4, "6": table6}


def paper_table(number: str, run_paths: Sequence[str], fmt: str = "markdown") -> str:
    if number not in BUILDERS:
        raise ConfigError(f"--paper {number}: tables {', '.join(TABLES)} are available")
    ref = reference()
    tab = ref["tables"][number]
    df = BUILDERS[number](tab, load_runs(run_paths))
    note = f"{tab['title']} Reference rows: {ref['source']}."
    if fmt == "markdown":
        return f"**{tab['title']}**\n\n" + df.to_markdown(index=False, disable_numparse=True) + f"\n\n{note}\n"
    if fmt == "latex":  # LaTeX numbers the table itself: the caption drops the "Table N." prefix
        caption = re.sub(r"^Table \d+\.\s*", "", tab["title"])
        return to_latex(df, caption=caption, notes=[f"Reference rows: {ref['source']}."], label=f"tab:paper{number}")
    raise ConfigError(f"unknown format {fmt!r}: markdown or latex")
