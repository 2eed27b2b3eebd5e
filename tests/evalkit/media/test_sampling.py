import math
from fractions import Fraction

import pytest

from evalkit.errors import ConfigError
from evalkit.media.sampling import PaperFrames, sample_times, select_frames, video_duration

T120 = PaperFrames(max_frames=120)


def test_short_video_is_sampled_at_one_fps_from_zero():
    assert sample_times(12.0, T120) == [float(k) for k in range(12)]


def test_fractional_duration_takes_a_frame_in_the_last_partial_second():
    assert sample_times(3.003, T120) == [0.0, 1.0, 2.0, 3.0]


def test_just_below_T_seconds_gives_at_most_T_frames():
    times = sample_times(119.5, T120)
    assert len(times) == 120 and times[-1] == 119.0


def test_at_T_seconds_switches_to_T_segment_centres():
    times = sample_times(120.0, T120)
    assert times[:3] == [0.5, 1.5, 2.5] and len(times) == 120


def test_hour_long_video_gets_120_centred_frames_30_s_apart():
    times = sample_times(3600.0, T120)
    assert len(times) == 120
    assert times[0] == 15.0 and times[1] == 45.0 and times[-1] == 3585.0


def test_other_T_and_rates():
    assert sample_times(10.0, PaperFrames(max_frames=4)) == [1.25, 3.75, 6.25, 8.75]
    assert sample_times(3.0, PaperFrames(max_frames=16, fps_below_max=2.0)) == [0, .5, 1, 1.5, 2, 2.5]


def test_zero_duration_samples_the_first_frame():
    assert sample_times(0.0, T120) == [0.0]


def test_invalid_specs_are_refused_with_a_config_error():
    with pytest.raises(ConfigError, match=r"max_frames must be an integer >= 1, got 0"):
        PaperFrames(max_frames=0)
    with pytest.raises(ConfigError, match=r"max_frames must be an integer >= 1, got -3"):
        PaperFrames(max_frames=-3)
    with pytest.raises(ConfigError, match=r"fps_below_max must be > 0"):
        PaperFrames(fps_below_max=0)


def test_select_frames_constant_rate_picks_frame_on_screen():
    pts = [i / 4 for i in range(48)]  # 12 s at 4 fps
    assert select_frames(pts, 12.0, T120) == list(range(0, 48, 4))


def test_select_frames_uniform_indices_for_long_video():
    pts = [i / 2 for i in range(300)]  # 150 s at 2 fps
    idx = select_frames(pts, 150.0, T120)
    assert len(idx) == 120
    # t_k = (k + 0.5) * 1.25 s -> frame floor(2 * t_k)
    assert idx == [math.floor(2 * (k + 0.5) * 1.25) for k in range(120)]


def test_select_frames_variable_rate_uses_timestamps_not_indices():
    pts = [0, .1, .5, .6, 1.7, 2.0, 2.05, 3.5, 4.0, 4.9]
    assert select_frames(pts, 5.444, T120) == [0, 3, 5, 6, 8, 9]


def test_select_frames_drops_repeats_when_video_has_fewer_frames_than_targets():
    pts = [0.0, 5.0, 10.0]  # 0.2 fps
    assert select_frames(pts, 15.0, T120) == [0, 1, 2]


def test_select_frames_tolerates_float_noise_in_timestamps():
    pts = [0.0, 0.9999999, 2.0]
    assert select_frames(pts, 3.0, T120) == [0, 1, 2]


def test_duration_is_end_of_last_frame():
    assert video_duration([0, .5, 1.0], 2.0) == 1.5
    assert video_duration([0.0], 4.0) == 0.25
    assert video_duration([], 4.0) == 0.0


def test_exact_timestamps_take_the_frames_float_noise_would_not():
    # 60 frames at 1 fps: float32 timestamps made this 60.00005 s and 61 targets
    pts = [Fraction(k) for k in range(60)]
    duration = video_duration(pts, 1.0)
    assert duration == 60 and isinstance(duration, Fraction)
    assert len(sample_times(duration, T120)) == 60
    assert len(sample_times(60.00005, T120)) == 61  # what float noise did


def test_ntsc_targets_are_exact_fractions():
    tb = Fraction(1001, 30000)
    pts = [k * tb for k in range(3600)]  # 120.12 s at 29.97 fps
    duration = video_duration(pts, Fraction(30000, 1001))
    times = sample_times(duration, T120)
    assert duration == Fraction(3600 * 1001, 30000) and times[0] == duration / 240
    idx = select_frames(pts, duration, T120)
    # frame on screen at t: floor(t / tb), computed exactly
    assert idx == [int(t / tb) for t in times]
