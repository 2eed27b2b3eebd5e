"""Answering: prepared samples handed to the model, answers handed back as they arrive.

An adapter that reuses work across a video's questions (``answers_groups``: Dynamic-VLM's
encoded frames and prefilled prompt prefix) gets each video's questions together through
``generate_group``; other samples are batched ``batch_size`` at a time across videos, which
keeps a served model's requests in flight. A batch that raises a :class:`SampleError` is
answered again one sample at a time, so only the sample at fault fails. A sample whose media
failed is handed back at once with its error.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Iterator, List, Optional, Tuple

from .errors import SampleError
from .model import ModelAdapter
from .prefetch import Prepared, video_key


@dataclass
class Answer:
    prepared: Prepared
    response: Optional[str]
    error: Optional[str]
    generate_s: float = 0.0  # the model's time for this sample (its share of a batch)
    span: Optional[Tuple[float, float]] = None  # wall-clock (start, end) of its generation; None: no model call


def answers(model: ModelAdapter, prepared: Iterable[Prepared], total: Counter) -> Iterator[Answer]:
    """Answers for ``prepared`` (the samples of one task, each video's questions together;
    ``total``: how many of them each video has)."""
    left = Counter(total)
    grouping = model.answers_groups
    batch_size = max(1, model.batch_size)
    singles: List[Prepared] = []  # batched across videos, batch_size at a time
    group: List[Prepared] = []  # the current video's questions so far (grouping adapters)
    for p in prepared:
        key = video_key(p.sample)
        left[key] -= 1
        if p.error is not None:
            yield Answer(p, None, p.error)
        else:
            (group if grouping else singles).append(p)
        if grouping and left[key] == 0:
            if len(group) > 1:  # a video's questions, answered together
                yield from answer(model, singles)
                yield from answer(model, group, grouped=True)
                singles = []
            else:
                singles += group
            group = []
        if len(singles) >= batch_size:
            yield from answer(model, singles)
            singles = []
    yield from answer(model, singles)


def answer(model: ModelAdapter, batch: List[Prepared], grouped: bool = False) -> Iterator[Answer]:
    """Answer ``batch`` (one video's questions when ``grouped``), each answer as it arrives."""
    if not batch:
        return
    requests = [p.request for p in batch if p.request is not None]  # every batched sample has one
    done = 0
    mark, mark_wall = time.perf_counter(), time.time()
    try:
        responses: Iterator[str] = model.generate_group(requests) if grouped else iter(model.generate(requests))
        for response in responses:
            now = time.perf_counter()
            per = (now - mark) if grouped else (now - mark) / len(batch)
            yield Answer(batch[done], response, None, per, (mark_wall, time.time()))
            done += 1
            if grouped:
                mark, mark_wall = now, time.time()
    except SampleError as exc:
        rest = batch[done:]
        if len(rest) > 1 or grouped:  # find which sample failed: answer them one by one
            for p in rest:
                yield from answer(model, [p])
            return
        yield Answer(rest[0], None, str(exc), time.perf_counter() - mark, (mark_wall, time.time()))
