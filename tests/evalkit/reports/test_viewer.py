"""``evalkit view``: what the page holds (outcomes, paired values, prompts, subtitles, frame strips),
how it is escaped, and the thumbnails (frame cache, decoding once, reuse). The page in a browser
is tested in test_browser.py."""
import json
import re
from pathlib import Path

import pytest
from PIL import Image

from evalkit.errors import ConfigError
from evalkit.media.sampling import (
    ExactSize, FpsFrames, PaperFrames, PixelBudget, SamplingSpec, SideSize, UniformFrames,
)
from evalkit.reports import viewer
from evalkit.reports.thumbnails import GivenFrames, spec_from_dict, spread
from evalkit.reports.viewer import embed_json, flip, hash_link, media_line, option_rows, outcome, paired_value

XSS_RUN = "A<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>window.pwned=1</script> B"
IMG = "<img src=x onerror=\"window.pwned=2\"> The answer is A"


def page_data(page: Path) -> dict:
    text = page.read_text(encoding="utf-8")
    blob = re.search(r'<script type="application/json" id="evalkit-data">(.*?)</script>', text, re.S).group(1)
    return json.loads(blob)


def rec(**kw):
    base = {"id": "1", "target": "B", "response": "B", "error": None, "parsed": {"p": "B"}, "score": {"p": 1.0}}
    return {**base, **kw}


# --- pure pieces --------------------------------------------------------------------------------------

def test_outcome_of_a_record_under_a_protocol():
    assert outcome(rec(), "p") == "right"
    assert outcome(rec(parsed={"p": "C"}, score={"p": 0.0}), "p") == "wrong"
    assert outcome(rec(parsed={"p": ""}, score={"p": 0.0}), "p") == "unparsed"  # strict: counts as wrong
    assert outcome(rec(parsed={"p": ""}, score={"p": None}), "p") == "unparsed"  # official: left out
    assert outcome(rec(response=None, error="video not found", parsed={"p": ""}, score={"p": 0.0}), "p") == "failed"
    assert outcome(rec(target="", score={"p": 0.0}), "p") == "unscored"  # no public answer
    assert outcome(rec(score={"p": None}), "p") == "unscored"
    assert outcome(rec(), "other") == "unparsed"


def test_paired_value_is_what_compare_pairs():
    assert paired_value(rec(score={"p": 0.0}), "p", judged=False) == 0.0
    assert paired_value(rec(score={"p": None}), "p", judged=False) is None
    verdicts = {"old-judge": {"pred": "yes", "score": 4, "error": None}, "new-judge": {"pred": "no", "score": 1, "error": None}}
    assert paired_value(rec(judgements=verdicts), "p", judged=True) == 4.0  # the primary (oldest) judge's score
    assert paired_value(rec(judgements={"j": {"pred": None, "score": None, "error": "timeout"}}), "p", judged=True) is None
    assert paired_value(rec(), "p", judged=True) is None


def test_flip_rule():
    assert flip(1.0, 0.0) == "down" and flip(0.0, 1.0) == "up"
    assert flip(1.0, 1.0) == "" and flip(None, 1.0) == "" and flip(0.0, None) == ""
    assert flip(4.0, 2.0) == "down"  # judge scores


def test_option_rows_mark_the_gold_and_keep_lettered_options_whole():
    assert option_rows(["A. One.", "B. Two."], "B") == ([["", "A. One."], ["", "B. Two."]], 1)
    assert option_rows(["once", "never", "more"], "C") == ([["A", "once"], ["B", "never"], ["C", "more"]], 2)
    assert option_rows(["A cat", "B dog"], "A") == ([["A", "A cat"], ["B", "B dog"]], 0)  # no "A." prefix
    assert option_rows(["x", "y"], "") == ([["A", "x"], ["B", "y"]], None)


def test_hash_link_encodes_values_and_puts_fields_named_like_filters_apart():
    assert hash_link("v.html") == "v.html"
    assert hash_link("v.html", task="videomme", run="A&B #1", outcome="wrong") == \
        "v.html#task=videomme&run=A%26B%20%231&outcome=wrong"
    assert hash_link("v.html", facets={"duration": "long", "task": "Counting"}, task="mlvu", flip=None) == \
        "v.html#task=mlvu&duration=long&f.task=Counting"
    with pytest.raises(ValueError, match="facets"):
        hash_link("v.html", duration="long")


