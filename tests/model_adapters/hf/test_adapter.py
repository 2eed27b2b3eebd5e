"""The ``hf`` adapter on tiny checkpoints of every family: recipes become sampling specs, the
processor is told exactly which frames it got, batches and shared prefixes give the answers of
answering each question alone, and runs through the CLI answer every sample."""
import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from evalkit.errors import CheckpointError, ConfigError
from evalkit.media.sampling import ExactSize, FpsFrames, PixelBudget, UniformFrames
from evalkit.loading import cache_kwarg, cache_of
from evalkit.media.video import SampledVideo, resize_frames
from evalkit.model_adapters.hf.entry import HF
from evalkit.request import ImagePart, Request, VideoPart

from .conftest import FAMILIES, clip


def sized(adapter, video: SampledVideo) -> SampledVideo:
    """``video`` brought to the size the adapter's recipe asks of the media stage."""
    spec = adapter.sampling()
    size = spec.frame_size(*video.frames.shape[1:3], len(video.frames))
    return replace(video, frames=resize_frames(video.frames, size, spec.resize_backend)) if size else video


def image(adapter, height: int, width: int, seed: int) -> np.ndarray:
    """A random image brought to the size the adapter's recipe asks for still images."""
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    spec = adapter.sampling()
    size = spec.image_size(height, width)
    return resize_frames(pixels[None], size, spec.image_resize.backend)[0] if size else pixels


def question(adapter, video: SampledVideo, text: str, rid: str = "q", **kw) -> Request:
    return Request(rid, "t", [VideoPart(None, sized(adapter, video)), text], max_new_tokens=6, **kw)


def test_each_family_has_its_published_recipe(adapters):
    specs = {f: a.sampling() for f, a in adapters.items()}
    assert specs["qwen2_5_vl"].frames == FpsFrames(2.0, 4, 768, 2)
    assert specs["qwen2_5_vl"].resize == PixelBudget(128 * 784, 768 * 784, factor=28, total_pixels=115200 * 784)
    assert specs["qwen3_vl"].resize.factor == 32 and specs["qwen3_vl"].resize.min_pixels == 128 * 1024
    assert specs["llava_onevision"].frames == UniformFrames(32, "linspace", "floor")
    assert specs["llava_onevision"].resize == ExactSize(32, 32, backend="torchvision")  # the tiny tower's size
    assert specs["internvl"].frames == UniformFrames(32, "centres")
    assert specs["llava_next_video"].resize is None  # the processor resizes and crops, as in the model card
    assert adapters["llava_onevision"].system == "You are a helpful assistant."
    assert adapters["qwen2_5_vl"].system is None  # the chat template's own
    assert adapters["internvl"].system.startswith("你是书生·万象")


def test_explicit_arguments_override_the_recipe(checkpoints):
    qwen = HF.from_cli(f"checkpoint={checkpoints['qwen2_5_vl']},max_frames=64,max_pixels=200704")
    assert qwen.sampling().frames.max_frames == 64 and qwen.sampling().resize.max_pixels == 200704
    assert HF.from_cli(f"checkpoint={checkpoints['qwen2_5_vl']},frames=16").sampling().frames == \
        UniformFrames(16, "linspace", "round")
    assert HF.from_cli(f"checkpoint={checkpoints['llava_onevision']},frames=8").sampling().frames.n == 8
    with pytest.raises(ConfigError, match="pixel-budget recipes"):
        HF.from_cli(f"checkpoint={checkpoints['llava_onevision']},max_pixels=1000")
    with pytest.raises(ConfigError, match="recipe='nope'"):
        HF.from_cli(f"checkpoint={checkpoints['qwen2_5_vl']},recipe=nope")
    llava_as_qwen = HF.from_cli(f"checkpoint={checkpoints['llava_onevision']},recipe=uniform-32,system_prompt=none")
    assert llava_as_qwen.recipe.name == "uniform-32" and llava_as_qwen.system is None


