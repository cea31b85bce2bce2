"""Runs the Odoo tests of one test module (or one class, or one test) of an
addon on an existing database, as Odoo's runner would in ``make test``, in
seconds instead of a whole install::

    .venv/bin/python runtime/odoo_test.py DATABASE webo_sale.tests.test_invoice_law
    .venv/bin/python runtime/odoo_test.py DATABASE webo_sale.tests.test_payments.TestPayments

The database must hold the addon at the code's version (``runtime/odoo -d
DATABASE -u webo_sale --stop-after-init`` after a change). Exit status 0
when every test passed.
"""
import os
import sys
import threading
import unittest

RUNTIME = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, RUNTIME)

import webo_compat  # noqa: E402

webo_compat.install()

import webo_report_pool  # noqa: E402

webo_report_pool.install()

import odoo  # noqa: E402
from odoo_process import free_port  # noqa: E402


def main(database, target):
    odoo.tools.config.parse_config([
        "-c", os.path.join(os.path.dirname(RUNTIME), ".state", "odoo.conf"),
        "-d", database, "--test-enable", "--log-level=warn",
        "--http-port=%d" % free_port(), "--longpolling-port=%d" % free_port()])
    with odoo.api.Environment.manage():
        odoo.registry(database)
        # What Odoo's runner sets while an addon's tests run: e.g. no email
        # leaves for real, PDFs come from QWeb without wkhtmltopdf.
        threading.current_thread().testing = True
        suite = unittest.TestLoader().loadTestsFromName("odoo.addons." + target)
        result = unittest.TextTestRunner(verbosity=2).run(suite)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