def test_embedded_json_cannot_end_its_script_block():
    data = {"x": "</script><script>alert(1)</script>", "y": "<!-- & -->", "z": "\u2028 \ud800", "n": [1, None]}
    text = embed_json(data)
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    back = json.loads(text)
    assert back["x"] == data["x"] and back["y"] == data["y"] and back["n"] == [1, None]
    text.encode("utf-8")  # an unpaired surrogate is escaped, so the page is valid UTF-8


def test_spread_and_given_frames():
    assert spread(10, 0) == list(range(10)) and spread(3, 5) == [0, 1, 2]
    assert spread(120, 4) == [0, 40, 79, 119] and spread(5, 1) == [0]
    assert GivenFrames((0, 3, 99)).select(list(range(10)), 10, 1.0) == [0, 3]


@pytest.mark.parametrize("spec", [
    SamplingSpec.paper(max_frames=8), SamplingSpec.paper(max_frames=120, size=(336, 336)),
    SamplingSpec(UniformFrames(16, "arange"), SideSize(448, "shortest", 28)),
    SamplingSpec(FpsFrames(2.0, 4, 64), PixelBudget(3136, 100352, total_pixels=2000000)),
    SamplingSpec(PaperFrames(32), ExactSize(224, 224, "bicubic-aa")),
])
def test_the_run_sampling_gives_back_the_spec_the_frame_cache_keys_on(spec):
    assert spec_from_dict(spec.to_dict()).to_dict() == spec.to_dict()


def test_unknown_sampling_gives_no_spec():
    assert spec_from_dict(None) is None and spec_from_dict({"rule": "mystery"}) is None


def test_media_line():
    assert media_line(None) == "no pixels read"
    line = media_line({"n_frames": 8, "duration": 12.0, "frame_size": [48, 64], "sampling": "T=8", "decoder": "pyav",
                       "frame_cache": "hit"})
    assert line == "8 frames of 12.0 s, 48x64 px, T=8, pyav, frame cache hit"
    assert media_line({"n_images": 2, "sizes": [[24, 32], [24, 32]]}) == "2 image(s), 24x32 px"


# --- the page from runs ---------------------------------------------------------------------------------

@pytest.fixture
def two_runs(replay_run, videomme_targets):
    """A: right on 9, one reply a script, one an <img> payload, one unparsed; B: right on 10."""
    a = dict(videomme_targets)
    a.update({"001-2": SCRIPT, "001-3": IMG, "002-3": "I cannot tell", "004-1": "A"})
    b = dict(videomme_targets)
    b.update({"001-1": "A", "003-1": "D"})
    return replay_run(XSS_RUN, a), replay_run("B", b)


