"""Recording: each answer becomes a prediction record (scored under every protocol as it is made)
appended to the task's predictions file, with its stage times in ``timings.jsonl``; and, after a
task, the list of its failed samples (``failures.jsonl``)."""
from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from .answering import Answer
from .jsonsafe import dumps
from .media.video import SampledVideo
from .model import ModelAdapter
from .prefetch import Prepared
from .results import score_record
from .schema import Record, RequestFacts
from .store import PredictionWriter, RunDir
from .task import Task


def make_record(task: Task, p: Prepared, response: Optional[str], error: Optional[str],
                model: ModelAdapter) -> Record:
    """The record of one answered (or failed) sample, read under every protocol of its task."""
    media: Optional[Dict[str, Any]] = None
    if isinstance(p.media, SampledVideo):
        # decoded: whether this sample's frames were decoded for it (false: reused from its
        # video's other question, or read from the frame cache)
        media = {**p.media.facts(), "decoded": p.decoded}
    elif p.media is not None:
        media = p.media.facts()
    facts: RequestFacts = {} if p.request is None else {
        "prompt": {"sha256": hashlib.sha256(p.request.text.encode()).hexdigest()[:16], **p.request.facts},
        "model": model.request_facts(p.request)}
    record: Record = {"id": p.sample.id, "index": p.index, "task": task.name, "target": p.sample.target,
                      "response": response, "error": error, "cluster": p.sample.cluster or p.sample.id,
                      "fields": p.sample.record_fields(), "media": media, **facts, "parsed": {}, "score": {}}
    return score_record(task, record)


class Recorder:
    """Where one task's answers go: its predictions file (one ``write()`` + fsync per record) and
    its timings."""

    def __init__(self, task: Task, model: ModelAdapter, predictions: Path, timings: Path):
        self.task, self.model = task, model
        self.writer = PredictionWriter(predictions)
        self.timings = timings.open("a", encoding="utf-8")

    def write(self, a: Answer) -> None:
        p = a.prepared
        self.writer.append(make_record(self.task, p, a.response, a.error, self.model))
        if a.span is None:  # failed before the model: no stage times to record
            return
        self.timings.write(json.dumps({
            "id": p.sample.id, "decode_s": round(p.decode_s, 4),
            "wait_s": round(p.wait_s, 4), "generate_s": round(a.generate_s, 4), "done_at": round(time.time(), 4),
            "decoded": p.decoded,
            # wall-clock spans, so a benchmark can measure stages without adding up workers
            "decode_span": [round(t, 4) for t in p.decode_span] if p.decode_span else None,
            "generate_span": [round(t, 4) for t in a.span],
        }) + "\n")
        self.timings.flush()

    def close(self) -> None:
        self.writer.close()
        self.timings.close()

    def __enter__(self) -> "Recorder":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def list_failures(run: RunDir, task: str, records: List[Record]) -> Optional[Path]:
    """``<task>/failures.jsonl``: every sample whose latest record failed, with its reason (or no
    file when none did); returns its path when written."""
    listing = run.task_dir(task) / "failures.jsonl"
    failed = [r for r in records if r.get("error") is not None]
    if not failed:
        listing.unlink(missing_ok=True)
        return None
    listing.write_text("".join(dumps({"id": r["id"], "error": r["error"]}) + "\n" for r in failed), encoding="utf-8")
    return listing
