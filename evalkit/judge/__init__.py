"""LLM judging: protocols (specs), the cached client, and the ``evalkit judge`` step over a run.

What tasks use: :class:`JudgeSpec` (their prompt and reply reader), :class:`JudgeItem` (one
thing to judge), :class:`JudgeReplyError` (a reply to re-ask) and the Video-ChatGPT
:data:`QA_JUDGE`.
"""
from .specs import QA_JUDGE, JudgeItem, JudgeReplyError, JudgeSpec

__all__ = ["QA_JUDGE", "JudgeItem", "JudgeReplyError", "JudgeSpec"]
