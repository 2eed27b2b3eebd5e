"""MVBench (``mvbench``): 20 temporal video tasks, 200 multiple-choice questions each (4,000).

Layouts, in precedence order (every one reads the annotations ``json/<task>.json``, records
``{video, question, candidates, answer[, start, end]}``; sample ids are ``<task>_<n>``, n the
record's position in its task's file, the same in every layout):

* ``hf-video``: the HF dataset ``OpenGVLab/MVBench`` at revision ``video`` (what lmms-eval
  downloads; found by its ``test.json`` beside ``json/``). Its clips are PRE-CUT: the bounded
  tasks' videos live in ``star/Charades_segment``, ``sta/sta_video_segment`` and
  ``tvqa/video_fps3_hq_segment`` (TVQA as mp4 segments), NTU in ``nturgbd_convert``, SSv2 in
  ``ssv2_video_mp4``, so ``start``/``end`` are never applied again. Videos ``<folder>/<video>``
  under the media root (lmms-eval's ``$HF_HOME/mvbench_video``) or the snapshot.
* ``vlmevalkit-tsv``: the ``MVBench.tsv`` VLMEvalKit's ``MVBench`` writes into the main-branch
  snapshot (columns ``task_type`` = MVBench's task name, ``prefix``, ``video``, ``question``,
  ``answer``, ``candidates`` as a Python list, ``start``/``end``, ``index``; rows in the notebook's
  task order), videos ``<prefix><video>``.
* ``hf-main``: the authors' release, the HF main branch as the official notebook and VLMEvalKit's
  ``MVBench`` read it: raw sources under ``video/<folder>/`` (the unzipped ``video/*.zip``,
  ``video/data0613/`` too), in the notebook's ``data_list`` folders. The five bounded tasks
  (Action Sequence/Prediction, Object Interaction, Action Localization, Episodic Reasoning) show
  only ``start``..``end`` seconds of the source (``Sample.clip``); Episodic Reasoning's source is
  a folder of TVQA frames ``00001.jpg``.. read as a video at 3 fps (``Sample.frame_rate``). The
  window holds the frames shown between start and end: evalkit puts file k at (k-1)/3 s, the
  notebook maps second t to file ``round(3t)``, so a frame-folder window here is one file (1/3 s)
  later at both ends than the notebook's, and a video window may differ from its ``round(t*fps)``
  by a frame at either end. A file whose name already carries the record's bounds
  (``<name>_<start>_<end>.mp4``, the video branch's segment naming) is never cut again, whatever
  the layout. GIF sources (none in the notebook's table) are read by PyAV like any video.

Which frames a model sees is the model's sampling rule within those bounds (the notebook's 16
segment centres at 224 px are VideoChat2's recipe, not the benchmark's).

The prompt is the official notebook's (``video_chat2/mvbench.ipynb``): the system sentence as
the system text and again in front of the question (``system_llm=True``), ``Question: ...``,
``Options:``, one ``(A) text`` line per candidate, trailing whitespace removed, then
``\\nOnly give the best option.``; the assistant turn is pre-filled with ``Best option:(``; up to
100 new tokens. Official scoring (the notebook's ``check_ans``): the gold letter is the LAST
candidate equal to the answer (exact equality; ``'@'`` when none is, which only an empty reply or
a literal ``@`` matches); the prediction is ``'('`` + the first line of the stripped reply (the
pre-fill's parenthesis put back; VideoChat2's own cut at its ``###`` separator is template
specific and not reproduced); its first space-separated token, lower-cased, is right when it
(dots removed) is a substring of ``(x)`` or ``(x)`` is a substring of it. So an EMPTY reply is
right (``(`` is inside every ``(x)``): official scores it so and counts it unparsed; strict
(evalkit's extractor on the reply itself) counts it unparsed and wrong. Failed samples count
wrong; a replayed null prediction is an empty reply (right, as an empty generation is upstream).
Accuracy per task is right/total over every item and the notebook's ``Avg`` is micro over
all items (the headline, ``accuracy``); ``macro_accuracy``, the mean of the task accuracies,
equals it only when every task has all its items (not on a subset or with ``--limit``).
``export --format official`` writes the notebook's ``upload_leaderboard.json`` (the leaderboard
submission) and, as ``mvbench_test.json``, its ``test.json`` (``acc_dict``, ``res_list``).

lmms-eval (``mvbench_<task>``: 20 tasks on the video branch, no group mean) and VLMEvalKit prompt
and score differently; neither is the reference. ``evalkit import``: lmms-eval writes one
``*_samples_mvbench_<task>.jsonl`` per task, whose ``doc_id`` restarts at 0 in each, so its lines
map by key (doc_id, question, options, answer), read from the logged prompt (``input``) and
``target`` (or ``doc``, which older versions logged), never by position alone; import the files
one at a time. VLMEvalKit rows map by (task, video, question, options), else by ``index`` when the
data was read from the main-branch json or MVBench.tsv (whose row order its index counts).
"""
from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from evalkit.data import inside, read_json, read_tsv, require
from evalkit.errors import DataError
from evalkit.protocol import AccuracyProtocol, OfficialRef, Parsed, Protocol
from evalkit.request import Request
from evalkit.samples import Layout, Located, Sample, TaskData
from evalkit.schema import AccuracyResult, Record
from evalkit.scoring.choice import letters
from evalkit.scoring.metrics import macro_average
from evalkit.task import ExportOptions

