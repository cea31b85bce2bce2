"""Helpers for what users send: the XML webo reads, and the size of uploads."""
from .safe_xml import MAX_XML_SIZE, UntrustedXmlError, parse_untrusted_xml
from .uploads import check_upload_size, decoded_size

__all__ = ["MAX_XML_SIZE", "UntrustedXmlError", "check_upload_size", "decoded_size",
           "parse_untrusted_xml"]
