import pytest

from evalkit.model_adapters.dynamic_vlm.adapter import DynamicVLMAdapter, DynamicVLMArgs
from evalkit.model_adapters.dynamic_vlm.flops import CLIP_POSITIONS, Shapes, llm_flops, vision_flops
from evalkit.model_adapters.dynamic_vlm.shapes import build_shaped

S = Shapes(llm_params=1000, llm_layers=2, llm_width=8, vision_params=100, vision_layers=3, vision_width=4)


def test_llm_flops_count_parameters_and_causal_attention_pairs():
    assert llm_flops(S, 1, 0) == 2 * 1000 + 4 * 2 * 8 * 1
    assert llm_flops(S, 3, 0) == 2 * 1000 * 3 + 4 * 2 * 8 * (1 + 2 + 3)
    assert llm_flops(S, 2, 10) == 2 * 1000 * 2 + 4 * 2 * 8 * (11 + 12)
    # prefilling a prefix and then a suffix costs what prefilling both at once does
    assert llm_flops(S, 10, 0) + llm_flops(S, 5, 10) == llm_flops(S, 15, 0)


def test_vision_flops_run_every_position_of_every_frame():
    assert vision_flops(S, 2) == 2 * (2 * 100 * CLIP_POSITIONS + 4 * 3 * 4 * CLIP_POSITIONS ** 2)


@pytest.mark.parametrize("size, llm_billions, layers", [("7b", 7.07, 28), ("14b", 13.99, 48)])
def test_random_presets_have_the_released_shapes(size, llm_billions, layers):
    # Qwen2.5-7B/14B-Instruct: 7.61B/14.7B parameters in all, less the input embedding table
    model, tokenizer = build_shaped(size, "meta", __import__("torch").bfloat16, "sdpa")
    shapes = Shapes.of(model)
    assert shapes.llm_layers == layers and abs(shapes.llm_params / 1e9 - llm_billions) < 0.05
    assert 0.29e9 < shapes.vision_params < 0.31e9  # CLIP ViT-L/14-336
    assert len(tokenizer) <= model.llm.config.vocab_size and model.config.untrained


def test_random_preset_is_recorded_as_untrained():
    a = DynamicVLMAdapter(DynamicVLMArgs(preset="random-7b", device="meta", dtype="bfloat16"))
    facts = a.describe()
    assert a.untrained and facts["checkpoint"] == "random-7b" and facts["layout"] == "in-memory"
    assert facts["preset"] == "random-7b" and facts["max_visual_tokens"] == 12_000
