"""Which samples each torchrun rank answers: a video's questions stay together on one rank, and
videos are dealt out by duration so that ranks finish together.

The assignment is a pure function of the samples, their weights and the world size (longest
first, each to the least-loaded rank, ties by name and rank), so every rank computes the same
one without talking to the others, and a rerun with another world size resumes from every
rank's records whatever moved.
"""
from __future__ import annotations

import heapq
import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from .samples import Sample


def video_seconds(path: Optional[Path]) -> float:
    """A video's duration from its container header (no decoding); 0 when unknown."""
    if path is None or not Path(path).is_file():
        return 0.0
    try:
        import av

        with av.open(str(path)) as container:
            if container.duration:
                return container.duration / 1_000_000  # AV_TIME_BASE
            stream = container.streams.video[0]
            return float(stream.duration * stream.time_base) if stream.duration else 0.0
    except Exception:  # unreadable: the sample fails later, with the decoder's message
        return 0.0


def sample_weights(samples: Sequence[Sample]) -> Dict[str, float]:
    """Work of each cluster (a video's questions): the summed duration its samples decode, plus
    one unit per sample for the model (image tasks: one unit per image)."""
    seconds: Dict[Path, float] = {}
    weights: Dict[str, float] = {}
    for s in samples:
        key = s.cluster or s.id
        if s.video is not None and s.video not in seconds:
            seconds[s.video] = video_seconds(s.video)
        work = 1.0 + (seconds[s.video] if s.video is not None else float(len(s.images)))
        weights[key] = weights.get(key, 0.0) + work
    return weights


def assign(weights: Dict[str, float], world: int) -> Dict[str, int]:
    """cluster -> rank: longest processing time first onto the least-loaded rank."""
    loads: List[Tuple[float, int]] = [(0.0, r) for r in range(world)]
    heapq.heapify(loads)
    out: Dict[str, int] = {}
    for key in sorted(weights, key=lambda k: (-weights[k], k)):
        load, rank = heapq.heappop(loads)
        out[key] = rank
        heapq.heappush(loads, (load + weights[key], rank))
    return out


def distributed_rank() -> Tuple[int, int]:
    """(rank, world size) as torchrun sets them; (0, 1) in a plain process."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def shard(samples: Sequence[Sample], world: int, rank: int) -> List[Tuple[int, Sample]]:
    """(dataset index, sample) pairs this rank answers, in dataset order."""
    if world <= 1:
        return list(enumerate(samples))
    owner = assign(sample_weights(samples), world)
    return [(i, s) for i, s in enumerate(samples) if owner[s.cluster or s.id] == rank]
