"""Run directories: run.json, per-task predictions (append + fsync per record), resume, merge.

Layout::

    <output>/<run-name>/run.json
    <output>/<run-name>/<task>/predictions.jsonl          single process, or merged shards
    <output>/<run-name>/<task>/predictions.rank<R>.jsonl  one per process under torchrun
    <output>/<run-name>/<task>/timings.jsonl              per-sample stage times (not compared)
    <output>/<run-name>/results.json

Every record is one JSON line, written with a single ``write()`` and fsynced before the next
sample starts, so a crash loses at most the sample in flight. On resume a torn last line (killed
mid-write) is cut off, and a complete last line that lost its newline gets it back. A run
directory is owned by one process at a time (per rank under torchrun): an advisory ``flock`` on
``.lock`` (``.lock.rank<R>``), released by the kernel when the process dies, whose file names the
holder. When a sample is recorded again (``run --retry-failed``), its last record counts.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import socket
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Set

from . import schema
from .errors import ConfigError
from .jsonsafe import dumps
from .schema import Record, RunInfo, RunResults

PREDICTIONS = "predictions.jsonl"
RUN_JSON = "run.json"
RESULTS_JSON = "results.json"


def write_json(path: Path, data: Any) -> None:
    """Atomic JSON write (temp file + rename), so a crash never leaves half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_json_file(path: Path, what: str, fix: str) -> Any:
    """The JSON in ``path`` (an evalkit file), or a one-line error naming it and the fix."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise schema.RunFileError(f"{path}: not UTF-8 text, so not {what}; {fix}") from None
    return schema.parse_json(text, str(path), fix)


def read_records(path: Path, repair: bool = False) -> List[Record]:
    """Records of a predictions file, validated. A torn final line is dropped (and cut off if
    ``repair``); a malformed line elsewhere is an error naming the file and line."""
    if not path.exists():
        return []
    raw = path.read_bytes()
    lines = raw.split(b"\n")
    records: List[Record] = []
    good_bytes = 0
    for n, line in enumerate(lines):
        if not line.strip():
            good_bytes += len(line) + 1
            continue
        try:
            data = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            if n == len(lines) - 1:  # unterminated last line: the record in flight at a crash
                if repair:
                    with path.open("r+b") as fh:
                        fh.truncate(good_bytes)
                break
            raise schema.RunFileError(f"{path}:{n + 1}: not a JSON record; delete this line and rerun the same "
                                      "command to answer that sample again") from None
        records.append(schema.record(data, f"{path}:{n + 1}"))
        good_bytes += len(line) + 1
    if repair and raw and not raw.endswith(b"\n") and good_bytes > len(raw):
        with path.open("ab") as fh:  # a whole record that lost its newline: end the line
            fh.write(b"\n")
    return records


class PredictionWriter:
    """Appends records to one predictions file: each record and its newline in one ``write()``
    (O_APPEND), then fsynced, so a kill leaves either the whole line or a torn one, never a
    whole record without its newline."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def append(self, record: Mapping[str, Any]) -> None:
        data = (dumps(record, separators=(",", ":")) + "\n").encode("utf-8")
        written = os.write(self._fd, data)
        while written < len(data):  # regular files take it whole; a short write continues in place
            written += os.write(self._fd, data[written:])
        os.fsync(self._fd)

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> "PredictionWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class RunDir:
    def __init__(self, path: Path):
        self.path = Path(path)

    @property
    def run_json(self) -> Path:
        return self.path / RUN_JSON

    @property
    def results_json(self) -> Path:
        return self.path / RESULTS_JSON

    def task_dir(self, task: str) -> Path:
        return self.path / task

    def predictions_path(self, task: str, rank: Optional[int] = None) -> Path:
        name = PREDICTIONS if rank is None else f"predictions.rank{rank}.jsonl"
        return self.task_dir(task) / name

    def shard_paths(self, task: str) -> List[Path]:
        return sorted(self.task_dir(task).glob("predictions.rank*.jsonl"))

    def load_run(self) -> RunInfo:
        """run.json, validated."""
        if not self.run_json.is_file():
            raise ConfigError(f"{self.path} is not an evalkit run (no {RUN_JSON})")
        fix = "it is written when a run starts: rerun the command with --overwrite (or a new --run-name)"
        return schema.run_info(read_json_file(self.run_json, "an evalkit run.json", fix), str(self.run_json))

    def load_results(self) -> RunResults:
        """results.json, validated (an older format migrated)."""
        return load_results(self.results_json)

    def tasks(self) -> List[str]:
        return list(self.load_run()["config"]["tasks"])

    def done_ids(self, task: str, rank: Optional[int]) -> Set[str]:
        """Ids already recorded for ``task`` (repairing a torn last line of this process's file)."""
        done: Set[str] = set()
        for path in [self.predictions_path(task), *self.shard_paths(task)]:
            own = path == self.predictions_path(task, rank)
            done.update(r["id"] for r in read_records(path, repair=own))
        return done

    def records(self, task: str) -> List[Record]:
        """All records of ``task`` (main file plus shards), one per id (its last record, so a
        retried sample counts as retried), in dataset order."""
        by_id: Dict[str, Record] = {}
        for path in [self.predictions_path(task), *self.shard_paths(task)]:
            for r in read_records(path):
                by_id[r["id"]] = r
        return sorted(by_id.values(), key=lambda r: r["index"])

    def failed_ids(self, task: str) -> Set[str]:
        """Samples whose latest record is a failure (for ``run --retry-failed``)."""
        return {r["id"] for r in self.records(task) if r.get("error") is not None}

    def lock_path(self, rank: Optional[int] = None) -> Path:
        return self.path / (".lock" if rank is None else f".lock.rank{rank}")

    @contextlib.contextmanager
    def owned(self, rank: Optional[int] = None, what: str = "evalkit run") -> Iterator[None]:
        """Hold this run directory (this rank's share of it) for the duration; refuse, naming the
        holder, when another live process holds it or a conflicting share. The lock file names
        the holder (pid, host, since, ``what``), never the command line, which may hold secrets."""
        self.path.mkdir(parents=True, exist_ok=True)
        mine = self.lock_path(rank)
        fd = os.open(mine, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ConfigError(f"run {self.path} is in use: {holder(mine)}. Wait for it to finish, "
                                  "or use another --run-name") from None
            # a single process and torchrun ranks never share a run directory
            others = [self.lock_path()] if rank is not None else sorted(self.path.glob(".lock.rank*"))
            busy = [p for p in others if is_held(p)]
            if busy:
                raise ConfigError(f"run {self.path} is in use: {holder(busy[0])}. Wait for it to finish, "
                                  "or use another --run-name")
            os.ftruncate(fd, 0)
            os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": time.time(),
                                     "command": what}).encode())
            yield
        finally:
            os.close(fd)  # closing releases the lock (the kernel does the same if the process dies)

    def start(self, info: RunInfo, overwrite: bool, write: bool = True) -> None:
        """Begin or resume a run here: an existing run dir of another configuration, frame
        sampling, data or model inputs is refused (listing what changed) unless ``overwrite``,
        which empties it; ``write``: this process writes run.json (rank 0)."""
        if self.run_json.exists() and not overwrite:
            diffs = run_differences(self.load_run(), info)
            if diffs:
                raise ConfigError(f"run {self.path} exists with a different configuration ({'; '.join(diffs)}): "
                                  "use another --run-name, or --overwrite to discard it")
        elif self.run_json.exists() and write:
            for child in self.path.iterdir():  # everything but the locks held now
                if not child.name.startswith(".lock"):
                    shutil.rmtree(child) if child.is_dir() else child.unlink()
        self.path.mkdir(parents=True, exist_ok=True)
        if write:
            write_json(self.run_json, info)

    def refuse_if_busy(self, then: str) -> None:
        """A ConfigError while a process still writes into this run (a run or torchrun ranks)."""
        busy = self.busy()
        if busy:
            raise ConfigError(f"run {self.path} is still being written by {busy}; {then} when every process "
                              "has finished")

    def busy(self) -> Optional[str]:
        """Who is still writing into this run directory, or None."""
        for p in [self.lock_path(), *sorted(self.path.glob(".lock.rank*"))]:
            if is_held(p):
                return holder(p)
        return None

    def merge_shards(self, task: str) -> None:
        """Fold per-rank files into predictions.jsonl in dataset order (once every rank is done)."""
        shards = self.shard_paths(task)
        if not shards:
            return
        recs = self.records(task)
        tmp = self.predictions_path(task).with_suffix(".jsonl.tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            for r in recs:
                fh.write(dumps(r) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.predictions_path(task))
        for s in shards:
            s.unlink()


def is_held(lock: Path) -> bool:
    """Whether a live process holds ``lock`` (probed with a non-blocking shared lock)."""
    if not lock.exists():
        return False
    fd = os.open(lock, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def holder(lock: Path) -> str:
    """Who holds ``lock``, as its file says."""
    try:
        info = json.loads(lock.read_text(encoding="utf-8") or "{}")
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info["since"]))
        return f"process {info['pid']} on {info['host']} since {since} ({info['command']})"
    except (OSError, ValueError, KeyError):
        return f"another process (lock {lock.name})"