def test_the_processor_is_told_which_frames_it_got(adapters):
    qwen = adapters["qwen2_5_vl"]
    video = clip(8, stride=15)  # 8 frames 0.5 s apart: sampled at 2 fps
    inputs = qwen.batch_inputs([question(qwen, video, "What?")])
    assert inputs["second_per_grid_ts"].tolist() == [1.0]  # 2 frames per temporal patch / 2 fps
    slower = replace(video, indices=[k * 60 for k in range(8)], source_frames=480)  # 0.5 fps
    assert qwen.batch_inputs([question(qwen, slower, "What?")])["second_per_grid_ts"].tolist() == [4.0]
    q3 = adapters["qwen3_vl"]
    text = q3.tokenizer.decode(q3.batch_inputs([question(q3, video, "What?")])["input_ids"][0])
    assert "<0.2 seconds>" in text and "<3.2 seconds>" in text  # pairs of frames at 0 and 0.5 s, ... 3.0 and 3.5 s


def test_every_family_answers_videos_and_images(adapters):
    for family, adapter in adapters.items():
        video = question(adapter, clip(4), "What happens?", rid="v")
        images = Request("i", "t", ["Compare ", ImagePart(None, image(adapter, 48, 64, 1)), " and ",
                                    ImagePart(None, image(adapter, 40, 40, 2)), "."], max_new_tokens=4)
        answers = adapter.generate([video, images])
        assert len(answers) == 2 and all(isinstance(a, str) for a in answers), family
        facts = adapter.request_facts(video)
        assert facts["frames"] == 4 and facts["visual_tokens"] > 0 and facts["recipe"] == adapter.recipe.name, family


@pytest.mark.parametrize("family", FAMILIES)
def test_a_left_padded_batch_answers_as_each_alone(adapters, family):
    adapter = adapters[family]
    video = clip(4, seed=3)
    reqs = [question(adapter, video, "What is it?", "a"),
            question(adapter, clip(4, seed=4), "Which colour is shown on the left of the video, and why?", "b")]
    alone = [adapter.answer_batch([r])[0] for r in reqs]
    assert adapter.answer_batch(reqs) == alone


def test_families_that_stack_frames_are_batched_by_frame_count(adapters):
    adapter = adapters["llava_onevision"]
    reqs = [question(adapter, clip(4), "a?", "a"), question(adapter, clip(6), "b?", "b"),
            question(adapter, clip(4, seed=2), "c?", "c")]
    keys = [adapter.batch_key(r) for r in reqs]
    assert keys[0] == keys[2] != keys[1]
    assert adapter.generate(reqs) == [adapter.answer_batch([r])[0] for r in reqs]
    assert adapters["qwen2_5_vl"].batch_key(reqs[1]) is None  # flattened patches: one batch


@pytest.mark.parametrize("family", ["qwen2_5_vl", "qwen3_vl", "llava_onevision", "internvl", "llava_next_video"])
def test_a_videos_questions_share_its_prefix_with_the_same_first_step(adapters, family):
    adapter = adapters[family]
    video = sized(adapter, clip(4, seed=5))
    reqs = [Request(f"q{k}", "t", [VideoPart(None, video), text], max_new_tokens=5)
            for k, text in enumerate(["What is it?", "Which colour is shown?", "How many people are there?"])]
    alone = [first_step(adapter, adapter.batch_inputs([r]), None) for r in reqs]
    items = [adapter.batch_inputs([r]) for r in reqs]
    ids = [it["input_ids"][0].tolist() for it in items]
    from evalkit.loading import common_prefix
    from evalkit.model_adapters.hf.adapter import PER_TOKEN

    n = min(common_prefix(ids), min(map(len, ids)) - 1)
    with torch.inference_mode():
        prefix = adapter.model(**{k: v[:, :n] if k in PER_TOKEN else v for k, v in items[0].items()}, use_cache=True)
    for k, it in enumerate(items):
        shared = first_step(adapter, {key: v for key, v in it.items() if key in PER_TOKEN}, prefix)
        assert torch.allclose(shared, alone[k], atol=1e-5, rtol=0), (family, (shared - alone[k]).abs().max())
    assert not torch.allclose(alone[0], alone[1], atol=1e-3)  # the tolerance tells questions apart
    whole = [adapter.answer_batch([r])[0] for r in reqs]
    assert list(adapter.generate_group(reqs)) == whole
    facts = [adapter.request_facts(r) for r in reqs]
    assert facts[0]["cached_tokens"] == 0 and facts[1]["cached_tokens"] == facts[2]["cached_tokens"] == n


