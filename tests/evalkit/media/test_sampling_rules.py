"""The sampling vocabulary states published recipes exactly: frame rules by index or by time,
resize rules, and what run.json records (Dynamic-VLM's rule keeps its shape)."""
import math
from fractions import Fraction

import numpy as np
import pytest

from evalkit.errors import ConfigError
from evalkit.media.sampling import (
    ExactSize, FpsFrames, PixelBudget, SamplingSpec, SideSize, UniformFrames, label_of, smart_resize,
)
from evalkit.media.video import read_video

PTS_300 = [Fraction(k, 30) for k in range(300)]  # 10 s at 30 fps


def test_the_paper_rule_keeps_the_run_json_shape_of_earlier_versions():
    assert SamplingSpec.paper(max_frames=120, size=(336, 336)).to_dict() == {
        "max_frames": 120, "fps_below_max": 1.0, "size": [336, 336], "rule": "1fps-below-T-else-T-segment-centres"}
    assert SamplingSpec.paper(max_frames=32).to_dict()["size"] is None


@pytest.mark.parametrize("spacing, rounding, expected", [
    ("linspace", "floor", [0, 42, 85, 128, 170, 213, 256, 299]),  # np.linspace(0, 299, 8, dtype=int)
    ("linspace", "round", [0, 43, 85, 128, 171, 214, 256, 299]),  # torch.linspace(...).round()
    ("arange", "floor", [0, 37, 75, 112, 150, 187, 225, 262]),  # np.arange(0, 300, 300 / 8).astype(int)
    ("centres", "floor", [18, 55, 93, 130, 168, 205, 242, 280]),  # InternVL get_index, max_frame = 299
])
def test_uniform_frames_in_each_published_spacing(spacing, rounding, expected):
    assert UniformFrames(8, spacing, rounding).select(PTS_300, Fraction(10), 30.0) == expected


def test_uniform_frames_match_numpy_and_torch_formulas_at_many_lengths():
    torch = pytest.importorskip("torch")
    for total in (2, 7, 31, 300, 1799, 90001):
        pts = list(range(total))
        for n in (8, 32, 64):
            assert UniformFrames(n, "linspace", "floor").select(pts, total, 1.0) == \
                sorted(set(np.linspace(0, total - 1, n, dtype=int).tolist()))
            assert UniformFrames(n, "linspace", "round").select(pts, total, 1.0) == \
                sorted(set(torch.linspace(0, total - 1, n).round().long().tolist()))
            seg = (total - 1) / n
            assert UniformFrames(n, "centres").select(pts, total, 1.0) == \
                sorted(set(min(int(seg / 2 + np.round(seg * i)), total - 1) for i in range(n)))


def test_a_video_shorter_than_asked_gives_each_frame_once():
    assert UniformFrames(32).select(list(range(5)), 5, 1.0) == [0, 1, 2, 3, 4]


# expected: qwen-vl-utils 0.0.14 smart_nframes({"fps": 2.0}, total, fps)
@pytest.mark.parametrize("total, fps, expected", [
    (300, 30.0, 20),  # 10 s at 2 fps
    (30 * 3600, 30.0, 768),  # an hour: the cap
    (45, 30.0, 4),  # 1.5 s: the minimum of 4
    (3, 30.0, 2),  # fewer frames than the minimum: an even count within the video
    (301, 29.97, 20),  # floor to an even count
])
def test_fps_frames_count_as_qwen_smart_nframes(total, fps, expected):
    assert FpsFrames().count(total, fps) == expected


def test_fps_frames_spread_by_rounded_linspace():
    assert FpsFrames().select(PTS_300, Fraction(10), 30.0) == \
        [int(x) for x in np.round(np.linspace(0, 299, 20))]


# expected: qwen-vl-utils 0.0.14 smart_resize with the per-frame maximum of its fetch_video
@pytest.mark.parametrize("h, w, n, total, expected", [
    (360, 640, 20, 90316800, (364, 644)),  # within budget: sides rounded to 28
    (1080, 1920, 20, 90316800, (560, 1008)),  # 768 tokens per frame at most
    (1080, 1920, 768, 90316800, (336, 644)),  # the per-clip budget lowers the per-frame maximum
    (64, 64, 8, None, (336, 336)),  # below the minimum: scaled up
])
def test_pixel_budget_is_qwen_smart_resize(h, w, n, total, expected):
    rule = PixelBudget(128 * 28 * 28, 768 * 28 * 28, total_pixels=total)
    got = rule.size_for(h, w, n)
    assert got == expected and got[0] % 28 == 0 and got[1] % 28 == 0
    assert got[0] * got[1] <= rule.frame_max(n)


def test_smart_resize_refuses_extreme_aspect_ratios():
    with pytest.raises(ConfigError, match="more elongated"):
        smart_resize(10, 3000, 28, 100, 1000)


def test_side_sizes_keep_the_aspect_ratio():
    assert SideSize(384).size_for(360, 640, 1) == (216, 384)
    assert SideSize(336, side="shortest").size_for(360, 640, 1) == (336, 597)
    assert SideSize(448, multiple=28).size_for(360, 640, 1) == (252, 448)


def test_rules_refuse_bad_values():
    for make in (lambda: UniformFrames(0), lambda: UniformFrames(8, "spiral"), lambda: FpsFrames(fps=0),
                 lambda: PixelBudget(10, 5), lambda: ExactSize(0, 4), lambda: ExactSize(4, 4, backend="magic")):
        with pytest.raises(ConfigError):
            make()


def test_specs_label_themselves_and_record_their_rules():
    spec = SamplingSpec(FpsFrames(), PixelBudget(100352, 602112, total_pixels=19267584))
    d = spec.to_dict()
    assert d["rule"] == "fps" and d["resize"]["resize"] == "pixel-budget" and d["resize"]["backend"] == "bicubic-aa"
    assert spec.label().startswith("fps(fps=2.0, min_frames=4")
    assert label_of(d).startswith("fps(") and label_of(None) == "no pixels"
    assert SamplingSpec.paper(16, size=(336, 336)).label() == "1fps-below-T-else-T-segment-centres(T=16), 336x336"


def test_a_decoded_clip_follows_the_rules_and_records_its_source(videos):
    spec = SamplingSpec(UniformFrames(4, "linspace", "floor"), SideSize(32))
    sv = read_video(videos["short"], spec)  # 48 frames at 4 fps, 48x64
    assert sv.indices == [0, 15, 31, 47] and sv.frames.shape == (4, 24, 32, 3)
    assert sv.source_fps == 4.0 and sv.source_frames == 48
    facts = sv.facts()
    assert facts["sampling"] == spec.label() and facts["source_frames"] == 48


def test_bicubic_resize_happens_after_decoding(videos):
    near = read_video(videos["short"], SamplingSpec(UniformFrames(2), ExactSize(16, 16, backend="bicubic-aa")))
    full = read_video(videos["short"], SamplingSpec(UniformFrames(2)))
    assert near.frames.shape == (2, 16, 16, 3) and full.frames.shape[1:3] == (48, 64)
    # a flat grey frame stays the same grey whatever the interpolation
    assert math.isclose(near.frames.mean(), full.frames.mean(), abs_tol=1.0)
