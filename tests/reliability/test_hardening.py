"""Hardening: one test per case of the hardening issue, each reproducing the defect through the
public CLI (``cli`` fixture: ``evalkit.cli.main`` in-process) or a named public function, and
asserting the fixed behaviour.

The cases, by the issue's headings:

* runs that can never finish (a frame cache over a missing video, rich markup in printed text, a
  response holding a lone surrogate);
* secrets and provenance (credentials in a URL's query, the run directory's ``.lock``, the
  endpoint ``OPENAI_BASE_URL`` chose);
* errors that are tracebacks: a user error is exit code 2 and one ``error: ...`` line naming the
  offending file or value (``user_error`` below), never an exception out of ``main()``;
* silently wrong results (a frame-cache limit of 0, an image renamed .mp4 that data check
  passes, judging or exporting a run still being written, a skipped subtitle cue, a sweep over
  file paths, an edited replay file, spreadsheet formulas, a video without a video stream).

Everything is offline (the loopback server of ``evalkit.judge.server``), uses the bundled
sample data or a copy of it under ``tmp_path``, and runs in seconds. Each test is marked with
the number of the issue's item it reproduces (``# issue item N``).
"""
from __future__ import annotations

import builtins
import errno
import io
import json
import os
import sys
from pathlib import Path

import pandas as pd
import pytest

from evalkit.data import samples_root
from evalkit.judge.server import MockJudgeServer
from evalkit.store import RunDir
from evalkit.tasks.videomme import PARQUET

VIDEOMME = ("--task", "videomme", "--data", "sample")
DECODE = ("--model", "random", "--model-args", "decode=true,max_frames=4")
JUDGE_MODEL = "gpt-4o-mini-2024-07-18"
API_KEY = "sk-hardening-test-key"


# --- helpers ---------------------------------------------------------------------------------

def user_error(code: int, out: str, *names: str) -> str:
    """A user error as the CLI must report it: exit code 2, no traceback, exactly one
    ``error:`` line (the last thing printed, so the message is one line), naming ``names``.
    Returns that line."""
    assert code == 2, out
    assert "Traceback" not in out, out
    lines = [ln for ln in out.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.lstrip().startswith("error:")]
    assert len(errors) == 1 and lines[-1] == errors[0], out
    for name in names:
        assert name in errors[0], (name, out)
    return errors[0]


def prose(out: str, *paths: Path) -> str:
    """``out`` on one line without the given paths (whose names hold the test's name), so that a
    word looked for is the program's, not a folder's."""
    text = " ".join(out.split())
    for p in paths:
        text = text.replace(str(p), "<path>")
    return text


def records(run: Path, task: str = "videomme") -> list:
    """The records of ``task``, read strictly: the file must be valid UTF-8 JSON lines."""
    text = (run / task / "predictions.jsonl").read_bytes().decode("utf-8")
    return [json.loads(x) for x in text.splitlines() if x.strip()]


def effective(run: Path, task: str = "videomme") -> list:
    """The records that count (the last one of each id, as scoring reads them)."""
    return RunDir(run).records(task)


def results(run: Path, task: str = "videomme") -> dict:
    return json.loads((run / "results.json").read_text(encoding="utf-8"))["tasks"][task]


def files_holding(root: Path, secret: str) -> list:
    """Every file under ``root`` (hidden ones included) whose bytes contain ``secret``."""
    found = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            if path.is_file() and secret.encode() in path.read_bytes():
                found.append(path)
    return found


