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
