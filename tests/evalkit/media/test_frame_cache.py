"""The frame cache gives exactly the uncached frames, survives kills and concurrent writers, and
stays within its size by dropping the least recently used entries."""
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from evalkit.media import frame_cache as fc
from evalkit.media.frame_cache import FrameCache, read_cached
from evalkit.media.sampling import SamplingSpec
from evalkit.media.video import read_video

SPEC = SamplingSpec.paper(max_frames=8, size=(24, 32))


def test_cached_frames_are_the_decoded_frames(videos, tmp_path):
    cache = FrameCache(tmp_path / "cache")
    plain = read_video(videos["long"], SPEC)
    first = read_cached(videos["long"], SPEC, "auto", cache)
    second = read_cached(videos["long"], SPEC, "auto", cache)
    assert (plain.frame_cache, first.frame_cache, second.frame_cache) == ("off", "miss", "hit")
    for got in (first, second):
        np.testing.assert_array_equal(got.frames, plain.frames)
        assert {k: v for k, v in got.facts().items() if k != "frame_cache"} == \
            {k: v for k, v in plain.facts().items() if k != "frame_cache"}


def test_key_follows_the_file_the_spec_and_the_decoder(videos, tmp_path):
    cache = FrameCache(tmp_path / "cache")
    key = cache.key(videos["short"], SPEC, "auto")
    assert key == cache.key(videos["short"], SPEC, "auto")
    assert key != cache.key(videos["short"], SamplingSpec.paper(max_frames=9, size=(24, 32)), "auto")
    assert key != cache.key(videos["short"], SPEC, "decord")
    copy = tmp_path / "short.mp4"
    copy.write_bytes(videos["short"].read_bytes())
    before = cache.key(copy, SPEC, "auto")
    os.utime(copy, ns=(1, 1))  # the file was replaced (another mtime)
    assert cache.key(copy, SPEC, "auto") != before


def test_a_kill_mid_write_leaves_no_entry(videos, tmp_path, monkeypatch):
    cache = FrameCache(tmp_path / "cache")
    key = cache.key(videos["short"], SPEC, "auto")

    def killed(*_):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(fc.os, "replace", killed)
        with pytest.raises(KeyboardInterrupt):
            read_cached(videos["short"], SPEC, "auto", cache)
    assert not cache.entry(key).exists()
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name.startswith(".tmp-")]
    assert read_cached(videos["short"], SPEC, "auto", cache).frame_cache == "miss"


def test_damaged_entries_and_stale_temporaries_go(videos, tmp_path):
    cache = FrameCache(tmp_path / "cache")
    key = cache.key(videos["short"], SPEC, "auto")
    cache.entry(key).write_bytes(b"PK\x03\x04 not a whole archive")
    stale = tmp_path / "cache" / ".tmp-killed"
    stale.write_bytes(b"x")
    os.utime(stale, (time.time() - 2 * fc.STALE_TMP_S,) * 2)
    assert read_cached(videos["short"], SPEC, "auto", cache).frame_cache == "miss"  # and rewritten
    assert not stale.exists()
    assert read_cached(videos["short"], SPEC, "auto", cache).frame_cache == "hit"


def test_least_recently_used_entries_are_evicted(videos, tmp_path):
    one = read_video(videos["short"], SPEC)
    cache = FrameCache(tmp_path / "cache")
    cache.put("a", one)
    entry_bytes = cache.entry("a").stat().st_size
    cache.max_bytes = int(2.5 * entry_bytes)  # room for two entries
    now = time.time()
    cache.put("b", one)
    os.utime(cache.entry("a"), (now - 100,) * 2)
    os.utime(cache.entry("b"), (now - 50,) * 2)
    assert cache.get("a") is not None  # used: now the most recent
    cache.put("c", one)
    assert sorted(p.stem for p in (tmp_path / "cache").glob("*.npz")) == ["a", "c"]


CONCURRENT = """
import sys
from pathlib import Path
from evalkit.media.frame_cache import FrameCache, read_cached
from evalkit.media.sampling import SamplingSpec
cache = FrameCache(Path(sys.argv[1]), max_gb=1)
for _ in range(5):
    v = read_cached(Path(sys.argv[2]), SamplingSpec.paper(max_frames=8, size=(24, 32)), "auto", cache)
    assert v.frames.shape == (8, 24, 32, 3), v.frames.shape
print("ok")
"""


def test_processes_share_one_cache(videos, tmp_path):
    procs = [subprocess.Popen([sys.executable, "-c", CONCURRENT, str(tmp_path / "cache"), str(videos["long"])],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 and out.strip() == "ok" for p, (out, _) in zip(procs, outs)), outs
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
    assert not list((tmp_path / "cache").glob(".tmp-*"))