from .multiple_choice import ChoiceProtocol, MultipleChoiceTask, official_gold, options

HF_REPO = "OpenGVLab/MVBench"
# the notebook's last commit (read in the repository at 4dd8210b030374bb0c510a57dfbe916f70d3ef71)
NOTEBOOK_COMMIT = "71ac7a28183a3d9610ad149f19ee2195cc31c65e"
SYSTEM = ("Carefully watch the video and pay attention to the cause and sequence of events, the detail and "
          "movement of objects, and the action and pose of persons. Based on your observations, select the best "
          "option that accurately addresses the question.")
INSTRUCTION = "\nOnly give the best option."
PREFILL = "Best option:("
FRAME_FPS = 3.0  # the notebook reads TVQA frame folders at 3 fps
MEDIA_SUFFIXES = (".mp4", ".webm", ".avi", ".mkv", ".mov", ".gif")
SEGMENT = re.compile(r"^(?P<name>.+)_(?P<start>-?\d+(?:\.\d+)?(?:e-?\d+)?)_(?P<end>-?\d+(?:\.\d+)?(?:e-?\d+)?)$")


@dataclass(frozen=True)
class Spec:
    """One MVBench task: its file, MVBench's name for it, where its videos are on the main branch
    (the notebook's prefix) and on the video branch (lmms-eval's folder), and how it is shown."""

    key: str  # json/<key>.json; lmms-eval's config and sub_task
    name: str  # MVBench's name (notebook, leaderboard, VLMEvalKit's task_type)
    source: str  # main branch / release folder
    segment: str  # video branch folder (pre-cut clips)
    bounded: bool = False  # start/end seconds select the part shown
    frames: bool = False  # the release keeps a folder of jpg frames


