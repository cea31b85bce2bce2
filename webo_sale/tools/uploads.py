"""Size caps on what users upload as base64 (XML-RPC, the web client's
binary fields): checked on the base64 text itself, before anything is
decoded or stored, so that an oversized file costs neither memory nor a
database row."""
from odoo import _
from odoo.exceptions import UserError


def decoded_size(data):
    """The size in bytes of the file base64 ``data`` (str or bytes) holds,
    line breaks and padding left out; no decoding."""
    if not data:
        return 0
    if isinstance(data, str):
        data = data.encode("ascii", "replace")
    length = len(data) - sum(data.count(char) for char in (b"\n", b"\r", b" ", b"\t"))
    padding = len(data.rstrip(b"\n\r \t")) - len(data.rstrip(b"\n\r \t").rstrip(b"="))
    return max(0, length * 3 // 4 - padding)


def check_upload_size(self, data, limit, label):
    """UserError naming ``label`` and the limit when the file in ``data``
    (base64) is larger than ``limit`` bytes. ``self`` is any recordset: its
    environment gives the message's language (Odoo's ``_`` reads it from
    the caller's ``self``)."""
    size = decoded_size(data)
    if size > limit:
        raise UserError(_(
            "%(file)s is %(size)s MB; the limit is %(limit)s MB. Send a lighter file."
        ) % {"file": label, "size": "%.1f" % (size / 1048576.0),
             "limit": "%g" % (limit / 1048576.0)})
    return size
