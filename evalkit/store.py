"""Run directories: run.json, per-task predictions (append + fsync per record), resume, merge.

Layout::

    <output>/<run-name>/run.json
    <output>/<run-name>/<task>/predictions.jsonl          single process, or merged shards
    <output>/<run-name>/<task>/predictions.rank<R>.jsonl  one per process under torchrun
    <output>/<run-name>/<task>/timings.jsonl              per-sample stage times (not compared)
    <output>/<run-name>/results.json

Every record is one JSON line, written and fsynced before the next sample starts, so a crash
loses at most the sample in flight. A torn last line (killed mid-write) is cut off on resume.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Set

from .errors import ConfigError
from .schema import Record, RunInfo

PREDICTIONS = "predictions.jsonl"
RUN_JSON = "run.json"
RESULTS_JSON = "results.json"


def write_json(path: Path, data: Any) -> None:
    """Atomic JSON write (temp file + rename), so a crash never leaves half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_records(path: Path, repair: bool = False) -> List[Record]:
    """Records of a predictions file. A torn final line is dropped (and cut off if ``repair``);
    a malformed line elsewhere is an error naming the file and line."""
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
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if n == len(lines) - 1:  # unterminated last line: the record in flight at a crash
                if repair:
                    with path.open("r+b") as fh:
                        fh.truncate(good_bytes)
                break
            raise ConfigError(f"{path}:{n + 1}: not a JSON record; fix or delete this line") from None
        good_bytes += len(line) + 1
    return records


class PredictionWriter:
    """Appends records to one predictions file, each flushed and fsynced."""

    def __init__(self, path: Path):
        import jsonlines

        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fh = path.open("a", encoding="utf-8")
        self._writer = jsonlines.Writer(self._fh, compact=True, flush=True,
                                        dumps=lambda obj: json.dumps(obj, ensure_ascii=False))

    def append(self, record: Mapping[str, Any]) -> None:
        self._writer.write(record)
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._writer.close()
        self._fh.close()

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
        if not self.run_json.exists():
            raise ConfigError(f"{self.path} is not an evalkit run (no {RUN_JSON})")
        info: RunInfo = json.loads(self.run_json.read_text(encoding="utf-8"))
        return info

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
        """All records of ``task`` (main file plus shards), one per id, in dataset order."""
        by_id: Dict[str, Record] = {}
        for path in [self.predictions_path(task), *self.shard_paths(task)]:
            for r in read_records(path):
                by_id.setdefault(r["id"], r)
        return sorted(by_id.values(), key=lambda r: r["index"])

    def merge_shards(self, task: str) -> None:
        """Fold per-rank files into predictions.jsonl in dataset order (once every rank is done)."""
        shards = self.shard_paths(task)
        if not shards:
            return
        recs = self.records(task)
        tmp = self.predictions_path(task).with_suffix(".jsonl.tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            for r in recs:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.predictions_path(task))
        for s in shards:
            s.unlink()


def config_differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> List[str]:
    keys = sorted(set(old) | set(new))
    return [f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in keys if old.get(k) != new.get(k)]
