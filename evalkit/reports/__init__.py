"""What is printed and written after runs: the terminal summary, leaderboards, paired
comparisons, the paper's tables, and their LaTeX/HTML rendering."""
