import json

import pytest

import pandas as pd

from evalkit.errors import ConfigError
from evalkit.model import ModelAdapter
from evalkit.sweep import parse_grid, points, sweep_table


class Doubling(ModelAdapter):
    """An adapter whose grid key ``half`` derives the real argument ``size``."""

    name = "doubling"
    sweep_headings = {"size": "# Size"}

    @classmethod
    def sweep_args(cls, point):
        args = dict(point)
        if "half" in args:
            args["size"] = str(2 * int(args.pop("half")))
        return args

    def generate(self, requests):
        return []


def test_grid_points_go_through_the_adapters_hook():
    pts = points(parse_grid(["half=1,2", "other=x"]), {"fixed": "f"}, Doubling)
    assert pts == [({"half": "1", "other": "x"}, {"fixed": "f", "other": "x", "size": "2"}),
                   ({"half": "2", "other": "x"}, {"fixed": "f", "other": "x", "size": "4"})]
    assert points(parse_grid(["k=1"]), {}, ModelAdapter) == [({"k": "1"}, {"k": "1"})]  # default: unchanged


def test_table_puts_the_adapters_headed_arguments_first():
    df = pd.DataFrame([{"half": "1", "size": "2", "run": "r1", "videomme": 50.0},
                       {"half": "2", "size": "4", "run": "r2", "videomme": None}])
    out = sweep_table(df, ["videomme"], Doubling.sweep_headings)
    assert list(out.columns) == ["# Size", "half", "videomme", "run"]
    assert out["videomme"].tolist() == ["50.0%", "-"]


def test_bad_grids():
    with pytest.raises(ConfigError, match="key=v1,v2"):
        parse_grid(["tokens_per_frame"])


def test_sweep_runs_resumable_runs_and_tabulates_like_table6(cli):
    args = ("sweep", "--task", "videomme", "--data", "sample", "--limit", "2", "--model", "dynamic-vlm",
            "--model-args", "preset=tiny", "--grid", "tokens_per_frame=64,100", "--grid", "max_visual_tokens=2000",
            "--output", cli.output, "--name", "t6")
    code, out = cli(*args)
    assert code == 0, out
    assert "# Tokens/F" in out and "# Max Frames" in out
    run = cli.output / "t6__tokens_per_frame-64__max_visual_tokens-2000"
    recs = [json.loads(x) for x in (run / "videomme" / "predictions.jsonl").read_text().splitlines()]
    assert len(recs) == 2 and recs[0]["model"]["max_frames"] == 31  # 2000 // 64
    assert recs[0]["model"]["n_frames"] == 12 and recs[0]["model"]["tokens_per_frame"] == 144  # 12 s clip: 1 fps, 2000 // 12 -> 12x12
    before = (run / "videomme" / "predictions.jsonl").read_bytes()
    assert cli(*args)[0] == 0  # rerun: resumes, nothing redone
    assert (run / "videomme" / "predictions.jsonl").read_bytes() == before
    code, out = cli("table", "--paper", "6", cli.output)
    assert "t6__tokens_per_frame-100__max_visual_tokens-2000" in out
