import pytest

from evalkit.errors import ConfigError
from evalkit.model_adapters.dynamic_vlm.rules import (
    default_max_visual_tokens, frames_for_duration, max_frames_for, token_plan,
)

# Paper, Table 6: (# tokens/frame, # max tokens N_max, # max frames)
TABLE6 = [
    (36, 12000, 333), (64, 12000, 187), (100, 12000, 120), (144, 12000, 83), (256, 12000, 46),
    (36, 8000, 222), (64, 8000, 125), (100, 8000, 80), (140, 8000, 57), (256, 8000, 31),
    (36, 4000, 111), (64, 4000, 62), (100, 4000, 40), (144, 4000, 27), (256, 4000, 15),
]


@pytest.mark.parametrize("tokens, n_max, frames", TABLE6)
def test_table6_rows(tokens, n_max, frames):
    assert max_frames_for(tokens, n_max) == frames
    plan = token_plan(frames, n_max)
    # a video long enough to use all max frames gets the row's per-frame count: exactly, as the
    # pooled s*s grid for square counts; 140 is not a square, so it is the per-frame budget
    # (pooled to an 11x11 grid, 121 tokens)
    if int(tokens ** 0.5) ** 2 == tokens:
        assert plan.tokens_per_frame == tokens
    else:
        assert (plan.budget_per_frame, plan.grid, plan.tokens_per_frame) == (140, 11, 121)
    assert plan.total_visual_tokens <= n_max


def test_default_7b_setting_is_120_frames_of_10x10():
    plan = token_plan(120, 12000)
    assert (plan.budget_per_frame, plan.grid, plan.tokens_per_frame, plan.total_visual_tokens) == (100, 10, 100, 12000)


def test_short_video_gets_more_tokens_capped_at_576():
    assert token_plan(12, 12000).tokens_per_frame == 576  # 1000 budget, capped at the full 24x24
    assert token_plan(30, 12000).grid == 20  # 400 -> 20x20
    assert token_plan(1, 10000).grid == 24


def test_tiny_budget_keeps_at_least_one_token():
    assert token_plan(500, 100).tokens_per_frame == 1


def test_plan_needs_a_frame():
    with pytest.raises(ValueError):
        token_plan(0, 12000)


@pytest.mark.parametrize("duration, frames", [(12.0, 12), (119.2, 120), (150.0, 120), (3600.0, 120), (0.4, 1)])
def test_frames_for_duration(duration, frames):
    assert frames_for_duration(duration, 120) == frames


def test_default_budget_by_model_size():
    assert default_max_visual_tokens(28, 3584) == 12000
    assert default_max_visual_tokens(48, 5120) == 10000
    assert default_max_visual_tokens(2, 64) is None


def test_sweep_points_derive_max_frames_like_table6():
    from evalkit.model_adapters.dynamic_vlm.adapter import DynamicVLMAdapter
    from evalkit.sweep import parse_grid, points

    pts = points(parse_grid(["tokens_per_frame=64,100", "max_visual_tokens=4000,8000"]), {"preset": "tiny"},
                 DynamicVLMAdapter)
    assert [(p["tokens_per_frame"], a["max_visual_tokens"], a["max_frames"]) for p, a in pts] == [
        ("64", "4000", "62"), ("64", "8000", "125"), ("100", "4000", "40"), ("100", "8000", "80")]
    assert all(a["preset"] == "tiny" and "tokens_per_frame" not in a for _, a in pts)


@pytest.mark.parametrize("point, message", [
    ({"tokens_per_frame": "64"}, "needs max_visual_tokens"),
    ({"tokens_per_frame": "0", "max_visual_tokens": "100"}, "tokens_per_frame=0: must be >= 1"),
    ({"tokens_per_frame": "x", "max_visual_tokens": "100"}, "tokens_per_frame='x': expected an integer"),
    ({"tokens_per_frame": "200", "max_visual_tokens": "100"}, "exceeds max_visual_tokens=100"),
])
def test_bad_sweep_points(point, message):
    from evalkit.model_adapters.dynamic_vlm.adapter import DynamicVLMAdapter

    with pytest.raises(ConfigError, match=message):
        DynamicVLMAdapter.sweep_args(point)
