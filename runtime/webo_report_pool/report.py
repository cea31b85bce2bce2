"""``ir.actions.report`` printing with a pool of wkhtmltopdf processes (see
the package's docstring). Imported once Odoo's own model is defined."""
import logging
import os
import signal
import subprocess
import tempfile
import time

from odoo import api, models
from odoo.addons.base.ir.ir_actions_report import _get_wkhtmltopdf_bin
from odoo.exceptions import UserError
from odoo.tools.pdf import merge_pdf

# wkhtmltopdf processes printing the documents of one report side by side.
PROCESSES = 4

# Seconds a process may take per document it was given before it is
# stopped, unless the system parameter says otherwise.
TIMEOUT_PER_DOCUMENT = 30
TIMEOUT_PARAMETER = "webo_sale.pdf_timeout"

_logger = logging.getLogger(__name__)


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"
    # Loaded with base, in every database: this module is no addon.
    _module = "base"

    @api.model
    def _run_wkhtmltopdf(self, bodies, header=None, footer=None, landscape=False,
                         specific_paperformat_args=None, set_viewport_size=False):
        """Print the documents as Odoo does (the same options), each on its
        own, then join the PDFs in order."""
        pdfs = self._run_wkhtmltopdf_each(
            bodies, header=header, footer=footer, landscape=landscape,
            specific_paperformat_args=specific_paperformat_args,
            set_viewport_size=set_viewport_size)
        return pdfs[0] if len(pdfs) == 1 else merge_pdf(pdfs)

    @api.model
    def _run_wkhtmltopdf_each(self, bodies, header=None, footer=None, landscape=False,
                              specific_paperformat_args=None, set_viewport_size=False,
                              while_printing=None):
        """One PDF per body, each printed as Odoo prints a single document,
        by a few wkhtmltopdf processes that each print their share of the
        bodies one after the other. ``while_printing()``, if given, is
        called while they print. A failure raises a ``UserError`` (in
        English: the runtime has no translations of its own)."""
        paperformat = self.paperformat_id or self.env.user.company_id.paperformat_id
        arguments = self._build_wkhtmltopdf_args(
            paperformat, landscape, specific_paperformat_args=specific_paperformat_args,
            set_viewport_size=set_viewport_size)
        with tempfile.TemporaryDirectory(prefix="report.") as folder:
            for part, html in (("header", header), ("footer", footer)):
                if html:
                    arguments += ["--%s-html" % part,
                                  _write_file(folder, "report.%s.tmp.html" % part, html)]
            jobs = []
            for index, body in enumerate(bodies):
                # Odoo's name: with a patched Qt, the layout's script picks
                # the body's header and footer by the index in it.
                source = _write_file(folder, "report.body.tmp.%d.html" % index, body)
                jobs.append((source, os.path.join(folder, "report.%d.pdf" % index)))
            shares = [jobs[start::PROCESSES] for start in range(PROCESSES)]
            per_document = self._wkhtmltopdf_timeout()
            processes = []
            try:
                for share in filter(None, shares):
                    processes.append(_start_wkhtmltopdf(arguments, share))
                if while_printing:
                    while_printing()
            finally:
                # All of them done (or stopped) before any error is raised:
                # none may still be writing when the folder goes.
                deadline = time.monotonic() + per_document * max(map(len, shares))
                failures = [_wait_wkhtmltopdf(*process, deadline=deadline) for process in processes]
            for failure in filter(None, failures):
                raise failure
            return [_read_pdf(target) for _source, target in jobs]

    @api.model
    def _wkhtmltopdf_timeout(self):
        value = self.env["ir.config_parameter"].sudo().get_param(TIMEOUT_PARAMETER)
        try:
            return max(float(value), 1.0) if value else TIMEOUT_PER_DOCUMENT
        except ValueError:
            return TIMEOUT_PER_DOCUMENT


class RendererFailure(UserError):
    """A failure of the renderer: ``kind`` (started, timeout, failed,
    empty, not_pdf) and its ``details``, for an addon to word it in the
    user's language; the English message is for a plain Odoo."""

    MESSAGES = {
        "started": "wkhtmltopdf could not be started: %(error)s",
        "timeout": "wkhtmltopdf did not finish the PDF in time: it was stopped.",
        "failed": "wkhtmltopdf could not print the PDF (error code %(code)s): %(message)s",
        "empty": "wkhtmltopdf printed no PDF for %(file)s.",
        "not_pdf": "wkhtmltopdf printed something that is not a PDF for %(file)s.",
    }

    def __init__(self, kind, **details):
        super().__init__(self.MESSAGES[kind] % details)
        self.kind = kind
        self.details = details


def _write_file(folder, name, content):
    path = os.path.join(folder, name)
    with open(path, "wb") as file:
        file.write(content)
    return path


def _start_wkhtmltopdf(arguments, jobs):
    errors = tempfile.TemporaryFile()
    try:
        # Its own process group: stopped with whatever it started.
        process = subprocess.Popen(
            [_get_wkhtmltopdf_bin(), *arguments, "--read-args-from-stdin"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors,
            start_new_session=True)
        # Temporary paths hold no space: one line is "source target".
        process.stdin.write("".join("%s %s\n" % job for job in jobs).encode())
        process.stdin.close()
    except OSError as error:
        errors.close()
        raise RendererFailure("started", error=error) from error
    return process, errors


def _wait_wkhtmltopdf(process, errors, deadline):
    """The error of a failed wkhtmltopdf process, else None; one still
    printing at ``deadline`` is stopped."""
    try:
        code = process.wait(max(deadline - time.monotonic(), 0.1))
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        errors.close()
        _logger.warning("wkhtmltopdf (pid %s) stopped: no PDF in time", process.pid)
        return RendererFailure("timeout")
    errors.seek(0)
    message = errors.read()[-1000:].decode("utf-8", "replace")
    errors.close()
    # As Odoo: 1 means printed with warnings (a resource that did not load).
    if code not in (0, 1):
        return RendererFailure("failed", code=code, message=message)
    return None


def _read_pdf(path):
    if not os.path.exists(path) or not os.path.getsize(path):
        raise RendererFailure("empty", file=os.path.basename(path))
    with open(path, "rb") as file:
        content = file.read()
    if not content.startswith(b"%PDF"):
        raise RendererFailure("not_pdf", file=os.path.basename(path))
    return content
