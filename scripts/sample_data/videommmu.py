"""Regenerate the bundled Video-MMMU sample (tasks/sample-data/videommmu/), synthetic, in the HF
snapshot layout lmms-eval reads, with its videos unzipped as lmms-eval does:
``{Perception,Comprehension,Adaptation}/test-00000-of-00001.parquet`` (``id, question, options,
answer, question_type, link_selected, qa_type``; Adaptation also ``image``, which the prompt never
shows), ``<Discipline>/<id>.mp4`` and ``question_only/<id>_image.mp4`` (tiny flat-grey clips). Seven ids, three
questions each, cover what the authors' scorer treats specially: options already prefixed with
their letters (``validation_Economics_2``, Perception), an open numeric item
(``test_Energy_and_Power_7``, gold 7243000), open items with a letter gold
(``validation_Physics_21`` A, ``validation_Basic_Medical_Science_10`` C), the mislabelled
``validation_Accounting_13`` (question_type "None", 10 options, gold C) and the malformed gold of
``validation_Math_15``. The questions are made up; their scores mean nothing.
"""
from __future__ import annotations

from typing import Any, Dict, List

import pyarrow as pa
import pyarrow.parquet as pq

from evalkit.media.synthetic import write_video

from . import fresh, png

PARQUET = "test-00000-of-00001.parquet"
TEN = ["1, 1", "1, 2", "2, 1", "2, 2", "2, 3", "3, 2", "3, 3", "3, 4", "4, 3", "4, 4"]
SHADES = ["light grey", "dark grey", "white", "black", "red", "green", "blue", "yellow", "orange", "purple"]

# id -> (video folder, seconds, fps)
VIDEOS = {
    "dev_Biology_3": ("Science", 8, 2),
    "validation_Economics_2": ("Business", 6, 2),
    "test_Energy_and_Power_7": ("Engineering", 10, 2),
    "validation_Math_15": ("Science", 6, 2),
    "validation_Physics_21": ("Science", 4, 3),
    "validation_Accounting_13": ("Business", 6, 2),
    "validation_Basic_Medical_Science_10": ("Medicine", 8, 1),
}

