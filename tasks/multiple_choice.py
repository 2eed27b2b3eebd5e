"""What every multiple-choice task shares: per-protocol parsing with explicit denominators, the
strict extractor, and aggregation with breakdowns and clustered bootstrap CIs. A task states only
its official extraction rule and its official denominator."""
from __future__ import annotations

from typing import Any, ClassVar, List, Optional, Sequence

from evalkit.scoring.choice import STRICT_RULE_VERSION, extract_choice_strict, letters
from evalkit.scoring.metrics import accuracy, breakdown, clustered_bootstrap_ci, macro_average
from evalkit.schema import ProtocolResult, Record, TaskInfo
from evalkit.scoring.verdicts import judge_models
from evalkit.task import Parsed, Request, Sample, Task, TaskData, VideoPart

LETTER_INSTRUCTION = "\nAnswer with the option's letter from the given choices directly."


class MultipleChoiceTask(Task):
    official_rule: ClassVar[str]  # names the upstream script the official extractor follows
    # "answered": items with no extracted answer leave the denominator; "all": they count wrong
    official_denominator: ClassVar[str] = "all"
    # headline = unweighted mean over the groups of this field (MLVU question types, MMIU tasks)
    macro_key: ClassVar[Optional[str]] = None

    def official_extract(self, response: str, record: Record) -> str:
        """The official rule's reading of ``response`` ('' when it finds no answer)."""
        return extract_choice_strict(response, self.letters(record), self.options(record))

    def options(self, record: Record) -> List[str]:
        """The record's choices (a sample's ``choices`` are stored as ``fields["options"]``)."""
        return list(record["fields"].get("options", ()))

    def letters(self, record: Record) -> List[str]:
        return letters(len(self.options(record)))

    def video_request(self, sample: Sample, media: Any, text: str, **kw: Any) -> Request:
        """The common video prompt: the video, then the task's text."""
        return Request(sample.id, self.name, [VideoPart(sample.video, media), text],
                       choices=tuple(letters(len(sample.choices))),
                       max_new_tokens=self.max_new_tokens, **kw)

    def denominator(self, protocol: str) -> str:
        return self.official_denominator if protocol == "official" else "all"

    def parse(self, record: Record, protocol: str) -> Parsed:
        response = record.get("response")
        if response is None:  # failed sample: no response at all
            answer = ""
        elif protocol == "official":
            answer = self.official_extract(response, record)
        else:
            answer = extract_choice_strict(response, self.letters(record), self.options(record))
        if not answer:
            return Parsed("", None if self.denominator(protocol) == "answered" else 0.0)
        return Parsed(answer, float(answer == record["target"]))

    def unparsed(self, record: Record, protocol: str) -> bool:
        return record.get("error") is None and record["parsed"][protocol] not in self.letters(record)

    def aggregate(self, records: Sequence[Record], protocol: str, seed: int) -> ProtocolResult:
        scored = [r for r in records if r["target"]]  # items without a public answer are not scored
        scores = [r["score"][protocol] for r in scored]
        summary = accuracy(scores)
        groups = breakdown(scores, [r["fields"] for r in scored], self.breakdown_keys)
        metrics = {"accuracy": summary["accuracy"]}
        if self.macro_key:
            metrics = {"macro_accuracy": macro_average(groups[self.macro_key]), "micro_accuracy": summary["accuracy"]}
        judges = judge_models(records)
        extraction = self.official_rule if protocol == "official" else STRICT_RULE_VERSION
        if protocol == "official" and self.judge_spec() is not None:  # an optional upstream LLM matcher
            extraction += f" + LLM fallback ({judges[0]})" if judges else ", LLM fallback off"
        return {
            "protocol": protocol,
            "judge_model": judges[0] if judges and protocol == "official" else None,
            "metrics": metrics,
            "ci95": {"accuracy" if not self.macro_key else "micro_accuracy":
                     clustered_bootstrap_ci(scores, [r["cluster"] for r in scored], seed=seed)},
            "n": summary["n"],
            "n_scored": summary["n_scored"],
            "n_correct": summary["n_correct"],
            "n_unparsed": sum(1 for r in scored if self.unparsed(r, protocol)),
            "n_failed": sum(1 for r in scored if r.get("error") is not None),
            "n_unscored": len(records) - len(scored),
            "n_warned": sum(1 for r in scored if (r.get("prompt") or {}).get("warnings")),
            "denominator": self.denominator(protocol),
            "extraction": extraction,
            "averaging": f"macro over {self.macro_key}" if self.macro_key else "micro",
            "unit": "percent",
            "ci_method": "percentile bootstrap, 2000 resamples of clusters (videos)",
            "breakdown": groups,
        }

    def describe(self, data: Optional[TaskData] = None) -> TaskInfo:
        return {**super().describe(data), "official_rule": self.official_rule,
                "official_denominator": self.official_denominator, "strict_rule": STRICT_RULE_VERSION}
