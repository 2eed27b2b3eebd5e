"""GPT-judged open-ended video QA (Video-ChatGPT protocol): ``msvd_qa``, ``msrvtt_qa``,
``tgif_qa``, ``activitynet_qa``.

Layouts: ``video-chatgpt-json``: ``test_q.json`` (``[{video_name, question, question_id}]``) and
``test_a.json`` (``[{answer, question_id, type?}]``), paired by ``question_id``; ``hf-parquet``
(one row per QA with ``video_name, question_id, question, answer, type``; ActivityNet-QA's is
what lmms-eval reads). Videos in ``videos/`` under the media root (ActivityNet-QA names them
``v_{video_name}``, and lmms-eval unzips them into ``$HF_HOME/activitynetqa/all_test``). Responses are scored by ``evalkit judge RUN``:
per judge model, Accuracy = yes / (yes + no) and Score = mean integer score over judged items;
judge failures and failed samples are excluded and counted.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, ClassVar, Dict, List, Mapping, Optional, Sequence, Tuple

from evalkit.data import media_path, read_json, read_parquet, require
from evalkit.judge import QA_JUDGE, JudgeItem, JudgeSpec
from evalkit.schema import JUDGED, JudgedResult, Record, Verdict
from evalkit.scoring.metrics import breakdown, clustered_bootstrap_ci
from evalkit.scoring.verdicts import judge_models, primary_verdict
from evalkit.protocol import OfficialRef, Parsed, Protocol
from evalkit.request import Request, VideoPart
from evalkit.samples import Layout, Located, Sample, TaskData
from evalkit.task import Task

INSTRUCTION = "\nAnswer the question using a single word or phrase."
EXTRACTION = "Video-ChatGPT judge reply: dict literal, int(score), 'yes'/'no' substring"
VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".webm", ".gif", ".mov")


VIDEO_CHATGPT_JSON = Layout("video-chatgpt-json", ("test_q.json", "test_a.json"),
                            "Video-ChatGPT's evaluation files")
HF_PARQUET = Layout("hf-parquet", ("**/*.parquet",), "the HF snapshot, as lmms-eval reads it")


class JudgedQA(Protocol):
    """The Video-ChatGPT protocol over the verdicts of ``evalkit judge``: per judge model,
    Accuracy = yes / (yes + no) and Score = mean integer score over judged items; judge failures
    and failed samples are excluded and counted; the primary (oldest) judge is the headline."""

    kind = JUDGED

    def __init__(self, name: str, breakdown_keys: Tuple[str, ...], **kw: Any):
        super().__init__(name, EXTRACTION, **kw)
        self.breakdown_keys = breakdown_keys

    def read(self, record: Record) -> Parsed:
        """The primary judge's verdict ('' and no score until the run is judged)."""
        verdict = primary_verdict(record)
        if verdict is None:
            return Parsed("", None)
        return Parsed(verdict["pred"] or "", None if verdict["error"] else float(verdict["pred"] == "yes"))

    def aggregate(self, records: Sequence[Record], seed: int) -> JudgedResult:
        judges = judge_models(records)
        by_judge = {m: self.judged_metrics(records, m, seed) for m in judges}
        head = by_judge[judges[0]] if judges else self.judged_metrics(records, None, seed)
        result: JudgedResult = {**head, "by_judge": by_judge}
        return self.stamped(result)

    def judged_metrics(self, records: Sequence[Record], model: Optional[str], seed: int) -> JudgedResult:
        verdicts: List[Optional[Verdict]] = [(r.get("judgements") or {}).get(model) if model else None
                                             for r in records]
        ok = [v for v in verdicts if v is not None and not v["error"]]
        yes_no = [None if v is None or v["error"] else 1.0 if v["pred"] == "yes" else 0.0 if v["pred"] == "no"
                  else None for v in verdicts]
        scores = [None if v is None or v["error"] else float(v["score"] or 0) for v in verdicts]
        counts = Counter(v["pred"] for v in ok)
        n_yes, n_no, judged = counts.get("yes", 0), counts.get("no", 0), len(ok)
        clusters = [r["cluster"] for r in records]
        n_judge_failed = sum(1 for v in verdicts if v is not None and v["error"])
        return {
            "kind": JUDGED,
            "protocol": self.name,
            "judge_model": model,
            "metrics": {"accuracy": 100.0 * n_yes / (n_yes + n_no) if n_yes + n_no else None,
                        "score": sum(s for s in scores if s is not None) / judged if judged else None},
            "ci95": {"accuracy": clustered_bootstrap_ci(yes_no, clusters, seed=seed),
                     "score": clustered_bootstrap_ci(scores, clusters, seed=seed, scale=1.0)},
            "n": len(records), "n_scored": n_yes + n_no, "n_yes": n_yes, "n_no": n_no,
            "n_neither": counts.get(None, 0), "n_judged": judged,
            "n_judge_failed": n_judge_failed,
            "n_failed": sum(1 for r in records if r.get("error") is not None),
            "n_unjudged": sum(1 for r, v in zip(records, verdicts) if v is None and r.get("error") is None),
            "n_unparsed": n_judge_failed,
            "denominator": "yes+no (accuracy); judged items (score)",
            "extraction": self.rule,
            "unit": "percent (accuracy), 0-5 (score)",
            "breakdown": breakdown(yes_no, [r["fields"] for r in records], self.breakdown_keys),
        }


