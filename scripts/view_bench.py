"""The sample viewer at full size: three runs of all 2,700 Video-MME-shaped questions on one page.

Writes a Video-MME-shaped set (900 short synthetic videos x 3 questions, with Video-MME's six
domains, 30 sub-categories, 12 task types and three duration groups, in the HF layout), runs it
three ways (a replay with sentence-long answers, a replay with letters that flip some answers,
and a model that decodes 16 frames per video), then measures:

* ``evalkit view`` of the three runs: generation time with thumbnails made (cold), found again
  (warm) and without thumbnails, the page's size and the thumbnail folder's;
* in headless Chromium (over its DevTools pipe, as tests/evalkit/reports/test_browser.py drives
  it), the page opened from disk: time to DOMContentLoaded and to the load event (the data parsed
  and the first page of samples drawn), the JS heap; then each filter change: the page's own
  time for it (filtering, the counts of every choice, drawing the page of samples) and the time
  to the next painted frame: task, a breakdown field, one run's outcome, flips between two runs,
  free-text search (from the end of its 120 ms typing pause), a page turn and reset.

    python scripts/view_bench.py                 # about two minutes on 2 cores
    python scripts/view_bench.py --json bench.json --workdir /tmp/view-bench --keep
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
DOMAINS = {
    "Knowledge": ["Humanity & History", "Literature & Art", "Biology & Medicine", "Finance & Commerce", "Astronomy",
                  "Geography", "Law", "Life Tip", "Technology"],
    "Film & Television": ["Animation", "Movie & TV Show", "Documentary", "News Report"],
    "Sports Competition": ["Esports", "Basketball", "Football", "Athletics", "Other Sports"],
    "Artistic Performance": ["Stage Play", "Magic Show", "Variety Show", "Acrobatics"],
    "Life Record": ["Handicraft", "Food", "Fashion", "Daily Life", "Travel", "Pet & Animal", "Exercise"],
    "Multilingual": ["Multilingual"],
}
TASK_TYPES = ["Temporal Perception", "Spatial Perception", "Attribute Perception", "Action Recognition",
              "Object Recognition", "OCR Problems", "Counting Problem", "Temporal Reasoning", "Spatial Reasoning",
              "Action Reasoning", "Object Reasoning", "Information Synopsis"]
REASONS = ["the person on the left picks up the cup before the scene changes", "the caption at the bottom names it",
           "three objects are visible when the camera pans", "the colour of the jacket matches the second option",
           "it happens after the crowd cheers, near the end of the video"]


def load_browser():
    """The DevTools-pipe driver of the browser tests."""
    path = ROOT / "tests" / "evalkit" / "reports" / "test_browser.py"
    spec = importlib.util.spec_from_file_location("viewer_browser", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_data(root: Path, n_videos: int, seed: int) -> Dict[str, str]:
    """The set, and the gold letter of every question."""
    from evalkit.media.synthetic import write_video

    rng = random.Random(seed)
    subs = [(d, s) for d, ss in DOMAINS.items() for s in ss]
    rows, gold = [], {}
    for v in range(1, n_videos + 1):
        vid, yt = f"{v:03d}", f"bench{v:06d}"
        write_video(root / "data" / f"{yt}.mp4", 40, fps=4, size=(48, 64))
        domain, sub = subs[v % len(subs)]
        for q in range(1, 4):
            answer = "ABCD"[rng.randrange(4)]
            words = " ".join(rng.choice(REASONS).split()[:8])
            rows.append({
                "video_id": vid, "duration": ("short", "medium", "long")[v % 3], "domain": domain,
                "sub_category": sub, "url": f"https://www.youtube.com/watch?v={yt}", "videoID": yt,
                "question_id": f"{vid}-{q}", "task_type": TASK_TYPES[(v * 3 + q) % len(TASK_TYPES)],
                "question": f"Question {q} about video {vid}: which of the following is true of what is shown "
                            f"when {words}?",
                "options": [f"{k}. Option {k} of question {vid}-{q}, describing {rng.choice(REASONS)}." for k in "ABCD"],
                "answer": answer,
            })
            gold[f"{vid}-{q}"] = answer
    (root / "videomme").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), root / "videomme" / "test-00000-of-00001.parquet")
    return gold


def evalkit(*args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "evalkit.cli", *args], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"evalkit {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def make_runs(work: Path, gold: Dict[str, str], seed: int) -> List[Path]:
    rng = random.Random(seed + 1)
    runs = work / "runs"
    wordy, letters = [], []
    for qid, g in gold.items():
        a = g if rng.random() < 0.61 else rng.choice("ABCD")
        b = g if rng.random() < 0.63 else rng.choice("ABCD")
        wordy.append({"id": qid, "response": f"The answer is {a}. In the video {rng.choice(REASONS)}, and "
                                             f"{rng.choice(REASONS)}, so option {a} fits best."})
        letters.append({"id": qid, "response": b})
    for name, rows in (("wordy", wordy), ("letters", letters)):
        path = work / f"{name}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        evalkit("run", "--task", "videomme", "--data", str(work / "data"), "--model", "replay",
                "--model-args", f"responses={path}", "--output", str(runs), "--run-name", name)
    evalkit("run", "--task", "videomme", "--data", str(work / "data"), "--model", "random",
            "--model-args", "decode=true,max_frames=16", "--output", str(runs), "--run-name", "frames16")
    return [runs / n for n in ("wordy", "letters", "frames16")]


def timed_view(runs: List[Path], page: Path, **options: Any) -> Dict[str, Any]:
    from evalkit.reports.viewer import ViewOptions, write_view

    start = time.perf_counter()
    view = write_view([str(r) for r in runs], page, ViewOptions(**options))
    return {"seconds": round(time.perf_counter() - start, 2), "samples": view.n_samples, "strips": view.strips,
            "made": view.made, "reused": view.reused}


# one filter change: the page's own time for it (filtering, counts, drawing the page of samples:
# window.evalkitViewer.timing()) and the time from the change to the next painted frame
SCRIPT_MS = "(() => { const t = window.evalkitViewer.timing(); return (t.filter_ms || 0) + (t.counts_ms || 0) + t.render_ms; })()"
CHANGE = """(async () => {
  const s = document.querySelector(%s);
  const t0 = performance.now();
  s.value = %s; s.dispatchEvent(new Event('change', {bubbles: true}));
  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  return [performance.now() - t0, +document.getElementById('count').dataset.n];
})()"""
# search waits 120 ms after the last keystroke: timed from the moment its result is on the page
SEARCH = """(async () => {
  const q = document.getElementById('f-q'), before = document.getElementById('count').textContent;
  q.value = %s; q.dispatchEvent(new Event('input', {bubbles: true}));
  const t0 = performance.now();
  while (document.getElementById('count').textContent === before && performance.now() - t0 < 5000)
    await new Promise(r => setTimeout(r, 1));
  const t1 = performance.now();
  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  return [performance.now() - t1, +document.getElementById('count').dataset.n];
})()"""
CLICK = """(async () => {
  const b = document.querySelector(%s), t0 = performance.now();
  b.click();
  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  return [performance.now() - t0, +document.getElementById('count').dataset.n];
})()"""


def in_browser(page: Path, repeats: int) -> Dict[str, Any]:
    drv = load_browser()
    binary = drv.find_chromium()
    if not binary:
        return {"skipped": "no Chromium on PATH"}
    out: Dict[str, Any] = {"loads": [], "filters": {}}
    with tempfile.TemporaryDirectory() as profile, drv.Browser(binary, Path(profile), timeout=120) as b:
        for _ in range(repeats):
            b.open("about:blank")
            start = time.perf_counter()
            b.open(page.as_uri())
            wall = time.perf_counter() - start
            nav = b.js("(() => { const n = performance.getEntriesByType('navigation')[0];"
                       "return [n.domContentLoadedEventEnd, n.loadEventEnd]; })()")
            out["loads"].append({"wall_s": round(wall, 3), "dom_content_loaded_ms": round(nav[0]),
                                 "load_event_ms": round(nav[1])})
        out["heap_mb"] = round(b.js("performance.memory ? performance.memory.usedJSHeapSize / 1e6 : -1"), 1)
        out["dom_nodes"] = b.js("document.getElementsByTagName('*').length")
        steps = [("task", CHANGE % ('"#f-task"', '"videomme"')),
                 ("duration=long", CHANGE % ('"#f-facet-0"', '"long"')),
                 ("task_type=Counting Problem", CHANGE % ('"#f-facet-3"', '"Counting Problem"')),
                 ("clear task_type", CHANGE % ('"#f-facet-3"', '""')),
                 ("", CHANGE % ('"#f-run"', '"1"')),
                 ("outcome wrong of run 2", CHANGE % ('"#f-outcome"', '"wrong"')),
                 ("clear outcome", CHANGE % ('"#f-outcome"', '""')),
                 ("clear duration", CHANGE % ('"#f-facet-0"', '""')),
                 ("flips A right, B wrong", CHANGE % ('"#f-flip"', '"down"')),
                 ("flips, other pair", CHANGE % ('"#f-b"', '"2"')),
                 ("clear flips", CHANGE % ('"#f-flip"', '""')),
                 ("search 'jacket'", SEARCH % '"jacket"'),
                 ("next page", CLICK % '"#pager-top button:last-child"'),
                 ("reset", CLICK % '"#f-reset"')]
        for _ in range(repeats):
            b.open(page.as_uri())
            for name, js in steps:
                frame_ms, n = b.js(js)
                script_ms = b.js(SCRIPT_MS)
                if js.startswith(SEARCH[:30]):  # from the result on the page: add the page's own work
                    frame_ms += script_ms
                if name:
                    out["filters"].setdefault(name, []).append((script_ms, frame_ms, n))
        out["filters"] = {k: {"script_ms": round(statistics.median(x[0] for x in v), 1),
                              "to_paint_ms": round(statistics.median(x[1] for x in v), 1), "samples_shown": v[0][2]}
                          for k, v in out["filters"].items()}
        out["console_problems"] = b.problems()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", help="where the set, runs and pages go (default: a temporary folder)")
    parser.add_argument("--videos", type=int, default=900, help="videos (3 questions each; default 900)")
    parser.add_argument("--repeats", type=int, default=3, help="browser loads and filter passes (median)")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the workdir")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="view-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        start = time.perf_counter()
        gold = make_data(work / "data", args.videos, args.seed)
        runs = make_runs(work, gold, args.seed)
        print(f"set and 3 runs of {len(gold)} questions made in {time.perf_counter() - start:.0f} s", flush=True)
        page = work / "pages" / "view.html"
        shutil.rmtree(page.parent, ignore_errors=True)
        figures: Dict[str, Any] = {"questions": len(gold), "runs": 3}
        figures["generate_cold"] = timed_view(runs, page)
        figures["generate_warm"] = timed_view(runs, page)
        figures["generate_no_thumbs"] = timed_view(runs, work / "pages" / "plain.html", thumbs=False)
        thumbs = page.with_name(page.stem + "_files")
        figures["page_mb"] = round(page.stat().st_size / 1e6, 2)
        figures["page_no_thumbs_mb"] = round((work / "pages" / "plain.html").stat().st_size / 1e6, 2)
        figures["thumbnails_mb"] = round(sum(p.stat().st_size for p in thumbs.iterdir()) / 1e6, 1)
        figures["thumbnail_files"] = sum(1 for p in thumbs.iterdir() if p.suffix == ".jpg")
        figures["browser"] = in_browser(page, args.repeats)
        print(json.dumps(figures, indent=2))
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
