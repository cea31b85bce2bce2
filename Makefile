# webo: the two commands are `make demo` and `make test`; see README.rst.
.PHONY: demo test test-faults bench lint setup pot clean

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

## ruff and pylint-odoo (Odoo 11.0 rules) on the project's code
lint:
	bash runtime/setup.sh
	.venv/bin/ruff check .
	.venv/bin/pylint --rcfile=.pylintrc webo_sale webo_purchase_credit

## Export each addon's .pot from the test database and merge it into fr.po
pot:
	export_dir=$$(mktemp -d) && for addon in webo_sale webo_purchase_credit; do \
		runtime/odoo -d $${WEBO_TEST_DB:-webo_test} --i18n-export=$$export_dir/$$addon.po \
			--modules=$$addon --stop-after-init --log-level=warn && \
		sed -e '/^"POT-Creation-Date/d' -e '/^"PO-Revision-Date/d' $$export_dir/$$addon.po > $$addon/i18n/$$addon.pot && \
		$(PYTHON) runtime/po_merge.py $$addon; \
	done; rm -rf $$export_dir

setup:
	bash runtime/setup.sh

## Drop the virtualenv, the state folder and every webo database
clean:
	for db in $$(psql -d postgres -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'webo_%'"); do dropdb $$db; done
	rm -rf .venv .state test-output
