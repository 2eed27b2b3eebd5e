"""The benchmark commands run and report every figure (no timing is asserted: speed is measured by
running these commands, not by tests)."""
import json


def test_bench_compares_per_question_and_per_video_work(cli, tmp_path):
    out_json = tmp_path / "bench.json"
    code, out = cli("bench", "--task", "videomme", "--model", "dynamic-vlm", "--model-args", "preset=tiny,max_frames=4",
                    "--limit", "6", "--json", out_json)
    assert code == 0, out
    figures = json.loads(out_json.read_text())
    base, shared, warm = figures["modes"]
    assert [r["mode"] for r in figures["modes"]] == ["per-question", "per-video", "warm-cache"]
    assert all(r["n"] == 6 and r["videos"] == 2 and r["peak_rss_mb"] > 0 for r in (base, shared, warm))
    # counts, not times: what each mode did
    assert (base["decode_calls"], shared["decode_calls"], warm["decode_calls"]) == (6, 2, 0)
    assert base["cached_tokens"] == 0 < shared["cached_tokens"] == warm["cached_tokens"]
    assert shared["prefill_tokens"] + shared["cached_tokens"] == base["prefill_tokens"]
    assert all(r["wall_over_slower_stage"] >= 1.0 for r in figures["modes"])  # wall clock cannot beat a stage
    assert warm["decode_s"] == 0 and figures["ratios"]["second checkpoint decode s, frame cache / none"] == 0
    assert figures["ratios"]["identical answers, per-video / per-question"] == 1.0
    assert "prefill tokens per question, per-video / per-question" in out


def test_union_of_spans_counts_overlap_once():
    from evalkit.bench import union_seconds

    assert union_seconds([(0, 2), (1, 3), None, (5, 6), (5.5, 5.8)]) == 4
    assert union_seconds([]) == 0


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
