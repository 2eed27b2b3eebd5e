"""Where a benchmark already is on a user's disk, and in which of its known layouts.

A task lists its :class:`Layout` s in precedence order: the HF snapshot that lmms-eval reads,
VLMEvalKit's converted tables, the authors' release. :func:`locate` finds the annotations and
the media (``--data`` / ``--media``, the bundled sample, or, with neither, the HF hub cache of any
of the task's repos at any revision, scanned offline, with lmms-eval's unzipped videos under
``$HF_HOME/<cache_dir>``); :func:`load_layouts` reads every layout present and keeps the first,
refusing only when two disagree on the samples. What was found (layout, repo, revision, roots)
goes to run.json with the annotations' fingerprint.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Protocol, Tuple

from .data import samples_root
from .errors import DataError
from .samples import Layout, Located, TaskData


class Locatable(Protocol):
    """What finding and reading a task's data asks of the task (``evalkit.task.Task`` has it)."""

    @property
    def name(self) -> str: ...
    @property
    def layouts(self) -> Tuple[Layout, ...]: ...
    @property
    def hub_repos(self) -> Tuple[str, ...]: ...
    @property
    def lmms_eval_cache(self) -> Optional[str]: ...
    @property
    def lmudata_file(self) -> Optional[str]: ...
    @property
    def sample_name(self) -> str: ...

    def read_layout(self, layout: Layout, files: List[Path], where: Located) -> TaskData: ...


def hf_home() -> Path:
    return Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface")).expanduser()


def lmudata_root() -> Path:
    """Where VLMEvalKit keeps image benchmarks' tables: $LMUData, else ~/LMUData."""
    return Path(os.environ.get("LMUData") or Path.home() / "LMUData").expanduser()


def hub_cache() -> Path:
    """The hub cache as huggingface_hub resolves it, read from the environment at call time."""
    explicit = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
    return Path(explicit).expanduser() if explicit else hf_home() / "hub"


@dataclass
class Snapshot:
    repo: str
    revision: str
    path: Path


def hub_snapshots(repos: Tuple[str, ...]) -> List[Snapshot]:
    """Cached snapshots of the dataset ``repos`` (any revision), newest first per repo, repos in
    the order given. Offline: only the local cache is read."""
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        info = scan_cache_dir(hub_cache())
    except CacheNotFound:
        return []
    out: List[Snapshot] = []
    for repo in repos:
        for cached in info.repos:
            if cached.repo_type == "dataset" and cached.repo_id == repo:
                revisions = sorted(cached.revisions, key=lambda r: r.last_modified, reverse=True)
                out += [Snapshot(repo, r.commit_hash, Path(r.snapshot_path)) for r in revisions]
    return out


def locate(task: Locatable, data: Optional[str], media: Optional[str]) -> Located:
    """The annotation root and media root of ``task`` (see the module docstring)."""
    media_path = Path(media).expanduser().resolve() if media else None
    if media_path is not None and not media_path.is_dir():
        raise DataError(f"--media {media}: not a directory")
    if data == "sample":
        root = samples_root() / task.sample_name
        if not root.is_dir():
            raise DataError(f"no bundled sample for {task.name} (looked in {root})")
        return Located(root, media_path or root, "sample")
    if data:
        path = Path(data).expanduser().resolve()
        if path.is_file():
            return Located(path.parent, media_path or path.parent, "--data", file=path)
        if not path.is_dir():
            raise DataError(f"--data {data}: no such file or directory")
        return Located(path, media_path or path, "--data")
    snapshots = hub_snapshots(task.hub_repos)
    for snap in snapshots:
        if any(layout.matches(snap.path) for layout in task.layouts):
            videos = hf_home() / task.lmms_eval_cache if task.lmms_eval_cache else None
            found = media_path or (videos if videos is not None and videos.is_dir() else None)
            return Located(snap.path, found or snap.path, "hub cache", snap.repo, snap.revision)
    lmudata = lmudata_root()
    if task.lmudata_file and (lmudata / task.lmudata_file).is_file():
        return Located(lmudata, media_path or lmudata, "LMUData", file=lmudata / task.lmudata_file)
    seen = ", ".join(f"{s.repo}@{s.revision[:8]}" for s in snapshots) or "none"
    fetch = (f" Download it once with `huggingface-cli download {task.hub_repos[0]} --repo-type dataset` "
             f"(and unzip its videos into {hf_home() / (task.lmms_eval_cache or task.name)}, as lmms-eval does), or"
             if task.hub_repos else "")
    raise DataError(
        f"{task.name}: no --data given and no usable copy in the HF hub cache ({hub_cache()}; "
        f"repos tried: {', '.join(task.hub_repos) or 'none'}; snapshots seen: {seen}).{fetch} pass --data DIR "
        f"(the folder holding {' or '.join(' + '.join(layout.markers) for layout in task.layouts)}), "
        "or --data sample for the bundled copy."
    )


def listing(root: Path, limit: int = 12) -> str:
    names = sorted(p.name + ("/" if p.is_dir() else "") for p in root.iterdir()) if root.is_dir() else []
    more = f", ... ({len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more if names else "(empty)"


def load_layouts(task: Locatable, where: Located) -> TaskData:
    """Read the task's data in the first layout present (by the task's precedence); a second
    layout present must give the same samples, or the load is refused naming both."""
    present: List[Tuple[Layout, List[Path]]] = []
    for layout in task.layouts:
        files = layout.matches(where.root)
        if files and (where.file is None or where.file in files):
            present.append((layout, files))
    if not present:
        tried = "; ".join(f"{layout.name} ({' + '.join(layout.markers)}, {layout.written_by})"
                          for layout in task.layouts)
        raise DataError(f"{task.name}: {where.file or where.root} matches no known layout. Files there: "
                        f"{listing(where.root)}. Layouts tried: {tried}")
    (first, first_files), others = present[0], present[1:]
    chosen = task.read_layout(first, first_files, where)
    mine = {s.id: (s.target, s.choices) for s in chosen.samples}
    also = []
    for other, files in others:
        alt = task.read_layout(other, files, where)
        theirs = {s.id: (s.target, s.choices) for s in alt.samples}
        if mine != theirs:
            differ = sorted(set(mine) ^ set(theirs)) or sorted(k for k in mine if mine[k] != theirs.get(k))
            raise DataError(
                f"{task.name}: {where.root} holds two layouts that disagree: {first.name} "
                f"({', '.join(str(f) for f in chosen.files)}) and {other.name} "
                f"({', '.join(str(f) for f in alt.files)}); first difference: sample {differ[0]!r}. "
                "Remove the stale one, or pass --data FILE to choose.")
        also.append(other.name)
    return dataclasses.replace(chosen, layout=first.name, lacks=first.lacks, also_found=also,
                               located=where)
