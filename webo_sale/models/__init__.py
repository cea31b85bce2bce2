from . import res_company
from . import res_users
from . import res_partner
from . import account_invoice
from . import ir_actions_report
from . import account_invoice_line
from . import webo_subscription
from . import webo_subscription_line
