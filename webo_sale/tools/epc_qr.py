"""The EPC QR code ("SEPA credit transfer" QR, EPC069-12) of an invoice:
the banking apps of European banks scan it to fill in a transfer with the
beneficiary, IBAN, BIC, amount and the invoice number as its reference,
so that the transfer arrives with the reference webo matches it by.
Made with segno's EPC helper."""
import functools

from segno import helpers


@functools.lru_cache(maxsize=1024)
def epc_qr_data_uri(name, iban, amount, reference, bic=None, kind="svg"):
    """The QR code as a data URI (``kind`` "svg" for a page, "png" for a
    PDF), or None when no transfer can be asked for (no IBAN, nothing due,
    a name or reference the standard refuses). ``amount`` in euros: the
    EPC QR is for euro transfers only. Cached: a page shows the same code
    on every visit until the amount due changes."""
    if not iban or not name or amount is None or not 0.01 <= amount <= 999999999.99:
        return None
    try:
        code = helpers.make_epc_qr(name=name[:70], iban=iban.replace(" ", ""), amount=round(amount, 2),
                                   text=(reference or "")[:140] or None, bic=bic or None)
    except ValueError:
        return None
    if kind == "png":
        return code.png_data_uri(scale=4, border=4)
    return code.svg_data_uri(scale=4, border=4)
