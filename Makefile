# Two entry points for a newcomer: `make demo` and `make test`. Both set up .venv first.
# The CPU build of torch is chosen explicitly so that no multi-GB CUDA wheel is pulled;
# override with e.g. `make TORCH_SPEC="torch==2.13.0 --index-url <your CUDA index>"`.
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin

.PHONY: setup demo test lint clean-venv

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install -q $(TORCH_SPEC)
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

# Main job on the embedded default: bundled Video-MME sample, tiny untrained Dynamic-VLM on the CPU.
demo: setup
	$(BIN)/evalkit run --task videomme,videomme_w_subtitle --data sample --model dynamic-vlm --model-args preset=tiny --run-name demo-tiny-untrained

# checkers first (ruff: bug-finding rules; mypy: evalkit/, tasks/, model_adapters/), then the suite
lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -q

clean-venv:
	rm -rf $(VENV)
