import numpy as np
import pytest

from evalkit.errors import MediaError
from evalkit.media.sampling import SamplingSpec
from evalkit.media.synthetic import frame_of
from evalkit.media.video import probe_video, read_video

BACKENDS = ["decord", "pyav"]


def decoded_frames(sv):
    """Source frame numbers (mod 15) read back from the grey levels."""
    return [frame_of(f.mean()) for f in sv.frames]


@pytest.mark.parametrize("backend", BACKENDS)
def test_short_video_one_fps(videos, backend):
    sv = read_video(videos["short"], SamplingSpec.paper(max_frames=120), backend)
    assert sv.indices == list(range(0, 48, 4))
    assert sv.timestamps == [float(k) for k in range(12)]
    assert decoded_frames(sv) == [i % 15 for i in sv.indices]
    assert sv.frames.shape == (12, 48, 64, 3) and sv.frames.dtype == np.uint8
    assert sv.backend == backend


@pytest.mark.parametrize("backend", BACKENDS)
def test_long_video_uniform_frames(videos, backend):
    sv = read_video(videos["long"], SamplingSpec.paper(max_frames=120), backend)
    assert len(sv.indices) == 120 and sv.duration == 150.0
    assert sv.indices[:4] == [1, 3, 6, 8]  # floor(2 * (k + .5) * 1.25)
    assert decoded_frames(sv) == [i % 15 for i in sv.indices]


@pytest.mark.parametrize("backend", BACKENDS)
def test_ntsc_rate(videos, backend):
    info = probe_video(videos["ntsc"])
    assert info.n_frames == 90 and abs(info.fps - 29.97) < 0.01
    sv = read_video(videos["ntsc"], SamplingSpec.paper(), backend)
    # 3.003 s -> targets 0, 1, 2, 3 s; frame on screen at t is floor(t * 29.97)
    assert sv.indices == [0, 29, 59, 89]
    assert decoded_frames(sv) == [i % 15 for i in sv.indices]


@pytest.mark.parametrize("backend", BACKENDS)
def test_variable_frame_rate(videos, backend):
    sv = read_video(videos["vfr"], SamplingSpec.paper(), backend)
    assert sv.indices == [0, 3, 5, 6, 8, 9]
    assert [round(t, 3) for t in sv.timestamps] == [0.0, 0.6, 2.0, 2.05, 4.0, 4.9]
    assert decoded_frames(sv) == sv.indices


def test_mkv_goes_to_pyav(videos):
    sv = read_video(videos["mkv"], SamplingSpec.paper())
    assert sv.backend == "pyav" and sv.indices == [0, 5, 10, 15]


@pytest.mark.parametrize("backend", BACKENDS)
def test_resize_at_decode(videos, backend):
    sv = read_video(videos["short"], SamplingSpec.paper(max_frames=4, size=(24, 32)), backend)
    assert sv.frames.shape == (4, 24, 32, 3)


def test_backends_agree(videos):
    spec = SamplingSpec.paper(max_frames=16)
    a, b = (read_video(videos["long"], spec, be) for be in BACKENDS)
    assert a.indices == b.indices and a.timestamps == b.timestamps
    assert np.abs(a.frames.astype(int) - b.frames.astype(int)).max() <= 3


def test_missing_and_corrupt_files_raise_media_error(tmp_path):
    with pytest.raises(MediaError, match="not found"):
        read_video(tmp_path / "nope.mp4", SamplingSpec.paper())
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100)
    with pytest.raises(MediaError, match="cannot decode"):
        read_video(bad, SamplingSpec.paper())


def test_facts_record_what_the_model_saw(videos):
    facts = read_video(videos["short"], SamplingSpec.paper(max_frames=120)).facts()
    assert facts["n_frames"] == 12 and facts["frame_indices"][1] == 4
    assert facts["timestamps"][:3] == [0.0, 1.0, 2.0] and facts["duration"] == 12.0
