import json

import pytest

from evalkit.errors import ConfigError
from evalkit.media.sampling import SamplingSpec
from evalkit.model_adapters.dynamic_vlm.adapter import DynamicVLMAdapter, DynamicVLMArgs


def test_batched_left_padded_generation_equals_one_by_one(tiny_dir, make_request):
    single = DynamicVLMAdapter(DynamicVLMArgs(checkpoint=str(tiny_dir)))
    batched = DynamicVLMAdapter(DynamicVLMArgs(checkpoint=str(tiny_dir), batch_size=3))
    reqs = [make_request("a", 2, "Short?", seed=1), make_request("b", 5, "A much longer question text here?", seed=2),
            make_request("c", 1, "One frame.", seed=3)]
    one_by_one = [single.generate([r])[0] for r in reqs]
    assert batched.generate(reqs) == one_by_one
    assert all(isinstance(t, str) for t in one_by_one)


def test_request_facts_follow_the_token_rule(tiny_dir, make_request):
    a = DynamicVLMAdapter(DynamicVLMArgs(checkpoint=str(tiny_dir), max_visual_tokens=2000, max_frames=16))
    facts = a.request_facts(make_request("a", 16, "q"))
    assert facts == {"max_frames": 16, "max_visual_tokens": 2000, "timestamps": "counter",
                     "system_prompt": "You are a helpful visual assistant.", "num_beams": 1, "n_frames": 16,
                     "budget_per_frame": 125, "grid": 11, "tokens_per_frame": 121, "total_visual_tokens": 1936}
    assert a.sampling() == SamplingSpec.paper(max_frames=16, size=(336, 336))


def test_vision_chunks_do_not_change_the_features(tiny_dir, make_request):
    a = DynamicVLMAdapter(DynamicVLMArgs(checkpoint=str(tiny_dir), vision_chunk=2))
    b = DynamicVLMAdapter(DynamicVLMArgs(checkpoint=str(tiny_dir), vision_chunk=32))
    req = make_request("a", 5, "q")
    assert (a.embed(req) - b.embed(req)).abs().max() < 1e-5


@pytest.mark.parametrize("args, message", [
    ({}, "needs checkpoint=DIR"),
    ({"preset": "huge"}, "known presets are tiny"),
    ({"checkpoint": "Hon-Wong/ByteVideoLLM-14B"}, "pin the hub revision"),
    ({"checkpoint": "/no/such/dir"}, "no such directory"),
    ({"preset": "tiny", "timestamps": "minutes"}, "timestamps='minutes'"),
    ({"preset": "tiny", "dtype": "int3"}, "dtype='int3'"),
    ({"preset": "tiny", "max_frames": 0}, "max_frames=0: must be >= 1"),
    ({"preset": "tiny", "num_beams": 0}, "num_beams=0: must be >= 1"),
    ({"preset": "tiny", "max_visual_tokens": -1}, "max_visual_tokens=-1: must be >= 1"),
    ({"preset": "tiny", "system_prompt": " "}, "give paper, released or the prompt text"),
])
def test_bad_arguments_are_explained(args, message):
    with pytest.raises(ConfigError, match=message):
        DynamicVLMAdapter(DynamicVLMArgs(**args))


def test_invalid_sampling_arguments_are_one_line_errors(cli):
    code, out = cli.run("--task", "videomme", "--data", "sample", "--model", "dynamic-vlm",
                        "--model-args", "preset=tiny,max_frames=0")
    assert code == 2 and "Traceback" not in out
    # the data line comes first (the data is read before the model is built), then the one error line
    assert out.strip().splitlines()[-1] == "error: --model-args max_frames=0: must be >= 1"
    assert out.strip().splitlines()[0].startswith("videomme: hf-parquet layout") and len(out.strip().splitlines()) == 2
    code, out = cli("tokens", "--duration", "30", "--max-frames", "0")
    assert code == 2 and out.strip() == "error: max_frames must be an integer >= 1, got 0"
    code, out = cli("tokens", "--duration", "30", "--max-visual-tokens", "0")
    assert code == 2 and out.strip() == "error: max_visual_tokens must be >= 1, got 0"
    code, out = cli("tokens", "--duration", "0")
    assert code == 2 and "must be > 0" in out


