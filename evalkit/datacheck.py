"""``evalkit data check``: before a run, is everything it needs there and readable?

Per task: the layout found and where, the number of samples, the media each sample names
(missing and undecodable files, each named with the samples that need them), and the spread of
video durations. ``evalkit run`` prints the one-line form (existence only, no decoding) before
any model work.
"""
from __future__ import annotations

import statistics
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

from .errors import MediaError
from .samples import TaskData
from .task import Task

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")


@dataclass
class DataReport:
    task: str
    data: TaskData
    media_kind: str
    files: Dict[Path, List[str]]  # media file -> the samples that need it
    missing: List[Path] = field(default_factory=list)
    unreadable: List[Tuple[Path, str]] = field(default_factory=list)
    durations: List[float] = field(default_factory=list)
    frame_folders: Dict[Path, float] = field(default_factory=dict)  # folders of frames, with their rates

    @property
    def ok(self) -> bool:
        return not self.missing and not self.unreadable

    def where(self) -> str:
        d = self.data
        if d.located is None:
            return ""
        loc = d.located
        origin = f"hub cache {loc.repo}@{(loc.revision or '')[:8]}" if loc.how == "hub cache" else \
            "bundled sample" if loc.how == "sample" else str(loc.file or loc.root)
        media = "" if loc.media == loc.root else f", media {loc.media}"
        return f"{d.layout} layout ({origin}{media})"

    def line(self) -> str:
        """The one-line form ``evalkit run`` prints."""
        kind = "videos" if self.media_kind == "video" else "images"
        n = len(self.files)
        state = "all present" if not self.missing else \
            f"{len(self.missing)} missing (first: {self.missing[0]}; `evalkit data check` lists them)"
        if self.unreadable:
            state += f", {len(self.unreadable)} unreadable"
        lacks = f"; this layout lacks {', '.join(self.data.lacks)}" if self.data.lacks else ""
        return f"{self.task}: {self.where()}, {len(self.data.samples):,} samples, {n:,} {kind}: {state}{lacks}"

    def duration_spread(self) -> Optional[str]:
        if not self.durations:
            return None
        d = sorted(self.durations)
        return (f"min {d[0]:.1f} s, median {statistics.median(d):.1f} s, max {d[-1]:.1f} s "
                f"({len(d)} videos)")


def media_files(task: Task, data: TaskData) -> Dict[Path, List[str]]:
    files: Dict[Path, List[str]] = {}
    for s in data.samples:
        for path in ([s.video] if task.media_kind == "video" and s.video is not None else []) + list(s.images):
            files.setdefault(path, []).append(s.id)
    return files


def folders(data: TaskData) -> Dict[Path, float]:
    """The frame folders the samples name, with their rates."""
    return {s.video: s.frame_rate for s in data.samples if s.video is not None and s.frame_rate}


def check(task: Task, data: TaskData) -> DataReport:
    """What a run would find: every media file (or frame folder) the samples name, and which are missing."""
    files, dirs = media_files(task, data), folders(data)
    missing = [p for p in files if not (p.is_dir() if p in dirs else p.is_file())]
    return DataReport(task.name, data, task.media_kind, files, missing=missing, frame_folders=dirs)


def probe(report: DataReport, workers: int = 4, advance: Optional[Callable[[], None]] = None) -> DataReport:
    """Open every present file of ``report`` on ``workers`` threads: a video's packet index is
    read (its duration), an image is decoded; what fails goes to ``unreadable``."""
    missing = set(report.missing)

    def read(path: Path) -> Tuple[Path, Optional[float], Optional[str]]:
        try:
            if path in report.frame_folders:
                from .media.video import probe_frames

                return path, float(probe_frames(path, report.frame_folders[path]).duration), None
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                from .media.video import probe_video

                return path, float(probe_video(path).duration), None
            from PIL import Image

            with Image.open(path) as im:
                im.load()
            return path, None, None
        except (MediaError, OSError, ValueError) as exc:
            return path, None, str(exc)
        finally:
            if advance is not None:
                advance()

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for path, duration, error in pool.map(read, [p for p in report.files if p not in missing]):
            if error is not None:
                report.unreadable.append((path, error))
            elif duration is not None:
                report.durations.append(duration)
    return report
