"""Write the bundled LVBench sample (tasks/sample-data/lvbench/) in the authors' layout: the HF
release's ``video_info.meta.jsonl`` (one line per video with its ``qa`` list) and the videos named
by key under ``videos/``.

Two short flat-grey clips stand in for the hour-long YouTube videos (24 s at 2 fps, 40 s at 1 fps)
with 9 questions: questions with one, two and three types, every type of the six, uids written as
text and as integers (the authors' scorer compares them as text). ``replies.jsonl`` is an evalkit
replay file (``{"id", "response"}``) whose replies hit the official reader's quirks: a letter after
"Answer:", the last of two parenthesised letters, a capital D inside "Definitely", an opening letter
beating a closing one, a ``<think>`` block, and replies it reads as nothing (lower case, "E"), which
leave the official denominator, so that no temporal-grounding question is answered.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List

from evalkit.media.synthetic import write_video

from . import fresh


# key -> (genre, seconds, fps, questions: (uid, question, options, answer, types, time reference))
VIDEOS: Dict[str, tuple] = {
    "LVBsmplVid1": ("cartoon", 24, 2, [
        ("1", "What colour are the frames of the video?", ["Red", "Shades of grey", "Green", "Blue"], "B",
         ["entity recognition"], "00:00-00:24"),
        (2, "How does the brightness change over the video?",
         ["It stays constant", "It only gets darker", "It cycles from dark to bright", "It flashes red"], "C",
         ["event understanding", "reasoning"], "00:00-00:24"),
        ("3", "What year appears in the opening caption of the video?", ["1636", "1366", "1363", "1633"], "D",
         ["key information retrieval"], "00:00-00:02"),
        ("4", "When are the frames brightest for the first time?",
         ["00:03-00:05", "00:06-00:08", "00:10-00:12", "00:20-00:22"], "B", ["temporal grounding"], ""),
        ("5", "Which sentence summarises the video, and why does it look that way?",
         ["Grey frames repeat a brightness ramp because the levels wrap around",
          "A cartoon cat chases a mouse", "A football match ends in a draw", "A cooking show bakes bread"], "A",
         ["summarization", "event understanding", "reasoning"], "00:00-00:24"),
    ]),
    "LVBsmplVid2": ("documentary", 40, 1, [
        (101, "What is shown in every frame?", ["A flat grey picture", "A landscape", "A face", "A text page"], "A",
         ["entity recognition"], "00:00-00:40"),
        ("102", "At what time does the first dark frame after the opening appear?",
         ["00:05", "00:10", "00:12", "00:15"], "D", ["temporal grounding", "key information retrieval"],
         "00:14-00:16"),
        ("103", "Why do the grey levels repeat?",
         ["The camera moves", "The lights flicker", "The levels wrap around after 15 frames", "It is night"], "C",
         ["reasoning"], "00:00-00:40"),
        ("104", "What does the documentary show overall?",
         ["A city at night", "Grey frames growing brighter and darker in turn", "A river", "A concert"], "B",
         ["summarization"], "00:00-00:40"),
    ]),
}

# replay replies (uid -> reply) and what lmms-eval's reader makes of them (in the comment)
REPLIES: Dict[str, str] = {
    "1": "Answer: B",  # B (right; lmms-eval's first reader took the A of "Answer")
    "2": "I think (C) or (A)",  # A: the last parenthesised letter (wrong)
    "3": "Definitely",  # D: no other mark, so any capital A-D, here inside the word (right)
    "4": "c",  # '': lower case is no letter (unanswered: out of the denominator)
    "5": "B or A? I'd say A",  # B: an opening letter outranks a closing one (wrong)
    "101": "<think>The answer is B</think>A",  # A: the reasoning block is removed first (right)
    "102": "E",  # '': only A-D are letters (unanswered)
    "103": "Based on the video, C",  # C: the closing letter, not the B of "Based" (right)
    "104": "The answer is B",  # B (right)
}


def make() -> None:
    root = fresh("lvbench")
    lines: List[Dict[str, Any]] = []
    for key, (genre, seconds, fps, questions) in VIDEOS.items():
        write_video(root / "videos" / f"{key}.mp4", n_frames=seconds * fps, fps=fps, gop=4 * fps)
        qa = [{"uid": uid, "question": "\n".join([q] + [f"({chr(ord('A') + i)}) {o}" for i, o in enumerate(opts)]),
               "answer": answer, "question_type": types, "time_reference": tr}
              for uid, q, opts, answer, types, tr in questions]
        lines.append({"key": key, "type": genre,
                      "video_info": {"duration_minutes": seconds / 60, "fps": float(fps),
                                     "resolution": {"width": 64, "height": 48}},
                      "qa": qa})
    (root / "video_info.meta.jsonl").write_text("".join(json.dumps(v) + "\n" for v in lines), encoding="utf-8")
    (root / "replies.jsonl").write_text("".join(json.dumps({"id": k, "response": v}) + "\n"
                                                for k, v in REPLIES.items()), encoding="utf-8")