_CHARADES, _CLEVRER, _PERCEPTION = "star/Charades_v1_480", "clevrer/video_validation", "perception/videos"
SPECS: Tuple[Spec, ...] = (  # the notebook's data_list order
    Spec("action_sequence", "Action Sequence", _CHARADES, "star/Charades_segment", bounded=True),
    Spec("action_prediction", "Action Prediction", _CHARADES, "star/Charades_segment", bounded=True),
    Spec("action_antonym", "Action Antonym", "ssv2_video", "ssv2_video_mp4"),
    Spec("fine_grained_action", "Fine-grained Action", "Moments_in_Time_Raw/videos", "Moments_in_Time_Raw/videos"),
    Spec("unexpected_action", "Unexpected Action", "FunQA_test/test", "FunQA_test/test"),
    Spec("object_existence", "Object Existence", _CLEVRER, _CLEVRER),
    Spec("object_interaction", "Object Interaction", _CHARADES, "star/Charades_segment", bounded=True),
    Spec("object_shuffle", "Object Shuffle", _PERCEPTION, _PERCEPTION),
    Spec("moving_direction", "Moving Direction", _CLEVRER, _CLEVRER),
    Spec("action_localization", "Action Localization", "sta/sta_video", "sta/sta_video_segment", bounded=True),
    Spec("scene_transition", "Scene Transition", "scene_qa/video", "scene_qa/video"),
    Spec("action_count", "Action Count", _PERCEPTION, _PERCEPTION),
    Spec("moving_count", "Moving Count", _CLEVRER, _CLEVRER),
    Spec("moving_attribute", "Moving Attribute", _CLEVRER, _CLEVRER),
    Spec("state_change", "State Change", _PERCEPTION, _PERCEPTION),
    Spec("fine_grained_pose", "Fine-grained Pose", "nturgbd", "nturgbd_convert"),
    Spec("character_order", "Character Order", _PERCEPTION, _PERCEPTION),
    Spec("egocentric_navigation", "Egocentric Navigation", "vlnqa", "vlnqa"),
    Spec("episodic_reasoning", "Episodic Reasoning", "tvqa/frames_fps3_hq", "tvqa/video_fps3_hq_segment",
         bounded=True, frames=True),
    Spec("counterfactual_inference", "Counterfactual Inference", _CLEVRER, _CLEVRER),
)
BY_KEY: Dict[str, Spec] = {s.key: s for s in SPECS}
BY_NAME: Dict[str, Spec] = {s.name: s for s in SPECS}

HF_VIDEO = Layout("hf-video", ("json/action_sequence.json", "test.json"),
                  "the HF dataset OpenGVLab/MVBench at revision 'video' (pre-cut clips), as lmms-eval reads it")
VLMEVALKIT_TSV = Layout("vlmevalkit-tsv", ("MVBench.tsv",), "VLMEvalKit (MVBench.tsv in the main-branch snapshot)")
HF_MAIN = Layout("hf-main", ("json/action_sequence.json",),
                 "the authors' release (HF OpenGVLab/MVBench main branch: json/ + video/<source>/), as the "
                 "official notebook reads it")
TSV_COLUMNS = ("task_type", "prefix", "video", "question", "answer", "candidates", "start", "end", "index")
Item = Tuple[str, Spec, int, Dict[str, Any], Optional[str]]  # (where, task, position, record, TSV prefix)


def text(value: Any) -> str:
    """A candidate or answer as the notebook's f-strings print it."""
    return value if isinstance(value, str) else str(value)


def question_text(question: str, candidates: Sequence[str]) -> str:
    """The notebook's ``qa_template`` question: ``Question: q``, ``Options:``, ``(A) c`` lines, rstripped."""
    body = f"Question: {question}\nOptions:\n" + "".join(f"({k}) {c}\n" for k, c in zip(letters(len(candidates)),
                                                                                        candidates))
    return body.rstrip()


def prompt_text(question: str, candidates: Sequence[str]) -> str:
    """The user text the notebook sends: the system sentence again, the question, the instruction."""
    return SYSTEM + "\n" + question_text(question, candidates) + INSTRUCTION


def official_prediction(reply: str) -> str:
    """What the notebook hands to ``check_ans``: '(' + the first line of the stripped reply."""
    return "(" + reply.strip().split("\n")[0]


