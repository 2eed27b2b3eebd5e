"""Write a Video-MME-shaped benchmark set: N videos x 3 questions, with subtitles, in Video-MME's
own layout (``videomme/test-*.parquet``, ``data/<videoID>.mp4``, ``subtitle/<videoID>.srt``).

The videos are textured pans encoded as ordinary H.264 (B-frames, a keyframe every 10 s), so
decoding them costs about what real videos of that length and size cost. For ``evalkit bench``:

    python scripts/make_bench_set.py --videos 10 --seconds 300 --out /tmp/videomme-bench
    evalkit bench --task videomme_w_subtitle --data /tmp/videomme-bench --model dynamic-vlm --model-args preset=tiny
"""
from __future__ import annotations

import argparse
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from evalkit.media.synthetic import write_srt, write_textured_video


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--size", default="360x640", help="HEIGHTxWIDTH (default 360x640)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    root = Path(args.out)
    height, width = (int(x) for x in args.size.split("x"))
    rows = []
    for v in range(1, args.videos + 1):
        vid, yt = f"{v:03d}", f"bench{v:06d}"
        write_textured_video(root / "data" / f"{yt}.mp4", args.seconds, fps=25, size=(height, width), seed=v)
        write_srt(root / "subtitle" / f"{yt}.srt",
                  [(t, t + 2.5, f"Line at second {t} of video {vid}.") for t in range(0, int(args.seconds), 5)])
        for q in range(1, 4):
            rows.append({
                "video_id": vid, "duration": "medium", "domain": "Knowledge", "sub_category": "Technology",
                "url": f"https://www.youtube.com/watch?v={yt}", "videoID": yt, "question_id": f"{vid}-{q}",
                "task_type": "Object Recognition", "question": f"Question {q}: which direction does the texture move?",
                "options": ["A. Left.", "B. Right.", "C. Up.", "D. It does not move."], "answer": "A",
            })
        print(f"wrote video {v} of {args.videos}", flush=True)
    (root / "videomme").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), root / "videomme" / "test-00000-of-00001.parquet")


if __name__ == "__main__":
    main()
