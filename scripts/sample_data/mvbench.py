"""The bundled MVBench sample (tasks/sample-data/mvbench/) in the authors' release layout, the HF
main branch's shape, unzipped: ``json/<task>.json`` for all 20 tasks (16 of them empty) and the sources
under ``video/<notebook folder>/``. Eight synthetic questions in four tasks:

* Action Sequence (bounded: start/end select part of a 12 s Charades-style clip), one question
  whose answer text is listed twice (the official gold is the LAST copy, C);
* Action Antonym (SSv2-style ``.webm``), plain;
* Moving Count (CLEVRER-style), one answer that is no candidate (official gold '@');
* Episodic Reasoning (bounded, a TVQA-style folder of 30 jpg frames ``00001.jpg``.., read at 3 fps).

Videos are flat grey frames (evalkit.media.synthetic); the questions are made up.
"""
from __future__ import annotations

import json

import numpy as np
from PIL import Image

from evalkit.media.synthetic import level_of, write_video

from . import fresh

TASK_FILES = (
    "action_sequence", "action_prediction", "action_antonym", "fine_grained_action", "unexpected_action",
    "object_existence", "object_interaction", "object_shuffle", "moving_direction", "action_localization",
    "scene_transition", "action_count", "moving_count", "moving_attribute", "state_change", "fine_grained_pose",
    "character_order", "egocentric_navigation", "episodic_reasoning", "counterfactual_inference",
)
CHARADES = "video/star/Charades_v1_480/SMPL1.mp4"
TVQA = "video/tvqa/frames_fps3_hq/friends_s01e01_seg01_clip_00"

QUESTIONS = {
    "action_sequence": [
        {"video": "SMPL1.mp4", "question": "What happened after the person took the box?",
         "candidates": ["Put down the box.", "Opened the door.", "Put down the box.", "Sat on the bed."],
         "answer": "Put down the box.", "start": 2.0, "end": 6.5},
        {"video": "SMPL1.mp4", "question": "Which object did the person hold first?",
         "candidates": ["The cup.", "The pillow.", "The book."], "answer": "The book.", "start": 5.3, "end": 10.0},
    ],
    "action_antonym": [
        {"video": "1001.webm", "question": "What is the action performed by the person in the video?",
         "candidates": ["Pushing something from left to right", "Pushing something from right to left", "Not sure"],
         "answer": "Pushing something from left to right"},
        {"video": "1002.webm", "question": "What is the action performed by the person in the video?",
         "candidates": ["Lifting something up", "Putting something down", "Not sure"],
         "answer": "Putting something down"},
    ],
    "moving_count": [
        {"video": "video_10000.mp4", "question": "How many metal objects are moving when the video ends?",
         "candidates": ["0", "1", "2", "3"], "answer": "2"},
        {"video": "video_10000.mp4", "question": "How many cubes enter the scene?",
         "candidates": ["0", "1", "2"], "answer": "4"},
    ],
    "episodic_reasoning": [
        {"video": "friends_s01e01_seg01_clip_00", "question": "Why does the man leave the room?",
         "candidates": ["To answer the phone.", "To get coffee.", "To find his keys.", "To open the door.",
                        "To call a friend."], "answer": "To open the door.", "start": 2.0, "end": 7.5},
        {"video": "friends_s01e01_seg01_clip_00", "question": "What is on the table at the start?",
         "candidates": ["A lamp.", "A cake.", "A book.", "A phone.", "A cup."], "answer": "A lamp.",
         "start": 0.4, "end": 4.0},
    ],
}


def make() -> None:
    root = fresh("mvbench")
    (root / "json").mkdir()
    for key in TASK_FILES:
        rows = QUESTIONS.get(key, [])
        (root / "json" / f"{key}.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    write_video(root / CHARADES, n_frames=48, fps=4, size=(32, 48), gop=16)  # 12 s
    for name in ("1001", "1002"):
        write_video(root / f"video/ssv2_video/{name}.webm", n_frames=12, fps=4, size=(32, 48), codec="libvpx-vp9",
                    gop=12)
    write_video(root / "video/clevrer/video_validation/video_10000.mp4", n_frames=16, fps=4, size=(32, 48), gop=16)
    folder = root / TVQA
    folder.mkdir(parents=True)
    for k in range(1, 31):  # 10 s at 3 fps, numbered from 1 as TVQA's frames are
        Image.fromarray(np.full((16, 24, 3), level_of(k - 1), np.uint8)).save(folder / f"{k:05d}.jpg", quality=90)

