import pytest

from evalkit.errors import ConfigError
from evalkit.judge.client import check_dated
from evalkit.judge.specs import QA_JUDGE, SYSTEM_PROMPT, USER_PROMPT, JudgeReplyError, parse_reply


def test_prompts_are_verbatim():
    assert SYSTEM_PROMPT.endswith(
        "Here's how you can accomplish the task:------##INSTRUCTIONS: - Focus on the meaningful match between the "
        "predicted answer and the correct answer.\n- Consider synonyms or paraphrases as valid matches.\n"
        "- Evaluate the correctness of the prediction compared to the answer.")
    user = USER_PROMPT.format(question="Q", answer="A", pred="P")
    assert user.startswith("Please evaluate the following video-based question-answer pair:\n\nQuestion: Q\n"
                           "Correct Answer: A\nPredicted Answer: P\n\n")
    assert "value of 'pred' is  a string" in user and "not STRING.DO NOT PROVIDE" in user
    assert user.endswith("For example, your response should look like this: {'pred': 'yes', 'score': 4.8}.")
    assert len(QA_JUDGE.sha) == 12
    assert [m["role"] for m in QA_JUDGE.messages({"question": "Q", "answer": "A", "pred": "P"})] == ["system", "user"]


@pytest.mark.parametrize("reply, parsed", [
    ("{'pred': 'yes', 'score': 5}", ("yes", 5)),
    ("{'pred': 'no', 'score': 1}", ("no", 1)),
    ("{'pred': 'yes', 'score': 4.8}", ("yes", 4)),  # int() truncates
    ("  {'pred': 'Yes', 'score': '3'}  ", ("yes", 3)),
    ("{'pred': 'maybe', 'score': 2}", (None, 2)),  # neither yes nor no
    ("{'pred': 'not sure', 'score': 2}", ("no", 2)),  # 'no' substring, as the original
])
def test_parse_reply(reply, parsed):
    assert parse_reply(reply) == parsed


@pytest.mark.parametrize("reply", ["yes, score 5", "{'pred': 'yes'}", "{'pred': 1, 'score': 2}", "{'pred': 'yes', 'score': 'high'}",
                                   "{'pred': 'yes', 'score': True}", "[1, 2]"])
def test_unparsable_replies(reply):
    with pytest.raises(JudgeReplyError):
        parse_reply(reply)


def test_judge_must_be_a_dated_snapshot():
    check_dated("gpt-3.5-turbo-0613")
    check_dated("gpt-4o-2024-08-06")
    with pytest.raises(ConfigError, match="not a dated snapshot"):
        check_dated("gpt-4o")
