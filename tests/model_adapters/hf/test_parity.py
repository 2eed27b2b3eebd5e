"""The frames, inputs and answers of the authors' own preprocessing, reproduced.

Qwen2.5-VL: the Qwen authors' ``qwen-vl-utils`` (``process_vision_info``: decord, smart_nframes,
smart_resize, torchvision's bicubic resize) then the processor, against evalkit's media stage
(PyAV with the stated colour conversion, the fps rule and pixel budget, bicubic-aa) then the hf
adapter: the same frame indices, the same pixels (measured: bit for bit), the same input ids and
pixel values, the same greedy answer. LLaVA-OneVision: the authors' recipe (every frame decoded
with PyAV, ``np.linspace(0, T - 1, 32, dtype=int)``, the raw frames to the processor, which
resizes them) against evalkit's: the same indices, input ids, pixel values and greedy answer."""
import numpy as np
import pytest
import torch

from evalkit import torchvision_ops
from evalkit.media.synthetic import write_textured_video
from evalkit.media.video import decoder_unavailable, read_video
from evalkit.model_adapters.hf.entry import HF
from evalkit.request import Request, VideoPart

QUESTION = "What is shown in the video? Answer with the option's letter."


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    """6 s of textured H.264 at 30 fps, 180x320, B-frames and a keyframe every 2 s."""
    return write_textured_video(tmp_path_factory.mktemp("parity") / "clip.mp4", 6, fps=30, size=(180, 320), keyint=60)


def test_qwen2_5_vl_matches_qwen_vl_utils(checkpoints, video, monkeypatch):
    if decoder_unavailable("decord"):
        pytest.skip(decoder_unavailable("decord"))
    torchvision_ops.prepare()
    monkeypatch.setenv("FORCE_QWENVL_VIDEO_READER", "decord")
    from qwen_vl_utils import process_vision_info

    adapter = HF.from_cli(f"checkpoint={checkpoints['qwen2_5_vl']}")
    messages = [{"role": "user", "content": [{"type": "video", "video": f"file://{video}"},
                                             {"type": "text", "text": QUESTION}]}]
    _, videos, kwargs = process_vision_info(messages, return_video_kwargs=True, return_video_metadata=True)
    (theirs, meta), = videos
    ours = read_video(video, adapter.sampling())  # PyAV, the recipe's rules
    assert ours.indices == list(meta["frames_indices"]) == [round(k * 179 / 11) for k in range(12)]  # 2 fps, 12 frames
    assert np.array_equal(ours.frames, theirs.permute(0, 2, 3, 1).round().to(torch.uint8).numpy())

    processor = adapter.processor
    text = processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    reference = processor(text=[text], videos=[theirs], video_metadata=[meta], return_tensors="pt", **kwargs)
    mine = adapter.batch_inputs([Request("q", "t", [VideoPart(None, ours), QUESTION], max_new_tokens=8)])
    assert torch.equal(mine["input_ids"], reference["input_ids"])
    assert torch.equal(mine["video_grid_thw"], reference["video_grid_thw"])
    assert torch.allclose(mine["second_per_grid_ts"], reference["second_per_grid_ts"])
    assert torch.allclose(mine["pixel_values_videos"], reference["pixel_values_videos"], atol=1e-6)
    config = adapter.generation_config([Request("q", "t", [], max_new_tokens=8)])
    with torch.inference_mode():
        a = adapter.model.generate(**mine, generation_config=config)
        b = adapter.model.generate(**reference, generation_config=config)
    assert torch.equal(a, b)


def test_llava_onevision_matches_the_authors_recipe(checkpoints, video):
    import av

    adapter = HF.from_cli(f"checkpoint={checkpoints['llava_onevision']},frames=8")
    with av.open(str(video)) as container:
        every = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])
    picked = np.linspace(0, len(every) - 1, 8, dtype=int)
    ours = read_video(video, adapter.sampling())
    assert ours.indices == picked.tolist()
    meta = {"fps": 30.0, "total_num_frames": len(every), "frames_indices": picked.tolist()}
    messages = [{"role": "system", "content": [{"type": "text", "text": "You are a helpful assistant."}]},
                {"role": "user", "content": [{"type": "video"}, {"type": "text", "text": QUESTION}]}]
    text = adapter.processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    reference = adapter.processor(text=[text], videos=[every[picked]], video_metadata=[meta], do_sample_frames=False,
                                  return_tensors="pt")
    mine = adapter.batch_inputs([Request("q", "t", [VideoPart(None, ours), QUESTION], max_new_tokens=8)])
    assert torch.equal(mine["input_ids"], reference["input_ids"])
    # the processor resizes the raw frames; evalkit resized them before it the same way (torchvision's
    # v2 bicubic with antialias on uint8), so the processor's own resize is the identity
    assert torch.equal(mine["pixel_values_videos"], reference["pixel_values_videos"])
    config = adapter.generation_config([Request("q", "t", [], max_new_tokens=8)])
    with torch.inference_mode():
        assert torch.equal(adapter.model.generate(**mine, generation_config=config),
                           adapter.model.generate(**reference, generation_config=config))
