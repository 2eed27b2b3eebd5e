"""Finding a benchmark where users keep it: --data, --media, the hub cache of lmms-eval and
VLMEvalKit downloads, and what happens when layouts are unknown or disagree."""
import json
import os
import shutil

import pandas as pd
import pytest

from evalkit.data import samples_root
from evalkit.errors import DataError
from evalkit.tasks.videomme import PARQUET, VideoMME, VideoMMEWithSubtitles
from tests.conftest import hub_snapshot

SHA = "0123456789abcdef0123456789abcdef01234567"


def vlmevalkit_tsv(parquet, out):
    """Video-MME.tsv as VLMEvalKit's prepare_dataset writes it from the snapshot's parquet."""
    df = pd.read_parquet(parquet)
    table = pd.DataFrame({
        "index": range(len(df)), "video": df["videoID"], "video_path": [f"./video/{v}.mp4" for v in df["videoID"]],
        "duration": df["duration"], "domain": df["domain"], "candidates": [str(list(o)) for o in df["options"]],
        "sub_category": df["sub_category"], "task_type": df["task_type"],
        "subtitle_path": [f"./subtitle/{v}.srt" for v in df["videoID"]], "question": df["question"],
        "answer": df["answer"]})
    table.to_csv(out, sep="\t", index=False)
    return out


@pytest.fixture
def lmms_eval_home(tmp_path):
    """An lmms-eval user's $HF_HOME: the parquet in the hub cache (lmms-eval/ org), the videos and
    subtitles unzipped into $HF_HOME/videomme."""
    home = tmp_path / "hf"
    src = samples_root() / "videomme"
    hub_snapshot(home, "lmms-eval/Video-MME", SHA, {str(PARQUET): src / PARQUET})
    shutil.copytree(src / "data", home / "videomme" / "data")
    shutil.copytree(src / "subtitle", home / "videomme" / "subtitle")
    return home


def test_an_lmms_eval_download_is_found_without_data(lmms_eval_home, monkeypatch, same_as):
    monkeypatch.setenv("HF_HOME", str(lmms_eval_home))
    task = VideoMMEWithSubtitles()
    found = task.load(None)
    same_as(task, found, task.load("sample"))
    loc = found.located
    assert (loc.how, loc.repo, loc.revision) == ("hub cache", "lmms-eval/Video-MME", SHA)
    assert loc.media == lmms_eval_home / "videomme" and found.layout == "hf-parquet"
    assert all(s.assets.get("subtitles", lmms_eval_home / "videomme").is_relative_to(lmms_eval_home / "videomme")
               for s in found.samples)
    info = task.describe(found)
    assert info["dataset_revision"] == SHA and info["layout"]["repo"] == "lmms-eval/Video-MME"


def test_the_older_lmms_lab_org_is_found_too(tmp_path, monkeypatch):
    src = samples_root() / "videomme"
    hub_snapshot(tmp_path, "lmms-lab/Video-MME", SHA, {str(PARQUET): src / PARQUET})
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    found = VideoMME().load(None, media=str(src))  # videos kept elsewhere: --media
    assert found.located.repo == "lmms-lab/Video-MME" and found.samples[0].video.is_file()


def test_a_vlmevalkit_snapshot_keeps_the_parquet_and_its_tsv(tmp_path, same_as):
    src = samples_root() / "videomme"
    snap = tmp_path / "snap"
    shutil.copytree(src / "videomme", snap / "videomme")
    shutil.copytree(src / "data", snap / "video")  # VLMEvalKit flattens the zips into video/
    shutil.copytree(src / "subtitle", snap / "subtitle")
    vlmevalkit_tsv(src / PARQUET, snap / "Video-MME.tsv")
    task = VideoMMEWithSubtitles()
    both = task.load(str(snap))
    same_as(task, both, task.load("sample"))
    assert both.layout == "hf-parquet" and both.also_found == ["vlmevalkit-tsv"]
    tsv_only = task.load(str(snap / "Video-MME.tsv"))  # --data FILE picks that layout
    same_as(task, tsv_only, task.load("sample"))
    assert tsv_only.layout == "vlmevalkit-tsv" and tsv_only.lacks
    assert [s.fields["video_id"] for s in tsv_only.samples] == [s.fields["video_id"] for s in both.samples]


def test_layouts_that_disagree_are_refused_naming_both(tmp_path):
    src = samples_root() / "videomme"
    shutil.copytree(src / "videomme", tmp_path / "videomme")
    tsv = vlmevalkit_tsv(src / PARQUET, tmp_path / "Video-MME.tsv")
    table = pd.read_csv(tsv, sep="\t")
    table.loc[4, "answer"] = "D"  # a stale or edited copy
    table.to_csv(tsv, sep="\t", index=False)
    with pytest.raises(DataError, match=r"two layouts that disagree: hf-parquet .* and vlmevalkit-tsv .*'002-2'"):
        VideoMME().load(str(tmp_path))


