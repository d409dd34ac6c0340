# The two commands of README.md. Both create .venv with everything they need
# on first use (see tools/install_deps.sh); later runs reuse it.
VENV ?= .venv
PYTHON := $(VENV)/bin/python
INSTALLED := $(VENV)/.mmskd-installed

.PHONY: install demo test

$(INSTALLED): setup.py tools/install_deps.sh $(wildcard requirements/*.txt)
	bash tools/install_deps.sh $(VENV)
	touch $@

install: $(INSTALLED)

demo: $(INSTALLED)
	$(PYTHON) tools/demo.py

# The suite runs in TEST_WORKERS processes (pytest-xdist), each taking whole
# test files so that a file's fixtures are built once, and each with one
# thread: its models are tiny, and more threads than cores only contend.
# Files are handed out in collection order, which tests/conftest.py starts
# with the longest files (pytest-xdist would otherwise start with the files
# of most tests and leave a long one-test file for last). The slowest tests
# are listed at the end: the suite must stay under 15 minutes on 2 cores.
TEST_WORKERS ?= 2

test: $(INSTALLED)
	OMP_NUM_THREADS=1 $(PYTHON) -m pytest -n $(TEST_WORKERS) --dist loadfile \
		--no-loadscope-reorder --durations=30 tests

# The documentation (docs/en, Sphinx + MyST): requirements/docs.txt into the
# venv, then an HTML build that fails on any warning.
.PHONY: docs
docs: $(INSTALLED)
	$(PYTHON) -m pip install --disable-pip-version-check -q -r requirements/docs.txt
	$(VENV)/bin/sphinx-build -W -b html docs/en docs/en/_build/html