def test_released_settings_system_prompt_and_beams(tiny_dir, make_request):
    from evalkit.model_adapters.dynamic_vlm.prompting import render

    paper = DynamicVLMAdapter(DynamicVLMArgs(checkpoint=str(tiny_dir)))
    released = DynamicVLMAdapter(DynamicVLMArgs(checkpoint=str(tiny_dir), system_prompt="released", num_beams=3,
                                                batch_size=2))
    custom = DynamicVLMAdapter(DynamicVLMArgs(checkpoint=str(tiny_dir), system_prompt="Watch closely."))
    req = make_request("a", 2, "q")
    assert paper.system_prompt == "You are a helpful visual assistant."
    assert released.system_prompt == "You are a helpful assistant." and custom.system_prompt == "Watch closely."
    facts = released.request_facts(req)
    assert (facts["system_prompt"], facts["num_beams"]) == ("You are a helpful assistant.", 3)
    assert released.describe()["num_beams"] == 3 and released.describe()["system_prompt"] == "You are a helpful assistant."
    assert "<|im_start|>system\nYou are a helpful assistant.<|im_end|>" in render(req, released.system_prompt).text
    reqs = [req, make_request("b", 3, "a longer question?", seed=4)]
    beams = released.generate(reqs)
    assert len(beams) == 2 and all(isinstance(t, str) for t in beams)


def test_normalisation_constants_stay_float32_in_bf16(tiny_dir, make_request):
    import torch

    from evalkit.model_adapters.dynamic_vlm.modeling import CLIP_MEAN, CLIP_STD

    a = DynamicVLMAdapter(DynamicVLMArgs(checkpoint=str(tiny_dir), dtype="bfloat16"))
    assert a.model.dtype == torch.bfloat16
    assert a.model.pixel_mean.dtype == torch.float32 and a.model.pixel_std.dtype == torch.float32
    assert a.model.pixel_mean.flatten().tolist() == torch.tensor(CLIP_MEAN, dtype=torch.float32).tolist()
    assert a.model.pixel_std.flatten().tolist() == torch.tensor(CLIP_STD, dtype=torch.float32).tolist()
    frames = make_request("a", 2, "q").parts[0].media.frames
    assert a.model.pixels(frames).dtype == torch.bfloat16


def test_hub_checkpoint_is_looked_up_offline_at_the_pinned_revision(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ConfigError, match="huggingface-cli download Hon-Wong/ByteVideoLLM-14B --revision abc123"):
        DynamicVLMAdapter(DynamicVLMArgs(checkpoint="Hon-Wong/ByteVideoLLM-14B", revision="abc123"))


def test_tiny_preset_end_to_end_records_the_rules(cli):
    code, out = cli.run("--task", "videomme", "--data", "sample", "--model", "dynamic-vlm", "--model-args", "preset=tiny")
    assert code == 0, out
    assert "UNTRAINED" in out
    run = json.loads((cli.output / "r" / "run.json").read_text())
    assert run["model"]["untrained"] is True and run["model"]["preset"] == "tiny-v1"
    assert run["sampling"]["max_frames"] == 120
    assert (run["model"]["system_prompt"], run["model"]["num_beams"]) == ("You are a helpful visual assistant.", 1)
    recs = [json.loads(x) for x in (cli.output / "r" / "videomme" / "predictions.jsonl").read_text().splitlines()]
    assert len(recs) == 12 and all(r["error"] is None and isinstance(r["response"], str) for r in recs)
    expected = {"001": (12, 576), "002": (30, 400), "003": (120, 100), "004": (120, 100)}  # video durations 12/30/150/240 s
    for r in recs:
        frames, tokens = expected[r["cluster"]]
        assert r["media"]["n_frames"] == frames == len(r["media"]["timestamps"])
        assert r["model"]["tokens_per_frame"] == tokens
        assert r["model"]["total_visual_tokens"] == frames * tokens
        assert r["model"]["max_visual_tokens"] == 12000
        assert (r["model"]["system_prompt"], r["model"]["num_beams"]) == ("You are a helpful visual assistant.", 1)
    assert recs[0]["media"]["timestamps"][:3] == [0.0, 1.0, 2.0]
    # 150 s at 1 fps: segment centres 0.625, 1.875, 3.125 s fall on the frames at 0, 1 and 3 s
    assert recs[6]["media"]["timestamps"][:3] == [0.0, 1.0, 3.0]
