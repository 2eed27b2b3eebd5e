"""A video's questions answered from one prefilled prefix give the answers, and first-step
logits, of answering each question whole. Tolerance: float32 on the CPU, first-step logits agree
to 1e-5 absolute (measured: 4e-7; the prefix is computed without padding in one path and with it
in the other), while two different questions' logits differ by ~2e-3."""
import numpy as np
import pytest
import torch

from evalkit.media.video import SampledVideo
from evalkit.model_adapters.dynamic_vlm.adapter import DynamicVLMAdapter, DynamicVLMArgs, one_video
from evalkit.request import Request, VideoPart

QUESTIONS = ["What is shown?", "How many people are in the video and where are they?", "Which colour?"]
SUBTITLES = "This video's subtitles are listed below:\nhello there\nwhere is it\n"


def questions(media: SampledVideo, subtitles: bool, prefix: str = "q") -> list:
    head = [SUBTITLES] if subtitles else []
    return [Request(f"{prefix}{k}", "t", [VideoPart(None, media), *head, text], choices=("A", "B", "C", "D"),
                    max_new_tokens=6) for k, text in enumerate(QUESTIONS)]


@pytest.fixture(scope="module")
def media():
    rng = np.random.default_rng(7)
    frames = rng.integers(0, 256, size=(6, 336, 336, 3), dtype=np.uint8)
    return SampledVideo(frames, list(range(6)), [float(i) for i in range(6)], 6.0, "test")


def adapter(tiny_dir, **kw) -> DynamicVLMAdapter:
    return DynamicVLMAdapter(DynamicVLMArgs(checkpoint=str(tiny_dir), **kw))


@pytest.mark.parametrize("subtitles", [False, True], ids=["plain", "subtitles"])
@pytest.mark.parametrize("batch_size", [1, 2, 3])
def test_shared_prefix_gives_the_unshared_answers_and_logits(tiny_dir, media, subtitles, batch_size):
    reqs = questions(media, subtitles)
    whole = adapter(tiny_dir, share_prefix=False).answer_batch(reqs, keep_logits=True)
    shared = list(adapter(tiny_dir, batch_size=batch_size).answer_group(reqs, keep_logits=True))
    assert [t for t, _ in shared] == [t for t, _ in whole]
    for (_, a), (_, b) in zip(shared, whole):
        assert torch.allclose(a, b, atol=1e-5, rtol=0), (a - b).abs().max()


def test_beam_search_from_the_shared_prefix(tiny_dir, media):
    reqs = questions(media, subtitles=True)
    whole = adapter(tiny_dir, num_beams=3, share_prefix=False).generate(reqs)
    assert list(adapter(tiny_dir, num_beams=3, batch_size=2).generate_group(reqs)) == whole


def test_prefill_facts_say_what_was_reused(tiny_dir, media):
    reqs = questions(media, subtitles=True)
    unshared = adapter(tiny_dir, share_prefix=False)
    list(unshared.generate_group(reqs))
    before = [unshared.request_facts(r) for r in reqs]
    shared = adapter(tiny_dir)
    list(shared.generate_group(reqs))
    after = [shared.request_facts(r) for r in reqs]
    assert all(f["cached_tokens"] == 0 for f in before)
    assert after[0]["cached_tokens"] == 0 and after[1]["cached_tokens"] == after[2]["cached_tokens"] > 0
    prefix = after[1]["cached_tokens"]
    assert [a["prefill_tokens"] + a["cached_tokens"] for a in after] == [b["prefill_tokens"] for b in before]
    assert after[0]["prefill_tokens"] == before[0]["prefill_tokens"]  # the first question pays for the prefix
    assert prefix > 6 * after[0]["tokens_per_frame"]  # frames and subtitles are in it
    assert sum(a["prefill_tokens"] for a in after) <= 0.4 * sum(b["prefill_tokens"] for b in before)


def test_questions_about_different_frames_are_not_shared(tiny_dir, media):
    other = SampledVideo(media.frames.copy(), media.indices, media.timestamps, media.duration, "test")
    reqs = questions(media, False)[:2] + questions(other, False, prefix="o")[:1]
    assert not one_video(reqs) and one_video(reqs[:2])
    a = adapter(tiny_dir)
    assert list(a.generate_group(reqs)) == adapter(tiny_dir, share_prefix=False).generate(reqs)
    assert all(a.request_facts(r)["cached_tokens"] == 0 for r in reqs)


@pytest.mark.parametrize("flag, shared", [("true", True), ("false", False)])
def test_run_json_records_the_sharing_that_ran(cli, flag, shared):
    code, out = cli.run("--task", "videomme", "--data", "sample", "--model", "dynamic-vlm", "--limit", "3",
                        "--model-args", f"preset=tiny,max_frames=4,share_prefix={flag}", name=flag)
    assert code == 0, out
    import json

    info = json.loads((cli.output / flag / "run.json").read_text())
    assert info["model"]["args"]["share_prefix"] is shared
    assert any(r["model"]["cached_tokens"] > 0 for r in records(cli.output / flag / "videomme")) is shared


def test_runs_with_and_without_sharing_write_the_same_answers(cli):
    args = ("--task", "videomme_w_subtitle", "--data", "sample", "--model", "dynamic-vlm", "--limit", "6")
    assert cli.run(*args, "--model-args", "preset=tiny,max_frames=4", name="shared")[0] == 0
    assert cli.run(*args, "--model-args", "preset=tiny,max_frames=4,share_prefix=false", name="whole")[0] == 0
    shared, whole = (records(cli.output / n / "videomme_w_subtitle") for n in ("shared", "whole"))
    assert [r["response"] for r in shared] == [r["response"] for r in whole]
    assert [r["model"]["cached_tokens"] > 0 for r in shared] == [False, True, True] * 2
    assert all(r["model"]["cached_tokens"] == 0 for r in whole)
    assert [r["media"]["decoded"] for r in shared] == [True, False, False] * 2
    total = [sum(r["model"]["prefill_tokens"] for r in rs) for rs in (shared, whole)]
    assert total[0] < 0.5 * total[1]


def records(folder):
    import json

    return [json.loads(x) for x in (folder / "predictions.jsonl").read_text().splitlines()]


def test_usage_counts_the_work_saved(tiny_dir, media):
    reqs = questions(media, subtitles=True)
    whole, shared = adapter(tiny_dir, share_prefix=False), adapter(tiny_dir)
    whole.generate(reqs)
    list(shared.generate_group(reqs))
    a, b = whole.usage(), shared.usage()
    assert (a["frames_encoded"], b["frames_encoded"]) == (18, 6)
    assert a["cached_tokens"] == 0 and b["prefill_tokens"] + b["cached_tokens"] == a["prefill_tokens"]
    assert b["cached_tokens"] == 2 * shared.request_facts(reqs[1])["cached_tokens"]
    assert a["generated_tokens"] == b["generated_tokens"] > 0
    assert b["model_flops"] < 0.5 * a["model_flops"]
