"""Write the bundled LongVideoBench sample (tasks/sample-data/longvideobench/) in the layout of the
HF snapshot ``longvideobench/LongVideoBench`` after untarring: ``lvb_val.json`` and
``validation-00000-of-00001.parquet`` (the same 7 questions), ``videos/<video_path>`` and
``subtitles/<subtitle_path>``.

Three flat-grey clips: 12 s (duration group 15, subtitles with ``timestamp`` [start, end] in
seconds, one end an integer and one null, both read as the video's end), 40 s (group 60, subtitles
as "HH:MM:SS.fff" strings on a clock starting 100 s before the clip, one entry before the clip),
200 s (group 600). The subtitles include one shorter than 1 s, ones with no frame strictly inside
their span, one exactly 1 s long, and a repeated entry. Questions have 4 or 5 options.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List

import pyarrow as pa
import pyarrow.parquet as pq

from evalkit.media.synthetic import write_video

from . import fresh


# video id -> (seconds, fps, duration group, starting_timestamp_for_subtitles, topic, subtitle entries)
VIDEOS: Dict[str, tuple] = {
    "lvbSmpl0001": (12, 4, 15, 0, "Synthetic: SY-Grey-Frames", [
        {"timestamp": [0.0, 1.0], "text": "Hello and welcome."},
        {"timestamp": [1.0, 2.5], "text": "Today we look at grey frames."},
        {"timestamp": [4.3, 4.6], "text": "Short."},
        {"timestamp": [6.0, 9], "text": "This line has an integer end."},
        {"timestamp": [11.0, None], "text": "This line has no end."},
        {"timestamp": [1.0, 2.5], "text": "Today we look at grey frames."},
    ]),
    "lvbSmpl0002": (40, 2, 60, 100.0, "Synthetic: SY-Brightness", [
        {"start": "00:01:42.000", "end": "00:01:46.000", "line": "Second video, first line."},
        {"start": "00:01:52.250", "end": "00:01:52.750", "line": "Quick."},
        {"start": "00:02:05.000", "end": "00:02:06.000", "line": "Exactly one second, from a frame's time."},
        {"start": "00:02:13.500", "end": "00:02:17.000", "line": "Near the end."},
        {"start": "00:01:30.000", "end": "00:01:35.000", "line": "Before the clip starts."},
    ]),
    "lvbSmpl0003": (200, 1, 600, 0, "Synthetic: SY-Long-Clip", [
        {"timestamp": [5.0, 20.0], "text": "A long grey clip begins."},
        {"timestamp": [60.0, 60.5], "text": "Blink."},
        {"timestamp": [120.0, 135.0], "text": "Halfway through the clip."},
        {"timestamp": [190.0, 199.0], "text": "The clip ends soon."},
    ]),
}

# (video id, question category, level, question, candidates, correct choice)
QUESTIONS: List[tuple] = [
    ("lvbSmpl0001", "S2E", "L1-Perception", "When the narrator says 'Short.', what is the frame's colour?",
     ["Red", "Green", "Grey", "Blue"], 2),
    ("lvbSmpl0001", "T3O", "L2-Relation", "What does the video show after the greeting?",
     ["Grey frames", "A cat", "A map", "Text on a board"], 0),
    ("lvbSmpl0002", "E2O", "L1-Perception", "Which object appears when the narrator says 'Quick.'?",
     ["A ball", "A book", "A chair", "A lamp", "No object, only grey"], 4),
    ("lvbSmpl0002", "O3O", "L2-Relation", "What happens to the brightness near the end?",
     ["It turns red", "It keeps cycling through grey levels", "It goes black", "It flashes white"], 1),
    ("lvbSmpl0003", "SSS", "L2-Relation", "How many times is 'Blink.' said?",
     ["Three", "Two", "Never", "Once"], 3),
    ("lvbSmpl0003", "TOS", "L2-Relation", "What is true of the clip's frames throughout?",
     ["They show faces", "They are flat grey", "They are coloured", "They are text", "They are blank white"], 1),
    ("lvbSmpl0003", "S2A", "L1-Perception", "When 'Halfway through the clip.' is said, what is shown?",
     ["A flat grey frame", "A person", "A dog", "A car"], 0),
]


def records() -> List[Dict[str, Any]]:
    out = []
    counts: Dict[str, int] = {}
    for vid, category, level, question, candidates, choice in QUESTIONS:
        seconds, _fps, group, offset, topic, _subs = VIDEOS[vid]
        n = counts[vid] = counts.get(vid, -1) + 1
        out.append({
            "video_id": vid, "id": f"{vid}_{n}", "video_path": f"{vid}.mp4", "subtitle_path": f"{vid}_en.json",
            "duration": float(seconds), "duration_group": group, "starting_timestamp_for_subtitles": offset,
            "question": question, "question_wo_referring_query": question.split(", ", 1)[-1],
            "candidates": candidates, "correct_choice": choice, "position": [0, seconds * 30],
            "topic_category": topic, "question_category": category, "level": level, "view_count": 1000 + n,
        })
    return out


def parquet_row(rec: Dict[str, Any]) -> Dict[str, Any]:
    """The validation parquet's row: option0..option4 padded with "N/A", no candidates list."""
    options = rec["candidates"] + ["N/A"] * (5 - len(rec["candidates"]))
    return {"video_id": rec["video_id"], "id": rec["id"], "video_path": rec["video_path"],
            "subtitle_path": rec["subtitle_path"], "correct_choice": rec["correct_choice"], "question": rec["question"],
            **{f"option{i}": o for i, o in enumerate(options)}, "duration": rec["duration"],
            "duration_group": rec["duration_group"], "question_category": rec["question_category"],
            "topic_category": rec["topic_category"],
            "starting_timestamp_for_subtitles": float(rec["starting_timestamp_for_subtitles"])}


def make() -> None:
    root = fresh("longvideobench")
    for vid, (seconds, fps, _group, _offset, _topic, subs) in VIDEOS.items():
        write_video(root / "videos" / f"{vid}.mp4", n_frames=seconds * fps, fps=fps, gop=8 * fps)
        path = root / "subtitles" / f"{vid}_en.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(subs, indent=1) + "\n", encoding="utf-8")
    recs = records()
    (root / "lvb_val.json").write_text(json.dumps(recs, indent=1) + "\n", encoding="utf-8")
    pq.write_table(pa.Table.from_pylist([parquet_row(r) for r in recs]), root / "validation-00000-of-00001.parquet")

