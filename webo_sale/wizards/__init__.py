from . import webo_invoice_wizard
from . import webo_invoice_resend
from . import webo_invoice_cancel
from . import webo_sale_opening
from . import webo_sale_document_refuse
from . import webo_sale_document_replace
from . import webo_facturx_import
