"""The issued PDF as a PDF/A-3b with its Factur-X XML (ISO 19005-3, Factur-X
1.0 section "PDF/A-3").

wkhtmltopdf prints in device RGB with no output intent and the factur-x
library writes XMP and document information that disagree (producer,
keywords, dates). This module embeds the XML with the library, then makes
the file what PDF/A-3b requires: an sRGB output intent with its ICC profile
embedded, printable annotations, one set of metadata written both as XMP
and as document information, an unfiltered metadata stream.
"""
import datetime
import functools
import importlib.metadata
import io
import os

import facturx
from lxml import etree
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

# Debian's icc-profiles-free: an ICC v2 sRGB IEC 61966-2.1 profile.
SRGB_PROFILE = "/usr/share/color/icc/sRGB.icc"
SRGB_CONDITION = "sRGB IEC61966-2.1"
# Factur-X 1.0: for the BASIC, EN 16931 and EXTENDED profiles the XML is an
# alternative representation of the visual invoice.
AF_RELATIONSHIP = "alternative"
FACTURX_LEVEL = "en16931"
CREATOR = "webo"
PDF_HEADER = "%PDF-1.7"
NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
}
# Annotation flags (ISO 32000-1, 12.5.3): PDF/A wants each annotation printed
# and neither invisible, hidden nor "no view".
ANNOT_INVISIBLE, ANNOT_HIDDEN, ANNOT_PRINT, ANNOT_NO_VIEW = 1, 2, 4, 32


@functools.lru_cache(maxsize=1)
def srgb_profile():
    """The bytes of the sRGB ICC profile the output intent embeds."""
    if not os.path.isfile(SRGB_PROFILE):
        raise FileNotFoundError(
            "The sRGB colour profile %s is missing: install the Debian package "
            "icc-profiles-free (runtime/system-packages.sh)." % SRGB_PROFILE)
    with open(SRGB_PROFILE, "rb") as profile:
        return profile.read()


@functools.lru_cache(maxsize=1)
def producer():
    return "wkhtmltopdf; factur-x %s; pypdf %s" % (
        importlib.metadata.version("factur-x"), importlib.metadata.version("pypdf"))


def facturx_pdfa3(pdf, xml, metadata, lang="fr-FR", now=None):
    """``pdf`` (bytes, as wkhtmltopdf printed it) with the Factur-X ``xml``
    embedded, as a PDF/A-3b. ``metadata``: title, author, subject and
    keywords of the document."""
    embedded = facturx.generate_from_binary(
        pdf, xml, flavor="factur-x", level=FACTURX_LEVEL, check_xsd=False,
        afrelationship=AF_RELATIONSHIP, xmp_compression=False, lang=lang,
        pdf_metadata=dict(metadata))
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(embedded)))
    # PDF/A-3 is built on PDF 1.7 (embedded files' relationships, /AF), and
    # wants the file identifiers in the trailer.
    writer.pdf_header = PDF_HEADER
    writer.generate_file_identifiers()
    _add_output_intent(writer)
    _make_annotations_printable(writer)
    _write_metadata(writer, metadata, now or datetime.datetime.now(datetime.UTC))
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def _add_output_intent(writer):
    profile = DecodedStreamObject()
    profile.set_data(srgb_profile())
    profile = profile.flate_encode()
    profile[NameObject("/N")] = NumberObject(3)
    intent = DictionaryObject({
        NameObject("/Type"): NameObject("/OutputIntent"),
        NameObject("/S"): NameObject("/GTS_PDFA1"),
        NameObject("/OutputConditionIdentifier"): TextStringObject(SRGB_CONDITION),
        NameObject("/Info"): TextStringObject(SRGB_CONDITION),
        NameObject("/RegistryName"): TextStringObject("http://www.color.org"),
        NameObject("/DestOutputProfile"): writer._add_object(profile),
    })
    writer._root_object[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(intent)])


def _make_annotations_printable(writer):
    for page in writer.pages:
        for reference in page.get("/Annots") or []:
            annotation = reference.get_object()
            flags = int(annotation.get("/F", 0))
            flags = (flags | ANNOT_PRINT) & ~(ANNOT_INVISIBLE | ANNOT_HIDDEN | ANNOT_NO_VIEW)
            annotation[NameObject("/F")] = NumberObject(flags)


def _write_metadata(writer, metadata, now):
    """The same title, author, subject, keywords, creator, producer and
    dates in the document information and in the XMP (PDF/A wants them
    equivalent)."""
    now = now.astimezone(datetime.UTC).replace(microsecond=0)
    writer.add_metadata({
        "/Title": metadata.get("title", ""),
        "/Author": metadata.get("author", ""),
        "/Subject": metadata.get("subject", ""),
        "/Keywords": metadata.get("keywords", ""),
        "/Creator": CREATOR,
        "/Producer": producer(),
        "/CreationDate": now.strftime("D:%Y%m%d%H%M%S+00'00'"),
        "/ModDate": now.strftime("D:%Y%m%d%H%M%S+00'00'"),
    })
    stream = DecodedStreamObject()
    stream.set_data(_xmp(metadata, now))
    stream.update({NameObject("/Type"): NameObject("/Metadata"),
                   NameObject("/Subtype"): NameObject("/XML")})
    writer._root_object[NameObject("/Metadata")] = writer._add_object(stream)


def _xmp(metadata, now):
    """The XMP packet: the library's (PDF/A identification, Dublin Core,
    the Factur-X extension schema and its values) with our producer,
    keywords and dates."""
    packet = facturx.generate_xmp_object({
        "pdfa3_flavor": "B",
        "title": metadata.get("title", ""),
        "author": metadata.get("author", ""),
        "subject": metadata.get("subject", ""),
        "producer": producer(),
        "creator_tool": CREATOR,
        "timestamp": now.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "version": "1.0",
        "documenttype": "INVOICE",
        "xml_filename": "factur-x.xml",
        "xmp_level": "EN 16931",
        "urn": "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
    })
    # A plain tree (the library's is an objectify one) to add pdf:Keywords.
    packet = etree.fromstring(etree.tostring(packet))
    producer_node = packet.find(".//{%s}Producer" % NS["pdf"])
    keywords = etree.SubElement(producer_node.getparent(), "{%s}Keywords" % NS["pdf"])
    keywords.text = metadata.get("keywords", "")
    body = etree.tostring(packet, encoding="unicode")
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n%s\n<?xpacket end="w"?>'
            % body).encode("utf-8")
