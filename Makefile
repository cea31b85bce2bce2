# webo: the two commands are `make demo` and `make test`; see README.rst.
.PHONY: demo test test-faults bench lint setup pot wheels clean

PYTHON := .venv/bin/python

## Set up the machine if needed, (re)build the demo database, serve it on :8069
demo:
	bash runtime/demo.sh

## Set up the machine if needed and run the whole test suite
test:
	bash runtime/setup.sh
	$(PYTHON) runtime/run_tests.py

## The fault suite: mail server, PDF renderer and PostgreSQL failures, killed workers
test-faults:
	bash runtime/setup.sh
	$(PYTHON) runtime/run_tests.py --faults

## make bench NAME=<name> [SIZE=tiny]: run bench/<name>.py on its own database (SIZE=tiny: seconds, a check that it runs)
bench:
	bash runtime/setup.sh
	$(PYTHON) bench/run.py $(NAME) --size=$(or $(SIZE),full)

## ruff, pylint-odoo (Odoo 11.0 rules) and OCA's addon checks (manifest, XML, .po)
lint:
	bash runtime/setup.sh
	.venv/bin/ruff check .
	.venv/bin/pylint --rcfile=.pylintrc webo_sale webo_purchase_credit
	.venv/bin/oca-checks-odoo-module webo_sale webo_purchase_credit
	.venv/bin/oca-checks-po webo_sale/i18n/*.po* webo_purchase_credit/i18n/*.po*

## Export each addon's .pot from the test database and merge it into fr.po (msgmerge)
pot:
	bash runtime/pot.sh

setup:
	bash runtime/setup.sh

## The addons' wheels (odoo11-addon-webo-*), built by setuptools-odoo from setup/ as OCA
## builds its addons', into dist/ (or DIST=folder); see README.rst for installing them
DIST ?= dist
wheels:
	bash runtime/setup.sh
	rm -rf setup/*/build
	$(PYTHON) -m pip wheel -q --no-deps --no-build-isolation -w $(DIST) setup/webo_sale setup/webo_purchase_credit

## Drop the virtualenv, the state folder and every webo database
clean:
	for db in $$(psql -d postgres -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'webo_%'"); do dropdb $$db; done
	rm -rf .venv .state test-output
