# Two entry points for a newcomer: `make demo` and `make test`. Both set up .venv first.
# The CPU build of torch is chosen explicitly so that no multi-GB CUDA wheel is pulled (with the
# PyPI torchvision pinned beside it: an unpinned one would upgrade torch to a CUDA build);
# override with e.g. `make TORCH_SPEC="torch==2.13.0 --index-url <your CUDA index>"`.
# pip's output goes to .venv/install.log and is shown only when a step fails.
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0 torchvision==0.28.0
BIN := $(VENV)/bin
LOG := $(VENV)/install.log
QUIET = >>$(LOG) 2>&1 || { cat $(LOG); echo "set-up failed: the log above is $(LOG)"; exit 1; }

.PHONY: setup demo test lint clean-venv

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@echo "setting up $(VENV) (the first time takes a minute or two; log: $(LOG))"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@: > $(LOG)
	@$(BIN)/python -m pip install -q --upgrade pip $(QUIET)
	@$(BIN)/python -c "import importlib.util as u, sys; sys.exit(not (u.find_spec('torch') and u.find_spec('torchvision')))" \
		|| $(BIN)/python -m pip install -q $(TORCH_SPEC) $(QUIET)
	@$(BIN)/python -m pip install -q -e ".[test,hf]" $(QUIET)
	@touch $@

# The main job on the embedded default: the bundled Video-MME sample, the tiny untrained Dynamic-VLM
# against a seeded random baseline, their paired comparison, the leaderboard and its HTML page.
demo: setup
	@$(BIN)/evalkit demo

# checkers first (ruff: bug-finding rules; mypy: evalkit/, tasks/, model_adapters/), then the suite
lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q

clean-venv:
	rm -rf $(VENV)
