from . import res_company
from . import res_users
from . import res_partner
from . import account_invoice
from . import ir_actions_report
