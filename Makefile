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

test: $(INSTALLED)
	$(PYTHON) -m pytest tests