def test_a_tsv_out_of_video_order_is_refused(tmp_path):
    src = samples_root() / "videomme"
    tsv = vlmevalkit_tsv(src / PARQUET, tmp_path / "Video-MME.tsv")
    table = pd.read_csv(tsv, sep="\t")
    table.loc[[2, 3], "video"] = table.loc[[3, 2], "video"].values
    table.to_csv(tsv, sep="\t", index=False)
    with pytest.raises(DataError, match="not in Video-MME's row order"):
        VideoMME().load(str(tsv))


def test_an_unknown_layout_names_the_files_and_the_layouts_tried(tmp_path):
    (tmp_path / "questions.csv").write_text("a,b\n")
    (tmp_path / "clips").mkdir()
    with pytest.raises(DataError) as err:
        VideoMME().load(str(tmp_path))
    text = str(err.value)
    assert "clips/, questions.csv" in text and "hf-parquet (videomme/test-*.parquet" in text
    assert "vlmevalkit-tsv (Video-MME.tsv, VLMEvalKit)" in text


def test_the_newest_usable_snapshot_is_taken(tmp_path, monkeypatch):
    src = samples_root() / "videomme"
    old = hub_snapshot(tmp_path, "lmms-eval/Video-MME", "a" * 40, {str(PARQUET): src / PARQUET})
    new = hub_snapshot(tmp_path, "lmms-eval/Video-MME", "b" * 40, {"README.md": src / PARQUET})  # no annotations
    os.utime(old, (1, 1))
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    assert new.is_dir()
    assert VideoMME().load(None, media=str(src)).located.revision == "a" * 40


def test_run_json_records_the_layout_and_refuses_other_data_on_resume(cli, lmms_eval_home, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HOME", str(lmms_eval_home))
    code, out = cli.run("--task", "videomme", "--model", "random", name="hub")
    assert code == 0, out
    assert "videomme: hf-parquet layout (hub cache lmms-eval/Video-MME@01234567, media " in out
    info = json.loads((cli.output / "hub" / "run.json").read_text())["tasks"]["videomme"]
    assert info["layout"]["name"] == "hf-parquet" and info["dataset_revision"] == SHA
    result = json.loads((cli.output / "hub" / "results.json").read_text())["tasks"]["videomme"]
    assert result["data_layout"] == {"name": "hf-parquet", "lacks": []} and result["dataset_revision"] == SHA
    # the same run name over a changed annotation file refuses, as for any data change
    snap = lmms_eval_home / "hub" / "datasets--lmms-eval--Video-MME" / "snapshots" / SHA / PARQUET
    table = pd.read_parquet(snap)
    table.loc[0, "question"] = "changed?"
    snap.unlink()
    table.to_parquet(snap)
    code, out = cli.run("--task", "videomme", "--model", "random", name="hub")
    assert code == 2 and "annotations_sha256" in out


def test_media_flag_per_task(cli, tmp_path):
    src = samples_root() / "videomme"
    annotations = tmp_path / "annotations"
    shutil.copytree(src / "videomme", annotations / "videomme")
    code, out = cli.run("--task", "videomme", "--data", f"videomme={annotations}", "--media", f"videomme={src}",
                        "--model", "random", "--model-args", "decode=true,max_frames=2")
    assert code == 0 and "media " in out, out
    code, out = cli.run("--task", "videomme", "--data", annotations, "--model", "random",
                        "--model-args", "decode=true,max_frames=2", name="no-media")
    assert code == 0 and "4 missing" in out  # each sample fails alone, naming its path


def test_runs_on_two_layouts_of_the_same_data_pair_up(cli, tmp_path, replay_run, videomme_targets):
    from evalkit.reports.compare import compare_runs
    from evalkit.reports.board import build

    src = samples_root() / "videomme"
    snap = tmp_path / "vlmevalkit"
    shutil.copytree(src / "data", snap / "video")
    vlmevalkit_tsv(src / PARQUET, snap / "Video-MME.tsv")
    replay_run("parquet", videomme_targets)
    replay_run("tsv", {**videomme_targets, "001-1": "D"}, extra=("--data", str(snap)))
    a, b = (json.loads((cli.output / n / "results.json").read_text())["tasks"]["videomme"] for n in ("parquet", "tsv"))
    assert a["annotations_sha256"] != b["annotations_sha256"]  # other files ...
    assert a["data_fingerprint"] == b["data_fingerprint"]  # ... the same questions and answers
    assert [c.label for c in build([str(cli.output)]).columns] == ["videomme"]
    [cmp] = compare_runs(str(cli.output / "parquet"), str(cli.output / "tsv"))
    assert cmp["n_shared"] == 12 and cmp["n_right_to_wrong"] == 1
