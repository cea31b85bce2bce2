"""webo's own refusals, for the web client to show them with a way out."""
from odoo.exceptions import UserError


class ServiceNotOpen(UserError):
    """Sending an invoice (issuing it) before the workspace's sales service
    is open: the client would receive an invoice whose page offers no way
    to pay. A plain refusal over XML-RPC; in the web client, the warning
    carries a button to the opening (webo_sale/static/src/js/webo_errors.js)."""
