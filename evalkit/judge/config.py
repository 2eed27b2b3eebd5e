"""How a judge is called: model, endpoint, sampling settings, concurrency, retries."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional

from .. import chat_api
from ..redaction import redact_url
from .specs import JudgeSpec


@dataclass
class JudgeConfig:
    model: str
    base_url: Optional[str] = None
    temperature: float = 0.0
    max_tokens: int = 64
    concurrency: int = 8
    max_retries: int = 5  # per call, for 429 / 5xx / timeouts / connection errors
    max_reasks: int = 2  # extra asks when the reply cannot be parsed
    timeout_s: float = 60.0
    backoff_s: float = 1.0  # first backoff; doubles per retry, with jitter
    max_backoff_s: float = 60.0

    def __post_init__(self) -> None:
        redact_url(self.base_url, "--base-url")  # an unparsable URL is refused before any call

    def describe(self, spec: "JudgeSpec") -> Dict[str, Any]:
        """What results record about the judge: never the key; the endpoint the client talks to
        (the URL given, else $OPENAI_BASE_URL, else the OpenAI API), without credentials."""
        return {"model": self.model, "prompt": spec.name, "prompt_sha": spec.sha,
                "temperature": self.temperature, "max_tokens": self.max_tokens, "base_url": chat_api.endpoint(self.base_url)}