def check_ans(pred: str, gold: str) -> bool:
    """``check_ans`` against the gold letter ``gold``: the prediction's first space-separated
    token, lower-cased, (dots removed) inside ``(x)``, or ``(x)`` inside it."""
    token = pred.lower().split(" ")[0]
    option = f"({gold})".lower()
    return token.replace(".", "") in option or option in token


def official_correct(reply: str, gold: str) -> bool:
    return check_ans(official_prediction(reply), gold)


def official_reading(reply: str, n_options: int) -> str:
    """The one option letter the official test credits the reply with, or '' when it credits none
    or several (an empty reply is credited with every letter)."""
    hits = [k for k in letters(n_options) if official_correct(reply, k)]
    return hits[0] if len(hits) == 1 else ""


class MVBenchOfficial(ChoiceProtocol):
    """The notebook's substring test against the gold letter (``'@'`` included). Parsed: the one
    letter the test credits; a reply credited with no letter or with several (an empty reply) is
    unparsed, and scored as the test says."""

    def read(self, record: Record) -> Parsed:
        response = record.get("response")
        if response is None:  # the sample failed: counted, wrong
            return Parsed("", 0.0)
        return Parsed(official_reading(response, len(options(record))),
                      float(official_correct(response, record["target"])))


def segment_of(video: str) -> Optional[Tuple[str, float, float]]:
    """(source name, start, end) when ``video`` is named ``<name>_<start>_<end>.<suffix>``."""
    stem = video[: -len(Path(video).suffix)] if Path(video).suffix.lower() in MEDIA_SUFFIXES else video
    m = SEGMENT.match(stem)
    return (m["name"], float(m["start"]), float(m["end"])) if m else None


def precut(video: str, start: Optional[float], end: Optional[float]) -> bool:
    """Whether ``video`` names a clip already cut to the record's own bounds."""
    seg = segment_of(video)
    return seg is not None and start is not None and end is not None and \
        abs(seg[1] - start) < 1e-6 and abs(seg[2] - end) < 1e-6


def source_name(video: str, spec: Spec) -> str:
    """The source video a record shows, the same in every layout (its cluster): the name without
    its media suffix and, for the bounded tasks, without a segment's ``_<start>_<end>``."""
    seg = segment_of(video) if spec.bounded else None
    if seg:
        return seg[0]
    suffix = Path(video).suffix
    return video[: -len(suffix)] if suffix.lower() in MEDIA_SUFFIXES else video


def number(value: Any, where: str, name: str) -> Optional[float]:
    if value is None or value == "":
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise DataError(f"{where}: field {name!r} must be a number of seconds, got {value!r}") from None
    require(out == out, where, f"field {name!r} is not a number")
    return out


def validate(where: str, rec: Any) -> None:
    require(isinstance(rec, dict), where, "expected a JSON object {video, question, candidates, answer}")
    for key in ("video", "question", "candidates", "answer"):
        require(key in rec, where, f"missing field {key!r}")
    require(isinstance(rec["video"], str) and rec["video"] != "", where, "field 'video' must be a file name")
    require(isinstance(rec["question"], str), where, "field 'question' must be a string")
    scalar = (str, int, float)
    cands = rec["candidates"]
    require(isinstance(cands, list) and len(cands) >= 1 and len(cands) <= 26
            and all(isinstance(c, scalar) and not isinstance(c, bool) for c in cands), where,
            "field 'candidates' must be a list of 1-26 option texts")
    require(isinstance(rec["answer"], scalar) and not isinstance(rec["answer"], bool), where,
            "field 'answer' must be an option text")
    require(text(rec["answer"]) != "", where, "field 'answer' is empty (the official check_ans fails on it)")


def json_items(files: Sequence[Path]) -> List[Item]:
    """The 20 task files in the notebook's order (each must be there; a file may be empty)."""
    folder = files[0].parent
    items: List[Item] = []
    for spec in SPECS:
        path = folder / f"{spec.key}.json"
        rows = read_json(path, f"MVBench annotation file json/{spec.key}.json")
        require(isinstance(rows, list), str(path), "expected a JSON list of questions")
        items += [(f"{path} record {i}", spec, i, rec, None) for i, rec in enumerate(rows)]
    return items


