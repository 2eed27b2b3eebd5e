"""Bad and hostile inputs: each gives a clear per-sample failure, a recorded warning or a named
error, never a traceback, a silent degradation or a write outside evalkit's folders."""
import json
import os
import shutil

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from evalkit.data import cache_dir, samples_root
from evalkit.media.sampling import SamplingSpec
from evalkit.media.subtitles import decode_subtitles, parse_srt_checked
from evalkit.media.video import read_video
from evalkit.tasks.muirbench import MuirBench

SRT = "1\n00:00:00,000 --> 00:00:05,000\nCafé au lait\n\n2\n00:00:05,000 --> 00:00:10,000\nNaïve résumé\n"


def test_dataset_ids_never_become_paths(tmp_path):
    root = tmp_path / "muir"
    shutil.copytree(samples_root() / "muirbench", root)
    parquet = root / "data" / "test-00000-of-00001.parquet"
    rows = pq.read_table(parquet).to_pylist()
    rows[0]["idx"] = "../../../../evil"
    rows[0]["image_list"][0]["path"] = "x.pth"
    pq.write_table(pa.Table.from_pylist(rows), parquet)
    samples = MuirBench().load(str(root)).samples
    images = [p for s in samples for p in s.images]
    assert all(p.resolve().is_relative_to(cache_dir().resolve()) for p in images)
    assert not any(p.suffix == ".pth" for p in images) and not (tmp_path / "evil_0.png").exists()
    assert samples[0].id == "../../../../evil"  # the id itself is kept, only never used as a path


@pytest.mark.parametrize("encode, warning", [
    (lambda t: t.encode("utf-8"), None),
    (lambda t: t.encode("utf-8-sig"), None),
    (lambda t: t.encode("utf-16"), None),
    (lambda t: t.encode("latin-1"), "not UTF-8: read as Windows-1252/Latin-1"),
])
def test_subtitle_encodings_are_read_or_warned(tmp_path, encode, warning):
    path = tmp_path / "s.srt"
    path.write_bytes(encode(SRT))
    lines, said = parse_srt_checked(path)
    assert [ln.text for ln in lines] == ["Café au lait", "Naïve résumé"]
    assert said == (f"s.srt: {warning}" if warning else None)


def test_unusable_subtitles_are_warned_not_silent(tmp_path):
    assert decode_subtitles(b"\x00\x01\x02binary")[1] == "binary file, not subtitle text: no subtitles used"
    path = tmp_path / "s.srt"
    path.write_text("this is not an SRT file at all\n")
    lines, said = parse_srt_checked(path)
    assert lines == [] and "no subtitle cue could be read" in said


def test_subtitle_warnings_are_recorded_and_counted(cli, videomme_copy):
    (videomme_copy / "subtitle" / "smpl0000001.srt").write_bytes(SRT.encode("latin-1"))
    code, out = cli.run("--task", "videomme_w_subtitle", "--data", videomme_copy, "--model", "random",
                        "--model-args", "decode=true,max_frames=4")
    assert code == 0, out
    recs = [json.loads(x) for x in (cli.output / "r" / "videomme_w_subtitle" / "predictions.jsonl").read_text().splitlines()]
    warned = [r["id"] for r in recs if r["prompt"].get("warnings")]
    assert warned == ["001-1", "001-2", "001-3"]
    res = json.loads((cli.output / "r" / "results.json").read_text())["tasks"]["videomme_w_subtitle"]
    assert res["n_warned"] == 3 and "3 sample(s) with warnings" in " ".join(out.split())


def test_an_image_renamed_to_mp4_is_a_failed_sample(cli, videomme_copy):
    from PIL import Image

    Image.new("RGB", (64, 48)).save(videomme_copy / "data" / "smpl0000001.mp4", format="JPEG")
    code, out = cli.run("--task", "videomme", "--data", videomme_copy, "--model", "random",
                        "--model-args", "decode=true,max_frames=4")
    assert code == 0, out
    recs = [json.loads(x) for x in (cli.output / "r" / "videomme" / "predictions.jsonl").read_text().splitlines()]
    assert "is a JPEG image, not a video" in recs[0]["error"] and recs[3]["error"] is None


def test_a_rotated_video_gives_the_same_upright_pixels_whatever_the_backend(tmp_path):
    import av

    path = tmp_path / "rot.mp4"
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=4)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        s.set_display_rotation(90)
        for _ in range(8):
            img = np.zeros((48, 64, 3), np.uint8)
            img[:, :16] = 255  # a white band on the left of the coded picture
            for pk in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(pk)
        for pk in s.encode():
            c.mux(pk)
    video = read_video(path, SamplingSpec.paper(max_frames=4))
    assert video.backend == "pyav" and video.rotation == 90 and video.facts()["rotation"] == 90
    frame = video.frames[0]
    assert frame.shape == (64, 48, 3)  # shown upright: portrait
    assert frame[-16:].mean() > 200 and frame[:16].mean() < 50  # turned 90 degrees counter-clockwise
    sized = read_video(path, SamplingSpec.paper(max_frames=4, size=(32, 24)))
    assert sized.frames.shape[1:3] == (32, 24)


