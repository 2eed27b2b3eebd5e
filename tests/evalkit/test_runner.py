"""The run loop's advertised paths: a failing sample inside a batch, decoding without prefetch,
and a rerun whose frame sampling changed."""
import json
from dataclasses import dataclass
from typing import List

import pytest

from evalkit.errors import SampleError
from evalkit.media.sampling import SamplingSpec
from evalkit.model import ModelAdapter
from evalkit.model_adapters.baselines import RandomChoice
from evalkit.registry import MODELS
from evalkit.request import Request


@dataclass
class FlakyArgs:
    bad: str = "002-2"
    batch_size: int = 4


class Flaky(ModelAdapter):
    """Answers 'A' in batches, but any batch holding the ``bad`` sample raises for the batch."""

    name = "flaky-test"
    description = "test adapter"
    Args = FlakyArgs
    needs_media = False
    calls: List[List[str]] = []

    def __init__(self, args: FlakyArgs, seed: int = 0):
        super().__init__(args, seed)
        self.batch_size = args.batch_size

    def sampling(self):
        return None

    def generate(self, requests: List[Request]) -> List[str]:
        Flaky.calls.append([r.id for r in requests])
        if any(r.id == self.args.bad for r in requests):
            raise SampleError(f"cannot answer {self.args.bad}")
        return ["A" for _ in requests]


