"""What a task reads: its samples, the files they came from, and the layout and place they were
found in. Plain data, shared by the task API and the code that finds data on disk."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

from .media.video import VideoSource


@dataclass(frozen=True)
class Sample:
    """One benchmark item, as loaded from the upstream files."""

    id: str
    target: str  # gold option letter; '' where the answer is not public
    fields: Mapping[str, Any]  # what prompts, breakdowns and exports need; stored with the record
    video: Optional[Path] = None
    images: Tuple[Path, ...] = ()
    cluster: Optional[str] = None  # items sharing a video: resampled together by the bootstrap
    choices: Tuple[str, ...] = ()  # multiple choice: the options in letter order (record: fields["options"])
    assets: Mapping[str, Path] = field(default_factory=dict)  # side files resolved at load (e.g. subtitles)
    clip: Optional[Tuple[float, float]] = None  # (start, end) s: only this part of the video is shown
    frame_rate: Optional[float] = None  # set: ``video`` is a folder of frame images at this rate

    @property
    def video_source(self) -> Optional[VideoSource]:
        """Where the media stage reads this sample's frames (None: no video)."""
        return None if self.video is None else VideoSource(self.video, self.clip, self.frame_rate)

    def record_fields(self) -> Dict[str, Any]:
        """The fields a record stores: the sample's fields, with the choices as "options"."""
        return {**self.fields, "options": list(self.choices)} if self.choices else dict(self.fields)


@dataclass(frozen=True)
class Layout:
    """One way a benchmark's annotations are kept: the files that identify it (globs relative to
    the annotation root; all must match) and the fields it does not have."""

    name: str
    markers: Tuple[str, ...]
    written_by: str  # who keeps data this way, for messages and docs
    lacks: Tuple[str, ...] = ()  # fields (e.g. a breakdown) missing in this layout

    def matches(self, root: Path) -> List[Path]:
        """The identifying files under ``root`` (empty: not this layout)."""
        found: List[Path] = []
        for pattern in self.markers:
            hits = sorted(root.glob(pattern))
            if not hits:
                return []
            found += hits
        return found


@dataclass
class Located:
    """Where a task's annotations and media were found."""

    root: Path  # annotation root
    media: Path  # where media paths are resolved
    how: str  # "--data", "sample", "hub cache", "LMUData"
    repo: Optional[str] = None
    revision: Optional[str] = None
    file: Optional[Path] = None  # --data named one annotation file: only layouts holding it

    def facts(self) -> Dict[str, Any]:
        return {"how": self.how, "annotations": str(self.file or self.root), "media": str(self.media),
                "repo": self.repo, "revision": self.revision}


@dataclass(frozen=True)
class TaskData:
    """What a task read: the samples and the annotation files they came from, and for a task
    with layouts, which layout and where (set by ``layouts.load_layouts``)."""

    samples: List[Sample]
    files: Tuple[Path, ...] = ()
    layout: Optional[str] = None
    lacks: Tuple[str, ...] = ()  # fields the layout does not have
    also_found: List[str] = field(default_factory=list)  # other layouts present, with the same samples
    located: Optional[Located] = None

    def fingerprint(self) -> Optional[str]:
        """SHA-256 (16 hex) over the annotation files: which files were read (provenance)."""
        if not self.files:
            return None
        h = hashlib.sha256()
        for path in self.files:
            h.update(Path(path).read_bytes())
        return h.hexdigest()[:16]