def tsv_items(path: Path) -> List[Item]:
    """VLMEvalKit's MVBench.tsv as the json records (a row's position counts the earlier rows of its task)."""
    items: List[Item] = []
    seen: Dict[str, int] = {}
    for n, row in enumerate(read_tsv(path, TSV_COLUMNS, "VLMEvalKit MVBench table")):
        where = f"{path} row {n + 2} (index {row.get('index')!r})"
        spec = BY_NAME.get(str(row["task_type"]))
        require(spec is not None, where, f"task_type {row['task_type']!r} is not one of MVBench's 20 task names")
        assert spec is not None
        try:
            cands = ast.literal_eval(str(row["candidates"]))
        except (ValueError, SyntaxError):
            raise DataError(f"{where}: 'candidates' is not a Python list") from None
        require(isinstance(cands, list), where, "'candidates' is not a Python list")
        answer: Any = row["answer"]  # a TSV cell is text: a number-valued candidate compares as its text
        if not any(c == answer for c in cands):
            answer = next((c for c in cands if not isinstance(c, str) and text(c) == answer), answer)
        rec = {"video": row["video"], "question": row["question"], "candidates": cands, "answer": answer,
               "start": row["start"], "end": row["end"]}
        i = seen[spec.key] = seen.get(spec.key, -1) + 1
        items.append((where, spec, i, rec, str(row["prefix"])))
    return items


def media_file(roots: Sequence[Path], rels: Sequence[str], folder: bool, where: str) -> Path:
    """The first existing ``root/rel`` (a folder of frames when ``folder``), else the first candidate,
    so that reading it fails for that sample alone, naming the path. Paths escaping a root are refused."""
    candidates = [inside(root, rel, where) for root in roots for rel in rels]
    found = next((p for p in candidates if (p.is_dir() if folder else p.is_file())), None)
    return found or candidates[0]


def parse_lmms_eval_input(prompt: Any) -> Optional[Tuple[str, Tuple[str, ...]]]:
    """(question, options) from lmms-eval's MVBench prompt ``Question:q\\nOption:\\n(A) a\\n...``."""
    if not isinstance(prompt, str) or not prompt.startswith("Question:") or "\nOption:\n" not in prompt:
        return None
    head, _, tail = prompt[len("Question:"):].rpartition("\nOption:\n")
    found: List[str] = []
    for line in tail.split("\n"):
        label = f"({letters(len(found) + 1)[-1]}) "
        if not line.startswith(label):
            break
        found.append(line[len(label):])
    return (head, tuple(found)) if found else None


