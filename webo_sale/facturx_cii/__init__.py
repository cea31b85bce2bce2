"""Factur-X (EN 16931, UN/CEFACT Cross Industry Invoice): the XML webo
writes for the invoices it issues, and reads from its suppliers'."""
from .reader import (
    BILL_TYPES,
    IMPORTABLE_LEVELS,
    TAXED_CATEGORIES,
    FacturxReader,
)
from .rules import RuleFailure, check_facturx, quiet_facturx_errors
from .writer import FacturxWriter

__all__ = ["BILL_TYPES", "IMPORTABLE_LEVELS", "TAXED_CATEGORIES", "FacturxReader", "FacturxWriter",
           "RuleFailure", "check_facturx", "quiet_facturx_errors"]
