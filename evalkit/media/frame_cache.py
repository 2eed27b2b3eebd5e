"""An opt-in on-disk cache of decoded, resized frames, shared by runs (``--frame-cache DIR`` or
``EVALKIT_FRAME_CACHE``): the second checkpoint evaluated on a task decodes nothing.

An entry is keyed by the video file's identity (resolved path, size, modification time), the
sampling spec and the decoder asked for, so it holds exactly the pixels an uncached read would
give. Entries are written to a temporary file and renamed into place, so a reader (another
torchrun rank, another run) never sees half an entry and a kill mid-write leaves only a stray
temporary file, removed later. A hit refreshes the entry's time; when the cache outgrows its size
limit the least recently used entries go (one process at a time, under a lock file).
"""
from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, Optional, Union

import numpy as np

from ..errors import ConfigError, MediaError
from .sampling import SamplingSpec
from .video import SampledVideo, VideoSource, frame_files, library_version, read_video

FORMAT = 3  # entries of formats 1-2 lack the source's rate, frame count and clip
STALE_TMP_S = 3600  # a temporary file this old belongs to a writer that was killed
ENV_DIR, ENV_MAX_GB = "EVALKIT_FRAME_CACHE", "EVALKIT_FRAME_CACHE_MAX_GB"
DEFAULT_MAX_GB = 50.0


class FrameCache:
    def __init__(self, root: Path, max_gb: float = DEFAULT_MAX_GB):
        self.root = Path(root).expanduser()
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_bytes = int(max_gb * 2**30)

    @classmethod
    def configured(cls, root: Optional[Path] = None, max_gb: Optional[float] = None) -> Optional["FrameCache"]:
        """The cache the flags name, else the environment's (``EVALKIT_FRAME_CACHE``,
        ``EVALKIT_FRAME_CACHE_MAX_GB``); None when neither names a folder. Its folder is made
        here; a size that is no positive number, or a folder that cannot be one, is refused."""
        folder = root or os.environ.get(ENV_DIR)
        if not folder:
            return None
        where = "--frame-cache" if root else f"${ENV_DIR}"
        if max_gb is None:
            raw = os.environ.get(ENV_MAX_GB)
            try:
                max_gb = float(raw) if raw else DEFAULT_MAX_GB
            except ValueError:
                raise ConfigError(f"${ENV_MAX_GB}={raw!r}: give the frame cache's size limit in GB, e.g. 50") from None
            limit = f"${ENV_MAX_GB}={raw}"
        else:
            limit = f"--frame-cache-max-gb {max_gb:g}"
        if not max_gb > 0:  # also NaN
            raise ConfigError(f"{limit}: give a size limit above 0 GB (or no frame cache: leave {where} unset)")
        try:
            return cls(Path(folder), max_gb)
        except OSError as exc:
            raise ConfigError(f"{where} {folder}: cannot be the frame cache folder ({exc.strerror or exc}); "
                              "give a folder") from None

    def describe(self) -> Dict[str, Any]:
        return {"dir": str(self.root), "max_gb": round(self.max_bytes / 2**30, 3), "format": FORMAT}

    def key(self, source: Union[Path, VideoSource], spec: SamplingSpec, decoder: str) -> str:
        """The entry's key; a video that cannot be looked at fails its samples (MediaError)."""
        source = source if isinstance(source, VideoSource) else VideoSource(Path(source))
        path = source.path
        try:
            if source.frame_rate:  # a frame folder: its files' names, sizes and times
                stats = [(f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in frame_files(path)]
                size, mtime = len(stats), int(hashlib.sha256(repr(stats).encode()).hexdigest()[:15], 16)
            else:
                st = path.stat()
                size, mtime = st.st_size, st.st_mtime_ns
        except OSError as exc:
            raise MediaError(f"video not found: {path}" if isinstance(exc, FileNotFoundError)
                             else f"cannot read video {path} ({exc.strerror or exc})") from None
        identity = {"path": str(path.resolve()), "size": size, "mtime_ns": mtime, "spec": spec.to_dict(),
                    "decoder": decoder, "format": FORMAT, "versions": library_version("pyav"), **source.facts()}
        return hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:32]

    def entry(self, key: str) -> Path:
        return self.root / f"{key}.npz"

    def get(self, key: str) -> Optional[SampledVideo]:
        path = self.entry(key)
        start = time.perf_counter()
        try:
            with np.load(path, allow_pickle=False) as data:
                frames = data["frames"]
                meta = json.loads(bytes(data["meta"]).decode())
        except FileNotFoundError:
            return None
        except Exception:  # damaged (disk trouble): a miss, and the entry goes
            path.unlink(missing_ok=True)
            return None
        try:
            os.utime(path)  # most recently used
        except OSError:  # evicted meanwhile by another process: the frames are already read
            pass
        return SampledVideo(frames=frames, indices=meta["indices"], timestamps=meta["timestamps"],
                            duration=meta["duration"], backend=meta["backend"], rotation=meta["rotation"],
                            fallback=meta["fallback"], decode_s=time.perf_counter() - start, frame_cache="hit",
                            source_fps=meta["source_fps"], source_frames=meta["source_frames"],
                            sampling=meta["sampling"], clip_first=meta["clip_first"], origin=meta["origin"],
                            decoder_version=meta["decoder_version"])

    def put(self, key: str, video: SampledVideo) -> None:
        meta = {"indices": video.indices, "timestamps": video.timestamps, "duration": video.duration,
                "backend": video.backend, "rotation": video.rotation, "fallback": video.fallback,
                "source_fps": video.source_fps, "source_frames": video.source_frames, "sampling": video.sampling,
                "clip_first": video.clip_first, "origin": video.origin, "decoder_version": video.decoder_version}
        buffer = io.BytesIO()
        np.savez(buffer, frames=video.frames, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.root)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(buffer.getbuffer())
            os.replace(tmp, self.entry(key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.evict()

    def evict(self) -> None:
        """Delete least recently used entries until the cache is within its limit (and stray
        temporary files of killed writers)."""
        with (self.root / ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            entries = []
            for p in self.root.iterdir():
                try:
                    st = p.stat()
                except FileNotFoundError:
                    continue
                if p.name.startswith(".tmp-") and time.time() - st.st_mtime > STALE_TMP_S:
                    p.unlink(missing_ok=True)
                elif p.suffix == ".npz":
                    entries.append((st.st_mtime, st.st_size, p))
            total = sum(size for _, size, _ in entries)
            for _, size, p in sorted(entries, key=lambda e: e[0]):
                if total <= self.max_bytes:
                    break
                p.unlink(missing_ok=True)
                total -= size


def read_cached(source: Union[Path, VideoSource], spec: SamplingSpec, decoder: str,
                cache: Optional[FrameCache]) -> SampledVideo:
    """The frames of ``source`` from the cache when it has them, else decoded (and stored)."""
    if cache is None:
        return read_video(source, spec, decoder)
    key = cache.key(source, spec, decoder)
    video = cache.get(key)
    if video is not None:
        video.source = source.path if isinstance(source, VideoSource) else Path(source)
        return video
    video = read_video(source, spec, decoder)
    video.frame_cache = "miss"
    try:
        cache.put(key, video)
    except OSError:  # a full or read-only cache disk costs the saving, never the sample
        pass
    return video
