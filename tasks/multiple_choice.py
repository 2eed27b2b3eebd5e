"""What every multiple-choice task shares: its two protocols (``official``: the authors' rule,
the headline; ``strict``: evalkit's one extractor, every item counted) and the common video
prompt. A task states its official rule's name, its extractor (``official_extract``), its
official denominator and reference, its breakdowns and, where the headline is a macro mean, the
field it averages over."""
from __future__ import annotations

from typing import Any, ClassVar, List, Optional, Sequence, Tuple

from evalkit.protocol import ALL, AccuracyProtocol, Denominator, Protocol
from evalkit.request import Request, VideoPart
from evalkit.samples import Sample, TaskData
from evalkit.schema import AccuracyResult, Record, TaskInfo
from evalkit.scoring.choice import STRICT_RULE_VERSION, extract_choice_strict, letters
from evalkit.task import Task

LETTER_INSTRUCTION = "\nAnswer with the option's letter from the given choices directly."


def official_gold(candidates: Sequence[Any], answer: Any) -> str:
    """The gold letter of MLVU's and MVBench's scorers (one team's ``check_ans``): the LAST
    candidate equal to the answer; '@' (the letter before 'A') when none is."""
    idx = -1
    for i, c in enumerate(candidates):
        if c == answer:
            idx = i
    return chr(ord("A") + idx)


def options(record: Record) -> List[str]:
    """The record's choices (a sample's ``choices`` are stored as ``fields["options"]``)."""
    return list(record["fields"].get("options", ()))


def strict_extract(response: str, record: Record) -> str:
    """evalkit's strict reading: the one option letter the response commits to."""
    return extract_choice_strict(response, letters(len(options(record))), options(record))


class ChoiceProtocol(AccuracyProtocol):
    """An accuracy protocol over option letters: a reading that is no option letter of the
    record (e.g. MLVU's character before ')') is scored as its rule says but counted unparsed."""

    def unparsed(self, record: Record) -> bool:
        return record.get("error") is None and record["parsed"][self.name] not in letters(len(options(record)))


class MultipleChoiceTask(Task):
    official_rule: ClassVar[str]  # names the upstream script the official extractor follows
    official_denominator: ClassVar[Denominator] = ALL
    # headline = unweighted mean over the groups of this field (MLVU question types, MMIU tasks)
    macro_key: ClassVar[Optional[str]] = None

    def official_extract(self, response: str, record: Record) -> str:
        """The official rule's reading of ``response`` ('' when it finds no answer); by default
        the strict extractor (tasks whose authors publish no parser)."""
        return strict_extract(response, record)

    def official_protocol(self) -> Protocol:
        """The official protocol; tasks whose official rule is more than an extractor (an LLM
        fallback, its own correctness test) return their own."""
        return ChoiceProtocol("official", self.official_rule, self.official_extract, self.official_denominator,
                              **self.protocol_kw(upstream=True, ref=self.official_ref, headline=True))

    def make_protocols(self) -> Tuple[Protocol, ...]:
        strict = ChoiceProtocol("strict", STRICT_RULE_VERSION, strict_extract, ALL, **self.protocol_kw())
        return self.official_protocol(), strict

    def protocol_kw(self, **kw: Any) -> dict:
        """Keyword arguments every protocol of this task shares (its aggregation settings)."""
        return {"breakdown_keys": self.breakdown_keys, "macro_key": self.macro_key, "extras": self.add_metrics,
                "fallback_judge": kw.get("upstream", False) and self.judge_spec() is not None, **kw}

    def add_metrics(self, records: Sequence[Record], protocol: AccuracyProtocol, result: AccuracyResult) -> None:
        """Task-specific figures added to every protocol's result (e.g. MuirBench pair accuracy)."""

    def video_request(self, sample: Sample, media: Any, text: str, **kw: Any) -> Request:
        """The common video prompt: the video, then the task's text."""
        return Request(sample.id, self.name, [VideoPart(sample.video, media), text],
                       choices=tuple(letters(len(sample.choices))),
                       max_new_tokens=self.max_new_tokens, **kw)

    def describe(self, data: Optional[TaskData] = None) -> TaskInfo:
        return {**super().describe(data), "official_rule": self.official_rule,
                "official_denominator": self.official_denominator.name, "strict_rule": STRICT_RULE_VERSION}