def write_lines(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def replay_args(path: Path) -> tuple:
    return ("--model", "replay", "--model-args", f"responses={path}")


def sample_rows() -> list:
    """The bundled Video-MME sample's rows, in dataset order."""
    return pd.read_parquet(samples_root() / "videomme" / PARQUET).to_dict("records")


def lmms_eval_log(folder: Path, extra=(), with_ids: bool = True) -> Path:
    """A Video-MME lmms-eval samples log (see tests/evalkit/test_importers.py), plus ``extra`` lines."""
    lines = []
    for doc_id, row in enumerate(sample_rows()):
        line = {"doc_id": doc_id, "target": row["answer"], "filtered_resps": "A", "doc_hash": "0" * 64,
                "input": "Select the best answer..."}
        if with_ids:
            line["videomme_perception_score"] = {"question_id": row["question_id"], "answer": row["answer"]}
        lines.append(line)
    return write_lines(folder / "model" / "20261124_101010_samples_videomme.jsonl", [*lines, *extra])


def openai_chat_args(base_url: str) -> tuple:
    return ("--model", "openai-chat", "--model-args",
            f"model=m,base_url={base_url},max_frames=2,image_size=32,max_retries=0,timeout_s=10")


@pytest.fixture
def served(monkeypatch):
    """The loopback OpenAI-compatible server, with a key in the environment."""
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    with MockJudgeServer() as server:
        yield server


@pytest.fixture
def open_qa_run(cli, tmp_path, monkeypatch):
    """A replayed msvd_qa run to judge; ``make(responses)`` returns its dir."""
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)

    def make(responses=("grey", "yes", "grey", "yes"), name: str = "r") -> Path:
        ids = ["msvd_qa_0_0", "msvd_qa_0_1", "msvd_qa_1_0", "msvd_qa_1_1"]
        path = write_lines(tmp_path / f"{name}.jsonl", [{"id": i, "response": r} for i, r in zip(ids, responses)])
        code, out = cli.run("--task", "msvd_qa", "--data", "sample", *replay_args(path), name=name)
        assert code == 0, out
        return cli.output / name

    return make


def judge(cli, run: Path, base_url: str, *extra: str):
    return cli("judge", run, "--judge-model", JUDGE_MODEL, "--base-url", base_url, "--max-retries", "0",
               "--max-reasks", "0", *extra)


class FailingModelServer(MockJudgeServer):
    """A served model that refuses every request with an error body quoting ``[/INST]``."""

    def answer_model(self, h, body, content) -> None:
        self.count(h, "refused")
        self.send(h, 400, {"error": {"message": "the prompt must end with [/INST]", "type": "invalid_request_error"}})


class LoneSurrogateJudge(MockJudgeServer):
    """A judge whose replies hold a lone surrogate (sent JSON-escaped, as a server may)."""

    def handle(self, h, body) -> None:
        self.count(h, "judge")
        self.bodies.append(body)
        reply = {"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": body.get("model"),
                 "choices": [{"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": "{'pred': 'yes', 'score': 5} \ud800"}}],
                 "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}
        self.send(h, 200, reply)


