"""Judging protocols: a prompt with ``{field}`` placeholders and how a reply is read.

The Video-ChatGPT QA judge's prompts are the protocol's, verbatim (pieces joined with no
separators, as in the original). Its reply is a Python dict literal; ``score = int(score)``
(4.8 -> 4); ``pred`` is yes when it contains "yes", else no when it contains "no"
(case-insensitive), else neither. Tasks with an optional LLM matcher define their own specs.
"""
from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass
from typing import Callable, Dict, List, Mapping, Optional, Tuple

SYSTEM_PROMPT = (
    "You are an intelligent chatbot designed for evaluating the correctness of generative outputs for "
    "question-answer pairs. Your task is to compare the predicted answer with the correct answer and "
    "determine if they match meaningfully. Here's how you can accomplish the task:"
    "------"
    "##INSTRUCTIONS: "
    "- Focus on the meaningful match between the predicted answer and the correct answer.\n"
    "- Consider synonyms or paraphrases as valid matches.\n"
    "- Evaluate the correctness of the prediction compared to the answer."
)
USER_PROMPT = (
    "Please evaluate the following video-based question-answer pair:\n\n"
    "Question: {question}\n"
    "Correct Answer: {answer}\n"
    "Predicted Answer: {pred}\n\n"
    "Provide your evaluation only as a yes/no and score where the score is an integer value between 0 and 5, "
    "with 5 indicating the highest meaningful match. Please generate the response in the form of a Python "
    "dictionary string with keys 'pred' and 'score', where value of 'pred' is  a string of 'yes' or 'no' and "
    "value of 'score' is in INTEGER, not STRING."
    "DO NOT PROVIDE ANY OTHER OUTPUT TEXT OR EXPLANATION. Only provide the Python dictionary string. "
    "For example, your response should look like this: {{'pred': 'yes', 'score': 4.8}}."
)

class JudgeReplyError(ValueError):
    """A judge reply that is not the dict the protocol asks for."""


def parse_reply(text: str) -> Tuple[Optional[str], Optional[int]]:
    """(yes | no | None, integer score) from a judge reply, as the protocol's script reads it."""
    try:
        data = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise JudgeReplyError(f"not a Python dict literal: {text[:80]!r}") from None
    if not isinstance(data, dict) or "pred" not in data or "score" not in data:
        raise JudgeReplyError(f"expected keys 'pred' and 'score': {text[:80]!r}")
    if not isinstance(data["pred"], str) or isinstance(data["score"], bool):
        raise JudgeReplyError(f"'pred' must be a string and 'score' a number: {text[:80]!r}")
    try:
        score = int(data["score"])
    except (TypeError, ValueError):
        raise JudgeReplyError(f"score {data['score']!r} is not an integer") from None
    pred = data["pred"].lower()
    return ("yes" if "yes" in pred else "no" if "no" in pred else None), score


@dataclass(frozen=True)
class JudgeSpec:
    """One judging protocol: its prompt (``{field}`` placeholders filled from a JudgeItem) and how
    a reply is read into (verdict, score). Raises JudgeReplyError for a reply to re-ask."""

    name: str
    system: Optional[str]
    user: str
    parse: Callable[[str], Tuple[Optional[str], Optional[int]]]

    @property
    def sha(self) -> str:
        return hashlib.sha256(f"{self.name}\x00{self.system}\x00{self.user}".encode()).hexdigest()[:12]

    def messages(self, fields: Mapping[str, str]) -> List[Dict[str, str]]:
        user = self.user.format(**fields)
        return ([{"role": "system", "content": self.system}] if self.system else []) + [{"role": "user", "content": user}]


QA_JUDGE = JudgeSpec("video-chatgpt-qa", SYSTEM_PROMPT, USER_PROMPT, parse_reply)


@dataclass(frozen=True)
class JudgeItem:
    id: str
    fields: Mapping[str, str]  # the spec's placeholders, e.g. question / answer / pred
