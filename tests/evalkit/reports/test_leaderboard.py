import csv
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from evalkit.reports.board import build
from evalkit.reports.leaderboard import render

ARTIFACTS = Path(os.environ.get("EVALKIT_TEST_ARTIFACTS", Path(__file__).resolve().parents[3] / "test-artifacts"))


@pytest.fixture
def runs(cli, replay_run, videomme_targets):
    """Two replay runs (no frame sampling) and one decoding baseline (sampling T=8): the
    baseline's Video-MME numbers must land in a separate, marked column."""
    replay_run("perfect", videomme_targets)
    replay_run("half", {k: ("A" if i % 2 else v) for i, (k, v) in enumerate(videomme_targets.items())})
    code, out = cli.run("--task", "videomme", "--data", "sample", "--model", "constant",
                        "--model-args", "decode=true,max_frames=8", name="baseline")
    assert code == 0, out
    return cli.output


def test_columns_never_mix_sampling_specs(runs):
    board = build([str(runs)])
    labels = [c.label for c in board.columns]
    assert labels == ["videomme (a)", "videomme (b)"]
    assert any("sampling=" in x and "max_frames" in x for x in board.legend)
    df = board.frame(with_ci=False).set_index("run")
    replay_col = "videomme (b)" if df.loc["perfect", "videomme (b)"] != "-" else "videomme (a)"
    other = ({"videomme (a)", "videomme (b)"} - {replay_col}).pop()
    assert df.loc["perfect", replay_col] == "100.0" and df.loc["half", replay_col] != "-"
    assert df.loc["baseline", replay_col] == "-" and df.loc["baseline", other] != "-"
    assert df.loc["perfect", other] == "-"


def test_markdown_and_csv(runs):
    board = build([str(runs)])
    md = render(board, "markdown")
    assert md.splitlines()[0].startswith("| run") and "| perfect" in md and "- videomme (a): sampling=" in md
    rows = list(csv.DictReader(io.StringIO(render(board, "csv"))))
    perfect = [r for r in rows if r["run"] == "perfect"][0]
    assert float(perfect["value"]) == 100.0 and perfect["variant_protocol"] == "official"
    assert {r["column"] for r in rows} == {"videomme (a)", "videomme (b)"}


def test_latex_is_booktabs_and_escaped(runs, tmp_path):
    tex = render(build([str(runs)]), "latex")
    assert tex.count(r"\begin{tabular}") == tex.count(r"\end{tabular}") == 1
    assert all(rule in tex for rule in (r"\toprule", r"\midrule", r"\bottomrule"))
    assert r"95\% CI" in tex and "_" not in re.sub(r"\\_", "", tex)  # every underscore escaped
    body = tex.split(r"\midrule")[1].split(r"\bottomrule")[0].strip().splitlines()
    header_cols = tex.split(r"\toprule")[1].split(r"\midrule")[0].count("&")
    assert all(line.count("&") == header_cols and line.endswith(r"\\") for line in body)
    if shutil.which("pdflatex"):  # compile when a TeX install is present
        doc = tmp_path / "t.tex"
        doc.write_text("\\documentclass{article}\\usepackage{booktabs}\\begin{document}\n" + tex + "\\end{document}\n")
        assert subprocess.run(["pdflatex", "-interaction=nonstopmode", doc.name], cwd=tmp_path,
                              capture_output=True).returncode == 0


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("no Chromium here (.ci/run installs Debian's chromium)")


def test_html_page_renders_in_headless_chromium(runs, tmp_path, cli):
    out = tmp_path / "board.html"
    code, text = cli("leaderboard", runs, "--format", "html", "--out", out)
    assert code == 0, text
    page = out.read_text()
    assert "<svg" in page and "sortBy" in page and "<details>" in page and "perfect" in page
    browser = chromium()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "leaderboard.png"
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"]
    subprocess.run(flags + [f"--screenshot={shot}", "--window-size=1280,900", out.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 5000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    dom = subprocess.run(flags + ["--dump-dom", out.as_uri()], capture_output=True, text=True, timeout=120).stdout
    assert "<table id=\"board\">" in dom and "videomme (b)" in dom


def test_terminal_format(cli, runs):
    code, out = cli("leaderboard", runs)
    assert code == 0 and "evalkit leaderboard" in out and "perfect" in out
    code, out = cli("leaderboard", runs / "nowhere")
    assert code == 2 and "not a run dir" in out


def test_runs_on_different_data_files_get_separate_columns(cli, replay_run, videomme_targets, videomme_copy):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from evalkit.tasks.videomme import PARQUET

    replay_run("on_sample", videomme_targets)
    rows = pq.read_table(videomme_copy / PARQUET).to_pylist()
    rows[0]["question"] = "An edited question?"
    pq.write_table(pa.Table.from_pylist(rows), videomme_copy / PARQUET)
    replay_run("on_copy", videomme_targets, extra=("--data", str(videomme_copy)))
    board = build([str(cli.output)])
    assert [c.label for c in board.columns] == ["videomme (a)", "videomme (b)"]
    assert all("data_fingerprint=" in x for x in board.legend)


def test_latex_escape_every_special_character():
    from evalkit.reports.latex import latex_escape

    assert latex_escape(r"a_b & 50% {x} \ ~^#$") == (
        r"a\_b \& 50\% \{x\} \textbackslash{} \textasciitilde{}\textasciicircum{}\#\$")


def test_judge_assisted_scores_are_not_mixed_with_plain_ones(cli, tmp_path, jsonl, monkeypatch):
    from evalkit.judge.server import MockJudgeServer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    rows = jsonl(tmp_path / "r.jsonl", [{"id": "spot_the_diff/0", "response": "the second one"}])
    for name in ("plain", "assisted"):
        cli.run("--task", "mmiu", "--data", "sample", "--model", "replay", "--model-args", f"responses={rows}",
                "--limit", "1", name=name)
    with MockJudgeServer() as server:
        cli("judge", cli.output / "assisted", "--judge-model", "gpt-4o-mini-2024-07-18", "--base-url", server.base_url)
    board = build([str(cli.output)])
    assert [c.label for c in board.columns] == ["mmiu (a)", "mmiu (b)"]
    assert any("LLM fallback" in x and "judge_model=gpt-4o-mini-2024-07-18" in x for x in board.legend)
