"""Every decoder returns the frame shown at each target time, on the structures decoders get
wrong (B-frames, open GOP from x264 and x265, variable frame rate, display rotation), sparse and
dense alike; the sampled frames never depend on the decoder."""
from fractions import Fraction

import numpy as np
import pytest

from evalkit.media import video as video_mod
from evalkit.media.sampling import SamplingSpec
from evalkit.media.synthetic import write_textured_video
from evalkit.media.video import VideoInfo, decoder_unavailable, probe_video, read_plan, read_video

DECODERS = ["pyav", "decord", "torchcodec"]


@pytest.fixture(scope="module")
def structured(tmp_path_factory):
    d = tmp_path_factory.mktemp("structured")
    small = dict(seconds=16, fps=25, size=(64, 96), keyint=40)
    return {
        "x264-bframes": write_textured_video(d / "closed.mp4", params="bframes=3", **small),
        "x264-open-gop": write_textured_video(d / "open.mp4", params="open-gop=1:bframes=3", **small),
        "x265": write_textured_video(d / "x265.mp4", codec="libx265", **small),
        "vfr": write_textured_video(d / "vfr.mp4", params="bframes=3", frame_times=VFR_TIMES, **small),
        "rotated": write_textured_video(d / "rotated.mp4", params="bframes=3", rotation=90, **small),
    }


# 16 s of frames whose intervals vary from 10 ms to 0.5 s
VFR_TIMES = [round(sum(0.01 + 0.49 * ((k * 7) % 11) / 10 for k in range(i)), 3) for i in range(60)]


def full_decode(path):
    """PyAV, every frame in one pass, shown upright, keyed by presentation timestamp: the reference."""
    import av

    with av.open(str(path)) as container:
        return {f.pts: np.rot90(f.to_ndarray(format="rgb24"), k=round(f.rotation / 90) % 4)
                for f in container.decode(video=0)}


def assert_shown_frames(sv, path):
    info, truth = probe_video(path), full_decode(path)
    ticks = sorted(truth)
    for frame, index in zip(sv.frames, sv.indices):
        expected = truth[info.ticks[index]]
        diffs = [np.abs(frame.astype(int) - truth[t].astype(int)).mean() for t in ticks]
        assert int(np.argmin(diffs)) == index, f"frame {index} came back as frame {int(np.argmin(diffs))}"
        assert np.abs(frame.astype(int) - expected.astype(int)).mean() < 1.0


@pytest.mark.parametrize("max_frames", [5, 60], ids=["sparse", "dense"])
@pytest.mark.parametrize("name", ["x264-bframes", "x264-open-gop", "x265", "vfr", "rotated"])
@pytest.mark.parametrize("decoder", DECODERS)
def test_each_decoder_gives_the_frame_on_screen(structured, name, max_frames, decoder):
    why = decoder_unavailable(decoder)
    if why:
        pytest.skip(why)
    sv = read_video(structured[name], SamplingSpec.paper(max_frames=max_frames), decoder)
    assert_shown_frames(sv, structured[name])
    if sv.backend != decoder:
        assert sv.fallback and sv.facts()["decoder_fallback"] == sv.fallback


def test_open_gop_is_detected_and_decord_is_not_trusted_with_it(structured):
    assert not probe_video(structured["x264-bframes"]).open_gop
    assert probe_video(structured["x264-open-gop"]).open_gop and probe_video(structured["x265"]).open_gop
    if decoder_unavailable("decord"):
        pytest.skip("decord cannot load here")
    sv = read_video(structured["x265"], SamplingSpec.paper(max_frames=5), "decord")
    assert sv.backend == "pyav" and sv.fallback.startswith("open GOP")
    assert read_video(structured["x264-bframes"], SamplingSpec.paper(max_frames=5), "decord").backend == "decord"


def test_unloadable_decoder_falls_back_with_its_reason(structured, monkeypatch):
    monkeypatch.setattr(video_mod, "decoder_unavailable", lambda name: f"{name} cannot load here: libfoo.so")
    sv = read_video(structured["x265"], SamplingSpec.paper(max_frames=5), "torchcodec")
    assert sv.backend == "pyav" and sv.fallback == "torchcodec cannot load here: libfoo.so"


def test_targets_do_not_depend_on_the_decoder(structured):
    spec = SamplingSpec.paper(max_frames=12)
    runs = [read_video(structured["x264-bframes"], spec, d) for d in DECODERS if not decoder_unavailable(d)]
    assert len({tuple(r.indices) for r in runs}) == 1 and len({tuple(r.timestamps) for r in runs}) == 1


def test_seeking_per_group_of_pictures_gives_the_pixels_of_one_pass(structured, monkeypatch):
    path, spec = structured["x265"], SamplingSpec.paper(max_frames=4, size=(32, 48))
    info = probe_video(path)
    sparse = read_video(path, spec, "pyav")
    assert len(read_plan(info, sparse.indices)) > 1  # it did seek
    monkeypatch.setattr(video_mod, "SPARSE_BELOW", 0.0)  # never worth it: one sequential pass
    assert len(read_plan(info, sparse.indices)) == 1
    np.testing.assert_array_equal(read_video(path, spec, "pyav").frames, sparse.frames)


def keyframed(n: int, every: int) -> VideoInfo:
    return VideoInfo(path=None, ticks=list(range(n)), time_base=Fraction(1, 25),  # type: ignore[arg-type]
                     keyframes=list(range(0, n, every)))


def test_sparse_targets_seek_once_per_needed_group_of_pictures():
    # a 30-minute 25 fps video, a keyframe every 10 s, 120 targets 15 s apart
    info = keyframed(45_000, 250)
    targets = [int((k + 0.5) * 375) for k in range(120)]
    plan = read_plan(info, targets)
    assert len(plan) == 120 and [key for key, _ in plan[:3]] == [0, 500, 750]
    assert all(key <= t[0] and t[-1] - key < 250 for key, t in plan)


def test_dense_targets_make_one_pass():
    info = keyframed(750, 250)  # 30 s: one target a second, 25 frames apart
    assert read_plan(info, list(range(0, 750, 25))) == [(0, list(range(0, 750, 25)))]


def test_targets_near_the_next_keyframe_decode_on_instead_of_seeking():
    info = keyframed(1000, 100)
    assert read_plan(info, [90, 105, 900]) == [(0, [90, 105]), (900, [900])]