class OpenEndedQA(Task):
    official_ref = OfficialRef("mbzuai-oryx/Video-ChatGPT", "quantitative_evaluation/evaluate_activitynet_qa.py",
                               "659e04b2ce4bb518b663eb06f7db27b4971e8bde")
    breakdown_keys = ("type",)
    max_new_tokens = 64
    video_prefixes: ClassVar[Tuple[str, ...]] = ("",)
    video_dirs: ClassVar[Tuple[str, ...]] = ("videos", ".")
    layouts = (VIDEO_CHATGPT_JSON, HF_PARQUET)

    def make_protocols(self) -> Tuple[Protocol, ...]:
        return (JudgedQA("official", self.breakdown_keys, upstream=True, ref=self.official_ref, headline=True),)

    def read_layout(self, layout: Layout, files: List[Path], where: Located) -> TaskData:
        if layout.name == HF_PARQUET.name:
            return TaskData(self.samples(where.media, *self.parquet_rows(files)), tuple(files))
        qpath, apath = where.root / "test_q.json", where.root / "test_a.json"
        samples = self.samples(where.media, qpath, apath, read_json(qpath, f"{self.name} questions"),
                               read_json(apath, f"{self.name} answers"))
        return TaskData(samples, (qpath, apath))

    @staticmethod
    def parquet_rows(files: Sequence[Path]) -> Tuple[Path, Path, List[Dict[str, Any]], List[Dict[str, Any]]]:
        """The HF parquet layout (one row per QA: video_name, question_id, question, answer, type)
        split into the JSON layout's question and answer lists."""
        questions: List[Dict[str, Any]] = []
        answers: List[Dict[str, Any]] = []
        for path in files:
            for row in read_parquet(path, ("video_name", "question_id", "question", "answer"), "QA parquet"):
                questions.append({k: row[k] for k in ("video_name", "question_id", "question")})
                answers.append({"question_id": row["question_id"], "answer": row["answer"], "type": row.get("type")})
        return files[0], files[0], questions, answers

    def samples(self, root: Path, qpath: Path, apath: Path, questions: Any, answers: Any) -> List[Sample]:
        require(isinstance(questions, list), str(qpath), "expected a JSON list")
        require(isinstance(answers, list), str(apath), "expected a JSON list")
        by_id: Dict[str, Mapping[str, Any]] = {}
        for n, a in enumerate(answers):
            where = f"{apath} record {n}"
            require(isinstance(a, dict) and "question_id" in a and isinstance(a.get("answer"), (str, int, float)),
                    where, "expected {question_id, answer}")
            qid = str(a["question_id"])
            require(qid not in by_id, where, f"question_id {qid!r} appears twice")
            by_id[qid] = a
        samples, seen = [], set()
        for n, q in enumerate(questions):
            where = f"{qpath} record {n}"
            require(isinstance(q, dict) and isinstance(q.get("question"), str) and "question_id" in q
                    and "video_name" in q, where, "expected {video_name, question, question_id}")
            qid = str(q["question_id"])
            require(qid not in seen, where, f"question_id {qid!r} appears twice")
            require(qid in by_id, where, f"question_id {qid!r} has no answer in {apath.name}")
            seen.add(qid)
            name = str(q["video_name"])
            video = media_path(root, [p + name for p in self.video_prefixes], self.video_dirs, VIDEO_SUFFIXES, where)
            a = by_id[qid]
            fields = {"question": q["question"], "answer": str(a["answer"]), "type": a.get("type"), "video_name": name}
            samples.append(Sample(qid, str(a["answer"]), fields, video=video, cluster=name))
        return samples

    def judge_spec(self) -> JudgeSpec:
        return QA_JUDGE

    def judge_items(self, records: Sequence[Record]) -> List[JudgeItem]:
        return [JudgeItem(r["id"], {"question": r["fields"]["question"], "answer": r["fields"]["answer"],
                                    "pred": r["response"]}) for r in records if r["response"] is not None]

    def build_request(self, sample: Sample, media: Any) -> Request:
        return Request(sample.id, self.name, [VideoPart(sample.video, media), sample.fields["question"] + INSTRUCTION],
                       max_new_tokens=self.max_new_tokens)

class MSVDQA(OpenEndedQA):
    name = sample_name = "msvd_qa"
    description = "MSVD-QA open-ended (13,157 QA / 504 videos), GPT-judged"
    hub_repos = ("lmms-lab/MSVD-QA",)


class MSRVTTQA(OpenEndedQA):
    name = sample_name = "msrvtt_qa"
    description = "MSRVTT-QA open-ended (72,820 QA / 2,990 videos), GPT-judged"
    hub_repos = ("lmms-lab/MSRVTT-QA",)


class TGIFQA(OpenEndedQA):
    name = sample_name = "tgif_qa"
    description = "TGIF-QA FrameQA open-ended, GPT-judged"
    hub_repos = ("lmms-lab/TGIF-QA",)


class ActivityNetQA(OpenEndedQA):
    name = sample_name = "activitynet_qa"
    description = "ActivityNet-QA open-ended (8,000 QA / 800 videos), GPT-judged"
    hub_repos = ("lmms-eval/ActivityNetQA", "lmms-lab/ActivityNetQA")
    lmms_eval_cache = "activitynetqa"
    lmms_eval_task = "activitynetqa"
    positional = {"lmms-eval": ("hf-parquet",)}

    def lmms_eval_key(self, line: Mapping[str, Any]) -> Optional[Tuple[Any, ...]]:
        metric = line.get("gpt_eval_score")
        return ("id", str(metric["question_id"])) if isinstance(metric, dict) and "question_id" in metric else None
    video_prefixes = ("v_", "")
    video_dirs = ("all_test", "videos", ".")  # lmms-eval unzips into $HF_HOME/activitynetqa/all_test