def first_step(adapter, inputs, prefix):
    """The logits of the first generated token."""
    import copy

    cache = {} if prefix is None else {cache_kwarg(): copy.deepcopy(cache_of(prefix))}
    with torch.inference_mode():
        out = adapter.model.generate(**inputs, **cache, generation_config=adapter.generation_config(
            [Request("x", "t", [], max_new_tokens=1)]), output_logits=True, return_dict_in_generate=True)
    return out.logits[0][0].float()


def test_hub_generation_defaults_never_leak_in(checkpoints, tmp_path):
    """A checkpoint whose generation_config samples with a repetition penalty (as Qwen's hub
    files do) is still decoded greedily, the same every time."""
    import shutil

    folder = tmp_path / "sampling"
    shutil.copytree(checkpoints["qwen2_5_vl"], folder)
    config = json.loads((folder / "generation_config.json").read_text())
    config.update(do_sample=True, temperature=0.9, top_k=5, repetition_penalty=1.5)
    (folder / "generation_config.json").write_text(json.dumps(config))
    adapter = HF.from_cli(f"checkpoint={folder}")
    req = question(adapter, clip(4), "What is it?")
    assert len({adapter.answer_batch([req])[0] for _ in range(3)}) == 1
    assert adapter.generation_config([req]).do_sample is False and adapter.generation_config([req]).repetition_penalty == 1.0


def test_run_json_names_the_checkpoint_its_fingerprint_and_the_recipe(adapters, checkpoints):
    info = adapters["qwen2_5_vl"].describe()
    assert info["checkpoint"] == str(checkpoints["qwen2_5_vl"]) and len(info["weights_sha256"]) == 16
    assert info["recipe"]["name"] == "qwen2.5-vl" and "qwen-vl-utils" in info["recipe"]["source"]
    assert info["recipe"]["sampling"]["rule"] == "fps" and info["untrained"] is True
    other = adapters["llava_onevision"].describe()
    assert other["weights_sha256"] != info["weights_sha256"] and "lmms-eval" in other["recipe"]["source"]


def test_bad_checkpoints_are_one_line_errors(tmp_path):
    with pytest.raises(ConfigError, match="no such directory"):
        HF.from_cli(f"checkpoint={tmp_path / 'nowhere'}")
    with pytest.raises(ConfigError, match="pin the hub revision"):
        HF.from_cli("checkpoint=Qwen/Qwen2.5-VL-7B-Instruct")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="not a checkpoint transformers can load"):
        HF.from_cli(f"checkpoint={tmp_path / 'empty'}")
    with pytest.raises(ConfigError, match="known presets"):
        HF.from_cli("preset=random-gpt-9")


@pytest.mark.parametrize("family", ["qwen2_5_vl", "llava_onevision"])
def test_a_run_answers_every_video_and_multi_image_sample(cli, checkpoints, family):
    code, out = cli.run("--task", "videomme,muirbench", "--data", "sample", "--model", "hf",
                        "--model-args", f"checkpoint={checkpoints[family]}", name=family)
    assert code == 0, out
    run = cli.output / family
    info = json.loads((run / "run.json").read_text())
    assert info["model"]["checkpoint"] == str(checkpoints[family]) and info["model"]["weights_sha256"]
    assert info["model"]["recipe"]["source"] and info["sampling"]["rule"] in ("fps", "uniform")
    for task, n in (("videomme", 12), ("muirbench", 3)):
        recs = [json.loads(x) for x in (run / task / "predictions.jsonl").read_text().splitlines()]
        assert len(recs) == n and all(r["error"] is None and isinstance(r["response"], str) for r in recs), task
    videomme = [json.loads(x) for x in (run / "videomme" / "predictions.jsonl").read_text().splitlines()]
    assert sum(r["media"]["decoded"] for r in videomme) == 4  # each of the 4 videos decoded once
    assert all(r["media"]["sampling"].startswith(("fps(", "uniform(")) for r in videomme)
    results = json.loads((run / "results.json").read_text())["tasks"]
    assert results["videomme"]["n"] == 12 and results["muirbench"]["n"] == 3
