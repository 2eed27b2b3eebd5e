"""Every terminal table at 80 and 120 columns: no identifier (run, task, protocol, judge, group
name, header word) is cut or ended with an ellipsis; long names are wrapped, transposed or
abbreviated with a legend instead."""
import io
import json

import pytest
from rich.console import Console

from evalkit.bench import bench_tables
from evalkit.reports.compare import compare_runs, comparison_view
from evalkit.reports.board import build
from evalkit.reports.leaderboard import terminal_view
from evalkit.reports.summary import breakdown_table, summary
from evalkit.results import score_run
from evalkit.store import RunDir

LONG = "checkpoint-step-012000-lr3e-5-with-a-name-people-really-use"
RESPONSES = {"001-1": "C", "001-2": "B", "001-3": "A", "002-1": "c", "002-2": "B", "002-3": "D",
             "003-1": "no idea at all", "003-2": "B", "003-3": "D", "004-1": "C", "004-2": "D", "004-3": "A"}


def render(view, width: int) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(view(console))
    return console.export_text()


def assert_whole(text: str, names) -> None:
    assert "…" not in text and "..." not in text.replace("..+", "").replace("..-", "")
    lines = text.splitlines()
    assert all(len(line.rstrip()) <= WIDTH[0] for line in lines)
    for name in names:
        assert any(name in line for line in lines), f"{name!r} is cut:\n{text}"


WIDTH = [0]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Runs with long names, several tasks, two judges: everything a table has to fit."""
    import os

    from evalkit.cli import main
    from evalkit.judge.server import MockJudgeServer

    out = tmp_path_factory.mktemp("runs")
    path = out / "r.jsonl"
    path.write_text("".join(json.dumps({"id": k, "response": v}) + "\n" for k, v in RESPONSES.items()))
    base = ("--data", "sample", "--output", str(out))
    main(["run", "--task", "videomme,videomme_w_subtitle,mlvu,tempcompass", "--model", "random", "--run-name", LONG,
          *base])
    main(["run", "--task", "videomme,videomme_w_subtitle,mlvu,tempcompass", "--model", "replay", "--model-args",
          f"responses={path}", "--run-name", "second", *base])
    qa = out / "qa.jsonl"
    qa.write_text("".join(json.dumps({"id": f"msvd_qa_{v}_{k}", "response": "grey"}) + "\n"
                          for v in range(2) for k in range(2)))
    main(["run", "--task", "msvd_qa", "--model", "replay", "--model-args", f"responses={qa}", "--run-name", "judged", *base])
    os.environ.setdefault("OPENAI_API_KEY", "sk-test")
    with MockJudgeServer() as server:
        for judge in ("gpt-4o-mini-2024-07-18", "gpt-3.5-turbo-0125"):
            main(["judge", str(out / "judged"), "--judge-model", judge, "--base-url", server.base_url])
    return out


@pytest.mark.parametrize("width", [80, 120])
def test_summaries(runs, width):
    WIDTH[0] = width
    for name in (LONG, "judged"):
        results = score_run(RunDir(runs / name))
        text = render(lambda c, results=results: summary(results, c), width)
        protocols = {p for res in results["tasks"].values() for p in res["by_protocol"]}
        assert_whole(text, [*results["tasks"], *protocols, "unparsed", "failed"])
        if name == "judged":
            for judge in ("gpt-4o-mini-2024-07-18", "gpt-3.5-turbo-0125"):
                assert_whole(text, [judge])


@pytest.mark.parametrize("width", [80, 120])
def test_leaderboard(runs, width):
    WIDTH[0] = width
    board = build([str(runs)])
    text = render(lambda c: terminal_view(board, c), width)
    assert_whole(text, [LONG, "second", "judged", "videomme_w_subtitle", "tempcompass", "msvd_qa"])


@pytest.mark.parametrize("width", [80, 120])
def test_comparison_and_breakdowns(runs, width):
    WIDTH[0] = width
    (row,) = compare_runs(str(runs / LONG), str(runs / "second"), ["videomme"])
    text = render(lambda c: comparison_view(row, c), width)
    groups = [g for gs in row["breakdown"].values() for g in gs]
    assert_whole(text, ["overall", "flips", *[g for g in groups if " " not in g]])
    assert_whole(text, [w for g in groups for w in g.split()])  # multi-word groups wrap between words
    res = score_run(RunDir(runs / "second"))["tasks"]["videomme"]
    for key in res["breakdown"]:
        text = render(lambda c, key=key: breakdown_table("videomme", res, key), width)
        assert_whole(text, [key, *[w for g in res["breakdown"][key] for w in g.split()]])


@pytest.mark.parametrize("width", [80, 120])
def test_fixed_tables(width, capsys):
    WIDTH[0] = width
    rows = [{"mode": m, "n": 12, "decode_calls_per_video": 1.0, "decode_per_question": 0.1, "model_per_question": 1.2,
             "wall_per_question": 1.3, "wall_over_slower_stage": 1.05, "prefill_per_question": 4800,
             "prefill_tokens_per_s": 9000.0, "model_flop_utilisation": 0.4, "peak_rss_mb": 800.0}
            for m in ("per-question", "per-video", "warm-cache")]
    ratios = {"prefill tokens per question, per-video / per-question": 0.34}
    stages, work, summary = bench_tables(rows, ratios)
    assert_whole(render(lambda c: stages, width), ["per-question", "per-video", "warm-cache", "slower", "stage"])
    assert_whole(render(lambda c: work, width), ["per-question", "warm-cache", "40.0%", "RSS"])
    assert_whole(render(lambda c: summary, width), ["prefill", "per-video", "0.34"])
    from evalkit.cli import main

    import os
    os.environ["COLUMNS"] = str(width)
    try:
        assert main(["tokens", "--duration", "30", "600", "3600"]) == 0
    finally:
        del os.environ["COLUMNS"]
    text = capsys.readouterr().out
    assert_whole(text, ["duration", "budget", "frame", "tokens", "visual", "20x20"])
