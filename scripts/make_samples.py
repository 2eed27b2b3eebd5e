"""Regenerate the bundled sample datasets in tasks/sample-data/ (synthetic, in the upstream layouts).

Run from the repository root: ``python scripts/make_samples.py [NAME ...]`` (all when no name is
given). The videos are tiny flat-grey clips (see evalkit.media.synthetic); the questions are
synthetic too. They exist so every code path (decoding, sampling, subtitles, scoring, export)
runs offline; their scores mean nothing. The builders of the benchmarks added later live in
``sample_data/``, one module each.
"""
from __future__ import annotations

import argparse
import shutil

import pyarrow as pa
import pyarrow.parquet as pq

from evalkit.media.synthetic import write_srt, write_video
from sample_data import ROOT, clip, dump, fresh, longvideobench, lvbench, mvbench, nextqa, png, videommmu

# (video_id, videoID, seconds, fps, duration label, domain, sub_category, subtitles?)
VIDEOMME_VIDEOS = [
    ("001", "smpl0000001", 12, 4, "short", "Knowledge", "Humanity & History", True),
    ("002", "smpl0000002", 30, 2, "short", "Life Record", "Daily Life", True),
    ("003", "smpl0000003", 150, 1, "medium", "Sports Competition", "Football", False),
    ("004", "smpl0000004", 240, 1, "long", "Film & Television", "Documentary", True),
]
QUESTIONS = [
    ("Counting Problem", "How many distinct grey levels appear in the video?",
     ["A. One.", "B. Two.", "C. Fifteen.", "D. Thirty."], "C"),
    ("Attribute Perception", "What colour are the frames of this video?",
     ["A. Red.", "B. Shades of grey.", "C. Green.", "D. Blue."], "B"),
    ("Temporal Perception", "How does the brightness change over time?",
     ["A. It cycles from dark to bright repeatedly.", "B. It stays constant.",
      "C. It only gets darker.", "D. It flashes red."], "A"),
]


def make_videomme() -> None:
    root = ROOT / "videomme"
    shutil.rmtree(root, ignore_errors=True)
    rows = []
    for vid, yt, seconds, fps, dur, domain, sub, subs in VIDEOMME_VIDEOS:
        write_video(root / "data" / f"{yt}.mp4", n_frames=seconds * fps, fps=fps, gop=4 * fps)
        if subs:
            cues = [(t, t + 2.5, f"Narrator line at second {t} of video {vid}.") for t in range(0, seconds, 5)]
            write_srt(root / "subtitle" / f"{yt}.srt", cues)
        for q, (task_type, question, options, answer) in enumerate(QUESTIONS, 1):
            rows.append({
                "video_id": vid, "duration": dur, "domain": domain, "sub_category": sub,
                "url": f"https://www.youtube.com/watch?v={yt}", "videoID": yt,
                "question_id": f"{vid}-{q}", "task_type": task_type, "question": question,
                "options": options, "answer": answer,
            })
    (root / "videomme").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows), root / "videomme" / "test-00000-of-00001.parquet")