# (id, question, options, answer, qa_type); Perception and Comprehension are all multiple choice
PERCEPTION = [
    ("dev_Biology_3", "The lecture shows two grey panels; how many stripes do they have respectively?",
     TEN, "G", "OCR"),
    ("validation_Economics_2", "Which ordering of the grey levels does the slide list?",
     [f"{k}. ({a}, {b})" for k, (a, b) in zip("ABCDEFGHIJ", [("L1", "L2"), ("L2", "L1"), ("L1", "L3"), ("L3", "L1"),
                                                            ("L2", "L3"), ("L3", "L2"), ("L1", "L1"), ("L2", "L2"),
                                                            ("L3", "L3"), ("L4", "L1")])], "A", "OCR"),
    ("test_Energy_and_Power_7", "What value does the narrator read out for the panel count?",
     ["12", "14", "16", "18", "20", "22", "24", "26", "28", "30"], "C", "ASR"),
    ("validation_Math_15", "In the worked example, the first value is ____ and the rate is ____.",
     TEN, "J", "OCR"),
    ("validation_Physics_21", "What is the last sentence the narrator says?",
     ["The frames get brighter.", "The frames get darker.", "The frames stay grey.", "The video ends."], "A", "ASR"),
    ("validation_Accounting_13", "Identify the tuple of (total, per unit) shown on the slide.",
     [f"(${t},000, ${u}.00)" for t, u in zip(range(100, 110), range(1, 11))], "J", "OCR"),
    ("validation_Basic_Medical_Science_10", "Which panels does the lecture colour first?",
     [", ".join(p) for p in (("A", "B"), ("B", "A"), ("A", "C"), ("C", "A"), ("B", "C"), ("C", "B"),
                             ("A", "D"), ("D", "A"), ("B", "D"), ("D", "B"), ("C", "D"), ("D", "C"),
                             ("A", "A"), ("B", "B"))], "B", "OCR"),
]
COMPREHENSION = [
    ("dev_Biology_3", "If each panel had one more stripe, what would they be called?",
     [f"left: {a}, right: {b}" for a, b in zip(SHADES, reversed(SHADES))], "F", "Concept Comprehension"),
    ("validation_Economics_2", "With the cap set at level 6 and 50 frames shown, how many frames remain?",
     ["Qd=100", "Qd=150", "Qd=120", "Qd=130", "Qd=140", "Qd=90", "Qd=70", "Qd=50", "Qd=60", "Qd=110"], "J",
     "Problem-solving Comprehension"),
    ("test_Energy_and_Power_7", "How does the brightness change over the lecture?",
     ["It cycles from dark to bright", "It stays constant", "It only gets darker", "It flashes red"], "A",
     "Concept Comprehension"),
    ("validation_Math_15", "If the rate doubled, how fast would the grey level change?",
     ["-32/15", "-24/15", "-32/5", "32/15", "-24/25", "32/5", "-2/3", "-3/2", "-36/15", "16/15"], "A",
     "Problem-solving Comprehension"),
    ("validation_Physics_21", "Which statements about the frames are correct?",
     ["Statement 1 only", "Statements 1 and 2", "Statements 2 and 3", "All three"], "D", "Concept Comprehension"),
    ("validation_Accounting_13", "If the frame count grows by 20%, what is the new total?",
     [f"(${t},760, ${u})" for t, u in zip(range(140, 150), ("5.10", "5.20", "5.30", "5.40", "5.45", "5.50",
                                                          "5.55", "5.60", "5.65", "5.70"))], "E",
     "Problem-solving Comprehension"),
    ("validation_Basic_Medical_Science_10", "Which of these is not mentioned as affected by the grey level?",
     ["DNA", "RNA", "Proteins", "Chitin", "Carbohydrates", "Water", "Enzymes", "Hormones", "Antibodies",
      "Amino acids"], "D", "Concept Comprehension"),
]
# (id, question, options, answer, question_type, qa_type)
ADAPTATION = [
    ("dev_Biology_3", "<image 1> What kind of frame is this, light or dark?", SHADES, "A",
     "multiple-choice", "Case Study Analysis"),
    ("validation_Economics_2", "<image 1> Suppose the grey level is capped at 130. What happens to the frames?",
     ["Levels below 130 appear, hence a surplus.", "Levels below 130 appear, hence a shortage.", "Not certain."],
     "B", "multiple-choice", "Case Study Analysis"),
    ("test_Energy_and_Power_7", "The plant in <image 1> runs for a year. How many frames does it emit in total?",
     [], "7243000", "open", "Problem-solving Adaptation"),
    ("validation_Math_15", "A 25-frame clip slides at 1 frame per second. How fast is the other end moving when "
     "it is 7 frames away? <image 1>", [], "['24/7', '3.429', '3.43]", "open", "Problem-solving Adaptation"),
    ("validation_Physics_21", "<image 1>Which of the points A, B, C or D shows the darkest frame? ", [], "A", "open",
     "Case Study Analysis"),
    ("validation_Accounting_13", "The studio incurs the following costs: <image 1> What is the conversion cost?",
     ["$52,000", "$62,000", "$72,000", "$82,000", "$92,000", "$102,000", "$12,000", "$22,000", "$32,000",
      "$42,000"], "C", "None", "Problem-solving Adaptation"),
    ("validation_Basic_Medical_Science_10", "Which arrow points to the brightest panel? <image 1>", [], "C", "open",
     "Case Study Analysis"),
]


def url(uid: str) -> str:
    return f"https://www.youtube.com/watch?v=sample{sum(map(ord, uid)):05d}"


def make() -> None:
    root = fresh("videommmu")
    for uid, (folder, seconds, fps) in VIDEOS.items():
        write_video(root / folder / f"{uid}.mp4", n_frames=seconds * fps, fps=fps, gop=4 * fps)
        write_video(root / "question_only" / f"{uid}_image.mp4", n_frames=4, fps=2, gop=4)
    table: List[Dict[str, Any]]
    for track, rows in (("Perception", PERCEPTION), ("Comprehension", COMPREHENSION)):
        table = [{"id": uid, "question": q, "options": opts, "answer": ans, "question_type": "multiple-choice",
                  "link_selected": url(uid), "qa_type": qa} for uid, q, opts, ans, qa in rows]
        (root / track).mkdir()
        pq.write_table(pa.Table.from_pylist(table), root / track / PARQUET)
    table = [{"id": uid, "question": q, "options": opts, "answer": ans, "question_type": qt,
              "link_selected": url(uid), "qa_type": qa, "image": {"bytes": png(16 * n + 8), "path": f"{uid}.png"}}
             for n, (uid, q, opts, ans, qt, qa) in enumerate(ADAPTATION)]
    (root / "Adaptation").mkdir()
    schema = pa.schema([("id", pa.string()), ("question", pa.string()), ("options", pa.list_(pa.string())),
                        ("answer", pa.string()), ("question_type", pa.string()), ("link_selected", pa.string()),
                        ("qa_type", pa.string()),
                        ("image", pa.struct([("bytes", pa.binary()), ("path", pa.string())]))])
    pq.write_table(pa.Table.from_pylist(table, schema=schema), root / "Adaptation" / PARQUET)