class MVBench(MultipleChoiceTask):
    name = "mvbench"
    description = "MVBench (20 temporal tasks x 200 multiple-choice questions); Avg = micro over all items"
    official_rule = ("MVBench notebook check_ans on '(' + first reply line (gold: last matching candidate, "
                     "'@' if none; an empty reply is right)")
    official_ref = OfficialRef("OpenGVLab/Ask-Anything", "video_chat2/mvbench.ipynb", NOTEBOOK_COMMIT)
    breakdown_keys = ("task",)
    dataset_revision = None  # no commit of the HF copy is pinned: the revision found is recorded
    max_new_tokens = 100  # the notebook's generation limit (only the first line is scored)

    layouts = (HF_VIDEO, VLMEVALKIT_TSV, HF_MAIN)
    hub_repos = (HF_REPO,)
    lmms_eval_cache = "mvbench_video"
    sample_name = "mvbench"
    # lmms-eval logs each of its 20 tasks (mvbench_<task>) to its own *_samples_mvbench_<task>.jsonl:
    # `evalkit import` reads those under a folder together (or one file); lines map by (doc_id
    # within the task, question, options, answer), read from the prompt lmms-eval logs as ``input``
    lmms_eval_task = tuple(f"mvbench_{spec.key}" for spec in SPECS)
    vlmevalkit_dataset = "MVBench"
    positional = {"vlmevalkit": ("vlmevalkit-tsv", "hf-main")}  # its index runs over the main json in task order

    # --- data ---------------------------------------------------------------------------------

    def read_layout(self, layout: Layout, files: List[Path], where: Located) -> TaskData:
        items = tsv_items(files[0]) if layout is VLMEVALKIT_TSV else json_items(files)
        read = (files[0],) if layout is VLMEVALKIT_TSV else tuple(files[0].parent / f"{s.key}.json" for s in SPECS)
        roots = list(dict.fromkeys([where.media, where.root]))
        return TaskData([self.sample(layout, item, roots) for item in items], read)

    def sample(self, layout: Layout, item: Item, roots: Sequence[Path]) -> Sample:
        where, spec, i, rec, prefix = item
        validate(where, rec)
        video = rec["video"]
        start, end = number(rec.get("start"), where, "start"), number(rec.get("end"), where, "end")
        cut = spec.bounded and layout is not HF_VIDEO and not precut(video, start, end)
        if cut:
            require(start is not None and end is not None, where,
                    f"{spec.name} shows start..end of its source video: fields 'start' and 'end' are needed")
        folder = spec.frames and layout is not HF_VIDEO and Path(video).suffix.lower() not in MEDIA_SUFFIXES
        if layout is HF_VIDEO:
            rels = [f"{spec.segment}/{video}", f"data0613/{spec.segment}/{video}"]
        elif prefix is not None:
            rels = [f"{prefix.rstrip('/')}/{video}"]
        else:
            rels = [f"{base}{spec.source}/{video}" for base in ("video/", "video/data0613/", "", "data0613/")]
            if not spec.bounded:  # a pre-cut copy is the same video where nothing is cut
                rels += [f"{base}{spec.segment}/{video}" for base in ("video/", "")]
        path = media_file(roots, rels, folder, where)
        if layout is HF_VIDEO and path.is_dir():  # a frame folder in place of a clip
            folder = True
        gold = official_gold(rec["candidates"], rec["answer"])
        fields = {"task": spec.name, "question": rec["question"], "answer_text": text(rec["answer"]),
                  "video": video, "start": start, "end": end, "gold_in_candidates": gold != "@"}
        return Sample(f"{spec.key}_{i}", gold, fields, video=path, cluster=f"{spec.source}/{source_name(video, spec)}",
                      choices=tuple(text(c) for c in rec["candidates"]),
                      clip=(start, end) if cut and start is not None and end is not None else None,
                      frame_rate=FRAME_FPS if folder else None)

    # --- keys other harnesses' rows name a sample by ------------------------------------------

    def sample_keys(self, sample: Sample) -> List[Tuple[Any, ...]]:
        f = sample.fields
        task, _, position = sample.id.rpartition("_")
        return [("id", sample.id),
                ("lmms-eval doc", int(position), f["question"], tuple(sample.choices), f["answer_text"]),
                ("task+video+question", task, f["video"], f["question"], tuple(sample.choices))]

    def lmms_eval_key(self, line: Mapping[str, Any]) -> Optional[Tuple[Any, ...]]:
        """``doc_id`` (the row within its task's file) with the question, options and answer: from
        ``doc`` where an older lmms-eval logged it, else from the logged prompt and target."""
        doc_id = line.get("doc_id")
        if not isinstance(doc_id, int) or isinstance(doc_id, bool):
            return None
        doc = line.get("doc")
        if isinstance(doc, dict) and isinstance(doc.get("candidates"), list) and "question" in doc and "answer" in doc:
            return ("lmms-eval doc", doc_id, str(doc["question"]), tuple(text(c) for c in doc["candidates"]),
                    text(doc["answer"]))
        parsed = parse_lmms_eval_input(line.get("input"))
        if parsed is None or line.get("target") is None:
            return None
        return ("lmms-eval doc", doc_id, parsed[0], parsed[1], str(line["target"]))

    def vlmevalkit_key(self, row: Mapping[str, Any]) -> Optional[Tuple[Any, ...]]:
        """MVBench (task names) and MVBench_MP4 rows (task names or file keys) by task, video,
        question and options."""
        task = str(row.get("task_type"))
        spec = BY_NAME.get(task) or BY_KEY.get(task)
        if spec is None or not all(k in row for k in ("video", "question", "candidates")):
            return None
        try:
            cands = ast.literal_eval(str(row["candidates"]))
        except (ValueError, SyntaxError):
            return None
        if not isinstance(cands, (list, tuple)):
            return None
        return ("task+video+question", spec.key, str(row["video"]), str(row["question"]), tuple(text(c) for c in cands))

    # --- prompt and scoring -------------------------------------------------------------------

    def build_request(self, sample: Sample, media: Any) -> Request:
        return self.video_request(sample, media, prompt_text(sample.fields["question"], sample.choices),
                                  system=SYSTEM, assistant_prefix=PREFILL)

    def official_extract(self, response: str, record: Record) -> str:
        return official_reading(response, len(options(record)))

    def official_protocol(self) -> Protocol:
        return MVBenchOfficial("official", self.official_rule, self.official_extract, self.official_denominator,
                               **self.protocol_kw(upstream=True, ref=self.official_ref, headline=True))

    def add_metrics(self, records: Sequence[Record], protocol: AccuracyProtocol, result: AccuracyResult) -> None:
        """The mean of the per-task accuracies beside the notebook's micro Avg."""
        result["metrics"]["macro_accuracy"] = macro_average(result["breakdown"]["task"])
        result["averaging"] = "micro over all items (the notebook's Avg); macro_accuracy: mean over tasks"

    # --- export -------------------------------------------------------------------------------

    def export_formats(self) -> Tuple[str, ...]:
        return ("official",)

    def export(self, records: Sequence[Record], fmt: str, out_dir: Path,
               options: Optional[ExportOptions] = None) -> List[Path]:
        """The notebook's outputs under the official protocol: ``upload_leaderboard.json`` ({task:
        accuracy %, ..., "Avg": micro %}, tasks in the notebook's order) and ``mvbench_test.json``
        ({"acc_dict": {task: [correct, total]}, "res_list": [{"pred", "gt"}]}; a failed sample's
        pred is null)."""
        acc: Dict[str, List[float]] = {}
        res_list = []
        order = {s.name: n for n, s in enumerate(SPECS)}
        for r in sorted(records, key=lambda r: order.get(r["fields"]["task"], len(order))):
            counts = acc.setdefault(r["fields"]["task"], [0, 0])
            counts[0] += r["score"]["official"] or 0
            counts[1] += 1
            res_list.append({"pred": None if r["response"] is None else official_prediction(r["response"]),
                             "gt": f"({r['target']}) {r['fields']['answer_text']}"})
        board: Dict[str, Optional[float]] = {task: 100.0 * c / n for task, (c, n) in acc.items()}
        total = sum(n for _, n in acc.values())
        board["Avg"] = 100.0 * sum(c for c, _ in acc.values()) / total if total else None
        out = Path(out_dir)
        paths = [out / "upload_leaderboard.json", out / "mvbench_test.json"]
        paths[0].write_text(json.dumps(board, indent=2) + "\n", encoding="utf-8")
        acc_dict = {task: [int(c), n] for task, (c, n) in acc.items()}
        paths[1].write_text(json.dumps({"acc_dict": acc_dict, "res_list": res_list}, indent=2, ensure_ascii=False)
                            + "\n", encoding="utf-8")
        return paths
