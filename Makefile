# `make run` starts the app, `make test` runs the tests; both create .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.nvscope-installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m analysis.warmup
	touch $(STAMP)

# Qt's wheels do not ship the X11/xcb system libraries; qt_system.py names (and as root installs) what is missing.
run: $(STAMP)
	$(BIN)/python app/gui/qt_system.py --platform auto --install
	$(BIN)/nvscope

test: $(STAMP)
	$(BIN)/python app/gui/qt_system.py --platform offscreen --install
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python -m benchmarks.bench_physics

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
