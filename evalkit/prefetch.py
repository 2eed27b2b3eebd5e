"""The media stage of a run: each pending sample's frames (or images) read and its request built,
a bounded window ahead of the model on worker threads, handed over in a fixed order so that a
resumed run writes the same records.

A video is read once per run (:class:`SharedVideos`): the first of its pending questions reads
it (from the frame cache, or by decoding), the others, on any worker thread, wait for and reuse
those frames, which are released after the last of them. A sample whose media cannot be read is
handed over with its error, and fails alone.
"""
from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

from .errors import SampleError
from .media.frame_cache import FrameCache, read_cached
from .media.images import LoadedImages, load_images
from .media.sampling import SamplingSpec
from .media.video import SampledVideo, VideoSource
from .request import Request
from .samples import Sample
from .task import Task

Pending = List[Tuple[int, Sample]]  # (dataset index, sample), in the order they are answered


@dataclass
class Prepared:
    """A sample ready for the model: its request and media, or why it cannot be answered."""

    sample: Sample
    index: int  # position in the task's dataset order
    request: Optional[Request] = None
    media: Optional[Union[SampledVideo, LoadedImages]] = None
    error: Optional[str] = None
    decode_s: float = 0.0
    wait_s: float = 0.0  # time the run waited for this sample's media
    decoded: bool = True  # False: the frames came from another question of the video, or the frame cache
    decode_span: Optional[Tuple[float, float]] = None  # wall-clock (start, end) of this sample's media read


def video_key(sample: Sample) -> Any:
    """What groups questions: what they are shown (a video file or its clip, a frame folder; a
    sample without one is a group of its own)."""
    return sample.video_source or ("sample", sample.id)


def by_video(pending: Pending) -> Pending:
    """Each video's questions together: groups in the order of their first question, dataset
    order within a group (the order records are written in, the same on every resume)."""
    groups: Dict[Any, Pending] = {}
    for item in pending:
        groups.setdefault(video_key(item[1]), []).append(item)
    return [item for group in groups.values() for item in group]


class SharedVideos:
    """Each video decoded once per run; ``reuse=False`` (the bench's baseline) reads the video
    again for every question."""

    def __init__(self, pending: Pending, decoder: str = "auto", cache: Optional[FrameCache] = None,
                 reuse: bool = True):
        self.left: Dict[VideoSource, int] = {}
        for _, s in pending:
            if s.video_source is not None:
                self.left[s.video_source] = self.left.get(s.video_source, 0) + 1
        self.futures: Dict[VideoSource, Future] = {}
        self.lock = threading.Lock()
        self.decoder, self.cache, self.reuse = decoder, cache, reuse

    def read(self, path: VideoSource, spec: SamplingSpec) -> Tuple[SampledVideo, bool]:
        """(frames, whether this call read them); a decoding error fails every question."""
        if not self.reuse:
            return read_cached(path, spec, self.decoder, self.cache), True
        with self.lock:
            future = self.futures.get(path)
            first = future is None
            if future is None:
                future = self.futures[path] = Future()
        try:
            if first:
                try:
                    future.set_result(read_cached(path, spec, self.decoder, self.cache))
                except BaseException as exc:  # handed to the video's other questions too
                    future.set_exception(exc)
            return future.result(), first
        finally:
            with self.lock:
                self.left[path] = self.left.get(path, 1) - 1
                if self.left[path] <= 0:
                    self.futures.pop(path, None)


class MediaStage:
    """Prepared samples of one task, in ``pending`` order, read ``prefetch`` ahead on ``workers``
    threads (``prefetch=0``: each read in the loop, just before the model needs it)."""

    def __init__(self, task: Task, spec: Optional[SamplingSpec], pending: Pending, prefetch: int, workers: int,
                 decoder: str = "auto", cache: Optional[FrameCache] = None, reuse: bool = True):
        self.task, self.spec, self.pending = task, spec, pending
        self.prefetch, self.workers = prefetch, workers
        self.videos = SharedVideos(pending, decoder, cache, reuse)

    def prepare(self, index: int, sample: Sample) -> Prepared:
        spec, task = self.spec, self.task
        media: Optional[Union[SampledVideo, LoadedImages]] = None
        read = False
        start = time.time()
        try:
            if spec is not None and task.media_kind == "video":
                if sample.video_source is None:
                    raise SampleError(f"{task.name} sample {sample.id}: no video path")
                media, read = self.videos.read(sample.video_source, spec)
            elif spec is not None and task.media_kind == "images":
                media, read = load_images(sample.images, spec), True
            request = task.build_request(sample, media)
        except SampleError as exc:
            return Prepared(sample, index, error=str(exc))
        decoded = read and getattr(media, "frame_cache", "off") != "hit"
        return Prepared(sample, index, request, media, decoded=decoded,
                        decode_s=getattr(media, "decode_s", 0.0) if read else 0.0,
                        decode_span=(start, time.time()) if read else None)

    def __iter__(self) -> Iterator[Prepared]:
        waited = time.perf_counter()
        for prepared in self._ordered():
            prepared.wait_s = time.perf_counter() - waited
            yield prepared
            waited = time.perf_counter()

    def _ordered(self) -> Iterator[Prepared]:
        if self.prefetch <= 0:
            yield from (self.prepare(*item) for item in self.pending)
            return
        with ThreadPoolExecutor(max_workers=max(1, self.workers)) as pool:
            it = iter(self.pending)
            futures: List[Future] = [pool.submit(self.prepare, *item) for item in itertools.islice(it, self.prefetch)]
            while futures:
                done = futures.pop(0).result()
                nxt = next(it, None)
                if nxt is not None:
                    futures.append(pool.submit(self.prepare, *nxt))
                yield done
