# The two commands: `make demo` and `make test`. Both set up what they need from a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
ASSETS := maps/assets
STAMP := $(VENV)/.installed

.PHONY: demo test setup assets chromium fonts spark lint bench clean

demo: setup fonts
	$(BIN)/pairnet demo --out out/demo

test: setup chromium fonts spark lint
	$(BIN)/pytest -n 2 --dist loadgroup --durations=15

setup: $(STAMP) assets

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(VENV)/bin/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Leaflet and its plugins are npm dependencies (package.json + lockfile), installed into an
# ignored folder inside the `maps` package so the wheel ships them and the report inlines them.
assets: $(ASSETS)/node_modules/.package-lock.json

$(ASSETS)/node_modules/.package-lock.json: $(ASSETS)/package.json $(ASSETS)/package-lock.json
	cd $(ASSETS) && npm ci --no-audit --no-fund --ignore-scripts
	touch $@

# The browser tests need a real Chromium; as root on Debian we can install it.
chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
		else echo "chromium not found: browser tests will fail; install Debian's chromium"; fi; \
	fi

# Figures label cities in Chinese: a CJK font (Debian's fonts-noto-cjk) avoids empty boxes.
# matplotlib's font cache may predate the font, so it is brought up to date afterwards.
fonts: setup
	@if ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; \
		else echo "no CJK font: Chinese labels in figures will show as boxes (install fonts-noto-cjk)"; fi; \
	fi
	@$(BIN)/python -c "from pairnet.cli import configure_matplotlib as c; f = c(); print('CJK font for figures:', f or 'none')"

# The Spark engine of `pairnet ingest` is an optional extra (pyspark) and needs Java; the
# Spark tests (tests/test_spark.py) run when both are there. As root on Debian we install Java.
spark: setup
	@$(BIN)/python -c "import pyspark" 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[test,spark]'
	@if ! command -v java >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null; \
		else echo "java not found: the Spark tests will be skipped; install Debian's default-jre-headless"; fi; \
	fi

lint: setup
	$(BIN)/ruff check .
	rm -rf build/typecheck && mkdir -p build/typecheck/pairnet
	for f in pairnet/*; do ln -s ../../../$$f build/typecheck/pairnet/; done
	for l in spatial network panels analyses maps; do ln -s ../../../$$l build/typecheck/pairnet/$$l; done
	MYPYPATH=build/typecheck $(BIN)/mypy -p pairnet

bench: setup
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) out build dist *.egg-info $(ASSETS)/node_modules
