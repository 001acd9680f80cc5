# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_CONTENT ?= imgs/chelsea.jpg
DEMO_STYLE ?= imgs/GreatWave.png

.PHONY: setup demo test clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

demo: setup
	mkdir -p outputs
	$(VENV)/bin/style-transfer image $(DEMO_CONTENT) $(DEMO_STYLE) \
		-o outputs/demo.jpg --side-by-side outputs/demo_side_by_side.jpg

test: setup
	$(PY) -m pytest -q tests

clean:
	rm -rf outputs .pytest_cache
