from evalkit.model_adapters.baselines import BaselineArgs, ConstantArgs, ConstantChoice, RandomChoice
from evalkit.request import Request


def requests(ids):
    return [Request(i, "t", [], choices=("A", "B", "C", "D")) for i in ids]


def test_random_answers_depend_on_seed_task_and_id_only():
    model = RandomChoice(BaselineArgs(), seed=3)
    forward = model.generate(requests(["a", "b", "c", "d", "e"]))
    backward = model.generate(requests(["e", "d", "c", "b", "a"]))
    assert forward == backward[::-1] and set(forward) <= {"A", "B", "C", "D"}
    many = [str(i) for i in range(20)]
    assert RandomChoice(BaselineArgs(), seed=4).generate(requests(many)) != model.generate(requests(many))
    assert model.sampling() is None and not model.needs_media


def test_decode_switches_on_media_and_constant_answer():
    model = ConstantChoice(ConstantArgs(decode=True, max_frames=8, answer="C"))
    assert model.needs_media and model.sampling().frames.max_frames == 8
    assert model.generate(requests(["x", "y"])) == ["C", "C"]
