"""Seeded baselines for smoke runs and tests: a uniformly random option and a constant one.

The random choice depends only on (seed, task, sample id), never on run order, so resumed and
sharded runs give the same answers.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import List, Optional

from evalkit.media.sampling import SamplingSpec
from evalkit.model import ModelAdapter
from evalkit.request import Request


@dataclass
class BaselineArgs:
    decode: bool = False  # decode the sampled frames anyway (exercises the media stage)
    max_frames: int = 120
    sleep_s: float = 0.0  # seconds each answer takes: a fixed-latency model for scaling benchmarks


class _Baseline(ModelAdapter):
    Args = BaselineArgs

    @property
    def needs_media(self) -> bool:  # type: ignore[override]
        return self.args.decode

    def sampling(self) -> Optional[SamplingSpec]:
        return SamplingSpec.paper(max_frames=self.args.max_frames) if self.args.decode else None


class RandomChoice(_Baseline):
    name = "random"
    description = "a uniformly random option letter, seeded by (seed, task, id)"

    def generate(self, requests: List[Request]) -> List[str]:
        time.sleep(self.args.sleep_s * len(requests))
        out = []
        for r in requests:
            digest = hashlib.sha256(f"{self.seed}:{r.task}:{r.id}".encode()).digest()
            out.append(r.choices[int.from_bytes(digest[:8], "big") % len(r.choices)] if r.choices else "")
        return out


@dataclass
class ConstantArgs(BaselineArgs):
    answer: str = "A"


class ConstantChoice(_Baseline):
    name = "constant"
    description = "always the same answer (default 'A')"
    Args = ConstantArgs

    def generate(self, requests: List[Request]) -> List[str]:
        time.sleep(self.args.sleep_s * len(requests))
        return [self.args.answer for _ in requests]
