# Firepower eStreamer Add-on for Splunk: build and test pipeline.
# Why a flag is there: the comment beside it; how to use the targets: README, "Developing".

VERSION ?= 0.1.0
APP     := TA_firepower_estreamer
PYTHON  ?= python3
# ucc-gen 6.6.0 breaks with pip 26.3 (misleading "splunktaucclib ... not found"): pin pip.
PIP_VERSION := 26.2.1

BUILD_VENV := .venv-build
TEST_VENV  := .venv-test
OUTPUT     := output
DIST       := dist
WHEELHOUSE := wheelhouse
SPL        := $(DIST)/$(APP)-$(VERSION).spl

UCC        := $(CURDIR)/$(BUILD_VENV)/bin/ucc-gen
APPINSPECT := $(CURDIR)/$(BUILD_VENV)/bin/splunk-appinspect
# ucc-gen runs "<python> -m pip" to vendor lib/: make it the build venv's python, never the system's.
UCC_BUILD_FLAGS := --source package --config globalConfig.json --ta-version $(VERSION) \
	--pip-version $(PIP_VERSION) --python-binary-name $(CURDIR)/$(BUILD_VENV)/bin/python

# `make build OFFLINE=1` (or `make test OFFLINE=1`) vendors lib/ from wheelhouse/ without any index.
ifeq ($(OFFLINE),1)
OFFLINE_ENV := PIP_NO_INDEX=1 PIP_FIND_LINKS=$(CURDIR)/$(WHEELHOUSE) PIP_CONFIG_FILE=/dev/null
OFFLINE_DEP := $(WHEELHOUSE)/.stamp
endif

.PHONY: venv test lint build package inspect inspect-precert inspect-cloud bench demo docs wheelhouse clean distclean

venv: $(BUILD_VENV)/.stamp $(TEST_VENV)/.stamp

$(BUILD_VENV)/.stamp: requirements/build.txt
	$(PYTHON) -m venv --clear $(BUILD_VENV)
	$(BUILD_VENV)/bin/python -m pip install -q pip==$(PIP_VERSION)
	$(BUILD_VENV)/bin/python -m pip install -q -r requirements/build.txt
	touch $@

$(TEST_VENV)/.stamp: requirements/test.txt requirements/lint.txt
	$(PYTHON) -m venv --clear $(TEST_VENV)
	$(TEST_VENV)/bin/python -m pip install -q pip==$(PIP_VERSION)
	$(TEST_VENV)/bin/python -m pip install -q -r requirements/test.txt -r requirements/lint.txt
	@# solnlib must use splunklib's HTTP handler here, as in the shipped lib/, which has no requests
	@if $(TEST_VENV)/bin/python -c "import requests" 2>/dev/null; then \
		echo "requests must not be installed in $(TEST_VENV)"; exit 1; fi
	touch $@

test: venv $(OFFLINE_DEP)
	$(OFFLINE_ENV) $(TEST_VENV)/bin/python -m pytest -q tests

# ruff (lint + import order) over the repository, mypy over the glue and (strict) the protocol
# core, the layout codec, records and bookmarks (settings: pyproject.toml)
lint: $(TEST_VENV)/.stamp
	$(TEST_VENV)/bin/ruff check .
	$(TEST_VENV)/bin/mypy

build: $(BUILD_VENV)/.stamp $(OFFLINE_DEP)
	mkdir -p $(OUTPUT)
	$(OFFLINE_ENV) $(UCC) build $(UCC_BUILD_FLAGS) --output $(OUTPUT) --overwrite
	@# UCC always emits <ns>_account.conf.spec, named after no conf of ours (the tab is fmc_server);
	@# package/README/ta_firepower_estreamer_fmc_server.conf.spec documents the real conf.
	rm -f $(OUTPUT)/$(APP)/README/ta_firepower_estreamer_account.conf.spec
	@# ucc-gen copies package/ as is: drop bytecode left by local test runs
	find $(OUTPUT)/$(APP) -name __pycache__ -type d -prune -exec rm -rf {} +

package: build
	mkdir -p $(DIST)
	rm -f $(DIST)/$(APP)-$(VERSION).tar.gz $(SPL)
	$(UCC) package --path $(OUTPUT)/$(APP) -o $(DIST)
	mv $(DIST)/$(APP)-$(VERSION).tar.gz $(SPL)
	@echo "package: $(SPL)"

# Two AppInspect runs (precert, all tags; and the Splunk Cloud tag set), gated on the JSON summary
# because the exit code is 0 even with failures (and --ci always fails on UCC's inherent warnings).
# `make -j2 inspect` runs both at once.
inspect: inspect-precert inspect-cloud
	$(BUILD_VENV)/bin/python tools/appinspect_gate.py $(DIST)/appinspect-precert.json $(DIST)/appinspect-cloud.json

inspect-precert: package
	$(call appinspect,precert,)

inspect-cloud: package
	$(call appinspect,cloud,--included-tags cloud)

# $(call appinspect,NAME,EXTRA-FLAGS): one run; the log is kept in dist/ and shown if AppInspect crashes
define appinspect
	rm -f $(DIST)/appinspect-$(1).json
	$(APPINSPECT) inspect $(SPL) --mode precert $(2) --skip-trusted-libraries-update --data-format json \
		--output-file $(DIST)/appinspect-$(1).json > $(DIST)/appinspect-$(1).log 2>&1 \
		|| { tail -n 50 $(DIST)/appinspect-$(1).log; exit 1; }
endef

bench: build $(TEST_VENV)/.stamp
	PYTHONPATH=package/bin $(TEST_VENV)/bin/python -m bench

# docs/event-fields.md from the event tables (a test holds the file to them).
docs:
	PYTHONPATH=package/bin $(PYTHON) -m estreamer.events.docs docs/event-fields.md

# The simulator and the splunkd double, the packaged input run as splunkd runs it, ~20 s.
demo: build $(TEST_VENV)/.stamp
	$(TEST_VENV)/bin/python tools/demo.py

wheelhouse: $(WHEELHOUSE)/.stamp

$(WHEELHOUSE)/.stamp: package/lib/requirements.txt $(BUILD_VENV)/.stamp
	$(BUILD_VENV)/bin/python -m pip wheel -q -r package/lib/requirements.txt -w $(WHEELHOUSE)
	touch $@

clean:
	rm -rf $(OUTPUT) $(DIST) bench.json .pytest_cache
	find . -path ./$(BUILD_VENV) -prune -o -path ./$(TEST_VENV) -prune -o \
		-name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(BUILD_VENV) $(TEST_VENV) $(WHEELHOUSE)