def run_differences(old: RunInfo, new: RunInfo) -> List[str]:
    """What a rerun would change of the run recorded in ``old``: its configuration (the limit
    aside), frame sampling, each task's data, and the model's inputs (e.g. a replay file)."""
    diffs = config_differences({k: v for k, v in old["config"].items() if k != "limit"},
                               {k: v for k, v in new["config"].items() if k != "limit"})
    if old.get("sampling") != new["sampling"]:
        diffs.append(f"sampling: {old.get('sampling')} -> {new['sampling']}")
    for name, facts in new["tasks"].items():  # the same path with other files in it
        before: Dict[str, Any] = dict(old["tasks"].get(name) or {})
        now: Dict[str, Any] = dict(facts)
        for key in ("annotations_sha256", "dataset_revision"):
            if before and before.get(key) != now.get(key):
                diffs.append(f"{name} {key}: {before.get(key)} -> {now.get(key)} "
                             "(the data changed since the records were made)")
    inputs_before, inputs_now = old["model"].get("inputs") or {}, new["model"].get("inputs") or {}
    for key in sorted(set(inputs_before) | set(inputs_now)):
        if inputs_before.get(key) != inputs_now.get(key):
            diffs.append(f"the model's {key} changed since the records were made: {inputs_before.get(key)} -> "
                         f"{inputs_now.get(key)}")
    return diffs


def config_differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> List[str]:
    keys = sorted(set(old) | set(new))
    return [f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in keys if old.get(k) != new.get(k)]


def load_results(path: Path) -> RunResults:
    """A results.json, validated (an older format migrated), or a one-line error naming it."""
    fix = "re-score the run: `evalkit score RUN`"
    return schema.results(read_json_file(path, "an evalkit results.json", fix), str(path))
