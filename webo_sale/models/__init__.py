from . import res_company
from . import res_users
from . import res_partner
from . import account_invoice
from . import ir_actions_report
from . import webo_sale_service
from . import webo_sale_document
