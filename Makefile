# Every target bootstraps .venv when missing; nothing needs to be installed by hand first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two stamps: the bot and its dependencies (all `make run` needs: no test tools in production),
# and the test and lint tools on top (`make test`, `lint`, `bench`).
STAMP := $(VENV)/.installed-stamp
DEV_STAMP := $(VENV)/.installed-dev-stamp
PACKAGES := monitoring storage conversations scheduler bot platforms sandbox
LOCALES := bot/locales
PO := $(wildcard $(LOCALES)/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

.PHONY: run test test-long lint bench i18n install install-dev fonts clean

run: install
	$(BIN)/fangfanpin run

# Four workers on this 2-core machine: the end-to-end tests spend most of their time
# waiting on processes and the network. PYTEST_ARGS="-n 0" runs them one at a time.
test: install-dev
	$(BIN)/python -m pytest -q -n 4 --dist worksteal $(PYTEST_ARGS)

# The crash and outage scenarios at full size (100 helpers and 5 kills; a 110 s outage).
test-long: install-dev
	FANGFANPIN_TEST_LONG=1 $(BIN)/python -m pytest -q -n 4 --dist worksteal $(PYTEST_ARGS)

# Benchmarks (not part of `make test`): throughput, fan-out, data scale; about 20 minutes.
# Writes bench/results.json. With FANGFANPIN_TEST_DATABASE_URL set to PostgreSQL: throughput
# and data scale on it too, and the province run (1,000,000 households in a database of its
# own beside that one, created and dropped; about 8 more minutes, 1.2 GB while it runs).
bench: install-dev
	$(BIN)/python -m bench

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

install: $(STAMP) $(MO) fonts

install-dev: $(DEV_STAMP) $(MO) fonts

# Charts are titled in Chinese: without a font that has the glyphs they show empty boxes.
# When the machine has none, install Debian's fonts-wqy-microhei (1.6 MB).
CJK_FONT_CHECK := test -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || \
	(command -v fc-list >/dev/null && fc-list :lang=zh | grep -q .)
fonts:
	@if ! ( $(CJK_FONT_CHECK) ); then \
		if ! command -v apt-get >/dev/null; then \
			echo "warning: no Chinese font and no apt-get: install a CJK font (e.g. WenQuanYi Micro Hei) for the charts"; \
		else \
			SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
			echo "installing fonts-wqy-microhei (Chinese glyphs for the charts)"; \
			$$SUDO apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
				fonts-wqy-microhei >/dev/null; \
		fi; \
	fi

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(DEV_STAMP)

# Compiled catalogs are built here, never edited or committed.
$(LOCALES)/%/LC_MESSAGES/messages.mo: $(LOCALES)/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile -D messages -i $< -o $@

# After changing texts: extract the message ids and merge them into each catalog,
# then translate the new entries in the .po files.
i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k ngettext:1,2 --add-comments=TRANSLATORS: \
		--sort-by-file --no-wrap --project=fangfanpin -o $(LOCALES)/messages.pot $(PACKAGES)
	$(BIN)/pybabel update -D messages -i $(LOCALES)/messages.pot -d $(LOCALES) --no-wrap \
		--ignore-obsolete
	$(MAKE) $(MO)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(MO)
