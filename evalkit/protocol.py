"""Scoring protocols as objects: how one protocol reads a saved response and aggregates a task.

A task declares its protocols (``Task.make_protocols``): typically ``official``, which reproduces
the benchmark authors' scorer with its quirks and names it (:class:`OfficialRef`), and ``strict``,
evalkit's own reading. Each protocol owns its extraction rule, its denominator, its aggregation
and headline metric; the run, ``score``, the reports and ``export`` ask the protocol objects and
never test a protocol's name. Right/wrong protocols (:class:`AccuracyProtocol`) produce an
``AccuracyResult``; judged open-ended protocols produce a ``JudgedResult`` (``schema``).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Dict, Optional, Sequence, Tuple

from .schema import ACCURACY, AccuracyResult, OfficialRefDict, ProtocolResult, Record
from .scoring.metrics import accuracy, breakdown, clustered_bootstrap_ci, clustered_bootstrap_macro_ci, macro_average
from .scoring.verdicts import judge_models


@dataclass(frozen=True)
class Parsed:
    """A response under one protocol: the extracted answer ('' if none) and its score
    (None leaves the item out of that protocol's denominator)."""

    answer: str
    score: Optional[float]


@dataclass(frozen=True)
class OfficialRef:
    """The upstream scorer an official protocol reproduces: repository, path and the commit that
    was read, or the documented rule where the authors publish no scoring code. Recorded in
    run.json and results.json so that a later upstream change can be noticed and named."""

    repo: Optional[str] = None
    path: Optional[str] = None
    commit: Optional[str] = None  # full sha of the upstream commit the protocol was checked against
    documented_rule: Optional[str] = None  # where the rule is written, when no scoring code exists

    def __post_init__(self) -> None:
        if not (self.documented_rule or (self.repo and self.path and self.commit)):
            raise ValueError("an OfficialRef names repo, path and commit, or a documented rule")

    def label(self) -> str:
        """'owner/repo path@abc1234', or 'documented rule: ...'."""
        if self.repo:
            return f"{self.repo} {self.path}@{(self.commit or '')[:7]}"
        return f"documented rule: {self.documented_rule}"

    def to_dict(self) -> OfficialRefDict:
        if self.repo and self.path and self.commit:
            return {"repo": self.repo, "path": self.path, "commit": self.commit, "label": self.label()}
        return {"documented_rule": self.documented_rule or "", "label": self.label()}


@dataclass(frozen=True)
class Denominator:
    """Which items a protocol's accuracy divides by."""

    name: str  # recorded as the result's "denominator"
    counts_unanswered: bool  # False: items with no extracted answer leave the denominator


ALL = Denominator("all", True)
ANSWERED = Denominator("answered", False)

Extract = Callable[[str, Record], str]  # (response, record) -> the answer read ('' when none)
Extras = Callable[[Sequence[Record], "AccuracyProtocol", AccuracyResult], None]  # task-specific metrics


class Protocol(ABC):
    """One way of scoring a task's saved responses.

    ``upstream``: this protocol reproduces the benchmark authors' scorer (its result carries
    ``official_ref``, None when the task names none); ``headline``: its numbers are the task's
    headline (exactly one protocol of a task has it)."""

    kind: ClassVar[str]  # the result type aggregate returns (schema.ACCURACY or schema.JUDGED)

    def __init__(self, name: str, rule: str, *, upstream: bool = False, ref: Optional[OfficialRef] = None,
                 headline: bool = False, headline_metric: str = "accuracy"):
        self.name, self.rule, self.upstream, self.ref = name, rule, upstream, ref
        self.headline, self.headline_metric = headline, headline_metric

    @abstractmethod
    def read(self, record: Record) -> Parsed:
        """Extract and score one saved response (``record['response']``)."""

    def unparsed(self, record: Record) -> bool:
        """Whether this protocol could not read the (successful) sample's response."""
        return record.get("error") is None and record["parsed"][self.name] == ""

    @abstractmethod
    def aggregate(self, records: Sequence[Record], seed: int) -> ProtocolResult:
        """Metrics (headline first), breakdowns, counts and CIs from records read by this protocol."""

    def stamped(self, result: Any) -> Any:
        """``result`` with this protocol's upstream reference, where it reproduces one."""
        if self.upstream:
            result["official_ref"] = self.ref.to_dict() if self.ref else None
        return result

    def describe(self) -> Dict[str, Any]:
        """What ``evalkit tasks --verbose`` shows of the protocol."""
        return {"name": self.name, "kind": self.kind, "rule": self.rule, "headline": self.headline,
                "reference": self.ref.label() if self.ref else None}


class AccuracyProtocol(Protocol):
    """Right/wrong answers read by a rule: accuracy over the protocol's denominator, breakdowns by
    the task's fields, an optional macro mean over one field's groups as the headline, clustered
    bootstrap CIs (resampling videos). ``fallback_judge``: the rule hands what it cannot read to
    an optional LLM judge (``evalkit judge``), named in the result's extraction."""

    kind = ACCURACY

    def __init__(self, name: str, rule: str, extract: Extract, denominator: Denominator = ALL, *,
                 breakdown_keys: Tuple[str, ...] = (), macro_key: Optional[str] = None,
                 extras: Optional[Extras] = None, fallback_judge: bool = False, **kw: Any):
        super().__init__(name, rule, headline_metric="macro_accuracy" if macro_key else "accuracy", **kw)
        self.extract, self.denominator = extract, denominator
        self.breakdown_keys, self.macro_key, self.extras = breakdown_keys, macro_key, extras
        self.fallback_judge = fallback_judge

    def read(self, record: Record) -> Parsed:
        response = record.get("response")
        answer = "" if response is None else self.extract(response, record)
        if not answer:
            return Parsed("", 0.0 if self.denominator.counts_unanswered else None)
        return Parsed(answer, float(answer == record["target"]))

    def extraction(self, records: Sequence[Record]) -> str:
        if not self.fallback_judge:
            return self.rule
        judges = judge_models(records)
        return self.rule + (f" + LLM fallback ({judges[0]})" if judges else ", LLM fallback off")

    def intervals(self, scores: Sequence[Optional[float]], scored: Sequence[Record], seed: int) -> Dict[str, Any]:
        """95% CIs of every metric, resampling clusters (videos): the macro mean's too."""
        clusters = [r["cluster"] for r in scored]
        micro = clustered_bootstrap_ci(scores, clusters, seed=seed)
        if not self.macro_key:
            return {"accuracy": micro}
        groups = [r["fields"].get(self.macro_key) for r in scored]
        return {"macro_accuracy": clustered_bootstrap_macro_ci(scores, clusters, groups, seed=seed),
                "micro_accuracy": micro}

    def aggregate(self, records: Sequence[Record], seed: int) -> AccuracyResult:
        scored = [r for r in records if r["target"]]  # items without a public answer are not scored
        scores = [r["score"][self.name] for r in scored]
        summary = accuracy(scores)
        groups = breakdown(scores, [r["fields"] for r in scored], self.breakdown_keys)
        metrics: Dict[str, Optional[float]] = {"accuracy": summary["accuracy"]}
        if self.macro_key:
            metrics = {"macro_accuracy": macro_average(groups[self.macro_key]), "micro_accuracy": summary["accuracy"]}
        judges = judge_models(records)
        result: AccuracyResult = {
            "kind": ACCURACY,
            "protocol": self.name,
            "judge_model": judges[0] if judges and self.fallback_judge else None,
            "metrics": metrics,
            "ci95": self.intervals(scores, scored, seed),
            "n": summary["n"],
            "n_scored": summary["n_scored"],
            "n_correct": summary["n_correct"],
            "n_unparsed": sum(1 for r in scored if self.unparsed(r)),
            "n_failed": sum(1 for r in scored if r.get("error") is not None),
            "n_unscored": len(records) - len(scored),
            "n_warned": sum(1 for r in scored if (r.get("prompt") or {}).get("warnings")),
            "denominator": self.denominator.name,
            "extraction": self.extraction(records),
            "averaging": f"macro over {self.macro_key}" if self.macro_key else "micro",
            "unit": "percent",
            "ci_method": "percentile bootstrap, 2000 resamples of clusters (videos)",
            "breakdown": groups,
        }
        if self.extras is not None:
            self.extras(records, self, result)
        return self.stamped(result)
