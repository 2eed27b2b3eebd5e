import pytest

from evalkit.reports.paper_tables import reference


def test_reference_data_is_complete():
    ref = reference()["tables"]
    assert len(ref["2"]["rows"]) == 21 and len(ref["3"]["rows"]) == 20
    assert len(ref["4"]["rows"]) == 10 and len(ref["6"]["rows"]) == 15
    ours = ref["2"]["rows"][-1]
    assert ours["api_version"] == "0613" and ours["values"]["activitynet_qa"] == [63.9, 3.4]


def test_table3_without_runs_prints_the_paper(cli):
    code, out = cli("table", "--paper", "3")
    assert code == 0
    assert "Table 3." in out and "Dynamic-VLM (ours)" in out
    line = [ln for ln in out.splitlines() if "Dynamic-VLM (ours)" in ln and "14B" in ln][0]
    assert [c.strip() for c in line.strip("|").split("|")] == ["Dynamic-VLM (ours)", "14B", "64.6%/68.8%", "70.1%",
                                                               "66.2%", "75.2%", "72.1%"]
    assert len([ln for ln in out.splitlines() if ln.startswith("|")]) == 2 + 20


def test_table3_adds_runs_in_the_paper_format(cli, replay_run, videomme_targets):
    replay_run("mine", videomme_targets)
    code, out = cli("table", "--paper", "3", cli.output)
    line = [ln for ln in out.splitlines() if ln.startswith("| mine")][0]
    assert "100.0%/-" in line  # w/o subtitles measured, with subtitles not run


def test_table6_and_latex(cli):
    code, out = cli("table", "--paper", "6", "--format", "latex")
    assert code == 0 and r"\toprule" in out and r"\# Tokens/F" in out
    assert "140 & 8,000 & 57 & 58.6\\% & paper" in out
    # LaTeX numbers the table: the caption does not repeat "Table 6."
    assert r"\caption{Ablation on token count per frame" in out and "Table 6." not in out
    assert r"\label{tab:paper6}" in out


def test_names_and_source_as_the_paper_means_them(cli):
    code, out = cli("table", "--paper", "3")
    assert "GPT-4o [53]" in out and "GPT-4o mini [52]" in out and "GPT-40" not in out
    assert "arXiv:2412.09530" in out and "shared/" not in out and ".txt" not in out


def test_latex_is_pdflatex_safe(cli):
    code, out = cli("table", "--paper", "3", "--format", "latex")
    assert code == 0 and "×" not in out and r"8$\times$7B" in out
    assert out.isascii()


def test_table2_shows_the_judge_of_each_run(cli, tmp_path, jsonl, monkeypatch):
    from evalkit.judge.server import MockJudgeServer

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    rows = [{"id": f"activitynet_qa_{v}_{k}", "response": "grey"} for v in range(2) for k in range(2)]
    cli.run("--task", "activitynet_qa", "--data", "sample", "--model", "replay",
            "--model-args", f"responses={jsonl(tmp_path / 'r.jsonl', rows)}", name="oq")
    with MockJudgeServer() as server:
        cli("judge", cli.output / "oq", "--judge-model", "gpt-3.5-turbo-0613", "--base-url", server.base_url)
    code, out = cli("table", "--paper", "2", cli.output / "oq")
    line = [ln for ln in out.splitlines() if ln.startswith("| oq")][0]
    cells = [c.strip() for c in line.strip("|").split("|")]
    assert cells[2] == "gpt-3.5-turbo-0613" and cells[-2:] == ["50.0", "2.5"]


def test_unknown_table_number(cli):
    with pytest.raises(SystemExit):
        cli("table", "--paper", "5")


@pytest.mark.parametrize("checkpoint, expected", [
    ("Qwen/Qwen2.5-VL-7B-Instruct", "Qwen2.5-VL-7B"),
    ("/hf/hub/models--Qwen--Qwen2.5-VL-7B-Instruct/snapshots/cc594898", "Qwen2.5-VL-7B"),
    ("/ckpt/llava-onevision-qwen2-7b-ov-hf", "LLaVA-OneVision-7B"),
    ("/ckpt/LLaVA-OneVision-Qwen2-7B-OV", "LLaVA-OneVision-7B"),  # a folder named as the repo, any case
    ("/ckpt/llava-onevision-qwen2-7b-ov-hf-finetuned", None),  # a derivative is not the published model
    ("/ckpt/Qwen2.5-VL-7B-Instruct/step-100", None),
])
def test_model_of_matches_hub_ids_cache_folders_and_folder_names(checkpoint, expected):
    from evalkit.reports.paper_tables import model_of

    assert model_of({"model": {"checkpoint": checkpoint}}, reference()["models"]) == expected


def test_served_model_name_matches_too():
    from evalkit.reports.paper_tables import model_of

    run = {"model": {"served_model": "OpenGVLab/InternVL3-8B"}}
    assert model_of(run, reference()["models"]) == "InternVL3-8B"
    assert model_of({"model": {}}, reference()["models"]) is None


def set_checkpoint(run_dir, checkpoint):
    """Make a replay run look like a run of ``checkpoint`` (what the hf adapter records)."""
    import json

    for name in ("results.json", "run.json"):
        data = json.loads((run_dir / name).read_text())
        data["model"]["checkpoint"] = checkpoint
        (run_dir / name).write_text(json.dumps(data))


def table_lines(out):
    return [[c.strip() for c in ln.strip("|").split("|")] for ln in out.splitlines() if ln.startswith("|")][2:]


def test_a_measured_baseline_sits_under_its_published_row(cli, replay_run, videomme_targets):
    set_checkpoint(replay_run("qwen-run", videomme_targets), "/hub/models--Qwen--Qwen2.5-VL-7B-Instruct/snapshots/x")
    replay_run("other", videomme_targets)
    code, out = cli("table", "--paper", "baselines", cli.output)
    assert code == 0
    rows = table_lines(out)
    names = [r[0] for r in rows]
    assert names[:2] == ["Qwen2.5-VL-7B", "measured: qwen-run"]
    assert names[-1] == "other" and len(rows) == 4 + 2
    published, measured = rows[0], rows[1]
    assert published[2] == "65.1/71.6 [a]" and published[7] == "47.44 [g]"  # as the sources print them
    assert measured[2] == "100.0/-" and measured[3] == "-"
    assert "[g] Video-MMMU leaderboard, EvolvingLMMs-Lab/VideoMMMU README @ 88b4ac3 (Overall)" in out


def test_table3_places_a_llava_onevision_run_under_the_papers_row(cli, replay_run, videomme_targets):
    set_checkpoint(replay_run("ov", videomme_targets), "llava-hf/llava-onevision-qwen2-7b-ov-hf")
    code, out = cli("table", "--paper", "3", cli.output)
    names = [r[0] for r in table_lines(out)]
    at = names.index("measured: ov")
    assert names[at - 1] == "LLaVA-OneVision [25]" and len(names) == 21
    assert table_lines(out)[at - 1][1] == "7B"


def test_baselines_latex_keeps_the_legend(cli):
    code, out = cli("table", "--paper", "baselines", "--format", "latex")
    assert code == 0 and out.isascii() and r"\label{tab:paperbaselines}" in out
    assert r"[test] reported on the test split" in out and "47.44 [g]" in out