def test_empty_data_files_are_named_errors(cli, tmp_path):
    root = tmp_path / "ego"
    shutil.copytree(samples_root() / "egoschema", root)
    (root / "questions.json").write_text("[]")
    (root / "subset_answers.json").write_text("{}")
    code, out = cli.run("--task", "egoschema", "--data", root, "--model", "random")
    assert code == 2 and "egoschema: no samples in" in out and "questions.json" in out


def test_a_symlinked_video_folder_is_followed(cli, videomme_copy, tmp_path):
    elsewhere = tmp_path / "disk2" / "videos"
    elsewhere.parent.mkdir()
    shutil.move(str(videomme_copy / "data"), str(elsewhere))
    os.symlink(elsewhere, videomme_copy / "data")
    code, out = cli.run("--task", "videomme", "--data", videomme_copy, "--model", "random",
                        "--model-args", "decode=true,max_frames=4")
    assert code == 0, out
    res = json.loads((cli.output / "r" / "results.json").read_text())["tasks"]["videomme"]
    assert res["n_failed"] == 0


def test_leaderboard_files_escape_what_run_names_carry(cli, replay_run, videomme_targets):
    replay_run("=HYPERLINK(1)|<script>x", videomme_targets)
    code, out = cli("leaderboard", cli.output, "--format", "markdown")
    row = [ln for ln in out.splitlines() if "HYPERLINK" in ln][0]
    assert r"=HYPERLINK(1)\|&lt;script&gt;x" in row and "<script>" not in out
    assert len([c for c in row.replace(r"\|", "").split("|")]) == len(out.splitlines()[0].split("|"))  # same cells
    code, out = cli("leaderboard", cli.output, "--format", "csv")
    assert "'=HYPERLINK(1)|<script>x" in out and "\n=HYPERLINK" not in out


def test_the_judge_survives_broken_200_bodies_and_never_writes_url_credentials(cli, tmp_path, jsonl, monkeypatch):
    from evalkit.judge.server import MockJudgeServer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    rows = [{"id": "msvd_qa_0_0", "response": "grey [html]"}, {"id": "msvd_qa_0_1", "response": "yes [nochoices]"},
            {"id": "msvd_qa_1_0", "response": "grey [emptychoices]"}, {"id": "msvd_qa_1_1", "response": "yes"}]
    cli.run("--task", "msvd_qa", "--data", "sample", "--model", "replay",
            "--model-args", f"responses={jsonl(tmp_path / 'r.jsonl', rows)}")
    with MockJudgeServer() as server:
        url = server.base_url.replace("http://", "http://alice:s3cret-pass@")
        code, out = cli("judge", cli.output / "r", "--judge-model", "gpt-4o-mini-2024-07-18", "--base-url", url,
                        "--max-retries", "0", "--max-reasks", "0")
    assert code == 0 and "Traceback" not in out, out
    res = json.loads((cli.output / "r" / "results.json").read_text())["tasks"]["msvd_qa"]
    assert (res["n_judge_failed"], res["n_judged"]) == (3, 1)
    written = "".join(p.read_text(errors="replace") for p in (cli.output / "r").rglob("*") if p.is_file())
    assert "s3cret-pass" not in written and "alice" not in written
    assert res["judges"]["gpt-4o-mini-2024-07-18"]["judge"]["base_url"].startswith("http://***@127.0.0.1:")


def test_an_unreadable_video_fails_its_sample_without_decoder_log_lines(tmp_path):
    """The decoders' C-level log lines (ffmpeg's, decord's) stay off the terminal: a separate
    process, so that what reaches its stderr is all there is."""
    import subprocess
    import sys

    from evalkit.media.synthetic import write_video

    data = write_video(tmp_path / "v.mp4", 60, fps=10).read_bytes()
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(data[: len(data) // 2] + b"\x00" * 500 + data[len(data) // 2 + 500:])
    code = ("from evalkit.media.sampling import SamplingSpec\n"
            "from evalkit.media.video import quiet_decoders, read_video\n"
            "from evalkit.errors import MediaError\n"
            "quiet_decoders()\n"
            f"try:\n    read_video({str(broken)!r}, SamplingSpec.paper(max_frames=30))\n"
            "except MediaError as exc:\n    print('failed:', exc)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stdout.startswith("failed: cannot decode video") and proc.stderr == ""
