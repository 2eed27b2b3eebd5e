"""Time the video decoders on textured H.264 videos of several lengths (made once, cached in
--dir): PyAV with evalkit's read plan (keyframe seeks when targets are sparse), PyAV forced to
one sequential pass, and decord. Prints seconds (best of --repeat) and ratios to the one-pass
PyAV read, in one run; the sampled frames are the same in every column.

    python scripts/decode_bench.py --seconds 60 300 1800 --dir /tmp/decode-bench
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from evalkit.media import video as video_mod
from evalkit.media.sampling import SamplingSpec
from evalkit.media.synthetic import write_textured_video
from evalkit.media.video import decoder_unavailable, probe_video, read_plan, read_video


def best(path: Path, spec: SamplingSpec, decoder: str, repeat: int) -> float:
    """Seconds of the fastest of ``repeat`` reads."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        read_video(path, spec, decoder)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, nargs="+", default=[60, 300, 1800])
    parser.add_argument("--dir", default="/tmp/evalkit-decode-bench")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--max-frames", type=int, default=120)
    args = parser.parse_args()
    spec = SamplingSpec.paper(max_frames=args.max_frames, size=(336, 336))
    video_mod.quiet_decoders()
    for seconds in args.seconds:
        path = Path(args.dir) / f"textured-{int(seconds)}s.mp4"
        if not path.exists():
            write_textured_video(path, seconds)
        info = probe_video(path)
        plan = read_plan(info, read_video(path, spec).indices)
        sparse_below = video_mod.SPARSE_BELOW
        video_mod.SPARSE_BELOW = 0.0
        one_pass = best(path, spec, "pyav", args.repeat)
        video_mod.SPARSE_BELOW = sparse_below
        row = {"pyav (evalkit plan)": best(path, spec, "pyav", args.repeat)}
        if decoder_unavailable("decord") is None:
            row["decord"] = best(path, spec, "decord", args.repeat)
        cells = "  ".join(f"{k} {v:.2f}s ({v / one_pass:.2f}x)" for k, v in row.items())
        print(f"{seconds:>6.0f} s, {len(plan)} seek run(s): pyav one pass {one_pass:.2f}s (1.00x)  {cells}", flush=True)


if __name__ == "__main__":
    main()