def read_only(monkeypatch, root: Path, err: int = errno.EACCES) -> None:
    """Make ``root`` behave as a read-only folder for this process (chmod does not stop root):
    opening a file under it for writing, creating, renaming or removing there raise
    ``OSError(err)`` naming the path, as the kernel would. Reading is unchanged."""
    root_s = str(root.resolve())

    def under(path) -> bool:
        if isinstance(path, int):
            return False
        p = os.path.abspath(os.fspath(path))
        return p == root_s or p.startswith(root_s + os.sep)

    def refuse(path):
        raise (PermissionError if err == errno.EACCES else OSError)(err, os.strerror(err), os.fspath(path))

    real_os_open, real_open = os.open, io.open
    writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

    def os_open(path, flags, *args, **kwargs):
        if flags & writing and under(path):
            refuse(path)
        return real_os_open(path, flags, *args, **kwargs)

    def py_open(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+") and under(file):
            refuse(file)
        return real_open(file, mode, *args, **kwargs)

    def guard(real, *positions):
        def wrapped(*args, **kwargs):
            for i in positions:
                if i < len(args) and under(args[i]):
                    refuse(args[i])
            return real(*args, **kwargs)
        return wrapped

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(io, "open", py_open)
    monkeypatch.setattr(builtins, "open", py_open)
    for name, positions in (("replace", (0, 1)), ("rename", (0, 1)), ("unlink", (0,)), ("remove", (0,)),
                            ("mkdir", (0,)), ("rmdir", (0,))):
        monkeypatch.setattr(os, name, guard(getattr(os, name), *positions))


# --- runs that can never finish ----------------------------------------------------------------

# issue item 1
@pytest.mark.parametrize("how", ["missing", "symlink_loop"])
def test_frame_cache_run_over_a_missing_video_finishes(cli, videomme_copy, tmp_path, how):
    video = videomme_copy / "data" / "smpl0000002.mp4"
    video.unlink()
    if how == "symlink_loop":
        os.symlink(video.name, video)  # the link points at itself: ELOOP
    code, out = cli.run("--task", "videomme", "--data", videomme_copy, *DECODE,
                        "--frame-cache", tmp_path / "frames")
    assert code == 0, out
    recs = {r["id"]: r for r in records(cli.output / "r")}
    assert len(recs) == 12
    assert all(recs[i]["error"] for i in ("002-1", "002-2", "002-3"))
    assert all(r["error"] is None for i, r in recs.items() if not i.startswith("002-"))
    res = results(cli.output / "r")
    assert res["n_failed"] == 3 and res["n"] == 12


# issue item 2a
def test_a_served_model_error_quoting_inst_markup_is_printed_not_fatal(cli, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    with FailingModelServer() as server:
        code, out = cli.run(*VIDEOMME, *openai_chat_args(server.base_url))
    assert code == 0, out
    assert server.requests > 0 and "[/INST]" in prose(out)  # the reason, shown as it is
    assert results(cli.output / "r")["n_failed"] == 12


# issue item 2a
def test_a_replay_error_naming_a_path_with_markup_is_printed_not_fatal(cli, tmp_path):
    path = write_lines(tmp_path / "x[" / "]y.jsonl", [{"id": "001-1", "response": "C"}])  # the path holds "[/]"
    assert "[/]" in str(path)
    code, out = cli.run(*VIDEOMME, *replay_args(path))
    assert code == 0, out
    assert "[/]" in prose(out)  # the failures' reason, shown as it is
    res = results(cli.output / "r")
    assert res["n_failed"] == 11 and res["n"] == 12


# issue item 2b
def test_a_run_name_holding_markup_is_a_one_line_error(cli):
    code, out = cli.run(*VIDEOMME, "--model", "random", name="a[/]b")
    user_error(code, out, "a[/]b")


# issue item 2c
def test_an_import_key_holding_markup_is_listed_not_fatal(cli, tmp_path):
    extra = {"doc_id": 99, "target": "A", "filtered_resps": "B", "doc_hash": "0" * 64, "input": "...",
             "videomme_perception_score": {"question_id": "[/x]", "answer": "A"}}
    log = lmms_eval_log(tmp_path / "logs", [extra])
    out_file = tmp_path / "imported.jsonl"
    code, out = cli("import", "lmms-eval", log, "--task", "videomme", "--data", "sample", "-o", out_file)
    assert code == 0, out
    assert "[/x]" in prose(out)  # the unmapped row's key, shown as it is
    assert len(out_file.read_text().splitlines()) == 12
    unmapped = [json.loads(x) for x in Path(str(out_file) + ".unmapped.jsonl").read_text().splitlines()]
    assert len(unmapped) == 1 and "[/x]" in unmapped[0]["reason"]


# issue item 3
def test_a_replayed_response_with_a_lone_surrogate_is_recorded_and_scored(cli, tmp_path, videomme_targets):
    path = tmp_path / "responses.jsonl"
    lines = [json.dumps({"id": i, "response": r}) for i, r in videomme_targets.items() if i != "001-1"]
    path.write_text('{"id": "001-1", "response": "B \\ud800"}\n' + "\n".join(lines) + "\n", encoding="utf-8")
    assert json.loads(path.read_text().splitlines()[0])["response"] == "B \ud800"  # valid JSON, lone surrogate
    code, out = cli.run(*VIDEOMME, *replay_args(path))
    assert code == 0, out
    recs = {r["id"]: r for r in records(cli.output / "r")}  # decodes as UTF-8
    assert len(recs) == 12
    first = recs["001-1"]
    assert first["error"] is None and first["response"].startswith("B")
    assert first["parsed"]["official"] == "B" and first["score"]["official"] == 0  # target C
    res = results(cli.output / "r")
    assert res["n"] == 12 and res["n_failed"] == 0


# issue item 3
def test_a_judge_reply_with_a_lone_surrogate_is_judged_and_written(cli, open_qa_run):
    run = open_qa_run()
    with LoneSurrogateJudge() as server:
        code, out = judge(cli, run, server.base_url)
    assert code == 0, out
    assert server.requests >= 4
    verdict_file = run / "msvd_qa" / "judgements" / f"{JUDGE_MODEL}.jsonl"
    verdicts = [json.loads(x) for x in verdict_file.read_bytes().decode("utf-8").splitlines()]
    assert sorted(v["id"] for v in verdicts) == ["msvd_qa_0_0", "msvd_qa_0_1", "msvd_qa_1_0", "msvd_qa_1_1"]
    assert JUDGE_MODEL in results(run, "msvd_qa")["judges"]


# --- secrets and provenance ----------------------------------------------------------------------

# issue item 4
def test_a_served_model_url_query_secret_is_never_written(cli, served):
    url = served.base_url + "?api-key=SECRET123"
    code, out = cli.run(*VIDEOMME, *openai_chat_args(url))
    assert code == 0, out
    run = cli.output / "r"
    assert (run / "run.json").is_file() and (run / "results.json").is_file()
    assert files_holding(cli.output, "SECRET123") == []
    assert "SECRET123" not in out


# issue item 4
def test_a_judge_url_query_secret_is_never_written(cli, open_qa_run):
    run = open_qa_run()
    with MockJudgeServer() as server:
        code, out = judge(cli, run, server.base_url + "?api-key=SECRET456")
    assert code == 0, out
    assert (run / "msvd_qa" / "judgements" / f"{JUDGE_MODEL}.meta.json").is_file()
    assert files_holding(cli.output, "SECRET456") == []
    assert "SECRET456" not in out


def redact_url(url):
    from evalkit.redaction import redact_url as redact  # the agreed new public function

    return redact(url)


# issue item 4
@pytest.mark.parametrize("url, gone, kept", [
    ("http://127.0.0.1:8000/v1?api-key=SECRET789&mode=fast", ["SECRET789", "fast"], ["127.0.0.1:8000/v1", "api-key=", "mode=", "***"]),
    ("http://alice:s3cretpw@example.org:8000/v1", ["alice", "s3cretpw"], ["example.org:8000/v1"]),
    ("https://example.org/v1#token=FRAGSECRET", ["FRAGSECRET"], ["https://example.org/v1", "***"]),
    ("https://bob:pw77@example.org/v1?key=QSECRET#FRAG2", ["bob", "pw77", "QSECRET", "FRAG2"], ["example.org/v1", "key="]),
])
def test_redact_url_removes_credentials_query_values_and_fragment(url, gone, kept):
    out = redact_url(url)
    for text in gone:
        assert text not in out, (text, out)
    for text in kept:
        assert text in out, (text, out)
    assert redact_url(None) is None


# issue item 4
@pytest.mark.parametrize("url, password", [
    ("http://user:se#cretpw@example.org:8000/v1", "cretpw"),  # '#' in the password
    ("http://user:hunter2pw@example.org:99999/v1", "hunter2pw"),  # no such port
    ("user:hunter3pw@example.org:8000/v1", "hunter3pw"),  # no scheme
])
def test_redact_url_refuses_unparsable_urls_without_echoing_the_password(url, password):
    from evalkit.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        redact_url(url)
    message = str(caught.value)
    assert password not in message and "\n" not in message.strip()


# issue item 5
@pytest.mark.parametrize("where", ["userinfo", "query"])
def test_the_lock_file_keeps_no_secret_of_the_command_line(cli, served, monkeypatch, where):
    url = served.base_url.replace("http://", "http://alice:lock-pw-4242@") if where == "userinfo" else \
        served.base_url + "?api-key=lock-pw-4242&user=alice"
    args = ("run", "--output", str(cli.output), "--run-name", "r", *VIDEOMME, *openai_chat_args(url))
    monkeypatch.setattr(sys, "argv", ["evalkit", *args])  # what the installed `evalkit` command sees
    code, out = cli(*args)
    assert code == 0, out
    run = cli.output / "r"
    assert (run / ".lock").is_file() and (run / "results.json").is_file()
    assert files_holding(run, "lock-pw-4242") == [] and files_holding(run, "alice") == []


# issue item 6
def test_run_json_records_the_endpoint_openai_base_url_chose(cli, served, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", served.base_url)
    code, out = cli.run(*VIDEOMME, "--model", "openai-chat", "--model-args", "model=m,max_frames=2,image_size=32")
    assert code == 0, out
    assert served.requests > 0  # the environment's endpoint was the one used
    host_port = served.base_url.split("//", 1)[1].split("/", 1)[0]
    info = json.loads((cli.output / "r" / "run.json").read_text())
    assert host_port in json.dumps(info), info["model"]  # today: base_url null, the endpoint nowhere


# --- errors that are tracebacks ------------------------------------------------------------------

# issue item 7
def test_a_non_utf8_replay_file_is_a_one_line_error(cli, tmp_path):
    path = tmp_path / "bad-bytes.jsonl"
    path.write_bytes(b'{"id": "001-1", "response": "C"}\n{"id": "001-2", "response": "caf\xe9"}\n')
    code, out = cli.run(*VIDEOMME, *replay_args(path))
    user_error(code, out, "bad-bytes.jsonl")


# issue item 7
def test_a_non_utf8_lmms_eval_log_is_a_one_line_error(cli, tmp_path):
    log = lmms_eval_log(tmp_path / "logs")
    raw = log.read_bytes()
    log.write_bytes(raw.replace(b"Select the best", b"Select \xff the best", 1))
    code, out = cli("import", "lmms-eval", log, "--task", "videomme", "--data", "sample", "-o", tmp_path / "o.jsonl")
    user_error(code, out, log.name)


# issue item 8
def test_an_output_that_is_a_file_is_a_one_line_error(cli, tmp_path):
    output = tmp_path / "not-a-folder"
    output.write_text("x")
    code, out = cli("run", "--output", output, "--run-name", "r", *VIDEOMME, "--model", "random")
    user_error(code, out, "not-a-folder")


# issue item 8
def test_a_frame_cache_that_is_a_file_is_a_one_line_error(cli, tmp_path):
    cache = tmp_path / "cache-file"
    cache.write_text("x")
    code, out = cli.run(*VIDEOMME, *DECODE, "--frame-cache", cache)
    user_error(code, out, "cache-file")


# issue item 8
def test_a_frame_cache_size_that_is_no_number_is_a_one_line_error(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("EVALKIT_FRAME_CACHE_MAX_GB", "lots")
    code, out = cli.run(*VIDEOMME, *DECODE, "--frame-cache", tmp_path / "frames")
    line = user_error(code, out)
    assert "EVALKIT_FRAME_CACHE_MAX_GB" in line or "lots" in line, out


def disk_full_for(monkeypatch, path: Path) -> None:
    """Every ``os.write`` into ``path`` fails as on a full disk (ENOSPC)."""
    real_write, target = os.write, str(path.resolve())

    def write(fd, data):
        if os.readlink(f"/proc/self/fd/{fd}") == target:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)


# issue item 9
@pytest.mark.parametrize("where", ["predictions", "timings"])
def test_a_full_disk_is_a_one_line_error_and_keeps_what_was_recorded(cli, monkeypatch, where):
    """predictions.jsonl itself cannot be a link to /dev/full (a resume reads it first, and
    /dev/full reads as endless zeros): its writes fail with ENOSPC instead; timings.jsonl is
    linked to /dev/full."""
    args = (*VIDEOMME, "--model", "random")
    assert cli.run(*args, "--limit", "4")[0] == 0
    task_dir = cli.output / "r" / "videomme"
    before = records(cli.output / "r")
    assert len(before) == 4
    with monkeypatch.context() as patched:
        if where == "timings":
            (task_dir / "timings.jsonl").unlink()
            os.symlink("/dev/full", task_dir / "timings.jsonl")  # every write: ENOSPC
        else:
            disk_full_for(patched, task_dir / "predictions.jsonl")
        code, out = cli.run(*args)
    after = records(cli.output / "r")
    assert after[:4] == before  # nothing recorded before is lost or damaged
    if where == "timings" and code == 0:  # timings may be best-effort: then every record is there
        assert len(after) == 12
    else:
        line = user_error(code, out)
        assert "space" in line.lower(), out


# issue item 9
def test_a_read_only_run_dir_is_a_one_line_error_for_run(cli, monkeypatch):
    args = (*VIDEOMME, "--model", "random")
    assert cli.run(*args, "--limit", "4")[0] == 0
    run = cli.output / "r"
    with monkeypatch.context() as patched:
        read_only(patched, run)
        code, out = cli.run(*args)
    user_error(code, out, str(run))
    assert len(records(run)) == 4


# issue item 9
def test_a_read_only_run_dir_is_a_one_line_error_for_score(cli, monkeypatch):
    args = (*VIDEOMME, "--model", "random")
    assert cli.run(*args)[0] == 0
    run = cli.output / "r"
    before = (run / "results.json").read_bytes()
    with monkeypatch.context() as patched:
        read_only(patched, run, errno.EROFS)
        code, out = cli("score", run)
    user_error(code, out, str(run))
    assert (run / "results.json").read_bytes() == before


# issue item 10
def test_a_vlmevalkit_table_with_an_empty_index_is_a_one_line_error(cli, tmp_path):
    rows = [{"index": n, "prediction": "A"} for n in range(12)]  # no dataset columns: rows map by index
    table = pd.DataFrame(rows).astype({"index": object})
    table.loc[3, "index"] = ""
    path = tmp_path / "M_Video-MME.tsv"
    table.to_csv(path, sep="\t", index=False)
    assert "\n\tA\n" in path.read_text()  # the empty cell
    code, out = cli("import", "vlmevalkit", path, "--task", "videomme", "--data", "sample", "-o", tmp_path / "o.jsonl")
    user_error(code, out, path.name)


# issue item 10
def test_an_lmms_eval_doc_id_nan_is_a_one_line_error(cli, tmp_path):
    log = lmms_eval_log(tmp_path / "logs", with_ids=False)  # no ids logged: rows map by doc_id
    lines = log.read_text().splitlines()
    lines[2] = lines[2].replace('"doc_id": 2,', '"doc_id": NaN,')
    assert "NaN" in lines[2]
    log.write_text("\n".join(lines) + "\n")
    code, out = cli("import", "lmms-eval", log, "--task", "videomme", "--data", "sample", "-o", tmp_path / "o.jsonl")
    user_error(code, out, log.name)


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def add_empty_record(path: Path) -> None:
    path.write_bytes(b"{}\n" + path.read_bytes())


# issue item 11
@pytest.mark.parametrize("damage, name", [(truncate, "run.json"), (add_empty_record, "predictions.jsonl")])
@pytest.mark.parametrize("command", ["score", "resume"])
def test_a_damaged_run_file_is_a_one_line_error(cli, damage, name, command):
    args = (*VIDEOMME, "--model", "random")
    assert cli.run(*args)[0] == 0
    run = cli.output / "r"
    damage(run / "run.json" if name == "run.json" else run / "videomme" / name)
    code, out = cli("score", run) if command == "score" else cli.run(*args)
    user_error(code, out, name)


# issue item 11
def test_the_leaderboard_shows_good_runs_and_names_a_truncated_results_json(cli, replay_run, videomme_targets):
    replay_run("good-one", videomme_targets)
    replay_run("good-two", {k: "A" for k in videomme_targets})
    bad = replay_run("broken", videomme_targets) / "results.json"
    truncate(bad)
    code, out = cli("leaderboard", cli.output)
    assert code == 0, out
    assert "Traceback" not in out
    assert "good-one" in out and "good-two" in out
    assert str(bad) in out.replace("\n", "")


# issue item 12
def test_an_html_leaderboard_of_crafted_breakdowns_escapes_or_skips_them(cli, replay_run, videomme_targets, tmp_path):
    replay_run("good", videomme_targets)
    crafted = replay_run("crafted", videomme_targets) / "results.json"
    data = json.loads(crafted.read_text())
    data["tasks"]["videomme"]["breakdown"] = {"duration": {"short": {"accuracy": "<script>alert(1)</script>",
                                                                     "n": "<b>x</b>"}}}
    crafted.write_text(json.dumps(data))
    page = tmp_path / "page.html"
    code, out = cli("leaderboard", cli.output, "--format", "html", "--out", page)
    assert code == 0, out
    html = page.read_text()
    assert "<td>good</td>" in html  # the good run is on the page
    assert "<script>alert(1)" not in html and "<b>x</b>" not in html


# --- silently wrong ------------------------------------------------------------------------------

# issue item 13
@pytest.mark.parametrize("size", ["0", "-5"])
def test_a_frame_cache_limit_of_zero_or_less_is_refused(cli, tmp_path, size):
    code, out = cli.run(*VIDEOMME, *DECODE, "--frame-cache", tmp_path / "frames", "--frame-cache-max-gb", size)
    line = user_error(code, out)
    assert "max-gb" in line.lower() or "max_gb" in line.lower(), out


# issue item 14
def test_data_check_names_an_image_renamed_mp4_as_unreadable(cli, videomme_copy, tmp_path):
    from PIL import Image

    video = videomme_copy / "data" / "smpl0000003.mp4"
    Image.new("RGB", (64, 48)).save(video, format="PNG")
    code, out = cli("data", "check", "--task", "videomme", "--data", videomme_copy)
    assert code == 1, out
    flagged = [ln for ln in out.splitlines() if "unreadable" in ln and video.name in ln]
    assert flagged, out


# issue item 15
def test_judge_refuses_a_run_still_being_written(cli, open_qa_run):
    run = open_qa_run()
    with MockJudgeServer() as server, RunDir(run).owned():
        code, out = judge(cli, run, server.base_url)
        assert server.requests == 0, out  # refused before any judging
    user_error(code, out, str(run))
    assert not (run / "msvd_qa" / "judgements").exists()


# issue item 15
def test_export_of_a_run_still_being_written_refuses_or_says_so(cli, replay_run, videomme_targets, tmp_path):
    run = replay_run("r", videomme_targets)
    exported = run / "videomme" / "videomme_official.json"
    with RunDir(run).owned():
        code, out = cli("export", run, "--task", "videomme", "--format", "official")
    assert "Traceback" not in out
    if code == 2:
        user_error(code, out)
        assert not exported.exists()
    else:
        assert code == 0 and "partial" in prose(out, tmp_path).lower(), out


# issue item 16
def test_a_malformed_subtitle_cue_is_a_recorded_warning(cli, videomme_copy):
    srt = videomme_copy / "subtitle" / "smpl0000001.srt"
    text = srt.read_text(encoding="utf-8")
    assert "00:00:05,000 --> 00:00:07,500" in text
    srt.write_text(text.replace("00:00:05,000 --> 00:00:07,500", "00:00:05,000 --> 00:0x:07,500"), encoding="utf-8")
    code, out = cli.run("--task", "videomme_w_subtitle", "--data", videomme_copy, *DECODE)
    assert code == 0, out
    recs = {r["id"]: r for r in records(cli.output / "r", "videomme_w_subtitle")}
    for i in ("001-1", "001-2", "001-3"):
        warnings = recs[i]["prompt"].get("warnings") or []
        assert any(srt.name in w or "cue" in w.lower() for w in warnings), recs[i]["prompt"]
    assert not any(r["prompt"].get("warnings") for i, r in recs.items() if not i.startswith("001-"))
    assert results(cli.output / "r", "videomme_w_subtitle")["n_warned"] == 3


# issue item 17
def test_a_sweep_over_replay_files_runs_every_point(cli, tmp_path, videomme_targets):
    right = write_lines(tmp_path / "sweep" / "A.jsonl", [{"id": k, "response": v} for k, v in videomme_targets.items()])
    all_a = write_lines(tmp_path / "sweep" / "B.jsonl", [{"id": k, "response": "A"} for k in videomme_targets])
    output = tmp_path / "sweep-runs"
    code, out = cli("sweep", *VIDEOMME, "--model", "replay", "--grid", f"responses={right},{all_a}",
                    "--output", output)
    assert code == 0, out
    found = sorted(output.glob("*/results.json"))
    assert len(found) == 2, found
    accuracies = sorted(json.loads(p.read_text())["tasks"]["videomme"]["metrics"]["accuracy"] for p in found)
    assert accuracies[1] == 100.0 and accuracies[0] < 100.0  # each point used its own file


# issue item 18
def test_an_edited_replay_file_is_not_silently_ignored_on_rerun(cli, tmp_path, videomme_targets):
    path = write_lines(tmp_path / "responses.jsonl", [{"id": k, "response": v} for k, v in videomme_targets.items()])
    assert cli.run(*VIDEOMME, *replay_args(path))[0] == 0
    write_lines(path, [{"id": k, "response": "A"} for k in videomme_targets])  # a corrected file, same path
    code, out = cli.run(*VIDEOMME, *replay_args(path))
    if code == 2:
        user_error(code, out, path.name)
    else:
        assert code == 0, out
        assert {r["response"] for r in effective(cli.output / "r")} == {"A"}  # the new responses


# issue item 18
def test_retry_failed_does_not_silently_mix_two_replay_files(cli, tmp_path, videomme_targets):
    path = tmp_path / "responses.jsonl"
    first = {k: v for k, v in videomme_targets.items() if not k.startswith("004-")}  # 004-* missing: failed
    write_lines(path, [{"id": k, "response": v} for k, v in first.items()])
    code, out = cli.run(*VIDEOMME, *replay_args(path))
    assert code == 0 and results(cli.output / "r")["n_failed"] == 3, out
    write_lines(path, [{"id": k, "response": "D"} for k in videomme_targets])  # another version, complete
    code, out = cli.run(*VIDEOMME, *replay_args(path), "--retry-failed")
    if code == 2:
        user_error(code, out, path.name)
    else:
        assert code == 0, out
        assert {r["response"] for r in effective(cli.output / "r")} == {"D"}, "records of two file versions mixed"


# issue item 19
def test_spreadsheet_formula_predictions_are_not_silently_unanswered(cli, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["index", "video", "question", "prediction"])
    for n, row in enumerate(sample_rows()):
        ws.append([n, row["videoID"], row["question"], "C"])
    for cell in ("D2", "D3", "D4"):
        ws[cell] = '="A"'  # a formula: the file holds no value for it until a spreadsheet computes it
    path = tmp_path / "M_Video-MME.xlsx"
    wb.save(path)
    out_file = tmp_path / "o.jsonl"
    code, out = cli("import", "vlmevalkit", path, "--task", "videomme", "--data", "sample", "-o", out_file)
    assert code in (0, 2) and "Traceback" not in out, out
    assert "formula" in prose(out, tmp_path).lower(), out  # listed or noted, never silently unanswered


# issue item 20
def test_a_video_without_a_video_stream_says_so(cli, videomme_copy):
    import av
    import numpy as np

    video = videomme_copy / "data" / "smpl0000002.mp4"
    with av.open(str(video), "w") as container:  # audio only
        stream = container.add_stream("aac", rate=44100)
        for _ in range(10):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), dtype=np.float32), format="fltp", layout="mono")
            frame.sample_rate = 44100
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    code, out = cli.run("--task", "videomme", "--data", videomme_copy, *DECODE)
    assert code == 0, out
    recs = {r["id"]: r for r in records(cli.output / "r")}
    for i in ("002-1", "002-2", "002-3"):
        error = recs[i]["error"] or ""
        assert "video stream" in error.lower() and "tuple index" not in error, error
