"""Shared fixtures: tiny real videos, a writable copy of the bundled samples, the CLI in-process."""
from __future__ import annotations

import json
import shutil
from fractions import Fraction
from pathlib import Path

import pytest

from evalkit.cli import main
from evalkit.data import samples_root
from evalkit.media.synthetic import write_video


@pytest.fixture(scope="session")
def videos(tmp_path_factory) -> dict:
    """Real encoded clips: name -> path. Frame i is grey level evalkit.media.synthetic.level_of(i)."""
    d = tmp_path_factory.mktemp("videos")
    return {
        "short": write_video(d / "short.mp4", 48, fps=4),  # 12 s
        "long": write_video(d / "long.mp4", 300, fps=2, gop=25),  # 150 s
        "ntsc": write_video(d / "ntsc.mp4", 90, fps=Fraction(30000, 1001)),  # 29.97 fps, 3.003 s
        "vfr": write_video(d / "vfr.mp4", 10, fps=10, pts_seconds=[0, .1, .5, .6, 1.7, 2.0, 2.05, 3.5, 4.0, 4.9]),
        "mkv": write_video(d / "clip.mkv", 20, fps=5),
    }


@pytest.fixture
def videomme_copy(tmp_path) -> Path:
    """A writable copy of the bundled Video-MME sample, to break in tests."""
    dst = tmp_path / "videomme"
    shutil.copytree(samples_root() / "videomme", dst)
    return dst


class CLI:
    def __init__(self, capsys, output: Path):
        self.capsys = capsys
        self.output = output

    def __call__(self, *args: str) -> tuple:
        code = main([str(a) for a in args])
        out = self.capsys.readouterr()
        return code, out.out + out.err

    def run(self, *args: str, name: str = "r") -> tuple:
        return self("run", "--output", self.output, "--run-name", name, *args)


@pytest.fixture
def cli(capsys, tmp_path) -> CLI:
    return CLI(capsys, tmp_path / "runs")


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def jsonl():
    return write_jsonl


@pytest.fixture(scope="session", autouse=True)
def isolated_cache(tmp_path_factory):
    """Presets (the tiny Dynamic-VLM) are built into a per-session cache, not ~/.cache."""
    import os

    old = os.environ.get("EVALKIT_CACHE")
    os.environ["EVALKIT_CACHE"] = str(tmp_path_factory.mktemp("evalkit-cache"))
    yield
    if old is None:
        os.environ.pop("EVALKIT_CACHE", None)
    else:
        os.environ["EVALKIT_CACHE"] = old


@pytest.fixture(autouse=True)
def isolated_hf_home(tmp_path_factory, monkeypatch):
    """No test reads the machine's own HF cache or LMUData: empty folders unless a test fills them."""
    monkeypatch.setenv("HF_HOME", str(tmp_path_factory.mktemp("hf-home")))
    monkeypatch.setenv("LMUData", str(tmp_path_factory.mktemp("lmudata")))  # nor VLMEvalKit's ~/LMUData
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HUGGINGFACE_HUB_CACHE", raising=False)


def hub_snapshot(hf_home: Path, repo: str, revision: str, files: dict) -> Path:
    """A dataset snapshot in the hub cache's own structure (blobs, refs, snapshot symlinks):
    ``files`` maps a path in the repo to the local file whose bytes it holds."""
    repo_dir = hf_home / "hub" / f"datasets--{repo.replace('/', '--')}"
    snap = repo_dir / "snapshots" / revision
    (repo_dir / "refs").mkdir(parents=True, exist_ok=True)
    (repo_dir / "refs" / "main").write_text(revision)
    for rel, src in files.items():
        data = Path(src).read_bytes()
        import hashlib

        blob = repo_dir / "blobs" / hashlib.sha256(data).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
        link = snap / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(blob)
    return snap


@pytest.fixture
def same_as():
    """Assert that ``loaded`` has the ids, targets, options and prompts of ``native``."""

    def check(task, loaded, native) -> None:
        assert [s.id for s in loaded.samples] == [s.id for s in native.samples]
        assert [s.target for s in loaded.samples] == [s.target for s in native.samples]
        assert [s.choices for s in loaded.samples] == [s.choices for s in native.samples]
        assert [s.cluster for s in loaded.samples] == [s.cluster for s in native.samples]
        prompts = [[task.build_request(s, None).text for s in d.samples] for d in (loaded, native)]
        assert prompts[0] == prompts[1]
        assert all((s.video is None or s.video.is_file()) and all(p.is_file() for p in s.images) for s in loaded.samples)

    return check


@pytest.fixture
def videomme_targets() -> dict:
    """The sample's gold letters: a replay of these is 100% right."""
    return dict(VIDEOMME_TARGETS)


VIDEOMME_TARGETS = {"001-1": "C", "001-2": "B", "001-3": "A", "002-1": "C", "002-2": "B", "002-3": "A",
                    "003-1": "C", "003-2": "B", "003-3": "A", "004-1": "C", "004-2": "B", "004-3": "A"}


@pytest.fixture
def replay_run(cli, tmp_path):
    """Make a Video-MME replay run named ``name`` from {id: response}; returns its dir."""

    def make(name: str, responses: dict, task: str = "videomme", extra: tuple = ()) -> Path:
        path = write_jsonl(tmp_path / f"{name}.jsonl", [{"id": k, "response": v} for k, v in responses.items()])
        code, out = cli.run("--task", task, "--data", "sample", "--model", "replay",
                            "--model-args", f"responses={path}", *extra, name=name)
        assert code == 0, out
        return cli.output / name

    return make


@pytest.fixture
def replay_scores(cli):
    """Score a replay file on ``task``'s bundled sample as run ``name``; returns the task's
    ``by_protocol`` (what an imported file is checked against)."""

    def score(task: str, responses: Path, name: str = "imported") -> dict:
        code, out = cli.run("--task", task, "--data", "sample", "--model", "replay",
                            "--model-args", f"responses={responses}", name=name)
        assert code == 0, out
        return json.loads((cli.output / name / "results.json").read_text())["tasks"][task]["by_protocol"]

    return score


@pytest.fixture
def register():
    """Register test tasks and models for one test only, so what other tests loop over never
    depends on test order: ``register(MODELS, "name", Class)``."""
    added = []

    def add(registry, name, factory):
        registry.register(name, factory)
        added.append((registry, name))
        return factory

    yield add
    for registry, name in added:
        registry.unregister(name)
