"""LaTeX tables that compile with pdflatex and booktabs: every cell and caption escaped."""
from __future__ import annotations

import re
from typing import Sequence

import pandas as pd


LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "_": r"\_", "#": r"\#", "$": r"\$",
                 "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                 "×": r"$\times$", "±": r"$\pm$", "–": "--", "—": "---"}


def latex_escape(text: str) -> str:
    """Text safe for pdflatex: specials escaped, the few non-ASCII signs tables use as commands."""
    return re.sub(r"[\\&%_#$\{\}~^×±–—]", lambda m: LATEX_SPECIAL[m.group()], text)


def to_latex(df: pd.DataFrame, caption: str = "", notes: Sequence[str] = (), label: str = "") -> str:
    """A booktabs tabular (needs \\usepackage{booktabs}), every cell escaped."""
    cols = "l" * 2 + "r" * (len(df.columns) - 2) if len(df.columns) > 2 else "l" * len(df.columns)
    lines = [r"\begin{table}[t]", r"\centering", rf"\begin{{tabular}}{{{cols}}}", r"\toprule",
             " & ".join(latex_escape(str(c)) for c in df.columns) + r" \\", r"\midrule"]
    lines += [" & ".join(latex_escape(str(v)) for v in row) + r" \\" for row in df.itertuples(index=False)]
    lines += [r"\bottomrule", r"\end{tabular}"]
    if caption:
        lines.append(rf"\caption{{{latex_escape(caption)}}}")
    if label:
        lines.append(rf"\label{{{label}}}")
    lines += [r"\par\footnotesize " + latex_escape(n) for n in notes]
    lines.append(r"\end{table}")
    return "\n".join(lines) + "\n"
