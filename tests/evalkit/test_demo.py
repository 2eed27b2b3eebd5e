"""`evalkit demo` (what `make demo` runs): two runs, their paired comparison, the leaderboard and
the HTML page, readable at 80 columns, the untrained model said so in one line."""
import os


def test_demo_at_80_columns(cli, monkeypatch):
    monkeypatch.setitem(os.environ, "COLUMNS", "80")
    code, out = cli("demo", "--output", cli.output)
    assert code == 0, out
    lines = out.splitlines()
    assert all(len(line.rstrip()) <= 80 for line in lines) and "…" not in out
    prose = " ".join(out.split())  # sentences wrap between words at 80 columns
    # the untrained model's unreadable replies: said in one sentence, not a table of dashes
    assert "demo-tiny-untrained: none of its 12 replies names an option" in prose
    assert "its weights are random" in prose
    assert "Paired comparison" in prose and "exact McNemar" in prose and "overall" in out
    assert any("demo-random-baseline" in ln and "demo-tiny-untrained (untrained)" in ln for ln in lines)  # leaderboard
    page = cli.output / "demo-leaderboard.html"
    assert page.is_file() and str(page) in out.replace("\n", "")  # a path longer than the screen folds
    assert len(lines) < 60
    # a second demo resumes both runs instead of redoing them
    code, out = cli("demo", "--output", cli.output)
    assert code == 0 and "videomme: resumed: 12 of 12 already done" in out
