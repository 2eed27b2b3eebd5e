"""Regenerate the bundled NExT-QA sample (tasks/sample-data/nextqa/), synthetic, in the authors'
release layout: ``val.csv`` (the release's columns), ``map_vid_vidorID.json`` and
``NExTVideo/<folder>/<video>.mp4`` (tiny flat-grey clips). Ten questions on three
videos cover every eval_mc type, TP included (counted as TN), non-contiguous qids, an option
written with trailing spaces (lmms-eval strips it) and an option text repeated at two indices
(neither the gold, as in val.csv).
"""
from __future__ import annotations

import csv
import json

from evalkit.media.synthetic import write_video

from . import fresh

COLUMNS = ["video", "frame_count", "width", "height", "question", "answer", "qid", "type",
           "a0", "a1", "a2", "a3", "a4"]
# (video, folder under NExTVideo, seconds, fps)
VIDEOS = [("2400000001", "0007", 6, 2), ("2400000002", "0012", 8, 2), ("2400000003", "1001", 4, 3)]
# (video, qid, type, question, options, gold index)
QUESTIONS = [
    ("2400000001", 0, "CW", "why does the picture get brighter towards the end",
     ["the lights are switched off", "the camera is covered", "the grey level keeps rising",
      "a door opens", "the video is paused"], 2),
    ("2400000001", 3, "CH", "how does the picture change over time",
     ["it cycles from dark to bright", "it turns red", "it stays the same", "it zooms in", "it shakes"], 0),
    ("2400000001", 4, "TN", "what happens after the screen turns dark",
     ["it turns blue", "it freezes", "it goes black", "it shows text", "it becomes brighter again"], 4),
    ("2400000001", 7, "TP", "what did the screen show before it turned bright",
     ["a red square", "a dark grey frame", "a cat", "a map", "nothing"], 1),
    ("2400000002", 1, "TC", "when does the video become brightest",
     ["at the start", "never", "in the first second", "near the end of each cycle", "when it is paused"], 3),
    ("2400000002", 2, "DC", "how many distinct grey levels appear",
     ["one", "two", "three", "sixteen", "two"], 3),
    ("2400000002", 5, "DL", "where is the video recorded",
     ["on a computer", "in a kitchen", "at a beach", "in a park", "on a stage"], 0),
    ("2400000003", 0, "DO", "what colour are the frames",
     ["red", "green", "blue", "grey   ", "yellow"], 3),
    ("2400000003", 6, "CW", "why is there no sound",
     ["the speaker is broken", "the clip is synthetic", "everyone is asleep", "it is muted by a cat",
      "the music stopped"], 1),
    ("2400000003", 8, "CH", "how does the clip end",
     ["with a fade to black", "with the brightest frame", "with a title card", "it loops forever",
      "with a cut to red"], 1),
]


def make() -> None:
    root = fresh("nextqa")
    frames = {}
    for video, folder, seconds, fps in VIDEOS:
        frames[video] = seconds * fps
        write_video(root / "NExTVideo" / folder / f"{video}.mp4", n_frames=seconds * fps, fps=fps, gop=4 * fps)
    (root / "map_vid_vidorID.json").write_text(
        json.dumps({video: f"{folder}/{video}" for video, folder, _, _ in VIDEOS}) + "\n", encoding="utf-8")
    with (root / "val.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        for video, qid, qtype, question, options, answer in QUESTIONS:
            writer.writerow([video, frames[video], 64, 48, question, answer, qid, qtype, *options])