def test_view_of_two_replay_runs_shows_every_sample_with_frames_and_flips_like_compare(cli, two_runs, tmp_path):
    run_a, run_b = two_runs
    page = tmp_path / "out" / "ab.html"
    code, out = cli("view", run_a, run_b, "--out", page)
    assert code == 0, out
    assert "12 sample(s) of 1 task(s) from 2 run(s), 4 frame strip(s) (4 made now" in out
    data = page_data(page)
    assert [r["name"] for r in data["runs"]] == [XSS_RUN, "B"]
    samples = data["samples"]
    assert len(samples) == 12 and all(len(s["R"]) == 2 for s in samples)
    assert samples[0]["q"] == "How many distinct grey levels appear in the video?"
    assert samples[0]["o"][2] == ["", "C. Fifteen."] and samples[0]["gi"] == 2
    assert samples[0]["f"] == {"duration": "short", "domain": "Knowledge", "sub_category": "Humanity & History",
                               "task_type": "Counting Problem"}
    # replay runs read no pixels: each video gets a context strip of 8 frames, made once per video
    assert all(len(s["S"]) == 1 for s in samples)
    strips = data["strips"]
    assert len(strips) == 4 and all(st["ctx"] and len(st["ws"]) == 8 for st in strips)
    for st in strips:
        jpg = page.parent / st["src"]
        assert jpg.parent.name == "ab_files" and jpg.is_file()
        with Image.open(jpg) as im:
            assert im.height == st["h"] == 54 and im.width == sum(st["ws"]) + st["gap"] * 7
    # outcomes and the flips the page computes agree with evalkit compare's counts
    by_id = {s["id"]: s for s in samples}
    assert by_id["002-3"]["R"][0]["o"]["official"] == "u" and by_id["002-3"]["R"][0]["o"]["strict"] == "u"
    assert by_id["001-1"]["R"][1]["o"]["official"] == "w"
    downs = [s["id"] for s in samples if flip(s["R"][0]["s"]["official"], s["R"][1]["s"]["official"]) == "down"]
    ups = [s["id"] for s in samples if flip(s["R"][0]["s"]["official"], s["R"][1]["s"]["official"]) == "up"]
    assert downs == ["001-1", "003-1"] and ups == ["004-1"]
    code, _ = cli("compare", run_a, run_b, "--json", tmp_path / "cmp.json")
    (cmp,) = json.loads((tmp_path / "cmp.json").read_text())
    assert (cmp["n_right_to_wrong"], cmp["n_wrong_to_right"]) == (len(downs), len(ups))
    # prompts rebuilt from the data match the hashes the records hold
    assert all(r["pm"] is True for s in samples for r in s["R"])
    assert data["prompts"][samples[0]["R"][0]["pr"]].endswith("D. Thirty.\nThe best answer is:")
    # a second view decodes nothing: the strips are found in the page's folder
    code, out = cli("view", run_a, run_b, "--out", page)
    assert code == 0 and "0 made now" in out and "4 reused" in out


def test_everything_from_run_files_is_escaped(cli, two_runs, tmp_path):
    page = tmp_path / "ab.html"
    assert cli("view", *two_runs, "--out", page)[0] == 0
    text = page.read_text(encoding="utf-8")
    assert text.count("<script") == 2  # the data block and the page's own script, nothing from a response
    assert "window.pwned" in text and "<img src=x" not in text and "</script><script>" not in text
    assert f"<title>evalkit samples: {XSS_RUN.replace('<', '&lt;').replace('>', '&gt;')}, B</title>" in text
    data = page_data(page)
    responses = [r["x"] for s in data["samples"] for r in s["R"]]
    assert SCRIPT in responses and IMG in responses  # kept whole, shown as text by the page
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', text).group(1)
    assert "script-src 'sha256-" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "default-src 'none'" in csp


def test_placeholders_in_responses_are_not_filled_in(replay_run, videomme_targets, tmp_path):
    answers = dict(videomme_targets, **{"001-1": "%SCRIPT% %DATA% %TITLE%"})
    page = viewer.write_view([str(replay_run("p", answers))], tmp_path / "p.html",
                             viewer.ViewOptions(thumbs=False)).path
    data = page_data(page)
    assert data["samples"][0]["R"][0]["x"] == "%SCRIPT% %DATA% %TITLE%"


def test_frames_the_model_saw_with_subtitles_and_their_times(cli, tmp_path):
    code, out = cli.run("--task", "videomme_w_subtitle", "--data", "sample", "--model", "random",
                        "--model-args", "decode=true,max_frames=8", name="seen")
    assert code == 0, out
    view = viewer.write_view([str(cli.output / "seen")], None, viewer.ViewOptions(max_thumbs=4))
    assert view.path == cli.output / "seen" / "view.html" and view.made == 4
    data = page_data(view.path)
    recs = [json.loads(x) for x in (cli.output / "seen" / "videomme_w_subtitle" / "predictions.jsonl").read_text().splitlines()]
    first = data["samples"][0]
    strip = data["strips"][first["S"][0][0]]
    media = recs[0]["media"]
    assert not strip["ctx"] and strip["n"] == 8 and len(strip["ws"]) == 4  # 4 of the 8 frames shown
    assert strip["t"] == [media["timestamps"][i] for i in (0, 2, 5, 7)]
    assert strip["ws"][0] == 72  # the recorded 48x64 frames at 54 px high
    row = first["R"][0]
    assert row["m"].startswith("8 frames of 12.0 s, 48x64 px") and row["pm"] is True
    lines = data["subs"][row["sb"]]
    assert len(lines) == recs[0]["prompt"]["subtitle_lines"] > 0
    assert all(line in data["prompts"][row["pr"]] for line in lines)
    no_subs = next(s for s in data["samples"] if s["id"].startswith("003"))  # its video has no .srt
    assert "sb" not in no_subs["R"][0]


