"""The benchmark commands run and report every figure (no timing is asserted: speed is measured by
running these commands, not by tests)."""
import json


def test_bench_reports_both_modes(cli, tmp_path):
    out_json = tmp_path / "bench.json"
    code, out = cli("bench", "--task", "videomme", "--model", "random", "--model-args", "decode=true,max_frames=8",
                    "--limit", "3", "--json", out_json)
    assert code == 0, out
    rows = json.loads(out_json.read_text())
    assert [r["mode"] for r in rows] == ["sequential", "prefetch"]
    for r in rows:
        assert r["n"] == 3 and r["decode_s"] > 0 and r["peak_rss_mb"] > 0
        assert r["wall_over_slower_stage"] > 0
    assert "wall / slower stage" in out


def test_judge_bench_reports_the_speed_up(cli):
    code, out = cli("judge-bench", "--latency", "0.01", "--n", "4", "--concurrency", "2")
    assert code == 0, out
    assert "speed-up / ideal" in out


def test_scaling_bench_reports_ranks_and_concurrency(cli):
    code, out = cli("bench", "--scaling", "--scaling-samples", "12", "--sleep", "0.01", "--requests", "8",
                    "--latency", "0.01", "--concurrency", "4", "--json", cli.output.parent / "scaling.json")
    assert code == 0, out
    import json

    rows = json.loads((cli.output.parent / "scaling.json").read_text())
    assert [r["ideal_factor"] for r in rows] == [1, 2, 1, 4] and all(r["rate"] > 0 for r in rows)
    assert [r["ratio"] for r in rows[::2]] == [1.0, 1.0] and "ratio to ideal" in out
