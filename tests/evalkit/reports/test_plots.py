"""Plots: run attributes, group numbers, figures as SVG/PNG files and inline SVG, ``evalkit plot``,
and the plots and viewer links of the HTML leaderboard."""
import json
import re

import pytest

from evalkit.reports import plots
from evalkit.reports.plots import (
    Line, Point, Stat, as_number, bars_figure, breakdown_lines, group_stat, inline_svg, length_bucket, order_groups,
    run_attribute, save, series_figure, step_of,
)

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("text, step", [
    ("ckpt-step-200", 200), ("run__step-1500", 1500), ("/ckpt/run2/checkpoint-1000", 1000), ("global_step300", 300),
    ("iter_50", 50), ("ckpt=12", 12), ("checkpoint-1000/step-20", 20), ("steps100", None), ("mystep-5", None),
    ("run2", None), (None, None), ("STEP-7", 7),
])
def test_step_from_names_and_paths(text, step):
    assert step_of(text) == step


def test_run_attribute_lookup_order():
    results = {"model": {"args": {"max_frames": 64}}, "seed": 3}
    info = {"model": {"name": "m", "args": {"max_frames": 64, "checkpoint": "/ckpt/checkpoint-900", "lr": "1e-5"},
                      "max_visual_tokens": 8000, "tokens_per_frame_at_max_frames": 100, "label": "x"}}
    assert run_attribute("r", results, info, "model.args.max_frames") == 64  # dotted: results.json first
    assert run_attribute("r", results, info, "model.max_visual_tokens") == 8000  # then run.json
    assert run_attribute("r", results, info, "seed") is None  # a bare name is not a top-level key
    assert run_attribute("t6__tokens_per_frame-36__max_visual_tokens-4000", results, info, "max_visual_tokens") == 4000
    assert run_attribute("r", results, info, "max_visual_tokens") == 8000  # model facts
    assert run_attribute("r", results, info, "lr") == 1e-5  # model args, numbers in strings
    assert run_attribute("r", results, info, "label") is None  # not a number
    assert run_attribute("r", results, info, "step") == 900  # the checkpoint path
    assert run_attribute("ft-step-200", results, info, "step") == 200  # the run name first
    assert run_attribute("s__step-5", {}, {}, "step") == 5
    assert as_number(True) is None and as_number(float("nan")) is None and as_number("1,000") == 1000


def test_length_buckets_and_group_order():
    assert [length_bucket(x) for x in (0, 30, 60, 599, 1800, 7200, None, "x")] == [
        None, "<1 min", "1-3 min", "3-10 min", "30-60 min", ">60 min", None, None]
    assert order_groups(["long", "Knowledge", "short", "medium"]) == ["short", "medium", "long", "Knowledge"]
    assert order_groups(["10-30 min", "<1 min"]) == ["<1 min", "10-30 min"]
    assert order_groups(["16", "4", "8"]) == ["4", "8", "16"]


def test_group_numbers_leave_unscored_items_out_and_resample_clusters():
    s = group_stat([1.0, 0.0, None, 1.0], ["v1", "v1", "v2", "v3"])
    assert s.value == pytest.approx(200 / 3) and s.n == 4 and s.ci is not None and 0 <= s.ci[0] <= s.ci[1] <= 100
    assert group_stat([None], ["v"]) == Stat(None, None, 1)
    records = [{"target": "A", "cluster": "v1", "fields": {"tag": ["x", "y"], "d": "short"}, "score": {"p": 1.0},
                "media": {"duration": 30}},
               {"target": "A", "cluster": "v2", "fields": {"tag": ["y"], "d": "long"}, "score": {"p": 0.0},
                "media": {"duration": 900}},
               {"target": "", "cluster": "v3", "fields": {"tag": ["x"], "d": "long"}, "score": {"p": 0.0}}]
    (line,) = breakdown_lines([("run", records)], "p", "tag")
    assert {g: (s.value, s.n) for g, s in line.stats.items()} == {"x": (100.0, 1), "y": (50.0, 2)}
    (by_length,) = breakdown_lines([("run", records)], "p", None)
    assert {g: s.value for g, s in by_length.stats.items()} == {"<1 min": 100.0, "10-30 min": 0.0}