def make_mlvu() -> None:
    """Official JSON layout; record 1 of plotQA lists its answer twice (the last copy is gold),
    the needle record's answer is not among its candidates (gold '@')."""
    root = fresh("mlvu")
    stems = ["1_plotQA", "2_needle", "3_ego", "4_count", "5_order", "6_anomaly_reco", "7_topic_reasoning"]
    qtypes = ["plotQA", "findNeedle", "ego", "count", "order", "anomaly_reco", "topic_reasoning"]
    for stem, qtype in zip(stems, qtypes):
        recs = [{"video": f"{qtype}_1.mp4", "duration": 8, "question": f"What is shown in this {qtype} clip?",
                 "candidates": ["Grey frames", "Red frames", "A cat", "Nothing"], "answer": "Grey frames",
                 "question_type": qtype}]
        if stem == "1_plotQA":
            recs.append({"video": f"{qtype}_1.mp4", "duration": 8, "question": "Which colour dominates?",
                         "candidates": ["Grey", "Blue", "Grey", "Green"], "answer": "Grey", "question_type": qtype})
        if stem == "2_needle":
            recs.append({"video": f"{qtype}_1.mp4", "duration": 8, "question": "What was hidden in the video?",
                         "candidates": ["A key", "A ring", "A coin", "A shoe"], "answer": "A pen", "question_type": qtype})
        dump(root / "json" / f"{stem}.json", recs)
        clip(root / "video" / stem / f"{qtype}_1.mp4")
    dump(root / "test_question.json", [
        {"question_id": f"AR_{i}", "question_type": "anomaly_reco", "video": f"test_{i}.mp4", "duration": 8,
         "question": "Does anything unusual happen?", "candidates": [f"Option {c}" for c in "ABCDEF"]}
        for i in range(2)])
    for i in range(2):
        clip(root / "video" / f"test_{i}.mp4")


def make_egoschema() -> None:
    """Official layout: 4 questions, 2 of them in the public subset."""
    root = fresh("egoschema")
    uids = [f"0000000{i}-aaaa-bbbb-cccc-dddddddddddd" for i in range(4)]
    dump(root / "questions.json", [
        {"q_uid": u, "google_drive_id": f"gd{i}", "question": "What is c mostly doing in the video?",
         **{f"option {k}": f"c is doing activity {k}" for k in range(5)}} for i, u in enumerate(uids)])
    dump(root / "subset_answers.json", {uids[0]: 2, uids[1]: 4})
    for u in uids:
        clip(root / "videos" / f"{u}.mp4")


def make_perceptiontest() -> None:
    """Official layout; question tags span two areas, so one question counts in both."""
    root = fresh("perceptiontest")
    db = {}
    for v, vid in enumerate(["video_0001", "video_0002"]):
        db[vid] = {"metadata": {"video_id": vid, "num_frames": 16, "frame_rate": 2, "resolution": [48, 64]},
                   "mc_question": [
                       {"id": 0, "question": "How many times does the brightness cycle?",
                        "options": ["once", "never", "more than once"], "answer_id": 0, "area": "abstraction",
                        "reasoning": "descriptive", "tag": ["event counting"]},
                       {"id": 1, "question": "Is the object in the video moving?",
                        "options": ["yes", "no", "cannot tell"], "answer_id": v, "area": "physics",
                        "reasoning": "explanatory", "tag": ["motion", "object recognition"]},
                   ]}
        clip(root / "videos" / f"{vid}.mp4")
    dump(root / "mc_question_valid.json", db)


def make_muirbench() -> None:
    """HF parquet layout with embedded images: one answerable/unanswerable pair, an image option."""
    root = fresh("muirbench")
    image = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
    rows = [
        {"idx": "0", "task": "Image-Text Matching", "image_relation": "Narrative", "image_type": "Photo",
         "question": "Which picture is brighter? <image> <image>", "options": ["The first", "The second",
         "None of the choices provided"], "answer": "B", "counterpart_idx": "1",
         "image_list": [{"bytes": png(40), "path": "a.png"}, {"bytes": png(200), "path": "b.png"}]},
        {"idx": "1", "task": "Image-Text Matching", "image_relation": "Narrative", "image_type": "Photo",
         "question": "Which picture is red? <image> <image>", "options": ["The first", "The second",
         "None of the choices provided"], "answer": "C", "counterpart_idx": "0",
         "image_list": [{"bytes": png(40), "path": "a.png"}, {"bytes": png(200), "path": "b.png"}]},
        {"idx": "2", "task": "Visual Retrieval", "image_relation": "Similar", "image_type": "Photo",
         "question": "Which option shows the same image as <image>?", "options": ["<image>", "<image>", "Neither"],
         "answer": "A", "counterpart_idx": None,
         "image_list": [{"bytes": png(90), "path": "q.png"}, {"bytes": png(90), "path": "o1.png"},
                        {"bytes": png(10), "path": "o2.png"}]},
    ]
    schema = pa.schema([("idx", pa.string()), ("task", pa.string()), ("image_relation", pa.string()),
                        ("image_type", pa.string()), ("question", pa.string()), ("options", pa.list_(pa.string())),
                        ("answer", pa.string()), ("counterpart_idx", pa.string()), ("image_list", pa.list_(image))])
    (root / "data").mkdir()
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), root / "data" / "test-00000-of-00001.parquet")


