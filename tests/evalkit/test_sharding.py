"""torchrun shards: a video's questions on one rank, work balanced by duration, the same
assignment on every rank."""
from pathlib import Path

from evalkit.sharding import assign, sample_weights, shard, video_seconds
from evalkit.samples import Sample
from evalkit.tasks.videomme import VideoMME


def test_longest_first_onto_the_least_loaded_rank():
    weights = {"a": 10.0, "b": 7.0, "c": 6.0, "d": 5.0, "e": 1.0}
    assert assign(weights, 2) == {"a": 0, "b": 1, "c": 1, "d": 0, "e": 1}  # loads 15 and 14
    assert assign(weights, 1) == dict.fromkeys(weights, 0)
    assert assign({"x": 1.0, "y": 1.0}, 3) == {"x": 0, "y": 1}  # ties: by name, then by rank


def test_video_questions_stay_together_and_ranks_share_the_work():
    samples = VideoMME().load("sample").samples  # 4 videos of 12, 30, 150, 240 s, 3 questions each
    assert [round(video_seconds(s.video)) for s in samples[::3]] == [12, 30, 150, 240]
    parts = [shard(samples, 2, r) for r in range(2)]
    assert sorted(i for part in parts for i, _ in part) == list(range(12))  # each sample once
    for part in parts:
        assert all(len({s.cluster for _, s in part} & {s.cluster for _, s in other}) == 0
                   for other in parts if other is not part)
    clusters = [sorted({s.cluster for _, s in part}) for part in parts]
    assert clusters == [["004"], ["001", "002", "003"]]  # the 240 s video alone vs 150 + 30 + 12 s
    weights = sample_weights(samples)
    assert weights["004"] == 3 * (1 + 240.0) and weights["001"] == 3 * (1 + 12.0)


def test_images_count_for_image_tasks_and_missing_videos_weigh_one():
    samples = [Sample("1", "A", {}, images=(Path("a.png"), Path("b.png")), cluster="t/1"),
               Sample("2", "A", {}, video=Path("/no/such.mp4"), cluster="v")]
    assert sample_weights(samples) == {"t/1": 3.0, "v": 1.0}
