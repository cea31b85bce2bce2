"""The one way webo parses XML that comes from outside (a supplier's
Factur-X, any file a user sends).

lxml's default parser resolves external entities: a document declaring
``<!ENTITY x SYSTEM "file:///etc/passwd">`` gets the server's file in its
text. An invoice has no use for a DTD, so a document that declares one is
refused before it is parsed, and the parse itself resolves no entity, loads
no DTD and opens no network connection, whatever the document says.
"""
from lxml import etree

# A Factur-X XML is a few dozen kilobytes; a few megabytes is already odd.
MAX_XML_SIZE = 5 * 1024 * 1024


class UntrustedXmlError(ValueError):
    """Refused XML. ``reason``: "size" (above ``MAX_XML_SIZE``), "dtd" (a
    DOCTYPE, hence possible entities) or "syntax" (not well-formed)."""

    def __init__(self, reason, detail=""):
        super().__init__("%s: %s" % (reason, detail) if detail else reason)
        self.reason = reason
        self.detail = detail


class _DoctypeFound(Exception):
    pass


class _DoctypeDetector:
    """A parser target that stops at the DOCTYPE, before its declarations
    (entities, external subsets) are used."""

    def doctype(self, name, public_id, system_url):
        raise _DoctypeFound(name)

    def start(self, tag, attributes):
        pass

    def end(self, tag):
        pass

    def data(self, text):
        pass

    def close(self):
        return None


def _parser(**options):
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, **options)


def parse_untrusted_xml(data, max_size=MAX_XML_SIZE):
    """The root element of ``data`` (bytes), or UntrustedXmlError."""
    if not isinstance(data, bytes):
        raise UntrustedXmlError("syntax", "bytes expected")
    if len(data) > max_size:
        raise UntrustedXmlError("size", "%d bytes" % len(data))
    try:
        etree.fromstring(data, _parser(target=_DoctypeDetector()))
    except _DoctypeFound as found:
        raise UntrustedXmlError("dtd", str(found)) from None
    except etree.XMLSyntaxError as error:
        raise UntrustedXmlError("syntax", str(error)) from None
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        raise UntrustedXmlError("syntax", str(error)) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise UntrustedXmlError("dtd", docinfo.doctype)
    return root
