# `make run` starts the app, `make test` runs the tests; both create .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.nvscope-installed
WARM := $(VENV)/.nvscope-numba-warm
# the packages with numba kernels: after any change to them the cache is checked (analysis/numba_cache.py) and warmed
KERNEL_SOURCES := $(shell find analysis instruments benchmarks -name '*.py' 2>/dev/null)

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(WARM): $(STAMP) $(KERNEL_SOURCES)
	$(BIN)/python -m analysis.warmup
	touch $(WARM)

# Qt's wheels do not ship the X11/xcb system libraries; qt_system.py names (and as root installs) what is missing.
run: $(WARM)
	$(BIN)/python app/gui/qt_system.py --platform auto --install
	$(BIN)/nvscope

test: $(WARM)
	$(BIN)/python app/gui/qt_system.py --platform offscreen --install
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python -m benchmarks.bench_physics

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