def test_figures_as_files_and_inline_svg_with_labels_as_text(tmp_path):
    lines = [Line("<script>alert(1)</script> $x$", {"a": Stat(50.0, (40.0, 60.0), 10), "b": Stat(70.0, None, 5)}),
             Line("B & C", {"a": Stat(55.0, (56.0, 60.0), 10)})]  # a percentile CI may miss the mean
    fig = bars_figure("t & <title>", lines)
    paths = save(fig, tmp_path / "plots", "category_x")
    assert [p.name for p in paths] == ["category_x.svg", "category_x.png"]
    assert paths[1].read_bytes()[:8] == PNG
    svg = paths[0].read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; $x$" in svg and "<script" not in svg and "B &amp; C" in svg
    assert "Date" not in svg and save(fig, tmp_path / "again", "category_x")[0].read_text() == svg  # reproducible
    one, two = inline_svg(fig, "one"), inline_svg(fig, "two")
    assert one.startswith("<svg") and "<?xml" not in one and "DOCTYPE" not in one
    ids = lambda s: set(re.findall(r'id="([^"]+)"', s))  # noqa: E731
    assert ids(one) and not ids(one) & ids(two)  # two plots on one page share no element id
    refs = set(re.findall(r'(?:url\(#|href="#)([^)"]+)', one))
    assert refs and refs <= ids(one)  # clip paths and markers still point at their elements
    assert bars_figure("empty", [Line("r", {})]) is None


def test_series_figure_bands_and_reference(tmp_path):
    fig = series_figure("s", "step", {"videomme": [Point(200, 60.0, (55.0, 65.0), "b"), Point(100, 58.0, None, "a")]},
                        reference={"paper": [(100, 50.0)]}, log2_x=True)
    svg = inline_svg(fig, "s")
    assert "videomme" in svg and "paper (paper)" in svg
    assert series_figure("s", "x", {"t": [Point(1, None, None, "r")]}) is None


def wrong(letter: str) -> str:
    return "D" if letter != "D" else "A"


# --- from runs --------------------------------------------------------------------------------------------

@pytest.fixture
def checkpoints(replay_run, videomme_targets):
    """Three replay runs named like a checkpoint series, better with training."""
    ids = list(videomme_targets)
    out = []
    for step, n_right in ((100, 4), (200, 8), (300, 12)):
        answers = {k: (v if i < n_right else wrong(v)) for i, (k, v) in enumerate(videomme_targets.items())}
        out.append(replay_run(f"ft__step-{step}", answers))
    assert len(ids) == 12
    return out


def test_plot_command_writes_svg_and_png(cli, checkpoints, tmp_path):
    out = tmp_path / "plots"
    code, text = cli("plot", *checkpoints[:2], "--out", out)
    assert code == 0, text
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(f"{kind}_videomme_{key}.{ext}" for kind, key in (
        ("duration", "duration"), ("category", "domain"), ("category", "sub_category"), ("category", "task_type"))
        for ext in ("svg", "png"))
    svg = (out / "duration_videomme_duration.svg").read_text()
    assert "ft__step-100" in svg and "short (n=6)" in svg and "long (n=3)" in svg
    code, text = cli("plot", checkpoints[0], "--out", out, "--kind", "duration", "--by", "task_type", "--protocol", "strict")
    assert code == 0 and "category_videomme_task_type.svg" in text
    code, text = cli("plot", checkpoints[0], "--out", out, "--kind", "bars")
    assert code == 2 and "plots are category, duration, series, table6" in text
    code, text = cli("plot", checkpoints[0], "--out", out, "--kind", "series")
    assert code == 2 and "--x" in text


def test_checkpoint_series_from_run_names(cli, checkpoints, tmp_path):
    code, text = cli("plot", checkpoints[0].parent, "--kind", "series", "--x", "step", "--out", tmp_path / "p")
    assert code == 0, text
    svg = (tmp_path / "p" / "series_step.svg").read_text()
    assert "headline score against step" in svg and "videomme" in svg
    runs = plots.load_run_files([str(checkpoints[0].parent)])
    plot, left = plots.series_plot(runs, "step")
    assert left == [] and plot is not None
    (ax,) = plot.fig.axes
    (line,) = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]  # not the CI caps
    assert list(line.get_xdata()) == [100, 200, 300]
    assert [round(y, 1) for y in line.get_ydata()] == [33.3, 66.7, 100.0]
    _, left = plots.series_plot(runs, "max_frames")
    assert len(left) == 4 and "ft__step-100 (no numeric max_frames)" in left


