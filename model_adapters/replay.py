"""Replay responses produced elsewhere, matched by sample id: scoring without a model.

A line whose ``response`` is null or absent is the model saying nothing (published prediction
files have such lines): it replays as an empty response, which each task's protocol scores as an
unanswered item, and the record notes it. An id with no line at all is a failed sample."""
from __future__ import annotations

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
    path = Path(path).expanduser()
    if not path.is_file():
        raise ConfigError(f"replay: responses file not found: {path}")
    out: Dict[Tuple[Optional[str], str], Optional[str]] = {}
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                key = (row.get("task"), str(row["id"]))
                response = row.get("response")
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                raise ConfigError(
                    f"{path}:{n}: expected a JSON object with 'id' and 'response' ({exc})"
                ) from None
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
        self.responses = load_responses(args.responses)

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
