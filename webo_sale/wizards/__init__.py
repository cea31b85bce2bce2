from . import webo_invoice_wizard
from . import webo_invoice_resend
from . import webo_invoice_cancel
from . import webo_facturx_import
