"""The toy checkpoints shipped for the demo (scripts/train_toy_dynamic_vlm.py): small, loaded
through the normal checkpoint path, labelled toy (not untrained), and answering the bundled
Video-MME sample as the script's docstring says."""
import json

import pytest
import torch

from evalkit.model_adapters.dynamic_vlm.adapter import (PRESETS, TOY_DIR, TOY_PRESETS, TOY_STEPS, DynamicVLMAdapter,
                                                        DynamicVLMArgs, resolve_checkpoint)
from evalkit.model_adapters.dynamic_vlm.checkpoint import detect_layout

IDS = ("001-1", "001-2", "001-3", "002-1", "002-2", "002-3", "003-1", "003-2", "003-3", "004-1", "004-2", "004-3")
GOLD = "CBACBACBACBA"
# greedy replies, question by question (the table in the script's docstring)
REPLIES = {20: "CAACCCCAACAA", 35: "CBACBACBBCBA"}


@pytest.fixture
def one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def test_toy_presets_are_the_shipped_steps():
    assert TOY_STEPS == tuple(REPLIES) and TOY_PRESETS == ("toy-step-20", "toy-step-35")
    assert "tiny" in PRESETS and all(p in PRESETS for p in TOY_PRESETS)


@pytest.mark.parametrize("step", TOY_STEPS)
def test_toy_checkpoint_is_small_labelled_and_loads_like_any_checkpoint(step):
    folder = TOY_DIR / f"step-{step}"
    assert resolve_checkpoint(DynamicVLMArgs(preset=f"toy-step-{step}")) == folder
    assert detect_layout(folder) == "evalkit"
    assert sum(f.stat().st_size for f in folder.iterdir()) < 1_000_000
    from safetensors import safe_open

    with safe_open(str(folder / "model.safetensors"), "pt") as f:  # shipped as float16
        assert {f.get_slice(k).get_dtype() for k in f.keys()} == {"F16"}
    # transformers 4 and 5 both read the tokenizer config
    assert json.loads((folder / "tokenizer_config.json").read_text())["tokenizer_class"] == "PreTrainedTokenizerFast"
    a = DynamicVLMAdapter(DynamicVLMArgs(preset=f"toy-step-{step}"))
    assert a.layout == "evalkit" and not a.untrained and a.model.dtype == torch.float32  # float16 loaded as float32
    facts = a.describe()
    assert facts["untrained"] is False and facts["preset"] == f"toy-step-{step}"
    assert f"trained {step} steps on the bundled 12-question Video-MME sample" in facts["toy"]
    assert "scores mean nothing" in facts["toy"]


def test_other_checkpoints_carry_no_toy_label(tiny_dir):
    assert "toy" not in DynamicVLMAdapter(DynamicVLMArgs(checkpoint=str(tiny_dir))).describe()


def test_a_missing_toy_checkpoint_says_how_to_make_it(monkeypatch, tmp_path):
    from evalkit.errors import ConfigError
    from evalkit.model_adapters.dynamic_vlm import adapter

    monkeypatch.setattr(adapter, "TOY_DIR", tmp_path)
    with pytest.raises(ConfigError, match="scripts/train_toy_dynamic_vlm.py"):
        adapter.resolve_checkpoint(DynamicVLMArgs(preset="toy-step-20"))


@pytest.mark.parametrize("step", TOY_STEPS)
def test_toy_greedy_replies_on_the_bundled_sample_are_pinned(cli, one_thread, step):
    code, out = cli.run("--task", "videomme", "--data", "sample", "--model", "dynamic-vlm",
                        "--model-args", f"preset=toy-step-{step},device=cpu")  # pinned in float32
    assert code == 0, out
    assert "UNTRAINED" not in out and "random weights" not in out
    run = cli.output / "r"
    info = json.loads((run / "run.json").read_text())
    assert info["model"]["untrained"] is False and "scores mean nothing" in info["model"]["toy"]
    recs = [json.loads(x) for x in (run / "videomme" / "predictions.jsonl").read_text().splitlines()]
    assert [r["id"] for r in recs] == list(IDS) and "".join(r["target"] for r in recs) == GOLD
    assert "".join(r["response"] for r in recs) == REPLIES[step]  # a bare letter each
    right = sum(a == g for a, g in zip(REPLIES[step], GOLD))
    assert {r["parsed"]["official"] for r in recs} <= set("ABCD")  # the official parser reads every reply
    results = json.loads((run / "results.json").read_text())["tasks"]["videomme"]["by_protocol"]
    for protocol in ("official", "strict"):
        assert (results[protocol]["n_scored"], results[protocol]["n_unparsed"]) == (12, 0)
        assert results[protocol]["metrics"]["accuracy"] == pytest.approx(100 * right / 12)


def test_the_two_steps_flip_both_ways():
    up = [i for i, a, b, g in zip(IDS, *REPLIES.values(), GOLD) if a != g and b == g]
    down = [i for i, a, b, g in zip(IDS, *REPLIES.values(), GOLD) if a == g and b != g]
    assert up == ["001-2", "002-2", "002-3", "003-2", "004-2"] and down == ["003-3"]
