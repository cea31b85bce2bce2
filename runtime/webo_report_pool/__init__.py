"""The runtime's PDF renderer: a pool of wkhtmltopdf processes.

Installed by the runtime's launchers right after the compatibility layer::

    import webo_compat
    webo_compat.install()
    import webo_report_pool
    webo_report_pool.install()
    import odoo

it extends Odoo's ``ir.actions.report`` (``report.py``) as part of ``base``,
so in every database the server opens:

* each document of a report is printed on its own, and the PDFs joined with
  Odoo's ``merge_pdf``: Debian's wkhtmltopdf, built against an unpatched Qt,
  takes one input document per conversion, and Odoo hands it one per record
  (a selection of invoices printed as an empty PDF);
* the documents are shared among a few wkhtmltopdf processes side by side,
  each printing its share one after the other (``--read-args-from-stdin``:
  a line, a conversion). Each document waits out wkhtmltopdf's JavaScript
  delay (200 ms, which Odoo keeps) doing nothing: a few processes overlap
  these waits, even on two cores, and no process starts per document;
* a process that has not printed in time is stopped (30 s a document, or
  the system parameter ``webo_sale.pdf_timeout``): a hung renderer holds
  neither a request nor a monthly run for ever; an empty file, or one that
  is not a PDF, is an error, never a document.

It also gives the model ``_run_wkhtmltopdf_each`` (one PDF per document),
with which webo_sale prints a batch of invoices at once and stores each one.
An Odoo started otherwise (an integrator's own) prints with Odoo's renderer,
and webo_sale then prints such a batch one document at a time.
"""
import importlib

from webo_compat.hooks import when_imported

__all__ = ["install"]


def _extend_report_model(_module):
    importlib.import_module(__name__ + ".report")


def install():
    """Extend ``ir.actions.report`` once Odoo's own is defined."""
    when_imported("odoo.addons.base.ir.ir_actions_report", _extend_report_model)
