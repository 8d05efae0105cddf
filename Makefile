# Every target bootstraps .venv when missing; nothing needs to be installed by hand first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PACKAGES := monitoring storage conversations scheduler bot
LOCALES := bot/locales
PO := $(wildcard $(LOCALES)/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

.PHONY: run test lint bench i18n install clean

run: install
	$(BIN)/fangfanpin run

test: install
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

install: $(STAMP) $(MO)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Compiled catalogs are built here, never edited or committed.
$(LOCALES)/%/LC_MESSAGES/messages.mo: $(LOCALES)/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -D messages -i $< -o $@

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
