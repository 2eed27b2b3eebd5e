import pytest

from evalkit.errors import ConfigError
from evalkit.model_adapters.replay import MissingResponse, Replay, ReplayArgs, load_responses
from evalkit.request import Request


def test_task_specific_lines_win_over_plain_ids(tmp_path, jsonl):
    path = jsonl(tmp_path / "r.jsonl", [{"id": "1", "response": "plain"}, {"task": "b", "id": "1", "response": "for b"}])
    model = Replay(ReplayArgs(path))
    assert model.generate([Request("1", "a", []), Request("1", "b", [])]) == ["plain", "for b"]
    with pytest.raises(MissingResponse, match="no response for id '2'"):
        model.generate([Request("2", "a", [])])


@pytest.mark.parametrize("line, message", [
    ('{"response": "A"}', "expected a JSON object with 'id' and 'response'"),
    ("not json", "expected a JSON object"),
    ("[1, 2]", "expected a JSON object"),
    ('{"id": "1", "response": 3}', "'response' must be a string or null, got int"),
])
def test_bad_lines_name_file_and_line(tmp_path, line, message):
    path = tmp_path / "r.jsonl"
    path.write_text('{"id": "0", "response": "A"}\n' + line + "\n")
    with pytest.raises(ConfigError, match=rf"r.jsonl:2: .*{message}"):
        load_responses(path)


def test_null_or_absent_response_replays_as_an_empty_reply_and_is_marked(tmp_path, jsonl):
    path = jsonl(tmp_path / "r.jsonl", [{"id": "1", "response": None}, {"id": "2"}, {"id": "3", "response": "B"}])
    model = Replay(ReplayArgs(path))
    requests = [Request(i, "a", []) for i in ("1", "2", "3")]
    assert model.generate(requests) == ["", "", "B"]
    assert [model.request_facts(r) for r in requests] == [{"replayed_null": True}, {"replayed_null": True}, {}]


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="responses file not found"):
        load_responses(tmp_path / "none.jsonl")
