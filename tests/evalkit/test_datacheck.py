"""evalkit data check names every missing or undecodable file and fails when a run would lack one."""


def test_a_complete_copy_passes_with_durations(cli):
    code, out = cli("data", "check", "--task", "videomme,muirbench", "--data", "sample")
    assert code == 0, out
    assert "videomme: hf-parquet layout (bundled sample), 12 samples, 4 videos: all present" in out
    assert "durations: min 12.0 s, median 90.0 s, max 240.0 s (4 videos)" in out
    assert "muirbench: hf-parquet layout (bundled sample), 3 samples, 7 images: all present" in out


def test_missing_and_broken_videos_are_named_and_fail_the_check(cli, videomme_copy):
    (videomme_copy / "data" / "smpl0000002.mp4").unlink()
    (videomme_copy / "data" / "smpl0000003.mp4").write_bytes(b"\x00" * 4096)
    code, out = cli("data", "check", "--task", "videomme", "--data", videomme_copy)
    assert code == 1
    assert "1 missing (first: " in out and "1 unreadable" in out
    assert f"missing: {videomme_copy / 'data' / 'smpl0000002.mp4'} (needed by 002-1, 002-2, 002-3)" in out
    assert f"unreadable: {videomme_copy / 'data' / 'smpl0000003.mp4'}: cannot decode video" in out


def test_the_run_says_in_one_line_what_it_found(cli, videomme_copy):
    (videomme_copy / "data" / "smpl0000002.mp4").unlink()
    code, out = cli.run("--task", "videomme", "--data", videomme_copy, "--model", "random")
    assert code == 0
    assert out.splitlines()[0].startswith("videomme: hf-parquet layout (") and "1 missing (first: " in out.splitlines()[0]
