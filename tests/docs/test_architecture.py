"""The worked examples of docs/architecture.md, run as written: a new video multiple-choice task
and a new model adapter, registered at run time and driven through the CLI."""
import json
import re
import types
from pathlib import Path

from evalkit.media.synthetic import write_video
from evalkit.registry import MODELS, TASKS

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def example(first_line: str) -> types.ModuleType:
    """The python block of the doc that starts with ``first_line``, executed as a module."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    (code,) = [b for b in blocks if b.startswith(first_line)]
    module = types.ModuleType(first_line.strip("# ").replace("/", "_"))
    exec(compile(code, str(DOC), "exec"), module.__dict__)
    return module


def test_the_documented_task_and_model_work_end_to_end(cli, tmp_path, register):
    register(TASKS, "colour_quiz", example("# tasks/colour_quiz.py").ColourQuiz)
    register(MODELS, "echo", example("# model_adapters/echo.py").Echo)
    root = tmp_path / "colour-quiz"
    rows = [{"id": f"v{i}", "question": "Which colour fills the video?", "options": ["grey", "red", "blue"],
             "answer": "A" if i < 3 else "B", "difficulty": "easy" if i % 2 else "hard"} for i in range(4)]
    (root / "videos").mkdir(parents=True)
    (root / "questions.json").write_text(json.dumps(rows))
    for r in rows:
        write_video(root / "videos" / f"{r['id']}.mp4", 6, fps=2)
    code, out = cli.run("--task", "colour_quiz", "--data", root, "--model", "echo")
    assert code == 0, out
    res = json.loads((cli.output / "r" / "results.json").read_text())["tasks"]["colour_quiz"]
    assert res["metrics"]["accuracy"] == 75.0 and res["n"] == 4  # echo answers A; three golds are A
    assert res["official_ref"]["documented_rule"] == "ColourQuiz README, 'Scoring'"
    assert set(res["breakdown"]["difficulty"]) == {"easy", "hard"}
    recs = [json.loads(x) for x in (cli.output / "r" / "colour_quiz" / "predictions.jsonl").read_text().splitlines()]
    assert recs[0]["fields"]["options"] == ["grey", "red", "blue"]
    assert recs[0]["media"]["n_frames"] == 3 and recs[0]["media"]["frame_size"] == [64, 64]  # 3 s at 1 fps