def test_table6_from_sweep_named_runs(replay_run, videomme_targets, tmp_path):
    for tpf, nmax, n_right in ((64, 4000, 6), (100, 4000, 9), (64, 8000, 12)):
        answers = {k: (v if i < n_right else wrong(v)) for i, (k, v) in enumerate(videomme_targets.items())}
        replay_run(f"t6__tokens_per_frame-{tpf}__max_visual_tokens-{nmax}", answers)
    other = replay_run("baseline", videomme_targets)
    plot, left = plots.table6_plot(plots.load_run_files([str(other.parent)]))
    assert left == ["baseline (no tokens per frame)"]
    labels = [t.get_text() for t in plot.fig.axes[0].get_legend().get_texts()]
    assert labels == ["N_max 8,000", "N_max 4,000", "N_max 12,000 (paper)", "N_max 8,000 (paper)", "N_max 4,000 (paper)"]
    mine = {ln.get_label(): (list(ln.get_xdata()), [round(y, 1) for y in ln.get_ydata()]) for ln in plot.fig.axes[0].get_lines()
            if ln.get_linestyle() == "-" and not ln.get_label().startswith("_")}
    assert mine == {"N_max 8,000": ([64], [100.0]), "N_max 4,000": ([64, 100], [50.0, 75.0])}
    paths = save(plot.fig, tmp_path, plot.stem)
    assert paths[0].name == "table6_videomme.svg" and paths[1].read_bytes()[:8] == PNG


def test_table6_and_series_of_a_real_sweep(cli, tmp_path):
    """``evalkit sweep`` names runs <prefix>__<key>-<value> and run.json holds the model's facts:
    both plots find their attributes (the tiny random model answers nothing the official rule
    reads, so strict scores are plotted)."""
    code, out = cli("sweep", "--task", "videomme", "--data", "sample", "--limit", "1", "--model", "dynamic-vlm",
                    "--model-args", "preset=tiny", "--grid", "tokens_per_frame=64,100", "--grid", "max_visual_tokens=2000",
                    "--output", cli.output, "--name", "t6")
    assert code == 0, out
    runs = plots.load_run_files([str(cli.output)])
    assert sorted(run_attribute(r.name, r.results, r.info, "tokens_per_frame") for r in runs) == [64, 100]
    assert sorted(run_attribute(r.name, r.results, r.info, "model.args.max_frames") for r in runs) == [20, 31]
    assert {run_attribute(r.name, r.results, r.info, "max_visual_tokens") for r in runs} == {2000}
    code, out = cli("plot", cli.output, "--kind", "table6,series", "--x", "tokens_per_frame", "--protocol", "strict",
                    "--out", tmp_path / "p")
    assert code == 0, out
    assert (tmp_path / "p" / "table6_videomme.png").is_file() and (tmp_path / "p" / "series_tokens_per_frame.svg").is_file()


def test_leaderboard_page_embeds_plots_and_links_cells_to_the_viewer(cli, checkpoints, tmp_path):
    out, samples = tmp_path / "board.html", tmp_path / "pages" / "samples.html"
    code, text = cli("leaderboard", checkpoints[0].parent, "--format", "html", "--out", out, "--viewer", samples,
                     "--x", "step")
    assert code == 0, text
    page = out.read_text()
    assert page.count("<svg") >= 1 + 4 + 1  # the bar chart, duration + 3 category plots, the series
    assert "videomme: official accuracy by duration" in page and "headline score against step" in page
    assert 'href="pages/samples.html#task=videomme&amp;run=ft__step-100"' in page
    assert 'href="pages/samples.html#task=videomme&amp;run=ft__step-200&amp;duration=long"' in page
    assert samples.is_file() and json.loads(re.search(r'id="evalkit-data">(.*?)</script>', samples.read_text(), re.S)
                                            .group(1))["samples"]
    code, text = cli("leaderboard", checkpoints[0].parent, "--viewer", samples)
    assert code == 2 and "--format html" in text
    code, text = cli("leaderboard", checkpoints[0].parent, "--format", "html", "--viewer", samples)
    assert code == 2 and "--viewer needs --out" in text


def test_compare_page_links_groups_and_flips_to_the_viewer(cli, checkpoints, tmp_path):
    out, samples = tmp_path / "cmp.html", tmp_path / "cmp-samples.html"
    code, text = cli("compare", checkpoints[0], checkpoints[2], "--html", out, "--viewer", samples, "--protocol", "strict")
    assert code == 0, text
    page = out.read_text()
    a, b = "ft__step-100", "ft__step-300"
    assert f'cmp-samples.html#task=videomme&amp;protocol=strict&amp;flip=up&amp;a={a}&amp;b={b}">8</a>' in page
    assert 'cmp-samples.html#task=videomme&amp;protocol=strict&amp;duration=long">3</a>' in page
    assert "<svg" in page and samples.is_file()
    code, text = cli("compare", checkpoints[0], checkpoints[2], "--viewer", samples)
    assert code == 2 and "--viewer needs --html" in text
