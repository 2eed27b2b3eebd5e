"""Replay responses produced elsewhere, matched by sample id: scoring without a model.

A line whose ``response`` is null or absent is the model saying nothing (published prediction
files have such lines): it replays as an empty response, which each task's protocol scores as an
unanswered item, and the record notes it. An id with no line at all is a failed sample."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from evalkit.errors import ConfigError, SampleError
from evalkit.model import ModelAdapter
from evalkit.request import Request


class MissingResponse(SampleError):
    """The responses file has no line for a sample; that sample is recorded as failed."""


@dataclass
class ReplayArgs:
    responses: Path


def load_responses(path: Path) -> Dict[Tuple[Optional[str], str], Optional[str]]:
    """{(task or None, id): response or None} from a JSONL file of {"id", "response"[, "task"]} lines."""
    return parse_responses(Path(path).expanduser(), read_responses(path))


def read_responses(path: Path) -> bytes:
    path = Path(path).expanduser()
    if not path.is_file():
        raise ConfigError(f"replay: responses file not found: {path}")
    return path.read_bytes()


def parse_responses(path: Path, raw: bytes) -> Dict[Tuple[Optional[str], str], Optional[str]]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        lineno = raw[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}:{lineno}: not UTF-8 text (byte {raw[exc.start]:#04x}); save the responses "
                          "file as UTF-8 JSON lines") from None
    out: Dict[Tuple[Optional[str], str], Optional[str]] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            key = (row.get("task"), str(row["id"]))
            response = row.get("response")
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"{path}:{n}: expected a JSON object with 'id' and 'response' ({exc})") from None
        if response is not None and not isinstance(response, str):
            raise ConfigError(f"{path}:{n}: 'response' must be a string or null, got {type(response).__name__}")
        if key in out:
            raise ConfigError(f"{path}:{n}: id {key[1]!r} appears twice")
        out[key] = response
    return out


class Replay(ModelAdapter):
    name = "replay"
    description = "responses from a JSONL file ({id, response[, task]} lines); needs no media"
    Args = ReplayArgs
    needs_media = False

    def __init__(self, args: ReplayArgs, seed: int = 0):
        super().__init__(args, seed)
        raw = read_responses(args.responses)
        self.responses = parse_responses(Path(args.responses).expanduser(), raw)
        self.sha256 = hashlib.sha256(raw).hexdigest()[:16]

    def inputs(self) -> Dict[str, str]:
        """The responses file's fingerprint: an edited file is a new run, never mixed into the old."""
        return {"responses file": f"{Path(self.args.responses).expanduser()} (sha256 {self.sha256})"}

    def lookup(self, request: Request) -> Optional[str]:
        key = (request.task, request.id) if (request.task, request.id) in self.responses else (None, request.id)
        if key not in self.responses:
            raise MissingResponse(f"replay: no response for id {request.id!r} in {self.args.responses}")
        return self.responses[key]

    def generate(self, requests: List[Request]) -> List[str]:
        return [self.lookup(r) or "" for r in requests]

    def request_facts(self, request: Request) -> Dict[str, Any]:
        """Marks a sample whose replayed response was null or absent (replayed as '')."""
        try:
            return {"replayed_null": True} if self.lookup(request) is None else {}
        except MissingResponse:
            return {}
