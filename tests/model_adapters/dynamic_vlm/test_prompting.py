import numpy as np
import pytest

from evalkit.errors import SampleError
from evalkit.media.video import SampledVideo
from evalkit.model_adapters.dynamic_vlm.prompting import render, video_text
from evalkit.request import ImagePart, Request, VideoPart


def media(timestamps):
    n = len(timestamps)
    return SampledVideo(np.zeros((n, 4, 4, 3), np.uint8), list(range(n)), timestamps, 100.0, "test")


def test_video_frames_are_labelled_like_the_released_code():
    assert video_text([0.0, 1.0, 2.0], "counter") == ("1s: <image>; 2s: <image>; 3s: <image>; \n", ["1s", "2s", "3s"])
    assert video_text([15.0, 45.0], "seconds")[0] == "15s: <image>; 45s: <image>; \n"
    assert video_text([3.0], "counter") == ("<image>", [""])  # one frame: no label


def test_chat_text_and_frame_order():
    req = Request("q", "t", [VideoPart(None, media([0.0, 1.0])), "Question?"], system="Watch closely.",
                  assistant_prefix="Best option: (")
    p = render(req, "You are a helpful visual assistant.")
    assert p.text == (
        "<|im_start|>system\nYou are a helpful visual assistant.<|im_end|>\n"
        "<|im_start|>user\nWatch closely.\n1s: <image>; 2s: <image>; \nQuestion?<|im_end|>\n"
        "<|im_start|>assistant\nBest option: ("
    )
    assert p.frames.shape == (2, 4, 4, 3)


def test_images_are_placeholders_where_the_task_put_them():
    img = np.zeros((4, 4, 3), np.uint8)
    req = Request("q", "t", ["Compare ", ImagePart(None, img), " and ", ImagePart(None, img + 1), "."])
    p = render(req, "S")
    assert "user\nCompare <image> and <image>.<|im_end|>" in p.text
    assert p.frames[1].max() == 1


def test_media_must_be_decoded():
    with pytest.raises(SampleError, match="not decoded"):
        render(Request("q", "t", [VideoPart(None, None), "x"]), "S")