def make_mmiu() -> None:
    """all.json + images below <Relationship>/<task>/; one question-first task, one context-first."""
    root = fresh("mmiu")
    recs = []
    for task, rel in (("spot_the_diff", "Low-level-semantic"), ("visual_ordering", "Discrete-temporal")):
        for k in range(2):
            paths = []
            for j in range(2):
                rel_path = f"./{rel}/{task}/{k}_{j}.png"
                (root / rel_path).parent.mkdir(parents=True, exist_ok=True)
                (root / rel_path).write_bytes(png(30 + 100 * j))
                paths.append(rel_path)
            recs.append({"task": task, "visual_input_component": "natural image", "source": "synthetic",
                         "options": "A: the first\nB: the second\nC: both\nD: neither",
                         "question": "Which image is brighter?", "context": "Choices: A: the first B: the second C: both D: neither",
                         "input_image_path": paths, "output": "B"})
    dump(root / "all.json", recs)


def make_tempcompass() -> None:
    """Official layout: 2 videos, 2 temporal dimensions each."""
    root = fresh("tempcompass")
    db = {}
    for vid in ("1000000001", "1000000002"):
        db[vid] = {
            "speed": [{"question": "How fast does the brightness change?\nA. slowly\nB. quickly\nC. not at all",
                       "answer": "B. quickly"}],
            "direction": [{"question": "Which way does the brightness move?\nA. up then down\nB. only up\nC. only down\nD. it does not",
                           "answer": "A. up then down"}],
        }
        clip(root / "videos" / f"{vid}.mp4")
    dump(root / "questions" / "multi-choice.json", db)


def make_open_qa() -> None:
    """test_q.json + test_a.json + videos/ for the four judged datasets (ActivityNet: v_ prefix)."""
    for name, prefix in (("msvd_qa", ""), ("msrvtt_qa", ""), ("tgif_qa", ""), ("activitynet_qa", "v_")):
        root = fresh(name)
        qs, ans = [], []
        for v, video in enumerate(("clip_a", "clip_b")):
            clip(root / "videos" / f"{prefix}{video}.mp4")
            for k, (q, a) in enumerate((("what colour are the frames?", "grey"), ("is it getting brighter?", "yes"))):
                qid = f"{name}_{v}_{k}"
                qs.append({"video_name": video, "question": q, "question_id": qid})
                ans.append({"answer": a, "type": k, "question_id": qid})
        dump(root / "test_q.json", qs)
        dump(root / "test_a.json", ans)


BUILDERS = {
    "open_qa": make_open_qa, "videomme": make_videomme, "mlvu": make_mlvu, "egoschema": make_egoschema,
    "perceptiontest": make_perceptiontest, "muirbench": make_muirbench, "mmiu": make_mmiu,
    "tempcompass": make_tempcompass, "lvbench": lvbench.make, "longvideobench": longvideobench.make,
    "nextqa": nextqa.make, "mvbench": mvbench.make, "videommmu": videommmu.make,
}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"samples to rewrite (default: all): {', '.join(BUILDERS)}")
    names = parser.parse_args().names or list(BUILDERS)
    unknown = [n for n in names if n not in BUILDERS]
    if unknown:
        parser.error(f"no sample named {', '.join(unknown)}: choose from {', '.join(BUILDERS)}")
    for name in names:
        BUILDERS[name]()
    print(f"wrote {ROOT}")