def test_strips_come_from_the_frame_cache_when_the_run_used_one(cli, tmp_path, monkeypatch):
    code, out = cli.run("--task", "videomme", "--data", "sample", "--model", "random",
                        "--model-args", "decode=true,max_frames=8", "--frame-cache", tmp_path / "fc", name="cached")
    assert code == 0, out

    def no_decoding(*a, **k):
        raise AssertionError("decoded although the frame cache holds the frames")

    monkeypatch.setattr("evalkit.media.video.read_video", no_decoding)
    view = viewer.write_view([str(cli.output / "cached")], tmp_path / "c.html")
    assert (view.from_cache, view.made, view.notes) == (4, 4, [])


def test_missing_data_leaves_a_note_and_the_samples(cli, replay_run, videomme_targets, tmp_path):
    run = replay_run("r", videomme_targets)
    code, out = cli("view", run, "--out", tmp_path / "v.html", "--data", tmp_path / "nowhere")
    assert code == 0, out
    assert "note:" in out and "its data was not found" in out
    data = page_data(tmp_path / "v.html")
    assert len(data["samples"]) == 12 and not any("S" in s for s in data["samples"]) and data["notes"]


def test_image_task_strips_and_default_page_of_two_runs(cli):
    for name in ("m1", "m2"):
        code, out = cli.run("--task", "muirbench", "--data", "sample", "--model", "random",
                            "--model-args", "decode=true", name=name)
        assert code == 0, out
    view = viewer.write_view([str(cli.output / "m1"), str(cli.output / "m2")])
    assert view.path == cli.output / "view_m1_vs_m2.html"
    data = page_data(view.path)
    first = data["samples"][0]
    assert first["S"][0][1] == [0, 1]  # one strip for both runs: the same two images
    strip = data["strips"][first["S"][0][0]]
    assert len(strip["ws"]) == 2 and strip["t"] == [None, None] and not strip["ctx"]


def test_judged_task_shows_verdicts_with_the_judges_reason(cli, tmp_path, jsonl, monkeypatch):
    from evalkit.judge.server import MockJudgeServer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    rows = [{"id": f"msvd_qa_{v}_{k}", "response": "grey"} for v in range(2) for k in range(2)]
    cli.run("--task", "msvd_qa", "--data", "sample", "--model", "replay",
            "--model-args", f"responses={jsonl(tmp_path / 'r.jsonl', rows)}", name="j")
    with MockJudgeServer() as server:
        assert cli("judge", cli.output / "j", "--judge-model", "gpt-4o-mini-2024-07-18", "--base-url", server.base_url)[0] == 0
    view = viewer.write_view([str(cli.output / "j")], tmp_path / "j.html", viewer.ViewOptions(thumbs=False))
    data = page_data(view.path)
    assert data["tasks"][0]["protocols"] == [{"name": "official", "kind": "judged"}]
    row = data["samples"][0]["R"][0]
    (judge, pred, score, reply, error) = row["j"][0]
    assert judge == "gpt-4o-mini-2024-07-18" and pred in ("yes", "no") and reply and error is None
    assert row["v"]["official"] == float(score)
    assert row["o"]["official"] == ("r" if pred == "yes" else "w")


def test_refusals(cli, replay_run, videomme_targets, tmp_path):
    run = replay_run("r", videomme_targets)
    code, out = cli("view", tmp_path / "nothing")
    assert code == 2 and "not a run dir" in out
    code, out = cli("view", run, "--task", "mlvu")
    assert code == 2 and "in none of the runs" in out
    code, out = cli("view", run, "--thumb-height", "2")
    assert code == 2 and "--thumb-height" in out
    import shutil

    shutil.copytree(run, tmp_path / "elsewhere" / "r")
    with pytest.raises(ConfigError, match="distinct names"):
        viewer.collect([str(run), str(tmp_path / "elsewhere")], viewer.ViewOptions(), tmp_path / "x.html")