class FlakyGroups(Flaky):
    """The same, but asking for a video's questions together (as Dynamic-VLM does)."""

    name = "flaky-groups-test"

    @property
    def answers_groups(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def flaky_models(register):
    register(MODELS, "flaky-test", Flaky)
    register(MODELS, "flaky-groups-test", FlakyGroups)


def records(cli, name="r", task="videomme"):
    return [json.loads(x) for x in (cli.output / name / task / "predictions.jsonl").read_text().splitlines()]


def test_one_failing_sample_in_a_batch_fails_alone(cli):
    Flaky.calls.clear()
    code, out = cli.run("--task", "videomme", "--data", "sample", "--model", "flaky-test")
    assert code == 0, out
    recs = records(cli)
    assert [r["id"] for r in recs if r["error"]] == ["002-2"] and "cannot answer 002-2" in recs[4]["error"]
    assert all(r["response"] == "A" for r in recs if not r["error"])
    # batches of four across videos (a served model keeps them in flight); the failing batch was
    # answered again one by one; the other batches stayed whole
    assert Flaky.calls[:2] == [["001-1", "001-2", "001-3", "002-1"], ["002-2", "002-3", "003-1", "003-2"]]
    assert Flaky.calls[2:6] == [["002-2"], ["002-3"], ["003-1"], ["003-2"]]
    assert Flaky.calls[6:] == [["003-3", "004-1", "004-2", "004-3"]]


def test_a_grouping_adapter_gets_each_videos_questions_together(cli):
    Flaky.calls.clear()
    code, out = cli.run("--task", "videomme", "--data", "sample", "--model", "flaky-groups-test")
    assert code == 0, out
    recs = records(cli)
    assert [r["id"] for r in recs if r["error"]] == ["002-2"]
    # each video's questions together; the failing video's answered again one by one
    assert Flaky.calls[:2] == [["001-1", "001-2", "001-3"], ["002-1", "002-2", "002-3"]]
    assert Flaky.calls[2:5] == [["002-1"], ["002-2"], ["002-3"]]
    assert Flaky.calls[5:] == [["003-1", "003-2", "003-3"], ["004-1", "004-2", "004-3"]]
    results = json.loads((cli.output / "r" / "results.json").read_text())["tasks"]["videomme"]
    assert results["n_failed"] == 1


def test_decoding_without_prefetch_gives_the_same_records(cli):
    args = ("--task", "videomme", "--data", "sample", "--model", "random", "--model-args", "decode=true,max_frames=4")
    assert cli.run(*args, "--prefetch", "0", name="inline")[0] == 0
    assert cli.run(*args, name="ahead")[0] == 0
    inline, ahead = records(cli, "inline"), records(cli, "ahead")
    assert len(inline) == 12 and inline == ahead
    assert all(r["media"]["n_frames"] == len(r["media"]["frame_indices"]) <= 4 for r in inline)


def test_rerun_with_changed_sampling_is_refused(cli, monkeypatch):
    args = ("--task", "videomme", "--data", "sample", "--model", "random", "--model-args", "decode=true,max_frames=4")
    assert cli.run(*args)[0] == 0
    before = (cli.output / "r" / "videomme" / "predictions.jsonl").read_bytes()
    # same configuration, but the adapter now asks for frames of another size (e.g. a new checkpoint)
    monkeypatch.setattr(RandomChoice, "sampling", lambda self: SamplingSpec.paper(max_frames=4, size=(224, 224)))
    code, out = cli.run(*args)
    assert code == 2 and "exists with a different configuration" in out and "sampling:" in out
    assert (cli.output / "r" / "videomme" / "predictions.jsonl").read_bytes() == before


@pytest.mark.parametrize("prefetch", ["0", "4"])
def test_each_video_is_decoded_once_for_all_its_questions(cli, monkeypatch, prefetch):
    import evalkit.prefetch as runner_module  # the media stage reads videos

    calls = []
    real = runner_module.read_cached
    monkeypatch.setattr(runner_module, "read_cached",
                        lambda source, *args: calls.append(source.path.name) or real(source, *args))
    code, out = cli.run("--task", "videomme", "--data", "sample", "--model", "random",
                        "--model-args", "decode=true,max_frames=4", "--prefetch", prefetch)
    assert code == 0, out
    assert sorted(calls) == sorted(set(calls)) and len(calls) == 4  # 4 videos, 12 questions
    recs = records(cli)
    timings = [json.loads(x) for x in (cli.output / "r" / "videomme" / "timings.jsonl").read_text().splitlines()]
    assert [t["decoded"] for t in timings] == [True, False, False] * 4
    assert all(t["decode_s"] == 0 for t in timings if not t["decoded"])
    assert [r["media"]["decoded"] for r in recs] == [True, False, False] * 4
    assert {r["media"]["frame_cache"] for r in recs} == {"off"}
    same = [{k: v for k, v in r["media"].items() if k != "decoded"} for r in recs]
    for k in range(0, 12, 3):  # a video's questions saw the same frames
        assert same[k] == same[k + 1] == same[k + 2]


def test_a_broken_video_fails_each_of_its_questions(cli, videomme_copy):
    (videomme_copy / "data" / "smpl0000002.mp4").write_bytes(b"\x00" * 2048)
    code, out = cli.run("--task", "videomme", "--data", videomme_copy, "--model", "random",
                        "--model-args", "decode=true,max_frames=4")
    assert code == 0, out
    failed = [r["id"] for r in records(cli) if r["error"]]
    assert failed == ["002-1", "002-2", "002-3"]


def test_a_second_checkpoint_reads_every_video_from_the_frame_cache(cli, tmp_path, monkeypatch):
    args = ("--task", "videomme", "--data", "sample", "--model", "random")
    cache = tmp_path / "frames"
    assert cli.run(*args, "--model-args", "decode=true,max_frames=4", "--frame-cache", cache, name="first")[0] == 0
    monkeypatch.setenv("EVALKIT_FRAME_CACHE", str(cache))  # the environment variable works as the flag
    assert cli.run(*args, "--model-args", "decode=true,max_frames=4", "--seed", "1", name="second")[0] == 0
    first, second = records(cli, "first"), records(cli, "second")
    assert [r["media"]["frame_cache"] for r in first] == ["miss", "miss", "miss"] * 4
    assert [r["media"]["decoded"] for r in first] == [True, False, False] * 4
    assert {r["media"]["frame_cache"] for r in second} == {"hit"} and not any(r["media"]["decoded"] for r in second)
    strip = [{k: v for k, v in r["media"].items() if k not in ("frame_cache", "decoded")} for r in first + second]
    assert strip[:12] == strip[12:]  # the model saw the same frames
    info = json.loads((cli.output / "second" / "run.json").read_text())
    assert info["media"]["frame_cache"]["dir"] == str(cache) and info["media"]["frame_cache_from"] == "EVALKIT_FRAME_CACHE"
    timings = [json.loads(x) for x in (cli.output / "second" / "videomme" / "timings.jsonl").read_text().splitlines()]
    assert not any(t["decoded"] for t in timings)


def test_questions_of_a_video_are_answered_together_whatever_the_dataset_order(cli, videomme_copy):
    import pandas as pd

    path = next((videomme_copy / "videomme").glob("*.parquet"))
    table = pd.read_parquet(path)
    pd.concat([table.iloc[k::3] for k in range(3)]).to_parquet(path)  # 001-1, 002-1, ... 001-2, ...
    Flaky.calls.clear()
    code, out = cli.run("--task", "videomme", "--data", videomme_copy, "--model", "flaky-groups-test",
                        "--model-args", "bad=none")
    assert code == 0, out
    assert Flaky.calls == [[f"00{v}-1", f"00{v}-2", f"00{v}-3"] for v in range(1, 5)]
    assert [r["index"] for r in records(cli)][:3] == [0, 4, 8]
