# The two commands of the README: `make song` and `make test`.
# Both create .venv from pyproject.toml when it is missing or out of date.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: song test lint format bench clean browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

song: $(STAMP)
	$(BIN)/nabi song scores/nabiya.ly

test: $(STAMP) lint browser
	$(BIN)/python -m pytest

# The report pages' browser test needs Debian's Chromium and its driver (the main
# path, `make song`, needs no browser). Installed here when missing, as root;
# otherwise the command to run is printed and the step fails.
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	        echo "installing chromium and chromium-driver (apt-get) for the browser test"; \
	        apt-get update -qq && \
	        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	    else \
	        echo "make test: the browser test needs Chromium:" \
	            "sudo apt-get install chromium chromium-driver" >&2; \
	        exit 1; \
	    fi; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/stateful_speed.py
	$(BIN)/python bench/stages.py

clean:
	rm -rf $(VENV) outputs/*/ .pytest_cache
