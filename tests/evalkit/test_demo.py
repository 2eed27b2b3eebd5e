"""`evalkit demo` (what `make demo` runs): two toy checkpoints of the tiny Dynamic-VLM on the
bundled Video-MME sample, their paired comparison with the questions that flipped, the
leaderboard (one column: same model, same sampling) and the HTML page, readable at 80 columns."""
import os

import pytest

from evalkit.demo import RUNS, STEPS, demo_args
from evalkit.errors import ConfigError


def test_demo_at_80_columns(cli, monkeypatch):
    monkeypatch.setitem(os.environ, "COLUMNS", "80")
    code, out = cli("demo", "--output", cli.output)
    assert code == 0, out
    lines = out.splitlines()
    assert all(len(line.rstrip()) <= 80 for line in lines) and "…" not in out
    prose = " ".join(out.split())  # sentences wrap between words at 80 columns
    assert "TOY checkpoints: their scores mean nothing" in prose
    # both checkpoints name an option in every reply: scored, nothing unreadable
    assert "none of its 12 replies" not in prose
    assert "demo-toy-step-20 · model dynamic-vlm (TOY checkpoint: scores mean nothing)" in prose
    assert "demo-toy-step-35 · model dynamic-vlm (TOY checkpoint: scores mean nothing)" in prose
    # the comparison under the official protocol, with flips both ways, named
    assert "Paired comparison" in prose and "official protocol" in prose and "exact McNemar" in prose
    overall = [ln for ln in lines if ln.strip().startswith("overall")]
    assert len(overall) == 1 and overall[0].split()[1:4] == ["12", "58.3", "91.7"] and overall[0].split()[-1] == "5/1"
    assert ("flipped up (A wrong, B right): 001-2 A->B, 002-2 C->B, 002-3 C->A, 003-2 A->B, 004-2 A->B"
            in prose)
    assert "flipped down (A right, B wrong): 003-3 A->B" in prose
    # the leaderboard: one column holds both runs (no (a)/(b) split, no legend for one)
    board = [ln for ln in lines if ln.strip().startswith("demo-toy-step-") and "·" not in ln]
    assert [ln.split()[:2] for ln in board] == [["demo-toy-step-20", "(toy)"], ["demo-toy-step-35", "(toy)"]]
    assert "58.3 [41.7, 66.7]" in board[0] and "91.7 [75.0, 100.0]" in board[1]
    assert "videomme (a)" not in out and "videomme (b)" not in out
    page = cli.output / "demo-leaderboard.html"
    assert page.is_file() and str(page) in out.replace("\n", "")  # a path longer than the screen folds
    html = page.read_text(encoding="utf-8")
    assert "demo-toy-step-20" in html and "demo-toy-step-35" in html
    # the sample viewer of both runs, opened on the questions that flipped
    samples = cli.output / "demo-samples.html"
    assert samples.is_file() and (cli.output / "demo-samples_files").is_dir()
    link = samples.resolve().as_uri() + "#task=videomme&protocol=official&a=demo-toy-step-20&b=demo-toy-step-35&flip=either"
    assert link in "".join(lines)
    assert len(lines) < 60
    # a second demo resumes both runs instead of redoing them
    code, out = cli("demo", "--output", cli.output)
    assert code == 0 and out.count("videomme: resumed: 12 of 12 already done") == 2


def test_demo_runs_the_adapters_toy_presets():
    from evalkit.model_adapters.dynamic_vlm.adapter import TOY_PRESETS

    assert [args for _, args in RUNS] == [f"preset={p}" for p in TOY_PRESETS] and len(STEPS) == 2


def test_demo_model_args_are_extra_args_for_both_checkpoints():
    assert demo_args("") == {"device": "cpu"}  # where the toys' replies are pinned
    assert demo_args("device=cuda,max_frames=32") == {"device": "cuda", "max_frames": "32"}
    for chosen in ("checkpoint=/ckpt", "preset=tiny"):
        with pytest.raises(ConfigError, match="chooses the checkpoints itself"):
            demo_args(chosen)
