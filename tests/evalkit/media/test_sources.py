"""A sample may show a clip of a video (between two times) or a folder of frame images at a
stated rate: the sampling rule sees either as a whole video, by exact time."""
from fractions import Fraction

import numpy as np
import pytest
from PIL import Image

from evalkit.errors import MediaError
from evalkit.media.frame_cache import FrameCache, read_cached
from evalkit.media.sampling import PaperFrames, SamplingSpec, UniformFrames
from evalkit.media.synthetic import frame_of, level_of
from evalkit.media.video import VideoSource, read_video


def test_a_clip_is_sampled_within_its_bounds(videos):
    # "long": 300 frames at 2 fps (150 s); the clip 10 s .. 20 s holds frames 20 .. 40
    sv = read_video(VideoSource(videos["long"], clip=(10.0, 20.0)), SamplingSpec(PaperFrames(120)))
    assert sv.indices[0] == 20 and sv.indices[-1] == 40 and len(sv.indices) == 11  # 10.5 s at 1 fps
    assert sv.timestamps[0] == 0.0 and sv.clip_first == 20 and sv.source_frames == 21
    assert sv.clip_indices == [i - 20 for i in sv.indices]
    assert [frame_of(f.mean()) for f in sv.frames] == [i % 15 for i in sv.indices]
    assert sv.facts()["clip"] == [10.0, 20.0]


def test_a_clip_outside_the_video_fails_its_sample(videos):
    with pytest.raises(MediaError, match="no frame between 200 s and 210 s"):
        read_video(VideoSource(videos["long"], clip=(200.0, 210.0)), SamplingSpec.paper(8))


def frame_folder(root, n, size=(24, 32)):
    root.mkdir(parents=True)
    for k in range(1, n + 1):  # numbered from 1, as MVBench's folders are; 10 sorts after 9
        Image.fromarray(np.full((*size, 3), level_of(k - 1), np.uint8)).save(root / f"{k:d}.jpg", quality=95)
    return root


def test_a_frame_folder_is_a_video_at_its_rate(tmp_path):
    folder = frame_folder(tmp_path / "frames", 12)
    sv = read_video(VideoSource(folder, frame_rate=3.0), SamplingSpec(UniformFrames(4)))
    assert sv.indices == [0, 3, 7, 11] and sv.backend == "images"
    assert sv.timestamps == [0.0, 1.0, float(Fraction(7, 3)), float(Fraction(11, 3))]
    assert [frame_of(f.mean()) for f in sv.frames] == [0, 3, 7, 11]
    assert sv.duration == 4.0 and sv.facts()["frame_folder_fps"] == 3.0
    assert read_video(VideoSource(folder, frame_rate=3.0), SamplingSpec.paper(8, size=(12, 16))).frames.shape[1:3] == (12, 16)


def test_an_empty_frame_folder_fails_its_sample(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(MediaError, match="holds no images"):
        read_video(VideoSource(tmp_path / "empty", frame_rate=3.0), SamplingSpec.paper(8))


def test_the_frame_cache_tells_clips_and_folders_apart(tmp_path, videos):
    cache = FrameCache(tmp_path / "cache")
    spec = SamplingSpec.paper(8)
    keys = {cache.key(VideoSource(videos["long"]), spec, "auto"),
            cache.key(VideoSource(videos["long"], clip=(0.0, 10.0)), spec, "auto"),
            cache.key(VideoSource(videos["long"], clip=(0.0, 20.0)), spec, "auto")}
    assert len(keys) == 3
    source = VideoSource(videos["long"], clip=(10.0, 20.0))
    first, again = read_cached(source, spec, "auto", cache), read_cached(source, spec, "auto", cache)
    assert again.frame_cache == "hit" and again.indices == first.indices and again.clip_first == 20
    folder = frame_folder(tmp_path / "f", 6)
    a = cache.key(VideoSource(folder, frame_rate=3.0), spec, "auto")
    (folder / "7.jpg").write_bytes((folder / "6.jpg").read_bytes())
    assert cache.key(VideoSource(folder, frame_rate=3.0), spec, "auto") != a  # a frame added
