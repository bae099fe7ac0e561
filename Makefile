# dmc-report: two commands on a fresh machine.
#   make run    set up .venv, install, and do the main job (the demo study)
#   make test   set up, then ruff, mypy, import-linter and the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
OUT ?= dmc-demo

.PHONY: setup system-deps run test lint typecheck layers pytest bench package clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

# Qt (even offscreen) needs a few shared libraries that a bare Debian image may lack, and R is
# needed to regenerate reference fixtures (not to run the tests). Installed only when missing.
system-deps:
	@missing=""; \
	for lib in libEGL.so.1 libGL.so.1 libxkbcommon.so.0 libfontconfig.so.1 libdbus-1.so.3; do \
	  ldconfig -p 2>/dev/null | grep -q "$$lib" || missing="$$missing $$lib"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing system libraries for Qt:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 >/dev/null; \
	  else echo "warning: missing system libraries for Qt:$$missing (install them with your package manager)"; fi; \
	fi

setup: $(STAMP) system-deps

# With a display: the desktop app with the demo study loaded. Without one: the demo study and
# its two reports in ./dmc-demo, and the validation summary.
run: setup
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] || [ "$$(uname)" = Darwin ]; then \
	  $(VENV)/bin/dmc-report gui --demo; \
	else \
	  $(VENV)/bin/dmc-report demo --out $(OUT) && \
	  $(VENV)/bin/dmc-report validate --protocol $(OUT)/protocol.toml --data $(OUT)/data.xlsx \
	    --key $(OUT)/key.xlsx --key-password-file $(OUT)/key-password.txt; \
	  test $$? -le 1; \
	fi

lint: setup
	$(VENV)/bin/ruff check src tests bench packaging
	$(VENV)/bin/ruff format --check src tests bench packaging

typecheck: setup
	$(VENV)/bin/mypy

layers: setup
	$(VENV)/bin/lint-imports

# pytest exits 5 when it collected no test: that must fail, not pass silently. tests/unit runs
# with Qt made unimportable (the core stands without it); the app's and the package's tests after.
pytest: setup
	DMC_BLOCK_QT=1 $(VENV)/bin/pytest -q -p no:pytest-qt tests/unit
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest -q tests/gui tests/package

# With DMC_PACKAGE_TEST=1 (.ci/run sets it) the frozen app is built first and tests/package runs
# it: --version, demo/validate/analyze/report with the network blocked, the GUI for 10 s.
test: lint typecheck layers $(if $(filter 1,$(DMC_PACKAGE_TEST)),package) pytest

bench: setup
	$(PY) bench/bench_read.py

# The one-folder application for this platform (dist/dmc-report); see packaging/dmc-report.spec.
# THIRD_PARTY_NOTICES.txt is generated from the installed packages first, and shipped in it.
package: setup
	$(PY) -m pip install --quiet "pyinstaller==6.22.3" "pyinstaller-hooks-contrib==2026.9"  # as the workflow pins them
	$(PY) packaging/make_notices.py build/THIRD_PARTY_NOTICES.txt
	rm -rf dist/dmc-report
	$(VENV)/bin/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build packaging/dmc-report.spec
	cp build/THIRD_PARTY_NOTICES.txt dist/dmc-report/
	$(PY) packaging/bundle_size.py dist/dmc-report
	dist/dmc-report/dmc-report --version

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache

# Every R reference fixture regenerated from the committed inputs (R with readxl, survival,
# jsonlite and rpact): the hand-built edge-case workbooks and each case.json
# (tests/reference/make_fixtures.py, byte-stable), then every R script over tests/fixtures/r/ and
# tests/fixtures/r-shared/ (the shared studies when ../shared is beside the checkout). Nothing
# changes when the fixtures are as committed: check with git status.
.PHONY: fixtures
fixtures: $(STAMP)
	@command -v Rscript >/dev/null || { echo "make fixtures: R (Rscript) is not installed"; exit 1; }
	$(PY) tests/reference/make_fixtures.py --edge
	$(PY) tests/reference/make_fixtures.py --case-json
	@for s in derive questionnaires safety exposure tables monitoring_study risk_difference \
	  monitoring monitoring_final urine_panel currency; do \
	  echo "Rscript tests/reference/$$s.R"; Rscript tests/reference/$$s.R >/dev/null || exit 1; \
	done
